/* cli_common.c - see cli_common.h. */
#include "cli_common.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int zf_cli_remote(const char *prog, zf_remote_options *r, const char *list)
{
    zf_err e = {0};
    if (zf_remote_options_parse(r, list, &e) == ZF_OK)
        return 0;
    fprintf(stderr, "%s: -o: %s\n", prog, e.msg);
    zf_remote_options_clear(r);
    return -1;
}

void zf_cli_refused(int c, char *const *argv, char *msg, size_t size)
{
    /* A refused long option is the argument just consumed (less any
     * "=value"); a short one is only known by optopt. */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    int is_long = strncmp(arg, "--", 2) == 0;
    char name[64];
    if (is_long)
        snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
    else
        snprintf(name, sizeof name, "-%c", optopt);
    if (c == ':')
        snprintf(msg, size, "option '%s' needs a value", name);
    else if (is_long && optopt) /* a known long option given "=value" */
        snprintf(msg, size, "'%s' takes no value", name);
    else
        snprintf(msg, size, "unknown option '%s'", name);
}

void zf_cli_version(const char *prog)
{
    printf("%s version %s\n", prog, ZF_VERSION);
}
