/* window.c - per-series figures from the difference of two snapshots */
#include "model/window.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "perfmon_shm.h"

static void fill_stats(pmv_win *w, uint64_t all_min, uint64_t all_max, int min_exact, int max_exact)
{
    w->rate = w->seconds > 0 ? (double)w->count / w->seconds : NAN;
    w->err_pct = w->count ? 100.0 * (double)w->errors / (double)w->count : NAN;
    w->mean = w->p50 = w->p90 = w->p95 = w->p99 = w->min = w->max = NAN;
    if (w->s->kind != PM_SHM_KIND_TIMER && w->s->kind != PM_SHM_KIND_DISTRIBUTION) return;
    if (w->count == 0) return;
    w->mean = (double)w->sum / (double)w->count;
    int nb = (int)arrlen(w->bins);
    /* clamp estimates to what is known exactly about the window */
    uint64_t lo = min_exact ? all_min : 0, hi = all_max;
    if (max_exact) w->max = (double)all_max;
    if (min_exact) w->min = (double)all_min;
    if (nb == 0) return; /* no histogram (arena full): mean and exact extremes only */
    w->p50 = pmv_percentile(w->bins, nb, w->hist_total, 0.50, lo, hi);
    w->p90 = pmv_percentile(w->bins, nb, w->hist_total, 0.90, lo, hi);
    w->p95 = pmv_percentile(w->bins, nb, w->hist_total, 0.95, lo, hi);
    w->p99 = pmv_percentile(w->bins, nb, w->hist_total, 0.99, lo, hi);
    if (!max_exact) /* the top record's bucket, within 0.9% (see stats.h) */
        w->max = pmv_percentile(w->bins, nb, w->hist_total, 1.0, lo, hi);
    if (!min_exact) {
        /* rank 1: the bottom record's bucket */
        double q1 = w->hist_total ? 1.0 / (double)w->hist_total : 1.0;
        w->min = pmv_percentile(w->bins, nb, w->hist_total, q1, lo, hi);
    }
}

static void copy_bins(pmv_win *w, const pmv_series *cur)
{
    for (ptrdiff_t i = 0; i < arrlen(cur->bins); i++) arrput(w->bins, cur->bins[i]);
    w->hist_total = cur->hist_total;
}

void pmv_win_total(const pmv_series *cur, double seconds, pmv_win *out)
{
    memset(out, 0, sizeof *out);
    out->s = cur;
    out->seconds = seconds;
    out->count = cur->count;
    out->sum = cur->sum;
    out->errors = cur->errors;
    out->slow = cur->slow;
    out->gauge = cur->gauge;
    copy_bins(out, cur);
    fill_stats(out, cur->min, cur->max, 1, 1);   /* since a reset: the reader's bucket-edge estimates */
}

void pmv_win_series(const pmv_series *prev, const pmv_series *cur, int same_segment,
                    double seconds, pmv_win *out)
{
    if (prev && same_segment && (prev->resets || cur->resets)) {
        /* the program reset the series: the raw sums never go backwards,
           so their difference is the window's, exactly */
        pmv_series p, c;
        pmv_series_raw(prev, &p);
        pmv_series_raw(cur, &c);
        pmv_win_series(&p, &c, 1, seconds, out);
        arrfree(p.bins);
        arrfree(c.bins);
        out->s = cur;
        if (prev->resets != cur->resets) out->reset = 1;
        return;
    }
    if (prev && (!same_segment || prev->kind != cur->kind || cur->count < prev->count ||
                 cur->sum < prev->sum || cur->errors < prev->errors || cur->slow < prev->slow)) {
        pmv_win_total(cur, seconds, out);
        out->reset = 1;
        out->rate = seconds > 0 ? (double)out->count / seconds : NAN;
        return;
    }
    if (!prev) {
        pmv_win_total(cur, seconds, out);
        out->fresh = 1;
        return;
    }
    memset(out, 0, sizeof *out);
    out->s = cur;
    out->seconds = seconds;
    out->count = cur->count - prev->count;
    out->sum = cur->sum - prev->sum;
    out->errors = cur->errors - prev->errors;
    out->slow = cur->slow - prev->slow;
    out->gauge = cur->gauge;
    out->gauge_delta = (int64_t)((uint64_t)cur->gauge - (uint64_t)prev->gauge);
    /* both bin arrays are sorted by index: merge, keep positive differences
       (a bucket never shrinks within a segment; a torn read can make one
       look like it did, by a record or so) */
    ptrdiff_t i = 0, j = 0, np = arrlen(prev->bins), nc = arrlen(cur->bins);
    while (j < nc) {
        while (i < np && prev->bins[i].index < cur->bins[j].index) i++;
        uint64_t before = i < np && prev->bins[i].index == cur->bins[j].index ? prev->bins[i].n : 0;
        if (cur->bins[j].n > before) {
            pmv_bin b = { cur->bins[j].index, cur->bins[j].n - before };
            arrput(out->bins, b);
            out->hist_total += b.n;
        }
        j++;
    }
    int had = prev->count > 0;
    fill_stats(out, cur->min, cur->max, !had || cur->min < prev->min, !had || cur->max > prev->max);
}

void pmv_win_clear(pmv_win *w)
{
    arrfree(w->bins);
    w->bins = NULL;
}

int pmv_same_segment(const pmv_snapshot *a, const pmv_snapshot *b)
{
    return a->pid == b->pid && a->start_realtime_ns == b->start_realtime_ns &&
           a->start_monotonic_ns == b->start_monotonic_ns;
}

void pmv_windows_free(pmv_win **w)
{
    for (ptrdiff_t i = 0; i < arrlen(*w); i++) pmv_win_clear(&(*w)[i]);
    arrfree(*w);
    *w = NULL;
}

void pmv_windows(const pmv_snapshot *prev, const pmv_snapshot *cur, double seconds, pmv_win **out)
{
    if (!prev) {
        pmv_windows_total(cur, out);
        return;
    }
    pmv_windows_free(out);
    int same = pmv_same_segment(prev, cur);
    /* record number -> position in prev (+1; 0: absent). Record numbers
       are below series_count, itself bounded by PM_SHM_MAX_SERIES_LIMIT. */
    uint32_t span = 0;
    for (ptrdiff_t i = 0; i < arrlen(prev->series); i++)
        if (prev->series[i].index >= span) span = prev->series[i].index + 1;
    ptrdiff_t *pos = calloc((size_t)span + 1, sizeof *pos);
    if (!pos) abort();
    for (ptrdiff_t i = 0; i < arrlen(prev->series); i++) pos[prev->series[i].index] = i + 1;
    arrsetlen(*out, arrlen(cur->series));
    for (ptrdiff_t i = 0; i < arrlen(cur->series); i++) {
        const pmv_series *c = &cur->series[i];
        const pmv_series *p = NULL;
        if (c->index < span && pos[c->index]) {
            p = &prev->series[pos[c->index] - 1];
            if (strcmp(p->name, c->name) != 0) p = NULL;
        }
        pmv_win_series(p, c, same, seconds, &(*out)[i]);
        /* in another segment even a name seen before restarted from zero */
        if (!p && !same) (*out)[i].reset = 1;
    }
    free(pos);
}

void pmv_windows_total(const pmv_snapshot *cur, pmv_win **out)
{
    pmv_windows_free(out);
    uint64_t up_ns = pmv_snapshot_uptime_ns(cur), end_ns = cur->start_realtime_ns + up_ns;
    arrsetlen(*out, arrlen(cur->series));
    for (ptrdiff_t i = 0; i < arrlen(cur->series); i++) {
        const pmv_series *s = &cur->series[i];
        uint64_t ns = up_ns;   /* a reset series' figures are since its reset */
        if (s->resets && s->reset_ns) ns = end_ns > s->reset_ns ? end_ns - s->reset_ns : 0;
        pmv_win_total(s, (double)ns / 1e9, &(*out)[i]);
    }
}
