/* series_out.c - a series' fields, the same in every JSON and CSV */
#include "out/series_out.h"

#include <math.h>

#include <stb_ds.h>

#include "base/units.h"
#include "out/csv.h"
#include "out/json_write.h"
#include "perfmon_shm.h"

static int timed(const pmv_series *s)
{
    return s->kind == PM_SHM_KIND_TIMER || s->kind == PM_SHM_KIND_DISTRIBUTION;
}

static void json_key(FILE *f, const char *key) { fprintf(f, ", \"%s\": ", key); }

/* The period's figures of a timer or distribution, in column order. */
#define TIMED_FIELDS(X) \
    X("count", (double)w->count) X("errors", (double)w->errors) X("slow", (double)w->slow) \
    X("sum", (double)w->sum) X("min", w->min) X("max", w->max) X("mean", w->mean) \
    X("p50", w->p50) X("p90", w->p90) X("p95", w->p95) X("p99", w->p99)

/* Slow calls per 100 in the window; NAN without calls. */
static double slow_pct(const pmv_win *w)
{
    return w->count ? 100.0 * (double)w->slow / (double)w->count : NAN;
}

static void json_buckets(FILE *f, const pmv_win *w)
{
    fputs(", \"buckets\": [", f);
    for (ptrdiff_t i = 0; i < arrlen(w->bins); i++) {
        uint32_t b = w->bins[i].index;
        uint64_t lo = pm_shm_hist_lower(b), hi = lo + pm_shm_hist_width(b);
        fprintf(f, "%s[%llu, %llu, %llu]", i ? ", " : "", (unsigned long long)lo,
                (unsigned long long)hi, (unsigned long long)w->bins[i].n);
    }
    fputc(']', f);
}

void pmv_series_json_ident(FILE *f, const pmv_series *s)
{
    fputs("{\"name\": ", f);
    pmv_json_str(f, s->base);
    fputs(", \"full_name\": ", f);
    pmv_json_str(f, s->name);
    fputs(", \"labels\": {", f);
    for (ptrdiff_t i = 0; i < arrlen(s->labels); i++) {
        if (i) fputs(", ", f);
        pmv_json_str(f, s->labels[i].key);
        fputs(": ", f);
        pmv_json_str(f, s->labels[i].value);
    }
    fprintf(f, "}, \"kind\": \"%s\", \"unit\": \"%s\"", pmv_kind_str(s->kind),
            pmv_unit_str(pmv_series_unit(s)));
}

void pmv_series_json(FILE *f, const pmv_win *w, int flags)
{
    const pmv_series *s = w->s;
    pmv_series_json_ident(f, s);
    if (s->kind == PM_SHM_KIND_GAUGE) {
        fprintf(f, ", \"value\": %lld", (long long)s->gauge);
    } else if (s->kind == PM_SHM_KIND_COUNTER) {
        fprintf(f, ", \"value\": %llu", (unsigned long long)s->count);
    } else {
#define JSON_FIELD(key, v) json_key(f, key); pmv_json_fixed(f, v);
        TIMED_FIELDS(JSON_FIELD)
#undef JSON_FIELD
        if (flags & PMV_OUT_BUCKETS) json_buckets(f, w);
    }
    fprintf(f, ", \"resets\": %u", (unsigned)s->resets);   /* the figures are since the last (pm_reset) */
    if (flags & PMV_OUT_WINDOW) {
        json_key(f, "window_s"); pmv_json_fixed(f, w->seconds);
        if (s->kind == PM_SHM_KIND_COUNTER) { json_key(f, "count"); pmv_json_fixed(f, (double)w->count); }
        json_key(f, "rate"); pmv_json_fixed(f, s->kind == PM_SHM_KIND_GAUGE ? NAN : w->rate);
        json_key(f, "error_pct"); pmv_json_fixed(f, s->kind == PM_SHM_KIND_TIMER ? w->err_pct : NAN);
        json_key(f, "slow_pct"); pmv_json_fixed(f, s->kind == PM_SHM_KIND_TIMER ? slow_pct(w) : NAN);
        json_key(f, "total"); pmv_json_fixed(f, s->kind == PM_SHM_KIND_GAUGE ? NAN : (double)s->count);
        fprintf(f, ", \"reset\": %s", w->reset ? "true" : "false");
    }
    fputc('}', f);
}

void pmv_series_csv_header(FILE *f, int flags)
{
    fputs("name,labels,kind,unit,value,count,errors,slow,sum,min,max,mean,p50,p90,p95,p99", f);
    if (flags & PMV_OUT_WINDOW) fputs(",window_s,rate,error_pct,slow_pct,total,reset", f);
}

void pmv_series_csv(FILE *f, const pmv_win *w, int flags)
{
    const pmv_series *s = w->s;
    pmv_csv_text(f, s->base);
    fputc(',', f);
    pmv_csv_text(f, s->labels_raw);
    fprintf(f, ",%s,%s,", pmv_kind_str(s->kind), pmv_unit_str(pmv_series_unit(s)));
    if (s->kind == PM_SHM_KIND_GAUGE) pmv_csv_i64(f, s->gauge);
    else if (s->kind == PM_SHM_KIND_COUNTER) pmv_csv_u64(f, s->count);
    if (timed(s)) {
#define CSV_FIELD(key, v) fputc(',', f); pmv_csv_num(f, v);
        TIMED_FIELDS(CSV_FIELD)
#undef CSV_FIELD
    } else if (flags & PMV_OUT_WINDOW && s->kind == PM_SHM_KIND_COUNTER) {
        fprintf(f, ",%llu,,,,,,,,,,", (unsigned long long)w->count);   /* the window's increase */
    } else {
        fputs(",,,,,,,,,,,", f);
    }
    if (flags & PMV_OUT_WINDOW) {
        fputc(',', f); pmv_csv_num(f, w->seconds);
        fputc(',', f); pmv_csv_num(f, s->kind == PM_SHM_KIND_GAUGE ? NAN : w->rate);
        fputc(',', f); pmv_csv_num(f, s->kind == PM_SHM_KIND_TIMER ? w->err_pct : NAN);
        fputc(',', f); pmv_csv_num(f, s->kind == PM_SHM_KIND_TIMER ? slow_pct(w) : NAN);
        fputc(',', f); pmv_csv_num(f, s->kind == PM_SHM_KIND_GAUGE ? NAN : (double)s->count);
        fputs(w->reset ? ",true" : ",false", f);
    }
}
