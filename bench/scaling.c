/* scaling.c - 1, 2, 4, 8 threads incrementing one series and distinct
   series: aggregate ops/s and the ratio to one thread, measured in each
   repetition. Time is taken inside the workers (first start to last end),
   so thread creation is not counted.

   The machine has 2 cores, so 4 and 8 threads can at best match 2. Two
   same-run floors show what the machine itself allows:
     private   each thread its own counter on its own cache line: the ideal;
               when other jobs hold a core, this falls below 2x too.
     lock xadd one counter shared by all threads: what cache-line ping-pong
               costs (the design perfmon avoids with a cell per thread).
   "cpu/op" is thread CPU time per op relative to one thread: 1.00x means no
   contention at all, whatever the other load on the machine.

   The goal (2 threads on one series >= 1.8x one thread) is gated on CPU
   time: 2 / cpu-per-op ratio, the scaling two free cores would give, which
   only contention between the threads can lower (margin 0.1). The
   wall-clock ratio is shown beside the private floor's, not gated: with
   other jobs on this 2-core machine its spread is 1.0x .. 2.2x. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"
#include "bench.h"

#include <pthread.h>

#define MAX_T 8
#define REPS 7

enum { K_ONE, K_DISTINCT, K_PRIVATE, K_SHARED_XADD, K_COUNT };
static const char *const kind_name[K_COUNT] = {
    "PM_COUNT, one series", "pm_count_id, distinct series",
    "floor: private counters", "lock xadd, one shared counter",
};

static _Alignas(64) uint64_t private_counters[MAX_T][8];
static _Alignas(64) uint64_t shared_counter;
static pm_id distinct_ids[MAX_T];

__attribute__((noinline)) static void loop_one(long n, int t)
{
    (void)t;
    for (long i = 0; i < n; i++) { PM_COUNT("bench.scale.one", 1); BENCH_BARRIER(); }
}

__attribute__((noinline)) static void loop_distinct(long n, int t)
{
    for (long i = 0; i < n; i++) { pm_count_id(distinct_ids[t], 1); BENCH_BARRIER(); }
}

__attribute__((noinline)) static void loop_private(long n, int t)
{
    uint64_t *p = private_counters[t];
    for (long i = 0; i < n; i++) {
        __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
        BENCH_BARRIER();
    }
}

__attribute__((noinline)) static void loop_xadd(long n, int t)
{
    (void)t;
    for (long i = 0; i < n; i++) { __atomic_fetch_add(&shared_counter, 1, __ATOMIC_RELAXED); BENCH_BARRIER(); }
}

static void (*const loops[K_COUNT])(long, int) = { loop_one, loop_distinct, loop_private, loop_xadd };

typedef struct {
    int kind, t;
    long n;
    pthread_barrier_t *go;
    double t0, t1, cpu;
} job;

static void *worker(void *arg)
{
    job *j = (job *)arg;
    loops[j->kind](1, j->t);                 /* take a thread slot, register */
    pthread_barrier_wait(j->go);
    double c0 = bench_cpu_ns();
    j->t0 = bench_now_ns();
    loops[j->kind](j->n, j->t);
    j->t1 = bench_now_ns();
    j->cpu = bench_cpu_ns() - c0;
    return NULL;
}

/* Aggregate ops/s; *cpu_per_op: thread CPU ns per op. */
static double run(int kind, int threads, long n, double *cpu_per_op)
{
    pthread_t th[MAX_T];
    job j[MAX_T];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++) {
        j[i].kind = kind; j[i].t = i; j[i].n = n; j[i].go = &go;
        pthread_create(&th[i], NULL, worker, &j[i]);
    }
    double start = 1e300, end = 0, cpu = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        if (j[i].t0 < start) start = j[i].t0;
        if (j[i].t1 > end) end = j[i].t1;
        cpu += j[i].cpu;
    }
    pthread_barrier_destroy(&go);
    *cpu_per_op = cpu / ((double)threads * (double)n);
    return (double)threads * (double)n / ((end - start) * 1e-9);
}


int main(void)
{
    static const int tcounts[] = { 1, 2, 4, 8 };
    enum { NTC = 4 };
    const long N = 100000000;             /* per thread: ~40 ms */
    if (pm_init(NULL) != PM_OK) { fprintf(stderr, "scaling: perfmon could not start\n"); return 2; }
    for (int t = 0; t < MAX_T; t++) {
        char name[64];
        snprintf(name, sizeof name, "bench.scale.distinct{t=\"%d\"}", t);
        distinct_ids[t] = pm_lookup(name, PM_KIND_COUNTER, PM_UNIT_NONE);
    }

    double ops[K_COUNT][NTC][REPS], ratio[K_COUNT][NTC][REPS], cpur[K_COUNT][NTC][REPS];
    uint64_t expect_one = 0, expect_distinct = 0;
    for (int r = 0; r < REPS; r++) {
        for (int k = 0; k < K_COUNT; k++) {
            double c1 = 0;
            for (int i = 0; i < NTC; i++) {
                double c;
                long n = k == K_SHARED_XADD ? N / 10 : N;
                ops[k][i][r] = run(k, tcounts[i], n, &c);
                if (i == 0) c1 = c;
                ratio[k][i][r] = ops[k][i][r] / ops[k][0][r];
                cpur[k][i][r] = c / c1;
                if (k == K_ONE) expect_one += (uint64_t)tcounts[i] * (uint64_t)(n + 1);
                if (k == K_DISTINCT) expect_distinct += (uint64_t)tcounts[i] * (uint64_t)(n + 1);
            }
        }
    }

    bench_section("3. Scaling: aggregate ops/s vs one thread (this machine has 2 cores: 4 and 8 threads share them)");
    double floor2 = 0;
    bench_fig fl = bench_summary(ratio[K_PRIVATE][1], REPS);
    floor2 = fl.med;
    for (int k = 0; k < K_COUNT; k++) {
        for (int i = 1; i < NTC; i++) {
            char what[64], subj[32], base[64], fig[80], goal[96] = "";
            bench_fig o = bench_summary(ops[k][i], REPS), o1 = bench_summary(ops[k][0], REPS);
            bench_fig q = bench_summary(ratio[k][i], REPS), c = bench_summary(cpur[k][i], REPS);
            snprintf(what, sizeof what, "%s, %d thr", kind_name[k], tcounts[i]);
            snprintf(subj, sizeof subj, "%.0f M/s", o.med / 1e6);
            snprintf(base, sizeof base, "1 thread %.0f M/s", o1.med / 1e6);
            snprintf(fig, sizeof fig, "%.2fx [%.2f .. %.2f] cpu/op %.2fx", q.med, q.lo, q.hi, c.med);
            if (k == K_ONE && tcounts[i] == 2) {
                snprintf(goal, sizeof goal, ">= 1.8x: %s, floor %.2fx (gated by CPU time)",
                         q.med >= 1.8 ? "ok" : "under", floor2);
            }
            bench_row(what, subj, base, fig, goal);
            if (k == K_ONE && tcounts[i] == 2) {
                snprintf(what, sizeof what, "%s, 2 thr, by CPU time", kind_name[k]);
                snprintf(fig, sizeof fig, "%.2fx [%.2f .. %.2f]", 2 / c.med, 2 / c.hi, 2 / c.lo);
                snprintf(goal, sizeof goal, ">= 1.8x (margin 0.1) %s", bench_goal(2 / c.med, 0, 1.8, 0.1));
                bench_row(what, "2/cpu-per-op", "1 thread", fig, goal);
            }
        }
    }
    uint64_t got_one = bench_counter_total("bench.scale.one"), got_distinct = 0;
    for (int t = 0; t < MAX_T; t++) {
        char name[64];
        snprintf(name, sizeof name, "bench.scale.distinct{t=\"%d\"}", t);
        got_distinct += bench_counter_total(name);
    }
    char subj[32], base[64], goal[48];
    uint64_t lost = (expect_one - got_one) + (expect_distinct - got_distinct);
    snprintf(subj, sizeof subj, "%llu", (unsigned long long)lost);
    snprintf(base, sizeof base, "of %.2fG increments", (double)(expect_one + expect_distinct) / 1e9);
    snprintf(goal, sizeof goal, "0 %s", lost == 0 ? "ok" : (bench_missed++, "MISSED"));
    bench_row("increments lost, all runs above", subj, base, "", goal);
    return bench_missed ? 1 : 0;
}
