/* history.c - `perfmon-view history SELECTOR... --db FILE --stat S --step D`:
   a time series from the history, for plots */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "base/units.h"
#include "base/when.h"
#include "cmd/cli.h"
#include "cmd/options.h"
#include "cmd/past.h"
#include "cmd/select.h"
#include "model/selector.h"
#include "model/window.h"
#include "out/csv.h"
#include "out/json_write.h"
#include "out/series_out.h"

static const char about[] =
    "Prints, for every series SELECTOR picks (README.md, \"Selecting series\"),\n"
    "one figure per step of a window of the history that `perfmon-view record`\n"
    "keeps: a time series to plot. Every step of the window is there: counts\n"
    "are 0 and the other figures empty (null) in steps without records.\n";
static const char after[] =
    "STAT: count, rate (per second), errors, error_pct, slow, slow_pct, sum,\n"
    "mean, min, max, p50, p90, p95, p99, value (a gauge's last value); give\n"
    "--stat again for more columns. Durations are nanoseconds.\n"
    "csv (the default): time,name,labels,STAT... - time is the step's start\n"
    "(Unix seconds). json: {\"db\", \"from\", \"to\", \"step_s\", \"stats\": [...],\n"
    "\"series\": [{\"name\", \"full_name\", \"labels\", \"kind\", \"unit\",\n"
    "\"points\": [[time, STAT...], ...]}]}.\n"
    "\n"
    "exit status: 0 ok, 2 usage error, the database cannot be read, or no\n"
    "series matched any SELECTOR\n";

static const char *const stat_names[] = { "count", "rate", "errors", "error_pct", "slow", "slow_pct", "sum", "mean",
                                          "min", "max", "p50", "p90", "p95", "p99", "value", NULL };

static int stat_index(const char *s)
{
    for (int i = 0; stat_names[i]; i++)
        if (strcmp(stat_names[i], s) == 0) return i;
    return -1;
}

/* One figure of a series over one step (row NULL: nothing recorded). */
static double figure(const pmv_series *s, const pmv_win *w, int stat, double step_s)
{
    int timed = s->kind == PM_SHM_KIND_TIMER || s->kind == PM_SHM_KIND_DISTRIBUTION;
    uint64_t count = w ? w->count : 0, errors = w ? w->errors : 0, slow = w ? w->slow : 0;
    switch (stat) {
    case 0: return s->kind == PM_SHM_KIND_GAUGE ? NAN : (double)count;
    case 1: return s->kind == PM_SHM_KIND_GAUGE ? NAN : (double)count / step_s;
    case 2: return s->kind == PM_SHM_KIND_TIMER ? (double)errors : NAN;
    case 3: return s->kind == PM_SHM_KIND_TIMER && count ? 100.0 * (double)errors / (double)count : NAN;
    case 4: return s->kind == PM_SHM_KIND_TIMER ? (double)slow : NAN;
    case 5: return s->kind == PM_SHM_KIND_TIMER && count ? 100.0 * (double)slow / (double)count : NAN;
    case 6: return timed ? (w ? (double)w->sum : 0) : NAN;
    case 7: return w && timed ? w->mean : NAN;
    case 8: return w && timed ? w->min : NAN;
    case 9: return w && timed ? w->max : NAN;
    case 10: return w && timed ? w->p50 : NAN;
    case 11: return w && timed ? w->p90 : NAN;
    case 12: return w && timed ? w->p95 : NAN;
    case 13: return w && timed ? w->p99 : NAN;
    default: return w && s->kind == PM_SHM_KIND_GAUGE ? (double)w->gauge : NAN;
    }
}

int pmv_cmd_history(int argc, char **argv)
{
    static const char *const formats[] = { "csv", "json", NULL };
    pmv_past past;
    pmv_past_init(&past);
    const char **stats = NULL;
    double step_s = 60;
    int json = 0;
    const pmv_option opts[] = {
        { PMV_OPT('s', "stat", PMV_OPT_STRING, &stats, "STAT", "the figure per step (below; default p95)"), .repeat = 1 },
        { PMV_OPT(0, "step", PMV_OPT_DURATION, &step_s, "D", "the step (default 1m)"), .min = 1, .max = 1e9,
          .example = "10s, 1m, 1h" },
        { PMV_OPT('f', "format", PMV_OPT_CHOICE, &json, NULL, "csv (default) or json"), .choices = formats },
        PMV_PAST_OPTIONS(&past),
        { 0 }
    };
    const pmv_command cmd = { "history", "SELECTOR... --db FILE [OPTIONS]", opts, about, after, NULL, 0 };
    pmv_args args;
    int rc;
    if (!pmv_parse_options(&cmd, argc, argv, &args, &rc)) return rc;
    int *which = NULL;
    if (args.n == 0) rc = pmv_command_error(&cmd, "which series? give a SELECTOR (a name, a glob, ...)");
    else if (!past.db) rc = pmv_command_error(&cmd, "--db FILE is needed (the history `record` writes)");
    for (ptrdiff_t i = 0; i < arrlen(stats) && rc == PMV_EXIT_OK; i++) {
        int k = stat_index(stats[i]);
        if (k < 0) rc = pmv_command_error(&cmd, "unknown stat '%s' (count, rate, errors, p95, ...)", stats[i]);
        else arrput(which, k);
    }
    if (rc == PMV_EXIT_OK && !arrlen(which)) arrput(which, stat_index("p95"));
    pmv_selector pick;
    if (rc == PMV_EXIT_OK && pmv_cmd_selector("history", (const char *const *)args.pos, args.n, &pick) != 0)
        rc = PMV_EXIT_USAGE;
    pmv_args_free(&args);
    if (rc != PMV_EXIT_OK) {
        arrfree(stats);
        arrfree(which);
        return rc;
    }
    uint64_t step_ns = (uint64_t)llround(step_s * 1e9);
    pmv_history_filter window;
    pmv_history hist;
    rc = pmv_past_read(&cmd, &past, step_ns, &window, &hist);
    if (rc != PMV_EXIT_OK) {
        pmv_selector_free(&pick);
        arrfree(stats);
        arrfree(which);
        return rc;
    }
    /* which series: the selector against one row of each */
    int *hits = calloc((size_t)arrlen(pick.terms) + 1, sizeof *hits);
    if (!hits) abort();
    uint64_t nsteps = (window.to_ns - window.from_ns + step_ns - 1) / step_ns;
    if (json) {
        char a[32], b[32];
        fputs("{\"db\": ", stdout);
        pmv_json_str(stdout, past.db);
        fprintf(stdout, ", \"from\": \"%s\", \"to\": \"%s\", \"step_s\": ", pmv_fmt_when(window.from_ns, a, sizeof a),
                pmv_fmt_when(window.to_ns, b, sizeof b));
        pmv_json_fixed(stdout, step_s);
        fputs(", \"stats\": [", stdout);
        for (ptrdiff_t k = 0; k < arrlen(which); k++) fprintf(stdout, "%s\"%s\"", k ? ", " : "", stat_names[which[k]]);
        fputs("], \"series\": [", stdout);
    } else {
        fputs("time,name,labels", stdout);
        for (ptrdiff_t k = 0; k < arrlen(which); k++) fprintf(stdout, ",%s", stat_names[which[k]]);
        fputc('\n', stdout);
    }
    int nseries = 0;
    for (ptrdiff_t i = 0; i < arrlen(hist.rows);) {
        ptrdiff_t end = i;
        while (end < arrlen(hist.rows) && strcmp(hist.rows[end].s.name, hist.rows[i].s.name) == 0) end++;
        const pmv_series *s = &hist.rows[i].s;
        int selected = 0;
        for (ptrdiff_t t = 0; t < arrlen(pick.terms); t++)
            if (pmv_sel_term_match(&pick.terms[t], s->name, s->base, s->labels)) selected = hits[t] = 1;
        if (!selected) { i = end; continue; }
        if (json) {
            fputs(nseries ? ",\n  " : "\n  ", stdout);
            pmv_series_json_ident(stdout, s);
            fputs(", \"points\": [", stdout);
        }
        nseries++;
        ptrdiff_t r = i;
        for (uint64_t k = 0; k < nsteps; k++) {
            uint64_t t0 = window.from_ns + k * step_ns;
            pmv_win w, *wp = NULL;
            if (r < end && hist.rows[r].t_ns == t0) {
                pmv_win_total(&hist.rows[r].s, step_s, &w);
                wp = &w;
                r++;
            }
            char t[64];
            pmv_fmt_fixed((double)t0 / 1e9, t, sizeof t);
            if (json) {
                fprintf(stdout, "%s[%s", k ? ", " : "", t);
                for (ptrdiff_t q = 0; q < arrlen(which); q++) {
                    fputs(", ", stdout);
                    pmv_json_fixed(stdout, figure(s, wp, which[q], step_s));
                }
                fputc(']', stdout);
            } else {
                fprintf(stdout, "%s,", t);
                pmv_csv_text(stdout, s->base);
                fputc(',', stdout);
                pmv_csv_text(stdout, s->labels_raw);
                for (ptrdiff_t q = 0; q < arrlen(which); q++) {
                    fputc(',', stdout);
                    pmv_csv_num(stdout, figure(s, wp, which[q], step_s));
                }
                fputc('\n', stdout);
            }
            if (wp) pmv_win_clear(wp);
        }
        if (json) fputs("]}", stdout);
        i = end;
    }
    if (json) fputs(nseries ? "\n]}\n" : "]}\n", stdout);
    const char **unmatched = NULL;
    for (ptrdiff_t t = 0; t < arrlen(pick.terms); t++)
        if (!hits[t]) arrput(unmatched, pick.terms[t].text);
    pmv_report_unmatched(hist.pid, unmatched, arrlen(unmatched));
    rc = nseries ? PMV_EXIT_OK : PMV_EXIT_USAGE;
    arrfree(unmatched);
    free(hits);
    pmv_history_free(&hist);
    pmv_selector_free(&pick);
    arrfree(stats);
    arrfree(which);
    return rc;
}
