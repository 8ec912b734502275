/*
 * s3_list.c - S3 reply bodies (ListObjectsV2 listings, <Error> bodies); see
 * s3_list.h.
 *
 * libxml2 parses the body into a tree (no network, no entity substitution,
 * errors kept off stderr); the tree is then walked twice: once to check
 * every entry, once to hand them to fn, so that a body with a bad entry
 * calls fn never.
 */
#include "s3_list.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZF_XML_MAX_DEPTH 64
#define ZF_XML_MAX_VALUE (64 * 1024)
#define ZF_XML_MAX_BODY ((size_t)64 << 20)

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser(); /* once, before threads parse at once */
}

/* Parses xml[0..len) into a tree, refusing a DOCTYPE (and so any entity it
 * could define).  XML_PARSE_HUGE lifts libxml2's 10 MB bound on one text
 * node; the body's size is bounded here instead. */
static xmlDoc *parse(const char *xml, size_t len, int recover, zf_code *rc,
                     zf_err *err)
{
    *rc = ZF_EIO;
    if (!xml || !len)
        return zf_err_set(err, ZF_EIO, "empty XML body"), NULL;
    if (len > ZF_XML_MAX_BODY)
        return zf_err_set(err, ZF_EIO, "XML body larger than %zu bytes",
                          ZF_XML_MAX_BODY), NULL;
    pthread_once(&xml_once, xml_init);
    xmlParserCtxt *ctx = xmlNewParserCtxt();
    if (!ctx)
        return *rc = zf_err_set(err, ZF_ENOMEM, "out of memory"), NULL;
    xmlDoc *doc = xmlCtxtReadMemory(ctx, xml, (int)len, NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR |
                                        XML_PARSE_NOWARNING | XML_PARSE_HUGE |
                                        (recover ? XML_PARSE_RECOVER : 0));
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctx);
        char why[200];
        snprintf(why, sizeof why, "%s", e && e->message ? e->message
                                                        : "no document");
        why[strcspn(why, "\n")] = 0;
        zf_err_set(err, ZF_EIO, "malformed XML (line %d: %s)", e ? e->line : 0,
                   why);
    } else if (doc->intSubset || doc->extSubset) {
        zf_err_set(err, ZF_EIO, "an XML body with a DOCTYPE (refused)");
        xmlFreeDoc(doc);
        doc = NULL;
    }
    xmlFreeParserCtxt(ctx);
    if (doc)
        *rc = ZF_OK;
    return doc;
}

static int is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* The text of a leaf element (malloc'd), or NULL with err set: an element
 * inside it, or a value over the bound. */
static char *text_of(const xmlNode *n, zf_err *err)
{
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE || c->type == XML_ENTITY_REF_NODE)
            return zf_err_set(err, ZF_EIO, "<%s> holds markup", n->name), NULL;
    char *v = (char *)xmlNodeGetContent(n);
    if (!v)
        return zf_err_set(err, ZF_ENOMEM, "out of memory"), NULL;
    if (strlen(v) > ZF_XML_MAX_VALUE) {
        xmlFree(v);
        return zf_err_set(err, ZF_EIO, "<%s> longer than %d bytes", n->name,
                          ZF_XML_MAX_VALUE), NULL;
    }
    char *r = strdup(v);
    xmlFree(v);
    if (!r)
        zf_err_set(err, ZF_ENOMEM, "out of memory");
    return r;
}

/* v without blanks at both ends, in place. */
static char *trim(char *v)
{
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    size_t l = strlen(v);
    while (l && (v[l - 1] == ' ' || v[l - 1] == '\t' || v[l - 1] == '\n' ||
                 v[l - 1] == '\r'))
        v[--l] = 0;
    return v;
}

/* Decimal digits only, at most UINT64_MAX. */
static int parse_u64(const char *v, uint64_t *out)
{
    uint64_t x = 0;
    if (!*v)
        return 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return 0;
        unsigned d = (unsigned)(*v - '0');
        if (x > (UINT64_MAX - d) / 10)
            return 0;
        x = x * 10 + d;
    }
    *out = x;
    return 1;
}

static int hexv(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Undoes encoding-type=url in place ('+' is a space); 0 for a bad or NUL
 * escape. */
static int url_decode(char *s)
{
    char *w = s;
    for (const char *p = s; *p; p++) {
        if (*p == '+') {
            *w++ = ' ';
        } else if (*p == '%') {
            int h = hexv(p[1]), l = h < 0 ? -1 : hexv(p[2]);
            if (l < 0 || (h | l) == 0)
                return 0;
            *w++ = (char)(h << 4 | l);
            p += 2;
        } else {
            *w++ = *p;
        }
    }
    *w = 0;
    return 1;
}

typedef struct walk {
    int urlenc;
    void (*fn)(void *, const char *, uint64_t, int);
    void *arg;
    zf_err *err;
} walk;

/* The single child element `name` of n (*out malloc'd text), 0 when none;
 * -1 with err set when repeated or bad. */
static int child_text(const xmlNode *n, const char *name, char **out, zf_err *err)
{
    *out = NULL;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (!is(c, name))
            continue;
        if (*out) {
            free(*out);
            *out = NULL;
            return zf_err_set(err, ZF_EIO, "<%s> with two <%s>", n->name, name), -1;
        }
        if (!(*out = text_of(c, err)))
            return -1;
    }
    return *out != NULL;
}

/* A <Contents> (its Key and Size) or <CommonPrefixes> (its Prefix). */
static zf_code entry(walk *w, const xmlNode *n, int is_prefix)
{
    char *key = NULL, *size = NULL;
    uint64_t sz = 0;
    zf_code c = ZF_EIO;
    int k = child_text(n, is_prefix ? "Prefix" : "Key", &key, w->err);
    int s = is_prefix ? 1 : child_text(n, "Size", &size, w->err);
    if (k < 0 || s < 0)
        goto out;
    if (!k || !s)
        zf_err_set(w->err, ZF_EIO, "<%s> without <%s>", n->name,
                   !k ? (is_prefix ? "Prefix" : "Key") : "Size");
    else if (size && !parse_u64(trim(size), &sz))
        zf_err_set(w->err, ZF_EIO, "bad <Size> \"%.40s\"", size);
    else if (w->urlenc && !url_decode(key))
        zf_err_set(w->err, ZF_EIO, "bad URL encoding in \"%.80s\"", key);
    else if (!key[0])
        zf_err_set(w->err, ZF_EIO, "an empty key in a listing");
    else {
        if (w->fn)
            w->fn(w->arg, key, sz, is_prefix);
        c = ZF_OK;
    }
out:
    free(key);
    free(size);
    return c;
}

/* Depth of the element tree below n, bounded: 0 when deeper than max. */
static int depth_ok(const xmlNode *n, int max)
{
    if (max < 0)
        return 0;
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !depth_ok(c, max - 1))
            return 0;
    return 1;
}

/* The listing's own fields: IsTruncated, NextContinuationToken and
 * EncodingType. */
static zf_code head_fields(walk *w, const xmlNode *root, int *truncated,
                           char **token)
{
    char *t = NULL, *enc = NULL;
    zf_code c = ZF_EIO;
    if (child_text(root, "IsTruncated", &t, w->err) < 0 ||
        child_text(root, "NextContinuationToken", token, w->err) < 0 ||
        child_text(root, "EncodingType", &enc, w->err) < 0)
        goto out;
    char *tv = t ? trim(t) : "false";
    if (strcmp(tv, "true") && strcmp(tv, "false")) {
        zf_err_set(w->err, ZF_EIO, "bad <IsTruncated> \"%.40s\"", tv);
        goto out;
    }
    /* versitygw sends an empty <EncodingType/> when none was asked for */
    if (enc && *trim(enc) && strcmp(trim(enc), "url")) {
        zf_err_set(w->err, ZF_EIO, "unknown <EncodingType> \"%.40s\"", enc);
        goto out;
    }
    *truncated = !strcmp(tv, "true");
    w->urlenc = enc && *trim(enc);
    if (*truncated && (!*token || !**token))
        zf_err_set(w->err, ZF_EIO, "a truncated listing without a "
                   "<NextContinuationToken>");
    else
        c = ZF_OK;
out:
    free(t);
    free(enc);
    return c;
}

static zf_code entries(walk *w, const xmlNode *root)
{
    for (const xmlNode *n = root->children; n; n = n->next) {
        int p = is(n, "CommonPrefixes");
        if (!p && !is(n, "Contents"))
            continue;
        zf_code c = entry(w, n, p);
        if (c != ZF_OK)
            return c;
    }
    return ZF_OK;
}

/* The <Code> and <Message> of an <Error> root. */
static void error_fields(const xmlNode *root, char *code, size_t csize,
                         char *msg, size_t msize)
{
    char *c = NULL, *m = NULL;
    if (child_text(root, "Code", &c, NULL) > 0)
        snprintf(code, csize, "%s", trim(c));
    if (child_text(root, "Message", &m, NULL) > 0)
        snprintf(msg, msize, "%s", trim(m));
    free(c);
    free(m);
}

static zf_code walk_root(walk *w, const xmlNode *root, int *truncated,
                         char **token)
{
    if (is(root, "Error")) {
        char code[128] = "", msg[512] = "";
        error_fields(root, code, sizeof code, msg, sizeof msg);
        return zf_err_set(w->err, ZF_EIO, "S3 error %s: %s", code, msg);
    }
    if (!is(root, "ListBucketResult"))
        return zf_err_set(w->err, ZF_EIO, "<%s> where <ListBucketResult> was "
                          "due", root->name);
    if (!depth_ok(root, ZF_XML_MAX_DEPTH - 1))
        return zf_err_set(w->err, ZF_EIO, "XML nested deeper than %d levels",
                          ZF_XML_MAX_DEPTH);
    zf_code c = head_fields(w, root, truncated, token);
    void (*fn)(void *, const char *, uint64_t, int) = w->fn;
    w->fn = NULL; /* check every entry first */
    if (c == ZF_OK)
        c = entries(w, root);
    w->fn = fn;
    if (c == ZF_OK && fn)
        c = entries(w, root);
    return c;
}

zf_code zf_s3_list_parse(const char *xml, size_t len,
                         void (*fn)(void *arg, const char *key, uint64_t size,
                                    int is_prefix),
                         void *arg, int *truncated, char **next_token,
                         zf_err *err)
{
    int trunc = 0;
    char *token = NULL;
    if (truncated)
        *truncated = 0;
    if (next_token)
        *next_token = NULL;
    zf_code c;
    xmlDoc *doc = parse(xml, len, 0, &c, err);
    if (!doc)
        return c;
    walk w = {0, fn, arg, err};
    c = walk_root(&w, xmlDocGetRootElement(doc), &trunc, &token);
    xmlFreeDoc(doc);
    if (c != ZF_OK) {
        free(token);
        return c;
    }
    if (truncated)
        *truncated = trunc;
    if (next_token)
        *next_token = token;
    else
        free(token);
    return ZF_OK;
}

void zf_s3_error_code(const char *body, size_t len, char *code, size_t csize,
                      char *msg, size_t msize)
{
    code[0] = msg[0] = 0;
    if (!body || !len)
        return;
    zf_code c;
    xmlDoc *doc = parse(body, len, 1, &c, NULL); /* the start of a body */
    if (!doc)
        return;
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (root && is(root, "Error"))
        error_fields(root, code, csize, msg, msize);
    xmlFreeDoc(doc);
}
