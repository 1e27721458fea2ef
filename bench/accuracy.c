/* accuracy.c - percentile error of the histogram against exact values.

   1e6 samples per distribution (fixed seeds: the figures are exact and
   repeatable), recorded into a histogram exactly as the writer does
   (bucket pm_shm_hist_index(v), exact min and max), then estimated with the
   viewer's own pmv_percentile (viewer/stats.c) and compared with the exact
   sorted value at the same rank, ceil(q * n). Error = |est - exact| / exact. */
#include "perfmon_shm.h"
#include "bench.h"
#include "viewer/base/hist.h"

#include <math.h>

#define N 1000000

static uint64_t rng_state;

static uint64_t rng(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double uniform01(void) { return ((double)(rng() >> 11) + 0.5) / 9007199254740992.0; }

static double normal(void)
{
    return sqrt(-2 * log(uniform01())) * cos(6.283185307179586 * uniform01());
}

static uint64_t clamp_u(double v) { return v < 0 ? 0 : (uint64_t)llround(v); }

static uint64_t gen_uniform(void) { return 1000 + rng() % 999001; }                     /* 1 us .. 1 ms */
static uint64_t gen_lognormal(void) { return clamp_u(exp(log(100000.0) + 1.0 * normal())); } /* median 100 us */
static uint64_t gen_bimodal(void)                                                       /* 20 us / 2 ms */
{
    return uniform01() < 0.8 ? clamp_u(20000 + 2000 * normal()) : clamp_u(2000000 + 200000 * normal());
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    static const struct { const char *name; uint64_t (*gen)(void); } dists[] = {
        { "uniform 1 us .. 1 ms", gen_uniform },
        { "log-normal, median 100 us, sigma 1", gen_lognormal },
        { "bimodal 80% ~20 us, 20% ~2 ms", gen_bimodal },
    };
    static const double qs[] = { 0.50, 0.90, 0.99, 0.999 };
    static const char *const qn[] = { "p50", "p90", "p99", "p99.9" };
    uint64_t *v = malloc(N * sizeof *v);
    uint64_t *dense = malloc(PM_SHM_HIST_BUCKETS * sizeof *dense);
    pmv_bin *bins = malloc(PM_SHM_HIST_BUCKETS * sizeof *bins);

    bench_section("7. Percentile accuracy: 1e6 samples, viewer's estimate from the histogram vs exact sorted values");
    for (size_t d = 0; d < sizeof dists / sizeof dists[0]; d++) {
        rng_state = 12345 + d;
        memset(dense, 0, PM_SHM_HIST_BUCKETS * sizeof *dense);
        uint64_t mn = UINT64_MAX, mx = 0;
        for (int i = 0; i < N; i++) {
            v[i] = dists[d].gen();
            dense[pm_shm_hist_index(v[i])]++;
            if (v[i] < mn) mn = v[i];
            if (v[i] > mx) mx = v[i];
        }
        int nb = 0;
        for (uint32_t i = 0; i < PM_SHM_HIST_BUCKETS; i++)
            if (dense[i]) { bins[nb].index = i; bins[nb].n = dense[i]; nb++; }
        qsort(v, N, sizeof *v, cmp_u64);
        double worst = 0;
        int wq = 0;
        char detail[96] = "", *p = detail;
        for (int q = 0; q < 4; q++) {
            double rank = ceil(qs[q] * N);
            uint64_t exact = v[(size_t)rank - 1];
            double est = pmv_percentile(bins, nb, N, qs[q], mn, mx);
            double err = fabs(est - (double)exact) / (double)exact;
            if (err > worst) { worst = err; wq = q; }
            p += snprintf(p, sizeof detail - (size_t)(p - detail), "%s%.2f", q ? " " : "", err * 100);
        }
        char subj[48], base[64], goal[48];
        snprintf(subj, sizeof subj, "%.3f%% (%s)", worst * 100, qn[wq]);
        snprintf(base, sizeof base, "exact; p50 p90 p99 p99.9 err %%:");
        snprintf(goal, sizeof goal, "<= 1%% %s", bench_goal(worst * 100, 1, 1.0, 0.0));
        bench_row(dists[d].name, subj, base, detail, goal);
    }
    free(v); free(dense); free(bins);
    return bench_missed ? 1 : 0;
}
