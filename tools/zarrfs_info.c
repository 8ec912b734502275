/*
 * zarrfs-info - lists the groups and arrays of a Zarr store with shape,
 * dtype, chunk and inner-chunk shapes, codecs and flat size; arrays that
 * cannot be read are listed with the reason.  `--json` prints one JSON
 * document instead.  Exit status: 0, or 1 if the store cannot be opened,
 * 2 for bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "zarrfs/zarrfs.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: zarrfs-info [--json] STORE\n"
               "Lists the groups and arrays of the Zarr store in the folder "
               "STORE.\n");
}

static void print_dims(FILE *f, int n, const uint64_t *v, const char *sep)
{
    for (int d = 0; d < n; d++)
        fprintf(f, "%s%llu", d ? sep : "", (unsigned long long)v[d]);
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void text_node(zf_zarr *z, const zf_node *n)
{
    printf("/%s", n->path);
    if (n->kind == ZF_NODE_GROUP) {
        printf("  group\n");
        return;
    }
    zf_array *a;
    zf_err err;
    if (zf_array_get(z, n->path, &a, &err) != ZF_OK) {
        printf("  array  UNREADABLE: %s\n", err.msg);
        return;
    }
    const zf_array_info *i = zf_array_get_info(a);
    printf("  array\n    shape   ");
    print_dims(stdout, i->ndim, i->shape, " x ");
    printf("%s\n    dtype   %s (%zu bytes)\n    chunks  ", i->ndim ? "" : "(scalar)",
           i->dtype, i->itemsize);
    print_dims(stdout, i->ndim, i->chunks, " x ");
    if (i->inner) {
        printf("  (shards)\n    inner   ");
        print_dims(stdout, i->ndim, i->inner, " x ");
    }
    printf("\n    codecs  %s\n    size    %llu bytes\n", i->codecs,
           (unsigned long long)i->nbytes);
}

static void json_dims(const char *name, int n, const uint64_t *v)
{
    printf(", \"%s\": [", name);
    print_dims(stdout, n, v, ", ");
    printf("]");
}

static void json_node(zf_zarr *z, const zf_node *n)
{
    printf("{\"path\": ");
    json_string(stdout, n->path);
    printf(", \"kind\": \"%s\", \"zarr_format\": %d",
           n->kind == ZF_NODE_GROUP ? "group" : "array", n->zarr_format);
    zf_array *a;
    zf_err err;
    if (n->kind == ZF_NODE_ARRAY && zf_array_get(z, n->path, &a, &err) != ZF_OK) {
        printf(", \"error\": ");
        json_string(stdout, err.msg);
    } else if (n->kind == ZF_NODE_ARRAY) {
        const zf_array_info *i = zf_array_get_info(a);
        json_dims("shape", i->ndim, i->shape);
        printf(", \"dtype\": \"%s\", \"itemsize\": %zu", i->dtype, i->itemsize);
        json_dims("chunks", i->ndim, i->chunks);
        if (i->inner)
            json_dims("inner_chunks", i->ndim, i->inner);
        printf(", \"codecs\": ");
        json_string(stdout, i->codecs);
        printf(", \"nbytes\": %llu", (unsigned long long)i->nbytes);
    }
    printf("}");
}

int main(int argc, char **argv)
{
    int json = 0;
    const char *store = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || store) {
            fprintf(stderr, "zarrfs-info: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else
            store = argv[i];
    }
    if (!store) {
        usage(stderr);
        return 2;
    }
    zf_zarr *z;
    zf_err err;
    zf_options opts = {.threads = 1};
    if (zf_open(store, &opts, &z, &err) != ZF_OK) {
        fprintf(stderr, "zarrfs-info: %s\n", err.msg);
        return 1;
    }
    if (json) {
        printf("{\"store\": ");
        json_string(stdout, store);
        printf(", \"nodes\": [");
    }
    for (size_t k = 0; k < zf_node_count(z); k++) {
        if (json && k)
            printf(", ");
        (json ? json_node : text_node)(z, zf_node_at(z, k));
    }
    if (json)
        printf("]}\n");
    zf_close(z);
    return 0;
}
