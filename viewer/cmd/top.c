/* top.c - `perfmon-view [top] PID`: the live dashboard */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stb_ds.h>

#include "cmd/cli.h"
#include "cmd/options.h"
#include "cmd/past.h"
#include "base/when.h"
#include "cmd/select.h"
#include "out/diag.h"
#include "model/derived.h"
#include "read/live.h"
#include "out/screen.h"
#include "out/sparkline.h"
#include "out/sys_lines.h"
#include "out/term.h"
#include "base/units.h"
#include "model/window.h"

static const char about[] =
    "A live full-screen view of one instrumented process, like top. The\n"
    "header shows the process (name, pid, uptime, alive or exited), its\n"
    "resources from /proc/PID (CPU % user and system, RSS, peak RSS, VMS,\n"
    "threads, open fds, bytes read and written per second through\n"
    "read()/write() and kin) and the machine: CPU in all and per core, memory,\n"
    "swap, load, the fullest filesystems, disk and network bytes per second,\n"
    "GPUs when NVML is there (README \"System figures\"); a field /proc does\n"
    "not give shows '-'. Then one row per series:\n"
    "  RATE/s   records (counters: increase) per second over the last window\n"
    "  HISTORY  the last windows' RATE/s (gauges: value) as a sparkline\n"
    "  T        trend of HISTORY: up, down or steady (last vs the 5 before)\n"
    "  COUNT    records since start (counters, gauges: the value now)\n"
    "  ERR%     errors / records, SLOW: slow records (timers)\n"
    "  MEAN P50 P95 P99 MAX   over the window (from histogram differences)\n"
    "  TIME     time spent in the series over the window\n"
    "Counters named P.hit and P.miss (or P.hits and P.misses, same labels)\n"
    "give a hit-rate line for P. Columns that do not fit the terminal are\n"
    "left out, least important first.\n"
    "\n"
    "keys:\n"
    "  q            quit (also Ctrl-C)\n"
    "  p            pause / resume sampling\n"
    "  s, S         next / previous sort: name, rate, p95, total time, errors\n"
    "  w            window figures <-> since-start figures\n"
    "  /            filter by substring (Enter keeps it, Esc clears it)\n"
    "  up, down, PgUp, PgDn, Home, End   scroll\n"
    "  ?            help\n"
    "\n"
    "SELECTOR picks series as in `stats`: full name, base name, glob or partial\n"
    "label set (README.md, \"Selecting series\"); with --once, one that matches\n"
    "nothing is named on stderr, and none matching anything is exit status 2.\n"
    "When the target exits the view stays, marked exited, with the final\n"
    "values; if its segment is removed while it runs, the view ends with a\n"
    "message (exit status 2). With --once, NAMEs that select nothing are an\n"
    "input error (exit status 2), as in `stats`.\n"
    "\n"
    "With --db (and --since, --from, --to, --pid, --name, --run) the table is\n"
    "printed once for a window of the history `record` keeps: RATE over the\n"
    "window, COUNT and the rest what happened in it (README \"History\").\n";

#define HIST_N 60
#define SPARK_W 16
#define TREND_LOOKBACK 5

typedef struct ring { double v[HIST_N]; int n; } ring;
typedef struct hist_entry { char *key; ring value; } hist_entry;

enum { SORT_NAME, SORT_RATE, SORT_P95, SORT_TIME, SORT_ERRORS, SORT_N };
static const char *const sort_names[SORT_N] = { "name", "rate", "p95", "total time", "errors" };

typedef struct top {
    pmv_live L;
    pmv_sys sys_prev, sys_cur;   /* the machine at the last two steps */
    int have_sys_prev;
    pmv_win *win, *tot;
    hist_entry *hist;
    const char **names;
    pmv_selector pick;       /* names, compiled */
    double interval;
    int tty, color, rows, cols;
    int total_mode, paused, sort, help, editing, scroll;
    char filter[128];
    pmv_screen scr;
    const pmv_history_filter *past;   /* set: a window of the history, printed once */
    const pmv_history *past_runs;
} top;

/* ---- formatting */

static char *fmt_val(const pmv_series *s, double v, char *buf, size_t len)
{
    if (isnan(v)) return strcpy(buf, "-");
    if (v < 0) {
        char m[40];
        fmt_val(s, -v, m, sizeof m);
        snprintf(buf, len, "-%s", m);
        return buf;
    }
    switch (pmv_series_unit(s)) {
    case PM_SHM_UNIT_NANOSECONDS: return pmv_fmt_duration(v, buf, len);
    case PM_SHM_UNIT_BYTES: return pmv_fmt_bytes(v, buf, len);
    default: return pmv_fmt_count(v, buf, len);
    }
}

static char *fmt_pct(double v, char *buf, size_t len)
{
    if (isnan(v)) snprintf(buf, len, "-");
    else snprintf(buf, len, "%.1f%%", v);
    return buf;
}

static char *fmt_bytes_or_dash(double v, char *buf, size_t len)
{
    return isnan(v) ? strcpy(buf, "-") : pmv_fmt_bytes(v, buf, len);
}

/* Names come from an untrusted segment: controls and invalid UTF-8 as '?'. */
static char *safe_name(const char *s, char *buf, size_t len)
{
    return pmv_printable(s, buf, len);
}

/* ---- selection and order */

static int name_selected(const top *T, const pmv_series *s)
{
    if (!pmv_selector_match(&T->pick, s)) return 0;
    return T->filter[0] == '\0' || strcasestr(s->name, T->filter) != NULL;
}

static const pmv_win *sort_wins;
static int sort_key;

static double sort_value(const pmv_win *w)
{
    switch (sort_key) {
    case SORT_RATE: return w->s->kind == PM_SHM_KIND_GAUGE || isnan(w->rate) ? -1 : w->rate;
    case SORT_P95: return isnan(w->p95) ? -1 : w->p95;
    case SORT_TIME: return w->s->kind == PM_SHM_KIND_TIMER ? (double)w->sum : -1;
    case SORT_ERRORS:
        return w->s->kind == PM_SHM_KIND_TIMER ? (double)w->errors + (isnan(w->err_pct) ? 0 : w->err_pct / 1000) : -1;
    default: return 0;
    }
}

static int cmp_rows(const void *a, const void *b)
{
    const pmv_win *x = &sort_wins[*(const int *)a], *y = &sort_wins[*(const int *)b];
    if (sort_key != SORT_NAME) {
        double vx = sort_value(x), vy = sort_value(y);
        if (vx != vy) return vx < vy ? 1 : -1;
    }
    return strcmp(x->s->name, y->s->name);
}

/* ---- history */

static void push_history(top *T)
{
    for (ptrdiff_t i = 0; i < arrlen(T->win); i++) {
        const pmv_win *w = &T->win[i];
        double v = w->s->kind == PM_SHM_KIND_GAUGE ? (double)w->gauge : w->rate;
        hist_entry *e = shgetp_null(T->hist, w->s->name);
        if (!e) {
            ring r;
            memset(&r, 0, sizeof r);
            shput(T->hist, w->s->name, r);
            e = shgetp_null(T->hist, w->s->name);
        }
        if (e->value.n == HIST_N) {
            memmove(e->value.v, e->value.v + 1, (HIST_N - 1) * sizeof(double));
            e->value.n--;
        }
        e->value.v[e->value.n++] = v;
    }
}

/* ---- the frame */

enum { C_NAME, C_RATE, C_SPARK, C_TREND, C_COUNT, C_ERR, C_SLOW, C_MEAN, C_P50, C_P95, C_P99, C_MAX, C_TIME, C_N };
static const struct { const char *head; int w, prio; char align; } cols[C_N] = {
    { "NAME", 0, 0, 'l' },   { "RATE/s", 8, 1, 'r' }, { "HISTORY", SPARK_W, 10, 'l' },
    { "T", 1, 9, 'l' },      { "COUNT", 7, 2, 'r' },  { "ERR%", 6, 3, 'r' },
    { "SLOW", 5, 11, 'r' },  { "MEAN", 7, 7, 'r' },   { "P50", 7, 5, 'r' },
    { "P95", 7, 4, 'r' },    { "P99", 7, 6, 'r' },    { "MAX", 7, 8, 'r' },
    { "TIME", 7, 12, 'r' },
};

/* Chooses the columns that fit: on[c] set; returns the NAME width. */
static int layout(const top *T, int longest, int on[C_N])
{
    int width = T->cols > 0 ? T->cols : 100000;
    int name_min = longest < 24 ? (longest < 4 ? 4 : longest) : 24;
    if (T->cols > 0 && name_min > width / 3) name_min = width / 3 > 4 ? width / 3 : 4;
    int used = name_min;
    memset(on, 0, C_N * sizeof on[0]);
    on[C_NAME] = 1;
    for (int prio = 1; prio <= 12; prio++)
        for (int c = 1; c < C_N; c++) {
            if (cols[c].prio != prio) continue;
            if (!T->tty && (c == C_SPARK || c == C_TREND)) continue; /* no history in one shot */
            if (used + 1 + cols[c].w <= width) {
                on[c] = 1;
                used += 1 + cols[c].w;
            }
        }
    int name_w = name_min + (width - used);
    if (name_w > longest) name_w = longest < 4 ? 4 : longest;
    return name_w;
}

/* One line of what the writer refused and could not use, when it did. */
static void put_writer_notes(pmv_screen *S, const pmv_snapshot *cur)
{
    if (!cur->ndrops && !cur->config_errors[0] && !cur->overflow_threads) return;
    char esc[4 * PM_SHM_DROP_NAME_MAX];
    pmv_scr_sgr(S, "33");
    if (cur->config_errors[0]) pmv_scr_put(S, "writer warnings (see stats)  ");
    if (cur->overflow_threads)
        pmv_scr_printf(S, "%llu threads in the shared slot  ", (unsigned long long)cur->overflow_threads);
    if (cur->ndrops) pmv_scr_put(S, "dropped:");
    for (uint32_t i = cur->ndrops; i-- > 0;) {        /* newest first */
        const pmv_drop_note *d = &cur->drops[i];
        pmv_scr_printf(S, " \"%s\" (%s)", pmv_escape(d->name, esc, sizeof esc), pmv_drop_reason_str(d->reason));
    }
    pmv_scr_sgr(S, "0");
    pmv_scr_eol(S);
}

/* The header of a window of the history: which runs, which window. */
static void put_past_header(top *T)
{
    pmv_screen *S = &T->scr;
    char pname[PM_SHM_PROCESS_MAX], a[32], b[32], len[32];
    pmv_scr_sgr(S, "1");
    pmv_scr_put(S, safe_name(T->past_runs->process[0] ? T->past_runs->process : "?", pname, sizeof pname));
    pmv_scr_sgr(S, "0");
    pmv_scr_printf(S, " pid %u  %td run%s  %s .. %s (%s)  %td series  figures of the window", (unsigned)T->past_runs->pid,
                   arrlen(T->past_runs->runs), arrlen(T->past_runs->runs) == 1 ? "" : "s", pmv_fmt_when(T->past->from_ns, a, sizeof a),
                   pmv_fmt_when(T->past->to_ns, b, sizeof b),
                   pmv_fmt_age(T->past->to_ns - T->past->from_ns, len, sizeof len), arrlen(T->L.cur.series));
    pmv_scr_eol(S);
}

static void put_header(top *T, const pmv_win *wins)
{
    pmv_screen *S = &T->scr;
    const pmv_snapshot *cur = &T->L.cur;
    if (T->past) {
        put_past_header(T);
        return;
    }
    char pname[PM_SHM_PROCESS_MAX], up[32], a[48], b[48], c[48], d[48];
    pmv_scr_sgr(S, "1");
    pmv_scr_put(S, safe_name(cur->process[0] ? cur->process : "?", pname, sizeof pname));
    pmv_scr_sgr(S, "0");
    pmv_scr_printf(S, " pid %u  ", (unsigned)T->L.pid);
    const char *st = pmv_snapshot_status(cur);
    if (!T->L.ended) { pmv_scr_sgr(S, "1;32"); pmv_scr_put(S, "ALIVE"); }
    else {
        char seen[64];
        pmv_end_detail(cur, seen, sizeof seen);
        pmv_scr_sgr(S, "1;31");
        const char *what = strcmp(st, "crashed") == 0 ? "EXITED (crashed or killed"
                         : strcmp(st, "exec'd") == 0 ? "EXEC'D (this is the image before exec()"
                         : strcmp(st, "ended") == 0 ? "ENDED" : "EXITED";
        int bare = strchr(what, '(') == NULL;
        pmv_scr_put(S, what);
        if (!bare) pmv_scr_printf(S, "%s%s)", seen[0] ? ", " : "", seen);
        else if (seen[0]) pmv_scr_printf(S, " (%s)", seen);
    }
    pmv_scr_sgr(S, "0");
    pmv_scr_printf(S, "  up %s  %td series  threads %u/%u",
                   pmv_fmt_age(pmv_snapshot_uptime_ns(cur), up, sizeof up), arrlen(cur->series),
                   (unsigned)cur->threads_active, (unsigned)cur->threads_used);
    if (cur->dropped || cur->series_damaged) pmv_scr_sgr(S, "31");
    pmv_scr_printf(S, "  dropped %llu", (unsigned long long)cur->dropped);
    if (cur->series_damaged) pmv_scr_printf(S, "  damaged %u", (unsigned)cur->series_damaged);
    pmv_scr_sgr(S, "0");
    if (!T->tty) pmv_scr_put(S, "  figures since start");
    else if (T->total_mode || !T->L.have_prev) pmv_scr_put(S, "  [since start]");
    else pmv_scr_printf(S, "  [window %.2gs]", pmv_live_window_s(&T->L));
    if (T->tty) pmv_scr_printf(S, "  sort %s", sort_names[T->sort]);
    if (T->paused) { pmv_scr_sgr(S, "1;33"); pmv_scr_put(S, "  PAUSED"); pmv_scr_sgr(S, "0"); }
    pmv_scr_eol(S);
    put_writer_notes(S, cur);

    /* the target's resources */
    const pmv_proc *p = &T->L.proc_cur;
    pmv_proc_rates r;
    if (T->tty && T->L.have_proc_prev && T->L.proc_prev.exists) pmv_proc_rates_between(&T->L.proc_prev, p, &r);
    else pmv_proc_rates_since_start(p, &r);
    pmv_scr_sgr(S, "1");
    pmv_scr_put(S, "process");
    pmv_scr_sgr(S, "0");
    if (!p->exists || p->state == 'Z') {
        pmv_scr_put(S, "  cpu -  rss -  peak -  vms -  threads -  fds -  read -  write -");
    } else {
        char th[24], fd[24], e[48], f[48], g[48];
        snprintf(th, sizeof th, p->threads >= 0 ? "%ld" : "-", p->threads);
        snprintf(fd, sizeof fd, p->fds >= 0 ? "%ld" : "-", p->fds);
        pmv_scr_printf(S, "  cpu %s (user %s sys %s)  rss %s  peak %s  vms %s  threads %s  fds %s",
                       fmt_pct(r.cpu_pct, a, sizeof a), fmt_pct(r.user_pct, b, sizeof b),
                       fmt_pct(r.sys_pct, c, sizeof c), fmt_bytes_or_dash(p->rss, d, sizeof d),
                       fmt_bytes_or_dash(p->hwm, e, sizeof e), fmt_bytes_or_dash(p->vms, f, sizeof f), th, fd);
        pmv_scr_printf(S, "  read %s%s  write %s%s", fmt_bytes_or_dash(r.rchar_ps, g, sizeof g),
                       isnan(r.rchar_ps) ? "" : "/s", fmt_bytes_or_dash(r.wchar_ps, a, sizeof a),
                       isnan(r.wchar_ps) ? "" : "/s");
    }
    pmv_scr_eol(S);

    /* the machine: rates over the dashboard's window, or none for one snapshot */
    pmv_sys_lines(S, T->tty && T->have_sys_prev ? &T->sys_prev : NULL, &T->sys_cur);

    /* derived hit rates */
    pmv_ratio *ratios = pmv_find_ratios(wins, arrlen(wins));
    if (arrlen(ratios)) {
        pmv_scr_sgr(S, "1");
        pmv_scr_put(S, "hit rate");
        pmv_scr_sgr(S, "0");
        for (ptrdiff_t i = 0; i < arrlen(ratios); i++) {
            char nm[sizeof ratios[i].name];
            pmv_scr_printf(S, "  %s %s", safe_name(ratios[i].name, nm, sizeof nm),
                           fmt_pct(T->total_mode || !T->tty ? ratios[i].total_pct : ratios[i].window_pct, a, sizeof a));
            if (T->tty && !T->total_mode) pmv_scr_printf(S, " (all %s)", fmt_pct(ratios[i].total_pct, b, sizeof b));
        }
        pmv_scr_eol(S);
    }
    arrfree(ratios);
}

static void put_row(top *T, const pmv_win *w, const int on[C_N], int name_w)
{
    pmv_screen *S = &T->scr;
    const pmv_series *s = w->s;
    char cell[C_N][PM_SHM_NAME_MAX];
    for (int c = 0; c < C_N; c++) strcpy(cell[c], "-");
    char full[PM_SHM_NAME_MAX];
    safe_name(s->name, full, sizeof full);
    if (T->tty && name_w >= 8 && pmv_display_width(full) > name_w) {
        /* keep both ends: label sets differ at the end, names at the start */
        int tail = (name_w - 1) / 2, head = name_w - 1 - tail;
        snprintf(cell[C_NAME], sizeof cell[C_NAME], "%.*s~%s", (int)pmv_head_bytes(full, head), full,
                 pmv_tail(full, tail));
    } else {
        snprintf(cell[C_NAME], sizeof cell[C_NAME], "%s", full);
    }
    int timed = s->kind == PM_SHM_KIND_TIMER || s->kind == PM_SHM_KIND_DISTRIBUTION;
    if (s->kind != PM_SHM_KIND_GAUGE && !isnan(w->rate)) pmv_fmt_count(w->rate, cell[C_RATE], sizeof cell[0]);
    if (s->kind == PM_SHM_KIND_GAUGE) fmt_val(s, (double)s->gauge, cell[C_COUNT], sizeof cell[0]);
    else if (s->kind == PM_SHM_KIND_COUNTER) pmv_fmt_count((double)s->count, cell[C_COUNT], sizeof cell[0]);
    else pmv_fmt_count((double)s->count, cell[C_COUNT], sizeof cell[0]);
    if (s->kind == PM_SHM_KIND_TIMER) {
        fmt_pct(w->err_pct, cell[C_ERR], sizeof cell[0]);
        pmv_fmt_count((double)w->slow, cell[C_SLOW], sizeof cell[0]);
        fmt_val(s, (double)w->sum, cell[C_TIME], sizeof cell[0]);
    }
    if (timed) {
        fmt_val(s, w->mean, cell[C_MEAN], sizeof cell[0]);
        fmt_val(s, w->p50, cell[C_P50], sizeof cell[0]);
        fmt_val(s, w->p95, cell[C_P95], sizeof cell[0]);
        fmt_val(s, w->p99, cell[C_P99], sizeof cell[0]);
        fmt_val(s, w->max, cell[C_MAX], sizeof cell[0]);
    }
    const hist_entry *e = T->tty ? shgetp_null(T->hist, s->name) : NULL;
    int trend = 2;
    if (e) {
        pmv_sparkline(e->value.v, e->value.n, SPARK_W, cell[C_SPARK], sizeof cell[C_SPARK]);
        trend = pmv_trend(e->value.v, e->value.n, TREND_LOOKBACK);
    } else {
        cell[C_SPARK][0] = '\0';
    }
    snprintf(cell[C_TREND], sizeof cell[0], "%s", e && e->value.n > 1 ? pmv_trend_glyph(trend) : " ");

    for (int c = 0; c < C_N; c++) {
        if (!on[c]) continue;
        if (c) pmv_scr_put(S, " ");
        int w_c = c == C_NAME ? name_w : cols[c].w;
        const char *attr = NULL;
        if (c == C_ERR && w->errors > 0 && s->kind == PM_SHM_KIND_TIMER) attr = "31";
        if (c == C_SLOW && w->slow > 0 && s->kind == PM_SHM_KIND_TIMER) attr = "33";
        if (c == C_SPARK) attr = "36";
        if (attr) pmv_scr_sgr(S, attr);
        if (c == C_NAME && !T->tty && c == C_N - 1) pmv_scr_put(S, cell[c]);
        else pmv_scr_cell(S, cell[c], w_c, cols[c].align);
        if (attr) pmv_scr_sgr(S, "0");
    }
    pmv_scr_eol(S);
}

static const char *const help_lines[] = {
    "perfmon-view live dashboard - keys",
    "",
    "  q          quit (also Ctrl-C)",
    "  p          pause / resume sampling",
    "  s  S       next / previous sort: name, rate, p95, total time, errors",
    "  w          window figures <-> since-start figures",
    "  /          filter series by substring; Enter keeps it, Esc clears it",
    "  up down PgUp PgDn Home End   scroll",
    "  ?          this help (any key closes it)",
    "",
    "RATE/s: records per second over the window (counters: increase)",
    "HISTORY: the last windows' RATE/s (gauges: value); T: its trend",
    "COUNT: since start (counters and gauges: the value now)",
    "ERR% SLOW MEAN P50 P95 P99 MAX TIME: over the window, or since start",
    "Hit rates come from counters P.hit + P.miss (or P.hits + P.misses)",
};

static void render(top *T)
{
    if (T->tty) pmv_term_size(&T->rows, &T->cols);
    pmv_screen *S = &T->scr;
    pmv_scr_begin(S, T->cols, T->tty, T->color);
    if (T->tty) S->rows = T->rows;
    const pmv_win *wins = T->tty && !T->total_mode && T->L.have_prev ? T->win : T->tot;
    put_header(T, wins);

    int *sel = NULL, longest = 4;
    for (ptrdiff_t i = 0; i < arrlen(wins); i++) {
        if (!name_selected(T, wins[i].s)) continue;
        arrput(sel, (int)i);
        char shown[PM_SHM_NAME_MAX];
        int n = pmv_display_width(safe_name(wins[i].s->name, shown, sizeof shown));
        if (n > longest) longest = n;
    }
    sort_wins = wins;
    sort_key = T->sort;
    if (arrlen(sel) > 1) qsort(sel, (size_t)arrlen(sel), sizeof *sel, cmp_rows);

    int on[C_N];
    int name_w = layout(T, longest, on);
    int body = T->tty ? T->rows - S->lines - 2 : (int)arrlen(sel);
    if (body < 1) body = 1;

    if (T->help && T->tty) {
        int n = (int)(sizeof help_lines / sizeof help_lines[0]);
        for (int i = 0; i < n && i <= body; i++) {
            if (i == 0) pmv_scr_sgr(S, "1");
            pmv_scr_put(S, help_lines[i]);
            pmv_scr_eol(S);
        }
    } else {
        /* column heads */
        pmv_scr_sgr(S, "7");
        for (int c = 0; c < C_N; c++) {
            if (!on[c]) continue;
            if (c) pmv_scr_put(S, " ");
            pmv_scr_cell(S, cols[c].head, c == C_NAME ? name_w : cols[c].w, cols[c].align);
        }
        if (T->tty) pmv_scr_pad_to(S, T->cols);
        pmv_scr_sgr(S, "0");
        pmv_scr_eol(S);
        int nsel = (int)arrlen(sel);
        int max_scroll = nsel > body ? nsel - body : 0;
        if (T->scroll > max_scroll) T->scroll = max_scroll;
        if (T->scroll < 0) T->scroll = 0;
        for (int i = T->scroll; i < nsel && i < T->scroll + body; i++) put_row(T, &wins[sel[i]], on, name_w);
        if (nsel == 0) {
            pmv_scr_put(S, arrlen(wins) ? "(no series match the filter)" : "(no series yet)");
            pmv_scr_eol(S);
        }
    }

    if (T->tty) {
        while (S->lines < T->rows - 1) pmv_scr_eol(S);
        /* the status line, at the bottom; no newline after it */
        int nsel = (int)arrlen(sel);
        if (T->editing) {
            pmv_scr_printf(S, "filter: %s", T->filter);
            pmv_scr_sgr(S, "7");
            pmv_scr_put(S, " ");
            pmv_scr_sgr(S, "0");
            pmv_scr_put(S, "   (Enter keeps it, Esc clears it)");
        } else {
            if (T->L.ended) {
                pmv_scr_sgr(S, "1;31");
                pmv_scr_put(S, "target exited: final values  ");
                pmv_scr_sgr(S, "0");
            }
            static const char *const keys[][2] = {
                { "q", "quit" }, { "p", NULL }, { "s", "sort" }, { "w", NULL }, { "/", "filter" }, { "?", "help" },
            };
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                const char *what = keys[k][1];
                if (keys[k][0][0] == 'p') what = T->paused ? "resume" : "pause";
                if (keys[k][0][0] == 'w') what = T->total_mode ? "window" : "since start";
                if (k) pmv_scr_put(S, "  ");
                pmv_scr_sgr(S, "7");
                pmv_scr_put(S, keys[k][0]);
                pmv_scr_sgr(S, "0");
                pmv_scr_printf(S, " %s", what);
            }
            if (T->filter[0]) pmv_scr_printf(S, "  filter \"%s\"", T->filter);
            if (nsel > 0) pmv_scr_printf(S, "  rows %d-%d of %d", T->scroll + 1,
                                         T->scroll + body < nsel ? T->scroll + body : nsel, nsel);
        }
    }
    arrfree(sel);
    size_t len;
    const char *buf = pmv_scr_end(S, &len);
    if (T->tty) pmv_term_write(buf, len);
    else fwrite(buf, 1, len, stdout);
}

/* ---- keys */

/* Returns 1 to quit. */
static int on_key(top *T, int k)
{
    if (T->editing) {
        size_t n = strlen(T->filter);
        if (k == '\r' || k == '\n') T->editing = 0;
        else if (k == PMV_KEY_ESC || k == 3 /* Ctrl-C handled as a signal anyway */) {
            T->editing = 0;
            T->filter[0] = '\0';
        } else if (k == 0x7f || k == 0x08) {
            if (n) T->filter[n - 1] = '\0';
        } else if (k >= 0x20 && k < 0x7f && n + 1 < sizeof T->filter) {
            T->filter[n] = (char)k;
            T->filter[n + 1] = '\0';
        }
        T->scroll = 0;
        return 0;
    }
    if (T->help) {
        T->help = 0;
        return k == 'q' || k == 'Q';
    }
    int page = T->rows > 10 ? T->rows - 8 : 1;
    switch (k) {
    case 'q': case 'Q': return 1;
    case 'p': case 'P': case ' ': T->paused = !T->paused; break;
    case 's': T->sort = (T->sort + 1) % SORT_N; T->scroll = 0; break;
    case 'S': T->sort = (T->sort + SORT_N - 1) % SORT_N; T->scroll = 0; break;
    case 'w': case 'W': case 't': T->total_mode = !T->total_mode; break;
    case '/': T->editing = 1; break;
    case '?': case 'h': T->help = 1; break;
    case PMV_KEY_ESC: T->filter[0] = '\0'; break;
    case PMV_KEY_UP: case 'k': T->scroll--; break;
    case PMV_KEY_DOWN: case 'j': T->scroll++; break;
    case PMV_KEY_PGUP: T->scroll -= page; break;
    case PMV_KEY_PGDN: T->scroll += page; break;
    case PMV_KEY_HOME: case 'g': T->scroll = 0; break;
    case PMV_KEY_END: case 'G': T->scroll = 1 << 30; break;
    default: break;
    }
    return 0;
}

/* ---- the command */

static void top_free(top *T)
{
    pmv_windows_free(&T->win);
    pmv_windows_free(&T->tot);
    shfree(T->hist);
    arrfree(T->names);
    pmv_selector_free(&T->pick);
    pmv_scr_free(&T->scr);
    pmv_live_close(&T->L);
}

static void recompute(top *T)
{
    pmv_windows(T->L.have_prev ? &T->L.prev : NULL, &T->L.cur, pmv_live_window_s(&T->L), &T->win);
    pmv_windows_total(&T->L.cur, &T->tot);
}

/* --once: names the selectors that matched nothing in the one snapshot;
   PMV_EXIT_USAGE when there were selectors and none matched anything. */
static int once_unmatched(const top *T, uint32_t pid)
{
    pmv_selection picked;
    pmv_selector_filter(&T->pick, &T->L.cur, &picked);
    pmv_report_unmatched(pid, picked.unmatched, arrlen(picked.unmatched));
    int status = arrlen(T->pick.terms) && arrlen(picked.series) == 0 ? PMV_EXIT_USAGE : PMV_EXIT_OK;
    pmv_selection_free(&picked);
    return status;
}

/* top --db: the table of a window of the history, printed once. */
static int top_past(top *T, const pmv_command *cmd, const pmv_past *past)
{
    pmv_history hist;
    pmv_history_filter window;
    T->L.seg.fd = -1;
    int status = pmv_past_or_live(cmd, past, &T->L.pid, &T->L.cur, &window, &hist);
    if (status == PMV_EXIT_OK) {
        T->past = &window;
        T->past_runs = &hist;
        T->L.ended = 1;
        T->tty = 0;
        const char *cw = getenv("COLUMNS");
        if (cw && atoi(cw) > 20) T->cols = atoi(cw);
        status = once_unmatched(T, T->L.pid);
        if (status == PMV_EXIT_OK) {
            double seconds = (double)(window.to_ns - window.from_ns) / 1e9;
            pmv_windows_free(&T->tot);
            arrsetlen(T->tot, arrlen(T->L.cur.series));
            for (ptrdiff_t i = 0; i < arrlen(T->L.cur.series); i++) pmv_win_total(&T->L.cur.series[i], seconds, &T->tot[i]);
            render(T);
            fflush(stdout);
        }
    }
    pmv_history_free(&hist);
    top_free(T);
    return status;
}

int pmv_cmd_top(int argc, char **argv)
{
    top T;
    memset(&T, 0, sizeof T);
    T.interval = 1.0;
    T.sort = SORT_RATE;
    int once = 0, no_color = 0;
    pmv_past past;
    pmv_past_init(&past);
    const pmv_option opts[] = {
        { PMV_OPT('i', "interval", PMV_OPT_DURATION, &T.interval, "S", "seconds between samples (default 1; fractions ok)"),
          .min = 0.05, .max = 86400, .example = "0.25, 2s, 1m" },
        { PMV_OPT(0, "once", PMV_OPT_FLAG, &once, NULL,
          "print one plain snapshot (since-start figures) and exit;\nalso what happens when stdout is not a terminal") },
        { PMV_OPT(0, "no-color", PMV_OPT_FLAG, &no_color, NULL, "no colour (also when NO_COLOR is set)") },
        PMV_PAST_OPTIONS(&past),
        { 0 }
    };
    const pmv_command cmd = { "top", "PID [SELECTOR...] [OPTIONS]", opts, about, NULL,
                              "       perfmon-view PID [SELECTOR...] [OPTIONS]   (the same: a bare PID)\n"
                              "       perfmon-view top --db FILE [--since AGE | --from T [--to T]] [SELECTOR...]\n", 1 };
    pmv_args args;
    int status;
    if (!pmv_parse_options(&cmd, argc, argv, &args, &status)) return status;
    uint32_t pid = 0;
    int from_db = pmv_past_wanted(&past);
    if (from_db) status = PMV_EXIT_OK;
    else if (args.n == 0) status = pmv_command_error(&cmd, "missing PID");
    else status = pmv_command_pid(&cmd, args.pos[0], &pid);
    for (int i = from_db ? 0 : 1; i < args.n; i++) arrput(T.names, args.pos[i]);
    pmv_args_free(&args);
    if (status != PMV_EXIT_OK) {
        arrfree(T.names);
        return status;
    }

    if (pmv_cmd_selector("top", T.names, arrlen(T.names), &T.pick) != 0) {
        arrfree(T.names);
        return PMV_EXIT_USAGE;
    }
    if (from_db) return top_past(&T, &cmd, &past);
    char err[512];
    int rc = pmv_live_open(&T.L, pid, err, sizeof err);
    if (rc != PMV_OK) {
        pmv_error("pid %u: %s", (unsigned)pid, err);
        pmv_selector_free(&T.pick);
        arrfree(T.names);
        return PMV_EXIT_USAGE;
    }
    pmv_sys_sample(&T.sys_cur);
    sh_new_strdup(T.hist);
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    T.color = !no_color && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);

    if (once || pmv_term_enter() != 0) {
        /* one plain snapshot: since-start figures, no escape sequences */
        T.tty = 0;
        T.cols = 0;
        const char *cw = getenv("COLUMNS");
        if (cw && atoi(cw) > 20) T.cols = atoi(cw);
        status = once_unmatched(&T, pid);
        if (status == PMV_EXIT_OK) {
            recompute(&T);
            render(&T);
            fflush(stdout);
        }
        top_free(&T);
        return status;
    }

    T.tty = 1;
    recompute(&T);
    render(&T);
    double next = pmv_mono_s() + T.interval;
    for (;;) {
        if (pmv_term_quit_requested()) break;
        double now = pmv_mono_s();
        int redraw = 0;
        if (now >= next) {
            next += T.interval;
            if (next <= now) next = now + T.interval; /* fell behind (suspended): no burst */
            if (!T.paused && !T.L.ended) {
                rc = pmv_live_step(&T.L, err, sizeof err);
                if (rc != PMV_OK) {
                    status = PMV_EXIT_USAGE;
                    break;
                }
                T.sys_prev = T.sys_cur;
                T.have_sys_prev = 1;
                pmv_sys_sample(&T.sys_cur);
                recompute(&T);
                push_history(&T);
            }
            redraw = 1;
        }
        int r = pmv_term_wait(redraw ? 0 : (int)ceil((next - pmv_mono_s()) * 1000));
        if (r > 0) {
            int keys[64];
            int n = pmv_term_read_keys(keys, 64);
            int quit = 0;
            for (int i = 0; i < n && !quit; i++) quit = on_key(&T, keys[i]);
            if (quit) break;
            redraw = 1;
        }
        if (pmv_term_take_redraw()) redraw = 1;
        if (pmv_term_quit_requested()) break;
        if (redraw) render(&T);
    }
    pmv_term_leave();
    if (status != PMV_EXIT_OK) pmv_error("pid %u: %s", (unsigned)pid, err);
    top_free(&T);
    return status;
}
