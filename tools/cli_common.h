/*
 * cli_common.h - what the tools' command lines share: the -o remote options
 * and the words for an option getopt_long refused.  Each tool parses its
 * own argv with getopt_long (optstring starting with ':', opterr = 0, so
 * that the messages are the tool's and name the option as typed).
 * Not thread-safe (getopt's globals); called from main only.
 */
#ifndef ZF_CLI_COMMON_H
#define ZF_CLI_COMMON_H

#include <stddef.h>

#include "zarrfs/zarrfs.h"

/* -o OPTS: sets the comma-separated remote options into r; 0, or -1 after
 * printing "PROG: -o: reason" (r is then cleared). */
int zf_cli_remote(const char *prog, zf_remote_options *r, const char *list);

/* The message for getopt_long's refusal `c` (':' or '?'), just after it:
 * "option '--x' needs a value", "'--x' takes no value" or
 * "unknown option '--x'". */
void zf_cli_refused(int c, char *const *argv, char *msg, size_t size);

/* Prints "PROG version X.Y.Z" on stdout, as -V/--version does. */
void zf_cli_version(const char *prog);

#endif
