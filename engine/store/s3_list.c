/*
 * s3_list.c - ListObjectsV2 bodies; see s3_list.h.
 *
 * One pass over the bytes: a stack of open element names (pointers into the
 * body), a "capture" of the text of the leaf element being read (Key, Size,
 * Prefix, IsTruncated, NextContinuationToken, EncodingType, Code, Message),
 * and a table of the entries found.  The entries are handed to fn only once
 * the whole body has been read without error.
 */
#include "s3_list.h"

#include <stdlib.h>
#include <string.h>

#define ZF_XML_MAX_DEPTH 64
#define ZF_XML_MAX_VALUE (64 * 1024)

enum field {
    F_NONE,
    F_KEY,
    F_SIZE,
    F_PREFIX,
    F_TRUNC,
    F_TOKEN,
    F_ENC,
    F_CODE,
    F_MSG
};

typedef struct entry {
    char *key;
    uint64_t size;
    int is_prefix;
} entry;

typedef struct val {
    char *p;
    size_t len, cap;
} val;

typedef struct parser {
    const char *p, *end, *base;
    zf_err *err;
    zf_code rc;
    /* open elements */
    const char *name[ZF_XML_MAX_DEPTH];
    size_t nlen[ZF_XML_MAX_DEPTH];
    int depth;
    int root; /* 0 none yet, 1 ListBucketResult, 2 Error */
    int root_done;
    /* the element whose text is captured */
    enum field cap;
    int cap_depth;
    val text;
    /* inside <Contents> / <CommonPrefixes> */
    int in_contents, in_prefixes;
    char *cur_key;
    uint64_t cur_size;
    int have_size;
    /* results */
    entry *ent;
    size_t nent, cent;
    int truncated, have_trunc, url;
    char *token, *code, *msg;
} parser;

static zf_code fail(parser *ps, const char *what)
{
    if (ps->rc == ZF_OK)
        ps->rc = zf_err_set(ps->err, ZF_EIO,
                            "S3 listing: malformed XML at byte %zu: %s",
                            (size_t)(ps->p - ps->base), what);
    return ps->rc;
}

/* An error about the document as a whole (no byte position). */
static zf_code fail_doc(parser *ps, const char *what)
{
    if (ps->rc == ZF_OK)
        ps->rc = zf_err_set(ps->err, ZF_EIO, "S3 listing: %s", what);
    return ps->rc;
}

static zf_code oom(parser *ps)
{
    if (ps->rc == ZF_OK)
        ps->rc = zf_err_set(ps->err, ZF_ENOMEM, "S3 listing: out of memory");
    return ps->rc;
}

static int val_add(parser *ps, const char *p, size_t n)
{
    val *v = &ps->text;
    if (v->len + n > ZF_XML_MAX_VALUE) {
        fail(ps, "a value longer than 64 KiB");
        return -1;
    }
    if (v->len + n + 1 > v->cap) {
        size_t cap = v->cap ? v->cap : 128;
        while (cap < v->len + n + 1)
            cap *= 2;
        char *q = realloc(v->p, cap);
        if (!q) {
            oom(ps);
            return -1;
        }
        v->p = q;
        v->cap = cap;
    }
    memcpy(v->p + v->len, p, n);
    v->len += n;
    v->p[v->len] = 0;
    return 0;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* XML 1.0 Char: tab, LF, CR and >= 0x20 (bytes >= 0x80 are UTF-8, passed
 * through). */
static int is_xml_char(unsigned char c)
{
    return c >= 0x20 || c == '\t' || c == '\n' || c == '\r';
}

static int is_name_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           c == ':' || c >= 0x80;
}

static int is_name_char(unsigned char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* The local part of an element name (after any "prefix:") equals s. */
static int local_is(const char *name, size_t n, const char *s)
{
    const char *c = memchr(name, ':', n);
    while (c) {
        n -= (size_t)(c + 1 - name);
        name = c + 1;
        c = memchr(name, ':', n);
    }
    return strlen(s) == n && memcmp(name, s, n) == 0;
}

/* Reads a name at ps->p; returns its length (0 if none). */
static size_t read_name(parser *ps)
{
    const char *s = ps->p;
    if (s >= ps->end || !is_name_start((unsigned char)*s))
        return 0;
    while (s < ps->end && is_name_char((unsigned char)*s))
        s++;
    size_t n = (size_t)(s - ps->p);
    ps->p = s;
    return n;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && is_ws(*ps->p))
        ps->p++;
}

/* Finds `pat` from ps->p; moves past it, or fails with `what`. */
static int skip_past(parser *ps, const char *pat, const char *what)
{
    size_t n = strlen(pat);
    const char *f = memmem(ps->p, (size_t)(ps->end - ps->p), pat, n);
    if (!f) {
        ps->p = ps->end;
        fail(ps, what);
        return -1;
    }
    for (const char *q = ps->p; q < f; q++)
        if (!is_xml_char((unsigned char)*q)) {
            ps->p = q;
            fail(ps, "a control character");
            return -1;
        }
    ps->p = f + n;
    return 0;
}

static int utf8(unsigned long cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the reference at ps->p ('&'); appends it when keep. */
static int entity(parser *ps, int keep)
{
    const char *s = ps->p + 1;
    const char *semi = NULL;
    for (const char *q = s; q < ps->end && q < s + 12; q++)
        if (*q == ';') {
            semi = q;
            break;
        }
    if (!semi) {
        fail(ps, "an unterminated '&' reference");
        return -1;
    }
    size_t n = (size_t)(semi - s);
    char buf[4];
    int blen = 0;
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'},
                 {"apos", '\''}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strlen(named[i].name) == n && memcmp(s, named[i].name, n) == 0) {
            buf[0] = named[i].c;
            blen = 1;
        }
    if (!blen && n >= 2 && s[0] == '#') {
        int hex = s[1] == 'x';
        const char *d = s + 1 + hex, *e = semi;
        unsigned long cp = 0;
        if (d == e) {
            fail(ps, "an empty character reference");
            return -1;
        }
        for (; d < e; d++) {
            int v;
            if (*d >= '0' && *d <= '9')
                v = *d - '0';
            else if (hex && *d >= 'a' && *d <= 'f')
                v = *d - 'a' + 10;
            else if (hex && *d >= 'A' && *d <= 'F')
                v = *d - 'A' + 10;
            else {
                fail(ps, "a bad character reference");
                return -1;
            }
            cp = cp * (hex ? 16 : 10) + (unsigned long)v;
            if (cp > 0x10ffff) {
                fail(ps, "a character reference out of range");
                return -1;
            }
        }
        if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff) {
            fail(ps, "a character reference to a forbidden character");
            return -1;
        }
        blen = utf8(cp, buf);
    }
    if (!blen) {
        fail(ps, "an unknown entity");
        return -1;
    }
    ps->p = semi + 1;
    return keep ? val_add(ps, buf, (size_t)blen) : 0;
}

/* Character data up to the next '<'. */
static int text(parser *ps)
{
    int keep = ps->cap != F_NONE && ps->cap_depth == ps->depth;
    while (ps->p < ps->end && *ps->p != '<') {
        const char *s = ps->p;
        while (ps->p < ps->end && *ps->p != '<' && *ps->p != '&') {
            unsigned char c = (unsigned char)*ps->p;
            if (!is_xml_char(c)) {
                fail(ps, "a control character");
                return -1;
            }
            if (ps->depth == 0 && !is_ws((char)c)) {
                fail(ps, "text outside the root element");
                return -1;
            }
            ps->p++;
        }
        if (keep && ps->p > s && val_add(ps, s, (size_t)(ps->p - s)))
            return -1;
        if (ps->p < ps->end && *ps->p == '&') {
            if (ps->depth == 0) {
                fail(ps, "text outside the root element");
                return -1;
            }
            if (entity(ps, keep))
                return -1;
        }
    }
    return 0;
}

static void start_capture(parser *ps, enum field f)
{
    ps->cap = f;
    ps->cap_depth = ps->depth;
    ps->text.len = 0;
}

/* The element just pushed (at ps->depth) opens. */
static int open_elem(parser *ps)
{
    int d = ps->depth;
    const char *nm = ps->name[d - 1];
    size_t n = ps->nlen[d - 1];
    if (ps->cap != F_NONE) {
        fail(ps, "an element inside a value");
        return -1;
    }
    if (d == 1) {
        if (ps->root_done) {
            fail(ps, "a second root element");
            return -1;
        }
        if (local_is(nm, n, "ListBucketResult"))
            ps->root = 1;
        else if (local_is(nm, n, "Error"))
            ps->root = 2;
        else {
            fail(ps, "the root element is not <ListBucketResult>");
            return -1;
        }
        return 0;
    }
    if (ps->root == 2) {
        if (d == 2 && local_is(nm, n, "Code"))
            start_capture(ps, F_CODE);
        else if (d == 2 && local_is(nm, n, "Message"))
            start_capture(ps, F_MSG);
        return 0;
    }
    if (d == 2) {
        if (local_is(nm, n, "Contents")) {
            ps->in_contents = 1;
            ps->have_size = 0;
        } else if (local_is(nm, n, "CommonPrefixes")) {
            ps->in_prefixes = 1;
        } else if (local_is(nm, n, "IsTruncated")) {
            if (ps->have_trunc) {
                fail(ps, "<IsTruncated> twice");
                return -1;
            }
            start_capture(ps, F_TRUNC);
        } else if (local_is(nm, n, "NextContinuationToken")) {
            if (ps->token) {
                fail(ps, "<NextContinuationToken> twice");
                return -1;
            }
            start_capture(ps, F_TOKEN);
        } else if (local_is(nm, n, "EncodingType")) {
            start_capture(ps, F_ENC);
        }
    } else if (d == 3 && ps->in_contents) {
        if (local_is(nm, n, "Key")) {
            if (ps->cur_key) {
                fail(ps, "<Key> twice in <Contents>");
                return -1;
            }
            start_capture(ps, F_KEY);
        } else if (local_is(nm, n, "Size")) {
            if (ps->have_size) {
                fail(ps, "<Size> twice in <Contents>");
                return -1;
            }
            start_capture(ps, F_SIZE);
        }
    } else if (d == 3 && ps->in_prefixes) {
        if (local_is(nm, n, "Prefix")) {
            if (ps->cur_key) {
                fail(ps, "<Prefix> twice in <CommonPrefixes>");
                return -1;
            }
            start_capture(ps, F_PREFIX);
        }
    }
    return 0;
}

static char *dup_text(parser *ps)
{
    char *s = malloc(ps->text.len + 1);
    if (!s) {
        oom(ps);
        return NULL;
    }
    if (ps->text.len)
        memcpy(s, ps->text.p, ps->text.len);
    s[ps->text.len] = 0;
    return s;
}

/* text.p[0..len) trimmed of XML white space, as (start, n). */
static const char *trimmed(parser *ps, size_t *n)
{
    const char *s = ps->text.p ? ps->text.p : "";
    size_t len = ps->text.len;
    while (len && is_ws(*s)) {
        s++;
        len--;
    }
    while (len && is_ws(s[len - 1]))
        len--;
    *n = len;
    return s;
}

static int push_entry(parser *ps, char *key, uint64_t size, int is_prefix)
{
    if (ps->nent == ps->cent) {
        size_t c = ps->cent ? ps->cent * 2 : 64;
        entry *e = realloc(ps->ent, c * sizeof *e);
        if (!e) {
            free(key);
            oom(ps);
            return -1;
        }
        ps->ent = e;
        ps->cent = c;
    }
    ps->ent[ps->nent].key = key;
    ps->ent[ps->nent].size = size;
    ps->ent[ps->nent].is_prefix = is_prefix;
    ps->nent++;
    return 0;
}

/* The captured value of the element closing now. */
static int end_capture(parser *ps)
{
    enum field f = ps->cap;
    ps->cap = F_NONE;
    ps->cap_depth = 0;
    size_t n;
    const char *t;
    switch (f) {
    case F_KEY:
    case F_PREFIX:
        if (memchr(ps->text.p ? ps->text.p : "", 0, ps->text.len)) {
            fail(ps, "a NUL in a key");
            return -1;
        }
        return (ps->cur_key = dup_text(ps)) ? 0 : -1;
    case F_SIZE: {
        t = trimmed(ps, &n);
        uint64_t v = 0;
        if (n == 0) {
            fail(ps, "an empty <Size>");
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            if (t[i] < '0' || t[i] > '9') {
                fail(ps, "a <Size> that is not a number");
                return -1;
            }
            unsigned d = (unsigned)(t[i] - '0');
            if (v > (UINT64_MAX - d) / 10) {
                fail(ps, "a <Size> too large");
                return -1;
            }
            v = v * 10 + d;
        }
        ps->cur_size = v;
        ps->have_size = 1;
        return 0;
    }
    case F_TRUNC:
        t = trimmed(ps, &n);
        if (n == 4 && memcmp(t, "true", 4) == 0)
            ps->truncated = 1;
        else if (n == 5 && memcmp(t, "false", 5) == 0)
            ps->truncated = 0;
        else {
            fail(ps, "<IsTruncated> is neither true nor false");
            return -1;
        }
        ps->have_trunc = 1;
        return 0;
    case F_TOKEN:
        if (ps->text.len == 0 ||
            memchr(ps->text.p, 0, ps->text.len)) {
            fail(ps, "an empty <NextContinuationToken>");
            return -1;
        }
        return (ps->token = dup_text(ps)) ? 0 : -1;
    case F_ENC:
        t = trimmed(ps, &n);
        if (n == 3 && memcmp(t, "url", 3) == 0)
            ps->url = 1;
        else {
            fail(ps, "an unknown <EncodingType>");
            return -1;
        }
        return 0;
    case F_CODE:
        free(ps->code);
        return (ps->code = dup_text(ps)) ? 0 : -1;
    case F_MSG:
        free(ps->msg);
        return (ps->msg = dup_text(ps)) ? 0 : -1;
    case F_NONE:
        break;
    }
    return 0;
}

/* The element at ps->depth closes (before it is popped). */
static int close_elem(parser *ps)
{
    int d = ps->depth;
    if (ps->cap != F_NONE && ps->cap_depth == d && end_capture(ps))
        return -1;
    if (d == 1) {
        ps->root_done = 1;
    } else if (d == 2 && ps->root == 1 && ps->in_contents) {
        ps->in_contents = 0;
        if (!ps->cur_key || !ps->have_size) {
            fail(ps, "a <Contents> without <Key> or <Size>");
            return -1;
        }
        char *k = ps->cur_key;
        ps->cur_key = NULL;
        return push_entry(ps, k, ps->cur_size, 0);
    } else if (d == 2 && ps->root == 1 && ps->in_prefixes) {
        ps->in_prefixes = 0;
        if (!ps->cur_key) {
            fail(ps, "a <CommonPrefixes> without <Prefix>");
            return -1;
        }
        char *k = ps->cur_key;
        ps->cur_key = NULL;
        return push_entry(ps, k, 0, 1);
    }
    return 0;
}

/* Attributes up to '>' or "/>"; sets *empty for "/>". */
static int attributes(parser *ps, int *empty)
{
    for (;;) {
        int had_ws = ps->p < ps->end && is_ws(*ps->p);
        skip_ws(ps);
        if (ps->p >= ps->end) {
            fail(ps, "the document ends inside a tag");
            return -1;
        }
        if (*ps->p == '>') {
            ps->p++;
            *empty = 0;
            return 0;
        }
        if (*ps->p == '/') {
            if (ps->p + 1 < ps->end && ps->p[1] == '>') {
                ps->p += 2;
                *empty = 1;
                return 0;
            }
            fail(ps, "a '/' inside a tag");
            return -1;
        }
        if (!had_ws || !read_name(ps)) {
            fail(ps, "a bad attribute");
            return -1;
        }
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '=') {
            fail(ps, "an attribute without '='");
            return -1;
        }
        ps->p++;
        skip_ws(ps);
        if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\'')) {
            fail(ps, "an attribute value without quotes");
            return -1;
        }
        char q = *ps->p++;
        while (ps->p < ps->end && *ps->p != q) {
            if (*ps->p == '<' || !is_xml_char((unsigned char)*ps->p)) {
                fail(ps, "a bad character in an attribute value");
                return -1;
            }
            if (*ps->p == '&') {
                if (entity(ps, 0))
                    return -1;
            } else {
                ps->p++;
            }
        }
        if (ps->p >= ps->end) {
            fail(ps, "the document ends inside an attribute value");
            return -1;
        }
        ps->p++;
    }
}

/* One markup construct at ps->p ('<'). */
static int markup(parser *ps)
{
    const char *s = ps->p;
    size_t left = (size_t)(ps->end - s);
    if (left >= 2 && s[1] == '?') {
        ps->p += 2;
        return skip_past(ps, "?>", "an unterminated <? ... ?>");
    }
    if (left >= 4 && memcmp(s, "<!--", 4) == 0) {
        ps->p += 4;
        return skip_past(ps, "-->", "an unterminated comment");
    }
    if (left >= 9 && memcmp(s, "<![CDATA[", 9) == 0) {
        if (ps->depth == 0) {
            fail(ps, "CDATA outside the root element");
            return -1;
        }
        ps->p += 9;
        const char *start = ps->p;
        if (skip_past(ps, "]]>", "an unterminated CDATA section"))
            return -1;
        if (ps->cap != F_NONE && ps->cap_depth == ps->depth)
            return val_add(ps, start, (size_t)(ps->p - 3 - start));
        return 0;
    }
    if (left >= 2 && s[1] == '!') {
        fail(ps, "a DOCTYPE or declaration (not allowed)");
        return -1;
    }
    if (left >= 2 && s[1] == '/') {
        ps->p += 2;
        const char *nm = ps->p;
        size_t n = read_name(ps);
        if (!n) {
            fail(ps, "a bad closing tag");
            return -1;
        }
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '>') {
            fail(ps, "a bad closing tag");
            return -1;
        }
        ps->p++;
        if (ps->depth == 0 || ps->nlen[ps->depth - 1] != n ||
            memcmp(ps->name[ps->depth - 1], nm, n) != 0) {
            ps->p = nm;
            fail(ps, "a closing tag that does not match");
            return -1;
        }
        if (close_elem(ps))
            return -1;
        ps->depth--;
        return 0;
    }
    ps->p++;
    const char *nm = ps->p;
    size_t n = read_name(ps);
    if (!n) {
        fail(ps, "a bad tag");
        return -1;
    }
    if (ps->depth >= ZF_XML_MAX_DEPTH) {
        fail(ps, "elements nested too deep");
        return -1;
    }
    int empty = 0;
    if (attributes(ps, &empty))
        return -1;
    ps->name[ps->depth] = nm;
    ps->nlen[ps->depth] = n;
    ps->depth++;
    if (open_elem(ps))
        return -1;
    if (empty) {
        if (close_elem(ps))
            return -1;
        ps->depth--;
    }
    return 0;
}

/* Undoes the URL encoding of S3's encoding-type=url ('+' is a space). */
static int url_decode(parser *ps, char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%' && p[1] && p[2]) {
            int v = 0;
            for (int i = 1; i <= 2; i++) {
                char c = p[i];
                int h = (c >= '0' && c <= '9')   ? c - '0'
                        : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                        : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                 : -1;
                if (h < 0) {
                    fail_doc(ps, "a bad %-escape in a url-encoded key");
                    return -1;
                }
                v = v * 16 + h;
            }
            if (v == 0) {
                fail_doc(ps, "a NUL in a key");
                return -1;
            }
            *o++ = (char)v;
            p += 2;
        } else if (*p == '%') {
            fail_doc(ps, "a bad %-escape in a url-encoded key");
            return -1;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return 0;
}

zf_code zf_s3_list_parse(const char *xml, size_t len,
                         void (*fn)(void *arg, const char *key, uint64_t size,
                                    int is_prefix),
                         void *arg, int *truncated, char **next_token,
                         zf_err *err)
{
    if (truncated)
        *truncated = 0;
    if (next_token)
        *next_token = NULL;
    if (!xml && len)
        return zf_err_set(err, ZF_EINVAL, "S3 listing: no body");
    parser *ps = calloc(1, sizeof *ps);
    if (!ps)
        return zf_err_set(err, ZF_ENOMEM, "S3 listing: out of memory");
    ps->base = ps->p = xml ? xml : "";
    ps->end = ps->p + len;
    ps->err = err;

    /* A UTF-8 byte order mark may open the document. */
    if (len >= 3 && memcmp(xml, "\xef\xbb\xbf", 3) == 0)
        ps->p += 3;
    while (ps->rc == ZF_OK && ps->p < ps->end) {
        if (*ps->p == '<') {
            if (ps->depth == 0 && ps->root_done && ps->p + 1 < ps->end &&
                ps->p[1] != '?' && ps->p[1] != '!') {
                fail(ps, "content after the root element");
                break;
            }
            markup(ps);
        } else {
            text(ps);
        }
    }
    if (ps->rc == ZF_OK && (!ps->root_done || ps->depth != 0))
        fail(ps, ps->root ? "the document ends before its root element "
                            "closes (truncated?)"
                          : "no root element");
    if (ps->rc == ZF_OK && ps->root == 2)
        ps->rc = zf_err_set(err, ZF_EIO, "S3 error %s: %s",
                            ps->code ? ps->code : "(no code)",
                            ps->msg ? ps->msg : "(no message)");
    if (ps->rc == ZF_OK && ps->truncated && !ps->token)
        fail_doc(ps, "a truncated listing without <NextContinuationToken>");
    for (size_t i = 0; ps->rc == ZF_OK && i < ps->nent; i++) {
        if (ps->url && url_decode(ps, ps->ent[i].key))
            break;
        if (!ps->ent[i].key[0])
            fail_doc(ps, "an empty key");
    }
    if (ps->rc == ZF_OK) {
        for (size_t i = 0; i < ps->nent; i++)
            if (fn)
                fn(arg, ps->ent[i].key, ps->ent[i].size, ps->ent[i].is_prefix);
        if (truncated)
            *truncated = ps->truncated;
        if (next_token) {
            *next_token = ps->token;
            ps->token = NULL;
        }
    }

    zf_code rc = ps->rc;
    for (size_t i = 0; i < ps->nent; i++)
        free(ps->ent[i].key);
    free(ps->ent);
    free(ps->cur_key);
    free(ps->text.p);
    free(ps->token);
    free(ps->code);
    free(ps->msg);
    free(ps);
    return rc;
}
