/* mannwhitney.c - Mann-Whitney U test, exact and normal approximation */
#include "analyze/mannwhitney.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct ranked {
    double v;
    int from_x;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    double x = ((const ranked *)a)->v, y = ((const ranked *)b)->v;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Frequencies f(u; m, n) for u = 0..m*n in out (m*n + 1 doubles), by the
   recurrence over a table of (i, j) for i <= m, j <= n. Counts stay exact
   in doubles: C(m+n, m) < 2^53 whenever m*n <= 400. */
static int u_frequencies(int m, int n, double *out)
{
    int umax = m * n;
    size_t cells = (size_t)(m + 1) * (size_t)(n + 1) * (size_t)(umax + 1);
    double *f = calloc(cells, sizeof *f);
    if (!f) return -1;
#define F(i, j, u) f[(((size_t)(i) * (size_t)(n + 1)) + (size_t)(j)) * (size_t)(umax + 1) + (size_t)(u)]
    for (int i = 0; i <= m; i++) {
        for (int j = 0; j <= n; j++) {
            if (i == 0 || j == 0) { F(i, j, 0) = 1; continue; }
            for (int u = 0; u <= i * j; u++) {
                double a = u >= j ? F(i - 1, j, u - j) : 0; /* largest is an x */
                double b = F(i, j - 1, u);                  /* largest is a y */
                F(i, j, u) = a + b;
            }
        }
    }
    for (int u = 0; u <= umax; u++) out[u] = F(m, n, u);
#undef F
    free(f);
    return 0;
}

static double choose(int n, int k)
{
    double c = 1;
    if (k > n - k) k = n - k;
    for (int i = 1; i <= k; i++) c = c * (double)(n - k + i) / (double)i;
    return c;
}

double pmv_mw_min_p(int m, int n)
{
    if (m < 1 || n < 1) return 1;
    return 1.0 / choose(m + n, m);
}

double pmv_mw_exact_cdf(int m, int n, double u)
{
    if (m < 1 || n < 1 || (long)m * n > PMV_MW_EXACT_MAX) return NAN;
    int umax = m * n;
    if (u < 0) return 0;
    if (u >= umax) return 1;
    double *freq = malloc(((size_t)umax + 1) * sizeof *freq);
    if (!freq || u_frequencies(m, n, freq) != 0) { free(freq); return NAN; }
    double total = 0, below = 0;
    for (int k = 0; k <= umax; k++) {
        total += freq[k];
        if (k <= (int)floor(u)) below += freq[k];
    }
    free(freq);
    return below / total;
}

static int mann_whitney(const double *x, int nx, const double *y, int ny,
                        pmv_mw_alt alt, int allow_exact, pmv_mw_result *r)
{
    if (nx < 1 || ny < 1 || nx > PMV_MW_MAX_N || ny > PMV_MW_MAX_N) return -1;
    for (int i = 0; i < nx; i++) if (isnan(x[i])) return -1;
    for (int i = 0; i < ny; i++) if (isnan(y[i])) return -1;

    int n = nx + ny;
    ranked *all = malloc((size_t)n * sizeof *all);
    if (!all) return -1;
    for (int i = 0; i < nx; i++) all[i] = (ranked){ x[i], 1 };
    for (int i = 0; i < ny; i++) all[nx + i] = (ranked){ y[i], 0 };
    qsort(all, (size_t)n, sizeof *all, cmp_ranked);

    /* midranks for ties; rank sum of x; tie term sum(t^3 - t) */
    double rank_sum_x = 0, tie_term = 0;
    int ties = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && all[j + 1].v == all[i].v) j++;
        double t = (double)(j - i + 1);
        double mid = (double)(i + j) / 2.0 + 1.0; /* ranks are 1-based */
        for (int k = i; k <= j; k++)
            if (all[k].from_x) rank_sum_x += mid;
        if (t > 1) { ties = 1; tie_term += t * t * t - t; }
        i = j + 1;
    }
    free(all);

    double m = nx, k = ny;
    double u = rank_sum_x - m * (m + 1) / 2.0;
    double mu = m * k / 2.0;
    double var = m * k / 12.0 * (((double)n + 1) - tie_term / ((double)n * ((double)n - 1)));
    double sd = var > 0 ? sqrt(var) : 0;

    r->u = u;
    r->ties = ties;
    r->exact = 0;
    r->z = sd > 0 ? (u - mu) / sd : 0;

    if (allow_exact && !ties && (long)nx * ny <= PMV_MW_EXACT_MAX) {
        int umax = nx * ny;
        double *freq = malloc(((size_t)umax + 1) * sizeof *freq);
        if (freq && u_frequencies(nx, ny, freq) == 0) {
            int ui = (int)llround(u); /* no ties: U is an integer */
            double total = 0, le = 0, ge = 0;
            for (int i = 0; i <= umax; i++) {
                total += freq[i];
                if (i <= ui) le += freq[i];
                if (i >= ui) ge += freq[i];
            }
            le /= total;
            ge /= total;
            r->exact = 1;
            r->p = alt == PMV_MW_GREATER ? ge
                 : alt == PMV_MW_LESS ? le
                 : fmin(1.0, 2.0 * fmin(le, ge));
            free(freq);
            return 0;
        }
        free(freq); /* out of memory: fall back to the approximation */
    }

    if (sd == 0) { /* every value tied: no evidence either way */
        r->p = 1;
        return 0;
    }
    double z;
    if (alt == PMV_MW_GREATER) {
        z = (u - mu - 0.5) / sd;
        r->p = 0.5 * erfc(z / sqrt(2.0));
    } else if (alt == PMV_MW_LESS) {
        z = (u - mu + 0.5) / sd;
        r->p = 0.5 * erfc(-z / sqrt(2.0));
    } else {
        z = (fabs(u - mu) - 0.5) / sd;
        if (z < 0) z = 0;
        r->p = fmin(1.0, erfc(z / sqrt(2.0)));
    }
    return 0;
}

int pmv_mann_whitney(const double *x, int nx, const double *y, int ny,
                     pmv_mw_alt alt, pmv_mw_result *r)
{
    return mann_whitney(x, nx, y, ny, alt, 1, r);
}

int pmv_mann_whitney_normal(const double *x, int nx, const double *y, int ny,
                            pmv_mw_alt alt, pmv_mw_result *r)
{
    return mann_whitney(x, nx, y, ny, alt, 0, r);
}
