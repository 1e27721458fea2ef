/* watch.c - `perfmon-view watch PID`: window figures, one line per interval */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stb_ds.h>

#include "cmd/cli.h"
#include "cmd/options.h"
#include "read/live.h"
#include "model/window.h"

static const char about[] =
    "Prints the figures of every (or each selected) series over each interval,\n"
    "for scripts and plots. The first line comes one interval after the start.\n"
    "Stops after --count intervals, on Ctrl-C, or when the target exits (after\n"
    "one last line covering its final values). Output is flushed every interval.\n"
    "\n"
    "csv (the default): a header line, then one row per series per interval:\n"
    "  time,pid,name,kind,unit,window_s,count,rate,errors,error_pct,slow,\n"
    "  sum,mean,p50,p90,p95,p99,max,value,total\n"
    "json: one object per line per interval:\n"
    "  {\"time\":..,\"pid\":..,\"process\":..,\"status\":..,\"window_s\":..,\n"
    "   \"series\":[{\"name\":..,\"kind\":..,\"unit\":..,\"count\":..,\"rate\":..,...}]}\n"
    "\n"
    "time is Unix seconds at the end of the window; window_s its length (for\n"
    "a target that had exited before watch started: its whole run);\n"
    "count, errors, slow and sum are the window's increases; rate = count /\n"
    "window_s; mean, p50..p99 and max are over the window (from histogram\n"
    "differences), in ns for timers and in the series' unit otherwise;\n"
    "value is a counter's or gauge's value now, total the records since start.\n"
    "A figure that does not apply or has no records is empty (csv) or null\n"
    "(json).\n";
static const char after[] =
    "exit status: 0 ok (also when the target exited), 2 usage error, no\n"
    "readable segment, or no series matched any --series NAME (checked at\n"
    "the first window)\n";

static volatile sig_atomic_t watch_stop;
static void on_stop(int sig) { (void)sig; watch_stop = 1; }

static int selected(const pmv_series *s, const char **names)
{
    if (arrlen(names) == 0) return 1;
    for (ptrdiff_t i = 0; i < arrlen(names); i++) {
        const char *p = names[i];
        if (strcmp(s->name, p) == 0 || strcmp(s->base, p) == 0 ||
            fnmatch(p, s->name, 0) == 0 || fnmatch(p, s->base, 0) == 0)
            return 1;
    }
    return 0;
}

static const char *kind_name(int kind)
{
    return kind == PM_SHM_KIND_DISTRIBUTION ? "distribution" : pmv_kind_str(kind);
}

static const char *unit_name(const pmv_series *s)
{
    int u = pmv_series_unit(s);
    return u == PM_SHM_UNIT_NANOSECONDS ? "ns" : u == PM_SHM_UNIT_BYTES ? "bytes" : "";
}

/* a number, or nothing/null when NAN */
static void num(FILE *f, double v, int json)
{
    if (isnan(v) || isinf(v)) fputs(json ? "null" : "", f);
    else if ((v == floor(v) || fabs(v) >= 1000) && fabs(v) < 1e18) fprintf(f, "%.0f", v);
    else fprintf(f, "%.6g", v);
}

static void csv_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"') fputs("\"\"", f);
        else fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
    }
    fputc('"', f);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

/* figures of one window, in column order after window_s */
static void figures(FILE *f, const pmv_win *w, int json)
{
    const pmv_series *s = w->s;
    int timer = s->kind == PM_SHM_KIND_TIMER, timed = timer || s->kind == PM_SHM_KIND_DISTRIBUTION;
    int gauge = s->kind == PM_SHM_KIND_GAUGE;
    struct { const char *key; double v; } fs[] = {
        { "count", gauge ? NAN : (double)w->count },
        { "rate", gauge ? NAN : w->rate },
        { "errors", timer ? (double)w->errors : NAN },
        { "error_pct", timer ? w->err_pct : NAN },
        { "slow", timer ? (double)w->slow : NAN },
        { "sum", timed ? (double)w->sum : NAN },
        { "mean", w->mean }, { "p50", w->p50 }, { "p90", w->p90 }, { "p95", w->p95 },
        { "p99", w->p99 }, { "max", w->max },
        { "value", gauge ? (double)s->gauge : s->kind == PM_SHM_KIND_COUNTER ? (double)s->count : NAN },
        { "total", gauge ? NAN : (double)s->count },
    };
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        if (json) fprintf(f, ",\"%s\":", fs[i].key);
        else fputc(',', f);
        num(f, fs[i].v, json);
    }
}

static void emit(FILE *f, const pmv_live *L, const pmv_win *wins, const char **names, int json, double ws)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    if (json) {
        fprintf(f, "{\"time\":%.3f,\"pid\":%u,\"process\":", t, (unsigned)L->pid);
        json_str(f, L->cur.process);
        fprintf(f, ",\"status\":\"%s\",\"window_s\":%.6f,\"series\":[", pmv_snapshot_status(&L->cur), ws);
    }
    int first = 1;
    for (ptrdiff_t i = 0; i < arrlen(wins); i++) {
        const pmv_win *w = &wins[i];
        if (!selected(w->s, names)) continue;
        if (json) {
            fputs(first ? "{\"name\":" : ",{\"name\":", f);
            json_str(f, w->s->name);
            fprintf(f, ",\"kind\":\"%s\",\"unit\":\"%s\"", kind_name(w->s->kind), unit_name(w->s));
            figures(f, w, 1);
            fputc('}', f);
        } else {
            fprintf(f, "%.3f,%u,", t, (unsigned)L->pid);
            csv_str(f, w->s->name);
            fprintf(f, ",%s,%s,%.6f", kind_name(w->s->kind), unit_name(w->s), ws);
            figures(f, w, 0);
            fputc('\n', f);
        }
        first = 0;
    }
    if (json) fputs("]}\n", f);
    fflush(f);
}

static int cmp_win_name(const void *a, const void *b)
{
    return strcmp(((const pmv_win *)a)->s->name, ((const pmv_win *)b)->s->name);
}

/* Sleeps until the monotonic time `until`, or a stop signal. */
static void sleep_until(double until)
{
    while (!watch_stop) {
        double left = until - pmv_mono_s();
        if (left <= 0) return;
        struct timespec ts = { (time_t)left, (long)((left - floor(left)) * 1e9) };
        if (nanosleep(&ts, NULL) != 0 && errno != EINTR) return;
    }
}

int pmv_cmd_watch(int argc, char **argv)
{
    static const char *const formats[] = { "csv", "json", NULL };
    double interval = 1.0;
    long count = -1;
    int json = 0, series_at = -1;
    const pmv_option opts[] = {
        { PMV_OPT('i', "interval", PMV_OPT_DURATION, &interval, "S", "seconds per window (default 1; fractions ok)"),
          .min = 0.01, .max = 86400 },
        { PMV_OPT('n', "count", PMV_OPT_INT, &count, "N", "stop after N windows"), .min = 1, .max = 1e18 },
        { PMV_OPT('f', "format", PMV_OPT_CHOICE, &json, NULL, "csv (default) or json"), .choices = formats },
        { PMV_OPT(0, "series", PMV_OPT_SPLIT, &series_at, "NAME...",
          "only these: full name, base name or glob (the rest\nof the arguments)") },
        { 0 }
    };
    const pmv_command cmd = { "watch", "PID [OPTIONS]", opts, about, after, NULL, 1 };
    pmv_args args;
    int rc;
    if (!pmv_parse_options(&cmd, argc, argv, &args, &rc)) return rc;
    /* before --series: the PID; after it: NAMEs */
    int n_before = series_at >= 0 ? series_at : args.n;
    uint32_t pid;
    const char **names = NULL;
    for (int i = n_before; i < args.n; i++) arrput(names, args.pos[i]);
    if (n_before == 0) rc = pmv_command_error(&cmd, "missing PID");
    else if (n_before > 1)
        rc = pmv_command_error(&cmd, "unexpected argument '%s' (series go after --series)", args.pos[1]);
    else rc = pmv_command_pid(&cmd, args.pos[0], &pid);
    if (rc == PMV_EXIT_OK && series_at >= 0 && arrlen(names) == 0)
        rc = pmv_command_error(&cmd, "--series needs names");
    pmv_args_free(&args);
    if (rc != PMV_EXIT_OK) {
        arrfree(names);
        return rc;
    }

    pmv_live L;
    char err[512];
    if (pmv_live_open(&L, pid, err, sizeof err) != PMV_OK) {
        pmv_error("pid %u: %s", (unsigned)pid, err);
        arrfree(names);
        return PMV_EXIT_USAGE;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!json) fputs("time,pid,name,kind,unit,window_s,count,rate,errors,error_pct,slow,"
                     "sum,mean,p50,p90,p95,p99,max,value,total\n", stdout);
    fflush(stdout);
    pmv_win *wins = NULL;
    double next = L.t_cur + interval;
    for (long n = 0; (count < 0 || n < count) && !watch_stop; n++) {
        if (!L.ended) sleep_until(next);
        if (watch_stop) break;
        next += interval;
        int was_ended = L.ended;
        if (pmv_live_step(&L, err, sizeof err) != PMV_OK) {
            pmv_error("pid %u: %s", (unsigned)pid, err);
            rc = PMV_EXIT_USAGE;
            break;
        }
        if (was_ended && n > 0) break;  /* its last line is out */
        /* no earlier snapshot (the target had already exited): the one
           window there is runs from its start, and says so */
        double ws = L.have_prev ? pmv_live_window_s(&L) : (double)pmv_snapshot_uptime_ns(&L.cur) / 1e9;
        if (L.have_prev) pmv_windows(&L.prev, &L.cur, ws, &wins);
        else pmv_windows_total(&L.cur, &wins);
        if (arrlen(wins) > 1) qsort(wins, (size_t)arrlen(wins), sizeof *wins, cmp_win_name);
        if (n == 0 && (rc = pmv_check_names(pid, &L.cur, names, (int)arrlen(names))) != PMV_EXIT_OK) break;
        emit(stdout, &L, wins, names, json, ws);
        if (ferror(stdout)) break; /* reader went away */
        if (L.ended) break;
    }
    pmv_windows_free(&wins);
    pmv_live_close(&L);
    arrfree(names);
    return rc;
}
