/* hist.c - percentiles, means and rates */
#include "base/hist.h"

#include <math.h>

#include "perfmon_shm.h"

/* Buckets are at most 1/64 of their lower bound wide, so an estimate within
   0.9% of every value in the bucket always exists (see below). */
#define PMV_MAX_REL_ERR 0.009

double pmv_percentile(const pmv_bin *bins, int nbins, uint64_t total,
                      double q, uint64_t min, uint64_t max)
{
    if (total == 0 || nbins <= 0) return NAN;
    if (q > 1) q = 1;
    double r = ceil(q * (double)total);
    uint64_t rank = r < 1 ? 1 : r > (double)total ? total : (uint64_t)r;

    uint64_t before = 0;
    int i = 0;
    /* the last bin takes any rank left over (total may be passed inexactly) */
    for (; i < nbins - 1; i++) {
        if (before + bins[i].n >= rank) break;
        before += bins[i].n;
    }
    const pmv_bin *b = &bins[i];
    double lower = (double)pm_shm_hist_lower(b->index);
    double width = (double)pm_shm_hist_width(b->index);
    double est = lower;
    if (width > 1 && b->n > 0) {
        /* the k-th of n integer values spread evenly over the bucket */
        double k = (double)(rank - before);
        if (k > (double)b->n) k = (double)b->n;
        est = lower + (width - 1) * (k - 0.5) / (double)b->n;
        /* Interpolation is best for smooth data but can be fooled (all n
           values at the bottom of a bucket). Keep the estimate where it is
           within PMV_MAX_REL_ERR of every value the bucket can hold, so the
           error bound holds for any distribution: the true value v is in
           [lower, lower + width - 1] and v >= lower. */
        double lo = lower + (width - 1) - PMV_MAX_REL_ERR * lower;
        double hi = lower + PMV_MAX_REL_ERR * lower;
        if (est < lo) est = lo;
        if (est > hi) est = hi;
    }
    if (min <= max) { /* torn reads may leave min > max: then no clamp */
        if (est < (double)min) est = (double)min;
        if (est > (double)max) est = (double)max;
    }
    return est;
}

double pmv_mean(uint64_t sum, uint64_t count)
{
    return count ? (double)sum / (double)count : NAN;
}

double pmv_rate_pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}
