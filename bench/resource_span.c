/* resource_span.c - what a resource span costs (never a hot path: these
   figures are for the doc block's "what it costs").

   8a. pm_resource_begin + pm_resource_end, unsampled: measure only (name
       NULL) and recording (a name: 8 series, looked up by name), against
       the system calls a span cannot avoid, made the same way in the same
       run (getrusage RUSAGE_THREAD and RUSAGE_SELF, a read of
       /proc/self/statm, twice).
   8b. the same with a sampler thread (started, then stopped and joined at
       once): the thread's start and join.
   8c. the sampler's CPU at a 50 ms interval: process CPU over a second of
       sleep with a sampled span, minus a second of sleep without one; as
       a share of one core and per sample. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"
#define BENCH_REPS 5
#include "bench.h"

#include <sys/resource.h>

static void __attribute__((noinline)) syscalls_only(long n)
{
    for (long i = 0; i < n; i++) {
        for (int k = 0; k < 2; k++) {
            struct rusage ru;
            getrusage(RUSAGE_THREAD, &ru);
            getrusage(RUSAGE_SELF, &ru);
            (void)pm__rss_now();
        }
        BENCH_BARRIER();
    }
}

static void __attribute__((noinline)) span_measure_only(long n)
{
    for (long i = 0; i < n; i++) {
        pm_resource_span s = pm_resource_begin(NULL);
        (void)pm_resource_end(&s);
        BENCH_BARRIER();
    }
}

static void __attribute__((noinline)) span_recorded(long n)
{
    for (long i = 0; i < n; i++) {
        pm_resource_span s = pm_resource_begin("bench.span");
        (void)pm_resource_end(&s);
        BENCH_BARRIER();
    }
}

static void __attribute__((noinline)) span_sampled(long n)
{
    pm_resource_options o = { 50, 0, NULL };
    for (long i = 0; i < n; i++) {
        pm_resource_span s = pm_resource_begin_ex("bench.sampled", &o);
        (void)pm_resource_end(&s);
        BENCH_BARRIER();
    }
}

static double process_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Process CPU over `ms` of this thread's sleep, with a sampled span or not. */
static double cpu_over_sleep(int ms, int sampled, uint32_t *samples)
{
    pm_resource_snapshot snaps[64];
    pm_resource_options o = { 50, 64, snaps };
    struct timespec nap = { ms / 1000, (long)(ms % 1000) * 1000000L };
    pm_resource_span s;
    memset(&s, 0, sizeof s);
    if (sampled) s = pm_resource_begin_ex(NULL, &o);
    double c0 = process_cpu_ns();
    nanosleep(&nap, NULL);
    double c1 = process_cpu_ns();
    if (sampled) *samples = pm_resource_end(&s).samples;
    return c1 - c0;
}

/* A signed difference in us: noise can make it negative. */
static const char *diff_us(char *buf, size_t size, double ns)
{
    snprintf(buf, size, "%+.2f us", ns / 1e3);
    return buf;
}

static void row_pair(const char *what, const char *base_name, void (*base)(long), void (*subj)(long), long n)
{
    char a[32], b[64], f[128], sb[32], md[32], lo[32], hi[32];
    bench_pair p = bench_measure_pair(base, subj, n);
    snprintf(b, sizeof b, "%s %s", base_name, bench_ns(sb, sizeof sb, p.base.med));
    snprintf(f, sizeof f, "%s [%s .. %s]", diff_us(md, sizeof md, p.diff.med), diff_us(lo, sizeof lo, p.diff.lo),
             diff_us(hi, sizeof hi, p.diff.hi));
    bench_row(what, bench_ns(a, sizeof a, p.subj.med), b, f, NULL);
}

int main(void)
{
    PM_COUNT("bench.start", 1);             /* the segment exists before timing */
    bench_section("8. Resource spans (not a hot path; per begin + end pair)");
    row_pair("begin + end, name NULL (measure only)", "its syscalls", syscalls_only, span_measure_only, 2000);
    row_pair("begin + end, recorded (8 series)", "its syscalls", syscalls_only, span_recorded, 2000);
    row_pair("begin_ex + end, sampler thread", "its syscalls", syscalls_only, span_sampled, 500);

    double share[BENCH_REPS], per[BENCH_REPS];
    for (int i = 0; i < BENCH_REPS; i++) {
        uint32_t samples = 0;
        double with, without;
        if (i & 1) { with = cpu_over_sleep(1000, 1, &samples); without = cpu_over_sleep(1000, 0, NULL); }
        else { without = cpu_over_sleep(1000, 0, NULL); with = cpu_over_sleep(1000, 1, &samples); }
        share[i] = 100.0 * (with - without) / 1e9;
        per[i] = samples ? (with - without) / samples : 0;
    }
    bench_fig sh = bench_summary(share, BENCH_REPS), ps = bench_summary(per, BENCH_REPS);
    char f[128], s1[32], s2[32], s3[32];
    snprintf(f, sizeof f, "%.4f%% [%.4f .. %.4f]", sh.med, sh.lo, sh.hi);
    bench_row("sampler at 50 ms: CPU, % of one core", "1 s sleep", "1 s sleep unsampled", f, NULL);
    snprintf(f, sizeof f, "%s [%s .. %s]", bench_ns(s1, sizeof s1, ps.med), bench_ns(s2, sizeof s2, ps.lo),
             bench_ns(s3, sizeof s3, ps.hi));
    bench_row("sampler: CPU per sample", "", "", f, NULL);
    return 0;
}
