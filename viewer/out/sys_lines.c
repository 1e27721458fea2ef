/* sys_lines.c - the dashboard's lines about the machine */
#include "out/sys_lines.h"
#include "base/units.h"
#include "out/escape.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

static char *pct(double v, char *buf, size_t len)
{
    if (isnan(v)) snprintf(buf, len, "-");
    else snprintf(buf, len, "%.1f%%", v);
    return buf;
}

static char *bytes(double v, char *buf, size_t len)
{
    if (isnan(v)) snprintf(buf, len, "-");
    else pmv_fmt_bytes(v, buf, len);
    return buf;
}

static char *rate(double v, char *buf, size_t len)
{
    if (isnan(v)) snprintf(buf, len, "-");
    else strcat(pmv_fmt_bytes(v, buf, len - 2), "/s");
    return buf;
}

static void head(pmv_screen *S, const char *word)
{
    pmv_scr_sgr(S, "1");
    pmv_scr_printf(S, "%-7s", word);
    pmv_scr_sgr(S, "0");
}

/* Columns left on the line (a large number without a width). */
static int room(const pmv_screen *S) { return S->width > 0 ? S->width - S->col : 1 << 20; }

/* Sum of the figures of one base name (NAN if none is known). */
static double total_of(const pmv_sys_figure *f, int n, const char *base)
{
    double sum = NAN;
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].def->name, base) == 0 && !isnan(f[i].value)) sum = isnan(sum) ? f[i].value : sum + f[i].value;
    return sum;
}

static double one(const pmv_sys_figure *f, int n, const char *name)
{
    const pmv_sys_figure *x = pmv_sys_figure_find(f, n, name);
    return x ? x->value : NAN;
}

static int by_value_desc(const void *x, const void *y)
{
    const pmv_sys_figure *a = *(const pmv_sys_figure *const *)x, *b = *(const pmv_sys_figure *const *)y;
    double va = isnan(a->value) ? -1 : a->value, vb = isnan(b->value) ? -1 : b->value;
    return va < vb ? 1 : va > vb ? -1 : 0;
}

/* Items "text" while they fit, then "+N" for the rest. */
static void put_items(pmv_screen *S, char items[][PMV_SYS_LABEL_MAX + 48], int n)
{
    for (int i = 0; i < n; i++) {
        int w = pmv_text_cols(items[i]) + 2, more = i + 1 < n ? 6 : 0;
        if (w + more > room(S)) {
            pmv_scr_printf(S, "  +%d", n - i);
            return;
        }
        pmv_scr_printf(S, "  %s", items[i]);
    }
}

void pmv_sys_lines(pmv_screen *S, const pmv_sys *a, const pmv_sys *b)
{
    pmv_sys_figure *f = NULL;
    int n = pmv_sys_figures(a, b, &f);
    char x[48], y[48], z[48];

    head(S, "machine");
    pmv_scr_printf(S, "  cpu %s of %ld cores", pct(one(f, n, "system.cpu.usage"), x, sizeof x), b->ncpu);
    double mt = one(f, n, "system.mem.total"), ma = one(f, n, "system.mem.available");
    if (!isnan(mt) && !isnan(ma))
        pmv_scr_printf(S, "  mem %s used of %s (%s)", bytes(mt - ma, x, sizeof x), bytes(mt, y, sizeof y),
                       pct(one(f, n, "system.mem.usage"), z, sizeof z));
    else pmv_scr_put(S, "  mem -");
    if (b->swap_total > 0)
        pmv_scr_printf(S, "  swap %s of %s", bytes(one(f, n, "system.swap.used"), x, sizeof x),
                       bytes(b->swap_total, y, sizeof y));
    if (!isnan(b->load1)) pmv_scr_printf(S, "  load %.2f %.2f %.2f", b->load1, b->load5, b->load15);
    pmv_scr_eol(S);

    /* per core, when there is more than one */
    char (*items)[PMV_SYS_LABEL_MAX + 48] = malloc(sizeof *items * (size_t)(n + 1));
    if (!items) abort();
    int k = 0;
    for (int i = 0; i < n; i++)
        if (f[i].def->label && strcmp(f[i].def->name, "system.cpu.usage") == 0)
            snprintf(items[k++], sizeof items[0], "%s %s", f[i].label,
                     isnan(f[i].value) ? "-" : (snprintf(x, sizeof x, "%.0f%%", f[i].value), x));
    if (k > 1) {
        head(S, "cores");
        put_items(S, items, k);
        pmv_scr_eol(S);
    }

    /* mounts, fullest first, then the disks' totals */
    const pmv_sys_figure **m = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].def->name, "system.disk.usage") == 0) arrput(m, &f[i]);
    if (arrlen(m) || b->ndisk) {
        head(S, "storage");
        if (arrlen(m)) qsort(m, (size_t)arrlen(m), sizeof *m, by_value_desc);
        pmv_scr_printf(S, "  read %s  write %s", rate(total_of(f, n, "system.disk.read_bytes"), x, sizeof x),
                       rate(total_of(f, n, "system.disk.write_bytes"), y, sizeof y));
        k = 0;
        for (ptrdiff_t i = 0; i < arrlen(m); i++) {
            char shown[PMV_SYS_LABEL_MAX];
            pmv_printable(m[i]->label, shown, sizeof shown);
            snprintf(items[k++], sizeof items[0], "%s %s", shown,
                     isnan(m[i]->value) ? "-" : (snprintf(x, sizeof x, "%.0f%%", m[i]->value), x));
        }
        put_items(S, items, k);
        pmv_scr_eol(S);
    }
    arrfree(m);

    if (b->nnet) {
        head(S, "net");
        pmv_scr_printf(S, "  rx %s  tx %s", rate(total_of(f, n, "system.net.rx_bytes"), x, sizeof x),
                       rate(total_of(f, n, "system.net.tx_bytes"), y, sizeof y));
        pmv_scr_eol(S);
    }

    for (int g = 0; g < b->ngpu; g++) {
        const pmv_sys_gpu *G = &b->gpu[g];
        head(S, "gpu");
        pmv_scr_printf(S, "  %d %s  mem %s of %s", g, pct(G->usage, x, sizeof x), bytes(G->mem_used, y, sizeof y),
                       bytes(G->mem_total, z, sizeof z));
        if (!isnan(G->temp_c)) pmv_scr_printf(S, "  %.0fC", G->temp_c);
        if (!isnan(G->power_w)) pmv_scr_printf(S, "  %.0fW", G->power_w);
        pmv_scr_eol(S);
    }
    free(items);
    arrfree(f);
}
