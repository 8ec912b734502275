/*
 * units.c - zf_parse_size (zarrfs.h): "16M"-style sizes, one parser for the
 * mount's options (cache_size=, readahead=, push=) and the remote options
 * (coalesce_gap=, coalesce_max=).  Pure; thread-safe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zarrfs/zarrfs.h"

zf_code zf_parse_size(const char *s, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9') /* strtoull would take " 1", "+1" and "-1" */
        return ZF_EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = 0;
    const char *units = "KMG";
    if (*end && strchr(units, *end) && end[1] == '\0')
        shift = 10 * (int)(strchr(units, *end++) - units + 1);
    if (errno || *end || v > UINT64_MAX >> shift)
        return ZF_EINVAL;
    *out = (uint64_t)v << shift;
    return ZF_OK;
}
