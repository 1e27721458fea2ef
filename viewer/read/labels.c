/* labels.c - Prometheus label set parsing: base{k="v",...} */
#include "read/labels.h"

#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

static char *dup_range(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) abort();
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int is_key_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_key_char(char c) { return is_key_start(c) || (c >= '0' && c <= '9'); }

/* Decodes one quoted value starting after the opening quote. Returns the
   position after the closing quote, or NULL on bad syntax. */
static const char *parse_value(const char *p, char **out)
{
    size_t cap = strlen(p) + 1, n = 0;
    char *v = malloc(cap);
    if (!v) abort();
    for (;;) {
        char c = *p++;
        if (c == '\0') { free(v); return NULL; }
        if (c == '"') break;
        if (c == '\\') {
            char e = *p++;
            if (e == '\\') c = '\\';
            else if (e == '"') c = '"';
            else if (e == 'n') c = '\n';
            else { free(v); return NULL; }
        }
        v[n++] = c;
    }
    v[n] = '\0';
    *out = v;
    return p;
}

int pmv_labels_parse(const char *name, char **base, pmv_label **labels, char **raw)
{
    const char *brace = strchr(name, '{');
    pmv_label *ls = NULL;
    *labels = NULL;
    if (!brace) goto unsplit;

    const char *p = brace + 1;
    while (*p != '}') {
        if (!is_key_start(*p)) goto bad;
        const char *k = p;
        while (is_key_char(*p)) p++;
        pmv_label l = { dup_range(k, (size_t)(p - k)), NULL };
        if (p[0] != '=' || p[1] != '"') { free(l.key); goto bad; }
        p = parse_value(p + 2, &l.value);
        if (!p) { free(l.key); goto bad; }
        arrput(ls, l);
        if (*p == ',') {
            p++;
            if (*p == '}') break; /* Prometheus allows a trailing comma */
        } else if (*p != '}') {
            goto bad;
        }
    }
    if (p[1] != '\0' || brace == name) goto bad; /* text after '}' or no base */
    *base = dup_range(name, (size_t)(brace - name));
    *raw = dup_range(brace + 1, (size_t)(p - brace - 1));
    *labels = ls;
    return 1;

bad:
    pmv_labels_free(ls);
unsplit:
    *base = dup_range(name, strlen(name));
    *raw = dup_range("", 0);
    return 0;
}

void pmv_labels_free(pmv_label *labels)
{
    for (ptrdiff_t i = 0; i < arrlen(labels); i++) {
        free(labels[i].key);
        free(labels[i].value);
    }
    arrfree(labels);
}
