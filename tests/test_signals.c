/* test_signals.c - recording from signal handlers, as the header's contract
   allows: in a thread that owns a slot, through call sites that have run
   (macros) or ids from pm_lookup(). Handlers get series of their own. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <pthread.h>
#include <sys/time.h>

#include "harness.h"
#include "segread.h"

#define WORKERS 4

/* SIGPROF every TICK_US of CPU time. Under valgrind, which runs code 20-50x
   slower, handler runs that close together would leave little time for
   the work between them, so the tick scales too. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifdef RUNNING_ON_VALGRIND
#define TICK_US (RUNNING_ON_VALGRIND ? 1000 : 200)
#else
#define TICK_US 200
#endif

static pm_id sig_id;
static uint64_t handled;          /* handler runs, counted apart from perfmon */
static volatile int stop;
static uint64_t work_done[WORKERS + 1];
static pthread_barrier_t bar;

/* Every kind of record the contract names as async-signal-safe. */
static void handler(int sig)
{
    (void)sig;
    int saved = errno;
    PM_COUNT("sig.count", 1);
    PM_RECORD("sig.value", 5);
    { PM_SCOPE("sig.scope"); }
    pm_count_id(sig_id, 2);
    __atomic_fetch_add(&handled, 1, __ATOMIC_RELAXED);
    errno = saved;
}

static void work(long me)
{
    PM_COUNT("work.count", 1);
    PM_DURATION("work.timer", 100 + (uint64_t)me, 1);
    work_done[me]++;
}

/* Records, owns its slot, has run the handler's call sites; then records
   under a storm of SIGPROF (and, for odd workers, raise(SIGUSR1)). */
static void *worker(void *arg)
{
    long me = (long)(intptr_t)arg;
    work(me);
    handler(0);
    pthread_barrier_wait(&bar);
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        work(me);
        if ((me & 1) && work_done[me] % 64 == 0) raise(SIGUSR1);
    }
    return NULL;
}

static void install(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    /* the two handlers record into the same series, so they must not nest:
       the contract (THREAD AND PROCESS SAFETY) loses a record a handler
       makes into a series the code it interrupted was updating (seen:
       one sum short in ~1 of many runs) */
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGPROF);
    sigaddset(&sa.sa_mask, SIGUSR1);
    CHECK(sigaction(sig, &sa, NULL) == 0);
}

static void storm(int seconds)
{
    sig_id = pm_lookup("sig.by_id", PM_KIND_COUNTER, PM_UNIT_NONE);
    CHECK(sig_id != 0 && sig_id < PM__ID_DROP_BASE);
    install(SIGPROF);
    install(SIGUSR1);
    pthread_t th[WORKERS];
    pthread_barrier_init(&bar, NULL, WORKERS + 1);
    for (long i = 0; i < WORKERS; i++) CHECK(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
    work(WORKERS);
    handler(0);
    pthread_barrier_wait(&bar);
    struct itimerval it = { { 0, TICK_US }, { 0, TICK_US } };
    CHECK(setitimer(ITIMER_PROF, &it, NULL) == 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        work(WORKERS);
        clock_gettime(CLOCK_MONOTONIC, &t1);
    } while (t1.tv_sec - t0.tv_sec < seconds            /* and a real storm, however slow the machine */
             || __atomic_load_n(&handled, __ATOMIC_RELAXED) < 500);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    CHECK(setitimer(ITIMER_PROF, &off, NULL) == 0);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < WORKERS; i++) pthread_join(th[i], NULL);
    signal(SIGPROF, SIG_IGN);   /* a tick already pending must not land after the count */
    signal(SIGUSR1, SIG_IGN);
}

/* Handler counts exact while 5 threads record; no deadlock (the harness's
   alarm would end a hung test); the threads' own counts exact too. */
static void test_handler_records_exact(void)
{
    storm(2);
    uint64_t h = __atomic_load_n(&handled, __ATOMIC_RELAXED), w = 0;
    for (int i = 0; i <= WORKERS; i++) w += work_done[i];
    CHECK_MSG(h > 100 + WORKERS + 1, "only %" PRIu64 " handler runs: no storm", h);
    sr_seg s;
    CHECK(sr_open_path(&s, pm_segment_path()) == 0);
    CHECK_EQ_U64(sr_counter(&s, "sig.count"), h);
    CHECK_EQ_U64(sr_counter(&s, "sig.by_id"), 2 * h);
    static sr_stat st;
    sr_timer(&s, "sig.value", &st);
    CHECK_EQ_U64(st.count, h);
    CHECK_EQ_U64(st.sum, 5 * h);
    CHECK_EQ_U64(st.hist_total, h);
    sr_timer(&s, "sig.scope", &st);
    CHECK_EQ_U64(st.count, h);
    CHECK_EQ_U64(sr_counter(&s, "work.count"), w);
    sr_timer(&s, "work.timer", &st);
    CHECK_EQ_U64(st.count, w);
    CHECK_EQ_U64(st.hist_total, w);
    CHECK_EQ_U64(s.h->dropped, 0);
    CHECK_EQ_U64(s.h->dropped_hist, 0);
    sr_close(&s);
    printf("# test_signals.c: %" PRIu64 " handler runs, %" PRIu64 " operations\n", h, w);
}

/* raise() in a tight loop in one thread, recording between raises: every
   handler run is counted, nothing lost from either side. */
static void test_raise_loop(void)
{
    install(SIGUSR1);
    sig_id = pm_lookup("sig.by_id", PM_KIND_COUNTER, PM_UNIT_NONE);
    handler(0);
    for (int i = 0; i < 100000; i++) {
        PM_COUNT("work.count", 1);
        raise(SIGUSR1);
    }
    sr_seg s;
    CHECK(sr_open_path(&s, pm_segment_path()) == 0);
    CHECK_EQ_U64(sr_counter(&s, "sig.count"), 100001);
    CHECK_EQ_U64(sr_counter(&s, "sig.by_id"), 200002);
    CHECK_EQ_U64(sr_counter(&s, "work.count"), 100000);
    static sr_stat st;
    sr_timer(&s, "sig.value", &st);
    CHECK_EQ_U64(st.count, 100001);
    sr_close(&s);
}

int main(void)
{
    RUN(test_handler_records_exact);
    RUN(test_raise_loop);
    return harness_done();
}
