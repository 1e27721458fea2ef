/* hot_path.c - cost per operation, one thread, against the physical floor.

   usage: hot_path on|tsc|off
     on   PERFMON on, CLOCK_MONOTONIC: every macro and by-name call against a
          private relaxed counter, a lock xadd, or two clock_gettime reads
     tsc  pm_config.clock = PM_CLOCK_TSC: the timers against two rdtsc
     off  PERFMON=0 (off at run time): every call against an empty loop

   Every loop is noinline and has a compiler barrier per iteration (the
   baselines too), so nothing is hoisted out of it: each call pays what it
   would pay among other code. Built with -falign-loops=64: loops under a
   cycle per iteration are otherwise dominated by their alignment. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"
#include "bench.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

static _Alignas(64) uint64_t private_counter[8];
static uint64_t *volatile private_ptr = private_counter;  /* opaque to the optimiser */
static uint64_t sink;
static pm_id count_id;
static char by_name[PM_SHM_NAME_MAX];
static const char *const routes[4] = { "/users", "/orders", "/items", "/login" };

#define LOOP(fn, body) \
    __attribute__((noinline)) static void fn(long n) { for (long i = 0; i < n; i++) { body; BENCH_BARRIER(); } }

LOOP(loop_empty, (void)0)
LOOP(loop_private, uint64_t *p = private_ptr;
     __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED))
LOOP(loop_xadd, __atomic_fetch_add(private_ptr, 1, __ATOMIC_RELAXED))
LOOP(loop_count, PM_COUNT("bench.count", 1))
LOOP(loop_gauge, PM_GAUGE_SET("bench.gauge", i))
LOOP(loop_record, PM_RECORD("bench.dist", i & 4095))
LOOP(loop_count_id, pm_count_id(count_id, 1))
LOOP(loop_count_name, pm_count(by_name, 1))
LOOP(loop_name_count, char buf[PM_SHM_NAME_MAX];
     pm_name(buf, sizeof buf, "bench.labeled", "method", "GET", "route", routes[i & 3], (const char *)0);
     pm_count(buf, 1))
LOOP(loop_clock2, struct timespec a; struct timespec b;
     clock_gettime(CLOCK_MONOTONIC, &a); clock_gettime(CLOCK_MONOTONIC, &b);
     __atomic_store_n(&sink, (uint64_t)(b.tv_nsec - a.tv_nsec), __ATOMIC_RELAXED))
#if defined(__x86_64__)
LOOP(loop_rdtsc2, uint64_t a = __rdtsc(); uint64_t b = __rdtsc();
     __atomic_store_n(&sink, b - a, __ATOMIC_RELAXED))
#endif
LOOP(loop_scope, PM_SCOPE("bench.scope"))
LOOP(loop_span, pm_span s = PM_BEGIN("bench.span"); PM_END(s))
LOOP(loop_timer, pm_timer_start("bench.timer"); pm_timer_stop("bench.timer"))

typedef struct {
    const char *what;
    void (*subj)(long);
    const char *base_name;
    void (*base)(long);
    long n;
    int as_diff;            /* figure: subject - baseline (ns) instead of a ratio */
    double goal;            /* 0: none */
    int upper;              /* goal is figure <= goal */
    double margin;          /* noise margin, in the figure's unit */
} entry;

static void run(const entry *e)
{
    char sb[32], bb[32], fig[64], base[64], goal[48];
    bench_pair p = bench_measure_pair(e->base, e->subj, e->n);
    snprintf(base, sizeof base, "%s %s", e->base_name, bench_ns(bb, sizeof bb, p.base.med));
    if (e->as_diff)
        snprintf(fig, sizeof fig, "%+.2f ns [%+.2f .. %+.2f]", p.diff.med, p.diff.lo, p.diff.hi);
    else
        snprintf(fig, sizeof fig, "%.2fx [%.2f .. %.2f]", p.ratio.med, p.ratio.lo, p.ratio.hi);
    goal[0] = '\0';
    if (e->goal > 0) {
        double v = e->as_diff ? p.diff.med : p.ratio.med;
        const char *st = bench_goal(v, e->upper, e->goal, e->margin);
        if (e->as_diff)
            snprintf(goal, sizeof goal, "%s %+g ns (margin %g) %s", e->upper ? "<=" : ">=", e->goal, e->margin, st);
        else
            snprintf(goal, sizeof goal, "%s %gx (margin %g) %s", e->upper ? "<=" : ">=", e->goal, e->margin, st);
    }
    bench_row(e->what, bench_ns(sb, sizeof sb, p.subj.med), base, fig, goal);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "on";
    const long N = 20000000, NT = 1000000;
    pm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (strcmp(mode, "header") == 0) { bench_header(); return 0; }
    if (strcmp(mode, "off") == 0) setenv("PERFMON", "0", 1);
    if (strcmp(mode, "tsc") == 0) cfg.clock = PM_CLOCK_TSC;
    pm_result r = pm_init(&cfg);
    if (strcmp(mode, "off") == 0 ? r != PM_ERR_DISABLED : r != PM_OK) {
        fprintf(stderr, "hot_path: pm_init: %s\n", pm_result_str(r));
        return 2;
    }
    pm_name(by_name, sizeof by_name, "bench.byname", "method", "GET", "route", "/users", (const char *)0);
    count_id = pm_lookup("bench.count_id", PM_KIND_COUNTER, PM_UNIT_NONE);

    if (strcmp(mode, "on") == 0) {
        const entry es[] = {
            { "lock xadd (__atomic_fetch_add)", loop_xadd, "private ld+add+st", loop_private, N, 0, 0, 1, 0 },
            { "PM_COUNT", loop_count, "private ld+add+st", loop_private, N, 0, 1.5, 1, 0.15 },
            { "PM_COUNT", loop_count, "lock xadd", loop_xadd, N, 0, 0, 1, 0 },
            { "pm_count_id (pm_lookup once)", loop_count_id, "private ld+add+st", loop_private, N, 0, 1.5, 1, 0.15 },
            { "PM_GAUGE_SET", loop_gauge, "private ld+add+st", loop_private, N, 0, 0, 1, 0 },
            { "PM_RECORD (distribution)", loop_record, "private ld+add+st", loop_private, N / 4, 0, 0, 1, 0 },
            { "pm_count by name (labeled, prebuilt)", loop_count_name, "private ld+add+st", loop_private, N / 20, 0, 0, 1, 0 },
            { "pm_name + pm_count by name, per op", loop_name_count, "private ld+add+st", loop_private, N / 40, 0, 0, 1, 0 },
            { "pm_count by name (labeled, prebuilt)", loop_count_name, "pm_count_id", loop_count_id, N / 20, 1, 0, 1, 0 },
            { "PM_SCOPE", loop_scope, "2x clock_gettime", loop_clock2, NT, 1, 10, 1, 2 },
            { "PM_BEGIN / PM_END", loop_span, "2x clock_gettime", loop_clock2, NT, 1, 10, 1, 2 },
            { "pm_timer_start / pm_timer_stop", loop_timer, "2x clock_gettime", loop_clock2, NT, 1, 0, 1, 0 },
        };
        bench_section("1. Cost per operation, one thread (PERFMON on, CLOCK_MONOTONIC)");
        for (size_t i = 0; i < sizeof es / sizeof es[0]; i++) run(&es[i]);
    } else if (strcmp(mode, "tsc") == 0) {
#if defined(__x86_64__)
        if (!pm__use_tsc) {
            bench_section("1b. PERFMON_CLOCK=tsc: not available here (no invariant TSC)");
            return 0;
        }
        const entry es[] = {
            { "2x clock_gettime", loop_clock2, "2x rdtsc", loop_rdtsc2, NT, 1, 0, 1, 0 },
            { "PM_SCOPE (tsc)", loop_scope, "2x rdtsc", loop_rdtsc2, NT, 1, 10, 1, 2 },
            { "PM_BEGIN / PM_END (tsc)", loop_span, "2x rdtsc", loop_rdtsc2, NT, 1, 10, 1, 2 },
            { "pm_timer_start / stop (tsc)", loop_timer, "2x rdtsc", loop_rdtsc2, NT, 1, 0, 1, 0 },
        };
        bench_section("1b. Timers with pm_config.clock = PM_CLOCK_TSC (PERFMON_CLOCK=tsc)");
        for (size_t i = 0; i < sizeof es / sizeof es[0]; i++) run(&es[i]);
#endif
    } else if (strcmp(mode, "off") == 0) {
        const entry es[] = {
            { "PM_COUNT, off", loop_count, "empty loop", loop_empty, N, 1, 1, 1, 0.25 },
            { "PM_GAUGE_SET, off", loop_gauge, "empty loop", loop_empty, N, 1, 1, 1, 0.25 },
            { "PM_RECORD, off", loop_record, "empty loop", loop_empty, N, 1, 1, 1, 0.25 },
            { "PM_SCOPE, off", loop_scope, "empty loop", loop_empty, N, 1, 1, 1, 0.25 },
            { "PM_BEGIN / PM_END, off", loop_span, "empty loop", loop_empty, N, 1, 1, 1, 0.25 },
            { "pm_count_id, off", loop_count_id, "empty loop", loop_empty, N, 1, 1, 1, 0.25 },
            { "pm_count by name, off", loop_count_name, "empty loop", loop_empty, N, 1, 0, 1, 0 },
            { "pm_timer_start / stop, off", loop_timer, "empty loop", loop_empty, N / 4, 1, 0, 1, 0 },
        };
        bench_section("2a. Off at run time (PERFMON=0): cost over an empty loop");
        for (size_t i = 0; i < sizeof es / sizeof es[0]; i++) run(&es[i]);
    } else {
        fprintf(stderr, "usage: hot_path header|on|tsc|off\n");
        return 2;
    }
    return bench_missed ? 1 : 0;
}
