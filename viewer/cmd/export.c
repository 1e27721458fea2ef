/* export.c - `perfmon-view export PID [SELECTOR...] --format json|csv [-o FILE]`

   The JSON and CSV shapes are a contract other programs parse: keys and
   columns may be added, never renamed or removed.

   JSON: {"pid", "time" (Unix seconds of the snapshot), "process",
          "cmdline", "alive", "state" (alive|exited|crashed|exec'd|ended),
          "uptime_s", "start_realtime_ns", "end_realtime_ns", "dropped",
          "dropped_reasons": {...}, "flags": [fork_child|execed|alt_name|
          other_pid_namespace], "parent_pid", "writers", "segments",
          "overflow_threads", "last_heartbeat_realtime_ns", "exit_status"
          and "exit_signal" (a fork child's end as its parent saw it, else
          null), "config_errors": ["..."], "dropped_names": [{"name", "name_len",
          "reason"}], "threads_active", "threads_used", "damaged_series",
          "series": [...]}
   each series in the one shape of out/series_out.h, since the start, with
   its histogram buckets. Strings are valid UTF-8: control characters are
   written as \u00XX and invalid bytes as \ufffd.

   CSV (RFC 4180, LF line ends; out/csv.h): the series columns of
   out/series_out.h, one row per series. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include <stb_ds.h>

#include "out/atomic_file.h"
#include "cmd/cli.h"
#include "cmd/options.h"
#include "cmd/past.h"
#include "base/when.h"
#include "cmd/select.h"
#include "out/diag.h"
#include "out/json_write.h"
#include "base/units.h"
#include "model/window.h"
#include "out/series_out.h"

static const char about[] =
    "Writes every series of the process (or those SELECTOR picks: see README.md,\n"
    "\"Selecting series\"; as in `stats`) in a machine-readable form.\n";
static const char after[] =
    "JSON: {\"pid\", \"time\", \"process\", \"alive\", \"state\", \"dropped\",\n"
    "       \"dropped_reasons\", ..., \"series\": [{\"name\" (base name),\n"
    "       \"full_name\", \"labels\", \"kind\", \"unit\", \"value\" (counters,\n"
    "       gauges) or \"count\", \"errors\", \"slow\", \"sum\", \"min\", \"max\",\n"
    "       \"mean\", \"p50\", \"p90\", \"p95\", \"p99\", \"buckets\" (timers,\n"
    "       distributions)}]}\n"
    "time is the snapshot's Unix time in seconds. buckets are the non-empty\n"
    "histogram buckets, [[lower, upper, count], ...] (lower <= v < upper), to\n"
    "compute any quantile. Timer values are nanoseconds. min/max/mean/\n"
    "percentiles are null when count is 0.\n"
    "CSV: name,labels,kind,unit,value,count,errors,slow,sum,min,max,mean,\n"
    "     p50,p90,p95,p99 - one row per series, fields that do not apply empty;\n"
    "     text that a spreadsheet would run as a formula is led by '.\n"
    "The same series fields as watch (README \"Output formats\").\n"
    "\n"
    "exit status: 0 ok, 2 usage error, unreadable segment, write failure, or no\n"
    "series matched any SELECTOR\n";

/* ---- JSON and CSV: the series through out/series_out.h */

static void json_u64(FILE *f, uint64_t v) { fprintf(f, "%llu", (unsigned long long)v); }

static void write_json(FILE *f, const pmv_snapshot *snap, uint32_t pid, double now)
{
    fprintf(f, "{\"pid\": %u, \"time\": ", (unsigned)pid);
    pmv_json_fixed(f, now);
    fputs(", \"process\": ", f);
    pmv_json_str(f, snap->process);
    fputs(", \"cmdline\": ", f);
    pmv_json_str(f, snap->cmdline);
    fprintf(f, ", \"alive\": %s, \"state\": \"%s\", \"uptime_s\": ",
            snap->alive ? "true" : "false", pmv_snapshot_status(snap));
    pmv_json_fixed(f, (double)pmv_snapshot_uptime_ns(snap) / 1e9);
    fputs(", \"start_realtime_ns\": ", f); json_u64(f, snap->start_realtime_ns);
    fputs(", \"end_realtime_ns\": ", f); json_u64(f, snap->end_realtime_ns);
    fputs(", \"dropped\": ", f); json_u64(f, snap->dropped);
    fprintf(f, ", \"dropped_reasons\": {\"series_full\": %llu, \"threads_full\": %llu, "
               "\"bad_name\": %llu, \"kind_mismatch\": %llu, \"no_memory\": %llu, \"hist\": %llu, "
               "\"unit_mismatch\": %llu, \"negative\": %llu}",
            (unsigned long long)snap->dropped_series_full, (unsigned long long)snap->dropped_threads_full,
            (unsigned long long)snap->dropped_bad_name, (unsigned long long)snap->dropped_kind_mismatch,
            (unsigned long long)snap->dropped_no_memory, (unsigned long long)snap->dropped_hist,
            (unsigned long long)snap->dropped_unit_mismatch, (unsigned long long)snap->dropped_negative);
    pmv_json_diagnostics(snap, f);
    fprintf(f, ", \"threads_active\": %u, \"threads_used\": %u, \"damaged_series\": %u, \"series\": [",
            (unsigned)snap->threads_active, (unsigned)snap->threads_used, (unsigned)snap->series_damaged);
    double up = (double)pmv_snapshot_uptime_ns(snap) / 1e9;
    for (ptrdiff_t i = 0; i < arrlen(snap->series); i++) {
        pmv_win w;
        pmv_win_total(&snap->series[i], up, &w);
        fputs(i ? ",\n  " : "\n  ", f);
        pmv_series_json(f, &w, PMV_OUT_BUCKETS);
        pmv_win_clear(&w);
    }
    fputs(arrlen(snap->series) ? "\n]}\n" : "]}\n", f);
}

static void write_csv(FILE *f, const pmv_snapshot *snap)
{
    pmv_series_csv_header(f, 0);
    fputc('\n', f);
    for (ptrdiff_t i = 0; i < arrlen(snap->series); i++) {
        pmv_win w;
        pmv_win_total(&snap->series[i], 0, &w);
        pmv_series_csv(f, &w, 0);
        fputc('\n', f);
        pmv_win_clear(&w);
    }
}

static double realtime_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- command */

/* What one export writes: a live snapshot, or a window of the history. */
typedef struct export_job {
    int csv;
    const pmv_snapshot *snap;
    uint32_t pid;
    double now;
    const pmv_history_filter *window;   /* set: from the history */
    const pmv_history *hist;
    const char *db;
} export_job;

/* A window of the history: the series with the window's fields. */
static void write_past_json(FILE *f, const export_job *j)
{
    char a[32], b[32];
    const pmv_history_filter *w = j->window;
    double seconds = (double)(w->to_ns - w->from_ns) / 1e9;
    fputs("{\"db\": ", f);
    pmv_json_str(f, j->db);
    fprintf(f, ", \"from\": \"%s\", \"to\": \"%s\", \"from_ns\": %llu, \"to_ns\": %llu, \"window_s\": ",
            pmv_fmt_when(w->from_ns, a, sizeof a), pmv_fmt_when(w->to_ns, b, sizeof b),
            (unsigned long long)w->from_ns, (unsigned long long)w->to_ns);
    pmv_json_fixed(f, seconds);
    fprintf(f, ", \"runs\": %td, \"pid\": %u, \"process\": ", arrlen(j->hist->runs), (unsigned)j->hist->pid);
    pmv_json_str(f, j->hist->process);
    fputs(", \"series\": [", f);
    for (ptrdiff_t i = 0; i < arrlen(j->snap->series); i++) {
        pmv_win win;
        pmv_win_total(&j->snap->series[i], seconds, &win);
        fputs(i ? ",\n  " : "\n  ", f);
        pmv_series_json(f, &win, PMV_OUT_WINDOW | PMV_OUT_BUCKETS);
        pmv_win_clear(&win);
    }
    fputs(arrlen(j->snap->series) ? "\n]}\n" : "]}\n", f);
}

static void write_past_csv(FILE *f, const export_job *j)
{
    double seconds = (double)(j->window->to_ns - j->window->from_ns) / 1e9;
    pmv_series_csv_header(f, PMV_OUT_WINDOW);
    fputc('\n', f);
    for (ptrdiff_t i = 0; i < arrlen(j->snap->series); i++) {
        pmv_win win;
        pmv_win_total(&j->snap->series[i], seconds, &win);
        pmv_series_csv(f, &win, PMV_OUT_WINDOW);
        fputc('\n', f);
        pmv_win_clear(&win);
    }
}

static void write_job(FILE *f, const export_job *j)
{
    if (j->window) (j->csv ? write_past_csv : write_past_json)(f, j);
    else if (j->csv) write_csv(f, j->snap);
    else write_json(f, j->snap, j->pid, j->now);
}

static int write_out(const char *path, const export_job *job)
{
    if (!path || strcmp(path, "-") == 0) {
        write_job(stdout, job);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            pmv_error("export: writing standard output: %s", strerror(errno));
            return PMV_EXIT_USAGE;
        }
        return PMV_EXIT_OK;
    }
    char err[8192]; /* holds any path; pmv_error cuts the line to its own length */
    pmv_atomic_file af;
    FILE *f = pmv_atomic_open(&af, path, err, sizeof err);
    if (f) {
        write_job(f, job);
        if (pmv_atomic_commit(&af, err, sizeof err) == 0) return PMV_EXIT_OK;
    }
    pmv_error("export: %s", err);
    return PMV_EXIT_USAGE;
}

int pmv_cmd_export(int argc, char **argv)
{
    static const char *const formats[] = { "json", "csv", NULL };
    const char *out = NULL;
    int csv = 0;
    pmv_past past;
    pmv_past_init(&past);
    const pmv_option opts[] = {
        { PMV_OPT('f', "format", PMV_OPT_CHOICE, &csv, NULL, "output format (default json)"), .choices = formats },
        { PMV_OPT('o', "output", PMV_OPT_STRING, &out, "FILE",
          "write to FILE atomically (a new FILE.XXXXXX, then rename);\ndefault standard output") },
        PMV_PAST_OPTIONS(&past),
        { 0 }
    };
    const pmv_command cmd = { "export", "PID [SELECTOR...] [OPTIONS]", opts, about, after,
                              "       perfmon-view export --db FILE [--since AGE | --from T [--to T]] [SELECTOR...]\n", 1 };
    pmv_args args;
    int rc;
    if (!pmv_parse_options(&cmd, argc, argv, &args, &rc)) return rc;
    int from_db = pmv_past_wanted(&past);
    uint32_t pid = 0;
    if (from_db) rc = PMV_EXIT_OK;
    else if (args.n == 0) rc = pmv_command_error(&cmd, "missing PID");
    else rc = pmv_command_pid(&cmd, args.pos[0], &pid);
    int first_selector = from_db ? 0 : 1;
    pmv_selector pick;
    if (rc == PMV_EXIT_OK &&
        pmv_cmd_selector("export", (const char *const *)args.pos + first_selector, args.n - first_selector, &pick) != 0)
        rc = PMV_EXIT_USAGE;
    ptrdiff_t nselectors = args.n - first_selector;
    if (rc != PMV_EXIT_OK) {
        pmv_args_free(&args);
        return rc;
    }

    pmv_snapshot snap;
    pmv_history hist;
    pmv_history_filter window;
    export_job job = { .csv = csv, .now = realtime_s() };
    rc = pmv_past_or_live(&cmd, &past, &pid, &snap, &window, &hist);
    if (rc == PMV_EXIT_OK && from_db) {
        job.window = &window;
        job.hist = &hist;
        job.db = past.db;
    }
    job.pid = pid;
    if (rc != PMV_EXIT_OK) {
        pmv_selector_free(&pick);
        pmv_args_free(&args);
        return rc;
    }
    /* the snapshot keeps only the selected series: the writers stay as they are */
    const char **unmatched = NULL;
    pmv_selector_keep(&pick, &snap, &unmatched);
    pmv_report_unmatched(pid, unmatched, arrlen(unmatched));
    if (nselectors && arrlen(snap.series) == 0) {
        rc = PMV_EXIT_USAGE; /* nothing to export: no empty file that looks like a result */
    } else {
        pmv_snapshot_sort_by_name(&snap);
        job.snap = &snap;
        rc = write_out(out, &job);
    }
    arrfree(unmatched);
    pmv_selector_free(&pick);
    pmv_snapshot_free(&snap);
    pmv_history_free(&hist);
    pmv_args_free(&args);
    return rc;
}
