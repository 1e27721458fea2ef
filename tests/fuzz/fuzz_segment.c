/* fuzz_segment.c - libFuzzer target: bytes as a perfmon segment, through
   the viewer's parser and every consumer of a snapshot

   Each input is written to $dir/perfmon.<our pid> (a private temporary
   directory under /dev/shm, PERFMON_SHM_DIR) and read the way perfmon-view reads any
   segment: open checks, mmap, validation, snapshot (segment.c). A snapshot
   that validates then goes through: sorting, since-start and window
   figures against itself, against nothing and against a snapshot of a
   perturbed copy of the input (window.c, percentiles in stats.c), hit
   rates (derived.c), every gate statistic of every series (gate_eval.c);
   then the commands themselves, output to /dev/null: `stats`, `export`
   (JSON and CSV), `top --once` (the dashboard's rendering; skipped for
   state INIT, which it waits a second for) and `gate
   RULES --pid` with rules over every statistic (rules, evaluation,
   reports). Build and run: `make fuzz` (tests/fuzz/run.sh). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_ds.h>

#include "viewer/cmd/cli.h"
#include "viewer/model/derived.h"
#include "viewer/analyze/gate_eval.h"
#include "viewer/read/segment.h"
#include "viewer/model/window.h"

static char dir[64], seg_file[128], rules_file[128], pid_str[16];
static uint32_t pid;
static int devnull, saved_out, saved_err;

static void put_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) abort();
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n <= 0) abort();
        data += n;
        size -= (size_t)n;
    }
    close(fd);
}

static void cleanup(void)
{
    unlink(seg_file);
    unlink(rules_file);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    snprintf(dir, sizeof dir, "/dev/shm/pm-fuzz.XXXXXX");
    if (!mkdtemp(dir)) abort();
    setenv("PERFMON_SHM_DIR", dir, 1);
    setenv("NO_COLOR", "1", 1);
    setenv("COLUMNS", "160", 1);
    unsetenv("PERFMON_VIEW_TEST_PAUSE_MS");
    pid = (uint32_t)getpid();
    snprintf(pid_str, sizeof pid_str, "%u", (unsigned)pid);
    snprintf(seg_file, sizeof seg_file, "%s/perfmon.%u", dir, (unsigned)pid);
    snprintf(rules_file, sizeof rules_file, "%s/rules", dir);
    static const char rules[] =
        "requests.total count >= 1\n"
        "db.query p99 < 2ms\n"
        "db.query{x=\"y\"} mean <= 1s\n"
        "payload.size max < 1MB\n"
        "batch.items p50 > 1\n"
        "http.request error_rate < 1%\n"
        "http.request slow_rate < 5%\n"
        "queue.depth value != 3\n"
        "requests.total rate > 0/s\n"
        "idle.timer sum >= 0\n"
        "idle.timer min >= 0\n"
        "idle.timer p90 >= 0\n"
        "idle.timer p95 >= 0\n"
        "lognormal.latency errors == 0\n"
        "lognormal.latency slow <= 10\n"
        "process cpu_time < 1h\n"
        "process peak_rss < 100GB\n";
    put_file(rules_file, (const uint8_t *)rules, sizeof rules - 1);
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    saved_out = dup(1);
    saved_err = dup(2);
    if (devnull < 0 || saved_out < 0 || saved_err < 0) abort();
    atexit(cleanup);
    return 0;
}

static void consume(pmv_snapshot *snap, const pmv_snapshot *older)
{
    pmv_win *w = NULL;
    pmv_windows_total(snap, &w);
    pmv_windows(NULL, snap, 1.0, &w);
    pmv_windows(snap, snap, 0.0, &w);
    pmv_windows(snap, snap, 1.0, &w);
    if (older) pmv_windows(older, snap, 2.5, &w);
    pmv_ratio *r = pmv_find_ratios(w, arrlen(w));
    arrfree(r);
    pmv_windows_free(&w);
    for (ptrdiff_t i = 0; i < arrlen(snap->series); i++) {
        for (int st = 0; st < PMV_STAT__COUNT; st++) {
            pmv_measure m;
            if (pmv_stat_applies((pmv_stat)st, snap->series[i].kind))
                pmv_gate_measure_series(&snap->series[i], (pmv_stat)st, snap, &m);
        }
    }
    pmv_snapshot_sort_by_name(snap);
    (void)pmv_snapshot_status(snap);
    (void)pmv_snapshot_uptime_ns(snap);
}

static int run(int (*cmd)(int, char **), int argc, const char **argv)
{
    fflush(stdout);
    fflush(stderr);
    dup2(devnull, 1);
    dup2(devnull, 2);
    int rc = cmd(argc, (char **)argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    pmv_snapshot snap, older;
    int have_older = 0;

    /* the "older" snapshot: the same bytes with every 61st byte from the
       header's end lowered (counts and extremes that moved, or damage) */
    if (size > PM_SHM_HEADER_SIZE) {
        uint8_t *copy = malloc(size);
        if (!copy) abort();
        memcpy(copy, data, size);
        for (size_t i = PM_SHM_HEADER_SIZE + (size_t)(data[size - 1] % 61); i < size; i += 61) copy[i]--;
        put_file(seg_file, copy, size);
        free(copy);
        have_older = pmv_snapshot_pid(pid, &older, err, sizeof err) == PMV_OK;
    }
    put_file(seg_file, data, size);
    if (pmv_snapshot_pid(pid, &snap, err, sizeof err) == PMV_OK) {
        consume(&snap, have_older ? &older : NULL);
        pmv_snapshot_free(&snap);
    }
    if (have_older) pmv_snapshot_free(&older);

    const char *stats[] = { "stats", pid_str };
    const char *exp_json[] = { "export", pid_str };
    const char *exp_csv[] = { "export", pid_str, "--format", "csv" };
    const char *top[] = { "top", pid_str, "--once" };
    const char *gate[] = { "gate", rules_file, "--pid", pid_str };
    run(pmv_cmd_stats, 2, stats);
    run(pmv_cmd_export, 2, exp_json);
    run(pmv_cmd_export, 4, exp_csv);
    /* a segment in state INIT makes the dashboard wait a second for its
       writer (live.c) and then refuse it: no time for that per input */
    uint32_t state = 0;
    if (size >= offsetof(pm_shm_header, state) + 4) memcpy(&state, data + offsetof(pm_shm_header, state), 4);
    if (state != PM_SHM_STATE_INIT) run(pmv_cmd_top, 3, top);
    run(pmv_cmd_gate, 4, gate);
    return 0;
}
