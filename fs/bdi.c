/*
 * bdi.c - sets a fuse mount's read_ahead_kb (see bdi.h for the contract).
 */
#include "bdi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Undoes mountinfo's octal escapes (\040 for a space, ...) in place. */
static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' &&
            p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
            *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

/* The "MAJOR:MINOR" of the last fuse mount on `mountpoint` into dev; 0 if
 * found. */
static int mount_dev(const char *mountpoint, char *dev, size_t size)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    int found = -1;
    while (getline(&line, &cap, f) > 0) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - TYPE ... */
        char *save = NULL, *field[5];
        char *tok = strtok_r(line, " ", &save);
        int n = 0;
        for (; tok && n < 5; tok = strtok_r(NULL, " ", &save))
            field[n++] = tok;
        while (tok && strcmp(tok, "-") != 0)
            tok = strtok_r(NULL, " ", &save);
        char *type = tok ? strtok_r(NULL, " ", &save) : NULL;
        if (n < 5 || !type || strncmp(type, "fuse", 4) != 0)
            continue;
        unescape(field[4]);
        if (strcmp(field[4], mountpoint) == 0 && strlen(field[2]) < size) {
            strcpy(dev, field[2]);
            found = 0; /* keep going: the last one is on top */
        }
    }
    free(line);
    fclose(f);
    return found;
}

int zfs_bdi_set_readahead(const char *mountpoint, unsigned long kb, char *why,
                          size_t why_size)
{
    char dev[64], path[128];
    if (mount_dev(mountpoint, dev, sizeof dev) != 0) {
        snprintf(why, why_size, "no fuse mount on %s in /proc/self/mountinfo",
                 mountpoint);
        return -1;
    }
    snprintf(path, sizeof path, "/sys/class/bdi/%s/read_ahead_kb", dev);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(why, why_size, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    int ok = fprintf(f, "%lu\n", kb) > 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        snprintf(why, why_size, "cannot write %lu to %s: %s", kb, path,
                 strerror(errno));
        return -1;
    }
    return 0;
}
