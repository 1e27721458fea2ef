/* test_reset.c - pm_reset and pm_reset_series: figures since the reset,
   read back by the independent reader (segread.h), nothing lost */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <pthread.h>
#include <sys/wait.h>

#include "harness.h"
#include "segread.h"

#define THREADS 4
#define ITERS   400000

static void open_self(sr_seg *s)
{
    CHECK(pm_segment_path()[0] != '\0');
    CHECK_MSG(sr_open_path(s, pm_segment_path()) == 0, "cannot read own segment %s", pm_segment_path());
}

static void test_counter_reset(void)
{
    PM_COUNT("r.count", 10);
    CHECK_EQ_I64(pm_reset_series("r.count"), PM_OK);
    PM_COUNT("r.count", 3);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter(&s, "r.count"), 3);
    CHECK_EQ_U64(sr_counter_raw(&s, "r.count"), 13);
    CHECK_EQ_U64(sr_resets(&s, "r.count"), 1);
    CHECK_EQ_I64(pm_reset(), PM_OK);
    CHECK_EQ_U64(sr_counter(&s, "r.count"), 0);
    CHECK_EQ_U64(sr_resets(&s, "r.count"), 2);
    sr_close(&s);
}

static void test_unknown_and_gauge(void)
{
    PM_GAUGE_SET("r.level", 42);
    PM_COUNT("r.other", 1);
    CHECK_EQ_I64(pm_reset_series("r.nope"), PM_ERR_INVALID);
    CHECK_EQ_I64(pm_reset_series(NULL), PM_ERR_INVALID);
    CHECK_EQ_I64(pm_reset_series("r.level"), PM_OK);   /* a level: kept */
    CHECK_EQ_I64(pm_reset_series("r.count{bad"), PM_ERR_INVALID);
    sr_seg s;
    open_self(&s);
    int found = 0;
    CHECK_EQ_I64(sr_gauge(&s, "r.level", &found), 42);
    CHECK(found);
    CHECK_EQ_U64(sr_resets(&s, "r.level"), 0);
    CHECK_EQ_U64(sr_counter(&s, "r.other"), 1);   /* another series: untouched */
    CHECK(sr_find(&s, "r.nope") < 0);              /* a reset registers nothing */
    sr_close(&s);
}

/* The since-reset histogram and figures of a timer and a distribution. */
static void test_timer_and_distribution(void)
{
    for (int i = 0; i < 1000; i++) PM_DURATION("r.t", 1000000, i % 10 != 0);
    for (int i = 0; i < 50; i++) PM_RECORD("r.d", 7000);
    CHECK_EQ_I64(pm_reset(), PM_OK);
    for (int i = 0; i < 100; i++) PM_DURATION("r.t", 50, 1);
    PM_DURATION("r.t", 60, 0);
    for (int i = 0; i < 5; i++) PM_RECORD("r.d", 3);
    sr_seg s;
    open_self(&s);
    sr_stat t;
    sr_timer(&s, "r.t", &t);
    CHECK_EQ_U64(t.resets, 1);
    CHECK_EQ_U64(t.count, 101);
    CHECK_EQ_U64(t.sum, 100 * 50 + 60);
    CHECK_EQ_U64(t.errors, 1);
    CHECK_EQ_U64(t.hist_total, 101);
    CHECK_EQ_U64(t.hist[50], 100);
    CHECK_EQ_U64(t.hist[60], 1);
    CHECK_EQ_U64(t.max, 1000000);   /* the cells' max stays all-time */
    sr_stat d;
    sr_timer(&s, "r.d", &d);
    CHECK_EQ_U64(d.count, 5);
    CHECK_EQ_U64(d.sum, 15);
    CHECK_EQ_U64(d.hist_total, 5);
    sr_close(&s);
}

static volatile int stop_resetting;

static void *count_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        PM_COUNT("r.hot", 1);
        PM_DURATION("r.hot_t", (uint64_t)(i % 5000), 1);
    }
    return NULL;
}

static void *resetter(void *arg)
{
    long n = 0;
    while (!__atomic_load_n(&stop_resetting, __ATOMIC_RELAXED)) {
        if (pm_reset_series("r.hot") == PM_OK) n++;
        if (pm_reset_series("r.hot_t") == PM_OK) n++;
    }
    *(long *)arg = n;
    return NULL;
}

/* Writers and two resetters at once: the raw sums stay exact (a reset
   moves records to one side of it, never loses one) and every reset is
   counted once. */
static void test_concurrent_resets_lose_nothing(void)
{
    PM_COUNT("r.hot", 0);
    PM_DURATION("r.hot_t", 0, 1);
    pthread_t w[THREADS], r[2];
    long resets[2] = { 0, 0 };
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&w[i], NULL, count_worker, NULL) == 0);
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&r[i], NULL, resetter, &resets[i]) == 0);
    for (int i = 0; i < THREADS; i++) pthread_join(w[i], NULL);
    __atomic_store_n(&stop_resetting, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++) pthread_join(r[i], NULL);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter_raw(&s, "r.hot"), (uint64_t)THREADS * ITERS);
    sr_stat t;
    sr_timer(&s, "r.hot_t", &t);
    uint64_t total = (uint64_t)THREADS * ITERS + 1u;
    int i = sr_find(&s, "r.hot_t");
    CHECK(i >= 0);
    CHECK_EQ_U64(t.count + sr_series_at(&s, (uint32_t)i)->base_count, total);
    CHECK(t.hist_total <= t.count + THREADS);   /* in-flight records at the last reset at most */
    CHECK_EQ_U64((uint64_t)sr_resets(&s, "r.hot") + sr_resets(&s, "r.hot_t"), (uint64_t)(resets[0] + resets[1]));
    CHECK((sr_series_at(&s, (uint32_t)i)->reset_seq & 1u) == 0);
    /* quiet now: one more reset leaves exactly nothing */
    CHECK_EQ_I64(pm_reset(), PM_OK);
    sr_timer(&s, "r.hot_t", &t);
    CHECK_EQ_U64(t.count, 0);
    CHECK_EQ_U64(t.hist_total, 0);
    CHECK_EQ_U64(sr_counter(&s, "r.hot"), 0);
    sr_close(&s);
}

/* A fork child's segment starts at zero: its parent's resets are not its. */
static void test_fork_child_starts_clean(void)
{
#if defined(__SANITIZE_THREAD__)
    /* TSan dies when the forked child of a multi-threaded process starts a
       thread, as its new segment's heartbeat does; the other builds check it */
    SKIP("under ThreadSanitizer");
#endif
    PM_COUNT("r.f", 5);
    CHECK_EQ_I64(pm_reset(), PM_OK);
    PM_COUNT("r.f", 2);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        PM_COUNT("r.f", 1);
        sr_seg s;
        int ok = sr_open_path(&s, pm_segment_path()) == 0 && sr_counter(&s, "r.f") == 1 &&
                 sr_resets(&s, "r.f") == 0 && sr_counter_raw(&s, "r.f") == 1;
        pm_shutdown();
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child saw its parent's reset");
}

/* No arena left for the base histogram: the reset is refused, the
   figures stay as they were. */
static void test_no_room_refuses(void)
{
    pm_config cfg = { 0 };
    cfg.hist_mb = 1;   /* 47 histograms */
    CHECK_EQ_I64(pm_init(&cfg), PM_OK);
    char name[32];
    for (int i = 0; i < 47; i++) {
        snprintf(name, sizeof name, "r.fill%d", i);
        pm_record_duration(name, 100, 1);
    }
    PM_DURATION("r.tight", 100, 1);   /* no histogram of its own: counted in dropped_hist */
    CHECK_EQ_I64(pm_reset_series("r.fill0"), PM_ERR_NO_SPACE);
    CHECK_EQ_I64(pm_reset(), PM_ERR_NO_SPACE);
    PM_COUNT("r.c", 4);
    CHECK_EQ_I64(pm_reset_series("r.c"), PM_OK);   /* a counter needs no room */
    sr_seg s;
    open_self(&s);
    sr_stat t;
    sr_timer(&s, "r.fill0", &t);
    CHECK_EQ_U64(t.count, 1);
    CHECK_EQ_U64(t.resets, 0);
    CHECK_EQ_U64(sr_counter(&s, "r.c"), 0);
    sr_close(&s);
}

int main(void)
{
    RUN(test_counter_reset);
    RUN(test_unknown_and_gauge);
    RUN(test_timer_and_distribution);
    RUN(test_concurrent_resets_lose_nothing);
    RUN(test_fork_child_starts_clean);
    RUN(test_no_room_refuses);
    return harness_done();
}
