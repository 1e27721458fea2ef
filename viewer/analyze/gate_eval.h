/* gate_eval.h - what one gate rule measures in one snapshot

   Selection: a series matches a rule when its base name equals the rule's
   and its labels include every pair the rule gives (so a bare name matches
   all its label sets). Matches are aggregated: counts, sums, errors, slow
   counts and counter/gauge values are summed, histograms merged, min is
   the smallest min and max the largest max. Matched series must share a
   kind. cpu_time and peak_rss of `process` come from the caller (wait4 or
   /proc), else from the process.cpu_user/cpu_sys/peak_rss gauges the writer
   stores at exit; of a series N they come from pm_benchmark /
   PM_RESOURCE_SCOPE's N.cpu_user + N.cpu_sys (sum of both distributions'
   sums: total CPU time) and N.peak_rss (largest gauge). */
#ifndef PMV_GATE_EVAL_H
#define PMV_GATE_EVAL_H

#include "analyze/rules.h"
#include "read/segment.h"

/* Resources of the whole process, when the caller measured them. */
typedef struct pmv_proc_usage {
    int have;
    double cpu_ns;      /* user + system CPU time */
    double peak_rss;    /* bytes */
} pmv_proc_usage;

typedef struct pmv_measure {
    int ok;             /* 1: value holds the measurement */
    double value;
    pmv_lunit unit;     /* what value is in */
    int nmatch;         /* series aggregated */
    int rule_error;     /* !ok because the rule is wrong (its limit's unit does
                           not suit the series), not the program: exit 2 */
    char why[320];      /* !ok: why nothing could be measured */
} pmv_measure;

/* Measures stat of the series rule r selects (exact: match the full name
   only, for per-series baselines). Returns m->ok. For an absolute rule it
   also checks that the limit's unit suits the series (a duration limit on
   a byte series, or no unit on a timer, fails with rule_error set, naming
   both). Thread safety: reentrant. */
int pmv_gate_measure(const pmv_rule *r, const pmv_snapshot *snap,
                     const pmv_proc_usage *proc, pmv_measure *m);

/* The same for a stat of one series by full name. */
int pmv_gate_measure_series(const pmv_series *s, pmv_stat stat,
                            const pmv_snapshot *snap, pmv_measure *m);

/* 1 if stat applies to a series of that kind (PM_SHM_KIND_*). */
int pmv_stat_applies(pmv_stat stat, int kind);

#endif
