/* gate_eval.c - measuring a rule's statistic in a snapshot */
#include "analyze/gate_eval.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "base/hist.h"

typedef struct agg {
    int n, kind, unit, mixed_kind;
    uint64_t count, sum, errors, slow, min, max, hist_total;
    int64_t value, value_max;
    uint64_t *dense;    /* merged histogram when n > 1 */
    const pmv_series *only;
} agg;

static int why(pmv_measure *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int why(pmv_measure *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->why, sizeof m->why, fmt, ap);
    va_end(ap);
    m->ok = 0;
    return 0;
}

static void agg_add(agg *a, const pmv_series *s)
{
    if (a->n == 0) {
        a->kind = s->kind;
        a->unit = s->kind == PM_SHM_KIND_TIMER ? PM_SHM_UNIT_NANOSECONDS : s->unit;
        a->min = UINT64_MAX;
        a->value_max = INT64_MIN;
        a->only = s;
    } else if (s->kind != a->kind) {
        a->mixed_kind = 1;
    }
    a->n++;
    if (s->kind == PM_SHM_KIND_GAUGE) {
        a->value += s->gauge;
        if (s->gauge > a->value_max) a->value_max = s->gauge;
        return;
    }
    a->count += s->count;
    if (s->kind == PM_SHM_KIND_COUNTER) {
        a->value += (int64_t)s->count;
        return;
    }
    a->sum += s->sum;
    a->errors += s->errors;
    a->slow += s->slow;
    a->hist_total += s->hist_total;
    if (s->count) {
        if (s->min < a->min) a->min = s->min;
        if (s->max > a->max) a->max = s->max;
    }
    if (a->n == 2) { /* second series: start merging histograms */
        a->dense = calloc(PM_SHM_HIST_BUCKETS, sizeof *a->dense);
        if (!a->dense) abort();
        for (ptrdiff_t i = 0; i < arrlen(a->only->bins); i++)
            if (a->only->bins[i].index < PM_SHM_HIST_BUCKETS) a->dense[a->only->bins[i].index] += a->only->bins[i].n;
    }
    if (a->n >= 2)
        for (ptrdiff_t i = 0; i < arrlen(s->bins); i++)
            if (s->bins[i].index < PM_SHM_HIST_BUCKETS) a->dense[s->bins[i].index] += s->bins[i].n;
}

static double agg_percentile(const agg *a, double q)
{
    if (a->n == 1)
        return pmv_percentile(a->only->bins, (int)arrlen(a->only->bins), a->only->hist_total, q,
                              a->only->min, a->only->max);
    pmv_bin *bins = NULL;
    uint64_t total = 0;
    for (uint32_t i = 0; i < PM_SHM_HIST_BUCKETS; i++) {
        if (!a->dense[i]) continue;
        pmv_bin b = { i, a->dense[i] };
        arrput(bins, b);
        total += a->dense[i];
    }
    double v = pmv_percentile(bins, (int)arrlen(bins), total, q, a->min, a->max);
    arrfree(bins);
    return v;
}

static void select_series(const pmv_snapshot *snap, const pmv_sel_term *term, agg *a)
{
    memset(a, 0, sizeof *a);
    for (ptrdiff_t i = 0; i < arrlen(snap->series); i++) {
        const pmv_series *s = &snap->series[i];
        if (pmv_sel_term_match(term, s->name, s->base, s->labels)) agg_add(a, s);
    }
}

/* The series of base N + suffix (N.cpu_user of a rule on N), same labels. */
static void select_suffixed(const pmv_snapshot *snap, const pmv_sel_term *term, const char *suffix, agg *a)
{
    pmv_sel_term t;
    pmv_sel_term_suffixed(term, suffix, &t);
    select_series(snap, &t, a);
    pmv_sel_term_free(&t);
}

int pmv_stat_applies(pmv_stat st, int kind)
{
    switch (kind) {
    case PM_SHM_KIND_COUNTER:
        return st == PMV_STAT_COUNT || st == PMV_STAT_VALUE || st == PMV_STAT_SUM || st == PMV_STAT_RATE;
    case PM_SHM_KIND_GAUGE:
        return st == PMV_STAT_VALUE;
    case PM_SHM_KIND_TIMER:
        return st != PMV_STAT_VALUE && st != PMV_STAT_CPU_TIME && st != PMV_STAT_PEAK_RSS;
    case PM_SHM_KIND_DISTRIBUTION:
        return st == PMV_STAT_COUNT || st == PMV_STAT_SUM || st == PMV_STAT_MEAN || st == PMV_STAT_MIN ||
               st == PMV_STAT_MAX || st == PMV_STAT_P50 || st == PMV_STAT_P90 || st == PMV_STAT_P95 ||
               st == PMV_STAT_P99 || st == PMV_STAT_RATE;
    }
    return 0;
}

static pmv_lunit unit_of_series(int unit)
{
    return unit == PM_SHM_UNIT_NANOSECONDS ? PMV_LU_DURATION : unit == PM_SHM_UNIT_BYTES ? PMV_LU_BYTES : PMV_LU_NONE;
}

static const char *lunit_word(pmv_lunit u)
{
    switch (u) {
    case PMV_LU_DURATION: return "a duration";
    case PMV_LU_BYTES: return "a byte size";
    case PMV_LU_PERCENT: return "a percentage";
    case PMV_LU_PER_SECOND: return "a rate";
    case PMV_LU_BYTES_PER_SECOND: return "a byte rate";
    default: return "a plain number";
    }
}

/* Computes stat from an aggregate; name is for messages. */
static int measure_agg(const agg *a, pmv_stat st, const char *name, const pmv_snapshot *snap, pmv_measure *m)
{
    if (a->mixed_kind) return why(m, "'%s' selects series of different kinds", name);
    if (!pmv_stat_applies(st, a->kind))
        return why(m, "%s does not apply to '%s', a %s", pmv_stat_name(st), name, pmv_kind_str(a->kind));
    m->unit = PMV_LU_NONE;
    int timer_like = a->kind == PM_SHM_KIND_TIMER || a->kind == PM_SHM_KIND_DISTRIBUTION;
    double up_s = (double)pmv_snapshot_uptime_ns(snap) / 1e9;
    switch (st) {
    case PMV_STAT_COUNT: m->value = (double)a->count; break;
    case PMV_STAT_ERRORS: m->value = (double)a->errors; break;
    case PMV_STAT_SLOW: m->value = (double)a->slow; break;
    case PMV_STAT_ERROR_RATE:
    case PMV_STAT_SLOW_RATE:
        if (!a->count) return why(m, "'%s' has no records: no %s", name, pmv_stat_name(st));
        m->value = pmv_rate_pct(st == PMV_STAT_ERROR_RATE ? a->errors : a->slow, a->count);
        m->unit = PMV_LU_PERCENT;
        break;
    case PMV_STAT_VALUE:
        m->value = (double)a->value;
        m->unit = unit_of_series(a->unit);
        break;
    case PMV_STAT_RATE:
        if (!(up_s > 0)) return why(m, "the process has no uptime: no rate");
        m->value = (double)a->count / up_s;
        m->unit = PMV_LU_PER_SECOND;
        break;
    case PMV_STAT_SUM:
        m->value = a->kind == PM_SHM_KIND_COUNTER ? (double)a->value : (double)a->sum;
        m->unit = unit_of_series(a->unit);
        break;
    default:
        if (!timer_like) return why(m, "%s does not apply to '%s'", pmv_stat_name(st), name);
        if (!a->count) return why(m, "'%s' has no records: no %s", name, pmv_stat_name(st));
        m->unit = unit_of_series(a->unit);
        if (st == PMV_STAT_MEAN) m->value = pmv_mean(a->sum, a->count);
        else if (st == PMV_STAT_MIN) m->value = (double)a->min;
        else if (st == PMV_STAT_MAX) m->value = (double)a->max;
        else {
            double q = st == PMV_STAT_P50 ? 0.50 : st == PMV_STAT_P90 ? 0.90 : st == PMV_STAT_P95 ? 0.95 : 0.99;
            if (!a->hist_total) return why(m, "'%s' has no histogram (arena full): no %s", name, pmv_stat_name(st));
            m->value = agg_percentile(a, q);
        }
    }
    m->ok = 1;
    return 1;
}

static void selector_name(char *buf, size_t len, const char *base, const char *suffix, const pmv_label *labels)
{
    size_t n = (size_t)snprintf(buf, len, "%s%s", base, suffix);
    if (arrlen(labels) == 0 || n >= len) return;
    n += (size_t)snprintf(buf + n, len - n, "{");
    for (ptrdiff_t i = 0; i < arrlen(labels) && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s=\"%s\"", i ? "," : "", labels[i].key, labels[i].value);
    if (n < len) snprintf(buf + n, len - n, "}");
}

/* cpu_time / peak_rss of a resource series N (or of the process, from its
   exit gauges). */
static int measure_resource(const pmv_rule *r, const char *base, const pmv_snapshot *snap, pmv_measure *m)
{
    char shown[400];
    agg a, b;
    if (r->stat == PMV_STAT_CPU_TIME) {
        select_suffixed(snap, &r->term, ".cpu_user", &a);
        select_suffixed(snap, &r->term, ".cpu_sys", &b);
        double v = 0;
        int found = 0, bad = 0;
        agg *parts[2] = { &a, &b };
        for (int i = 0; i < 2; i++) {
            agg *p = parts[i];
            if (!p->n) continue;
            found = 1;
            if (p->mixed_kind) bad = 1;
            else if (p->kind == PM_SHM_KIND_GAUGE) v += (double)p->value;
            else if (p->kind == PM_SHM_KIND_DISTRIBUTION || p->kind == PM_SHM_KIND_TIMER) v += (double)p->sum;
            else bad = 1;
        }
        free(a.dense);
        free(b.dense);
        selector_name(shown, sizeof shown, base, ".cpu_user", r->term.labels);
        if (!found) {
            if (strcmp(base, "process") == 0)
                return why(m, "no process CPU time: no process.cpu_user gauge (the process has not exited "
                              "normally) and no /proc data");
            return why(m, "no series '%s' or '%s.cpu_sys': cpu_time of '%s' needs pm_benchmark or "
                          "PM_RESOURCE_SCOPE(\"%s\")", shown, base, r->selector, base);
        }
        if (bad) return why(m, "'%s' is not a CPU-time series", shown);
        m->value = v;
        m->unit = PMV_LU_DURATION;
        m->ok = 1;
        return 1;
    }
    select_suffixed(snap, &r->term, ".peak_rss", &a);
    free(a.dense);
    selector_name(shown, sizeof shown, base, ".peak_rss", r->term.labels);
    if (!a.n) {
        if (strcmp(base, "process") == 0)
            return why(m, "no process peak RSS: no process.peak_rss gauge (the process has not exited "
                          "normally) and no /proc data");
        return why(m, "no series '%s': peak_rss of '%s' needs pm_benchmark or PM_RESOURCE_SCOPE(\"%s\")",
                   shown, r->selector, base);
    }
    if (a.mixed_kind || a.kind != PM_SHM_KIND_GAUGE) return why(m, "'%s' is not a gauge", shown);
    m->value = (double)a.value_max;
    m->unit = PMV_LU_BYTES;
    m->ok = 1;
    return 1;
}

/* An absolute limit must be in the unit of what is measured; when it is
   not, the rules file is wrong, whatever the program did. */
static int check_limit_unit(const pmv_rule *r, pmv_measure *m)
{
    if (r->relative || !pmv_stat_in_series_unit(r->stat)) return 1;
    if (m->unit == PMV_LU_NONE || m->unit == r->unit) return 1; /* unitless series: compared raw */
    m->rule_error = 1;
    char v[64];
    if (r->unit == PMV_LU_NONE)
        return why(m, "limit '%s' has no unit but %s of '%s' is %s: write e.g. %s", r->limit_text,
                   pmv_stat_name(r->stat), r->selector, lunit_word(m->unit),
                   m->unit == PMV_LU_DURATION ? (snprintf(v, sizeof v, "%sms", r->limit_text), v)
                                              : (snprintf(v, sizeof v, "%sMB", r->limit_text), v));
    return why(m, "limit '%s' is %s but %s of '%s' is %s", r->limit_text, lunit_word(r->unit),
               pmv_stat_name(r->stat), r->selector, lunit_word(m->unit));
}

int pmv_gate_measure(const pmv_rule *r, const pmv_snapshot *snap,
                     const pmv_proc_usage *proc, pmv_measure *m)
{
    memset(m, 0, sizeof *m);
    if (r->process && proc && proc->have) {
        m->value = r->stat == PMV_STAT_CPU_TIME ? proc->cpu_ns : proc->peak_rss;
        m->unit = r->stat == PMV_STAT_CPU_TIME ? PMV_LU_DURATION : PMV_LU_BYTES;
        m->nmatch = 1;
        m->ok = 1;
        return 1;
    }
    if (r->stat == PMV_STAT_CPU_TIME || r->stat == PMV_STAT_PEAK_RSS)
        return measure_resource(r, r->term.base, snap, m);

    agg a;
    select_series(snap, &r->term, &a);
    m->nmatch = a.n;
    if (!a.n) {
        /* a near miss helps: the base exists, only the labels differ */
        int base_seen = 0;
        for (ptrdiff_t i = 0; i < arrlen(snap->series); i++)
            if (pmv_sel_term_match_base(&r->term, snap->series[i].base)) base_seen++;
        if (base_seen)
            return why(m, "no series '%s': %d series named '%s' exist but none has those labels",
                       r->selector, base_seen, r->term.base);
        return why(m, "no series '%s' in the process", r->selector);
    }
    measure_agg(&a, r->stat, r->selector, snap, m);
    free(a.dense);
    if (m->ok) check_limit_unit(r, m);
    return m->ok;
}

int pmv_gate_measure_series(const pmv_series *s, pmv_stat stat, const pmv_snapshot *snap, pmv_measure *m)
{
    memset(m, 0, sizeof *m);
    agg a;
    memset(&a, 0, sizeof a);
    agg_add(&a, s);
    m->nmatch = 1;
    measure_agg(&a, stat, s->name, snap, m);
    return m->ok;
}
