/* table.c - aligned plain-text tables */
#include "out/table.h"
#include "out/escape.h"

#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

void pmv_table_init(pmv_table *t, int ncols, const char **heads, const char *align)
{
    t->ncols = ncols;
    t->heads = heads;
    t->align = align;
    t->rows = NULL;
}

void pmv_table_add(pmv_table *t, const char **cells)
{
    char **row = calloc((size_t)t->ncols, sizeof *row);
    if (!row) abort();
    for (int c = 0; c < t->ncols; c++) {
        const char *v = cells[c] ? cells[c] : "-";
        /* cells may hold names from an untrusted segment: shown as printable */
        size_t n = strlen(v) + 1;
        row[c] = malloc(n);
        if (!row[c]) abort();
        pmv_printable(v, row[c], n);
    }
    arrput(t->rows, row);
}

/* Pads by display columns, not bytes: a UTF-8 name keeps the columns aligned. */
static void pad(FILE *f, int n)
{
    for (; n > 0; n--) fputc(' ', f);
}

static void print_row(const pmv_table *t, FILE *f, const char *const *cells, const int *w, int bold)
{
    if (bold) fputs("\033[1m", f);
    for (int c = 0; c < t->ncols; c++) {
        int last = c == t->ncols - 1;
        int gap = w[c] - pmv_display_width(cells[c]);
        if (c) fputs("  ", f);
        if (t->align[c] == 'r') pad(f, gap);
        fputs(cells[c], f);
        if (t->align[c] != 'r' && !last) pad(f, gap);
    }
    if (bold) fputs("\033[0m", f); /* before the newline: nothing bold leaks */
    fputc('\n', f);
}

void pmv_table_print(const pmv_table *t, FILE *f, int bold)
{
    int *w = calloc((size_t)t->ncols, sizeof *w);
    if (!w) abort();
    for (int c = 0; c < t->ncols; c++) w[c] = pmv_display_width(t->heads[c]);
    for (ptrdiff_t r = 0; r < arrlen(t->rows); r++)
        for (int c = 0; c < t->ncols; c++) {
            int n = pmv_display_width(t->rows[r][c]);
            if (n > w[c]) w[c] = n;
        }
    print_row(t, f, t->heads, w, bold);
    for (ptrdiff_t r = 0; r < arrlen(t->rows); r++) print_row(t, f, (const char *const *)t->rows[r], w, 0);
    free(w);
}

void pmv_table_free(pmv_table *t)
{
    for (ptrdiff_t r = 0; r < arrlen(t->rows); r++) {
        for (int c = 0; c < t->ncols; c++) free(t->rows[r][c]);
        free(t->rows[r]);
    }
    arrfree(t->rows);
}
