/* test_counters.c - counters and gauges: exact values under threads */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <pthread.h>

#include "harness.h"
#include "segread.h"

#define THREADS 8
#define ITERS   1000000

static pthread_barrier_t start_line;

static void *count_worker(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < ITERS; i++) PM_COUNT("test.count", 1);
    return NULL;
}

static void open_self(sr_seg *s)
{
    CHECK(pm_segment_path()[0] != '\0');
    CHECK_MSG(sr_open_path(s, pm_segment_path()) == 0, "cannot read own segment %s", pm_segment_path());
}

/* The headline: 8 threads x 1,000,000 increments, read back exact. */
static void test_count_8_threads_exact(void)
{
    pthread_t th[THREADS];
    pthread_barrier_init(&start_line, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&th[i], NULL, count_worker, NULL) == 0);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter(&s, "test.count"), (uint64_t)THREADS * ITERS);
    CHECK(sr_threads_used(&s) >= 1 && sr_threads_used(&s) <= THREADS);
    CHECK_EQ_U64(s.h->dropped, 0);
    sr_close(&s);
}

static void *count_while_read(void *arg)
{
    for (int i = 0; i < ITERS; i++) PM_COUNT("test.live", 1);
    *(int *)arg = 1;
    return NULL;
}

/* Reads while writers run never see a value go down or overshoot. */
static void test_count_monotonic_while_running(void)
{
    pthread_t th[4];
    int done[4] = { 0 };
    PM_COUNT("test.live", 0);
    sr_seg s;
    open_self(&s);
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&th[i], NULL, count_while_read, &done[i]) == 0);
    uint64_t last = 0;
    for (int k = 0; k < 2000; k++) {
        uint64_t v = sr_counter(&s, "test.live");
        CHECK(v != SR_MISSING);
        CHECK_MSG(v >= last, "counter went down: %llu after %llu", (unsigned long long)v, (unsigned long long)last);
        CHECK(v <= 4ull * ITERS);
        last = v;
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    CHECK_EQ_U64(sr_counter(&s, "test.live"), 4ull * ITERS);
    sr_close(&s);
}

static void test_count_amounts_and_apis(void)
{
    PM_COUNT("test.bytes", 1000);
    PM_COUNT("test.bytes", 24);
    for (int i = 0; i < 10; i++) pm_count("test.by_name", (uint64_t)i);
    pm_id id = pm_lookup("test.by_id", PM_KIND_COUNTER, PM_UNIT_NONE);
    CHECK(id != 0);
    for (int i = 0; i < 5; i++) pm_count_id(id, 7);
    PM_COUNT("test.zero", 0);
    char name[64];
    for (int i = 0; i < 3; i++) {  /* names built at run time */
        snprintf(name, sizeof name, "test.dyn%d", i);
        pm_count(name, (uint64_t)(i + 1));
    }
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter(&s, "test.bytes"), 1024);
    CHECK_EQ_U64(sr_counter(&s, "test.by_name"), 45);
    CHECK_EQ_U64(sr_counter(&s, "test.by_id"), 35);
    CHECK_EQ_U64(sr_counter(&s, "test.zero"), 0);
    CHECK_EQ_U64(sr_counter(&s, "test.dyn0"), 1);
    CHECK_EQ_U64(sr_counter(&s, "test.dyn2"), 3);
    CHECK_EQ_U64(sr_counter(&s, "test.never"), SR_MISSING);
    int i = sr_find(&s, "test.bytes");
    CHECK(i >= 0);
    const pm_shm_series *r = sr_series_at(&s, (uint32_t)i);
    CHECK_EQ_U64(r->kind, PM_SHM_KIND_COUNTER);
    CHECK_EQ_U64(r->name_len, strlen("test.bytes"));
    CHECK_EQ_U64(r->hash, pm_shm_hash("test.bytes", strlen("test.bytes")));
    CHECK_EQ_U64(s.h->dropped, 0);
    sr_close(&s);
}

/* Increments up to 2^63 - 1 count; a total past 2^64 wraps like unsigned
   arithmetic, it does not saturate or crash. */
static void test_count_large_values(void)
{
    PM_COUNT("test.big", INT64_MAX);
    PM_COUNT("test.big", INT64_MAX);
    PM_COUNT("test.big", 5);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter(&s, "test.big"), 3);   /* 2 * (2^63 - 1) + 5 mod 2^64 */
    CHECK_EQ_U64(s.h->dropped, 0);
    sr_close(&s);
}

/* A negative increment (a signed -1, or 2^63 and more, which is one cast to
   unsigned) is refused: the counter keeps its value, the drop is counted
   under its own reason and the name is in the drop log. */
static void test_count_negative_dropped(void)
{
    int minus_one = -1;
    PM_COUNT("test.neg", 10);
    PM_COUNT("test.neg", minus_one);
    PM_COUNT("test.neg", -3);
    pm_count("test.neg", (uint64_t)-1);
    pm_count_id(pm_lookup("test.neg", PM_KIND_COUNTER, PM_UNIT_NONE), UINT64_MAX);
    PM_COUNT("test.neg", 1);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter(&s, "test.neg"), 11);
    CHECK_EQ_U64(s.h->dropped_negative, 4);
    CHECK_EQ_U64(s.h->dropped, 4);
    int noted = 0;
    for (unsigned i = 0; i < PM_SHM_DROP_NOTES; i++) {
        const pm_shm_drop_note *n = &s.h->drop_log[i];
        if (n->seq && !(n->seq & 1) && n->reason == PM_SHM_DROP_NEGATIVE && strcmp(n->name, "test.neg") == 0) noted++;
    }
    CHECK_EQ_U64(noted, 1);                        /* once, however often */
    sr_close(&s);
}

static void test_gauge_set_add(void)
{
    PM_GAUGE_SET("test.gauge", 42);
    PM_GAUGE_ADD("test.gauge", 8);
    PM_GAUGE_ADD("test.gauge", -100);
    pm_gauge_set("test.gauge2", INT64_MIN);
    pm_gauge_add("test.gauge3", 5);
    pm_gauge_add("test.gauge3", 5);
    pm_id id = pm_lookup("test.gauge4", PM_KIND_GAUGE, PM_UNIT_NONE);
    pm_gauge_set_id(id, 10);
    pm_gauge_add_id(id, -3);
    sr_seg s;
    open_self(&s);
    int found = 0;
    CHECK_EQ_I64(sr_gauge(&s, "test.gauge", &found), -50);
    CHECK(found);
    CHECK_EQ_I64(sr_gauge(&s, "test.gauge2", NULL), INT64_MIN);
    CHECK_EQ_I64(sr_gauge(&s, "test.gauge3", NULL), 10);
    CHECK_EQ_I64(sr_gauge(&s, "test.gauge4", NULL), 7);
    PM_GAUGE_SET("test.gauge", 3);  /* set replaces */
    CHECK_EQ_I64(sr_gauge(&s, "test.gauge", NULL), 3);
    sr_gauge(&s, "test.none", &found);
    CHECK(!found);
    sr_close(&s);
}

static void *gauge_worker(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < 100000; i++) {
        PM_GAUGE_ADD("test.level", 3);
        PM_GAUGE_ADD("test.level", -1);
    }
    return NULL;
}

/* Gauge adds from many threads are atomic: the sum is exact. */
static void test_gauge_concurrent_adds(void)
{
    pthread_t th[THREADS];
    pthread_barrier_init(&start_line, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&th[i], NULL, gauge_worker, NULL) == 0);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_I64(sr_gauge(&s, "test.level", NULL), (int64_t)THREADS * 100000 * 2);
    sr_close(&s);
}

int main(void)
{
    RUN(test_count_8_threads_exact);
    RUN(test_count_monotonic_while_running);
    RUN(test_count_amounts_and_apis);
    RUN(test_count_large_values);
    RUN(test_count_negative_dropped);
    RUN(test_gauge_set_add);
    RUN(test_gauge_concurrent_adds);
    return harness_done();
}
