/* selector.c - parsing selector terms once, matching series against them */
#include "model/selector.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

static char *dup_s(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (!d) abort();
    memcpy(d, s, n + 1);
    return d;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

static int has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* The text with blanks between label pairs dropped (those inside quoted
   values kept), so `a{k="v", j="w"}` and `a{k="v",j="w"}` are one term. */
static char *drop_label_blanks(const char *text)
{
    char *out = dup_s(text), *w = out;
    int in_quote = 0, in_braces = 0;
    for (const char *r = text; *r; r++) {
        if (in_quote) {
            if (*r == '\\' && r[1]) { *w++ = *r++; *w++ = *r; continue; }
            if (*r == '"') in_quote = 0;
        } else if (in_braces) {
            if (*r == '"') in_quote = 1;
            else if (*r == '}') in_braces = 0;
            else if (is_blank(*r)) continue;
        } else if (*r == '{') {
            in_braces = 1;
        }
        *w++ = *r;
    }
    *w = '\0';
    return out;
}

static int bad(const char *text, const char *why, char *err, size_t errlen)
{
    if (err && errlen) snprintf(err, errlen, "bad selector '%.200s': %s", text, why);
    return -1;
}

int pmv_sel_term_parse(const char *text, pmv_sel_term *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (!text[0]) return bad(text, "empty (give a name, a glob or name{key=\"value\"})", err, errlen);
    char *norm = drop_label_blanks(text);
    char *base = NULL, *raw = NULL, why[160] = "";
    pmv_label *labels = NULL;
    int rc = pmv_labels_parse_why(norm, &base, &labels, &raw, why, sizeof why);
    free(raw);
    if (rc < 0 || (rc == 0 && strchr(norm, '}'))) {
        int r = bad(text, rc < 0 ? why : "unbalanced braces ('}' without '{')", err, errlen);
        free(norm);
        free(base);
        return r;
    }
    t->text = norm;
    t->base = base;
    t->braces = rc == 1;
    t->labels = labels;
    t->glob = has_glob(base);
    return 0;
}

void pmv_sel_term_free(pmv_sel_term *t)
{
    free(t->text);
    free(t->base);
    pmv_labels_free(t->labels);
    memset(t, 0, sizeof *t);
}

int pmv_sel_term_match_base(const pmv_sel_term *t, const char *base)
{
    if (strcmp(t->base, base) == 0) return 1;
    return t->glob && fnmatch(t->base, base, 0) == 0;
}

/* Every wanted pair is among the series' labels, values byte for byte. */
static int labels_include(const pmv_label *have, const pmv_label *want)
{
    for (ptrdiff_t i = 0; i < arrlen(want); i++) {
        int found = 0;
        for (ptrdiff_t j = 0; j < arrlen(have) && !found; j++)
            found = strcmp(have[j].key, want[i].key) == 0 && strcmp(have[j].value, want[i].value) == 0;
        if (!found) return 0;
    }
    return 1;
}

int pmv_sel_term_match(const pmv_sel_term *t, const char *name, const char *base, const pmv_label *labels)
{
    if (t->braces) return pmv_sel_term_match_base(t, base) && labels_include(labels, t->labels);
    if (strcmp(t->base, name) == 0 || strcmp(t->base, base) == 0) return 1;
    return t->glob && (fnmatch(t->base, name, 0) == 0 || fnmatch(t->base, base, 0) == 0);
}

void pmv_sel_term_suffixed(const pmv_sel_term *t, const char *suffix, pmv_sel_term *out)
{
    memset(out, 0, sizeof *out);
    size_t nb = strlen(t->base), ns = strlen(suffix);
    out->base = malloc(nb + ns + 1);
    if (!out->base) abort();
    memcpy(out->base, t->base, nb);
    memcpy(out->base + nb, suffix, ns + 1);
    out->text = dup_s(out->base); /* labels are kept in labels, not the text */
    out->glob = has_glob(out->base);
    out->braces = t->braces;
    for (ptrdiff_t i = 0; i < arrlen(t->labels); i++) {
        pmv_label l = { dup_s(t->labels[i].key), dup_s(t->labels[i].value) };
        arrput(out->labels, l);
    }
}

int pmv_selector_add(pmv_selector *sel, const char *text, char *err, size_t errlen)
{
    pmv_sel_term t;
    if (pmv_sel_term_parse(text, &t, err, errlen) != 0) return -1;
    arrput(sel->terms, t);
    return 0;
}

int pmv_selector_compile(pmv_selector *sel, const char *const *texts, ptrdiff_t n, char *err, size_t errlen)
{
    memset(sel, 0, sizeof *sel);
    for (ptrdiff_t i = 0; i < n; i++) {
        if (pmv_selector_add(sel, texts[i], err, errlen) != 0) {
            pmv_selector_free(sel);
            return -1;
        }
    }
    return 0;
}

void pmv_selector_free(pmv_selector *sel)
{
    for (ptrdiff_t i = 0; i < arrlen(sel->terms); i++) pmv_sel_term_free(&sel->terms[i]);
    arrfree(sel->terms);
    sel->terms = NULL;
}

int pmv_selector_match(const pmv_selector *sel, const pmv_series *s)
{
    if (arrlen(sel->terms) == 0) return 1;
    for (ptrdiff_t i = 0; i < arrlen(sel->terms); i++)
        if (pmv_sel_term_match(&sel->terms[i], s->name, s->base, s->labels)) return 1;
    return 0;
}

void pmv_selector_filter(const pmv_selector *sel, const pmv_snapshot *snap, pmv_selection *out)
{
    memset(out, 0, sizeof *out);
    ptrdiff_t nt = arrlen(sel->terms);
    for (ptrdiff_t k = 0; k < nt; k++) arrput(out->hits, 0);
    for (ptrdiff_t i = 0; i < arrlen(snap->series); i++) {
        const pmv_series *s = &snap->series[i];
        int take = nt == 0;
        /* every term is tried, not just the first that matches: hits
           must tell which terms matched nothing */
        for (ptrdiff_t k = 0; k < nt; k++)
            if (pmv_sel_term_match(&sel->terms[k], s->name, s->base, s->labels)) { out->hits[k]++; take = 1; }
        if (take) arrput(out->series, s);
    }
    for (ptrdiff_t k = 0; k < nt; k++)
        if (!out->hits[k]) arrput(out->unmatched, sel->terms[k].text);
}

void pmv_selection_free(pmv_selection *sel)
{
    arrfree(sel->series);
    arrfree(sel->hits);
    arrfree(sel->unmatched);
    memset(sel, 0, sizeof *sel);
}

void pmv_selector_keep(const pmv_selector *sel, pmv_snapshot *snap, const char ***unmatched)
{
    pmv_selection picked;
    pmv_selector_filter(sel, snap, &picked);
    if (unmatched)
        for (ptrdiff_t k = 0; k < arrlen(picked.unmatched); k++) arrput(*unmatched, picked.unmatched[k]);
    /* compact in place: picked.series points into snap->series in order,
       so each kept series moves down to the next free place */
    ptrdiff_t w = 0, n = arrlen(snap->series), p = 0;
    for (ptrdiff_t i = 0; i < n; i++) {
        pmv_series *s = &snap->series[i];
        if (p < arrlen(picked.series) && picked.series[p] == s) {
            p++;
            if (w != i) snap->series[w] = *s;
            w++;
        } else {
            pmv_series_free(s);
        }
    }
    arrsetlen(snap->series, w);
    pmv_selection_free(&picked);
}
