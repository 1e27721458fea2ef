/* stats.c - `perfmon-view stats PID [SELECTOR...]`: one table of every series */
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "cmd/cli.h"
#include "cmd/options.h"
#include "cmd/past.h"
#include "base/when.h"
#include "cmd/select.h"
#include "out/diag.h"
#include "base/hist.h"
#include "out/table.h"
#include "base/units.h"

static const char about[] =
    "Prints a header line about the process (alive, exited, crashed with when\n"
    "it was last seen, exec'd, or ended: a fork child gone by _exit() whose\n"
    "exit status the program reaped; a fork child's exit status or killing\n"
    "signal when its parent saw it), the writer's notes (fork child, copies of\n"
    "perfmon read together, threads through the shared slot), its warnings\n"
    "(settings it could not use, a segment name it could not have), the last\n"
    "names it refused and why, `dropped: \"name\" (reason)` (bytes outside\n"
    "printable ASCII as \\xHH), then one row per series, sorted\n"
    "by name: NAME (with labels), KIND, COUNT, ERRORS (and error rate), SLOW,\n"
    "MIN, MEAN, P50, P90, P95, P99, MAX, TOTAL (sum), in human units: timers\n"
    "as durations, distributions in their unit (bytes or plain numbers).\n"
    "Counters and gauges show their value in COUNT and '-' elsewhere.\n"
    "Percentiles come from the histograms (within 1%, clamped to MIN..MAX).\n"
    "\n"
    "SELECTOR picks series: a full name, a base name (all its label sets), a\n"
    "glob ('http.*'), or a partial label set ('req{route=\"/a\"}'); several\n"
    "select the series any of them matches (README.md, \"Selecting series\").\n"
    "A selector that matches nothing is named on stderr.\n"
    "\n"
    "With --db the figures are those of a window of the history that\n"
    "`perfmon-view record` keeps (README \"History\"): COUNT, ERRORS and SLOW\n"
    "happened in the window, MIN .. MAX are the window's; series are merged\n"
    "over the matching runs (--pid, --name, --run).\n";
static const char after[] =
    "exit status: 0 ok, 2 usage error, no readable segment for PID, or no\n"
    "series matched any SELECTOR\n";

static int cmp_series_name(const void *a, const void *b)
{
    const pmv_series *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Formats a value in the series' unit; NAN prints "-". */
static char *fmt_value(const pmv_series *s, double v, char *buf, size_t len)
{
    switch (pmv_series_unit(s)) {
    case PM_SHM_UNIT_NANOSECONDS: return pmv_fmt_duration(v, buf, len);
    case PM_SHM_UNIT_BYTES: return pmv_fmt_bytes(v, buf, len);
    default: return pmv_fmt_count(v, buf, len);
    }
}

static const char *short_kind(int kind)
{
    return kind == PM_SHM_KIND_DISTRIBUTION ? "dist" : pmv_kind_str(kind);
}

static void add_row(pmv_table *t, const pmv_series *s)
{
    char c[13][48];
    const char *row[13];
    for (int i = 0; i < 13; i++) row[i] = NULL; /* '-' */
    row[0] = s->name;
    row[1] = short_kind(s->kind);
    if (s->kind == PM_SHM_KIND_COUNTER) {
        row[2] = fmt_value(s, (double)s->count, c[2], sizeof c[2]);
    } else if (s->kind == PM_SHM_KIND_GAUGE) {
        row[2] = fmt_value(s, (double)s->gauge, c[2], sizeof c[2]);
        if (s->gauge < 0 && pmv_series_unit(s) != PM_SHM_UNIT_NONE) {
            /* durations/bytes formatters take magnitudes */
            char m[40];
            fmt_value(s, -(double)s->gauge, m, sizeof m);
            snprintf(c[2], sizeof c[2], "-%s", m);
        }
    } else {
        row[2] = pmv_fmt_count((double)s->count, c[2], sizeof c[2]);
        if (s->kind == PM_SHM_KIND_TIMER) {
            char n[32];
            snprintf(c[3], sizeof c[3], "%s (%.1f%%)", pmv_fmt_count((double)s->errors, n, sizeof n),
                     pmv_rate_pct(s->errors, s->count));
            row[3] = c[3];
            row[4] = pmv_fmt_count((double)s->slow, c[4], sizeof c[4]);
        }
        if (s->count > 0) {
            int nb = (int)arrlen(s->bins);
            static const double qs[] = { 0.50, 0.90, 0.95, 0.99 };
            row[5] = fmt_value(s, (double)s->min, c[5], sizeof c[5]);
            row[6] = fmt_value(s, pmv_mean(s->sum, s->count), c[6], sizeof c[6]);
            for (int q = 0; q < 4; q++)
                row[7 + q] = fmt_value(s, pmv_percentile(s->bins, nb, s->hist_total, qs[q], s->min, s->max),
                                       c[7 + q], sizeof c[7 + q]);
            row[11] = fmt_value(s, (double)s->max, c[11], sizeof c[11]);
            row[12] = fmt_value(s, (double)s->sum, c[12], sizeof c[12]);
        }
    }
    pmv_table_add(t, row);
}

static void print_header(const pmv_snapshot *snap, uint32_t pid, FILE *f)
{
    char up[32], pname[PM_SHM_PROCESS_MAX], seen[64];
    pmv_end_detail(snap, seen, sizeof seen);
    fprintf(f, "%s (pid %u) %s%s%s%s, up %s, %td series, dropped %llu",
            pmv_printable(snap->process[0] ? snap->process : "?", pname, sizeof pname), (unsigned)pid,
            pmv_snapshot_status(snap), seen[0] ? " (" : "", seen, seen[0] ? ")" : "",
            pmv_fmt_age(pmv_snapshot_uptime_ns(snap), up, sizeof up), arrlen(snap->series),
            (unsigned long long)snap->dropped);
    if (snap->dropped) {
        const char *sep = " (";
        struct { const char *what; uint64_t n; } why[] = {
            { "series full", snap->dropped_series_full }, { "threads full", snap->dropped_threads_full },
            { "bad name", snap->dropped_bad_name }, { "kind mismatch", snap->dropped_kind_mismatch },
            { "unit mismatch", snap->dropped_unit_mismatch }, { "negative increment", snap->dropped_negative },
            { "no memory", snap->dropped_no_memory },
        };
        for (size_t i = 0; i < sizeof why / sizeof why[0]; i++) {
            if (!why[i].n) continue;
            fprintf(f, "%s%s %llu", sep, why[i].what, (unsigned long long)why[i].n);
            sep = ", ";
        }
        if (sep[0] == ',') fputc(')', f);
    }
    if (snap->dropped_hist)
        fprintf(f, ", %llu records without histogram", (unsigned long long)snap->dropped_hist);
    fputc('\n', f);
    if (snap->series_damaged)
        fprintf(f, "warning: %u damaged series skipped (first: %s)\n",
                (unsigned)snap->series_damaged, snap->damage_first);
    if (snap->torn_cells)
        fprintf(f, "warning: %u cells were mid-update at every read try; their values may be off by the records written while they were copied\n",
                (unsigned)snap->torn_cells);
    pmv_print_diagnostics(snap, f);
}

/* The header of a window of the history. */
static void print_past_header(const pmv_history_filter *f, const pmv_history *h, const pmv_snapshot *snap, FILE *out)
{
    char a[32], b[32], len[32], pname[PM_SHM_PROCESS_MAX];
    fprintf(out, "%s (pid %u, %td run%s) %s .. %s (%s), %td series\n",
            pmv_printable(h->process[0] ? h->process : "?", pname, sizeof pname), (unsigned)h->pid,
            arrlen(h->runs), arrlen(h->runs) == 1 ? "" : "s", pmv_fmt_when(f->from_ns, a, sizeof a),
            pmv_fmt_when(f->to_ns, b, sizeof b), pmv_fmt_age(f->to_ns - f->from_ns, len, sizeof len),
            arrlen(snap->series));
}

int pmv_cmd_stats(int argc, char **argv)
{
    pmv_past past;
    pmv_past_init(&past);
    const pmv_option opts[] = { PMV_PAST_OPTIONS(&past), { 0 } };
    const pmv_command cmd = { "stats", "PID [SELECTOR...]", opts, about, after,
                              "       perfmon-view stats --db FILE [--since AGE | --from T [--to T]] [SELECTOR...]\n", 1 };
    pmv_args args;
    int rc;
    if (!pmv_parse_options(&cmd, argc, argv, &args, &rc)) return rc;
    int from_db = pmv_past_wanted(&past);
    uint32_t pid = 0;
    if (from_db) rc = PMV_EXIT_OK;
    else if (args.n == 0) rc = pmv_command_error(&cmd, "missing PID");
    else rc = pmv_command_pid(&cmd, args.pos[0], &pid);
    /* every argument after the PID (with --db: every one) is a SELECTOR */
    const char **names = NULL;
    for (int i = from_db ? 0 : 1; i < args.n; i++) arrput(names, args.pos[i]);
    pmv_args_free(&args);
    if (rc != PMV_EXIT_OK) {
        arrfree(names);
        return rc;
    }

    pmv_selector pick;
    if (pmv_cmd_selector("stats", names, arrlen(names), &pick) != 0) {
        arrfree(names);
        return PMV_EXIT_USAGE;
    }
    pmv_snapshot snap;
    pmv_history hist;
    pmv_history_filter window;
    rc = pmv_past_or_live(&cmd, &past, &pid, &snap, &window, &hist);
    if (rc != PMV_EXIT_OK) {
        pmv_selector_free(&pick);
        arrfree(names);
        return rc;
    }

    /* select, then sort pointers so the snapshot stays in segment order */
    pmv_selection picked;
    pmv_selector_filter(&pick, &snap, &picked);
    const pmv_series **sel = picked.series;
    if (arrlen(sel)) qsort(sel, (size_t)arrlen(sel), sizeof *sel, cmp_series_name);

    rc = PMV_EXIT_OK;
    pmv_report_unmatched(pid, picked.unmatched, arrlen(picked.unmatched));
    if (arrlen(names) && arrlen(sel) == 0) {
        rc = PMV_EXIT_USAGE;
    } else if (from_db && arrlen(snap.series) == 0) {
        pmv_error("stats: %s holds no samples in that window%s", past.db,
                  past.pid || past.name || past.run ? " for those runs" : "");
        rc = PMV_EXIT_USAGE;
    } else {
        static const char *heads[] = { "NAME", "KIND", "COUNT", "ERRORS", "SLOW", "MIN", "MEAN",
                                       "P50", "P90", "P95", "P99", "MAX", "TOTAL" };
        pmv_table t;
        pmv_table_init(&t, 13, heads, "llrrrrrrrrrrr");
        for (ptrdiff_t i = 0; i < arrlen(sel); i++) add_row(&t, sel[i]);
        if (from_db) print_past_header(&window, &hist, &snap, stdout);
        else print_header(&snap, pid, stdout);
        pmv_table_print(&t, stdout, pmv_use_bold(stdout));
        pmv_table_free(&t);
    }
    pmv_selection_free(&picked);
    pmv_selector_free(&pick);
    arrfree(names);
    pmv_snapshot_free(&snap);
    pmv_history_free(&hist);
    return rc;
}
