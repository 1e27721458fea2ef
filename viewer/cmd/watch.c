/* watch.c - `perfmon-view watch PID`: window figures, one line per interval */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stb_ds.h>

#include "cmd/cli.h"
#include "cmd/options.h"
#include "cmd/select.h"
#include "read/live.h"
#include "model/window.h"
#include "base/units.h"
#include "out/json_write.h"
#include "out/series_out.h"

static const char about[] =
    "Prints the figures of every (or each selected) series over each interval,\n"
    "for scripts and plots. The first line comes one interval after the start.\n"
    "Stops after --count intervals, on Ctrl-C, or when the target exits (after\n"
    "one last line covering its final values). Output is flushed every interval.\n"
    "\n"
    "csv (the default): a header line, then one row per series per interval:\n"
    "  time,pid, then the series columns of export (name,labels,kind,unit,\n"
    "  value,count,errors,slow,sum,min,max,mean,p50,p90,p95,p99), then the\n"
    "  window's: window_s,rate,error_pct,slow_pct,total,reset\n"
    "json: one object per line per interval:\n"
    "  {\"time\", \"pid\", \"process\", \"status\", \"window_s\", \"series\": [...]}\n"
    "  each series as in export, plus \"window_s\", \"rate\", \"error_pct\",\n"
    "  \"slow_pct\", \"total\", \"reset\" (and \"count\" for counters)\n"
    "\n"
    "time is Unix seconds at the end of the window; window_s its length (for\n"
    "a target that had exited before watch started: its whole run);\n"
    "count, errors, slow and sum are the window's increases; rate = count /\n"
    "window_s; mean, min, max and p50..p99 are over the window (from\n"
    "histogram differences), in ns for timers and in the series' unit\n"
    "otherwise; value is a counter's or gauge's value now, total the records\n"
    "since start; reset says the counts restarted in the window. A figure\n"
    "that does not apply or has no records is empty (csv) or null (json).\n";
static const char after[] =
    "exit status: 0 ok (also when the target exited), 2 usage error, no\n"
    "readable segment, or no series matched any SELECTOR during the run\n";

static volatile sig_atomic_t watch_stop;
static void on_stop(int sig) { (void)sig; watch_stop = 1; }

/* The --series names, compiled once (pmv_cmd_watch) rather than on every
   line; watch_ever[k]: term k matched some series during the run. */
static pmv_selector watch_pick;
static int *watch_ever;

static int selected(const pmv_series *s, const char **names)
{
    (void)names; /* compiled into watch_pick */
    return pmv_selector_match(&watch_pick, s);
}

/* Notes which terms match a series of snap (series come and go). */
static void note_matches(const pmv_snapshot *snap)
{
    pmv_selection picked;
    pmv_selector_filter(&watch_pick, snap, &picked);
    for (ptrdiff_t k = 0; k < arrlen(picked.hits); k++)
        if (picked.hits[k]) watch_ever[k] = 1;
    pmv_selection_free(&picked);
}

/* Names the terms that never matched; PMV_EXIT_USAGE if none ever did. */
static int report_never_matched(uint32_t pid)
{
    int any = arrlen(watch_pick.terms) == 0;
    for (ptrdiff_t k = 0; k < arrlen(watch_pick.terms); k++) {
        if (watch_ever[k]) { any = 1; continue; }
        const char *text = watch_pick.terms[k].text;
        pmv_report_unmatched(pid, &text, 1);
    }
    return any ? PMV_EXIT_OK : PMV_EXIT_USAGE;
}

static void emit(FILE *f, const pmv_live *L, const pmv_win *wins, const char **names, int json, double ws)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char t[64];
    pmv_fmt_fixed((double)now.tv_sec + (double)(now.tv_nsec / 1000000) / 1e3, t, sizeof t);
    if (json) {
        fprintf(f, "{\"time\": %s, \"pid\": %u, \"process\": ", t, (unsigned)L->pid);
        pmv_json_str(f, L->cur.process);
        char w[64];
        fprintf(f, ", \"status\": \"%s\", \"window_s\": %s, \"series\": [", pmv_snapshot_status(&L->cur),
                pmv_fmt_fixed(ws, w, sizeof w));
    }
    int first = 1;
    for (ptrdiff_t i = 0; i < arrlen(wins); i++) {
        const pmv_win *w = &wins[i];
        if (!selected(w->s, names)) continue;
        if (json) {
            if (!first) fputs(", ", f);
            pmv_series_json(f, w, PMV_OUT_WINDOW);
        } else {
            fprintf(f, "%s,%u,", t, (unsigned)L->pid);
            pmv_series_csv(f, w, PMV_OUT_WINDOW);
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
        { PMV_OPT(0, "series", PMV_OPT_SPLIT, &series_at, "SELECTOR...",
          "only the series these pick (the rest of the arguments):\nas in `stats` (README.md, \"Selecting series\")") },
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
        rc = pmv_command_error(&cmd, "--series needs selectors");
    pmv_args_free(&args);
    if (rc != PMV_EXIT_OK) {
        arrfree(names);
        return rc;
    }

    if (pmv_cmd_selector("watch", names, arrlen(names), &watch_pick) != 0) {
        arrfree(names);
        return PMV_EXIT_USAGE;
    }
    watch_ever = calloc((size_t)arrlen(names) + 1, sizeof *watch_ever);
    if (!watch_ever) abort();
    pmv_live L;
    char err[512];
    if (pmv_live_open(&L, pid, err, sizeof err) != PMV_OK) {
        pmv_error("pid %u: %s", (unsigned)pid, err);
        pmv_selector_free(&watch_pick);
        free(watch_ever);
        arrfree(names);
        return PMV_EXIT_USAGE;
    }
    note_matches(&L.cur);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!json) {
        fputs("time,pid,", stdout);
        pmv_series_csv_header(stdout, PMV_OUT_WINDOW);
        fputc('\n', stdout);
    }
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
        note_matches(&L.cur);
        emit(stdout, &L, wins, names, json, ws);
        if (ferror(stdout)) break; /* reader went away */
        if (L.ended) break;
    }
    if (rc == PMV_EXIT_OK) rc = report_never_matched(pid);
    pmv_windows_free(&wins);
    pmv_live_close(&L);
    pmv_selector_free(&watch_pick);
    free(watch_ever);
    arrfree(names);
    return rc;
}
