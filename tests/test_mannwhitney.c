/* test_mannwhitney.c - viewer/mannwhitney.c against brute force, published
   critical values and textbook examples */
#include "tests/harness.h"
#include "viewer/analyze/mannwhitney.h"

/* P(U <= u) for samples of m and n without ties, by enumerating every way
   to pick which m of the ranks 1..m+n belong to x (bitmasks). */
static double brute_cdf(int m, int n, int u)
{
    int N = m + n;
    double total = 0, below = 0;
    for (unsigned mask = 0; mask < (1u << N); mask++) {
        if (__builtin_popcount(mask) != m) continue;
        /* U = sum of x ranks - m(m+1)/2 */
        int rs = 0;
        for (int b = 0; b < N; b++)
            if (mask & (1u << b)) rs += b + 1;
        int uu = rs - m * (m + 1) / 2;
        total++;
        if (uu <= u) below++;
    }
    return below / total;
}

static void test_exact_matches_enumeration(void)
{
    for (int m = 3; m <= 8; m++) {
        for (int n = 3; n <= 8; n++) {
            for (int u = 0; u <= m * n; u++) {
                double want = brute_cdf(m, n, u);
                double got = pmv_mw_exact_cdf(m, n, u);
                CHECK_MSG(fabs(got - want) < 1e-12, "m=%d n=%d u=%d: %.15g vs %.15g",
                          m, n, u, got, want);
            }
        }
    }
}

/* x = the m smallest .. largest values, y the rest: the p-value of the test
   on actual samples equals the enumerated tail. */
static void test_pvalues_on_samples(void)
{
    for (int m = 3; m <= 8; m++) {
        int n = m;
        /* x takes ranks 1..k-1 and then every other one: varied U values */
        for (int shift = 0; shift <= n; shift++) {
            double x[8], y[8];
            int xi = 0, yi = 0;
            for (int r = 1; r <= m + n; r++) {
                int to_x = (r > shift && xi < m) || yi >= n;
                if (to_x) x[xi++] = r; else y[yi++] = r;
            }
            pmv_mw_result res;
            CHECK(pmv_mann_whitney(x, m, y, n, PMV_MW_GREATER, &res) == 0);
            CHECK(res.exact && !res.ties);
            int u = (int)res.u;
            double ge = 1 - brute_cdf(m, n, u - 1);
            CHECK_MSG(fabs(res.p - ge) < 1e-12, "greater m=%d u=%d: %.15g vs %.15g", m, u, res.p, ge);
            CHECK(pmv_mann_whitney(x, m, y, n, PMV_MW_LESS, &res) == 0);
            double le = brute_cdf(m, n, u);
            CHECK_MSG(fabs(res.p - le) < 1e-12, "less m=%d u=%d: %.15g vs %.15g", m, u, res.p, le);
            CHECK(pmv_mann_whitney(x, m, y, n, PMV_MW_TWO_SIDED, &res) == 0);
            double two = fmin(1, 2 * fmin(le, ge));
            CHECK_MSG(fabs(res.p - two) < 1e-12, "two m=%d u=%d: %.15g vs %.15g", m, u, res.p, two);
        }
    }
}

/* Critical values of U from the published tables (reject H0 when
   U <= critical): the tail at the critical value is within alpha, one more
   is not. */
static void check_critical(int m, int n, int crit, double tail_alpha)
{
    double at = pmv_mw_exact_cdf(m, n, crit);
    double next = pmv_mw_exact_cdf(m, n, crit + 1);
    CHECK_MSG(at <= tail_alpha && next > tail_alpha,
              "n1=%d n2=%d critical %d: P(U<=%d)=%.5f P(U<=%d)=%.5f, alpha %.3f",
              m, n, crit, crit, at, crit + 1, next, tail_alpha);
}

static void test_published_critical_values(void)
{
    /* two-tailed alpha 0.05 (0.025 a tail) */
    check_critical(5, 5, 2, 0.025);
    check_critical(6, 6, 5, 0.025);
    check_critical(7, 7, 8, 0.025);
    check_critical(8, 8, 13, 0.025);
    check_critical(10, 10, 23, 0.025);
    check_critical(20, 20, 127, 0.025);
    check_critical(5, 10, 8, 0.025);
    /* one-tailed alpha 0.05 */
    check_critical(5, 5, 4, 0.05);
    check_critical(6, 6, 7, 0.05);
    check_critical(7, 7, 11, 0.05);
    check_critical(8, 8, 15, 0.05);
    check_critical(10, 10, 27, 0.05);
    check_critical(20, 20, 138, 0.05);
    /* two-tailed alpha 0.01 */
    check_critical(10, 10, 16, 0.005);
}

static void test_textbook_examples(void)
{
    pmv_mw_result r;
    /* Hollander & Wolfe via R's wilcox.test example: W = 35, p = 0.1272 */
    double x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
    double y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
    CHECK(pmv_mann_whitney(x, 10, y, 5, PMV_MW_GREATER, &r) == 0);
    CHECK_NEAR(r.u, 35, 0);
    CHECK(r.exact);
    CHECK_NEAR(r.p, 0.1272, 0.00005);

    /* SciPy's mannwhitneyu example: U = 17, exact two-sided p = 1/9,
       asymptotic (continuity-corrected) 0.11134688653314041 */
    double m[] = { 19, 22, 16, 29, 24 }, f[] = { 20, 11, 17, 12 };
    CHECK(pmv_mann_whitney(m, 5, f, 4, PMV_MW_TWO_SIDED, &r) == 0);
    CHECK_NEAR(r.u, 17, 0);
    CHECK_NEAR(r.p, 1.0 / 9.0, 1e-12);
    CHECK(pmv_mann_whitney_normal(m, 5, f, 4, PMV_MW_TWO_SIDED, &r) == 0);
    CHECK_NEAR(r.p, 0.11134688653314041, 1e-12);
}

/* Ties: midranks, tie-corrected variance, continuity correction (values
   computed by hand: U = 2.5, var = 16/12 * (9 - 36/56)). */
static void test_ties_normal(void)
{
    double x[] = { 1, 2, 2, 3 }, y[] = { 2, 3, 4, 4 };
    pmv_mw_result r;
    CHECK(pmv_mann_whitney(x, 4, y, 4, PMV_MW_LESS, &r) == 0);
    CHECK(r.ties && !r.exact);
    CHECK_NEAR(r.u, 2.5, 1e-12);
    CHECK_NEAR(r.p, 0.06708459006406291, 1e-12);
    CHECK(pmv_mann_whitney(x, 4, y, 4, PMV_MW_GREATER, &r) == 0);
    CHECK_NEAR(r.p, 0.9638666318672099, 1e-12);
    CHECK(pmv_mann_whitney(x, 4, y, 4, PMV_MW_TWO_SIDED, &r) == 0);
    CHECK_NEAR(r.p, 0.13416918012812581, 1e-12);

    /* all tied: no evidence */
    double a[] = { 5, 5, 5 }, b[] = { 5, 5 };
    CHECK(pmv_mann_whitney(a, 3, b, 2, PMV_MW_GREATER, &r) == 0);
    CHECK_NEAR(r.p, 1, 0);
}

/* Large samples go to the normal approximation and still separate a 3x
   shift clearly while calling identical samples insignificant. */
static void test_large_samples(void)
{
    double x[40], y[40];
    for (int i = 0; i < 40; i++) { y[i] = 100 + i; x[i] = 3 * (100 + i) + 0.5; }
    pmv_mw_result r;
    CHECK(pmv_mann_whitney(x, 40, y, 40, PMV_MW_GREATER, &r) == 0);
    CHECK(!r.exact);
    CHECK(r.p < 1e-10);
    CHECK(pmv_mann_whitney(y, 40, y, 40, PMV_MW_GREATER, &r) == 0);
    CHECK(r.p > 0.4);
}

static void test_bad_input(void)
{
    double x[] = { 1, NAN }, y[] = { 1 };
    pmv_mw_result r;
    CHECK(pmv_mann_whitney(x, 2, y, 1, PMV_MW_GREATER, &r) == -1);
    CHECK(pmv_mann_whitney(x, 0, y, 1, PMV_MW_GREATER, &r) == -1);
    CHECK(isnan(pmv_mw_exact_cdf(30, 30, 10)));
    CHECK_NEAR(pmv_mw_min_p(3, 3), 0.05, 1e-15);
    CHECK_NEAR(pmv_mw_min_p(5, 5), 1.0 / 252, 1e-15);
}

int main(void)
{
    RUN(test_exact_matches_enumeration);
    RUN(test_pvalues_on_samples);
    RUN(test_published_critical_values);
    RUN(test_textbook_examples);
    RUN(test_ties_normal);
    RUN(test_large_samples);
    RUN(test_bad_input);
    return harness_done();
}
