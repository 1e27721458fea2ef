/* test_timers.c - timers, errors, slow counts, distributions, histograms */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <pthread.h>
#include <time.h>

#include "harness.h"
#include "segread.h"

#define MS 1000000ull

static sr_stat st;  /* big (histogram): not on the stack */

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {}
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void read_timer(const char *name)
{
    sr_seg s;
    CHECK_MSG(sr_open_path(&s, pm_segment_path()) == 0, "cannot read own segment '%s'", pm_segment_path());
    sr_timer(&s, name, &st);
    sr_close(&s);
    CHECK_MSG(st.found, "series %s not found", name);
}

/* One 100 ms sleep, recorded as at least 100 ms (nanosleep never returns
   early) and at most OUTER_NS, the CLOCK_MONOTONIC time measured around the
   whole timed block: a loaded machine may oversleep by any amount, so no
   fixed upper bound. REL: the clock's conversion error (0: CLOCK_MONOTONIC
   is exact; the TSC's calibrated rate is not). Count 1, min = max = sum. */
static void check_one_100ms(const char *name, uint64_t outer_ns, double rel)
{
    read_timer(name);
    CHECK_EQ_U64(st.kind, PM_SHM_KIND_TIMER);
    CHECK_EQ_U64(st.count, 1);
    CHECK_MSG(st.sum >= (uint64_t)(100 * MS * (1 - rel)) && st.sum <= (uint64_t)((double)outer_ns * (1 + rel)),
              "recorded %llu ns, measured around it %llu ns", (unsigned long long)st.sum,
              (unsigned long long)outer_ns);
    CHECK_EQ_U64(st.min, st.sum);
    CHECK_EQ_U64(st.max, st.sum);
    CHECK_EQ_U64(st.errors, 0);
    CHECK_EQ_U64(st.hist_total, 1);
    CHECK_EQ_U64(st.hist[pm_shm_hist_index(st.sum)], 1);
}

static void test_scope_100ms(void)
{
    uint64_t t0 = mono_ns();
    {
        PM_SCOPE("t.scope");
        sleep_ms(100);
    }
    check_one_100ms("t.scope", mono_ns() - t0, 0);
}

static void test_begin_end_100ms(void)
{
    uint64_t t0 = mono_ns();
    pm_span sp = PM_BEGIN("t.span");
    sleep_ms(100);
    PM_END(sp);
    check_one_100ms("t.span", mono_ns() - t0, 0);
}

static void test_timer_start_stop_100ms(void)
{
    uint64_t t0 = mono_ns();
    pm_timer_start("t.startstop");
    sleep_ms(100);
    double secs = pm_timer_stop("t.startstop");
    uint64_t outer = mono_ns() - t0;
    CHECK(secs >= 0.100 && secs * 1e9 <= (double)outer);
    check_one_100ms("t.startstop", outer, 0);
    CHECK_NEAR(secs * 1e9, (double)st.sum, 1.0);
    CHECK_NEAR(pm_timer_stop("t.startstop"), -1.0, 0);  /* not running any more */
    CHECK_NEAR(pm_timer_stop("t.never_started"), -1.0, 0);
}

/* Overlapping start/stop pairs each find their own start. */
static void test_timer_start_stop_overlap(void)
{
    pm_timer_start("t.outer");
    pm_timer_start("t.inner");
    CHECK(pm_timer_stop("t.outer") >= 0);
    CHECK(pm_timer_stop("t.inner") >= 0);
    read_timer("t.outer");
    CHECK_EQ_U64(st.count, 1);
    read_timer("t.inner");
    CHECK_EQ_U64(st.count, 1);
}

static void test_record_duration_exact(void)
{
    pm_record_duration("t.dur", 100 * MS, 1);
    check_one_100ms("t.dur", 100 * MS, 0);  /* recorded, not slept: exactly 100 ms */
    CHECK_EQ_U64(st.sum, 100 * MS);
    PM_DURATION("t.dur2", 5, 1);
    PM_DURATION("t.dur2", 300, 0);
    PM_DURATION("t.dur2", 7 * MS, 1);
    read_timer("t.dur2");
    CHECK_EQ_U64(st.count, 3);
    CHECK_EQ_U64(st.sum, 305 + 7 * MS);
    CHECK_EQ_U64(st.min, 5);
    CHECK_EQ_U64(st.max, 7 * MS);
    CHECK_EQ_U64(st.errors, 1);
    CHECK_EQ_U64(st.hist[5], 1);
    CHECK_EQ_U64(st.hist[pm_shm_hist_index(300)], 1);
    CHECK_EQ_U64(st.hist[pm_shm_hist_index(7 * MS)], 1);
    CHECK_EQ_U64(st.unit, PM_SHM_UNIT_NANOSECONDS);
}

static pthread_barrier_t all_in;

static void *one_scope(void *arg)
{
    (void)arg;
    PM_SCOPE("t.concurrent");
    pthread_barrier_wait(&all_in);  /* all 10 scopes are open at once */
    return NULL;
}

static void test_ten_concurrent_scopes(void)
{
    pthread_t th[10];
    pthread_barrier_init(&all_in, NULL, 10);
    for (int i = 0; i < 10; i++) CHECK(pthread_create(&th[i], NULL, one_scope, NULL) == 0);
    for (int i = 0; i < 10; i++) pthread_join(th[i], NULL);
    read_timer("t.concurrent");
    CHECK_EQ_U64(st.count, 10);
    CHECK_EQ_U64(st.hist_total, 10);
}

static void scope_that_fails(int fail)
{
    PM_SCOPE("t.scopefail");
    if (fail) PM_SCOPE_FAIL();
}

static void test_errors(void)
{
    pm_span a = PM_BEGIN("t.err");
    PM_END_ERROR(a);
    pm_span b = PM_BEGIN("t.err");
    PM_END(b);
    pm_span c = PM_BEGIN("t.err");
    PM_SPAN_FAIL(c);
    PM_END(c);
    pm_record_duration("t.err", 1000, 0);
    pm_record_duration("t.err", 1000, 1);
    read_timer("t.err");
    CHECK_EQ_U64(st.count, 5);
    CHECK_EQ_U64(st.errors, 3);

    for (int i = 0; i < 10; i++) scope_that_fails(i % 3 == 0);  /* i = 0, 3, 6, 9 */
    read_timer("t.scopefail");
    CHECK_EQ_U64(st.count, 10);
    CHECK_EQ_U64(st.errors, 4);
}

/* PERFMON_SLOW_MS sets the default threshold; a duration >= it is slow. */
static void test_slow_env(void)
{
    setenv("PERFMON_SLOW_MS", "50", 1);
    pm_record_duration("t.slowenv", 49 * MS, 1);
    pm_record_duration("t.slowenv", 50 * MS, 1);
    pm_record_duration("t.slowenv", 51 * MS, 1);
    pm_record_duration("t.slowenv", 2000 * MS, 0);
    read_timer("t.slowenv");
    CHECK_EQ_U64(st.count, 4);
    CHECK_EQ_U64(st.slow, 3);
    CHECK_EQ_U64(st.slow_ns, 50 * MS);
    sr_seg s;
    CHECK(sr_open_path(&s, pm_segment_path()) == 0);
    CHECK_EQ_U64(s.h->default_slow_ns, 50 * MS);
    sr_close(&s);
}

static void test_slow_default_1s(void)
{
    unsetenv("PERFMON_SLOW_MS");
    pm_record_duration("t.slowdef", 999 * MS, 1);
    pm_record_duration("t.slowdef", 1000 * MS, 1);
    read_timer("t.slowdef");
    CHECK_EQ_U64(st.slow_ns, 1000 * MS);
    CHECK_EQ_U64(st.slow, 1);
}

static void test_slow_threshold_api(void)
{
    pm_set_slow_threshold_ms("t.slowapi", 10);
    pm_record_duration("t.slowapi", 9 * MS, 1);
    pm_record_duration("t.slowapi", 10 * MS, 1);
    pm_record_duration("t.slowapi", 11 * MS, 1);
    PM_DURATION("t.slowapi", 30 * MS, 1);
    read_timer("t.slowapi");
    CHECK_EQ_U64(st.slow_ns, 10 * MS);
    CHECK_EQ_U64(st.count, 4);
    CHECK_EQ_U64(st.slow, 3);
    /* a fractional threshold, set after records exist, counts from then on */
    pm_set_slow_threshold_ms("t.slowapi", 0.5);
    pm_record_duration("t.slowapi", 400000, 1);
    pm_record_duration("t.slowapi", 500000, 1);
    read_timer("t.slowapi");
    CHECK_EQ_U64(st.slow_ns, 500000);
    CHECK_EQ_U64(st.slow, 4);
}

static void test_distribution(void)
{
    PM_RECORD("d.plain", 10);
    PM_RECORD("d.plain", -5);     /* below 0 counts as 0 */
    PM_RECORD("d.plain", 1000000);
    pm_record("d.plain", 3);
    read_timer("d.plain");
    CHECK_EQ_U64(st.kind, PM_SHM_KIND_DISTRIBUTION);
    CHECK_EQ_U64(st.unit, PM_SHM_UNIT_NONE);
    CHECK_EQ_U64(st.count, 4);
    CHECK_EQ_U64(st.sum, 1000013);
    CHECK_EQ_U64(st.min, 0);
    CHECK_EQ_U64(st.max, 1000000);
    CHECK_EQ_U64(st.errors, 0);
    CHECK_EQ_U64(st.slow, 0);
    CHECK_EQ_U64(st.hist[0], 1);
    CHECK_EQ_U64(st.hist[3], 1);
    CHECK_EQ_U64(st.hist[10], 1);

    PM_RECORD_BYTES("d.bytes", 4096);
    PM_RECORD_UNIT("d.ns", 77, PM_UNIT_NANOSECONDS);
    pm_set_unit("d.later", PM_UNIT_BYTES);
    pm_record("d.later", 1);
    pm_id id = pm_lookup("d.byid", PM_KIND_DISTRIBUTION, PM_UNIT_NONE);
    pm_record_id(id, 12);
    pm_record_id(id, 14);
    read_timer("d.bytes");
    CHECK_EQ_U64(st.unit, PM_SHM_UNIT_BYTES);
    CHECK_EQ_U64(st.sum, 4096);
    read_timer("d.ns");
    CHECK_EQ_U64(st.unit, PM_SHM_UNIT_NANOSECONDS);
    read_timer("d.later");
    CHECK_EQ_U64(st.unit, PM_SHM_UNIT_BYTES);
    CHECK_EQ_U64(st.count, 1);
    read_timer("d.byid");
    CHECK_EQ_U64(st.count, 2);
    CHECK_EQ_U64(st.sum, 26);
}

/* Every bucket boundary the ABI documents, through the writer. */
static void test_histogram_buckets(void)
{
    static const uint64_t vals[] = { 0, 1, 127, 128, 129, 255, 256, 1000, 65535, 65536,
                                     (1ull << 47), (1ull << 48) - 1, (1ull << 48), (1ull << 60) };
    size_t n = sizeof vals / sizeof vals[0];
    for (size_t i = 0; i < n; i++) PM_RECORD("d.hist", (int64_t)vals[i]);
    read_timer("d.hist");
    CHECK_EQ_U64(st.count, n);
    CHECK_EQ_U64(st.hist_total, n);
    CHECK_EQ_U64(st.max, 1ull << 60);
    for (size_t i = 0; i < n; i++) {
        uint32_t b = pm_shm_hist_index(vals[i]);
        CHECK(b < PM_SHM_HIST_BUCKETS);
        CHECK_MSG(st.hist[b] >= 1, "value %llu not in bucket %u", (unsigned long long)vals[i], b);
        if (vals[i] < (1ull << 48)) {
            CHECK(pm_shm_hist_lower(b) <= vals[i]);
            CHECK(vals[i] < pm_shm_hist_lower(b) + pm_shm_hist_width(b));
        }
    }
    CHECK_EQ_U64(st.hist[PM_SHM_HIST_BUCKETS - 1], 3);  /* 2^48-1 is in it too: top octave */
    /* the bucket map is continuous: lower(i+1) = lower(i) + width(i) */
    for (uint32_t b = 0; b + 1 < PM_SHM_HIST_BUCKETS; b++)
        CHECK_EQ_U64(pm_shm_hist_lower(b + 1), pm_shm_hist_lower(b) + pm_shm_hist_width(b));
}

/* Both flags perfmon.h requires before it times with the TSC, as whole
   words of the first "flags" line of /proc/cpuinfo. */
static int tsc_invariant(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    int constant = 0, nonstop = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0) continue;
        for (char *w = strtok(line, " \t\n"); w; w = strtok(NULL, " \t\n")) {
            constant |= strcmp(w, "constant_tsc") == 0;
            nonstop |= strcmp(w, "nonstop_tsc") == 0;
        }
        break;
    }
    fclose(f);
    return constant && nonstop;
}

/* PERFMON_CLOCK=tsc on a machine with an invariant TSC: the segment says
   the TSC was used, and a timer still measures 100 ms through its
   calibrated rate. Elsewhere perfmon falls back to the monotonic clock
   (test_lifecycle checks that kind): skipped here. */
static void test_scope_100ms_tsc(void)
{
#if !defined(__x86_64__)
    SKIP("no TSC clock on this architecture");
#endif
    if (!tsc_invariant()) SKIP("no invariant TSC (constant_tsc and nonstop_tsc) in /proc/cpuinfo");
    setenv("PERFMON_CLOCK", "tsc", 1);
    uint64_t t0 = mono_ns();
    {
        PM_SCOPE("t.tsc");
        sleep_ms(100);
    }
    uint64_t outer = mono_ns() - t0;
    sr_seg s;
    CHECK(sr_open_path(&s, pm_segment_path()) == 0);
    CHECK_EQ_U64(s.h->clock_kind, PM_SHM_CLOCK_TSC);
    CHECK(s.h->ns_per_tick > 0);
    sr_close(&s);
    check_one_100ms("t.tsc", outer, 0.01);
}

int main(void)
{
    RUN(test_scope_100ms);
    RUN(test_begin_end_100ms);
    RUN(test_timer_start_stop_100ms);
    RUN(test_timer_start_stop_overlap);
    RUN(test_record_duration_exact);
    RUN(test_ten_concurrent_scopes);
    RUN(test_errors);
    RUN(test_slow_env);
    RUN(test_slow_default_1s);
    RUN(test_slow_threshold_api);
    RUN(test_distribution);
    RUN(test_histogram_buckets);
    RUN(test_scope_100ms_tsc);
    return harness_done();
}
