/*
 * zarrfs-info - lists the groups and arrays of a Zarr store with shape,
 * dtype, chunk and inner-chunk shapes, codecs and flat size; arrays that
 * cannot be read are listed with the reason, and each array's header views
 * (zf_view_header: the files `zarrfs -o views=...` adds beside it) with the
 * file name, or the reason the format cannot express the array; each
 * group's netCDF-4 file (zf_nc_build: what `-o views=nc` adds) with its
 * notes, what netCDF tools will see differently or not at all.  `--json`
 * prints one JSON document instead.  Exit status: 0, or 1 if the store
 * cannot be opened, 2 for bad usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "zarrfs/zarrfs.h"

static void usage(FILE *f)
{
    fputs("usage: zarrfs-info [--json] [-o OPTS] STORE\n"
          "\n"
          "Lists the groups and arrays of the Zarr store STORE (a folder, or an\n"
          "http://, https:// or s3:// URL): shape, data type, chunks, codecs,\n"
          "flat size and header views of each array, or why it cannot be read;\n"
          "each group's netCDF-4 file, with notes on what netCDF tools will see\n"
          "differently from HDF5 tools, or not at all.\n"
          "\n"
          "  --json         print one JSON document instead\n"
          "  -o OPTS        zarrfs's remote options, comma-separated\n"
          "                 (-o s3_endpoint=URL,retries=2)\n"
          "  -h, --help     show this help\n"
          "  -V, --version  print the version\n", f);
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

/* Header view `f` of array `a`: 1 with the file name in `file`, or 0 with
 * the reason in `why` (the array's path, which the message starts with,
 * left out). */
static int view_of(const zf_array *a, zf_view_format f, const char *name,
                   char *file, size_t fsize, const char **why, zf_err *err)
{
    char *text = NULL;
    size_t len = 0;
    if (zf_view_header(a, f, name, &text, &len, err) == ZF_OK) {
        free(text);
        snprintf(file, fsize, "%s%s", name, zf_view_suffix(f));
        return 1;
    }
    const char *path = zf_array_get_info(a)->path;
    size_t plen = strlen(path[0] ? path : "/");
    *why = err->msg;
    if (strncmp(err->msg, path[0] ? path : "/", plen) == 0 &&
        strncmp(err->msg + plen, ": ", 2) == 0)
        *why += plen + 2;
    return 0;
}

/* Calls emit for every header view of `a`: its file name, or NULL and the
 * reason there is none. */
static void each_view(const zf_array *a, const char *name,
                      void (*emit)(int f, const char *file, const char *why))
{
    for (int f = 0; f < ZF_VIEW_COUNT; f++) {
        char file[4200];
        const char *why = NULL;
        zf_err err;
        int ok = view_of(a, (zf_view_format)f, name, file, sizeof file, &why,
                         &err);
        emit(f, ok ? file : NULL, why);
    }
}

static void text_view(int f, const char *file, const char *why)
{
    printf("    %s%-5s ", f ? "        " : "views   ",
           zf_view_name((zf_view_format)f));
    if (file)
        printf("%s\n", file);
    else
        printf("none: %s\n", why);
}

/* The netCDF-4 file of group n (its name as the mount shows it: G.nc
 * beside G, the store's name for the root), or NULL with the reason. */
static zf_nc_file *nc_of(zf_zarr *z, const char *store, const zf_node *n,
                         char *file, size_t size, zf_err *err)
{
    char name[4096];
    zf_data_file_name(store, n->path, name, sizeof name);
    snprintf(file, size, "%s.nc", n->path[0] ? n->path : name);
    zf_nc_file *f = NULL;
    return zf_nc_build(z, n->path, &f, err) == ZF_OK ? f : NULL;
}

static void text_nc(zf_zarr *z, const char *store, const zf_node *n)
{
    char file[4200];
    zf_err err;
    zf_nc_file *f = nc_of(z, store, n, file, sizeof file, &err);
    if (!f) {
        printf("    netcdf  none: %s\n", err.msg);
        return;
    }
    printf("    netcdf  %s\n", file);
    for (const char *const *s = zf_nc_notes(f); *s; s++)
        printf("    note    %s\n", *s);
    zf_nc_free(f);
}

static void text_node(zf_zarr *z, const char *store, const zf_node *n)
{
    printf("/%s", n->path);
    if (n->kind == ZF_NODE_GROUP) {
        printf("  group\n");
        text_nc(z, store, n);
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
    char name[4096];
    zf_data_file_name(store, n->path, name, sizeof name);
    each_view(a, name, text_view);
}

static void json_dims(const char *name, int n, const uint64_t *v)
{
    printf(", \"%s\": [", name);
    print_dims(stdout, n, v, ", ");
    printf("]");
}

static void json_view(int f, const char *file, const char *why)
{
    printf("%s{\"format\": \"%s\", ", f ? ", " : "",
           zf_view_name((zf_view_format)f));
    if (file) {
        printf("\"file\": ");
        json_string(stdout, file);
    } else {
        printf("\"file\": null, \"reason\": ");
        json_string(stdout, why);
    }
    printf("}");
}

static void json_nc(zf_zarr *z, const char *store, const zf_node *n)
{
    char file[4200];
    zf_err err;
    zf_nc_file *f = nc_of(z, store, n, file, sizeof file, &err);
    printf(", \"netcdf\": {\"%s\": ", f ? "file" : "error");
    json_string(stdout, f ? file : err.msg);
    if (f) {
        printf(", \"notes\": [");
        for (const char *const *s = zf_nc_notes(f); *s; s++) {
            printf("%s", s == zf_nc_notes(f) ? "" : ", ");
            json_string(stdout, *s);
        }
        printf("]");
    }
    printf("}");
    zf_nc_free(f);
}

static void json_node(zf_zarr *z, const char *store, const zf_node *n)
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
        char name[4096];
        zf_data_file_name(store, n->path, name, sizeof name);
        printf(", \"views\": [");
        each_view(a, name, json_view);
        printf("]");
    } else if (n->kind == ZF_NODE_GROUP) {
        json_nc(z, store, n);
    }
    printf("}");
}

static const struct option info_options[] = {
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

/* Sets *json and *store; -1 when the command line is good, else the exit
 * status. */
static int info_parse(int argc, char **argv, int *json, const char **store,
                      zf_remote_options *remote)
{
    char msg[128];
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:hV", info_options, NULL)) != -1) {
        if (c == 'j')
            *json = 1;
        else if (c == 'o') {
            if (zf_cli_remote("zarrfs-info", remote, optarg) != 0)
                return 2;
        } else if (c == 'h') {
            usage(stdout);
            return 0;
        } else if (c == 'V') {
            zf_cli_version("zarrfs-info");
            return 0;
        } else {
            zf_cli_refused(c, argv, msg, sizeof msg);
            fprintf(stderr, "zarrfs-info: %s\n", msg);
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind > 1)
        fprintf(stderr, "zarrfs-info: unexpected argument '%s'\n",
                argv[optind + 1]);
    if (argc - optind != 1) {
        usage(stderr);
        return 2;
    }
    *store = argv[optind];
    return -1;
}

int main(int argc, char **argv)
{
    int json = 0;
    const char *store = NULL;
    zf_remote_options remote;
    zf_remote_options_init(&remote);
    int prc = info_parse(argc, argv, &json, &store, &remote);
    if (prc >= 0) {
        zf_remote_options_clear(&remote);
        return prc;
    }
    zf_zarr *z;
    zf_err err;
    /* (attributes: the netCDF file of every group is built) */
    zf_options opts = {.threads = 1, .remote = &remote, .attributes = 1};
    zf_code oc = zf_open(store, &opts, &z, &err);
    zf_remote_options_clear(&remote); /* the store keeps copies */
    if (oc != ZF_OK) {
        fprintf(stderr, "zarrfs-info: %s\n", err.msg);
        return 1;
    }
    for (size_t k = 0; k < zf_warning_count(z); k++)
        fprintf(stderr, "zarrfs-info: warning: %s\n", zf_warning_at(z, k));
    if (json) {
        printf("{\"store\": ");
        json_string(stdout, store);
        printf(", \"nodes\": [");
    }
    for (size_t k = 0; k < zf_node_count(z); k++) {
        if (json && k)
            printf(", ");
        (json ? json_node : text_node)(z, store, zf_node_at(z, k));
    }
    if (json)
        printf("]}\n");
    zf_close(z);
    return 0;
}
