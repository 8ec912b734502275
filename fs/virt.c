/*
 * virt.c - the table of virtual files (see virt.h for the contract): two
 * hash chains per entry (by directory and name, by inode number) and a
 * list from the most to the least recently looked up, for eviction.
 */
#include "virt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/hash.h" /* header-only FNV-1a */
#include "tables.h"

typedef struct zfs_ventry {
    zfs_table t;      /* first: one inode, pinned as tables are */
    zfs_inode node;
    zf_selection sel;
    uint64_t parent;
    zf_array *array;
    uint64_t nlookup; /* kernel lookups not yet forgotten */
    size_t hname;     /* bucket of (parent, name) */
    struct zfs_ventry *next_name, *next_ino, *newer, *older;
} zfs_ventry;

struct zfs_virt {
    pthread_mutex_t lock;
    size_t max, count, nbuckets;
    unsigned views;
    uint64_t next_ino;
    zfs_ventry **by_name, **by_ino;
    zfs_ventry *newest, *oldest;
};

zfs_virt *zfs_virt_new(size_t max, unsigned views)
{
    zfs_virt *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    pthread_mutex_init(&v->lock, NULL);
    v->max = max ? max : 1;
    v->nbuckets = v->max * 2;
    v->views = views;
    v->next_ino = ZFS_VIRT_INO_BASE;
    v->by_name = calloc(v->nbuckets, sizeof *v->by_name);
    v->by_ino = calloc(v->nbuckets, sizeof *v->by_ino);
    if (!v->by_name || !v->by_ino) {
        zfs_virt_free(v);
        return NULL;
    }
    return v;
}

void zfs_virt_set_views(zfs_virt *v, unsigned views)
{
    v->views = views;
}

static size_t name_bucket(const zfs_virt *v, uint64_t parent, const char *name)
{
    return (size_t)(zf_fnv1a(ZF_FNV_OFFSET ^ parent, name) % v->nbuckets);
}

static size_t ino_bucket(const zfs_virt *v, uint64_t ino)
{
    return (size_t)(ino % v->nbuckets);
}

static void entry_free(zfs_ventry *e)
{
    zfs_inode_clear(&e->node);
    free(e);
}

/* Takes e out of the chains and the list, and frees it. */
static void entry_remove(zfs_virt *v, zfs_ventry *e)
{
    zfs_ventry **p = &v->by_name[e->hname];
    while (*p != e)
        p = &(*p)->next_name;
    *p = e->next_name;
    for (p = &v->by_ino[ino_bucket(v, e->node.ino)]; *p != e;
         p = &(*p)->next_ino)
        ;
    *p = e->next_ino;
    (e->newer ? &e->newer->older : &v->newest)[0] = e->older;
    (e->older ? &e->older->newer : &v->oldest)[0] = e->newer;
    v->count--;
    entry_free(e);
}

static void list_push(zfs_virt *v, zfs_ventry *e)
{
    e->newer = NULL;
    e->older = v->newest;
    if (v->newest)
        v->newest->newer = e;
    else
        v->oldest = e;
    v->newest = e;
}

static void list_touch(zfs_virt *v, zfs_ventry *e)
{
    if (v->newest == e)
        return;
    (e->newer ? &e->newer->older : &v->newest)[0] = e->older;
    (e->older ? &e->older->newer : &v->oldest)[0] = e->newer;
    list_push(v, e);
}

void zfs_virt_free(zfs_virt *v)
{
    if (!v)
        return;
    while (v->oldest)
        entry_remove(v, v->oldest);
    pthread_mutex_destroy(&v->lock);
    free(v->by_name);
    free(v->by_ino);
    free(v);
}

/* Makes room for one more entry: evicts the least recently looked-up one
 * that nothing pins.  0, or -1 when every entry is in use. */
static int make_room(zfs_virt *v)
{
    if (v->count < v->max)
        return 0;
    for (zfs_ventry *e = v->oldest; e; e = e->newer)
        if (atomic_load(&e->t.pins) == 0) {
            entry_remove(v, e);
            return 0;
        }
    return -1;
}

/* What a name asks for: the array file it selects from, the selection, and
 * the header view (-1: the data itself). */
typedef struct vname {
    const zfs_inode *base;
    zf_selection sel;
    int view;
    char data[4096]; /* the data file's name (the name less a view suffix) */
} vname;

/* 1 when `stem` is NAME[EXPR], NAME@F or NAME[EXPR]@F for an array file
 * NAME of the directory: fills q (or why, when the selection is bad);
 * 0 when it is not such a name. */
static int parse_stem(const zfs_table *t, uint64_t parent, const char *stem,
                      vname *q, char *why, size_t whylen)
{
    size_t nlen, elen;
    const char *expr;
    int fortran;
    char base[4096], ex[4096];
    if (zf_selection_split_name(stem, 0, &nlen, &expr, &elen, &fortran) != 0 ||
        nlen >= sizeof base || elen >= sizeof ex)
        return 0;
    snprintf(base, sizeof base, "%.*s", (int)nlen, stem);
    snprintf(ex, sizeof ex, "%.*s", (int)elen, expr ? expr : "");
    q->base = zfs_table_lookup(t, parent, base);
    if (!q->base || q->base->kind != ZFS_KIND_ARRAY || !q->base->array)
        return 0;
    const zf_array_info *i = zf_array_get_info(q->base->array);
    zf_err err = {0};
    if (zf_selection_parse(expr ? ex : NULL, i->ndim, i->shape, &q->sel,
                           &err) != ZF_OK) {
        snprintf(why, whylen, "%s", err.msg);
        q->base = NULL;
        return 1;
    }
    q->sel.fortran = fortran;
    snprintf(q->data, sizeof q->data, "%s", stem);
    return 1;
}

/* Parses a name: a virtual data file, or one's header view. */
static int parse_name(const zfs_virt *v, const zfs_table *t, uint64_t parent,
                      const char *name, vname *q, char *why, size_t whylen)
{
    size_t n = strlen(name);
    q->view = -1;
    for (int f = 0; f < ZF_VIEW_COUNT; f++) {
        const char *suffix = zf_view_suffix((zf_view_format)f);
        size_t sl = strlen(suffix);
        if (!(v->views & (1u << f)) || n <= sl || n - sl >= sizeof q->data ||
            strcmp(name + n - sl, suffix) != 0)
            continue;
        char stem[4096];
        snprintf(stem, sizeof stem, "%.*s", (int)(n - sl), name);
        if (parse_stem(t, parent, stem, q, why, whylen)) {
            q->view = f;
            return 1;
        }
    }
    return parse_stem(t, parent, name, q, why, whylen);
}

/* Fills a new entry's inode from the parsed name; -1 (why) on failure. */
static int entry_fill(zfs_virt *v, zfs_ventry *e, uint64_t parent,
                      const char *name, const vname *q, char *why,
                      size_t whylen)
{
    zfs_inode *n = &e->node;
    const zfs_inode *b = q->base;
    e->sel = q->sel;
    e->parent = parent;
    e->array = b->array;
    e->t.nodes = n;
    e->t.count = 1;
    atomic_init(&e->t.pins, 0);
    n->parent = parent;
    n->mtime = b->mtime;
    n->array = b->array;
    n->sel = &e->sel;
    n->name = strdup(name);
    n->path = strdup(b->path);
    uint64_t nbytes = zf_selection_nbytes(b->array, &e->sel);
    if (q->view >= 0) {
        zf_err err = {0};
        n->kind = ZFS_KIND_VIEW;
        n->view = (zf_view_format)q->view;
        if (zf_view_header_selection(b->array, &e->sel, n->view, q->data,
                                     &n->header, &n->header_len,
                                     &err) != ZF_OK) {
            snprintf(why, whylen, "%s", err.msg);
            return -1;
        }
        n->size = n->header_len + (zf_view_holds_data(n->view) ? nbytes : 0);
    } else {
        uint64_t shape[ZF_MAX_DIMS];
        int nd = zf_selection_shape(&e->sel, shape);
        int len = zf_selection_format(&e->sel, NULL, 0);
        n->kind = ZFS_KIND_ARRAY;
        n->size = nbytes;
        n->xattr_shape = zfs_format_dims(nd, shape);
        n->xattr_dtype = strdup(b->xattr_dtype);
        n->xattr_selection = malloc((size_t)len + 1);
        if (n->xattr_selection)
            zf_selection_format(&e->sel, n->xattr_selection, (size_t)len + 1);
        if (!n->xattr_shape || !n->xattr_dtype || !n->xattr_selection)
            goto oom;
    }
    if (!n->name || !n->path)
        goto oom;
    n->ino = v->next_ino++;
    return 0;
oom:
    snprintf(why, whylen, "out of memory");
    return -1;
}

const zfs_inode *zfs_virt_lookup(zfs_virt *v, const zfs_table *t,
                                 uint64_t parent, const char *name,
                                 const zfs_table **pin, char *why,
                                 size_t whylen)
{
    *pin = NULL;
    why[0] = '\0';
    vname q;
    if (!parse_name(v, t, parent, name, &q, why, whylen) || !q.base)
        return NULL;
    pthread_mutex_lock(&v->lock);
    size_t h = name_bucket(v, parent, name);
    zfs_ventry *e = v->by_name[h];
    while (e && (e->parent != parent || e->array != q.base->array ||
                 strcmp(e->node.name, name) != 0))
        e = e->next_name;
    if (!e) {
        if (make_room(v) != 0) {
            snprintf(why, whylen, "%zu virtual files are in use, the most "
                     "zarrfs keeps", v->max);
        } else if (!(e = calloc(1, sizeof *e))) {
            snprintf(why, whylen, "out of memory");
        } else if (entry_fill(v, e, parent, name, &q, why, whylen) != 0) {
            entry_free(e);
            e = NULL;
        } else {
            e->hname = h;
            e->next_name = v->by_name[h];
            v->by_name[h] = e;
            size_t hi = ino_bucket(v, e->node.ino);
            e->next_ino = v->by_ino[hi];
            v->by_ino[hi] = e;
            v->count++;
            list_push(v, e);
        }
    } else
        list_touch(v, e);
    if (e) {
        e->nlookup++;
        zfs_tables_pin(&e->t);
        *pin = &e->t;
    }
    pthread_mutex_unlock(&v->lock);
    return e ? &e->node : NULL;
}

static zfs_ventry *find_locked(zfs_virt *v, uint64_t ino)
{
    zfs_ventry *e = v->by_ino[ino_bucket(v, ino)];
    while (e && e->node.ino != ino)
        e = e->next_ino;
    return e;
}

const zfs_inode *zfs_virt_find(zfs_virt *v, uint64_t ino, const zfs_table **pin)
{
    pthread_mutex_lock(&v->lock);
    zfs_ventry *e = find_locked(v, ino);
    if (e)
        zfs_tables_pin(&e->t);
    pthread_mutex_unlock(&v->lock);
    *pin = e ? &e->t : NULL;
    return e ? &e->node : NULL;
}

void zfs_virt_forget(zfs_virt *v, uint64_t ino, uint64_t nlookup)
{
    pthread_mutex_lock(&v->lock);
    zfs_ventry *e = find_locked(v, ino);
    if (e) {
        e->nlookup = nlookup < e->nlookup ? e->nlookup - nlookup : 0;
        /* (one still pinned is evicted later, by make_room) */
        if (e->nlookup == 0 && atomic_load(&e->t.pins) == 0)
            entry_remove(v, e);
    }
    pthread_mutex_unlock(&v->lock);
}

size_t zfs_virt_count(zfs_virt *v)
{
    pthread_mutex_lock(&v->lock);
    size_t n = v->count;
    pthread_mutex_unlock(&v->lock);
    return n;
}
