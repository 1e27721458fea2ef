/* mannwhitney.h - Mann-Whitney U test (Wilcoxon rank-sum) of two samples

   Used by `gate` to decide whether a change between the baseline's runs and
   this build's runs is significant. Non-parametric: no assumption that run
   times are normally distributed (they rarely are: long right tails).

   U counts, over all pairs (x_i, y_j), how often x_i > y_j, ties counting
   one half. Under H0 (both samples from one distribution) U has mean
   nx*ny/2.

   p-values:
     exact   when there are no ties and nx*ny <= PMV_MW_EXACT_MAX: the null
             distribution of U is enumerated with the standard recurrence
             f(u; m, n) = f(u - n; m - 1, n) + f(u; m, n - 1)
             (the largest of m + n values is either an x, which then beats
             all n y's, or a y, which beats nothing).
     normal  otherwise: z from the mean and the tie-corrected variance
             nx*ny/12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))), with a
             continuity correction of 1/2 toward the mean.
   Alternatives: PMV_MW_GREATER tests "x tends to be larger than y" (one
   sided: p = P(U >= u)), PMV_MW_LESS the opposite, PMV_MW_TWO_SIDED either
   (p = 2 * the smaller tail, at most 1). */
#ifndef PMV_MANNWHITNEY_H
#define PMV_MANNWHITNEY_H

#define PMV_MW_EXACT_MAX 400   /* nx * ny at or below which p is exact (no ties) */
#define PMV_MW_MAX_N     100000 /* larger samples are refused */

typedef enum pmv_mw_alt {
    PMV_MW_TWO_SIDED = 0,
    PMV_MW_GREATER   = 1,   /* H1: x stochastically greater than y */
    PMV_MW_LESS      = 2    /* H1: x stochastically less than y */
} pmv_mw_alt;

typedef struct pmv_mw_result {
    double u;      /* U of x: pairs with x > y, plus half the ties */
    double p;      /* p-value for the chosen alternative */
    double z;      /* normal approximation's z (also given when exact) */
    int exact;     /* 1: exact p from the U distribution; 0: normal approx */
    int ties;      /* 1 if any values are tied */
} pmv_mw_result;

/* Runs the test. Returns 0, or -1 when a sample is empty, too large, or
   holds a NaN (r is then untouched). Thread safety: reentrant. */
int pmv_mann_whitney(const double *x, int nx, const double *y, int ny,
                     pmv_mw_alt alt, pmv_mw_result *r);

/* The same, always by the normal approximation (tests, comparisons). */
int pmv_mann_whitney_normal(const double *x, int nx, const double *y, int ny,
                            pmv_mw_alt alt, pmv_mw_result *r);

/* P(U <= u) under H0 for samples of m and n without ties, exactly.
   Returns NAN when m*n > PMV_MW_EXACT_MAX or m, n < 1. */
double pmv_mw_exact_cdf(int m, int n, double u);

/* The smallest one-sided p-value samples of m and n can give (1/C(m+n, m)):
   below alpha no test of that size can ever be significant. */
double pmv_mw_min_p(int m, int n);

#endif
