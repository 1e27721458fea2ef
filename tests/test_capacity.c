/* test_capacity.c - limits: series, thread slots, arena, kind mismatch,
   thread slot reuse. Whatever does not fit is dropped and counted. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <pthread.h>
#include <sys/stat.h>

#include "harness.h"
#include "segread.h"

static void open_self(sr_seg *s)
{
    CHECK_MSG(sr_open_path(s, pm_segment_path()) == 0, "cannot read own segment '%s'", pm_segment_path());
}

static void init_small(uint32_t series, uint32_t threads, uint32_t hist_mb)
{
    pm_config cfg = { 0 };
    cfg.max_series = series;
    cfg.max_threads = threads;
    cfg.hist_mb = hist_mb;
    CHECK_EQ_I64(pm_init(&cfg), PM_OK);
}

/* max_series = 4: the fifth name onwards is dropped, per record. */
static void test_series_full(void)
{
    init_small(4, 2, 1);
    char name[32];
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "s%d", i);
        for (int k = 0; k < 3; k++) pm_count(name, 1);
    }
    for (int k = 0; k < 5; k++) PM_COUNT("via.macro", 1);  /* cached drop code at the site */
    { PM_SCOPE("via.scope"); }
    PM_RECORD("via.record", 3);
    PM_GAUGE_SET("via.gauge", 3);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_series_count(&s), 4);
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "s%d", i);
        CHECK_EQ_U64(sr_counter(&s, name), 3);
    }
    CHECK_EQ_U64(sr_counter(&s, "s4"), SR_MISSING);
    uint64_t lost = 6 * 3 + 5 + 1 + 1 + 1;
    CHECK_EQ_U64(s.h->dropped_series_full, lost);
    CHECK_EQ_U64(s.h->dropped, lost);
    sr_close(&s);
}

static pthread_barrier_t bar;
#define REC 1000

static void *slot_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < REC; i++) PM_COUNT("t.count", 1);
    pthread_barrier_wait(&bar);  /* nobody exits (frees a slot) before all tried */
    return NULL;
}

/* max_threads = 2, 6 threads alive at once: 2 record in their own slots,
   the other 4 through the shared slot; nothing is lost. */
static void test_threads_full(void)
{
    init_small(4, 2, 1);
    pthread_t th[6];
    pthread_barrier_init(&bar, NULL, 6);
    for (int i = 0; i < 6; i++) CHECK(pthread_create(&th[i], NULL, slot_worker, NULL) == 0);
    for (int i = 0; i < 6; i++) pthread_join(th[i], NULL);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_threads_used(&s), 2);
    CHECK_EQ_U64(sr_counter(&s, "t.count"), 6 * REC);
    CHECK_EQ_U64(sr_cell(&s, 2, 0)->count, 4 * REC);   /* row max_threads: the shared slot */
    CHECK_EQ_U64(s.h->overflow_threads, 4);
    CHECK_EQ_U64(s.h->dropped, 0);
    /* the slots passed on: a new thread now records again */
    pthread_barrier_init(&bar, NULL, 1);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, slot_worker, NULL) == 0);
    pthread_join(t, NULL);
    CHECK_EQ_U64(sr_counter(&s, "t.count"), 7 * REC);
    sr_close(&s);
}

static void *short_lived(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) PM_COUNT("reuse.count", 1);
    return NULL;
}

/* 1000 short-lived threads (8 at a time): exact total, few slots used. */
static void test_thread_slot_reuse(void)
{
    for (int round = 0; round < 125; round++) {
        pthread_t th[8];
        for (int i = 0; i < 8; i++) CHECK(pthread_create(&th[i], NULL, short_lived, NULL) == 0);
        for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
    }
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter(&s, "reuse.count"), 1000000);
    CHECK_MSG(sr_threads_used(&s) <= 16, "threads_used %u for at most 8 live threads", sr_threads_used(&s));
    CHECK_EQ_U64(s.h->dropped, 0);
    uint64_t owners = 0;
    for (uint32_t t = 0; t < sr_threads_used(&s); t++) {
        const pm_shm_thread *th = sr_thread(&s, t);
        owners += th->owners;
        CHECK_EQ_U64(th->state, PM_SHM_THREAD_IDLE);  /* all exited */
    }
    CHECK_EQ_U64(owners, 1000);
    sr_close(&s);
}

/* Same, with max_threads = 2 and one thread at a time: nothing dropped. */
static void test_thread_slot_reuse_tiny(void)
{
    init_small(4, 2, 1);
    for (int i = 0; i < 1000; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, short_lived, NULL) == 0);
        pthread_join(t, NULL);
    }
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter(&s, "reuse.count"), 1000000);
    CHECK_EQ_U64(s.h->dropped, 0);
    CHECK(sr_threads_used(&s) <= 2);
    sr_close(&s);
}

/* A name registered as one kind, used as another: dropped, counted, the
   series unchanged. */
static void test_kind_mismatch(void)
{
    PM_COUNT("k.x", 5);
    PM_RECORD("k.x", 7);
    pm_gauge_set("k.x", 9);
    pm_gauge_add("k.x", 9);
    pm_record_duration("k.x", 100, 1);
    { PM_SCOPE("k.x"); }
    pm_span sp = PM_BEGIN("k.x");
    PM_END(sp);
    pm_set_unit("k.x", PM_UNIT_BYTES);        /* registers nothing: a counted drop */
    CHECK(pm_lookup("k.x", PM_KIND_TIMER, PM_UNIT_NONE) >= PM__ID_DROP_BASE);
    PM_RECORD("k.t", 1);                      /* a distribution ... */
    PM_COUNT("k.t", 1);                       /* ... used as a counter */
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(s.h->dropped_kind_mismatch, 8);
    CHECK_EQ_U64(s.h->dropped, 8);
    CHECK_EQ_U64(sr_counter(&s, "k.x"), 5);
    int i = sr_find(&s, "k.x");
    CHECK(i >= 0);
    CHECK_EQ_U64(sr_series_at(&s, (uint32_t)i)->kind, PM_SHM_KIND_COUNTER);
    CHECK_EQ_U64(sr_series_at(&s, (uint32_t)i)->unit, PM_SHM_UNIT_NONE);
    CHECK_EQ_U64(sr_series_count(&s), 2);
    static sr_stat t;
    sr_timer(&s, "k.t", &t);
    CHECK_EQ_U64(t.count, 1);
    sr_close(&s);
}

/* A full histogram arena: records keep count/sum/min/max, lose only the
   bucket, and each such record is counted in dropped_hist. */
static void test_hist_arena_full(void)
{
    init_small(200, 2, 1);
    uint64_t fit = (1u << 20) / PM_SHM_HIST_BYTES;
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "h%d", i);
        pm_record(name, i);
        pm_record(name, 1000);
    }
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(s.h->dropped_hist, 2 * (100 - fit));
    CHECK_EQ_U64(s.h->dropped, 0);             /* nothing lost whole */
    CHECK(s.h->arena_used <= s.h->arena_size);
    static sr_stat t;
    uint32_t without = 0;
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "h%d", i);
        sr_timer(&s, name, &t);
        CHECK_EQ_U64(t.count, 2);
        CHECK_EQ_U64(t.sum, (uint64_t)i + 1000);
        CHECK_EQ_U64(t.min, (uint64_t)i);
        CHECK_EQ_U64(t.max, 1000);
        CHECK(t.hist_total == 2 || t.hist_total == 0);
        without += t.cells_without_hist;
    }
    CHECK_EQ_U64(without, 100 - fit);
    sr_close(&s);
}

/* More than 32 nested pm_timer_start in one thread: the extra is dropped. */
static void test_timer_stack_full(void)
{
    char name[32];
    for (int i = 0; i < 33; i++) {
        snprintf(name, sizeof name, "stk%d", i);
        pm_timer_start(name);
    }
    CHECK_NEAR(pm_timer_stop("stk32"), -1.0, 0);
    for (int i = 31; i >= 0; i--) {
        snprintf(name, sizeof name, "stk%d", i);
        CHECK(pm_timer_stop(name) >= 0);
    }
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(s.h->dropped, 1);
    sr_close(&s);
}

/* Many threads registering the same and different names at once: each name
   is one series, counts exact. */
static void *registrar(void *arg)
{
    long me = (long)(intptr_t)arg;
    char name[32];
    pthread_barrier_wait(&bar);
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "reg.%d", i);
        pm_count(name, 1);
        snprintf(name, sizeof name, "own.%ld.%d", me, i % 10);
        pm_count(name, 1);
    }
    return NULL;
}

static void test_concurrent_registration(void)
{
    pthread_t th[8];
    pthread_barrier_init(&bar, NULL, 8);
    for (long i = 0; i < 8; i++) CHECK(pthread_create(&th[i], NULL, registrar, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_series_count(&s), 200 + 8 * 10);
    char name[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "reg.%d", i);
        CHECK_EQ_U64(sr_counter(&s, name), 8);
    }
    CHECK_EQ_U64(sr_counter(&s, "own.3.7"), 20);
    CHECK_EQ_U64(s.h->dropped, 0);
    sr_close(&s);
}

static long vm_rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, rss = -1;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &rss) != 2) rss = -1;
        fclose(f);
    }
    return rss * 4;
}

static pthread_barrier_t churn_bar;

static void *churn_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++) PM_COUNT("churn.count", 1);
    PM_RECORD("churn.value", 42);
    pthread_barrier_wait(&churn_bar);  /* all 8 alive at once: 8 slots, every round */
    return NULL;
}

/* 100,000 short-lived threads, 8 alive at a time, into one counter and
   one distribution: totals exact, exactly 8 slots ever used (an exited
   thread's slot is free once it is joined), each slot's histogram reused
   (the arena does not grow), the segment's allocated size and the
   process's RSS flat. Under a sanitizer (make test-<name> sets
   PM_SANITIZER) 16,000: TSan took 65 s for 100,000 on a loaded machine,
   past the 60 s alarm. PM_CHURN_THREADS overrides both. */
static void test_thread_churn_100k(void)
{
    const char *env = getenv("PM_CHURN_THREADS");
    const char *san = getenv("PM_SANITIZER");
    long total = env ? atol(env) : san && *san ? 16000 : 100000;
    CHECK(total >= 800 && total % 8 == 0);
    struct stat st0, st1;
    long rss0 = 0, round_of_rss0 = 100 / 8;
    uint64_t arena0 = 0;
    sr_seg s;
    pthread_barrier_init(&churn_bar, NULL, 8);
    for (long round = 0; round < total / 8; round++) {
        pthread_t th[8];
        for (int i = 0; i < 8; i++) CHECK(pthread_create(&th[i], NULL, churn_thread, NULL) == 0);
        for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
        if (round == round_of_rss0) {  /* warmed up: slots, histograms, stacks cached */
            open_self(&s);
            CHECK(fstat(s.fd, &st0) == 0);
            arena0 = s.h->arena_used;
            rss0 = vm_rss_kb();
        }
    }
    long rss1 = vm_rss_kb();
    CHECK(fstat(s.fd, &st1) == 0);
    CHECK_EQ_U64(sr_counter(&s, "churn.count"), (uint64_t)total * 10);
    static sr_stat d;
    sr_timer(&s, "churn.value", &d);
    CHECK_EQ_U64(d.count, (uint64_t)total);
    CHECK_EQ_U64(d.hist_total, (uint64_t)total);
    CHECK_EQ_U64(sr_threads_used(&s), 8);
    CHECK_EQ_U64(arena0, 8 * PM_SHM_HIST_BYTES);
    uint64_t owners = 0;
    for (uint32_t t = 0; t < sr_threads_used(&s); t++) owners += sr_thread(&s, t)->owners;
    CHECK_EQ_U64(owners, (uint64_t)total);
    CHECK_EQ_U64(s.h->arena_used, arena0);
    CHECK_EQ_U64(s.h->dropped, 0);
    CHECK_EQ_U64(s.h->dropped_hist, 0);
    CHECK_EQ_U64((uint64_t)st1.st_blocks, (uint64_t)st0.st_blocks);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)  /* their runtimes keep memory per thread */
    CHECK_MSG(rss1 - rss0 < 2048, "RSS grew from %ld to %ld kB over %ld threads", rss0, rss1, total);
#else
    (void)rss0; (void)rss1;
#endif
    sr_close(&s);
}

#define LIM_SERIES 64
#define LIM_NAMES 100
#define LIM_REC 10
static uint64_t lim_checksum[8];

static void *limits_worker(void *arg)
{
    long me = (long)(intptr_t)arg;
    char name[32];
    uint64_t x = (uint64_t)me + 1;
    for (int k = 0; k < LIM_NAMES; k++) {
        snprintf(name, sizeof name, "lim.%d", k);
        for (int r = 0; r < LIM_REC; r++) {
            pm_record(name, k);
            x = x * 6364136223846793005ull + 1442695040888963407ull;  /* the program's own work */
        }
    }
    lim_checksum[me] = x;
    pthread_barrier_wait(&bar);  /* all 8 alive at once: 4 of them share the shared slot */
    return NULL;
}

/* Every limit at once under 8 threads: 4 thread slots (4 threads share the
   shared slot), 64 series, a 1 MiB arena (47 histograms for 320 cells).
   Every record attempted is either recorded or dropped and counted under
   its reason; every recorded one is in a histogram or counted in
   dropped_hist; the threads' own work is unaffected. */
static void test_all_limits_under_load(void)
{
    init_small(LIM_SERIES, 4, 1);
    pthread_t th[8];
    pthread_barrier_init(&bar, NULL, 8);
    for (long i = 0; i < 8; i++) CHECK(pthread_create(&th[i], NULL, limits_worker, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
    for (long i = 0; i < 8; i++) {
        uint64_t x = (uint64_t)i + 1;
        for (int n = 0; n < LIM_NAMES * LIM_REC; n++) x = x * 6364136223846793005ull + 1442695040888963407ull;
        CHECK_EQ_U64(lim_checksum[i], x);
    }
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_series_count(&s), LIM_SERIES);
    CHECK_EQ_U64(sr_threads_used(&s), 4);
    static sr_stat d;
    uint64_t recorded = 0, in_hist = 0;
    char name[32];
    for (int k = 0; k < LIM_NAMES; k++) {
        snprintf(name, sizeof name, "lim.%d", k);
        sr_timer(&s, name, &d);
        CHECK_EQ_I64(d.found, k < LIM_SERIES);        /* names register in order: 0..63 fit */
        if (!d.found) continue;
        CHECK_EQ_U64(d.count, 8 * LIM_REC);
        CHECK_EQ_U64(d.sum, 8 * LIM_REC * (uint64_t)k);
        recorded += d.count;
        in_hist += d.hist_total;
    }
    uint64_t fit = (1u << 20) / PM_SHM_HIST_BYTES;
    CHECK_EQ_U64(s.h->arena_used, fit * PM_SHM_HIST_BYTES);
    CHECK_EQ_U64(in_hist + s.h->dropped_hist, recorded);
    CHECK(in_hist >= fit * LIM_REC);           /* a shared cell's histogram holds 4 threads' records */
    CHECK_EQ_U64(s.h->overflow_threads, 4);
    CHECK_EQ_U64(s.h->dropped_series_full, 8 * (LIM_NAMES - LIM_SERIES) * LIM_REC);
    CHECK_EQ_U64(s.h->dropped_threads_full, 0);
    CHECK_EQ_U64(s.h->dropped, s.h->dropped_series_full);
    CHECK_EQ_U64(recorded + s.h->dropped, 8 * LIM_NAMES * LIM_REC);
    sr_close(&s);
}

int main(void)
{
    RUN(test_series_full);
    RUN(test_threads_full);
    RUN(test_thread_slot_reuse);
    RUN(test_thread_slot_reuse_tiny);
    RUN(test_kind_mismatch);
    RUN(test_hist_arena_full);
    RUN(test_timer_stack_full);
    RUN(test_concurrent_registration);
    RUN(test_thread_churn_100k);
    RUN(test_all_limits_under_load);
    return harness_done();
}
