/* system_figures.c - the table of system figure names and how each is
   computed from two samples */
#include "read/system.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <stb_ds.h>

typedef struct pmv_sys_emit {
    const pmv_sys *a, *b;       /* a may be NULL */
    const pmv_sys_def *def;
    pmv_sys_figure **out;
} emit_ctx;

/* label value written as in series names: "..." with \" \\ \n escaped */
static void full_name(char *buf, size_t len, const char *base, const char *key, const char *value)
{
    if (!key) { snprintf(buf, len, "%s", base); return; }
    size_t n = (size_t)snprintf(buf, len, "%s{%s=\"", base, key);
    for (const char *v = value; *v && n + 4 < len; v++) {
        if (*v == '"' || *v == '\\') { buf[n++] = '\\'; buf[n++] = *v; }
        else if (*v == '\n') { buf[n++] = '\\'; buf[n++] = 'n'; }
        else buf[n++] = *v;
    }
    if (n + 3 > len) n = len - 3;
    buf[n++] = '"';
    buf[n++] = '}';
    buf[n] = '\0';
}

static void add(emit_ctx *e, const char *label, double v)
{
    pmv_sys_figure f;
    memset(&f, 0, sizeof f);
    f.def = e->def;
    snprintf(f.label, sizeof f.label, "%s", label ? label : "");
    full_name(f.name, sizeof f.name, e->def->name, e->def->label, f.label);
    f.value = isfinite(v) ? v : NAN;
    arrput(*e->out, f);
}

static double ratio_pct(double part, double whole)
{
    return whole > 0 && part >= 0 ? 100.0 * part / whole : NAN;
}

/* per second between two counters; a counter that went back (a wrap, a
   device re-added) is unknown, not negative */
static double per_s(double a, double b, double dt)
{
    return !(dt > 0) || isnan(a) || isnan(b) || b < a ? NAN : (b - a) / dt;
}

double pmv_sys_cpu_pct(const pmv_sys_cpu *a, const pmv_sys_cpu *b)
{
    double busy = b->busy - (a ? a->busy : 0), total = b->total - (a ? a->total : 0);
    if (isnan(busy) || isnan(total) || !(total > 0) || busy < 0) return NAN;
    return busy > total ? 100 : 100.0 * busy / total;
}

static double dt(const emit_ctx *e) { return e->a ? e->b->t - e->a->t : NAN; }

static void cpu_usage(emit_ctx *e) { add(e, NULL, pmv_sys_cpu_pct(e->a ? &e->a->cpu : NULL, &e->b->cpu)); }

static void cpu_core_usage(emit_ctx *e)
{
    for (int i = 0; i < e->b->ncore; i++) {
        const pmv_sys_cpu *c = &e->b->core[i], *before = NULL;
        for (int k = 0; e->a && k < e->a->ncore && !before; k++)
            if (e->a->core[k].id == c->id) before = &e->a->core[k];
        char id[16];
        snprintf(id, sizeof id, "%d", c->id);
        add(e, id, e->a && !before ? NAN : pmv_sys_cpu_pct(before, c));
    }
}

static void load1(emit_ctx *e) { add(e, NULL, e->b->load1); }
static void load5(emit_ctx *e) { add(e, NULL, e->b->load5); }
static void load15(emit_ctx *e) { add(e, NULL, e->b->load15); }

static void mem_usage(emit_ctx *e)
{
    const pmv_sys *b = e->b;
    add(e, NULL, b->mem_avail <= b->mem_total ? ratio_pct(b->mem_total - b->mem_avail, b->mem_total) : NAN);
}
static void mem_available(emit_ctx *e) { add(e, NULL, e->b->mem_avail); }
static void mem_total(emit_ctx *e) { add(e, NULL, e->b->mem_total); }

static void swap_usage(emit_ctx *e)
{
    const pmv_sys *b = e->b;
    /* no swap at all is 0% used, not unknown: a rule "< 50%" holds */
    if (b->swap_total == 0) { add(e, NULL, 0); return; }
    add(e, NULL, b->swap_free <= b->swap_total ? ratio_pct(b->swap_total - b->swap_free, b->swap_total) : NAN);
}
static void swap_used(emit_ctx *e)
{
    const pmv_sys *b = e->b;
    add(e, NULL, b->swap_free <= b->swap_total ? b->swap_total - b->swap_free : NAN);
}

/* as df: used of what a user could have (used + available) */
static void disk_usage(emit_ctx *e)
{
    for (int i = 0; i < e->b->nmount; i++) {
        const pmv_sys_mount *m = &e->b->mount[i];
        add(e, m->path, ratio_pct(m->used, m->used + m->avail));
    }
}
static void disk_free(emit_ctx *e)
{
    for (int i = 0; i < e->b->nmount; i++) add(e, e->b->mount[i].path, e->b->mount[i].avail);
}

static const pmv_sys_disk *disk_before(const emit_ctx *e, const char *name)
{
    for (int k = 0; e->a && k < e->a->ndisk; k++)
        if (strcmp(e->a->disk[k].name, name) == 0) return &e->a->disk[k];
    return NULL;
}

/* what: 0 read, 1 write, 2 busy */
static void disk_rate(emit_ctx *e, int what)
{
    for (int i = 0; i < e->b->ndisk; i++) {
        const pmv_sys_disk *d = &e->b->disk[i], *p = disk_before(e, d->name);
        double v = NAN;
        if (p && what == 0) v = per_s(p->read_bytes, d->read_bytes, dt(e));
        if (p && what == 1) v = per_s(p->write_bytes, d->write_bytes, dt(e));
        if (p && what == 2) {
            v = per_s(p->busy_ms, d->busy_ms, dt(e)) / 10; /* ms per s is a tenth of a percent */
            if (v > 100) v = 100;
        }
        add(e, d->name, v);
    }
}
static void disk_read(emit_ctx *e) { disk_rate(e, 0); }
static void disk_write(emit_ctx *e) { disk_rate(e, 1); }
static void disk_busy(emit_ctx *e) { disk_rate(e, 2); }

static void net_rate(emit_ctx *e, int tx)
{
    for (int i = 0; i < e->b->nnet; i++) {
        const pmv_sys_net *n = &e->b->net[i], *p = NULL;
        for (int k = 0; e->a && k < e->a->nnet && !p; k++)
            if (strcmp(e->a->net[k].name, n->name) == 0) p = &e->a->net[k];
        add(e, n->name, p ? per_s(tx ? p->tx_bytes : p->rx_bytes, tx ? n->tx_bytes : n->rx_bytes, dt(e)) : NAN);
    }
}
static void net_rx(emit_ctx *e) { net_rate(e, 0); }
static void net_tx(emit_ctx *e) { net_rate(e, 1); }

/* what: 0 usage, 1 memory %, 2 memory used, 3 total, 4 temperature, 5 power */
static void gpu(emit_ctx *e, int what)
{
    for (int i = 0; i < e->b->ngpu; i++) {
        const pmv_sys_gpu *g = &e->b->gpu[i];
        double v[] = { g->usage, ratio_pct(g->mem_used, g->mem_total), g->mem_used, g->mem_total, g->temp_c,
                       g->power_w };
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        add(e, id, v[what]);
    }
}
static void gpu_usage(emit_ctx *e) { gpu(e, 0); }
static void gpu_mem_usage(emit_ctx *e) { gpu(e, 1); }
static void gpu_mem_used(emit_ctx *e) { gpu(e, 2); }
static void gpu_mem_total(emit_ctx *e) { gpu(e, 3); }
static void gpu_temperature(emit_ctx *e) { gpu(e, 4); }
static void gpu_power(emit_ctx *e) { gpu(e, 5); }

const pmv_sys_def pmv_sys_defs[] = {
    { "system.cpu.usage", NULL, PMV_SU_PERCENT, 0, 0, "busy share of all CPUs (100% is every CPU busy)", cpu_usage },
    { "system.cpu.usage", "cpu", PMV_SU_PERCENT, 0, 0, "busy share of one CPU", cpu_core_usage },
    { "system.load1", NULL, PMV_SU_NONE, 1, 0, "load average over 1 minute", load1 },
    { "system.load5", NULL, PMV_SU_NONE, 1, 0, "load average over 5 minutes", load5 },
    { "system.load15", NULL, PMV_SU_NONE, 1, 0, "load average over 15 minutes", load15 },
    { "system.mem.usage", NULL, PMV_SU_PERCENT, 1, 0, "memory in use: 100 * (1 - available / total)", mem_usage },
    { "system.mem.available", NULL, PMV_SU_BYTES, 1, 1, "MemAvailable: what can be had without swapping", mem_available },
    { "system.mem.total", NULL, PMV_SU_BYTES, 1, 1, "MemTotal", mem_total },
    { "system.swap.usage", NULL, PMV_SU_PERCENT, 1, 0, "swap in use (0 without swap)", swap_usage },
    { "system.swap.used", NULL, PMV_SU_BYTES, 1, 1, "swap in use", swap_used },
    { "system.disk.usage", "mount", PMV_SU_PERCENT, 1, 0, "used share of a filesystem, as df shows it", disk_usage },
    { "system.disk.free", "mount", PMV_SU_BYTES, 1, 1, "bytes a non-root user may still write", disk_free },
    { "system.disk.read_bytes", "device", PMV_SU_BYTES_PER_S, 0, 1, "bytes read from a device per second", disk_read },
    { "system.disk.write_bytes", "device", PMV_SU_BYTES_PER_S, 0, 1, "bytes written to a device per second",
      disk_write },
    { "system.disk.busy", "device", PMV_SU_PERCENT, 0, 0, "share of time a device had I/O in flight", disk_busy },
    { "system.net.rx_bytes", "interface", PMV_SU_BYTES_PER_S, 0, 1, "bytes received per second", net_rx },
    { "system.net.tx_bytes", "interface", PMV_SU_BYTES_PER_S, 0, 1, "bytes sent per second", net_tx },
    { "system.gpu.usage", "gpu", PMV_SU_PERCENT, 1, 0, "GPU busy share over the driver's last period", gpu_usage },
    { "system.gpu.mem.usage", "gpu", PMV_SU_PERCENT, 1, 0, "GPU memory in use", gpu_mem_usage },
    { "system.gpu.mem.used", "gpu", PMV_SU_BYTES, 1, 1, "GPU memory in use", gpu_mem_used },
    { "system.gpu.mem.total", "gpu", PMV_SU_BYTES, 1, 1, "GPU memory", gpu_mem_total },
    { "system.gpu.temperature", "gpu", PMV_SU_CELSIUS, 1, 0, "GPU core temperature", gpu_temperature },
    { "system.gpu.power", "gpu", PMV_SU_WATTS, 1, 1, "GPU board power draw", gpu_power },
};
const int pmv_sys_ndefs = (int)(sizeof pmv_sys_defs / sizeof pmv_sys_defs[0]);

const pmv_sys_def *pmv_sys_def_find(const char *base)
{
    for (int i = 0; i < pmv_sys_ndefs; i++)
        if (strcmp(pmv_sys_defs[i].name, base) == 0) return &pmv_sys_defs[i];
    return NULL;
}

const char *pmv_sys_unit_str(pmv_sys_unit u)
{
    switch (u) {
    case PMV_SU_PERCENT: return "%";
    case PMV_SU_BYTES: return "bytes";
    case PMV_SU_BYTES_PER_S: return "bytes/s";
    case PMV_SU_NONE: return "";
    case PMV_SU_CELSIUS: return "C";
    case PMV_SU_WATTS: return "W";
    }
    return "";
}

int pmv_sys_figures(const pmv_sys *a, const pmv_sys *b, pmv_sys_figure **out)
{
    if (arrlen(*out)) arrdeln(*out, 0, arrlen(*out));
    emit_ctx e = { a, b, NULL, out };
    for (int i = 0; i < pmv_sys_ndefs; i++) {
        e.def = &pmv_sys_defs[i];
        e.def->compute(&e);
    }
    return (int)arrlen(*out);
}

const pmv_sys_figure *pmv_sys_figure_find(const pmv_sys_figure *f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0) return &f[i];
    return NULL;
}
