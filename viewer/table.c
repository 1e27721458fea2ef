/* table.c - aligned plain-text tables */
#include "table.h"

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
        row[c] = malloc(strlen(v) + 1);
        if (!row[c]) abort();
        /* cells may hold names from an untrusted segment: no control chars */
        size_t i = 0;
        for (; v[i]; i++) {
            unsigned char ch = (unsigned char)v[i];
            row[c][i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
        }
        row[c][i] = '\0';
    }
    arrput(t->rows, row);
}

static void print_row(const pmv_table *t, FILE *f, const char *const *cells, const int *w, int bold)
{
    if (bold) fputs("\033[1m", f);
    for (int c = 0; c < t->ncols; c++) {
        int last = c == t->ncols - 1;
        const char *sep = c ? "  " : "";
        if (t->align[c] == 'r') fprintf(f, "%s%*s", sep, w[c], cells[c]);
        else if (last) fprintf(f, "%s%s", sep, cells[c]);
        else fprintf(f, "%s%-*s", sep, w[c], cells[c]);
    }
    if (bold) fputs("\033[0m", f); /* before the newline: nothing bold leaks */
    fputc('\n', f);
}

void pmv_table_print(const pmv_table *t, FILE *f, int bold)
{
    int *w = calloc((size_t)t->ncols, sizeof *w);
    if (!w) abort();
    for (int c = 0; c < t->ncols; c++) w[c] = (int)strlen(t->heads[c]);
    for (ptrdiff_t r = 0; r < arrlen(t->rows); r++)
        for (int c = 0; c < t->ncols; c++) {
            int n = (int)strlen(t->rows[r][c]);
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
