/* test_viewer_window.c - window figures from two snapshots (count, rate,
   errors, percentiles from histogram differences, resets), hit-rate pairs,
   sparklines and trends; then the same from a real writer's segment. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <stb_ds.h>
#include <time.h>

#include "harness.h"
#include "viewer/model/derived.h"
#include "viewer/read/live.h"
#include "viewer/out/sparkline.h"
#include "viewer/model/window.h"

/* A series holding n records of each value in vals (bins built as the
   reader would). */
static void fill(pmv_series *s, int kind, const uint64_t *vals, const uint64_t *ns, int k)
{
    s->kind = kind;
    s->count = s->sum = s->min = s->max = s->hist_total = 0;
    arrfree(s->bins);
    s->bins = NULL;
    uint64_t dense_idx[64];
    uint64_t dense_n[64];
    int nd = 0;
    for (int i = 0; i < k; i++) {
        if (ns[i] == 0) continue;
        if (s->count == 0 || vals[i] < s->min) s->min = vals[i];
        if (s->count == 0 || vals[i] > s->max) s->max = vals[i];
        s->count += ns[i];
        s->sum += vals[i] * ns[i];
        uint32_t b = pm_shm_hist_index(vals[i]);
        int j = 0;
        while (j < nd && dense_idx[j] != b) j++;
        if (j == nd) { dense_idx[nd] = b; dense_n[nd] = 0; nd++; }
        dense_n[j] += ns[i];
    }
    /* sorted by bucket */
    for (int a = 0; a < nd; a++)
        for (int b = a + 1; b < nd; b++)
            if (dense_idx[b] < dense_idx[a]) {
                uint64_t t = dense_idx[a]; dense_idx[a] = dense_idx[b]; dense_idx[b] = t;
                t = dense_n[a]; dense_n[a] = dense_n[b]; dense_n[b] = t;
            }
    for (int a = 0; a < nd; a++) {
        pmv_bin bin = { (uint32_t)dense_idx[a], dense_n[a] };
        arrput(s->bins, bin);
        s->hist_total += dense_n[a];
    }
}

static void test_delta_count_rate_mean(void)
{
    pmv_series a = { 0 }, b = { 0 };
    uint64_t v[] = { 100 }, n1[] = { 100 }, n2[] = { 150 };
    fill(&a, PM_SHM_KIND_TIMER, v, n1, 1);
    fill(&b, PM_SHM_KIND_TIMER, v, n2, 1);
    a.errors = 3; b.errors = 8;
    a.slow = 1; b.slow = 1;
    pmv_win w;
    pmv_win_series(&a, &b, 1, 2.0, &w);
    CHECK(!w.reset && !w.fresh);
    CHECK_EQ_U64(w.count, 50);
    CHECK_EQ_U64(w.sum, 5000);
    CHECK_EQ_U64(w.errors, 5);
    CHECK_EQ_U64(w.slow, 0);
    CHECK_NEAR(w.rate, 25.0, 1e-9);
    CHECK_NEAR(w.err_pct, 10.0, 1e-9);
    CHECK_NEAR(w.mean, 100.0, 1e-9);
    CHECK_NEAR(w.p50, 100.0, 1e-9);
    CHECK_EQ_U64(w.hist_total, 50);
    pmv_win_clear(&w);
    arrfree(a.bins);
    arrfree(b.bins);
}

/* The window's percentiles come from bucket differences: the old slow
   records must not show in a window that had only fast ones, and back. */
static void test_percentiles_from_bin_deltas(void)
{
    pmv_series a = { 0 }, b = { 0 };
    uint64_t v[] = { 1000, 5000000 };
    uint64_t n1[] = { 0, 1000 };   /* first: 1000 slow records at 5 ms */
    uint64_t n2[] = { 500, 1000 }; /* then 500 fast ones at 1 us */
    fill(&a, PM_SHM_KIND_TIMER, v, n1, 2);
    fill(&b, PM_SHM_KIND_TIMER, v, n2, 2);
    pmv_win w;
    pmv_win_series(&a, &b, 1, 1.0, &w);
    CHECK_EQ_U64(w.count, 500);
    CHECK_REL(w.p50, 1000.0, 0.01);
    CHECK_REL(w.p99, 1000.0, 0.01);
    CHECK_REL(w.max, 1000.0, 0.01);   /* estimated: the all-time max did not move */
    CHECK(w.max <= (double)b.max);
    CHECK_REL(w.min, 1000.0, 1e-9);   /* exact: the all-time min moved */
    pmv_win_clear(&w);
    /* since start the slow records dominate */
    pmv_win_total(&b, 10.0, &w);
    CHECK_EQ_U64(w.count, 1500);
    CHECK_REL(w.p50, 5000000.0, 0.01);
    CHECK_NEAR(w.max, 5000000.0, 0);
    CHECK_NEAR(w.rate, 150.0, 1e-9);
    pmv_win_clear(&w);
    /* the other way: a new max inside the window is exact */
    pmv_series c = { 0 };
    uint64_t v3[] = { 1000, 5000000, 7777777 }, n3a[] = { 500, 1000, 0 }, n3b[] = { 500, 1000, 10 };
    fill(&a, PM_SHM_KIND_TIMER, v3, n3a, 3);
    fill(&c, PM_SHM_KIND_TIMER, v3, n3b, 3);
    pmv_win_series(&a, &c, 1, 1.0, &w);
    CHECK_EQ_U64(w.count, 10);
    CHECK_NEAR(w.max, 7777777.0, 0);
    CHECK_REL(w.p50, 7777777.0, 0.01);
    pmv_win_clear(&w);
    arrfree(a.bins); arrfree(b.bins); arrfree(c.bins);
}

static void test_resets(void)
{
    pmv_series a = { 0 }, b = { 0 };
    uint64_t v[] = { 100 }, n1[] = { 100 }, n2[] = { 30 };
    fill(&a, PM_SHM_KIND_TIMER, v, n1, 1);
    fill(&b, PM_SHM_KIND_TIMER, v, n2, 1);
    pmv_win w;
    /* a count that went down: a restart; the newer figures are the window's */
    pmv_win_series(&a, &b, 1, 1.0, &w);
    CHECK(w.reset);
    CHECK_EQ_U64(w.count, 30);
    CHECK_NEAR(w.rate, 30.0, 1e-9);
    CHECK_NEAR(w.p50, 100.0, 1e-9);
    pmv_win_clear(&w);
    /* another segment: a reset even when the counts grew */
    pmv_win_series(&b, &a, 0, 1.0, &w);
    CHECK(w.reset);
    CHECK_EQ_U64(w.count, 100);
    pmv_win_clear(&w);
    /* a counter that went down */
    pmv_series c1 = { 0 }, c2 = { 0 };
    c1.kind = c2.kind = PM_SHM_KIND_COUNTER;
    c1.count = 1000; c2.count = 10;
    pmv_win_series(&c1, &c2, 1, 2.0, &w);
    CHECK(w.reset);
    CHECK_EQ_U64(w.count, 10);
    CHECK_NEAR(w.rate, 5.0, 1e-9);
    pmv_win_clear(&w);
    /* a new series: all of it happened in the window */
    pmv_win_series(NULL, &c2, 1, 2.0, &w);
    CHECK(w.fresh && !w.reset);
    CHECK_EQ_U64(w.count, 10);
    pmv_win_clear(&w);
    arrfree(a.bins); arrfree(b.bins);
}

static void test_counter_and_gauge(void)
{
    pmv_series a = { 0 }, b = { 0 };
    a.kind = b.kind = PM_SHM_KIND_COUNTER;
    a.count = 1000; b.count = 1600;
    pmv_win w;
    pmv_win_series(&a, &b, 1, 0.5, &w);
    CHECK_EQ_U64(w.count, 600);
    CHECK_NEAR(w.rate, 1200.0, 1e-9);
    CHECK(isnan(w.p50) && isnan(w.mean) && isnan(w.max));
    pmv_win_clear(&w);
    a.kind = b.kind = PM_SHM_KIND_GAUGE;
    a.count = b.count = 0;
    a.gauge = 10; b.gauge = -5;
    pmv_win_series(&a, &b, 1, 1.0, &w);
    CHECK_EQ_I64(w.gauge, -5);
    CHECK_EQ_I64(w.gauge_delta, -15);
    CHECK_EQ_U64(w.count, 0);
    pmv_win_clear(&w);
}

static void add_series(pmv_snapshot *s, uint32_t index, const char *name, int kind, uint64_t count)
{
    pmv_series x = { 0 };
    x.index = index;
    x.name = strdup(name);
    pmv_labels_parse(x.name, &x.base, &x.labels, &x.labels_raw);
    x.kind = kind;
    x.count = count;
    arrput(s->series, x);
}

/* pmv_windows pairs by record number and name, whatever the order. */
static void test_windows_pairing_and_ratios(void)
{
    pmv_snapshot p, c;
    memset(&p, 0, sizeof p);
    memset(&c, 0, sizeof c);
    p.pid = c.pid = 42;
    p.start_realtime_ns = c.start_realtime_ns = 1000;
    add_series(&p, 0, "cache.hit", PM_SHM_KIND_COUNTER, 100);
    add_series(&p, 1, "cache.miss", PM_SHM_KIND_COUNTER, 100);
    add_series(&p, 2, "dns.hits{zone=\"a\"}", PM_SHM_KIND_COUNTER, 0);
    /* newer snapshot, another order, one new series */
    add_series(&c, 3, "dns.misses{zone=\"a\"}", PM_SHM_KIND_COUNTER, 10);
    add_series(&c, 2, "dns.hits{zone=\"a\"}", PM_SHM_KIND_COUNTER, 30);
    add_series(&c, 1, "cache.miss", PM_SHM_KIND_COUNTER, 110);
    add_series(&c, 0, "cache.hit", PM_SHM_KIND_COUNTER, 190);
    add_series(&c, 4, "dns.hits{zone=\"b\"}", PM_SHM_KIND_COUNTER, 5); /* no pair */
    pmv_win *w = NULL;
    pmv_windows(&p, &c, 1.0, &w);
    CHECK_EQ_U64(arrlen(w), 5);
    CHECK_EQ_U64(w[0].count, 10);
    CHECK(w[0].fresh);
    CHECK_EQ_U64(w[1].count, 30);
    CHECK_EQ_U64(w[2].count, 10);
    CHECK_EQ_U64(w[3].count, 90);
    pmv_ratio *r = pmv_find_ratios(w, arrlen(w));
    CHECK_EQ_U64(arrlen(r), 2);
    CHECK_STR(r[0].name, "cache");
    CHECK_NEAR(r[0].window_pct, 90.0, 1e-9);       /* 90 hits, 10 misses */
    CHECK_NEAR(r[0].total_pct, 190.0 / 300 * 100, 1e-9);
    CHECK_NEAR(r[0].window_rate, 100.0, 1e-9);
    CHECK_STR(r[1].name, "dns{zone=\"a\"}");
    CHECK_NEAR(r[1].window_pct, 75.0, 1e-9);
    arrfree(r);
    /* a record number reused under another name is not the same series */
    free(c.series[3].name);
    c.series[3].name = strdup("cache.other");
    pmv_windows(&p, &c, 1.0, &w);
    CHECK(w[3].fresh);
    CHECK_EQ_U64(w[3].count, 190);
    /* another process with the same pid: everything reset */
    c.start_realtime_ns = 2000;
    pmv_windows(&p, &c, 1.0, &w);
    CHECK(w[2].reset);
    CHECK_EQ_U64(w[2].count, 110);
    pmv_windows_free(&w);
    pmv_snapshot_free(&p);
    pmv_snapshot_free(&c);
}

static void test_sparkline_and_trend(void)
{
    char buf[128];
    double up[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    CHECK_STR(pmv_sparkline(up, 8, 8, buf, sizeof buf), "▁▂▃▄▅▆▇█");
    CHECK_STR(pmv_sparkline(up, 8, 3, buf, sizeof buf), "▆▇█");
    CHECK_STR(pmv_sparkline(up, 2, 4, buf, sizeof buf), "  ▁█");
    double flat[] = { 0, 0, 0 };
    CHECK_STR(pmv_sparkline(flat, 3, 3, buf, sizeof buf), "▁▁▁");
    double neg[] = { -4, 0, 4, NAN };
    CHECK_STR(pmv_sparkline(neg, 4, 4, buf, sizeof buf), "▁▅█ ");
    CHECK_EQ_I64(pmv_trend(up, 8, 5), 1);
    double down[] = { 10, 10, 10, 10, 5 };
    CHECK_EQ_I64(pmv_trend(down, 5, 5), -1);
    double steady[] = { 100, 101, 99, 100, 105 };
    CHECK_EQ_I64(pmv_trend(steady, 5, 5), 0);
    CHECK_EQ_I64(pmv_trend(steady, 1, 5), 0);
    CHECK_STR(pmv_trend_glyph(1), "↑");
}

/* End to end through the segment: two snapshots of this process around a
   known amount of work. */
static void test_live_windows_from_segment(void)
{
    for (int i = 0; i < 100; i++) PM_DURATION("w.timer", 5000000, 1);  /* 5 ms */
    PM_COUNT("w.count", 7);
    pmv_live L;
    char err[256];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_MSG(pmv_live_open(&L, (uint32_t)getpid(), err, sizeof err) == PMV_OK, "open: %s", err);
    for (int i = 0; i < 400; i++) PM_DURATION("w.timer", i % 10 == 0 ? 20000 : 2000, i % 4 != 0);
    PM_COUNT("w.count", 93);
    struct timespec nap = { 0, 100000000 };
    nanosleep(&nap, NULL);
    CHECK_MSG(pmv_live_step(&L, err, sizeof err) == PMV_OK, "step: %s", err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(!L.ended);
    /* the window spans the 100 ms nap and lies within the time around it
       (CLOCK_MONOTONIC both; however long a loaded machine makes it) */
    double ws = pmv_live_window_s(&L);
    double outer = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK_MSG(ws >= 0.1 - 1e-6 && ws <= outer + 1e-6, "window %.6f s, %.6f s around it", ws, outer);
    pmv_win *w = NULL;
    pmv_windows(&L.prev, &L.cur, ws, &w);
    int seen = 0;
    for (ptrdiff_t i = 0; i < arrlen(w); i++) {
        if (strcmp(w[i].s->name, "w.timer") == 0) {
            seen++;
            CHECK_EQ_U64(w[i].count, 400);
            CHECK_EQ_U64(w[i].errors, 100);
            CHECK_NEAR(w[i].err_pct, 25.0, 1e-9);
            CHECK_REL(w[i].p50, 2000.0, 0.01);       /* not the 5 ms of before */
            CHECK_REL(w[i].p95, 20000.0, 0.01);
            CHECK_REL(w[i].max, 20000.0, 0.01);
            CHECK_REL(w[i].rate, 400.0 / ws, 1e-9);
        } else if (strcmp(w[i].s->name, "w.count") == 0) {
            seen++;
            CHECK_EQ_U64(w[i].count, 93);
            CHECK_EQ_U64(w[i].s->count, 100);
        }
    }
    CHECK_EQ_I64(seen, 2);
    pmv_windows_free(&w);
    pmv_live_close(&L);
}

int main(void)
{
    RUN(test_delta_count_rate_mean);
    RUN(test_percentiles_from_bin_deltas);
    RUN(test_resets);
    RUN(test_counter_and_gauge);
    RUN(test_windows_pairing_and_ratios);
    RUN(test_sparkline_and_trend);
    RUN(test_live_windows_from_segment);
    return harness_done();
}
