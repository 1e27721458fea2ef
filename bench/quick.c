/* quick.c - the core kit's hot-path targets, as ratios measured in one run.

   Each figure is the median of REPS repetitions; the spread (min..max) is
   printed beside it. Baselines are measured in the same run, because
   absolute times drift on a shared machine:
     PM_COUNT   vs a relaxed load+add+store on a thread-private counter
     PM_SCOPE   vs two clock_gettime(CLOCK_MONOTONIC) reads
     2 threads  vs 1 thread, PM_COUNT on one series (aggregate ops/s)
   and it checks that no increment was lost. Exit 1 when a target is missed. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS 7

static _Alignas(64) uint64_t private_counter[8];
static uint64_t *volatile private_ptr = private_counter;  /* opaque to the optimiser */
static uint64_t sink;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct { double med, lo, hi; } figure;

static figure summarize(double *v, int n)
{
    figure f;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    f.med = v[n / 2]; f.lo = v[0]; f.hi = v[n - 1];
    return f;
}

/* ---- the loops: noinline so each is measured as written ---- */

__attribute__((noinline)) static void loop_private(long n)
{
    uint64_t *p = private_ptr;
    for (long i = 0; i < n; i++)
        __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

__attribute__((noinline)) static void loop_count(long n)
{
    for (long i = 0; i < n; i++) PM_COUNT("bench.count", 1);
}

__attribute__((noinline)) static void loop_clock2(long n)
{
    struct timespec a, b;
    for (long i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &a);
        clock_gettime(CLOCK_MONOTONIC, &b);
        __atomic_store_n(&sink, (uint64_t)(b.tv_nsec - a.tv_nsec), __ATOMIC_RELAXED);
    }
}

__attribute__((noinline)) static void loop_scope(long n)
{
    for (long i = 0; i < n; i++) { PM_SCOPE("bench.scope"); }
}

static double ns_per_op(void (*fn)(long), long n)
{
    double t0 = now_s();
    fn(n);
    return (now_s() - t0) * 1e9 / (double)n;
}

/* Baseline and subject alternate within each repetition, so drift (other
   load, frequency changes) hits both; the ratio is taken per repetition. */
static void measure_pair(void (*base)(long), void (*subj)(long), long n,
                         figure *fb, figure *fs, figure *ratio, figure *diff)
{
    double b[REPS], s[REPS], r[REPS], d[REPS];
    base(n / 10);
    subj(n / 10);                                /* warm up: first call registers */
    for (int i = 0; i < REPS; i++) {
        b[i] = ns_per_op(base, n);
        s[i] = ns_per_op(subj, n);
        r[i] = s[i] / b[i];
        d[i] = s[i] - b[i];
    }
    *ratio = summarize(r, REPS);
    *diff = summarize(d, REPS);
    *fb = summarize(b, REPS);
    *fs = summarize(s, REPS);
}

/* ---- scaling ---- */

typedef struct { long n; pthread_barrier_t *go; double t0, t1; } job;

static void *count_job(void *arg)
{
    job *j = (job *)arg;
    PM_COUNT("bench.count", 0);                  /* take a thread slot before timing */
    pthread_barrier_wait(j->go);
    j->t0 = now_s();
    loop_count(j->n);
    j->t1 = now_s();
    return NULL;
}

/* Aggregate PM_COUNT operations per second with `threads` threads, timed by
   the workers themselves (first start to last end). */
static double throughput(int threads, long n)
{
    pthread_t t[8];
    job j[8];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++) {
        j[i].n = n; j[i].go = &go;
        pthread_create(&t[i], NULL, count_job, &j[i]);
    }
    double start = 1e300, end = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        if (j[i].t0 < start) start = j[i].t0;
        if (j[i].t1 > end) end = j[i].t1;
    }
    pthread_barrier_destroy(&go);
    return (double)threads * (double)n / (end - start);
}


int main(void)
{
    const long N = 50000000, NT = 5000000;
    int missed = 0;
    if (pm_init(NULL) != PM_OK) { fprintf(stderr, "quick: perfmon could not start\n"); return 2; }

    figure priv, cnt, cnt_ratio, cnt_diff, clk, scp, scp_ratio, scp_over;
    measure_pair(loop_private, loop_count, N, &priv, &cnt, &cnt_ratio, &cnt_diff);
    measure_pair(loop_clock2, loop_scope, NT, &clk, &scp, &scp_ratio, &scp_over);

    double r1[REPS], r2[REPS], ratio[REPS];
    uint64_t before = bench_counter_total("bench.count");
    for (int r = 0; r < REPS; r++) {
        r1[r] = throughput(1, N / 5);
        r2[r] = throughput(2, N / 5);
        ratio[r] = r2[r] / r1[r];
    }
    uint64_t expected = before + (uint64_t)REPS * 3u * (uint64_t)(N / 5);
    uint64_t got = bench_counter_total("bench.count");
    figure sc = summarize(ratio, REPS);

    double count_ratio = cnt_ratio.med;
    double scope_over = scp_over.med;
    printf("perfmon quick benchmark (median of %d; spread in brackets; 2 cores)\n\n", REPS);
    printf("%-34s %8.2f ns  [%.2f .. %.2f]\n", "private relaxed load+add+store", priv.med, priv.lo, priv.hi);
    printf("%-34s %8.2f ns  [%.2f .. %.2f]\n", "PM_COUNT", cnt.med, cnt.lo, cnt.hi);
    printf("%-34s %8.2f ns  [%.2f .. %.2f]\n", "two clock_gettime(MONOTONIC)", clk.med, clk.lo, clk.hi);
    printf("%-34s %8.2f ns  [%.2f .. %.2f]\n\n", "PM_SCOPE", scp.med, scp.lo, scp.hi);
    printf("%-34s %8.2fx   target <= 1.50x  %s  [%.2f .. %.2f]\n", "PM_COUNT / private counter", count_ratio,
           count_ratio <= 1.5 ? "ok" : (missed++, "MISSED"), cnt_ratio.lo, cnt_ratio.hi);
    printf("%-34s %+8.2f ns  target <= +10 ns  %s  [%+.2f .. %+.2f]\n", "PM_SCOPE - two clock reads", scope_over,
           scope_over <= 10 ? "ok" : (missed++, "MISSED"), scp_over.lo, scp_over.hi);
    printf("%-34s %8.2fx   target >= 1.80x  %s  [%.2f .. %.2f] (2 cores)\n", "2 threads / 1 thread, one series",
           sc.med, sc.med >= 1.8 ? "ok" : (missed++, "MISSED"), sc.lo, sc.hi);
    printf("%-34s %8llu   of %llu  %s\n", "increments lost", (unsigned long long)(expected - got),
           (unsigned long long)expected, got == expected ? "ok" : (missed++, "LOST"));
    return missed ? 1 : 0;
}
