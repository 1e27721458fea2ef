/* compiled_out.c - every macro and function with -DPM_ENABLED=0 (this
   translation unit is built with it) against an empty loop. The goal is
   zero: the loops must compile to the very same code as the empty one.
   (objdump -d bench/bin/compiled_out shows it: each loop_* is loop_empty's
   instructions, only its alignment padding differs.) Timing noise between
   two identical loops is a few hundredths of a ns: a difference within
   0.02 ns counts as zero, with a noise margin of 0.05 ns beyond. */
#include "perfmon.h"
#include "bench.h"

#include <math.h>

#if PM_ENABLED
#error "build compiled_out.c with -DPM_ENABLED=0"
#endif


#define LOOP(fn, body) \
    __attribute__((noinline, noipa)) static void fn(long n) { for (long i = 0; i < n; i++) { body; BENCH_BARRIER(); } }

LOOP(loop_empty, (void)0)
LOOP(loop_count, PM_COUNT("bench.count", 1))
LOOP(loop_gauge, PM_GAUGE_SET("bench.gauge", i))
LOOP(loop_record, PM_RECORD("bench.dist", i & 4095))
LOOP(loop_scope, PM_SCOPE("bench.scope"))
LOOP(loop_span, pm_span s = PM_BEGIN("bench.span"); PM_END(s))
LOOP(loop_count_id, pm_count_id(7, 1))
LOOP(loop_count_name, pm_count("bench.byname", 1))
LOOP(loop_timer, pm_timer_start("bench.timer"); (void)pm_timer_stop("bench.timer"))

int main(void)
{
    static const struct { const char *what; void (*fn)(long); } es[] = {
        { "PM_COUNT, compiled out", loop_count },
        { "PM_GAUGE_SET, compiled out", loop_gauge },
        { "PM_RECORD, compiled out", loop_record },
        { "PM_SCOPE, compiled out", loop_scope },
        { "PM_BEGIN / PM_END, compiled out", loop_span },
        { "pm_count_id, compiled out", loop_count_id },
        { "pm_count by name, compiled out", loop_count_name },
        { "pm_timer_start/stop, compiled out", loop_timer },
    };
    const long N = 20000000;
    bench_section("2b. Compiled out (-DPM_ENABLED=0, its own translation unit): cost over an empty loop");
    for (size_t i = 0; i < sizeof es / sizeof es[0]; i++) {
        char sb[32], bb[32], base[64], fig[64], goal[64];
        bench_pair p = bench_measure_pair(loop_empty, es[i].fn, N);
        snprintf(base, sizeof base, "empty loop %s", bench_ns(bb, sizeof bb, p.base.med));
        snprintf(fig, sizeof fig, "%+.2f ns [%+.2f .. %+.2f]", p.diff.med, p.diff.lo, p.diff.hi);
        /* gated on the best times: noise only ever adds time, and two
           identical loops under load differ by tenths of a ns in median */
        double best = p.subj.lo - p.base.lo;
        snprintf(goal, sizeof goal, "0: best %+.2f (+-0.02, margin 0.05) %s", best,
                 bench_goal(fabs(best), 1, 0.02, 0.05));
        bench_row(es[i].what, bench_ns(sb, sizeof sb, p.subj.med), base, fig, goal);
    }
    return bench_missed ? 1 : 0;
}
