/* compare.c - `perfmon-view compare A B`: two periods, runs, exports or
   live processes side by side (analyze/compare.h decides the verdicts) */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "analyze/compare.h"
#include "base/units.h"
#include "base/when.h"
#include "cmd/cli.h"
#include "cmd/options.h"
#include "cmd/select.h"
#include "model/selector.h"
#include "out/escape.h"
#include "out/json_write.h"
#include "out/table.h"
#include "read/json.h"
#include "read/labels.h"
#include "store/history.h"

static const char about[] =
    "Compares every series of two sides: for each series on both, count, rate,\n"
    "mean, p50, p95, p99 and error share side by side, the change in percent,\n"
    "its direction (timers: degrading / improving / stable; counters and\n"
    "gauges: up / down / stable) and whether it is significant: a two-sided\n"
    "Mann-Whitney U test of the sides' per-interval figures (each recorded\n"
    "interval's mean, or rate for counters) at --alpha. Sides without\n"
    "intervals (a live process, an export) get no test: the size of the\n"
    "change decides. Series on one side only are listed as such.\n"
    "\n"
    "A side is a window of the --db history, FROM..TO (14:00..14:05,\n"
    "2h..1h, 2026-12-04T14:00Z..2026-12-04T15:00Z, @UNIX..@UNIX; narrowed by\n"
    "--pid and --name), run:ID (a whole recorded run), an `export` JSON file,\n"
    "or a live PID (since its start). SELECTORs (README.md, \"Selecting\n"
    "series\") after the two sides limit the series.\n";
static const char after[] =
    "--fail-on 'p95 +10%' fails (exit 1) when a series' p95 rose by more\n"
    "than 10% (significantly, where a test ran); 'rate -20%' when its rate\n"
    "fell by more than 20%. Give it again for more rules.\n"
    "\n"
    "exit status: 0 ok, 1 a --fail-on rule broken, 2 usage error or a side\n"
    "that cannot be read\n";

/* One side: its series' figures and per-interval figures. */
typedef struct side {
    char what[320];          /* for people: "window 14:00..14:05 of h.db" */
    double seconds;
    pmv_snapshot snap;
    const char **inames;     /* per-interval figures, by full name (parallel arrays) */
    double **ivals;
} side;

static void side_free(side *s)
{
    pmv_snapshot_free(&s->snap);
    for (ptrdiff_t i = 0; i < arrlen(s->ivals); i++) arrfree(s->ivals[i]);
    arrfree(s->ivals);
    for (ptrdiff_t i = 0; i < arrlen(s->inames); i++) free((char *)s->inames[i]);
    arrfree(s->inames);
}

static const double *intervals_of(const side *s, const char *name)
{
    for (ptrdiff_t i = 0; i < arrlen(s->inames); i++)
        if (strcmp(s->inames[i], name) == 0) return s->ivals[i];
    return NULL;
}

/* The history's rows of a window, each interval a figure: timers and
   distributions their mean, counters their rate. */
static void keep_intervals(side *sd, const pmv_history *h)
{
    for (ptrdiff_t i = 0; i < arrlen(h->rows);) {
        ptrdiff_t end = i;
        while (end < arrlen(h->rows) && strcmp(h->rows[end].s.name, h->rows[i].s.name) == 0) end++;
        double *v = NULL;
        for (ptrdiff_t k = i; k < end; k++) {
            const pmv_history_row *r = &h->rows[k];
            double len = (double)(r->end_ns - r->first_ns) / 1e9;
            if (r->s.kind == PM_SHM_KIND_COUNTER && len > 0) arrput(v, (double)r->s.count / len);
            else if ((r->s.kind == PM_SHM_KIND_TIMER || r->s.kind == PM_SHM_KIND_DISTRIBUTION) && r->s.count)
                arrput(v, (double)r->s.sum / (double)r->s.count);
        }
        char *name = strdup(h->rows[i].s.name);
        if (!name) abort();
        arrput(sd->inames, name);
        arrput(sd->ivals, v);
        i = end;
    }
}

static int kind_of(const char *k)
{
    if (!k) return -1;
    if (strcmp(k, "counter") == 0) return PM_SHM_KIND_COUNTER;
    if (strcmp(k, "gauge") == 0) return PM_SHM_KIND_GAUGE;
    if (strcmp(k, "timer") == 0) return PM_SHM_KIND_TIMER;
    if (strcmp(k, "distribution") == 0) return PM_SHM_KIND_DISTRIBUTION;
    return -1;
}

static uint64_t num_u64(const pmv_json *v)
{
    double x = pmv_json_number(v);
    return isfinite(x) && x >= 0 && x < 1.8e19 ? (uint64_t)x : 0;
}

/* An export JSON file (perfmon-view export): since-start figures, or a
   window's (export --db); its buckets give the percentiles. */
static int load_export(side *sd, const char *path, char *err, size_t errlen)
{
    pmv_json *root = pmv_json_parse_file(path, err, errlen);
    if (!root) return -1;
    const pmv_json *series = pmv_json_get(root, "series");
    if (!series || series->type != PMV_JSON_ARRAY) {
        snprintf(err, errlen, "%s: not an export (no \"series\" array)", path);
        pmv_json_free(root);
        return -1;
    }
    double secs = pmv_json_number(pmv_json_get(root, "window_s"));
    if (!isfinite(secs)) secs = pmv_json_number(pmv_json_get(root, "uptime_s"));
    sd->seconds = isfinite(secs) && secs > 0 ? secs : NAN;
    for (size_t i = 0; i < pmv_json_count(series); i++) {
        const pmv_json *j = &series->items[i];
        const char *name = pmv_json_string(pmv_json_get(j, "full_name"));
        if (!name) name = pmv_json_string(pmv_json_get(j, "name"));
        int kind = kind_of(pmv_json_string(pmv_json_get(j, "kind")));
        if (!name || kind < 0) continue;
        pmv_series s;
        memset(&s, 0, sizeof s);
        s.index = (uint32_t)i;
        s.name = strdup(name);
        if (!s.name) abort();
        pmv_labels_parse(s.name, &s.base, &s.labels, &s.labels_raw);
        s.kind = kind;
        if (kind == PM_SHM_KIND_GAUGE) {
            s.gauge = (int64_t)pmv_json_number(pmv_json_get(j, "value"));
        } else if (kind == PM_SHM_KIND_COUNTER) {
            const pmv_json *c = pmv_json_get(j, "count");   /* a window's increase (export --db) */
            s.count = num_u64(c ? c : pmv_json_get(j, "value"));
        } else {
            s.count = num_u64(pmv_json_get(j, "count"));
            s.sum = num_u64(pmv_json_get(j, "sum"));
            s.errors = num_u64(pmv_json_get(j, "errors"));
            s.slow = num_u64(pmv_json_get(j, "slow"));
            s.min = num_u64(pmv_json_get(j, "min"));
            s.max = num_u64(pmv_json_get(j, "max"));
            const pmv_json *b = pmv_json_get(j, "buckets");
            for (size_t k = 0; b && k < pmv_json_count(b); k++) {
                const pmv_json *e = &b->items[k];
                if (pmv_json_count(e) != 3) continue;
                uint64_t lo = num_u64(&e->items[0]), n = num_u64(&e->items[2]);
                if (!n) continue;
                pmv_bin bin = { pm_shm_hist_index(lo), n };
                if (arrlen(s.bins) && s.bins[arrlen(s.bins) - 1].index >= bin.index) continue;   /* sorted only */
                arrput(s.bins, bin);
                s.hist_total += n;
            }
        }
        arrput(sd->snap.series, s);
    }
    pmv_json_free(root);
    snprintf(sd->what, sizeof sd->what, "export %s", path);
    return 0;
}

/* "FROM..TO" into a window; 1 if it is one. */
static int parse_window(const char *arg, uint64_t now, uint64_t *from, uint64_t *to)
{
    const char *dots = strstr(arg, "..");
    if (!dots || dots == arg) return 0;
    char a[128];
    size_t n = (size_t)(dots - arg);
    if (n >= sizeof a) return 0;
    memcpy(a, arg, n);
    a[n] = '\0';
    return pmv_parse_when(a, now, from) && pmv_parse_when(dots[2] ? dots + 2 : "now", now, to);
}

static int load_side(side *sd, const char *arg, const char *db_path, uint32_t pid, const char *process,
                     char *err, size_t errlen)
{
    memset(sd, 0, sizeof sd[0]);
    uint64_t now = pmv_realtime_ns(), from, to;
    uint32_t live;
    long run = 0;
    int is_run = strncmp(arg, "run:", 4) == 0;
    if (is_run) {
        char *end;
        run = strtol(arg + 4, &end, 10);
        if (end == arg + 4 || *end || run < 1) {
            snprintf(err, errlen, "bad side '%s' (run:ID)", arg);
            return -1;
        }
    }
    if (is_run || parse_window(arg, now, &from, &to)) {
        if (!db_path) {
            snprintf(err, errlen, "side '%s' is in the history: give --db FILE", arg);
            return -1;
        }
        pmv_history_filter f = { .from_ns = is_run ? 0 : from, .to_ns = is_run ? now : to, .pid = pid,
                                 .process = process, .run = run };
        if (f.from_ns >= f.to_ns) {
            snprintf(err, errlen, "side '%s': an empty window", arg);
            return -1;
        }
        sqlite3 *db;
        if (pmv_db_open(db_path, 0, &db, err, errlen)) return -1;
        pmv_history whole, steps;
        int rc = pmv_history_read(db, &f, &whole, err, errlen);
        f.step_ns = 1;   /* every row on its own: the intervals */
        if (rc == 0) rc = pmv_history_read(db, &f, &steps, err, errlen);
        sqlite3_close(db);
        if (rc) return -1;
        if (!arrlen(whole.rows)) {
            snprintf(err, errlen, "side '%s': no samples there in %s", arg, db_path);
            pmv_history_free(&whole);
            pmv_history_free(&steps);
            return -1;
        }
        keep_intervals(sd, &steps);
        /* what the rows cover, within the window: a window reaching past
           the recording must not thin its rates */
        uint64_t lo = is_run || whole.first_ns > from ? whole.first_ns : from;
        uint64_t hi = is_run || whole.end_ns < to ? whole.end_ns : to;
        sd->seconds = hi > lo ? (double)(hi - lo) / 1e9 : NAN;
        for (ptrdiff_t i = 0; i < arrlen(whole.rows); i++) {
            arrput(sd->snap.series, whole.rows[i].s);
            memset(&whole.rows[i].s, 0, sizeof whole.rows[i].s);
        }
        char a[32], b[32];
        if (is_run) snprintf(sd->what, sizeof sd->what, "run %ld of %s (%s, pid %u)", run, db_path, whole.process,
                             (unsigned)whole.pid);
        else snprintf(sd->what, sizeof sd->what, "%s .. %s of %s", pmv_fmt_when(from, a, sizeof a),
                      pmv_fmt_when(to, b, sizeof b), db_path);
        pmv_history_free(&whole);
        pmv_history_free(&steps);
        return 0;
    }
    if (pmv_parse_pid(arg, &live)) {
        char e[512];
        if (pmv_snapshot_pid(live, &sd->snap, e, sizeof e) != PMV_OK) {
            snprintf(err, errlen, "pid %u: %s", (unsigned)live, e);
            return -1;
        }
        sd->seconds = (double)pmv_snapshot_uptime_ns(&sd->snap) / 1e9;
        snprintf(sd->what, sizeof sd->what, "pid %u (%s), since its start", (unsigned)live, sd->snap.process);
        return 0;
    }
    return load_export(sd, arg, err, errlen);
}

static const pmv_series *find_series(const side *sd, const char *name)
{
    for (ptrdiff_t i = 0; i < arrlen(sd->snap.series); i++)
        if (strcmp(sd->snap.series[i].name, name) == 0) return &sd->snap.series[i];
    return NULL;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const pmv_series *)a)->name, ((const pmv_series *)b)->name);
}

/* A figure for people: durations for timers, bytes for byte series. */
static char *human(const pmv_series *s, int stat, double v, char *buf, size_t len)
{
    if (!isfinite(v)) return strcpy(buf, "-");
    if (stat == PMV_CMP_RATE) { pmv_fmt_count(v, buf, len); strncat(buf, "/s", len - strlen(buf) - 1); return buf; }
    if (stat == PMV_CMP_ERROR_PCT) { snprintf(buf, len, "%.2f%%", v); return buf; }
    if (stat >= PMV_CMP_MEAN && stat <= PMV_CMP_P99) {
        if (s->kind == PM_SHM_KIND_TIMER || s->unit == PM_SHM_UNIT_NANOSECONDS) return pmv_fmt_duration(v, buf, len);
        if (s->unit == PM_SHM_UNIT_BYTES) return pmv_fmt_bytes(v, buf, len);
    }
    return pmv_fmt_count(v, buf, len);
}

static void json_figures(FILE *f, const double *v)
{
    fputc('{', f);
    for (int k = 0; k < PMV_CMP_N; k++) {
        fprintf(f, "%s\"%s\": ", k ? ", " : "", pmv_cmp_stat_names[k]);
        pmv_json_fixed(f, v[k]);
    }
    fputc('}', f);
}

int pmv_cmd_compare(int argc, char **argv)
{
    static const char *const formats[] = { "text", "json", "markdown", NULL };
    const char *db = NULL, *process = NULL;
    const char **fail_on = NULL;
    uint32_t pid = 0;
    double alpha = 0.05, stable = 5;
    int format = 0;
    const pmv_option opts[] = {
        { PMV_OPT(0, "db", PMV_OPT_STRING, &db, "FILE", "the history, for FROM..TO and run:ID sides") },
        { PMV_OPT(0, "pid", PMV_OPT_PID, &pid, "PID", "history sides: only runs of this pid") },
        { PMV_OPT(0, "name", PMV_OPT_STRING, &process, "PROCESS", "history sides: only runs of this process") },
        { PMV_OPT(0, "fail-on", PMV_OPT_STRING, &fail_on, "RULE", "exit 1 when a change breaks RULE ('p95 +10%')"),
          .repeat = 1 },
        { PMV_OPT(0, "alpha", PMV_OPT_DOUBLE, &alpha, "P", "significance level (default 0.05)"), .min = 0, .max = 1,
          .bounds = PMV_OPT_ABOVE_MIN | PMV_OPT_BELOW_MAX },
        { PMV_OPT(0, "stable", PMV_OPT_DOUBLE, &stable, "PCT", "changes below PCT percent are stable (default 5)"),
          .min = 0, .max = 1e6 },
        { PMV_OPT('f', "format", PMV_OPT_CHOICE, &format, NULL, "text (default), json or markdown"), .choices = formats },
        { 0 }
    };
    const pmv_command cmd = { "compare", "A B [SELECTOR...] [OPTIONS]", opts, about, after, NULL, 0 };
    pmv_args args;
    int rc;
    if (!pmv_parse_options(&cmd, argc, argv, &args, &rc)) return rc;
    pmv_cmp_rule *rules = NULL;
    if (args.n < 2) rc = pmv_command_error(&cmd, "two sides to compare: A B (FROM..TO, run:ID, FILE.json or PID)");
    char err[1024];
    for (ptrdiff_t i = 0; i < arrlen(fail_on) && rc == PMV_EXIT_OK; i++) {
        pmv_cmp_rule r;
        if (pmv_cmp_rule_parse(fail_on[i], &r, err, sizeof err)) rc = pmv_command_error(&cmd, "%s", err);
        else arrput(rules, r);
    }
    pmv_selector pick;
    memset(&pick, 0, sizeof pick);
    if (rc == PMV_EXIT_OK && pmv_cmd_selector("compare", (const char *const *)args.pos + 2, args.n - 2, &pick))
        rc = PMV_EXIT_USAGE;
    side A, B;
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    if (rc == PMV_EXIT_OK && (load_side(&A, args.pos[0], db, pid, process, err, sizeof err) ||
                              load_side(&B, args.pos[1], db, pid, process, err, sizeof err))) {
        pmv_error("compare: %s", err);
        rc = PMV_EXIT_USAGE;
    }
    pmv_args_free(&args);
    if (rc != PMV_EXIT_OK) goto out;
    pmv_selector_keep(&pick, &A.snap, NULL);
    pmv_selector_keep(&pick, &B.snap, NULL);
    if (arrlen(A.snap.series) > 1) qsort(A.snap.series, (size_t)arrlen(A.snap.series), sizeof *A.snap.series, cmp_name);
    if (arrlen(B.snap.series) > 1) qsort(B.snap.series, (size_t)arrlen(B.snap.series), sizeof *B.snap.series, cmp_name);

    FILE *f = stdout;
    int broken = 0, n = 0;
    static const char *heads[] = { "SERIES", "FIGURE", "A", "B", "CHANGE", "VERDICT" };
    pmv_table t;
    pmv_table_init(&t, 6, heads, "llrrrl");
    if (format == 1) {
        fputs("{\"a\": ", f);
        pmv_json_str(f, A.what);
        fputs(", \"b\": ", f);
        pmv_json_str(f, B.what);
        fprintf(f, ", \"test\": \"two-sided Mann-Whitney U of per-interval figures\", \"alpha\": ");
        pmv_json_fixed(f, alpha);
        fputs(", \"series\": [", f);
    } else if (format == 0) {
        char a[400], b[400];
        fprintf(f, "A: %s\nB: %s\n", pmv_printable(A.what, a, sizeof a), pmv_printable(B.what, b, sizeof b));
    } else {
        char a[400], b[400];
        fprintf(f, "A: %s  \nB: %s\n\n| series | figure | A | B | change | verdict |\n| --- | --- | ---: | ---: | ---: | --- |\n",
                pmv_printable(A.what, a, sizeof a), pmv_printable(B.what, b, sizeof b));
    }
    for (ptrdiff_t i = 0; i < arrlen(A.snap.series); i++) {
        const pmv_series *sa = &A.snap.series[i], *sb = find_series(&B, sa->name);
        if (!sb || sb->kind != sa->kind) continue;
        pmv_cmp_side ca = { sa, A.seconds, intervals_of(&A, sa->name) }, cb = { sb, B.seconds, intervals_of(&B, sb->name) };
        pmv_cmp_result r;
        pmv_compare(&ca, &cb, alpha, stable, &r);
        const char *why = NULL;
        for (ptrdiff_t k = 0; k < arrlen(rules); k++)
            if (pmv_cmp_rule_broken(&rules[k], &r)) { broken = 1; why = rules[k].text; }
        char verdict[160];
        if (r.tested) snprintf(verdict, sizeof verdict, "%s (p=%.3g, %d vs %d intervals)%s%s", r.direction, r.p, r.na,
                               r.nb, why ? "; FAILS " : "", why ? why : "");
        else snprintf(verdict, sizeof verdict, "%s (no test: no intervals)%s%s", r.direction, why ? "; FAILS " : "",
                      why ? why : "");
        if (format == 1) {
            fputs(n ? ",\n  {\"name\": " : "\n  {\"name\": ", f);
            pmv_json_str(f, sa->base);
            fputs(", \"full_name\": ", f);
            pmv_json_str(f, sa->name);
            fprintf(f, ", \"kind\": \"%s\", \"a\": ", pmv_kind_str(sa->kind));
            json_figures(f, r.a);
            fputs(", \"b\": ", f);
            json_figures(f, r.b);
            fputs(", \"change_pct\": ", f);
            json_figures(f, r.change_pct);
            fprintf(f, ", \"direction\": \"%s\", \"significant\": %s, \"tested\": %s, \"p_value\": ", r.direction,
                    r.significant ? "true" : "false", r.tested ? "true" : "false");
            pmv_json_fixed(f, r.p);
            fprintf(f, ", \"intervals\": [%d, %d], \"fails\": ", r.na, r.nb);
            if (why) pmv_json_str(f, why);
            else fputs("null", f);
            fputc('}', f);
        } else {
            int first = 1;
            for (int k = 0; k < PMV_CMP_N; k++) {
                if (!isfinite(r.a[k]) && !isfinite(r.b[k])) continue;
                char va[32], vb[32], ch[32], shown[PM_SHM_NAME_MAX];
                human(sa, k, r.a[k], va, sizeof va);
                human(sa, k, r.b[k], vb, sizeof vb);
                if (isfinite(r.change_pct[k])) snprintf(ch, sizeof ch, "%+.1f%%", r.change_pct[k]);
                else strcpy(ch, "-");
                if (format == 0) {
                    const char *row[] = { first ? sa->name : "", pmv_cmp_stat_names[k], va, vb, ch, first ? verdict : "" };
                    pmv_table_add(&t, row);
                } else {
                    fprintf(f, "| %s | %s | %s | %s | %s | %s |\n", first ? pmv_printable(sa->name, shown, sizeof shown) : "",
                            pmv_cmp_stat_names[k], va, vb, ch, first ? verdict : "");
                }
                first = 0;
            }
        }
        n++;
    }
    if (format == 0) pmv_table_print(&t, f, pmv_use_bold(f));
    /* the series on one side only */
    const char *only_heads[2] = { "only_a", "only_b" };
    for (int s = 0; s < 2; s++) {
        const side *x = s ? &B : &A, *y = s ? &A : &B;
        int any = 0;
        for (ptrdiff_t i = 0; i < arrlen(x->snap.series); i++) {
            const pmv_series *o = find_series(y, x->snap.series[i].name);
            if (o && o->kind == x->snap.series[i].kind) continue;
            char shown[PM_SHM_NAME_MAX];
            if (format == 1) {
                fputs(any ? ", " : (s ? "], \"only_b\": [" : "\n], \"only_a\": ["), f);
                pmv_json_str(f, x->snap.series[i].name);
            } else {
                if (!any) fputc('\n', f);
                fprintf(f, "%s%s only: %s\n", format == 2 ? "- " : "", s ? "B" : "A",
                        pmv_printable(x->snap.series[i].name, shown, sizeof shown));
            }
            any = 1;
        }
        if (format == 1 && !any) fprintf(f, s ? "], \"%s\": [" : "\n], \"%s\": [", only_heads[s]);
    }
    if (format == 1) fprintf(f, "], \"failed\": %s}\n", broken ? "true" : "false");
    pmv_table_free(&t);
    rc = broken ? PMV_EXIT_CHECK : PMV_EXIT_OK;
    if (n == 0 && format != 1) pmv_error("compare: no series is on both sides");
out:
    side_free(&A);
    side_free(&B);
    pmv_selector_free(&pick);
    arrfree(rules);
    arrfree(fail_on);
    return rc;
}
