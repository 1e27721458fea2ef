/* record.c - `perfmon-view record`: segments sampled into the history */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <stb_ds.h>

#include "cmd/cli.h"
#include "cmd/options.h"
#include "cmd/select.h"
#include "read/find.h"
#include "read/live.h"
#include "store/db.h"
#include "store/recorder.h"
#include "store/retention.h"
#include "store/sysrec.h"

static const char about[] =
    "Samples the chosen processes' segments every interval into the history\n"
    "database (SQLite; README \"History\"): per series and interval, what\n"
    "changed (count, sum, errors, slow, min, max, histogram bucket deltas,\n"
    "gauge values), each process's resources and the machine's figures\n"
    "(README \"System figures\"). A\n"
    "process that exits gets its final sample from its segment. Stop it with\n"
    "Ctrl-C or SIGTERM; started again, it continues the same runs. PID...\n"
    "records those processes; --all every process with a segment you may\n"
    "read, and --name those of one name, as they start and exit. SELECTOR...\n"
    "(any argument that is not a number; README \"Selecting series\") records\n"
    "only the series it picks, e.g. 'http.*' 'kind:timer' '!debug.*'.\n";
static const char after[] =
    "The database defaults to $PERFMON_DB, else\n"
    "~/.local/state/perfmon/history.db (root: /var/lib/perfmon/history.db);\n"
    "--retention defaults to $PERFMON_RETENTION, else 1h,1m:1d,1h:30d (rows as\n"
    "recorded for an hour, per minute for a day, per hour for 30 days).\n"
    "\n"
    "exit status: 0 ok, 2 usage error, no such process, or the database\n"
    "cannot be opened\n";

static volatile sig_atomic_t record_stop;
static void on_stop(int sig) { (void)sig; record_stop = 1; }

typedef struct target {
    uint32_t pid;
    pmv_live L;
    pmv_rec_run run;
    int attached;
} target;

/* A finished run (pid + start) not to record again while its segment stays. */
typedef struct done_run { uint32_t pid; uint64_t start_ns; } done_run;

typedef struct recording {
    pmv_recorder rec;
    sqlite3 *db;
    target *targets;
    done_run *done;
    const char *name;     /* --name */
    int all;              /* --all or --name: follow new processes */
    uint64_t samples;
    pmv_sysrec sys;
    pmv_sys *mach, *mach_prev;   /* the machine now and at the last sample (large: on the heap) */
    uint64_t mach_t;             /* when mach_prev was taken; 0: not yet */
    pmv_sys_figure *figs;        /* stb_ds array, reused */
    pmv_selector pick;           /* the series to record (no terms: all) */
} recording;

static int followed(const recording *R, uint32_t pid)
{
    for (ptrdiff_t i = 0; i < arrlen(R->targets); i++)
        if (R->targets[i].pid == pid) return 1;
    return 0;
}

static int finished(const recording *R, const pmv_snapshot *s)
{
    for (ptrdiff_t i = 0; i < arrlen(R->done); i++)
        if (R->done[i].pid == s->pid && R->done[i].start_ns == s->start_realtime_ns) return 1;
    return 0;
}

/* Starts following pid; quiet: a process that is not ours or not a match
   is skipped without a word (--all). */
static int follow(recording *R, uint32_t pid, int quiet)
{
    target t;
    memset(&t, 0, sizeof t);
    t.pid = pid;
    char err[512];
    if (pmv_live_open(&t.L, pid, err, sizeof err) != PMV_OK) {
        if (!quiet) pmv_error("pid %u: %s", (unsigned)pid, err);
        return -1;
    }
    if ((R->name && strcmp(t.L.cur.process, R->name) != 0) || (quiet && finished(R, &t.L.cur))) {
        pmv_live_close(&t.L);
        return -1;
    }
    arrput(R->targets, t);
    return 0;
}

static void discover(recording *R)
{
    uint32_t *pids = pmv_segment_pids();
    for (ptrdiff_t i = 0; i < arrlen(pids); i++)
        if (!followed(R, pids[i])) follow(R, pids[i], 1);
    arrfree(pids);
}

static void unfollow(recording *R, ptrdiff_t i)
{
    target *t = &R->targets[i];
    done_run d = { t->L.cur.pid, t->L.cur.start_realtime_ns };
    arrput(R->done, d);
    pmv_rec_run_free(&t->run);
    pmv_live_close(&t->L);
    arrdel(R->targets, i);
}

/* After a failed transaction the runs' memory is ahead of the database:
   forget it, so the next sample reads the committed state again. */
static void forget_state(recording *R)
{
    for (ptrdiff_t i = 0; i < arrlen(R->targets); i++) {
        pmv_rec_run_free(&R->targets[i].run);
        R->targets[i].attached = 0;
    }
}

/* One sample of every target in one transaction. first: the targets'
   snapshots are fresh from opening (no step). */
static int sample_all(recording *R, int first, char *err, size_t errlen)
{
    uint64_t now = pmv_realtime_ns();
    if (pmv_rec_begin(&R->rec, err, errlen)) return -1;
    for (ptrdiff_t i = 0; i < arrlen(R->targets); i++) {
        target *t = &R->targets[i];
        char e[512];
        if (!first || t->attached) {
            if (pmv_live_step(&t->L, e, sizeof e) != PMV_OK) {
                pmv_error("pid %u: %s", (unsigned)t->pid, e);
                t->L.ended = 1;     /* nothing more to read: drop it below */
                continue;
            }
        }
        pmv_selector_keep(&R->pick, &t->L.cur, NULL);
        if (!t->attached) {
            if (pmv_rec_attach(&R->rec, &t->L.cur, now, &t->run, err, errlen)) goto fail;
            t->attached = 1;
        }
        if (pmv_rec_sample(&R->rec, &t->run, &t->L.cur, t->L.cur.proc_is_writer ? &t->L.proc_cur : NULL, now,
                           err, errlen))
            goto fail;
    }
    /* the machine over the interval since the last sample */
    pmv_sys_sample(R->mach);
    if (R->mach_t) {
        int nf = pmv_sys_figures(R->mach_prev, R->mach, &R->figs);
        if (pmv_sysrec_write(&R->sys, R->rec.host, R->figs, nf, R->mach_t, now - R->mach_t, err, errlen)) goto fail;
    }
    *R->mach_prev = *R->mach;
    R->mach_t = now;
    if (pmv_rec_commit(&R->rec, err, errlen)) goto fail;
    R->samples++;
    for (ptrdiff_t i = arrlen(R->targets) - 1; i >= 0; i--)
        if (R->targets[i].L.ended) unfollow(R, i);
    return 0;
fail:
    pmv_rec_rollback(&R->rec);
    forget_state(R);
    pmv_sysrec_forget(&R->sys);
    return -1;
}

static void sleep_until(double until)
{
    while (!record_stop) {
        double left = until - pmv_mono_s();
        if (left <= 0) return;
        struct timespec ts = { (time_t)left, (long)((left - floor(left)) * 1e9) };
        if (nanosleep(&ts, NULL) != 0 && errno != EINTR) return;
    }
}

static void status_line(const recording *R, const char *path)
{
    size_t series = 0;
    for (ptrdiff_t i = 0; i < arrlen(R->targets); i++) series += (size_t)arrlen(R->targets[i].L.cur.series);
    struct stat st;
    double mib = stat(path, &st) == 0 ? (double)st.st_size / 1048576.0 : 0;
    fprintf(stderr, "\rrecording %td process%s, %zu series; %llu samples, %llu rows; %s %.1f MiB\033[K",
            arrlen(R->targets), arrlen(R->targets) == 1 ? "" : "es", series, (unsigned long long)R->samples,
            (unsigned long long)R->rec.rows, path, mib);
}

int pmv_cmd_record(int argc, char **argv)
{
    recording R;
    memset(&R, 0, sizeof R);
    R.mach = calloc(1, sizeof *R.mach);
    R.mach_prev = calloc(1, sizeof *R.mach_prev);
    if (!R.mach || !R.mach_prev) abort();
    double interval = 1.0;
    long count = -1;
    int quiet = 0;
    const char *db_arg = NULL, *ret_arg = getenv("PERFMON_RETENTION");
    uint32_t *pids = NULL;
    const pmv_option opts[] = {
        { PMV_OPT(0, "all", PMV_OPT_FLAG, &R.all, NULL, "every process with a segment, as they start and exit") },
        { PMV_OPT(0, "name", PMV_OPT_STRING, &R.name, "PROCESS", "the processes of that name, as they start and exit") },
        { PMV_OPT('i', "interval", PMV_OPT_DURATION, &interval, "S", "seconds per sample (default 1; fractions ok)"),
          .min = 0.01, .max = 86400, .example = "0.5, 1s, 1m" },
        { PMV_OPT(0, "db", PMV_OPT_STRING, &db_arg, "FILE", "the history database (default below)") },
        { PMV_OPT(0, "retention", PMV_OPT_STRING, &ret_arg, "SPEC", "KEEP,STEP:KEEP,... (default below)") },
        { PMV_OPT('n', "count", PMV_OPT_INT, &count, "N", "stop after N samples"), .min = 1, .max = 1e18 },
        { PMV_OPT('q', "quiet", PMV_OPT_FLAG, &quiet, NULL, "no status line on a terminal") },
        { 0 }
    };
    const pmv_command cmd = { "record", "[PID...] [SELECTOR...] [OPTIONS]", opts, about, after, NULL, 0 };
    pmv_args args;
    int rc;
    if (!pmv_parse_options(&cmd, argc, argv, &args, &rc)) return rc;
    const char **selectors = NULL;   /* numbers are PIDs, the rest selectors */
    for (int i = 0; i < args.n && rc == PMV_EXIT_OK; i++) {
        uint32_t pid;
        if (strspn(args.pos[i], "0123456789") != strlen(args.pos[i])) {
            arrput(selectors, args.pos[i]);
            continue;
        }
        rc = pmv_command_pid(&cmd, args.pos[i], &pid);
        if (rc == PMV_EXIT_OK) arrput(pids, pid);
    }
    if (rc == PMV_EXIT_OK && pmv_cmd_selector("record", selectors, arrlen(selectors), &R.pick) != 0)
        rc = PMV_EXIT_USAGE;
    arrfree(selectors);
    pmv_args_free(&args);
    if (rc != PMV_EXIT_OK) goto out;
    rc = PMV_EXIT_USAGE;
    if (R.name) R.all = 1;
    if (!arrlen(pids) && !R.all) {
        pmv_command_error(&cmd, "which processes? PID..., --all or --name PROCESS");
        goto out;
    }
    pmv_retention ret;
    char err[1024];
    if (pmv_retention_parse(ret_arg && *ret_arg ? ret_arg : pmv_retention_default, &ret, err, sizeof err)) {
        pmv_command_error(&cmd, "%s", err);
        goto out;
    }
    char path[4096];
    if (!db_arg) db_arg = pmv_db_default_path(path, sizeof path);
    if (pmv_db_open(db_arg, 1, &R.db, err, sizeof err)) { pmv_error("record: %s", err); goto out; }
    if (pmv_rec_open(&R.rec, R.db, err, sizeof err) || pmv_sysrec_open(&R.sys, R.db, err, sizeof err)) {
        pmv_error("record: %s", err);
        goto out;
    }
    for (ptrdiff_t i = 0; i < arrlen(pids); i++)
        if (follow(&R, pids[i], 0)) goto out;
    if (R.all) discover(&R);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int tty = !quiet && isatty(STDERR_FILENO);
    double next = pmv_mono_s(), next_retention = next;
    rc = PMV_EXIT_OK;
    for (long n = 0; (count < 0 || n < count) && !record_stop; n++) {
        if (n > 0) {
            next += interval;
            sleep_until(next);
            if (record_stop) break;
            if (R.all) discover(&R);
        }
        if (sample_all(&R, n == 0, err, sizeof err)) {
            /* a full disk or a reader's lock: say so, keep going */
            pmv_error("record: %s (will retry)", err);
        }
        if (pmv_mono_s() >= next_retention) {
            if (pmv_retention_apply(R.db, &ret, pmv_realtime_ns(), (uint64_t)(2 * interval * 1e9), err, sizeof err))
                pmv_error("record: %s (will retry)", err);
            next_retention = pmv_mono_s() + 60;
            R.rec.floor_ns = pmv_retention_floor(R.db, &ret);
        }
        if (tty) status_line(&R, db_arg);
        if (!R.all && arrlen(R.targets) == 0) break;   /* every chosen process has ended */
    }
    if (tty) fputc('\n', stderr);
    /* the runs still followed: their state, so a new recorder starts from it */
    if (R.db && arrlen(R.targets) && pmv_rec_begin(&R.rec, err, sizeof err) == 0) {
        uint64_t now = pmv_realtime_ns();
        int bad = 0;
        for (ptrdiff_t i = 0; i < arrlen(R.targets) && !bad; i++)
            if (R.targets[i].attached) bad = pmv_rec_checkpoint(&R.rec, &R.targets[i].run, now, err, sizeof err);
        if (bad || pmv_rec_commit(&R.rec, err, sizeof err)) {
            pmv_rec_rollback(&R.rec);
            pmv_error("record: %s (the next recorder reads the rows since the last checkpoint)", err);
        }
    }
out:
    while (arrlen(R.targets)) unfollow(&R, arrlen(R.targets) - 1);
    arrfree(R.targets);
    arrfree(R.done);
    if (R.rec.db) pmv_rec_close(&R.rec);
    if (R.sys.db) pmv_sysrec_close(&R.sys);
    arrfree(R.figs);
    pmv_selector_free(&R.pick);
    free(R.mach);
    free(R.mach_prev);
    sqlite3_close(R.db);
    arrfree(pids);
    return rc;
}
