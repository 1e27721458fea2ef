/* gate.c - `perfmon-view gate RULES -- CMD [ARGS...]` and
   `perfmon-view gate RULES --pid PID`: performance rules as a CI check.

   CMD mode runs CMD (N times with --runs) with PERFMON_KEEP=1, so the
   segment /dev/shm/perfmon.<child pid> survives its exit; wait4() gives the
   child's exact CPU time and peak RSS; the final snapshot is read, every
   rule measured, the segment removed. Rules are then judged: absolute ones
   on the median over runs, relative ones against a baseline's runs with a
   Mann-Whitney U test (see mannwhitney.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stb_ds.h>

#include "analyze/baseline.h"
#include "read/find.h"
#include "read/procstat.h"
#include "base/clock.h"
#include "cmd/cli.h"
#include "cmd/options.h"
#include "out/atomic_file.h"
#include "analyze/gate_eval.h"
#include "analyze/gate_report.h"
#include "analyze/gate_system.h"
#include "analyze/mannwhitney.h"
#include "analyze/rules.h"

static const char about[] =
    "Checks performance rules against an instrumented program and exits 0 when\n"
    "every rule holds, 1 when any fails: a CI performance gate.\n"
    "\n"
    "With CMD: runs it (with PERFMON_KEEP=1 so its segment outlives it), waits,\n"
    "reads its final snapshot, judges RULES, removes the segment. CMD must be the\n"
    "instrumented program itself (a wrapper script must `exec` it): the segment\n"
    "read is /dev/shm/perfmon.<CMD's pid>. With --pid: reads a live or exited\n"
    "process's segment (not removed).\n"
    "\n"
    "RULES file: one rule a line, '#' comments:\n"
    "    SERIES  STAT  OP  LIMIT\n"
    "    db.query                      p95         < 2ms\n"
    "    http.request{route=\"/users\"}  error_rate  < 1%\n"
    "    parse                         mean        < 1.10 * baseline\n"
    "    requests                      count       >= 1000\n"
    "    process                       peak_rss    < 200MB\n"
    "  SERIES  a name with an optional label set. The set may be partial: every\n"
    "          series of that name whose labels include the given pairs is\n"
    "          selected and they are aggregated (counts, sums, errors and values\n"
    "          summed, histograms merged, min of mins, max of maxes); a bare name\n"
    "          selects all its label sets; a glob ('db.*') selects what it matches.\n"
    "          The selector syntax of every command (README.md, \"Selecting\n"
    "          series\"). `process` is the process itself.\n"
    "  STAT    count sum mean min max p50 p90 p95 p99 errors error_rate slow\n"
    "          slow_rate value (counters, gauges) rate (count per second of\n"
    "          uptime) cpu_time peak_rss (of `process`, or of a series N recorded\n"
    "          by pm_benchmark/PM_RESOURCE_SCOPE: N.cpu_user + N.cpu_sys, N.peak_rss)\n"
    "  OP      < <= > >= == !=\n"
    "  LIMIT   a number with a unit: durations ns us ms s min h (timers hold ns);\n"
    "          bytes B KB MB GB (x1000) KiB MiB GiB (x1024); % (error_rate,\n"
    "          slow_rate); k M G for counts; or relative: 1.10 * baseline,\n"
    "          baseline * 1.1, baseline + 10%, baseline.\n"
    "  A rule whose series does not exist fails, naming it. A syntax error names\n"
    "  its line and exits 2, and so does a limit whose unit does not suit its\n"
    "  series (no unit on a timer's p95, ms on a byte series). Negative limits\n"
    "  are allowed (gauges are signed).\n"
    "  System figures (README.md, \"System figures\"): SERIES system.* with STAT\n"
    "  `value` or none, an absolute LIMIT in the figure's unit:\n"
    "    system.cpu.usage                 < 80%\n"
    "    system.mem.usage                 < 90%\n"
    "    system.disk.usage{mount=\"/\"}    < 95%\n"
    "    system.disk.write_bytes          < 200MB/s\n"
    "    system.load1                     < 8\n"
    "  The machine is sampled when each run starts and when it ends: usage and\n"
    "  rates (CPU, disk and network bytes/s, disk busy) are the average over the\n"
    "  run (CPU from the jiffies spent), levels (memory, swap, filesystems, load,\n"
    "  GPUs) the value at the end; with --pid, over one second. A bare labelled\n"
    "  name (system.disk.usage) takes the largest of them (rates, bytes, watts:\n"
    "  their sum). A figure this machine does not have (no GPU, no such mount)\n"
    "  fails the rule as \"not available on this machine\".\n";
static const char after[] =
    "Relative rules: the change is measured between medians, and a rule fails only\n"
    "when the limit is crossed AND a Mann-Whitney U test of this build's runs\n"
    "against the baseline's runs says the change is significant (p <= alpha). The\n"
    "test is one-sided in the direction the rule guards (< and <=: 'did it get\n"
    "larger'; > and >=: 'did it get smaller'; == and !=: two-sided); exact p for\n"
    "small samples without ties, normal approximation with tie and continuity\n"
    "correction otherwise. With a single run on either side the test cannot be\n"
    "made and the limit alone decides. Use --runs 5 or more on both sides: with\n"
    "fewer runs no result can reach p <= 0.05 (3 vs 3 just reaches 0.05).\n"
    "\n"
    "exit status: 0 every rule holds, 1 a rule failed, 2 usage error, bad rules\n"
    "or baseline, an output file that cannot be written (checked before CMD\n"
    "runs), CMD could not start, exited non-zero (without --allow-fail) or\n"
    "left no segment\n";

typedef struct gate_opts {
    const char *rules_path, *baseline_path, *save_path, *junit_path, *json_path;
    int github, allow_fail, runs;
    uint32_t pid;
    int have_pid;
    double alpha;
    char **cmd;             /* NULL-terminated, in args */
    int ncmd;
    pmv_args args;          /* the arguments cmd points into */
} gate_opts;

typedef struct rule_acc {
    double *runs;        /* stb_ds: measurement per run (NAN: none) */
    pmv_lunit unit;
    char why[400];       /* first run that could not measure */
} rule_acc;

/* 1: go on with *o filled (free o->args); 0: return *status. */
static int parse_opts(int argc, char **argv, gate_opts *o, int *status)
{
    memset(o, 0, sizeof *o);
    o->alpha = 0.05;
    long runs = 1;
    const pmv_option opts[] = {
        { PMV_OPT(0, "pid", PMV_OPT_PID, &o->pid, "PID", "judge a running or exited process instead of CMD") },
        { PMV_OPT(0, "runs", PMV_OPT_INT, &runs, "N", "run CMD N times (default 1). Absolute rules use the\nmedian over runs."),
          .min = 1, .max = 1000 },
        { PMV_OPT(0, "baseline", PMV_OPT_STRING, &o->baseline_path, "FILE",
          "what relative rules compare against: a file written by\n--save-baseline, or a `perfmon-view export` "
          "JSON (one run)") },
        { PMV_OPT(0, "save-baseline", PMV_OPT_STRING, &o->save_path, "FILE",
          "write this invocation's per-run values as a baseline\n(relative rules are skipped when there is no "
          "--baseline)") },
        { PMV_OPT(0, "alpha", PMV_OPT_DOUBLE, &o->alpha, "A", "significance level of the test (default 0.05)"),
          .min = 0, .max = 1, .bounds = PMV_OPT_ABOVE_MIN | PMV_OPT_BELOW_MAX },
        { PMV_OPT(0, "allow-fail", PMV_OPT_FLAG, &o->allow_fail, NULL, "CMD exiting non-zero (or killed) is not an error") },
        { PMV_OPT(0, "junit", PMV_OPT_STRING, &o->junit_path, "FILE", "JUnit XML: one testcase per rule") },
        { PMV_OPT(0, "github", PMV_OPT_FLAG, &o->github, NULL, "GitHub Actions ::error / ::notice lines on stdout") },
        { PMV_OPT(0, "json", PMV_OPT_STRING, &o->json_path, "FILE", "the verdicts as JSON") },
        { 0 }
    };
    const pmv_command cmd = { "gate", "RULES [OPTIONS] -- CMD [ARGS...]", opts, about, after,
                              "       perfmon-view gate RULES [OPTIONS] --pid PID\n", 0 };
    pmv_args *a = &o->args;
    if (!pmv_parse_options(&cmd, argc, argv, a, status)) return 0;
    o->runs = (int)runs;
    o->have_pid = o->pid != 0;
    int n_before = a->dashdash >= 0 ? a->dashdash : a->n;
    if (a->dashdash >= 0) {
        o->cmd = a->pos + a->dashdash;
        o->ncmd = a->n - a->dashdash;
    }
    if (n_before > 0) o->rules_path = a->pos[0];
    *status = PMV_EXIT_USAGE;
    if (n_before > 1)
        pmv_command_error(&cmd, "unexpected argument '%s' (put the command after --)", a->pos[1]);
    else if (!o->rules_path) pmv_command_error(&cmd, "missing RULES file");
    else if (o->have_pid && o->ncmd > 0) pmv_command_error(&cmd, "give either --pid PID or -- CMD, not both");
    else if (!o->have_pid && o->ncmd == 0) pmv_command_error(&cmd, "missing command (-- CMD [ARGS...]) or --pid PID");
    else if (o->have_pid && o->runs != 1) pmv_command_error(&cmd, "--runs needs a command to run, not --pid");
    else return 1;
    pmv_args_free(a);
    return 0;
}

/* Every file the gate will write is checked before CMD runs: a bad path
   fails at once instead of after the whole run. */
static int check_outputs(const gate_opts *o)
{
    const char *const paths[][2] = { { "junit", o->junit_path }, { "json", o->json_path },
                                     { "baseline", o->save_path } };
    char err[8192];  /* holds any path; pmv_error cuts the line */
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (paths[i][1] && pmv_atomic_check(paths[i][1], err, sizeof err) != 0) {
            pmv_error("gate: %s: %s", paths[i][0], err);
            return PMV_EXIT_USAGE;
        }
    }
    return PMV_EXIT_OK;
}

/* ---- running CMD */

typedef struct run_result {
    pid_t pid;
    uint64_t start_ticks;   /* the child's /proc start time: its segment must say the same */
    int status;
    pmv_proc_usage usage;
} run_result;

/* Starts CMD and waits for it. 0, or -1 with err set (cannot start). */
static int run_cmd(char **cmd, run_result *rr, char *err, size_t errlen)
{
    int pfd[2], go[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe2(go, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        close(go[0]);
        close(go[1]);
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        close(go[1]);
        char c;                 /* until the parent knows our start time */
        while (read(go[0], &c, 1) < 0 && errno == EINTR) {}
        setenv("PERFMON_KEEP", "1", 1);
        execvp(cmd[0], cmd);
        int e = errno;
        ssize_t w = write(pfd[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(pfd[1]);
    close(go[0]);
    rr->start_ticks = pmv_proc_start_ticks((int)pid);  /* it waits on go: alive */
    close(go[1]);
    int child_errno = 0;
    ssize_t got;
    do got = read(pfd[0], &child_errno, sizeof child_errno);
    while (got < 0 && errno == EINTR);
    close(pfd[0]);
    struct rusage ru;
    int st = 0;
    pid_t w;
    do w = wait4(pid, &st, 0, &ru);
    while (w < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof child_errno) {
        snprintf(err, errlen, "cannot run '%s': %s", cmd[0], strerror(child_errno));
        return -1;
    }
    if (w < 0) {
        snprintf(err, errlen, "wait: %s", strerror(errno));
        return -1;
    }
    rr->pid = pid;
    rr->status = st;
    rr->usage.have = 1;
    rr->usage.cpu_ns = ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
                       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
    rr->usage.peak_rss = (double)ru.ru_maxrss * 1024.0; /* Linux: KiB */
    return 0;
}

/* The child's own segments go when the gate is done with them. */
static void remove_child_segments(const run_result *rr)
{
    pmv_snapshot snap;
    char err[512];
    if (pmv_snapshot_child((uint32_t)rr->pid, geteuid(), rr->start_ticks, 1, &snap, err, sizeof err) == PMV_OK)
        pmv_snapshot_free(&snap);
}

/* ---- /proc for --pid on a live process */

static int proc_usage(uint32_t pid, pmv_proc_usage *u)
{
    memset(u, 0, sizeof *u);
    pmv_proc p;
    if (!pmv_proc_sample((int)pid, &p) || isnan(p.utime) || isnan(p.stime) || isnan(p.hwm)) return -1;
    u->cpu_ns = (p.utime + p.stime) * 1e9;
    u->peak_rss = p.hwm;
    u->have = 1;
    return 0;
}

/* ---- the machine over a run */

typedef struct sys_run {
    int wanted;              /* a rule names a system figure */
    pmv_sys *start, *end;    /* large: on the heap */
    pmv_sys_figure *figs;    /* stb_ds array: the figures between start and end */
    int n;
} sys_run;

static void sys_start(sys_run *s)
{
    if (s->wanted) pmv_sys_sample(s->start);
}

static void sys_end(sys_run *s)
{
    if (!s->wanted) return;
    pmv_sys_sample(s->end);
    s->n = pmv_sys_figures(s->start, s->end, &s->figs);
}

/* ---- measuring one snapshot */

/* Measures every rule; a mistake in the rules file itself (a limit whose
   unit does not suit its series) is reported as such: PMV_EXIT_USAGE. */
static int measure_all(const pmv_rule *rules, const char *rules_path, rule_acc *acc, int run,
                       const pmv_snapshot *snap, const pmv_proc_usage *usage, const sys_run *sys)
{
    for (ptrdiff_t i = 0; i < arrlen(rules); i++) {
        pmv_measure m;
        if (rules[i].system) pmv_gate_measure_system(&rules[i], sys->figs, sys->n, &m);
        else pmv_gate_measure(&rules[i], snap, usage, &m);
        if (m.rule_error) {
            pmv_error("gate: %s: line %d: %s", rules_path, rules[i].line, m.why);
            return PMV_EXIT_USAGE;
        }
        arrput(acc[i].runs, m.ok ? m.value : NAN);
        if (m.ok) acc[i].unit = m.unit;
        else if (!acc[i].why[0]) {
            if (run >= 0) snprintf(acc[i].why, sizeof acc[i].why, "run %d: %s", run + 1, m.why);
            else snprintf(acc[i].why, sizeof acc[i].why, "%s", m.why);
        }
    }
    return PMV_EXIT_OK;
}

static const char *kind_word(int kind) { return pmv_kind_str(kind); }

static void record_baseline(pmv_baseline *bl, const pmv_rule *rules, const rule_acc *acc, int run,
                            const pmv_snapshot *snap, const pmv_proc_usage *usage)
{
    for (ptrdiff_t i = 0; i < arrlen(snap->series); i++) {
        const pmv_series *s = &snap->series[i];
        for (int st = 0; st < PMV_STAT__COUNT; st++) {
            if (!pmv_stat_applies((pmv_stat)st, s->kind)) continue;
            pmv_measure m;
            if (pmv_gate_measure_series(s, (pmv_stat)st, snap, &m))
                pmv_baseline_set(bl, s->name, kind_word(s->kind), 0, (pmv_stat)st, run, m.value);
        }
    }
    if (usage && usage->have) {
        pmv_baseline_set(bl, "process", NULL, 1, PMV_STAT_CPU_TIME, run, usage->cpu_ns);
        pmv_baseline_set(bl, "process", NULL, 1, PMV_STAT_PEAK_RSS, run, usage->peak_rss);
    }
    for (ptrdiff_t i = 0; i < arrlen(rules); i++) {
        double v = acc[i].runs[run];
        if (isnan(v)) continue;
        int is_series = 0;
        for (ptrdiff_t k = 0; k < arrlen(snap->series) && !is_series; k++)
            is_series = strcmp(snap->series[k].name, rules[i].selector) == 0;
        pmv_baseline_set(bl, rules[i].selector, NULL, !is_series, rules[i].stat, run, v);
    }
}

/* ---- judging */

static void judge(const pmv_rule *r, const rule_acc *acc, const pmv_baseline *bl, const gate_opts *o,
                  pmv_gate_result *res)
{
    char a[48], b[48];
    memset(res, 0, sizeof *res);
    res->rule = r;
    res->unit = acc->unit;
    res->baseline = NAN;
    res->limit = r->relative ? NAN : r->limit;
    res->change = NAN;
    res->p = NAN;
    double *ok = NULL;
    for (ptrdiff_t k = 0; k < arrlen(acc->runs); k++) {
        arrput(res->runs, acc->runs[k]);
        if (!isnan(acc->runs[k])) arrput(ok, acc->runs[k]);
    }
    int n = (int)arrlen(ok);
    res->measured = pmv_median(ok, n);
    if (acc->why[0]) { /* a run could not measure it: a typo must never pass */
        res->verdict = PMV_VERDICT_FAIL;
        snprintf(res->message, sizeof res->message, "%s", acc->why);
        arrfree(ok);
        return;
    }
    const char *of_runs = n > 1 ? " (median of the runs)" : "";
    if (!r->relative) {
        int holds = pmv_op_holds(r->op, res->measured, r->limit);
        res->verdict = holds ? PMV_VERDICT_PASS : PMV_VERDICT_FAIL;
        if (holds) snprintf(res->message, sizeof res->message, "holds%s", of_runs);
        else snprintf(res->message, sizeof res->message, "%s is %s, not %s %s%s", r->selector,
                      pmv_gate_fmt(res->measured, res->unit, a, sizeof a), pmv_op_str(r->op), r->limit_text, of_runs);
        arrfree(ok);
        return;
    }
    if (!bl) {
        res->verdict = PMV_VERDICT_SKIP;
        snprintf(res->message, sizeof res->message, "no --baseline to compare with (this run records one)");
        arrfree(ok);
        return;
    }
    double *bv = NULL;
    char why[400];
    if (pmv_baseline_lookup(bl, r, &bv, why, sizeof why) != 0) {
        res->verdict = PMV_VERDICT_FAIL;
        snprintf(res->message, sizeof res->message, "%s", why);
        arrfree(ok);
        return;
    }
    int nb = (int)arrlen(bv);
    res->baseline_runs = nb;
    res->baseline = pmv_median(bv, nb);
    res->limit = r->factor * res->baseline;
    res->change = res->baseline != 0 ? res->measured / res->baseline - 1 : NAN;
    int over = !pmv_op_holds(r->op, res->measured, res->limit);
    char chg[64];
    if (isnan(res->change)) snprintf(chg, sizeof chg, "baseline %s", pmv_gate_fmt(res->baseline, res->unit, b, sizeof b));
    else snprintf(chg, sizeof chg, "%+.1f%% vs baseline %s", 100 * res->change,
                  pmv_gate_fmt(res->baseline, res->unit, b, sizeof b));
    if (n < 2 || nb < 2) {
        res->test = PMV_TEST_SINGLE;
        res->verdict = over ? PMV_VERDICT_FAIL : PMV_VERDICT_PASS;
        snprintf(res->message, sizeof res->message, "%s; %s: significance test not made, judged by the limit alone",
                 chg, n < 2 ? "a single run" : "a single baseline run");
        arrfree(ok);
        arrfree(bv);
        return;
    }
    pmv_mw_alt alt = r->op == PMV_OP_LT || r->op == PMV_OP_LE ? PMV_MW_GREATER
                   : r->op == PMV_OP_GT || r->op == PMV_OP_GE ? PMV_MW_LESS : PMV_MW_TWO_SIDED;
    res->alt = alt == PMV_MW_GREATER ? "greater" : alt == PMV_MW_LESS ? "less" : "two-sided";
    pmv_mw_result mw;
    if (pmv_mann_whitney(ok, n, bv, nb, alt, &mw) != 0) {
        res->test = PMV_TEST_SINGLE;
        res->verdict = over ? PMV_VERDICT_FAIL : PMV_VERDICT_PASS;
        snprintf(res->message, sizeof res->message, "%s; test could not be made, judged by the limit alone", chg);
    } else {
        res->test = PMV_TEST_MADE;
        res->p = mw.p;
        int significant = mw.p <= o->alpha;
        res->verdict = over && significant ? PMV_VERDICT_FAIL : PMV_VERDICT_PASS;
        const char *tail = "";
        double minp = pmv_mw_min_p(n, nb) * (alt == PMV_MW_TWO_SIDED ? 2 : 1);
        if (minp > o->alpha) tail = "; too few runs for p to reach alpha: use more --runs";
        snprintf(res->message, sizeof res->message, "%s, p=%.3g (Mann-Whitney %s, %s, %d vs %d runs)%s%s",
                 chg, mw.p, res->alt, mw.exact ? "exact" : "normal approx.", n, nb,
                 over && !significant ? "; over the limit but not significant" :
                 !over && significant ? "; significant but within the limit" : "", tail);
    }
    arrfree(ok);
    arrfree(bv);
}

static char *join_cmd(char **cmd, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++) len += strlen(cmd[i]) + 1;
    char *s = malloc(len);
    if (!s) abort();
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i) strcat(s, " ");
        strcat(s, cmd[i]);
    }
    return s;
}

int pmv_cmd_gate(int argc, char **argv)
{
    gate_opts o;
    int rc;
    if (!parse_opts(argc, argv, &o, &rc)) return rc;

    char err[600];
    pmv_rule *rules = NULL;
    if (pmv_rules_load(o.rules_path, &rules, err, sizeof err) != 0) {
        pmv_error("gate: %s", err);
        pmv_args_free(&o.args);
        return PMV_EXIT_USAGE;
    }
    int n = (int)arrlen(rules);
    int any_relative = 0;
    for (int i = 0; i < n; i++) any_relative |= rules[i].relative;
    if (any_relative && !o.baseline_path && !o.save_path) {
        for (int i = 0; i < n; i++)
            if (rules[i].relative) {
                pmv_error("gate: %s: line %d compares against a baseline: give --baseline FILE "
                          "(or --save-baseline FILE to record one)", o.rules_path, rules[i].line);
                break;
            }
        pmv_rules_free(rules);
        pmv_args_free(&o.args);
        return PMV_EXIT_USAGE;
    }
    if (check_outputs(&o) != PMV_EXIT_OK) {
        pmv_rules_free(rules);
        pmv_args_free(&o.args);
        return PMV_EXIT_USAGE;
    }
    pmv_baseline bl_in, bl_out;
    memset(&bl_in, 0, sizeof bl_in);
    memset(&bl_out, 0, sizeof bl_out);
    int have_bl = 0;
    if (o.baseline_path) {
        if (pmv_baseline_read(o.baseline_path, &bl_in, err, sizeof err) != 0) {
            pmv_error("gate: baseline %s", err);
            pmv_rules_free(rules);
            pmv_args_free(&o.args);
            return PMV_EXIT_USAGE;
        }
        have_bl = 1;
    }

    rule_acc *acc = calloc((size_t)n, sizeof *acc);
    if (!acc) abort();
    sys_run sys = { 0, calloc(1, sizeof(pmv_sys)), calloc(1, sizeof(pmv_sys)), NULL, 0 };
    if (!sys.start || !sys.end) abort();
    for (int i = 0; i < n; i++) sys.wanted |= rules[i].system != NULL;
    char pidcmd[32];
    char *command = o.have_pid ? (snprintf(pidcmd, sizeof pidcmd, "pid %u", (unsigned)o.pid), strdup(pidcmd))
                               : join_cmd(o.cmd, o.ncmd);
    if (!command) abort();
    bl_out.command = strdup(command);
    double t0 = pmv_mono_s();
    int exit_code = PMV_EXIT_OK;

    if (o.have_pid) {
        pmv_snapshot snap;
        if (pmv_snapshot_pid(o.pid, &snap, err, sizeof err) != PMV_OK) {
            pmv_error("gate: pid %u: %s", (unsigned)o.pid, err);
            exit_code = PMV_EXIT_USAGE;
            goto out;
        }
        pmv_proc_usage usage;
        memset(&usage, 0, sizeof usage);
        if (snap.alive) proc_usage(o.pid, &usage); /* else: the exit gauges */
        if (sys.wanted) { /* no run to span: the machine over the next second */
            sys_start(&sys);
            struct timespec second = { 1, 0 };
            while (nanosleep(&second, &second) != 0 && errno == EINTR) {}
            sys_end(&sys);
        }
        exit_code = measure_all(rules, o.rules_path, acc, -1, &snap, &usage, &sys);
        if (exit_code != PMV_EXIT_OK) {
            pmv_snapshot_free(&snap);
            goto out;
        }
        if (o.save_path) record_baseline(&bl_out, rules, acc, 0, &snap, &usage);
        pmv_snapshot_free(&snap);
    } else {
        for (int run = 0; run < o.runs; run++) {
            run_result rr;
            sys_start(&sys);
            int started = run_cmd(o.cmd, &rr, err, sizeof err);
            sys_end(&sys);
            if (started != 0) {
                pmv_error("gate: %s", err);
                exit_code = PMV_EXIT_USAGE;
                goto out;
            }
            int st = rr.status;
            int failed = !WIFEXITED(st) || WEXITSTATUS(st) != 0;
            if (failed && !o.allow_fail) {
                if (WIFSIGNALED(st))
                    pmv_error("gate: '%s' (pid %ld, run %d) was killed by signal %d (%s); --allow-fail to judge it anyway",
                              o.cmd[0], (long)rr.pid, run + 1, WTERMSIG(st), strsignal(WTERMSIG(st)));
                else
                    pmv_error("gate: '%s' (pid %ld, run %d) exited with status %d; --allow-fail to judge it anyway",
                              o.cmd[0], (long)rr.pid, run + 1, WEXITSTATUS(st));
                remove_child_segments(&rr);
                exit_code = PMV_EXIT_USAGE;
                goto out;
            }
            /* only the child's own segment: ours (a file another user
               planted at its pid is ignored), written by this very process */
            pmv_snapshot snap;
            int src = pmv_snapshot_child((uint32_t)rr.pid, geteuid(), rr.start_ticks, 1, &snap, err, sizeof err);
            if (src != PMV_OK) {
                const char *off = getenv("PERFMON");
                pmv_error("gate: '%s' (pid %ld) left no readable segment: %s%s", o.cmd[0], (long)rr.pid, err,
                          src == PMV_ENOENT ? (off && strcmp(off, "0") == 0 ? " (PERFMON=0 is set: recording is off)"
                                               : " (is it instrumented with perfmon.h and does it record anything? "
                                                 "a wrapper script must exec the program)") : "");
                exit_code = PMV_EXIT_USAGE;
                goto out;
            }
            exit_code = measure_all(rules, o.rules_path, acc, o.runs > 1 ? run : -1, &snap, &rr.usage, &sys);
            if (exit_code != PMV_EXIT_OK) {
                pmv_snapshot_free(&snap);
                goto out;
            }
            if (o.save_path) record_baseline(&bl_out, rules, acc, run, &snap, &rr.usage);
            pmv_snapshot_free(&snap);
        }
    }

    pmv_gate_result *res = calloc((size_t)n, sizeof *res);
    if (!res) abort();
    pmv_gate_summary sum = { o.rules_path, command, o.baseline_path, o.runs, o.alpha, 0, 0, 0, pmv_mono_s() - t0 };
    for (int i = 0; i < n; i++) {
        judge(&rules[i], &acc[i], have_bl ? &bl_in : NULL, &o, &res[i]);
        if (res[i].verdict == PMV_VERDICT_PASS) sum.passed++;
        else if (res[i].verdict == PMV_VERDICT_FAIL) sum.failed++;
        else sum.skipped++;
    }
    pmv_gate_print_table(stdout, res, n, &sum, pmv_use_bold(stdout));
    if (o.github) pmv_gate_print_github(stdout, res, n, &sum);
    exit_code = sum.failed ? PMV_EXIT_CHECK : PMV_EXIT_OK;
    if (o.junit_path && pmv_gate_write_junit(o.junit_path, res, n, &sum, err, sizeof err) != 0) {
        pmv_error("gate: junit: %s", err);
        exit_code = PMV_EXIT_USAGE;
    }
    if (o.json_path && pmv_gate_write_json(o.json_path, res, n, &sum, err, sizeof err) != 0) {
        pmv_error("gate: json: %s", err);
        exit_code = PMV_EXIT_USAGE;
    }
    if (o.save_path) {
        if (pmv_baseline_write(o.save_path, &bl_out, err, sizeof err) != 0) {
            pmv_error("gate: baseline: %s", err);
            exit_code = PMV_EXIT_USAGE;
        } else {
            printf("gate: baseline of %d run%s written to %s\n", bl_out.runs, bl_out.runs == 1 ? "" : "s", o.save_path);
        }
    }
    fflush(stdout);
    for (int i = 0; i < n; i++) arrfree(res[i].runs);
    free(res);

out:
    for (int i = 0; i < n; i++) arrfree(acc[i].runs);
    free(acc);
    free(sys.start);
    free(sys.end);
    arrfree(sys.figs);
    free(command);
    pmv_baseline_free(&bl_out);
    if (have_bl) pmv_baseline_free(&bl_in);
    pmv_rules_free(rules);
    pmv_args_free(&o.args);
    return exit_code;
}
