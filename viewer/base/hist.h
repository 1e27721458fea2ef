/* hist.h - statistics from a summed log-linear histogram */
#ifndef PMV_STATS_H
#define PMV_STATS_H

#include <stdint.h>

/* One non-empty histogram bucket (sparse form: most buckets are empty). */
typedef struct pmv_bin {
    uint32_t index; /* bucket index, see pm_shm_hist_index() */
    uint64_t n;
} pmv_bin;

/* Estimated q-quantile (0 < q <= 1) of the values in bins (sorted by index,
   total = sum of n). rank = ceil(q * total); the estimate is interpolated
   linearly by rank inside the bucket holding that rank, kept within 0.9% of
   every value that bucket can hold (so the error is under 1% whatever the
   distribution), then clamped to the exact [min, max] the cells recorded. Returns NAN when total == 0. */
double pmv_percentile(const pmv_bin *bins, int nbins, uint64_t total,
                      double q, uint64_t min, uint64_t max);

/* sum / count as a double; NAN when count == 0. */
double pmv_mean(uint64_t sum, uint64_t count);

/* Percentage of part in whole; 0 when whole == 0. */
double pmv_rate_pct(uint64_t part, uint64_t whole);

#endif
