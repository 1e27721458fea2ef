/* test_resource_spans.c - what pm_resource_end returns: peak RSS during the
   span (high-water mark and sampler), CPU and CPU %, snapshots, the series,
   recording off, fork.

   Timing bounds are loose on purpose: the machine is shared (2 cores,
   maybe `stress-ng --cpu 2` beside us) and the suite also runs under
   sanitizers and valgrind. Busy work is bounded by CPU time, not wall time. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "harness.h"
#include "segread.h"

#define MiB ((int64_t)1 << 20)
/* getrusage's CPU times may lag the scheduler's by up to a tick (10 ms at HZ=100) */
#define TICK_NS 10000000ull

static uint64_t sink;   /* keeps the busy loop */

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {}
}

/* Maps `bytes`, touches every page, holds them `hold_ms`, unmaps them:
   RSS goes up and back down within the caller's span. */
static void touch_and_free(int64_t bytes, int hold_ms)
{
    char *p = (char *)mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    for (int64_t i = 0; i < bytes; i += 4096) p[i] = 1;
    if (hold_ms) sleep_ms(hold_ms);
    munmap(p, (size_t)bytes);
}

/* Burns this thread's CPU for about `ns`. */
static void busy(uint64_t ns)
{
    uint64_t x = 1, t0 = thread_cpu_ns();
    while (thread_cpu_ns() - t0 < ns)
        for (int i = 0; i < 10000; i++) x = x * 6364136223846793005ull + 1442695040888963407ull;
    __atomic_store_n(&sink, x, __ATOMIC_RELAXED);   /* several threads busy at once */
}

static void open_self(sr_seg *s)
{
    CHECK_MSG(sr_open_path(s, pm_segment_path()) == 0, "cannot read own segment %s", pm_segment_path());
}

/* No sampling: the high-water mark rose during the span, so its peak is
   exact, though the memory was gone again at the end. */
static void test_peak_from_high_water_mark(void)
{
    pm_resource_span s = pm_resource_begin("mem{how=\"hwm\"}");
    touch_and_free(64 * MiB, 0);
    pm_resource_result r = pm_resource_end(&s);
    CHECK(r.measured && r.recorded);
    CHECK_EQ_U64(r.peak_exact, 1);
    CHECK_MSG(r.peak_delta_bytes >= 60 * MiB, "peak_delta %lld", (long long)r.peak_delta_bytes);
    CHECK_MSG(r.rss_delta_bytes < 8 * MiB && r.rss_delta_bytes > -8 * MiB, "rss_delta %lld", (long long)r.rss_delta_bytes);
    CHECK_EQ_I64(r.peak_delta_bytes, r.peak_rss_bytes - r.rss_start_bytes);
    CHECK_EQ_I64(r.rss_delta_bytes, r.rss_end_bytes - r.rss_start_bytes);
    CHECK(r.rss_start_bytes > 0 && r.peak_rss_bytes >= r.rss_end_bytes);
    CHECK_EQ_U64(r.samples, 0);
    CHECK_EQ_U64(r.snapshots, 0);

    sr_seg g;
    sr_stat st;
    int found = 0;
    open_self(&g);
    sr_timer(&g, "mem{how=\"hwm\"}", &st);
    CHECK(st.found && st.count == 1 && st.sum == r.wall_ns);
    CHECK_EQ_I64(sr_gauge(&g, "mem.peak_rss{how=\"hwm\"}", &found), r.peak_rss_bytes);
    CHECK(found);
    CHECK_EQ_I64(sr_gauge(&g, "mem.peak_delta{how=\"hwm\"}", &found), r.peak_delta_bytes);
    CHECK(found);
    CHECK_EQ_I64(sr_gauge(&g, "mem.rss_delta{how=\"hwm\"}", &found), r.rss_delta_bytes);
    CHECK(found);
    sr_close(&g);
}

/* The process was bigger before the span, so the high-water mark cannot
   move: only the sampler sees the span's own peak (a lower bound). */
static void test_peak_from_sampler(void)
{
    touch_and_free(128 * MiB, 0);           /* the earlier, higher peak */
    pm_resource_snapshot snaps[16];
    pm_resource_options o = { 10, 16, snaps };
    pm_resource_span s = pm_resource_begin_ex("mem.sampled", &o);
    touch_and_free(64 * MiB, 300);          /* held long enough for samples to see it */
    pm_resource_result r = pm_resource_end(&s);
    CHECK_EQ_U64(r.peak_exact, 0);
    CHECK_MSG(r.samples >= 1, "no sample in 300 ms");
    CHECK_MSG(r.peak_delta_bytes >= 60 * MiB, "peak_delta %lld after %u samples",
              (long long)r.peak_delta_bytes, r.samples);
    CHECK_MSG(r.rss_delta_bytes < 8 * MiB && r.rss_delta_bytes > -8 * MiB, "rss_delta %lld", (long long)r.rss_delta_bytes);
    int64_t seen = 0;
    for (uint32_t i = 0; i < r.snapshots; i++) if (snaps[i].rss_bytes > seen) seen = snaps[i].rss_bytes;
    CHECK(seen <= r.peak_rss_bytes);

    sr_seg g;
    int found = 0;
    open_self(&g);
    CHECK_EQ_I64(sr_gauge(&g, "mem.sampled.peak_rss", &found), r.peak_rss_bytes);
    CHECK(found);
    sr_close(&g);
}

/* ~0.2 s of CPU on this thread: CPU time no more than wall, CPU % near 100
   unless the machine is loaded (then lower, never far above 100). */
static void test_cpu_of_busy_loop(void)
{
    pm_resource_span s = pm_resource_begin("busy");
    busy(200000000u);
    pm_resource_result r = pm_resource_end(&s);
    uint64_t cpu = r.cpu_user_ns + r.cpu_sys_ns, pcpu = r.process_cpu_user_ns + r.process_cpu_sys_ns;
    CHECK_MSG(cpu + TICK_NS >= 200000000u, "cpu %llu ns for 200 ms of work", (unsigned long long)cpu);
    CHECK_MSG(cpu <= r.wall_ns + TICK_NS, "cpu %llu > wall %llu", (unsigned long long)cpu, (unsigned long long)r.wall_ns);
    CHECK_MSG(r.cpu_user_ns > r.cpu_sys_ns, "user %llu sys %llu", (unsigned long long)r.cpu_user_ns,
              (unsigned long long)r.cpu_sys_ns);
    CHECK_NEAR(r.cpu_pct, 100.0 * (double)cpu / (double)r.wall_ns, 1e-9);
    CHECK_MSG(r.cpu_pct > 20.0 && r.cpu_pct < 106.0, "cpu_pct %.1f", r.cpu_pct);
    /* the process includes this thread (and perfmon's heartbeat) */
    CHECK_MSG(pcpu + TICK_NS >= cpu, "process cpu %llu < thread's %llu", (unsigned long long)pcpu,
              (unsigned long long)cpu);
    CHECK(r.process_cpu_pct + 100.0 * (double)TICK_NS / (double)r.wall_ns >= r.cpu_pct);

    sr_seg g;
    sr_stat st;
    open_self(&g);
    sr_timer(&g, "busy.cpu_permille", &st);
    CHECK(st.found && st.kind == PM_SHM_KIND_DISTRIBUTION && st.count == 1);
    CHECK_EQ_U64(st.sum, (uint64_t)(r.cpu_pct * 10.0 + 0.5));
    sr_timer(&g, "busy.process_cpu_permille", &st);
    CHECK(st.found && st.count == 1);
    CHECK_EQ_U64(st.sum, (uint64_t)(r.process_cpu_pct * 10.0 + 0.5));
    sr_timer(&g, "busy.cpu_user", &st);
    CHECK(st.found && st.sum == r.cpu_user_ns);
    sr_timer(&g, "busy.cpu_sys", &st);
    CHECK(st.found && st.sum == r.cpu_sys_ns);
    sr_close(&g);
}

/* Far more samples than room: at most `capacity` kept, first at 0, last at
   the end, in time order, still spread over the span. */
static void test_snapshots_bounded_and_spread(void)
{
    enum { CAP = 6 };
    pm_resource_snapshot snaps[CAP + 1];
    memset(snaps, 0xab, sizeof snaps);
    pm_resource_options o = { 5, CAP, snaps };
    pm_resource_span s = pm_resource_begin_ex("long.op", &o);
    sleep_ms(300);
    pm_resource_result r = pm_resource_end(&s);
    CHECK_MSG(r.snapshots >= 2 && r.snapshots <= CAP, "%u snapshots", r.snapshots);
    CHECK_EQ_U64(snaps[CAP].t_ns, 0xababababababababull);   /* nothing past the capacity */
    CHECK_EQ_U64(snaps[0].t_ns, 0);
    CHECK_EQ_U64(snaps[r.snapshots - 1].t_ns, r.wall_ns);
    CHECK_EQ_I64(snaps[0].rss_bytes, r.rss_start_bytes);
    CHECK_EQ_I64(snaps[r.snapshots - 1].rss_bytes, r.rss_end_bytes);
    for (uint32_t i = 1; i < r.snapshots; i++) {
        CHECK_MSG(snaps[i].t_ns > snaps[i - 1].t_ns, "snapshot %u at %llu after %llu", i,
                  (unsigned long long)snaps[i].t_ns, (unsigned long long)snaps[i - 1].t_ns);
        CHECK(snaps[i].rss_bytes > 0);
        CHECK(snaps[i].cpu_user_ns + snaps[i].cpu_sys_ns + TICK_NS >= snaps[i - 1].cpu_user_ns + snaps[i - 1].cpu_sys_ns);
    }
    CHECK_MSG(r.samples >= 1, "no sample in 300 ms");
    if (r.samples >= CAP) {         /* thinned: the interval doubled, the kept still cover the span */
        CHECK_MSG(r.interval_ms > 5, "interval %u ms after %u samples", r.interval_ms, r.samples);
        CHECK_EQ_U64(r.snapshots >= 3, 1);
        CHECK_MSG(snaps[r.snapshots - 2].t_ns >= r.wall_ns / 5, "last kept sample at %llu of %llu ns",
                  (unsigned long long)snaps[r.snapshots - 2].t_ns, (unsigned long long)r.wall_ns);
    }
}

/* Sampling without an array, and an array without sampling. */
static void test_sampling_options_apart(void)
{
    pm_resource_options o = { 5, 0, NULL };
    pm_resource_span s = pm_resource_begin_ex(NULL, &o);
    sleep_ms(60);
    pm_resource_result r = pm_resource_end(&s);
    CHECK_EQ_U64(r.snapshots, 0);
    CHECK(r.samples >= 1 && r.interval_ms == 5);
    CHECK_EQ_U64(r.recorded, 0);            /* no name */

    pm_resource_snapshot two[2];
    pm_resource_options o2 = { 0, 2, two };
    s = pm_resource_begin_ex("pair", &o2);
    r = pm_resource_end(&s);
    CHECK_EQ_U64(r.snapshots, 2);
    CHECK_EQ_U64(r.samples, 0);
    CHECK_EQ_U64(two[1].t_ns, r.wall_ns);
    CHECK(r.recorded);
    /* spent: a second end records nothing */
    CHECK_EQ_U64(pm_resource_end(&s).recorded, 0);
    sr_seg g;
    sr_stat st;
    open_self(&g);
    sr_timer(&g, "pair", &st);
    CHECK(st.found && st.count == 1);
    sr_close(&g);
}

/* PERFMON=0: measured and returned all the same, sampling included. */
static void test_recording_off_still_measures(void)
{
    setenv("PERFMON", "0", 1);
    pm_resource_snapshot snaps[8];
    pm_resource_options o = { 5, 8, snaps };
    pm_resource_span s = pm_resource_begin_ex("off.op", &o);
    touch_and_free(16 * MiB, 40);
    busy(20000000u);
    pm_resource_result r = pm_resource_end(&s);
    CHECK(r.measured);
    CHECK_EQ_U64(r.recorded, 0);
    CHECK(r.wall_ns > 0 && r.cpu_user_ns + r.cpu_sys_ns > 0 && r.rss_start_bytes > 0);
    CHECK(r.snapshots >= 2 && r.samples >= 1);
    CHECK_MSG(r.peak_delta_bytes >= 15 * MiB, "peak_delta %lld", (long long)r.peak_delta_bytes);
    CHECK_STR(pm_segment_path(), "");
}

/* After pm_shutdown() a span still measures, and records nothing. */
static void test_span_across_shutdown(void)
{
    pm_resource_options o = { 5, 0, NULL };
    PM_COUNT("touch", 1);
    pm_resource_span s = pm_resource_begin_ex("late", &o);
    pm_shutdown();
    sleep_ms(20);
    pm_resource_result r = pm_resource_end(&s);
    CHECK(r.measured && !r.recorded && r.wall_ns >= 15000000u);
}

/* fork() while a sampled span runs: the child has no sampler, ends its copy
   without waiting for one; the parent's span goes on being sampled. */
static void test_fork_during_sampled_span(void)
{
    pm_resource_snapshot snaps[8];
    pm_resource_options o = { 5, 8, snaps };
    pm_resource_span s = pm_resource_begin_ex("forked", &o);
    sleep_ms(30);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* measured only: recording would create the child's segment and its
           heartbeat thread, and TSan ends a forked child that starts one */
        s.name = NULL;
        pm_resource_result c = pm_resource_end(&s);
        int ok = c.measured && c.snapshots >= 2 && c.snapshots <= 8 && c.wall_ns > 0;
        _exit(ok ? 0 : 3);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
    sleep_ms(30);
    pm_resource_result r = pm_resource_end(&s);
    CHECK(r.recorded && r.samples >= 1 && r.snapshots >= 2);
}

/* Spans in several threads at once, each sampled: TSan's case. */
static void *sampled_worker(void *arg)
{
    pm_resource_snapshot snaps[4];
    pm_resource_options o = { 2, 4, snaps };
    for (int i = 0; i < 3; i++) {
        pm_resource_span s = pm_resource_begin_ex((const char *)arg, &o);
        busy(5000000u);
        pm_resource_result r = pm_resource_end(&s);
        CHECK(r.snapshots >= 2 && r.snapshots <= 4);
    }
    return NULL;
}

static void test_threads_with_sampled_spans(void)
{
    pthread_t t[3];
    const char *names[3] = { "w{t=\"0\"}", "w{t=\"1\"}", "w{t=\"2\"}" };
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&t[i], NULL, sampled_worker, (void *)names[i]) == 0);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    sr_seg g;
    sr_stat st;
    open_self(&g);
    sr_timer(&g, "w{t=\"1\"}", &st);
    CHECK(st.found && st.count == 3);
    sr_timer(&g, "w.cpu_permille{t=\"2\"}", &st);
    CHECK(st.found && st.count == 3);
    sr_close(&g);
}

/* PM_RESOURCE_SCOPE, which ignores the result, still records the new series. */
static void test_scope_records_new_series(void)
{
    {
        PM_RESOURCE_SCOPE("scoped");
        busy(2000000u);
    }
    sr_seg g;
    sr_stat st;
    int found = 0;
    open_self(&g);
    sr_timer(&g, "scoped.cpu_permille", &st);
    CHECK(st.found && st.count == 1);
    sr_gauge(&g, "scoped.peak_delta", &found);
    CHECK(found);
    sr_close(&g);
}

int main(void)
{
    RUN(test_peak_from_high_water_mark);
    RUN(test_peak_from_sampler);
    RUN(test_cpu_of_busy_loop);
    RUN(test_snapshots_bounded_and_spread);
    RUN(test_sampling_options_apart);
    RUN(test_recording_off_still_measures);
    RUN(test_span_across_shutdown);
    RUN(test_fork_during_sampled_span);
    RUN(test_threads_with_sampled_spans);
    RUN(test_scope_records_new_series);
    return harness_done();
}
