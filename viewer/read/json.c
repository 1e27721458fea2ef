/* json.c - bounded recursive-descent JSON parser */
#include "read/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

typedef struct parser {
    const char *s;
    size_t n, i;
    char *err;
    size_t errlen;
    int failed;
} parser;

static void fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(parser *p, const char *fmt, ...)
{
    if (p->failed) return;
    p->failed = 1;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->errlen) snprintf(p->err, p->errlen, "offset %zu: %s", p->i, msg);
}

static void skip_ws(parser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
                           p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static int peek(parser *p) { return p->i < p->n ? (unsigned char)p->s[p->i] : -1; }

static void free_value(pmv_json *v)
{
    if (v->type == PMV_JSON_STRING) free(v->str);
    for (ptrdiff_t i = 0; i < arrlen(v->items); i++) free_value(&v->items[i]);
    arrfree(v->items);
    for (ptrdiff_t i = 0; i < arrlen(v->keys); i++) free(v->keys[i]);
    arrfree(v->keys);
}

static int hex4(parser *p, unsigned *out)
{
    if (p->n - p->i < 4) { fail(p, "short \\u escape"); return -1; }
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else { fail(p, "bad hex digit in \\u escape"); return -1; }
    }
    *out = v;
    return 0;
}

static void put_utf8(char **buf, unsigned cp)
{
    if (cp < 0x80) { arrput(*buf, (char)cp); }
    else if (cp < 0x800) {
        arrput(*buf, (char)(0xC0 | (cp >> 6)));
        arrput(*buf, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        arrput(*buf, (char)(0xE0 | (cp >> 12)));
        arrput(*buf, (char)(0x80 | ((cp >> 6) & 0x3F)));
        arrput(*buf, (char)(0x80 | (cp & 0x3F)));
    } else {
        arrput(*buf, (char)(0xF0 | (cp >> 18)));
        arrput(*buf, (char)(0x80 | ((cp >> 12) & 0x3F)));
        arrput(*buf, (char)(0x80 | ((cp >> 6) & 0x3F)));
        arrput(*buf, (char)(0x80 | (cp & 0x3F)));
    }
}

/* After the opening quote. Returns a malloc'd string or NULL on error. */
static char *parse_string(parser *p, size_t *len)
{
    char *buf = NULL;
    for (;;) {
        if (p->i >= p->n) { fail(p, "unterminated string"); break; }
        unsigned char c = (unsigned char)p->s[p->i++];
        if (c == '"') {
            size_t n = (size_t)arrlen(buf);
            char *out = malloc(n + 1);
            if (!out) abort();
            if (n) memcpy(out, buf, n);
            out[n] = '\0';
            arrfree(buf);
            *len = n;
            return out;
        }
        if (c < 0x20) { p->i--; fail(p, "control character in string"); break; }
        if (c != '\\') { arrput(buf, (char)c); continue; }
        if (p->i >= p->n) { fail(p, "unterminated escape"); break; }
        char e = p->s[p->i++];
        switch (e) {
        case '"': arrput(buf, '"'); break;
        case '\\': arrput(buf, '\\'); break;
        case '/': arrput(buf, '/'); break;
        case 'b': arrput(buf, '\b'); break;
        case 'f': arrput(buf, '\f'); break;
        case 'n': arrput(buf, '\n'); break;
        case 'r': arrput(buf, '\r'); break;
        case 't': arrput(buf, '\t'); break;
        case 'u': {
            unsigned cp;
            if (hex4(p, &cp) != 0) goto bad;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p->n - p->i >= 6 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
                    p->i += 2;
                    if (hex4(p, &lo) != 0) goto bad;
                    if (lo >= 0xDC00 && lo <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    else { put_utf8(&buf, 0xFFFD); cp = lo >= 0xD800 && lo <= 0xDFFF ? 0xFFFD : lo; }
                } else {
                    cp = 0xFFFD; /* lone high surrogate */
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD; /* lone low surrogate */
            }
            put_utf8(&buf, cp);
            break;
        }
        default:
            p->i--;
            fail(p, "bad escape '\\%c'", e >= 0x20 && e < 0x7f ? e : '?');
            goto bad;
        }
    }
bad:
    arrfree(buf);
    return NULL;
}

static int parse_number(parser *p, double *out)
{
    size_t start = p->i;
    if (peek(p) == '-') p->i++;
    if (peek(p) == '0') p->i++;
    else if (peek(p) >= '1' && peek(p) <= '9') while (peek(p) >= '0' && peek(p) <= '9') p->i++;
    else { fail(p, "bad number"); return -1; }
    if (peek(p) == '.') {
        p->i++;
        if (!(peek(p) >= '0' && peek(p) <= '9')) { fail(p, "bad number: digits expected after '.'"); return -1; }
        while (peek(p) >= '0' && peek(p) <= '9') p->i++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->i++;
        if (peek(p) == '+' || peek(p) == '-') p->i++;
        if (!(peek(p) >= '0' && peek(p) <= '9')) { fail(p, "bad number: exponent digits expected"); return -1; }
        while (peek(p) >= '0' && peek(p) <= '9') p->i++;
    }
    char tmp[64];
    size_t len = p->i - start;
    if (len >= sizeof tmp) { /* a valid but absurdly long number */
        char *big = malloc(len + 1);
        if (!big) abort();
        memcpy(big, p->s + start, len);
        big[len] = '\0';
        *out = strtod(big, NULL);
        free(big);
    } else {
        memcpy(tmp, p->s + start, len);
        tmp[len] = '\0';
        *out = strtod(tmp, NULL);
    }
    return 0;
}

static int literal(parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->n - p->i < n || memcmp(p->s + p->i, word, n) != 0) { fail(p, "unexpected text"); return -1; }
    p->i += n;
    return 0;
}

static int parse_value(parser *p, pmv_json *v, int depth)
{
    memset(v, 0, sizeof *v);
    if (depth > PMV_JSON_MAX_DEPTH) { fail(p, "nested deeper than %d", PMV_JSON_MAX_DEPTH); return -1; }
    skip_ws(p);
    int c = peek(p);
    if (c < 0) { fail(p, "unexpected end of input"); return -1; }
    if (c == '{') {
        p->i++;
        v->type = PMV_JSON_OBJECT;
        skip_ws(p);
        if (peek(p) == '}') { p->i++; return 0; }
        for (;;) {
            skip_ws(p);
            if (peek(p) != '"') { fail(p, "object key expected"); return -1; }
            p->i++;
            size_t klen;
            char *key = parse_string(p, &klen);
            if (!key) return -1;
            arrput(v->keys, key);
            skip_ws(p);
            if (peek(p) != ':') { fail(p, "':' expected"); return -1; }
            p->i++;
            pmv_json item;
            int rc = parse_value(p, &item, depth + 1);
            arrput(v->items, item); /* even half-built: freed with v */
            if (rc != 0) return -1;
            skip_ws(p);
            if (peek(p) == ',') { p->i++; continue; }
            if (peek(p) == '}') { p->i++; return 0; }
            fail(p, "',' or '}' expected");
            return -1;
        }
    }
    if (c == '[') {
        p->i++;
        v->type = PMV_JSON_ARRAY;
        skip_ws(p);
        if (peek(p) == ']') { p->i++; return 0; }
        for (;;) {
            pmv_json item;
            int rc = parse_value(p, &item, depth + 1);
            arrput(v->items, item);
            if (rc != 0) return -1;
            skip_ws(p);
            if (peek(p) == ',') { p->i++; continue; }
            if (peek(p) == ']') { p->i++; return 0; }
            fail(p, "',' or ']' expected");
            return -1;
        }
    }
    if (c == '"') {
        p->i++;
        v->str = parse_string(p, &v->len);
        if (!v->str) return -1;
        v->type = PMV_JSON_STRING;
        return 0;
    }
    if (c == 't') { v->type = PMV_JSON_BOOL; v->boolean = 1; return literal(p, "true"); }
    if (c == 'f') { v->type = PMV_JSON_BOOL; return literal(p, "false"); }
    if (c == 'n') { v->type = PMV_JSON_NULL; return literal(p, "null"); }
    v->type = PMV_JSON_NUMBER;
    return parse_number(p, &v->number);
}

pmv_json *pmv_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    parser p = { text, len, 0, err, errlen, 0 };
    if (errlen) err[0] = '\0';
    if (len > PMV_JSON_MAX_BYTES) { fail(&p, "document larger than %u bytes", PMV_JSON_MAX_BYTES); return NULL; }
    pmv_json *root = malloc(sizeof *root);
    if (!root) abort();
    int rc = parse_value(&p, root, 0);
    if (rc == 0) {
        skip_ws(&p);
        if (p.i != p.n) { fail(&p, "text after the document"); rc = -1; }
    }
    if (rc != 0) {
        free_value(root);
        free(root);
        return NULL;
    }
    return root;
}

pmv_json *pmv_json_parse_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errlen, "%s", strerror(errno)); return NULL; }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            if (cap >= PMV_JSON_MAX_BYTES) {
                snprintf(err, errlen, "larger than %u bytes", PMV_JSON_MAX_BYTES);
                free(buf);
                fclose(f);
                return NULL;
            }
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap + 1);
            if (!nb) abort();
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { snprintf(err, errlen, "read error"); free(buf); return NULL; }
    pmv_json *root = pmv_json_parse(buf ? buf : "", n, err, errlen);
    free(buf);
    return root;
}

void pmv_json_free(pmv_json *root)
{
    if (!root) return;
    free_value(root);
    free(root);
}

const pmv_json *pmv_json_get(const pmv_json *v, const char *key)
{
    if (!v || v->type != PMV_JSON_OBJECT) return NULL;
    for (ptrdiff_t i = 0; i < arrlen(v->keys); i++)
        if (strcmp(v->keys[i], key) == 0) return &v->items[i];
    return NULL;
}

size_t pmv_json_count(const pmv_json *v)
{
    if (!v || (v->type != PMV_JSON_ARRAY && v->type != PMV_JSON_OBJECT)) return 0;
    return (size_t)arrlen(v->items);
}

const char *pmv_json_string(const pmv_json *v)
{
    return v && v->type == PMV_JSON_STRING ? v->str : NULL;
}

double pmv_json_number(const pmv_json *v)
{
    return v && v->type == PMV_JSON_NUMBER ? v->number : NAN;
}
