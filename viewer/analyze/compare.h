/* compare.h - two periods or runs side by side: what changed, which way,
   and whether the change is more than noise

   Each side gives a series its figures over the side's period (count,
   rate, mean, percentiles, error share) and, when the side comes from the
   history, one figure per recorded interval: per-interval means for timers
   and distributions, per-interval rates for counters. The change is
   significant when a two-sided Mann-Whitney U test of those per-interval
   figures gives p < alpha (intervals, not records: records within an
   interval are not independent draws). Without intervals on both sides
   there is no test and the verdict rests on the size of the change alone.

   Direction, for timers and distributions: p95 (or, without histograms,
   the mean) up by at least `stable_pct` percent, or the error share up by
   a point or more, is degrading; down by that much with no rise in errors,
   improving; else stable. A change the test calls not significant is
   stable whatever its size. Counters and gauges: up, down or stable. */
#ifndef PMV_COMPARE_H
#define PMV_COMPARE_H

#include <stdint.h>

#include "read/segment.h"

/* The figures compared, in this order everywhere. */
enum { PMV_CMP_COUNT, PMV_CMP_RATE, PMV_CMP_MEAN, PMV_CMP_P50, PMV_CMP_P95, PMV_CMP_P99, PMV_CMP_ERROR_PCT,
       PMV_CMP_VALUE, PMV_CMP_N };
extern const char *const pmv_cmp_stat_names[PMV_CMP_N];

typedef struct pmv_cmp_side {
    const pmv_series *s;     /* the series' figures over the side's period */
    double seconds;          /* the period's length */
    const double *per_interval; /* stb_ds array, or NULL: no intervals */
} pmv_cmp_side;

typedef struct pmv_cmp_result {
    double a[PMV_CMP_N], b[PMV_CMP_N];   /* NAN: does not apply */
    double change_pct[PMV_CMP_N];        /* (b - a) / a * 100; NAN when a is 0 or either is NAN */
    const char *direction;               /* "degrading", "improving", "stable", "up", "down" */
    int tested;                          /* a test ran */
    double p;                            /* its p-value (NAN untested) */
    int significant;                     /* p < alpha, or untested and the change is large */
    int na, nb;                          /* intervals on each side */
} pmv_cmp_result;

/* Compares one series' two sides. */
void pmv_compare(const pmv_cmp_side *a, const pmv_cmp_side *b, double alpha, double stable_pct,
                 pmv_cmp_result *r);

/* A --fail-on rule: "p95 +10%" fails when p95 rose by more than 10%,
   "rate -20%" when rate fell by more than 20%. */
typedef struct pmv_cmp_rule {
    int stat;
    double pct;              /* signed: +10 or -20 */
    char text[64];
} pmv_cmp_rule;

/* Parses a rule. 0, or -1 with one line in err. */
int pmv_cmp_rule_parse(const char *text, pmv_cmp_rule *rule, char *err, size_t errlen);

/* 1 if r breaks the rule: the change is beyond it and, where a test ran,
   significant at 5%. */
int pmv_cmp_rule_broken(const pmv_cmp_rule *rule, const pmv_cmp_result *r);

#endif
