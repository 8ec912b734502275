/*
 * nc_parts.c - the layout of a group's netCDF-4 file as the engine builds
 * it (zf_nc_build), for tests/sh/mount_nc.sh, through the public API only.
 *
 *   zf_nc_parts STORE GROUP          prints "size N", "header LEN", one
 *                                    "part OFFSET NBYTES PATH" per part
 *                                    and one "note TEXT" per note
 *   zf_nc_parts STORE GROUP --cat    writes the whole file (zf_nc_read) to
 *                                    stdout
 *
 * GROUP "" is the root group.  Exits 0, or 1 with the engine's message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zarrfs/zarrfs.h>

#define PIECE ((size_t)1 << 20)

static int print_layout(const zf_nc_file *f)
{
    size_t hlen;
    zf_nc_header(f, &hlen);
    printf("size %llu\nheader %zu\n", (unsigned long long)zf_nc_size(f), hlen);
    for (size_t i = 0; i < zf_nc_part_count(f); i++) {
        const zf_nc_part *p = zf_nc_part_at(f, i);
        printf("part %llu %llu %s\n", (unsigned long long)p->offset,
               (unsigned long long)p->nbytes, p->array_path);
    }
    for (const char *const *l = zf_nc_notes(f); l && *l; l++)
        printf("note %s\n", *l);
    return 0;
}

static int cat_file(zf_nc_file *f, zf_zarr *z)
{
    char *buf = malloc(PIECE);
    zf_err e = {0};
    for (uint64_t off = 0; buf && off < zf_nc_size(f);) {
        size_t got = 0;
        if (zf_nc_read(f, z, off, PIECE, buf, &got, &e) != ZF_OK) {
            fprintf(stderr, "zf_nc_parts: %s\n", e.msg);
            free(buf);
            return 1;
        }
        if (got == 0 || fwrite(buf, 1, got, stdout) != got)
            break;
        off += got;
    }
    free(buf);
    return buf ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (argc == 4 && strcmp(argv[3], "--cat")) || argc > 4) {
        fprintf(stderr, "usage: zf_nc_parts STORE GROUP [--cat]\n");
        return 2;
    }
    zf_zarr *z = NULL;
    zf_nc_file *f = NULL;
    zf_err e = {0};
    if (zf_open(argv[1], NULL, &z, &e) != ZF_OK ||
        zf_nc_build(z, argv[2], &f, &e) != ZF_OK) {
        fprintf(stderr, "zf_nc_parts: %s\n", e.msg[0] ? e.msg : zf_code_name(e.code));
        zf_close(z);
        return 1;
    }
    int rc = argc == 4 ? cat_file(f, z) : print_layout(f);
    zf_nc_free(f);
    zf_close(z);
    return rc;
}
