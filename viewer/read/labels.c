/* labels.c - Prometheus label set parsing: base{k="v",...} */
#include "read/labels.h"

#include <stdio.h>
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
   position after the closing quote, or NULL on bad syntax (why set). */
static const char *parse_value(const char *p, char **out, const char **why)
{
    size_t cap = strlen(p) + 1, n = 0;
    char *v = malloc(cap);
    if (!v) abort();
    for (;;) {
        char c = *p++;
        if (c == '\0') { free(v); *why = "unterminated quoted value (no closing '\"')"; return NULL; }
        if (c == '"') break;
        if (c == '\\') {
            char e = *p++;
            if (e == '\\') c = '\\';
            else if (e == '"') c = '"';
            else if (e == 'n') c = '\n';
            else { free(v); *why = "bad escape in a label value (only \\\\ \\\" \\n)"; return NULL; }
        }
        v[n++] = c;
    }
    v[n] = '\0';
    *out = v;
    return p;
}

int pmv_labels_parse_why(const char *name, char **base, pmv_label **labels, char **raw,
                         char *why, size_t whylen)
{
    const char *brace = strchr(name, '{');
    const char *reason = NULL;
    pmv_label *ls = NULL;
    *labels = NULL;
    if (!brace) goto unsplit;

    const char *p = brace + 1;
    while (*p != '}') {
        if (*p == '\0') { reason = "unbalanced braces (no closing '}')"; goto bad; }
        if (!is_key_start(*p)) { reason = "expected a label name (letters, digits, '_') after '{' or ','"; goto bad; }
        const char *k = p;
        while (is_key_char(*p)) p++;
        pmv_label l = { dup_range(k, (size_t)(p - k)), NULL };
        if (p[0] != '=' || p[1] != '"') {
            free(l.key);
            reason = "expected =\"value\" after a label name (values are quoted)";
            goto bad;
        }
        p = parse_value(p + 2, &l.value, &reason);
        if (!p) { free(l.key); goto bad; }
        arrput(ls, l);
        if (*p == ',') {
            p++;
            if (*p == '}') break; /* Prometheus allows a trailing comma */
        } else if (*p == '\0') {
            reason = "unbalanced braces (no closing '}')";
            goto bad;
        } else if (*p != '}') {
            reason = "expected ',' or '}' after a label value";
            goto bad;
        }
    }
    if (p[1] != '\0') { reason = "text after the closing '}'"; goto bad; }
    if (brace == name) { reason = "no name before '{'"; goto bad; }
    *base = dup_range(name, (size_t)(brace - name));
    *raw = dup_range(brace + 1, (size_t)(p - brace - 1));
    *labels = ls;
    return 1;

bad:
    pmv_labels_free(ls);
    if (why && whylen) snprintf(why, whylen, "%s", reason);
    *base = dup_range(name, strlen(name));
    *raw = dup_range("", 0);
    return -1;
unsplit:
    *base = dup_range(name, strlen(name));
    *raw = dup_range("", 0);
    return 0;
}

int pmv_labels_parse(const char *name, char **base, pmv_label **labels, char **raw)
{
    return pmv_labels_parse_why(name, base, labels, raw, NULL, 0) == 1;
}

void pmv_labels_free(pmv_label *labels)
{
    for (ptrdiff_t i = 0; i < arrlen(labels); i++) {
        free(labels[i].key);
        free(labels[i].value);
    }
    arrfree(labels);
}
