/* test_viewer_stats.c - the viewer's statistics and label parsing, fed by a
   real writer's histograms: percentiles of 1e6 log-normal samples recorded
   with PM_RECORD must be within 1% of the exact sorted values. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <stb_ds.h>

#include "harness.h"
#include "segread.h"
#include "viewer/read/labels.h"
#include "viewer/base/hist.h"
#include "viewer/base/units.h"

#define N 1000000

static sr_stat st;
static uint64_t vals[N];

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static double rng_normal(uint64_t *s)
{
    double u1 = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    double u2 = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The histogram as the viewer's sparse bins. */
static pmv_bin *bins_of(const sr_stat *s, int *nb)
{
    static pmv_bin bins[PM_SHM_HIST_BUCKETS];
    int n = 0;
    for (uint32_t i = 0; i < PM_SHM_HIST_BUCKETS; i++)
        if (s->hist[i]) { bins[n].index = i; bins[n].n = s->hist[i]; n++; }
    *nb = n;
    return bins;
}

static void read_series(const char *name)
{
    sr_seg s;
    CHECK(sr_open_path(&s, pm_segment_path()) == 0);
    sr_timer(&s, name, &st);
    sr_close(&s);
    CHECK(st.found);
}

static uint64_t exact_q(double q, size_t n) { return vals[(size_t)ceil(q * (double)n) - 1]; }

static void check_lognormal(double sigma, double median)
{
    uint64_t rng = 12345;
    for (size_t i = 0; i < N; i++) {
        vals[i] = (uint64_t)llround(exp(log(median) + sigma * rng_normal(&rng)));
        PM_RECORD("v.lognormal", (int64_t)vals[i]);
    }
    qsort(vals, N, sizeof vals[0], cmp_u64);
    read_series("v.lognormal");
    CHECK_EQ_U64(st.count, N);
    CHECK_EQ_U64(st.hist_total, N);
    CHECK_EQ_U64(st.min, vals[0]);
    CHECK_EQ_U64(st.max, vals[N - 1]);
    int nb;
    pmv_bin *b = bins_of(&st, &nb);
    static const double qs[] = { 0.50, 0.90, 0.99, 0.999 };
    for (int k = 0; k < 4; k++) {
        double got = pmv_percentile(b, nb, st.hist_total, qs[k], st.min, st.max);
        CHECK_REL(got, (double)exact_q(qs[k], N), 0.01);
        /* the independent reader's bucket midpoint agrees too */
        CHECK_REL(sr_quantile(&st, qs[k]), (double)exact_q(qs[k], N), 0.01);
    }
    /* q = 1 is the top bucket's interpolation, not necessarily max itself */
    CHECK_REL(pmv_percentile(b, nb, st.hist_total, 1.0, st.min, st.max), (double)st.max, 0.01);
    uint64_t sum = 0;
    for (size_t i = 0; i < N; i++) sum += vals[i];
    CHECK_EQ_U64(st.sum, sum);
    CHECK_REL(pmv_mean(st.sum, st.count), (double)sum / N, 1e-12);
}

static void test_lognormal_1e6_percentiles(void) { check_lognormal(1.0, 1e6); }
static void test_lognormal_wide_percentiles(void) { check_lognormal(2.5, 5e4); }

/* Below 128 every value has its own bucket: percentiles are exact. */
static void test_small_values_exact(void)
{
    for (int v = 1; v <= 100; v++) PM_RECORD("v.small", v);
    read_series("v.small");
    int nb;
    pmv_bin *b = bins_of(&st, &nb);
    CHECK_EQ_I64(nb, 100);
    CHECK_NEAR(pmv_percentile(b, nb, st.hist_total, 0.50, st.min, st.max), 50, 0);
    CHECK_NEAR(pmv_percentile(b, nb, st.hist_total, 0.90, st.min, st.max), 90, 0);
    CHECK_NEAR(pmv_percentile(b, nb, st.hist_total, 0.99, st.min, st.max), 99, 0);
    CHECK_NEAR(pmv_percentile(b, nb, st.hist_total, 0.001, st.min, st.max), 1, 0);
}

/* One value: every percentile is that value (clamped to min..max). */
static void test_single_value(void)
{
    PM_RECORD("v.one", 123456789);
    read_series("v.one");
    int nb;
    pmv_bin *b = bins_of(&st, &nb);
    for (double q = 0.1; q <= 1.0; q += 0.1)
        CHECK_NEAR(pmv_percentile(b, nb, st.hist_total, q, st.min, st.max), 123456789, 0);
}

static void test_empty_and_rates(void)
{
    CHECK(isnan(pmv_percentile(NULL, 0, 0, 0.5, 0, 0)));
    CHECK(isnan(pmv_mean(0, 0)));
    CHECK_NEAR(pmv_mean(10, 4), 2.5, 0);
    CHECK_NEAR(pmv_rate_pct(1, 4), 25.0, 1e-12);
    CHECK_NEAR(pmv_rate_pct(1, 0), 0.0, 0);
}

/* A timer fed through PM_DURATION: the viewer's p99 within 1%. */
static void test_timer_percentiles(void)
{
    for (uint64_t i = 1; i <= 100000; i++) PM_DURATION("v.timer", i * 1000, 1);
    read_series("v.timer");
    int nb;
    pmv_bin *b = bins_of(&st, &nb);
    CHECK_REL(pmv_percentile(b, nb, st.hist_total, 0.50, st.min, st.max), 50000000.0, 0.01);
    CHECK_REL(pmv_percentile(b, nb, st.hist_total, 0.99, st.min, st.max), 99000000.0, 0.01);
}

static void test_labels_parse(void)
{
    char *base, *raw;
    pmv_label *ls;
    CHECK_EQ_I64(pmv_labels_parse("http.req{method=\"GET\",path=\"/b\\\"q\\\\\",x=\"a\\nb\"}", &base, &ls, &raw), 1);
    CHECK_STR(base, "http.req");
    CHECK_EQ_I64(arrlen(ls), 3);
    CHECK_STR(ls[0].key, "method");
    CHECK_STR(ls[0].value, "GET");
    CHECK_STR(ls[1].key, "path");
    CHECK_STR(ls[1].value, "/b\"q\\");
    CHECK_STR(ls[2].value, "a\nb");
    CHECK_STR(raw, "method=\"GET\",path=\"/b\\\"q\\\\\",x=\"a\\nb\"");
    pmv_labels_free(ls);
    free(base);
    free(raw);

    CHECK_EQ_I64(pmv_labels_parse("plain.name", &base, &ls, &raw), 0);
    CHECK_STR(base, "plain.name");
    CHECK_STR(raw, "");
    CHECK_EQ_I64(arrlen(ls), 0);
    pmv_labels_free(ls);
    free(base);
    free(raw);

    static const char *const bad[] = { "a{k=v}", "a{k=\"v\"", "a{k=\"v\"}x", "{k=\"v\"}", "a{k=\"\\x\"}", "a{=\"v\"}" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_I64(pmv_labels_parse(bad[i], &base, &ls, &raw), 0);
        CHECK_STR(base, bad[i]);  /* unsplit */
        CHECK_EQ_I64(arrlen(ls), 0);
        pmv_labels_free(ls);
        free(base);
        free(raw);
    }
}

/* What pm_name() writes, the viewer reads back to the same values. */
static void test_labels_roundtrip_pm_name(void)
{
    static const char *const values[] = { "", "GET", "a\"b", "back\\slash", "new\nline", "{,}=", "\"\\\n" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char name[PM_SHM_NAME_MAX];
        CHECK(pm_name(name, sizeof name, "rt", "k", values[i], "z", "end", (const char *)NULL) > 0);
        char *base, *raw;
        pmv_label *ls;
        CHECK_EQ_I64(pmv_labels_parse(name, &base, &ls, &raw), 1);
        CHECK_STR(base, "rt");
        CHECK_EQ_I64(arrlen(ls), 2);
        CHECK_STR(ls[0].value, values[i]);
        CHECK_STR(ls[1].value, "end");
        pmv_labels_free(ls);
        free(base);
        free(raw);
    }
}

static void test_units(void)
{
    char b[32];
    CHECK_STR(pmv_fmt_duration(850, b, sizeof b), "850ns");
    CHECK_STR(pmv_fmt_duration(1234567, b, sizeof b), "1.23ms");
    CHECK_STR(pmv_fmt_duration(12.4e9, b, sizeof b), "12.4s");
    CHECK_STR(pmv_fmt_bytes(3481.6, b, sizeof b), "3.40KiB");
    CHECK_STR(pmv_fmt_bytes(1000, b, sizeof b), "1000B");
    CHECK_STR(pmv_fmt_bytes(1023, b, sizeof b), "1023B");
    CHECK_STR(pmv_fmt_bytes(1024, b, sizeof b), "1.00KiB");
    CHECK_STR(pmv_fmt_count(1200, b, sizeof b), "1.20k");
    CHECK_STR(pmv_fmt_count(8000000, b, sizeof b), "8.00M");
    CHECK_STR(pmv_fmt_count(-7, b, sizeof b), "-7");
    CHECK_STR(pmv_fmt_duration(NAN, b, sizeof b), "-");
    CHECK_STR(pmv_fmt_duration(999.9e6, b, sizeof b), "1.00s");  /* rounding carries to the next unit */
    CHECK_STR(pmv_fmt_age(192ull * 1000000000u, b, sizeof b), "3m12s");
}

int main(void)
{
    RUN(test_lognormal_1e6_percentiles);
    RUN(test_lognormal_wide_percentiles);
    RUN(test_small_values_exact);
    RUN(test_single_value);
    RUN(test_empty_and_rates);
    RUN(test_timer_percentiles);
    RUN(test_labels_parse);
    RUN(test_labels_roundtrip_pm_name);
    RUN(test_units);
    return harness_done();
}
