/* export.c - `perfmon-view export PID --format json|csv [-o FILE]`

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
#include "cmd/options.h"
#include "out/diag.h"
#include "out/json_write.h"
#include "base/hist.h"

static const char about[] =
    "Writes every series of the process in a machine-readable form.\n";
static const char after[] =
    "JSON: {\"pid\", \"process\", \"alive\", \"state\", \"dropped\", \"dropped_reasons\",\n"
    "       \"series\": [{\"name\", \"labels\", \"kind\", \"unit\", \"value\" (counters,\n"
    "       gauges) or \"count\", \"errors\", \"slow\", \"sum\", \"min\", \"max\", \"mean\",\n"
    "       \"p50\", \"p90\", \"p95\", \"p99\" (timers, distributions)}]}\n"
    "Timer values are nanoseconds. min/max/mean/percentiles are null when\n"
    "count is 0.\n"
    "CSV: name,labels,kind,unit,value,count,errors,slow,sum,min,max,mean,\n"
    "     p50,p90,p95,p99 - one row per series, fields that do not apply empty.\n"
    "\n"
    "exit status: 0 ok, 2 usage error, unreadable segment, or write failure\n";

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
    static const char *const formats[] = { "json", "csv", NULL };
    const char *out = NULL;
    int csv = 0;
    const pmv_option opts[] = {
        { PMV_OPT('f', "format", PMV_OPT_CHOICE, &csv, NULL, "output format (default json)"), .choices = formats },
        { PMV_OPT('o', "output", PMV_OPT_STRING, &out, "FILE",
          "write to FILE atomically (a new FILE.XXXXXX, then rename);\ndefault standard output") },
        { 0 }
    };
    const pmv_command cmd = { "export", "PID [OPTIONS]", opts, about, after, NULL, 1 };
    pmv_args args;
    int rc;
    if (!pmv_parse_options(&cmd, argc, argv, &args, &rc)) return rc;
    uint32_t pid;
    if (args.n == 0) rc = pmv_command_error(&cmd, "missing PID");
    else if (args.n > 1) rc = pmv_command_error(&cmd, "unexpected argument '%s'", args.pos[1]);
    else rc = pmv_command_pid(&cmd, args.pos[0], &pid);
    pmv_args_free(&args);
    if (rc != PMV_EXIT_OK) return rc;

    pmv_snapshot snap;
    char err[512];
    if (pmv_snapshot_pid(pid, &snap, err, sizeof err) != PMV_OK) {
        pmv_error("pid %u: %s", (unsigned)pid, err);
        return PMV_EXIT_USAGE;
    }
    pmv_snapshot_sort_by_name(&snap);
    rc = write_out(out, csv, &snap, pid);
    pmv_snapshot_free(&snap);
    return rc;
}
