/* compare.c - changes between two sides of a series, and their verdict */
#include "analyze/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "analyze/mannwhitney.h"
#include "base/hist.h"

const char *const pmv_cmp_stat_names[PMV_CMP_N] = { "count", "rate", "mean", "p50", "p95", "p99", "error_pct",
                                                    "value" };

static void figures(const pmv_cmp_side *side, double *f)
{
    const pmv_series *s = side->s;
    for (int i = 0; i < PMV_CMP_N; i++) f[i] = NAN;
    if (s->kind == PM_SHM_KIND_GAUGE) {
        f[PMV_CMP_VALUE] = (double)s->gauge;
        return;
    }
    f[PMV_CMP_COUNT] = (double)s->count;
    f[PMV_CMP_RATE] = side->seconds > 0 ? (double)s->count / side->seconds : NAN;
    if (s->kind == PM_SHM_KIND_COUNTER) return;
    if (s->count == 0) return;
    f[PMV_CMP_MEAN] = (double)s->sum / (double)s->count;
    int nb = (int)arrlen(s->bins);
    if (nb) {
        f[PMV_CMP_P50] = pmv_percentile(s->bins, nb, s->hist_total, 0.50, s->min, s->max);
        f[PMV_CMP_P95] = pmv_percentile(s->bins, nb, s->hist_total, 0.95, s->min, s->max);
        f[PMV_CMP_P99] = pmv_percentile(s->bins, nb, s->hist_total, 0.99, s->min, s->max);
    }
    if (s->kind == PM_SHM_KIND_TIMER) f[PMV_CMP_ERROR_PCT] = 100.0 * (double)s->errors / (double)s->count;
}

void pmv_compare(const pmv_cmp_side *a, const pmv_cmp_side *b, double alpha, double stable_pct,
                 pmv_cmp_result *r)
{
    memset(r, 0, sizeof *r);
    figures(a, r->a);
    figures(b, r->b);
    for (int i = 0; i < PMV_CMP_N; i++)
        r->change_pct[i] = isfinite(r->a[i]) && isfinite(r->b[i]) && r->a[i] != 0
                               ? (r->b[i] - r->a[i]) / fabs(r->a[i]) * 100.0 : NAN;
    r->p = NAN;
    r->na = a->per_interval ? (int)arrlen(a->per_interval) : 0;
    r->nb = b->per_interval ? (int)arrlen(b->per_interval) : 0;
    pmv_mw_result mw;
    if (r->na >= 2 && r->nb >= 2 && r->na <= PMV_MW_MAX_N && r->nb <= PMV_MW_MAX_N &&
        pmv_mann_whitney(a->per_interval, r->na, b->per_interval, r->nb, PMV_MW_TWO_SIDED, &mw) == 0) {
        r->tested = 1;
        r->p = mw.p;
    }
    int kind = a->s->kind;
    int key = kind == PM_SHM_KIND_GAUGE ? PMV_CMP_VALUE : kind == PM_SHM_KIND_COUNTER ? PMV_CMP_RATE
              : isfinite(r->change_pct[PMV_CMP_P95]) ? PMV_CMP_P95 : PMV_CMP_MEAN;
    double d = r->change_pct[key];
    double err_up = isfinite(r->a[PMV_CMP_ERROR_PCT]) && isfinite(r->b[PMV_CMP_ERROR_PCT])
                        ? r->b[PMV_CMP_ERROR_PCT] - r->a[PMV_CMP_ERROR_PCT] : 0;
    int big = (isfinite(d) && fabs(d) >= stable_pct) || err_up >= 1.0 || err_up <= -1.0;
    r->significant = big && (!r->tested || r->p < alpha);
    if (!r->significant) {
        r->direction = "stable";
    } else if (kind == PM_SHM_KIND_COUNTER || kind == PM_SHM_KIND_GAUGE) {
        r->direction = d > 0 ? "up" : "down";
    } else {
        int worse = (isfinite(d) && d >= stable_pct) || err_up >= 1.0;
        r->direction = worse ? "degrading" : "improving";
    }
}

int pmv_cmp_rule_parse(const char *text, pmv_cmp_rule *rule, char *err, size_t errlen)
{
    memset(rule, 0, sizeof *rule);
    snprintf(rule->text, sizeof rule->text, "%s", text);
    char stat[32];
    double pct;
    char pctsign[2] = "";
    int used = 0;
    if (sscanf(text, " %31[a-z_0-9] %1[+-]%lf%%%n", stat, pctsign, &pct, &used) != 3 || text[used] != '\0') {
        snprintf(err, errlen, "bad --fail-on '%s' (e.g. 'p95 +10%%' or 'rate -20%%')", text);
        return -1;
    }
    rule->stat = -1;
    for (int i = 0; i < PMV_CMP_N; i++)
        if (strcmp(stat, pmv_cmp_stat_names[i]) == 0) rule->stat = i;
    if (rule->stat < 0) {
        snprintf(err, errlen, "bad --fail-on '%s': no figure '%s' (count, rate, mean, p50, p95, p99, error_pct, value)",
                 text, stat);
        return -1;
    }
    if (!(pct >= 0) || pct > 1e9) {
        snprintf(err, errlen, "bad --fail-on '%s': the percentage must be a number", text);
        return -1;
    }
    rule->pct = pctsign[0] == '-' ? -pct : pct;
    return 0;
}

int pmv_cmp_rule_broken(const pmv_cmp_rule *rule, const pmv_cmp_result *r)
{
    double d = r->change_pct[rule->stat];
    if (!isfinite(d) || (r->tested && !(r->p < 0.05))) return 0;   /* noise does not fail a build */
    return rule->pct >= 0 ? d > rule->pct : d < rule->pct;
}
