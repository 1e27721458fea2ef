/* export.c - `perfmon-view export PID [SELECTOR...] --format json|csv [-o FILE]`

   The JSON and CSV shapes are a contract other programs parse: keys and
   columns may be added, never renamed or removed.

   JSON: {"pid", "process", "alive", "state" (alive|exited|crashed|exec'd|
          ended), "cmdline", "uptime_s",
          "start_realtime_ns", "end_realtime_ns", "dropped",
          "dropped_reasons": {...}, "flags": [fork_child|execed|alt_name|
          other_pid_namespace], "parent_pid", "writers", "segments",
          "overflow_threads", "last_heartbeat_realtime_ns", "exit_status"
          and "exit_signal" (a fork child's end as its parent saw it, else
          null), "config_errors": ["..."], "dropped_names": [{"name", "name_len",
          "reason"}], "threads_active", "threads_used", "damaged_series",
          "series": [...]}
   each series: "name" (base name, no labels), "full_name", "labels" {k: v},
   "kind" (counter|gauge|timer|distribution), "unit" ("ns", "bytes" or ""),
   then
     counters, gauges:        "value" (integer; gauges may be negative)
     timers, distributions:   "count", "errors", "slow", "sum", "min",
                              "max", "mean", "p50", "p90", "p95", "p99"
   Values are in the series' unit; timers are always in nanoseconds. When
   count is 0, min, max, mean and the percentiles are null (there is no
   value to report, and 0 would be a plausible-looking lie). Percentiles
   are histogram estimates (within 1%, clamped to min..max); mean and
   percentiles may be fractional. Strings are valid UTF-8: control
   characters are written as \u00XX and invalid bytes as \ufffd.

   CSV (RFC 4180 quoting, LF line ends): header row
     name,labels,kind,unit,value,count,errors,slow,sum,min,max,mean,p50,p90,p95,p99
   labels is the raw k="v",... text; fields that do not apply are empty. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <stb_ds.h>

#include "out/atomic_file.h"
#include "cmd/cli.h"
#include "cmd/select.h"
#include "out/diag.h"
#include "out/json_write.h"
#include "base/hist.h"

const char pmv_help_export[] =
    "usage: perfmon-view export PID [SELECTOR...] [--format json|csv] [-o FILE]\n"
    "\n"
    "Writes every series of the process (or those SELECTOR picks: see README.md,\n"
    "\"Selecting series\"; as in `stats`) in a machine-readable form.\n"
    "  --format json|csv   output format (default json)\n"
    "  -o, --output FILE   write to FILE atomically (a new FILE.XXXXXX, then rename);\n"
    "                      default standard output\n"
    "\n"
    "JSON: {\"pid\", \"process\", \"alive\", \"state\", \"dropped\", \"dropped_reasons\",\n"
    "       \"series\": [{\"name\", \"labels\", \"kind\", \"unit\", \"value\" (counters,\n"
    "       gauges) or \"count\", \"errors\", \"slow\", \"sum\", \"min\", \"max\", \"mean\",\n"
    "       \"p50\", \"p90\", \"p95\", \"p99\" (timers, distributions)}]}\n"
    "Timer values are nanoseconds. min/max/mean/percentiles are null when\n"
    "count is 0.\n"
    "CSV: name,labels,kind,unit,value,count,errors,slow,sum,min,max,mean,\n"
    "     p50,p90,p95,p99 - one row per series, fields that do not apply empty.\n"
    "\n"
    "exit status: 0 ok, 2 usage error, unreadable segment, write failure, or no\n"
    "series matched any SELECTOR\n";

/* ---- JSON */

/* The export's numbers: integers print as integers, fractions with up to
   3 decimals, NAN as null. */
static void export_num(FILE *f, double v)
{
    char buf[64];
    if (!isfinite(v)) { fputs("null", f); return; }
    snprintf(buf, sizeof buf, "%.3f", v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0') *end-- = '\0';
        if (end == dot) *end = '\0';
    }
    if (strcmp(buf, "-0") == 0) strcpy(buf, "0");
    fputs(buf, f);
}

static void json_u64(FILE *f, uint64_t v) { fprintf(f, "%llu", (unsigned long long)v); }

static const double quantiles[] = { 0.50, 0.90, 0.95, 0.99 };
static const char *const quantile_keys[] = { "p50", "p90", "p95", "p99" };

static void json_series(FILE *f, const pmv_series *s)
{
    fputs("{\"name\": ", f);
    pmv_json_str(f, s->base);
    fputs(", \"full_name\": ", f);
    pmv_json_str(f, s->name);
    fputs(", \"labels\": {", f);
    for (ptrdiff_t i = 0; i < arrlen(s->labels); i++) {
        if (i) fputs(", ", f);
        pmv_json_str(f, s->labels[i].key);
        fputs(": ", f);
        pmv_json_str(f, s->labels[i].value);
    }
    fprintf(f, "}, \"kind\": \"%s\", \"unit\": \"%s\"", pmv_kind_str(s->kind),
            pmv_unit_str(pmv_series_unit(s)));
    if (s->kind == PM_SHM_KIND_COUNTER) {
        fputs(", \"value\": ", f);
        json_u64(f, s->count);
    } else if (s->kind == PM_SHM_KIND_GAUGE) {
        fprintf(f, ", \"value\": %lld", (long long)s->gauge);
    } else {
        int have = s->count > 0;
        double nan = NAN;
        fputs(", \"count\": ", f); json_u64(f, s->count);
        fputs(", \"errors\": ", f); json_u64(f, s->errors);
        fputs(", \"slow\": ", f); json_u64(f, s->slow);
        fputs(", \"sum\": ", f); json_u64(f, s->sum);
        fputs(", \"min\": ", f); export_num(f, have ? (double)s->min : nan);
        fputs(", \"max\": ", f); export_num(f, have ? (double)s->max : nan);
        fputs(", \"mean\": ", f); export_num(f, pmv_mean(s->sum, s->count));
        for (int q = 0; q < 4; q++) {
            fprintf(f, ", \"%s\": ", quantile_keys[q]);
            export_num(f, have ? pmv_percentile(s->bins, (int)arrlen(s->bins), s->hist_total,
                                              quantiles[q], s->min, s->max) : nan);
        }
    }
    fputc('}', f);
}

static void write_json(FILE *f, const pmv_snapshot *snap, uint32_t pid)
{
    fprintf(f, "{\"pid\": %u, \"process\": ", (unsigned)pid);
    pmv_json_str(f, snap->process);
    fputs(", \"cmdline\": ", f);
    pmv_json_str(f, snap->cmdline);
    fprintf(f, ", \"alive\": %s, \"state\": \"%s\", \"uptime_s\": ",
            snap->alive ? "true" : "false", pmv_snapshot_status(snap));
    export_num(f, (double)pmv_snapshot_uptime_ns(snap) / 1e9);
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
    for (ptrdiff_t i = 0; i < arrlen(snap->series); i++) {
        fputs(i ? ",\n  " : "\n  ", f);
        json_series(f, &snap->series[i]);
    }
    fputs(arrlen(snap->series) ? "\n]}\n" : "]}\n", f);
}

/* ---- CSV */

static void csv_field(FILE *f, const char *s, int force_quote)
{
    if (!force_quote && !strpbrk(s, ",\"\r\n")) { fputs(s, f); return; }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v)) export_num(f, v); /* same number rules as JSON, empty for none */
}

static void csv_u64(FILE *f, uint64_t v) { fprintf(f, ",%llu", (unsigned long long)v); }

static void write_csv(FILE *f, const pmv_snapshot *snap)
{
    fputs("name,labels,kind,unit,value,count,errors,slow,sum,min,max,mean,p50,p90,p95,p99\n", f);
    for (ptrdiff_t i = 0; i < arrlen(snap->series); i++) {
        const pmv_series *s = &snap->series[i];
        csv_field(f, s->base, 0);
        fputc(',', f);
        csv_field(f, s->labels_raw, s->labels_raw[0] != '\0');
        fprintf(f, ",%s,%s", pmv_kind_str(s->kind), pmv_unit_str(pmv_series_unit(s)));
        if (s->kind == PM_SHM_KIND_COUNTER) {
            csv_u64(f, s->count);
            fputs(",,,,,,,,,,,", f);
        } else if (s->kind == PM_SHM_KIND_GAUGE) {
            fprintf(f, ",%lld,,,,,,,,,,,", (long long)s->gauge);
        } else {
            int have = s->count > 0;
            fputc(',', f); /* no value */
            csv_u64(f, s->count);
            csv_u64(f, s->errors);
            csv_u64(f, s->slow);
            csv_u64(f, s->sum);
            csv_num(f, have ? (double)s->min : NAN);
            csv_num(f, have ? (double)s->max : NAN);
            csv_num(f, pmv_mean(s->sum, s->count));
            for (int q = 0; q < 4; q++)
                csv_num(f, have ? pmv_percentile(s->bins, (int)arrlen(s->bins), s->hist_total,
                                                 quantiles[q], s->min, s->max) : NAN);
        }
        fputc('\n', f);
    }
}

/* ---- command */

static int write_out(const char *path, int csv, const pmv_snapshot *snap, uint32_t pid)
{
    if (!path || strcmp(path, "-") == 0) {
        if (csv) write_csv(stdout, snap);
        else write_json(stdout, snap, pid);
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
        if (csv) write_csv(f, snap);
        else write_json(f, snap, pid);
        if (pmv_atomic_commit(&af, err, sizeof err) == 0) return PMV_EXIT_OK;
    }
    pmv_error("export: %s", err);
    return PMV_EXIT_USAGE;
}

int pmv_cmd_export(int argc, char **argv)
{
    const char *pid_arg = NULL, *format = "json", *out = NULL;
    /* selector arguments are gathered at the front of argv: each lands on
       an argument already read, so nothing is allocated while parsing */
    char **selectors = argv + 1;
    ptrdiff_t nselectors = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (pmv_is_help(a)) {
            fputs(pmv_help_export, stdout);
            return PMV_EXIT_OK;
        }
        if (strcmp(a, "--format") == 0 || strcmp(a, "-f") == 0) {
            if (++i >= argc) return pmv_usage_error("export: %s needs json or csv", a);
            format = argv[i];
        } else if (strncmp(a, "--format=", 9) == 0) {
            format = a + 9;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (++i >= argc) return pmv_usage_error("export: %s needs a file name", a);
            out = argv[i];
        } else if (strncmp(a, "--output=", 9) == 0) {
            out = a + 9;
        } else if (a[0] == '-' && a[1] != '\0' && (pid_arg || a[1] < '0' || a[1] > '9')) {
            return pmv_usage_error("export: unknown option '%s'", a);
        } else if (!pid_arg) {
            pid_arg = a;
        } else {
            selectors[nselectors++] = argv[i];
        }
    }
    if (!pid_arg) return pmv_usage_error("export: missing PID");
    uint32_t pid;
    if (!pmv_parse_pid(pid_arg, &pid))
        return pmv_usage_error("export: bad PID '%s' (expected a positive decimal number)", pid_arg);
    int csv;
    if (strcmp(format, "json") == 0) csv = 0;
    else if (strcmp(format, "csv") == 0) csv = 1;
    else return pmv_usage_error("export: unknown format '%s' (json or csv)", format);
    if (out && !*out) return pmv_usage_error("export: empty output file name");

    pmv_selector pick;
    if (pmv_cmd_selector("export", (const char *const *)selectors, nselectors, &pick) != 0)
        return PMV_EXIT_USAGE;
    pmv_snapshot snap;
    char err[512];
    if (pmv_snapshot_pid(pid, &snap, err, sizeof err) != PMV_OK) {
        pmv_error("pid %u: %s", (unsigned)pid, err);
        pmv_selector_free(&pick);
        return PMV_EXIT_USAGE;
    }
    /* the snapshot keeps only the selected series: the writers stay as they are */
    const char **unmatched = NULL;
    pmv_selector_keep(&pick, &snap, &unmatched);
    pmv_report_unmatched(pid, unmatched, arrlen(unmatched));
    int rc;
    if (nselectors && arrlen(snap.series) == 0) {
        rc = PMV_EXIT_USAGE; /* nothing to export: no empty file that looks like a result */
    } else {
        pmv_snapshot_sort_by_name(&snap);
        rc = write_out(out, csv, &snap, pid);
    }
    arrfree(unmatched);
    pmv_selector_free(&pick);
    pmv_snapshot_free(&snap);
    return rc;
}
