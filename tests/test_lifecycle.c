/* test_lifecycle.c - pm_init results, environment, the segment file, exit */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "segread.h"

static char own_path[64];

static const char *seg_path(long pid)
{
    snprintf(own_path, sizeof own_path, "/dev/shm/perfmon.%ld", pid);
    return own_path;
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static void test_init_ok_then_already(void)
{
    CHECK_EQ_I64(pm_init(NULL), PM_OK);
    CHECK_EQ_I64(pm_init(NULL), PM_ERR_ALREADY);
    CHECK_STR(pm_segment_path(), seg_path(getpid()));
    CHECK(exists(pm_segment_path()));
}

static void test_init_after_lazy_init(void)
{
    PM_COUNT("lazy", 1);
    CHECK(exists(seg_path(getpid())));
    pm_config cfg = { 0 };
    cfg.max_series = 7;
    CHECK_EQ_I64(pm_init(&cfg), PM_ERR_ALREADY);
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    CHECK_EQ_U64(s.h->max_series, 1024);  /* cfg ignored: lazy init used defaults */
    CHECK_EQ_U64(sr_counter(&s, "lazy"), 1);
    sr_close(&s);
}

static void test_init_after_shutdown(void)
{
    CHECK_EQ_I64(pm_init(NULL), PM_OK);
    PM_COUNT("x", 1);
    pm_shutdown();
    CHECK_EQ_I64(pm_init(NULL), PM_ERR_STATE);
    CHECK(!exists(seg_path(getpid())));  /* removed: PERFMON_KEEP not set */
    CHECK_STR(pm_segment_path(), "");
    PM_COUNT("x", 1);                    /* discarded, harmless */
    pm_count("y", 1);
    { PM_SCOPE("z"); }
    pm_shutdown();                       /* twice is harmless */
    CHECK(!exists(seg_path(getpid())));
}

static void test_shutdown_keep_stops_recording(void)
{
    pm_config cfg = { 0 };
    cfg.keep = 1;
    CHECK_EQ_I64(pm_init(&cfg), PM_OK);
    PM_COUNT("x", 5);
    pm_shutdown();
    PM_COUNT("x", 5);                    /* after shutdown: discarded */
    pm_count("x", 5);
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    CHECK_EQ_U64(s.h->state, PM_SHM_STATE_EXITED);
    CHECK(s.h->end_realtime_ns >= s.h->start_realtime_ns);
    CHECK_EQ_U64(sr_counter(&s, "x"), 5);
    sr_close(&s);
    unlink(seg_path(getpid()));
}

static void test_result_strings(void)
{
    pm_result all[] = { PM_OK, PM_ERR_DISABLED, PM_ERR_ALREADY, PM_ERR_STATE, PM_ERR_INVALID,
                        PM_ERR_SHM, PM_ERR_PERMISSION, PM_ERR_NO_SPACE, PM_ERR_EXISTS };
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        CHECK(pm_result_str(all[i]) != NULL && pm_result_str(all[i])[0] != '\0');
        for (size_t j = 0; j < i; j++) CHECK(strcmp(pm_result_str(all[i]), pm_result_str(all[j])) != 0);
    }
    CHECK(pm_result_str((pm_result)-99) != NULL);
    CHECK_EQ_I64(PM_OK, 0);
}

/* PERFMON=0: pm_init says so, nothing records, no segment appears. */
static void test_env_perfmon_0(void)
{
    setenv("PERFMON", "0", 1);
    CHECK_EQ_I64(pm_init(NULL), PM_ERR_DISABLED);
    CHECK_EQ_I64(pm_init(NULL), PM_ERR_DISABLED);
    PM_COUNT("x", 1);
    pm_count("y", 1);
    PM_GAUGE_SET("g", 1);
    PM_RECORD("d", 1);
    { PM_SCOPE("t"); PM_SCOPE_FAIL(); }
    pm_timer_start("u");
    CHECK_NEAR(pm_timer_stop("u"), -1.0, 0);
    CHECK(pm_lookup("x", PM_KIND_COUNTER, PM_UNIT_NONE) != 0);  /* 0 only means "not looked up yet" */
    CHECK(!exists(seg_path(getpid())));
    CHECK_STR(pm_segment_path(), "");
}

static void test_env_perfmon_0_lazy(void)
{
    setenv("PERFMON", "0", 1);
    PM_COUNT("x", 1);                    /* first record: lazy init sees PERFMON=0 */
    CHECK(!exists(seg_path(getpid())));
    CHECK_EQ_I64(pm_init(NULL), PM_ERR_DISABLED);
}

/* PERFMON=0 overrides an explicit configuration. */
static void test_env_perfmon_0_beats_config(void)
{
    setenv("PERFMON", "0", 1);
    pm_config cfg = { 0 };
    cfg.max_series = 10;
    cfg.keep = 1;
    CHECK_EQ_I64(pm_init(&cfg), PM_ERR_DISABLED);
    CHECK(!exists(seg_path(getpid())));
}

static void test_env_perfmon_1_records(void)
{
    setenv("PERFMON", "1", 1);
    PM_COUNT("x", 1);
    CHECK(exists(seg_path(getpid())));
}

/* The segment is a regular file, mode 0600, whatever the umask. */
static void test_segment_file_mode(void)
{
    umask(0);
    CHECK_EQ_I64(pm_init(NULL), PM_OK);
    struct stat st;
    CHECK(lstat(pm_segment_path(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ_U64(st.st_mode & 07777, 0600);
    CHECK_EQ_U64(st.st_uid, getuid());
    CHECK_EQ_U64(st.st_nlink, 1);
}

/* The header holds what perfmon_shm.h promises. */
static void test_header_fields(void)
{
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    pm_config cfg = { 0 };
    cfg.max_series = 100;
    cfg.max_threads = 7;
    cfg.hist_mb = 2;
    cfg.slow_ms = 250;
    cfg.process_name = "lifecycle-test";
    CHECK_EQ_I64(pm_init(&cfg), PM_OK);
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);  /* also validates offsets and size */
    const pm_shm_header *h = s.h;
    CHECK_EQ_U64(h->state, PM_SHM_STATE_RUNNING);
    CHECK_EQ_U64(h->pid, (uint64_t)getpid());
    CHECK_EQ_U64(h->uid, getuid());
    CHECK_EQ_U64(h->max_series, 100);
    CHECK_EQ_U64(h->max_threads, 7);
    CHECK_EQ_U64(h->hash_capacity, 256);
    CHECK_EQ_U64(h->arena_size, 2u << 20);
    CHECK_EQ_U64(h->default_slow_ns, 250000000u);
    CHECK_EQ_U64(h->clock_kind, PM_SHM_CLOCK_MONOTONIC);
    CHECK_NEAR(h->ns_per_tick, 1.0, 0);
    CHECK_STR(h->process_name, "lifecycle-test");
    CHECK(strstr(h->cmdline, "test_lifecycle") != NULL);
    CHECK_EQ_U64(h->end_realtime_ns, 0);
    uint64_t now = (uint64_t)t0.tv_sec * 1000000000u + (uint64_t)t0.tv_nsec;
    CHECK(h->start_realtime_ns + 5000000000ull >= now && h->start_realtime_ns <= now + 5000000000ull);
    CHECK(h->start_monotonic_ns > 0);
    CHECK_EQ_U64(h->series_count, 0);
    CHECK_EQ_U64(h->dropped, 0);
    CHECK(sr_alive(&s));
    sr_close(&s);
}

static void test_env_capacities(void)
{
    setenv("PERFMON_MAX_SERIES", "33", 1);
    setenv("PERFMON_MAX_THREADS", "3", 1);
    setenv("PERFMON_HIST_MB", "1", 1);
    PM_COUNT("x", 1);
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    CHECK_EQ_U64(s.h->max_series, 33);
    CHECK_EQ_U64(s.h->max_threads, 3);
    CHECK_EQ_U64(s.h->arena_size, 1u << 20);
    sr_close(&s);
}

/* A malformed environment value falls back to the default, quietly. */
static void test_env_garbage_ignored(void)
{
    setenv("PERFMON_MAX_SERIES", "12abc", 1);
    setenv("PERFMON_MAX_THREADS", "-4", 1);
    setenv("PERFMON_SLOW_MS", "soon", 1);
    PM_COUNT("x", 1);
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    CHECK_EQ_U64(s.h->max_series, 1024);
    CHECK_EQ_U64(s.h->max_threads, 128);
    CHECK_EQ_U64(s.h->default_slow_ns, 1000000000u);
    sr_close(&s);
}

static void test_invalid_config(void)
{
    pm_config cfg = { 0 };
    cfg.max_series = PM_SHM_MAX_SERIES_LIMIT + 1;
    CHECK_EQ_I64(pm_init(&cfg), PM_ERR_INVALID);
    CHECK(!exists(seg_path(getpid())));
    PM_COUNT("x", 1);                    /* recording is off: harmless */
    CHECK(!exists(seg_path(getpid())));
    CHECK_EQ_I64(pm_init(NULL), PM_ERR_INVALID);  /* the first outcome sticks */
}

static void test_invalid_config_threads_slow(void)
{
    pm_config cfg = { 0 };
    cfg.max_threads = PM_SHM_MAX_THREADS_LIMIT + 1;
    CHECK_EQ_I64(pm_init(&cfg), PM_ERR_INVALID);
    CHECK(!exists(seg_path(getpid())));
}

static void test_invalid_config_negative_slow(void)
{
    pm_config cfg = { 0 };
    cfg.slow_ms = -1;
    CHECK_EQ_I64(pm_init(&cfg), PM_ERR_INVALID);
    CHECK(!exists(seg_path(getpid())));
}

/* Makes the file look as old as a leftover: a file without a header
   younger than 2 s may be a writer's that is about to lock it. */
static void age(int fd)
{
    struct timespec old[2] = { { time(NULL) - 60, 0 }, { time(NULL) - 60, 0 } };
    CHECK(futimens(fd, old) == 0);
}

/* A stale segment of a dead process that had our pid (no lock held) is
   replaced by a fresh one. */
static void test_stale_segment_replaced(void)
{
    const char *p = seg_path(getpid());
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, "stale junk, not a segment", 25) == 25);
    age(fd);
    close(fd);
    CHECK_EQ_I64(pm_init(NULL), PM_OK);
    PM_COUNT("fresh", 3);
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    CHECK_EQ_U64(s.h->pid, (uint64_t)getpid());
    CHECK_EQ_U64(sr_counter(&s, "fresh"), 3);
    sr_close(&s);
}

/* A stale segment that is a valid old segment (an exited run) is replaced. */
static void test_stale_valid_segment_replaced(void)
{
    const char *p = seg_path(getpid());
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, 1 << 20) == 0);
    age(fd);
    close(fd);
    CHECK_EQ_I64(pm_init(NULL), PM_OK);
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    CHECK_EQ_U64(s.h->state, PM_SHM_STATE_RUNNING);
    sr_close(&s);
}

/* A live segment with our name (its lock is held: another pid namespace's
   writer with our pid number, say) is never taken over: we record under a
   fallback name, flagged, and say why. */
static void test_live_segment_not_replaced(void)
{
    const char *p = seg_path(getpid());
    int fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, "LIVE", 4) == 4);
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t holder = fork();
    CHECK(holder >= 0);
    if (holder == 0) {  /* holds the lock like a live writer would */
        int f = open(p, O_RDONLY);
        if (f < 0 || flock(f, LOCK_EX) != 0) _exit(1);
        if (write(ready[1], "x", 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    pm_result r = pm_init(NULL);
    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    CHECK_EQ_I64(r, PM_OK);
    char buf[8] = { 0 }, alt[96];
    CHECK(pread(fd, buf, 4, 0) == 4);
    CHECK_STR(buf, "LIVE");
    close(fd);
    unlink(p);
    snprintf(alt, sizeof alt, "%s.1", p);
    CHECK_STR(pm_segment_path(), alt);
    PM_COUNT("x", 1);
    sr_seg s;
    CHECK(sr_open_path(&s, alt) == 0);
    CHECK_EQ_U64(sr_counter(&s, "x"), 1);
    CHECK(s.h->flags & PM_SHM_FLAG_ALT_NAME);
    CHECK(strstr(s.h->config_errors, "in use by a live writer") != NULL);
    sr_close(&s);
}

/* A symlink in our segment's place is never followed (nor removed: it is
   not ours to remove); we record under a fallback name. */
static void test_symlink_not_followed(void)
{
    char target[] = "/tmp/perfmon-test-target.XXXXXX";
    int fd = mkstemp(target);
    CHECK(fd >= 0);
    CHECK(write(fd, "precious", 8) == 8);
    close(fd);
    CHECK(symlink(target, seg_path(getpid())) == 0);
    pm_result r = pm_init(NULL);
    struct stat st;
    CHECK(stat(target, &st) == 0);
    int still_link = lstat(seg_path(getpid()), &st) == 0 && S_ISLNK(st.st_mode);
    unlink(seg_path(getpid()));
    char buf[16] = { 0 };
    fd = open(target, O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, buf, sizeof buf) == 8);
    close(fd);
    unlink(target);
    CHECK_STR(buf, "precious");
    CHECK(still_link);
    CHECK_EQ_I64(r, PM_OK);
    CHECK(strstr(pm_segment_path(), ".1") != NULL);
}

/* Normal exit without PERFMON_KEEP removes the segment; with it the
   segment stays, marked exited, values exact, lock released. */
static void run_child_and_exit(int keep_env, int kill_it)
{
    if (keep_env) setenv("PERFMON_KEEP", "1", 1);
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        for (int i = 0; i < 1234; i++) PM_COUNT("pm.count", 1);
        pm_record_duration("pm.timer", 42, 0);
        PM_GAUGE_SET("pm.gauge", -9);
        if (write(ready[1], "x", 1) != 1) _exit(3);
        if (kill_it) pause();
        exit(0);
    }
    char ch;
    CHECK(read(ready[0], &ch, 1) == 1);
    if (kill_it) kill(c, SIGKILL);
    int st;
    waitpid(c, &st, 0);
    CHECK(kill_it ? WIFSIGNALED(st) : (WIFEXITED(st) && WEXITSTATUS(st) == 0));
    const char *p = seg_path(c);
    if (!keep_env && !kill_it) {
        CHECK_MSG(!exists(p), "%s left after a normal exit without PERFMON_KEEP", p);
        return;
    }
    sr_seg s;
    CHECK_MSG(sr_open_pid(&s, c) == 0, "%s not readable after the writer ended", p);
    CHECK_EQ_U64(s.h->state, kill_it ? PM_SHM_STATE_RUNNING : PM_SHM_STATE_EXITED);
    CHECK(!sr_alive(&s));
    CHECK_EQ_U64(s.h->pid, (uint64_t)c);
    CHECK_EQ_U64(sr_counter(&s, "pm.count"), 1234);
    CHECK_EQ_I64(sr_gauge(&s, "pm.gauge", NULL), -9);
    static sr_stat t;
    sr_timer(&s, "pm.timer", &t);
    CHECK_EQ_U64(t.count, 1);
    CHECK_EQ_U64(t.errors, 1);
    CHECK_EQ_U64(t.sum, 42);
    if (!kill_it) CHECK(s.h->end_realtime_ns != 0);
    else CHECK_EQ_U64(s.h->end_realtime_ns, 0);
    sr_close(&s);
    unlink(p);
}

static void test_exit_removes_segment(void) { run_child_and_exit(0, 0); }
static void test_exit_keep_leaves_exited_segment(void) { run_child_and_exit(1, 0); }
static void test_sigkill_leaves_segment(void) { run_child_and_exit(0, 1); }

/* cfg.keep = 1 keeps the segment without the environment variable. */
static void test_config_keep(void)
{
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        pm_config cfg = { 0 };
        cfg.keep = 1;
        if (pm_init(&cfg) != PM_OK) _exit(2);
        PM_COUNT("k", 2);
        exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    sr_seg s;
    CHECK(sr_open_pid(&s, c) == 0);
    CHECK_EQ_U64(sr_counter(&s, "k"), 2);
    sr_close(&s);
    unlink(seg_path(c));
}

/* cfg.keep = -1 removes the segment even with PERFMON_KEEP=1. */
static void test_config_keep_minus_one(void)
{
    setenv("PERFMON_KEEP", "1", 1);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        pm_config cfg = { 0 };
        cfg.keep = -1;
        if (pm_init(&cfg) != PM_OK) _exit(2);
        PM_COUNT("k", 2);
        exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(!exists(seg_path(c)));
}

int main(void)
{
    RUN(test_init_ok_then_already);
    RUN(test_init_after_lazy_init);
    RUN(test_init_after_shutdown);
    RUN(test_shutdown_keep_stops_recording);
    RUN(test_result_strings);
    RUN(test_env_perfmon_0);
    RUN(test_env_perfmon_0_lazy);
    RUN(test_env_perfmon_0_beats_config);
    RUN(test_env_perfmon_1_records);
    RUN(test_segment_file_mode);
    RUN(test_header_fields);
    RUN(test_env_capacities);
    RUN(test_env_garbage_ignored);
    RUN(test_invalid_config);
    RUN(test_invalid_config_threads_slow);
    RUN(test_invalid_config_negative_slow);
    RUN(test_stale_segment_replaced);
    RUN(test_stale_valid_segment_replaced);
    RUN(test_live_segment_not_replaced);
    RUN(test_symlink_not_followed);
    RUN(test_exit_removes_segment);
    RUN(test_exit_keep_leaves_exited_segment);
    RUN(test_sigkill_leaves_segment);
    RUN(test_config_keep);
    RUN(test_config_keep_minus_one);
    return harness_done();
}
