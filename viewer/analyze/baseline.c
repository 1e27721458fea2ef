/* baseline.c - reading and writing gate baselines (and reading exports) */
#include "analyze/baseline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stb_ds.h>

#include "out/atomic_file.h"
#include "read/json.h"
#include "out/json_write.h"

static char *dup_s(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (!d) abort();
    memcpy(d, s, n + 1);
    return d;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

double pmv_median(const double *v, int n)
{
    if (n <= 0) return NAN;
    double *c = malloc((size_t)n * sizeof *c);
    if (!c) abort();
    memcpy(c, v, (size_t)n * sizeof *c);
    qsort(c, (size_t)n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return m;
}

static pmv_bl_entry *find_entry(const pmv_baseline *bl, const char *name)
{
    for (ptrdiff_t i = 0; i < arrlen(bl->entries); i++)
        if (strcmp(bl->entries[i].name, name) == 0) return &bl->entries[i];
    return NULL;
}

static pmv_bl_entry *add_entry(pmv_baseline *bl, const char *name, const char *kind, int selector)
{
    pmv_bl_entry e;
    memset(&e, 0, sizeof e);
    e.name = dup_s(name);
    char *raw = NULL;
    pmv_labels_parse(name, &e.base, &e.labels, &raw);
    free(raw);
    e.kind = dup_s(kind ? kind : "");
    e.selector = selector;
    arrput(bl->entries, e);
    return &bl->entries[arrlen(bl->entries) - 1];
}

void pmv_baseline_set(pmv_baseline *bl, const char *name, const char *kind, int selector,
                      pmv_stat stat, int run, double v)
{
    pmv_bl_entry *e = find_entry(bl, name);
    if (!e) e = add_entry(bl, name, kind, selector);
    if (selector) e->selector = 1;
    while (arrlen(e->stats[stat]) <= run) arrput(e->stats[stat], NAN);
    e->stats[stat][run] = v;
    if (run + 1 > bl->runs) bl->runs = run + 1;
}

void pmv_baseline_free(pmv_baseline *bl)
{
    for (ptrdiff_t i = 0; i < arrlen(bl->entries); i++) {
        pmv_bl_entry *e = &bl->entries[i];
        free(e->name);
        free(e->base);
        free(e->kind);
        pmv_labels_free(e->labels);
        for (int s = 0; s < PMV_STAT__COUNT; s++) arrfree(e->stats[s]);
    }
    arrfree(bl->entries);
    free(bl->command);
    memset(bl, 0, sizeof *bl);
}

/* ---- writing */

/* Enough significant digits to read every double back exactly. */
#define EXACT_DIGITS 17

/* Strings are written byte for byte (pmv_json_str_bytes): names are matched
   against live series names, which need not be valid UTF-8. */

int pmv_baseline_write(const char *path, const pmv_baseline *bl, char *err, size_t errlen)
{
    pmv_atomic_file af;
    FILE *f = pmv_atomic_open(&af, path, err, errlen);
    if (!f) return -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(f, "{\"perfmon_baseline\": 1, \"created_realtime_ns\": %llu, \"command\": ",
            (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec);
    pmv_json_str_bytes(f, bl->command ? bl->command : "");
    fprintf(f, ", \"runs\": %d, \"series\": [", bl->runs);
    for (ptrdiff_t i = 0; i < arrlen(bl->entries); i++) {
        const pmv_bl_entry *e = &bl->entries[i];
        fputs(i ? ",\n  {\"name\": " : "\n  {\"name\": ", f);
        pmv_json_str_bytes(f, e->name);
        if (e->kind[0]) { fputs(", \"kind\": ", f); pmv_json_str_bytes(f, e->kind); }
        if (e->selector) fputs(", \"selector\": true", f);
        fputs(", \"stats\": {", f);
        int first = 1;
        for (int s = 0; s < PMV_STAT__COUNT; s++) {
            if (!e->stats[s]) continue;
            double *ok = NULL;
            for (ptrdiff_t k = 0; k < arrlen(e->stats[s]); k++)
                if (!isnan(e->stats[s][k])) arrput(ok, e->stats[s][k]);
            fprintf(f, "%s\"%s\": {\"median\": ", first ? "" : ", ", pmv_stat_name((pmv_stat)s));
            pmv_json_num(f, pmv_median(ok, (int)arrlen(ok)), EXACT_DIGITS);
            arrfree(ok);
            fputs(", \"runs\": [", f);
            for (ptrdiff_t k = 0; k < arrlen(e->stats[s]); k++) {
                if (k) fputs(", ", f);
                pmv_json_num(f, e->stats[s][k], EXACT_DIGITS);
            }
            fputs("]}", f);
            first = 0;
        }
        fputs("}}", f);
    }
    fputs(arrlen(bl->entries) ? "\n]}\n" : "]}\n", f);
    return pmv_atomic_commit(&af, err, errlen);
}

/* ---- reading */

static int stat_by_name(const char *s)
{
    for (int i = 0; i < PMV_STAT__COUNT; i++)
        if (strcmp(s, pmv_stat_name((pmv_stat)i)) == 0) return i;
    return -1;
}

/* Plausible measurement: finite and not absurd. */
static int sane(double v) { return isfinite(v) && fabs(v) < 1e300; }

static int read_own(const pmv_json *root, pmv_baseline *bl, char *err, size_t errlen)
{
    const pmv_json *series = pmv_json_get(root, "series");
    if (!series || series->type != PMV_JSON_ARRAY) {
        snprintf(err, errlen, "baseline has no \"series\" array");
        return -1;
    }
    const char *cmd = pmv_json_string(pmv_json_get(root, "command"));
    bl->command = dup_s(cmd ? cmd : "");
    for (size_t i = 0; i < pmv_json_count(series); i++) {
        const pmv_json *s = &series->items[i];
        const char *name = pmv_json_string(pmv_json_get(s, "name"));
        const pmv_json *stats = pmv_json_get(s, "stats");
        if (!name || !*name || !stats || stats->type != PMV_JSON_OBJECT) continue;
        const pmv_json *sel = pmv_json_get(s, "selector");
        int selector = sel && sel->type == PMV_JSON_BOOL && sel->boolean;
        const char *kind = pmv_json_string(pmv_json_get(s, "kind"));
        for (size_t k = 0; k < pmv_json_count(stats); k++) {
            int st = stat_by_name(stats->keys[k]);
            if (st < 0) continue; /* a newer statistic: ignore */
            const pmv_json *runs = pmv_json_get(&stats->items[k], "runs");
            if (!runs || runs->type != PMV_JSON_ARRAY) continue;
            size_t nr = pmv_json_count(runs);
            if (nr > 100000) nr = 100000;
            for (size_t r = 0; r < nr; r++) {
                double v = pmv_json_number(&runs->items[r]);
                pmv_baseline_set(bl, name, kind, selector, (pmv_stat)st, (int)r, sane(v) ? v : NAN);
            }
        }
    }
    return 0;
}

static void set_num(pmv_baseline *bl, const char *name, const char *kind, pmv_stat st, const pmv_json *v)
{
    double x = pmv_json_number(v);
    if (sane(x)) pmv_baseline_set(bl, name, kind, 0, st, 0, x);
}

static int read_export(const pmv_json *root, pmv_baseline *bl, char *err, size_t errlen)
{
    const pmv_json *series = pmv_json_get(root, "series");
    if (!series || series->type != PMV_JSON_ARRAY) {
        snprintf(err, errlen, "neither a baseline nor an export: no \"series\" array");
        return -1;
    }
    bl->from_export = 1;
    const char *cmd = pmv_json_string(pmv_json_get(root, "cmdline"));
    bl->command = dup_s(cmd ? cmd : "");
    double up = pmv_json_number(pmv_json_get(root, "uptime_s"));
    for (size_t i = 0; i < pmv_json_count(series); i++) {
        const pmv_json *s = &series->items[i];
        const char *name = pmv_json_string(pmv_json_get(s, "full_name"));
        if (!name) name = pmv_json_string(pmv_json_get(s, "name"));
        const char *kind = pmv_json_string(pmv_json_get(s, "kind"));
        if (!name || !*name || !kind) continue;
        double count = pmv_json_number(pmv_json_get(s, "count"));
        if (strcmp(kind, "counter") == 0) {
            set_num(bl, name, kind, PMV_STAT_VALUE, pmv_json_get(s, "value"));
            set_num(bl, name, kind, PMV_STAT_COUNT, pmv_json_get(s, "value"));
            set_num(bl, name, kind, PMV_STAT_SUM, pmv_json_get(s, "value"));
            count = pmv_json_number(pmv_json_get(s, "value"));
        } else if (strcmp(kind, "gauge") == 0) {
            set_num(bl, name, kind, PMV_STAT_VALUE, pmv_json_get(s, "value"));
            continue;
        } else if (strcmp(kind, "timer") == 0 || strcmp(kind, "distribution") == 0) {
            static const struct { const char *key; pmv_stat st; } f[] = {
                { "count", PMV_STAT_COUNT }, { "sum", PMV_STAT_SUM }, { "mean", PMV_STAT_MEAN },
                { "min", PMV_STAT_MIN }, { "max", PMV_STAT_MAX }, { "p50", PMV_STAT_P50 },
                { "p90", PMV_STAT_P90 }, { "p95", PMV_STAT_P95 }, { "p99", PMV_STAT_P99 },
                { "errors", PMV_STAT_ERRORS }, { "slow", PMV_STAT_SLOW },
            };
            for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
                if (kind[0] == 'd' && (f[k].st == PMV_STAT_ERRORS || f[k].st == PMV_STAT_SLOW)) continue;
                set_num(bl, name, kind, f[k].st, pmv_json_get(s, f[k].key));
            }
            double errors = pmv_json_number(pmv_json_get(s, "errors"));
            double slow = pmv_json_number(pmv_json_get(s, "slow"));
            if (kind[0] == 't' && sane(count) && count > 0) {
                if (sane(errors)) pmv_baseline_set(bl, name, kind, 0, PMV_STAT_ERROR_RATE, 0, 100 * errors / count);
                if (sane(slow)) pmv_baseline_set(bl, name, kind, 0, PMV_STAT_SLOW_RATE, 0, 100 * slow / count);
            }
        } else {
            continue;
        }
        if (sane(count) && sane(up) && up > 0) pmv_baseline_set(bl, name, kind, 0, PMV_STAT_RATE, 0, count / up);
    }
    bl->runs = 1;
    return 0;
}

int pmv_baseline_read(const char *path, pmv_baseline *bl, char *err, size_t errlen)
{
    memset(bl, 0, sizeof *bl);
    char jerr[256];
    pmv_json *root = pmv_json_parse_file(path, jerr, sizeof jerr);
    if (!root) {
        snprintf(err, errlen, "%s: %s", path, jerr);
        return -1;
    }
    int rc;
    char inner[256];
    if (root->type != PMV_JSON_OBJECT) {
        snprintf(inner, sizeof inner, "not a JSON object");
        rc = -1;
    } else if (pmv_json_get(root, "perfmon_baseline")) {
        double v = pmv_json_number(pmv_json_get(root, "perfmon_baseline"));
        if (v != 1) {
            snprintf(inner, sizeof inner, "baseline format version %g is not supported (1 is)", v);
            rc = -1;
        } else {
            rc = read_own(root, bl, inner, sizeof inner);
        }
    } else {
        rc = read_export(root, bl, inner, sizeof inner);
    }
    pmv_json_free(root);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, inner);
        pmv_baseline_free(bl);
        return -1;
    }
    if (bl->runs < 1) bl->runs = 1;
    return 0;
}

/* ---- lookup */

static void non_nan(const double *v, ptrdiff_t n, double **out)
{
    for (ptrdiff_t i = 0; i < n; i++)
        if (!isnan(v[i])) arrput(*out, v[i]);
}

/* Per-run values of stat over the series (not selector) entries term
   matches, as it would match live series (globs too). 1 found, 0 none, -1
   found but not combinable (why set). */
static int lookup_series(const pmv_baseline *bl, const pmv_sel_term *term, pmv_stat st,
                         double **vals, char *why, size_t whylen)
{
    const char *base = term->text; /* for messages */
    const pmv_bl_entry **m = NULL;
    for (ptrdiff_t i = 0; i < arrlen(bl->entries); i++) {
        const pmv_bl_entry *e = &bl->entries[i];
        if (!e->selector && pmv_sel_term_match(term, e->name, e->base, e->labels)) arrput(m, e);
    }
    int n = (int)arrlen(m);
    if (n == 0) { arrfree(m); return 0; }
    if (n == 1) {
        int have = m[0]->stats[st] != NULL;
        if (have) non_nan(m[0]->stats[st], arrlen(m[0]->stats[st]), vals);
        arrfree(m);
        if (!have || !*vals) { snprintf(why, whylen, "the baseline's '%s' has no %s", base, pmv_stat_name(st)); return -1; }
        return 1;
    }
    /* several series: combine run by run where the statistic allows it */
    int additive = st == PMV_STAT_COUNT || st == PMV_STAT_SUM || st == PMV_STAT_ERRORS || st == PMV_STAT_SLOW ||
                   st == PMV_STAT_VALUE || st == PMV_STAT_RATE;
    int ratio = st == PMV_STAT_MEAN || st == PMV_STAT_ERROR_RATE || st == PMV_STAT_SLOW_RATE;
    int extreme = st == PMV_STAT_MIN || st == PMV_STAT_MAX;
    if (!additive && !ratio && !extreme) {
        snprintf(why, whylen, "the baseline has %d series matching '%s' and their %s cannot be combined: "
                 "save a baseline with this rule in the rules file", n, base, pmv_stat_name(st));
        arrfree(m);
        return -1;
    }
    pmv_stat num = st == PMV_STAT_MEAN ? PMV_STAT_SUM : st == PMV_STAT_ERROR_RATE ? PMV_STAT_ERRORS
                 : st == PMV_STAT_SLOW_RATE ? PMV_STAT_SLOW : st;
    int runs = bl->runs;
    for (int r = 0; r < runs; r++) {
        double acc = extreme ? NAN : 0, cnt = 0;
        int ok = 1;
        for (int k = 0; k < n && ok; k++) {
            const double *a = m[k]->stats[num];
            if (!a || arrlen(a) <= r || isnan(a[r])) { ok = 0; break; }
            if (extreme) acc = isnan(acc) ? a[r] : st == PMV_STAT_MIN ? fmin(acc, a[r]) : fmax(acc, a[r]);
            else acc += a[r];
            if (ratio) {
                const double *c = m[k]->stats[PMV_STAT_COUNT];
                if (!c || arrlen(c) <= r || isnan(c[r])) { ok = 0; break; }
                cnt += c[r];
            }
        }
        if (!ok) continue;
        if (ratio) {
            if (cnt <= 0) continue;
            acc = st == PMV_STAT_MEAN ? acc / cnt : 100 * acc / cnt;
        }
        arrput(*vals, acc);
    }
    arrfree(m);
    if (!*vals) { snprintf(why, whylen, "the baseline's series matching '%s' have no %s", base, pmv_stat_name(st)); return -1; }
    return 1;
}

int pmv_baseline_lookup(const pmv_baseline *bl, const pmv_rule *r, double **vals, char *why, size_t whylen)
{
    *vals = NULL;
    why[0] = '\0';
    const pmv_bl_entry *e = find_entry(bl, r->selector);
    if (e && e->stats[r->stat]) {
        non_nan(e->stats[r->stat], arrlen(e->stats[r->stat]), vals);
        if (*vals) return 0;
    }
    if (r->stat == PMV_STAT_CPU_TIME || r->stat == PMV_STAT_PEAK_RSS) {
        /* from the resource series: N.cpu_user + N.cpu_sys sums (or process
           gauge values), N.peak_rss values */
        int is_proc = strcmp(r->term.base, "process") == 0;
        pmv_stat st = is_proc ? PMV_STAT_VALUE : PMV_STAT_SUM;
        pmv_sel_term t1, t2;
        if (r->stat == PMV_STAT_PEAK_RSS) {
            pmv_sel_term_suffixed(&r->term, ".peak_rss", &t1);
            int rc = lookup_series(bl, &t1, PMV_STAT_VALUE, vals, why, whylen);
            if (rc == 0) snprintf(why, whylen, "the baseline has no '%s' peak_rss (nor a '%s' series)", r->selector, t1.text);
            pmv_sel_term_free(&t1);
            if (rc > 0) return 0;
            arrfree(*vals);
            *vals = NULL;
            return -1;
        }
        pmv_sel_term_suffixed(&r->term, ".cpu_user", &t1);
        pmv_sel_term_suffixed(&r->term, ".cpu_sys", &t2);
        double *u = NULL, *s = NULL;
        char w2[200];
        int ru = lookup_series(bl, &t1, st, &u, why, whylen);
        int rs = lookup_series(bl, &t2, st, &s, w2, sizeof w2);
        if (ru > 0) {
            for (ptrdiff_t i = 0; i < arrlen(u); i++) arrput(*vals, u[i] + (rs > 0 && i < arrlen(s) ? s[i] : 0));
        }
        arrfree(u);
        arrfree(s);
        if (!*vals) snprintf(why, whylen, "the baseline has no '%s' cpu_time (nor a '%s' series)", r->selector, t1.text);
        pmv_sel_term_free(&t1);
        pmv_sel_term_free(&t2);
        return *vals ? 0 : -1;
    }
    int rc = lookup_series(bl, &r->term, r->stat, vals, why, whylen);
    if (rc > 0) return 0;
    arrfree(*vals);
    *vals = NULL;
    if (rc == 0) snprintf(why, whylen, "the baseline has no series '%s'", r->selector);
    return -1;
}
