/* stats.c - percentiles, means and rates */
#include "stats.h"

#include <math.h>

#include "perfmon_shm.h"

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
        /* the k-th of n values spread evenly over [lower, lower + width) */
        double k = (double)(rank - before);
        if (k > (double)b->n) k = (double)b->n;
        est = lower + width * (k - 0.5) / (double)b->n;
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
