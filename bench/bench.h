/* bench.h - timing, median/spread and the one table every bench/ program
   prints a part of (bench/run.sh runs them in turn).

   Rules every figure follows:
   - it is a ratio (or a difference) to a baseline measured in the same
     process, in the same run: absolute times drift on a shared machine;
   - baseline and subject alternate inside each repetition and the ratio is
     taken per repetition, so drift (other jobs, frequency) hits both;
   - the figure is the median of BENCH_REPS repetitions, [min .. max] beside it.

   A goal is checked with a stated noise margin: "ok" within the goal,
   "noise" past it but within the margin (not a failure), "MISSED" past the
   margin. bench_missed counts the last; programs exit 1 when it is > 0. */
#ifndef PM_BENCH_H
#define PM_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef BENCH_REPS
#define BENCH_REPS 9
#endif

static int bench_missed;

static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline double bench_cpu_ns(void) /* this thread's CPU time */
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct { double med, lo, hi; } bench_fig;

/* Sorts v in place. */
static inline bench_fig bench_summary(double *v, int n)
{
    bench_fig f;
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    f.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    f.lo = v[0];
    f.hi = v[n - 1];
    return f;
}

/* ns per call of a loop function `fn(n)` (n iterations). */
static inline double bench_ns_per_op(void (*fn)(long), long n)
{
    double t0 = bench_now_ns();
    fn(n);
    return (bench_now_ns() - t0) / (double)n;
}

/* A paired measurement: base and subj alternate in each repetition. */
typedef struct { bench_fig base, subj, ratio, diff; } bench_pair;

static inline bench_pair bench_measure_pair(void (*base)(long), void (*subj)(long), long n)
{
    double b[BENCH_REPS], s[BENCH_REPS], r[BENCH_REPS], d[BENCH_REPS];
    bench_pair p;
    base(n / 10 + 1);
    subj(n / 10 + 1); /* warm up: the first call registers the series */
    for (int i = 0; i < BENCH_REPS; i++) {
        if (i & 1) { /* alternate which goes first, too */
            s[i] = bench_ns_per_op(subj, n);
            b[i] = bench_ns_per_op(base, n);
        } else {
            b[i] = bench_ns_per_op(base, n);
            s[i] = bench_ns_per_op(subj, n);
        }
        r[i] = s[i] / b[i];
        d[i] = s[i] - b[i];
    }
    p.ratio = bench_summary(r, BENCH_REPS);
    p.diff = bench_summary(d, BENCH_REPS);
    p.base = bench_summary(b, BENCH_REPS);
    p.subj = bench_summary(s, BENCH_REPS);
    return p;
}

/* ---- the table ---- */

#define BENCH_ROW_FMT "  %-40s %-13s %-34s %-26s %s\n"

static inline void bench_header(void)
{
    printf(BENCH_ROW_FMT, "measured", "subject", "baseline (same run)", "figure: median [spread]", "goal");
}

static inline void bench_section(const char *title)
{
    printf("\n%s\n", title);
}

static inline void bench_row(const char *what, const char *subj, const char *base,
                             const char *fig, const char *goal)
{
    printf(BENCH_ROW_FMT, what, subj, base, fig, goal ? goal : "");
    fflush(stdout);
}

/* "12.3 ns", "1.23 us" ... from nanoseconds */
static inline const char *bench_ns(char *buf, size_t size, double ns)
{
    if (ns < 10) snprintf(buf, size, "%.2f ns", ns);
    else if (ns < 1000) snprintf(buf, size, "%.1f ns", ns);
    else if (ns < 1e6) snprintf(buf, size, "%.1f us", ns / 1e3);
    else if (ns < 1e9) snprintf(buf, size, "%.2f ms", ns / 1e6);
    else snprintf(buf, size, "%.2f s", ns / 1e9);
    return buf;
}

static inline const char *bench_bytes(char *buf, size_t size, double b)
{
    if (b < 1024) snprintf(buf, size, "%.0f B", b);
    else if (b < 1024 * 1024) snprintf(buf, size, "%.1f KiB", b / 1024);
    else if (b < 1024.0 * 1024 * 1024) snprintf(buf, size, "%.1f MiB", b / 1048576);
    else snprintf(buf, size, "%.2f GiB", b / 1073741824);
    return buf;
}

/* Goal status. `upper`: the goal is value <= limit (else value >= limit).
   margin is absolute, in the value's own unit. */
static inline const char *bench_goal(double value, int upper, double limit, double margin)
{
    if (upper ? value <= limit : value >= limit) return "ok";
    if (upper ? value <= limit + margin : value >= limit - margin) return "noise";
    bench_missed++;
    return "MISSED";
}

/* Opaque to the optimiser: the loops below must run as written. */
#define BENCH_BARRIER() __asm__ volatile("" ::: "memory")

#if defined(PERFMON_H) && PM_ENABLED
/* A counter's process total, summed over thread slots through the segment's
   ABI (for the lost-increment checks; call when the writers have joined). */
static inline uint64_t bench_counter_total(const char *name)
{
    const pm_shm_header *h = (const pm_shm_header *)(const void *)pm__base;
    for (uint32_t i = 0; i < h->series_count; i++) {
        if (strcmp(pm__series[i].name, name) != 0) continue;
        uint64_t total = 0;
        for (uint32_t t = 0; t < h->threads_used; t++) {
            const pm_shm_cell *c = (const pm_shm_cell *)(const void *)
                (pm__base + h->cells_off + ((uint64_t)t * h->max_series + i) * PM_SHM_CELL_SIZE);
            total += __atomic_load_n(&c->count, __ATOMIC_RELAXED);
        }
        return total;
    }
    return 0;
}
#endif

#endif
