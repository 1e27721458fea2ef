/* test_resources.c - pm_benchmark and resource spans: values and series */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <stdlib.h>
#include <time.h>

#include "harness.h"
#include "segread.h"

static volatile uint64_t sink;

/* About 20 us of CPU work per call. */
static void spin(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg;
    for (int i = 0; i < 20000; i++) x = x * 6364136223846793005ull + 1442695040888963407ull;
    sink = x;
}

static uint64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* getrusage's CPU times lag the scheduler's by up to a tick (10 ms at
   HZ=100, the coarsest there is): the slack of every CPU-time bound. */
#define TICK_NS 10000000ull

static void open_self(sr_seg *s)
{
    CHECK_MSG(sr_open_path(s, pm_segment_path()) == 0, "cannot read own segment %s", pm_segment_path());
}

static void test_benchmark_result_and_series(void)
{
    pm_benchmark_result r;
    memset(&r, 0xff, sizeof r);
    uint64_t wall0 = clock_ns(CLOCK_MONOTONIC), cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    CHECK_EQ_I64(pm_benchmark("bench.spin", spin, (void *)1, 500, &r), PM_OK);
    uint64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0, wall = clock_ns(CLOCK_MONOTONIC) - wall0;
    CHECK_EQ_U64(r.count, 500);
    CHECK(r.min_ns > 0);
    CHECK(r.min_ns <= r.p50_ns && r.p50_ns <= r.p95_ns && r.p95_ns <= r.p99_ns && r.p99_ns <= r.max_ns);
    CHECK(r.mean_ns >= (double)r.min_ns && r.mean_ns <= (double)r.max_ns);
    CHECK(r.total_ns >= (uint64_t)(r.mean_ns * 500));
    /* this thread's CPU time over the run: some (10 ms of work span ticks),
       and no more than the thread used around the call, nor than the wall
       time (how much of the wall time it gets is up to the machine's load) */
    uint64_t used = r.cpu_user_ns + r.cpu_sys_ns;
    CHECK_MSG(used > 0, "no CPU time over %llu ns of work", (unsigned long long)r.total_ns);
    CHECK_MSG(used <= cpu + TICK_NS, "cpu %llu > the thread's %llu around the call",
              (unsigned long long)used, (unsigned long long)cpu);
    CHECK_MSG(used <= wall + TICK_NS, "cpu %llu > wall %llu", (unsigned long long)used, (unsigned long long)wall);
    CHECK(r.total_ns <= wall);
    CHECK(r.peak_rss_bytes > 0);

    sr_seg s;
    sr_stat st;
    open_self(&s);
    sr_timer(&s, "bench.spin", &st);
    CHECK(st.found && st.kind == PM_SHM_KIND_TIMER);
    CHECK_EQ_U64(st.count, 500);
    CHECK_EQ_U64(st.min, r.min_ns);
    CHECK_EQ_U64(st.max, r.max_ns);
    CHECK_NEAR((double)st.sum / 500.0, r.mean_ns, 1.0);
    /* the result's p50 and the segment's histogram agree to a bucket */
    CHECK_REL(sr_quantile(&st, 0.5), (double)r.p50_ns, 0.02);
    sr_timer(&s, "bench.spin.cpu_user", &st);
    CHECK(st.found && st.kind == PM_SHM_KIND_DISTRIBUTION && st.unit == PM_SHM_UNIT_NANOSECONDS);
    CHECK_EQ_U64(st.count, 1);
    CHECK_EQ_U64(st.sum, r.cpu_user_ns);
    int found = 0;
    CHECK_EQ_I64(sr_gauge(&s, "bench.spin.peak_rss", &found), (int64_t)r.peak_rss_bytes);
    CHECK(found);
    CHECK_EQ_I64(sr_gauge(&s, "bench.spin.rss_delta", &found), r.rss_delta_bytes);
    CHECK(found);
    sr_close(&s);
}

static void test_benchmark_invalid(void)
{
    pm_benchmark_result r;
    CHECK_EQ_I64(pm_benchmark("x", NULL, NULL, 1, &r), PM_ERR_INVALID);
    CHECK_EQ_I64(pm_benchmark("x", spin, NULL, 0, &r), PM_ERR_INVALID);
    CHECK_EQ_I64(pm_benchmark("x", spin, NULL, 1, NULL), PM_ERR_INVALID);
}

/* Recording off: the benchmark still runs and measures, nothing is recorded. */
static void test_benchmark_with_recording_off(void)
{
    setenv("PERFMON", "0", 1);
    pm_benchmark_result r;
    CHECK_EQ_I64(pm_benchmark("bench.off", spin, NULL, 10, &r), PM_OK);
    CHECK_EQ_U64(r.count, 10);
    CHECK(r.min_ns > 0 && r.max_ns >= r.min_ns);
    CHECK_STR(pm_segment_path(), "");
}

static void test_resource_scope_series(void)
{
    enum { MB = 1 << 20 };
    char *keep = NULL;
    {
        PM_RESOURCE_SCOPE("load{kind=\"big\"}");
        keep = malloc(32 * MB);              /* touched and kept: RSS grows */
        CHECK(keep != NULL);
        for (size_t i = 0; i < 32u * MB; i += 4096) keep[i] = 1;
        spin(NULL);
    }
    sr_seg s;
    sr_stat st;
    open_self(&s);
    sr_timer(&s, "load{kind=\"big\"}", &st);
    CHECK(st.found && st.kind == PM_SHM_KIND_TIMER);
    CHECK_EQ_U64(st.count, 1);
    CHECK_EQ_U64(st.errors, 0);
    sr_timer(&s, "load.cpu_user{kind=\"big\"}", &st);
    CHECK(st.found && st.count == 1);
    sr_timer(&s, "load.cpu_sys{kind=\"big\"}", &st);
    CHECK(st.found && st.count == 1);
    int found = 0;
    int64_t delta = sr_gauge(&s, "load.rss_delta{kind=\"big\"}", &found);
    CHECK(found);
    CHECK_MSG(delta >= 30 * (int64_t)MB && delta <= 96 * (int64_t)MB, "rss_delta %lld", (long long)delta);
    CHECK(sr_gauge(&s, "load.peak_rss{kind=\"big\"}", &found) >= 32 * (int64_t)MB);
    CHECK(found);
    sr_close(&s);
    free(keep);
}

static void test_resource_span_failed(void)
{
    pm_resource_span r = pm_resource_begin("job");
    r.failed = 1;
    pm_resource_end(&r);
    sr_seg s;
    sr_stat st;
    open_self(&s);
    sr_timer(&s, "job", &st);
    CHECK(st.found);
    CHECK_EQ_U64(st.count, 1);
    CHECK_EQ_U64(st.errors, 1);
    sr_close(&s);
}

/* At normal exit the writer records the process totals. */
static void test_process_totals_at_exit(void)
{
    setenv("PERFMON_KEEP", "1", 1);
    spin(NULL);
    char path[128];
    PM_COUNT("touch", 1);
    snprintf(path, sizeof path, "%s", pm_segment_path());
    pm_shutdown();
    sr_seg s;
    CHECK(sr_open_path(&s, path) == 0);
    int found = 0;
    CHECK(sr_gauge(&s, "process.cpu_user", &found) >= 0);
    CHECK(found);
    sr_gauge(&s, "process.cpu_sys", &found);
    CHECK(found);
    CHECK(sr_gauge(&s, "process.peak_rss", &found) > 0);
    CHECK(found);
    CHECK_EQ_U64(s.h->state, PM_SHM_STATE_EXITED);
    sr_close(&s);
    unlink(path);
}

int main(void)
{
    RUN(test_benchmark_result_and_series);
    RUN(test_benchmark_invalid);
    RUN(test_benchmark_with_recording_off);
    RUN(test_resource_scope_series);
    RUN(test_resource_span_failed);
    RUN(test_process_totals_at_exit);
    return harness_done();
}
