/* test_trust.c - the writer keeps its promises: a user's mistake is a
   counted, named drop (never a silently wrong number), configuration
   mistakes are said, and nothing in /dev/shm or in the segment can hang the
   program or steer its records. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "segread.h"

static void open_self(sr_seg *s)
{
    CHECK_MSG(sr_open_path(s, pm_segment_path()) == 0, "cannot read own segment '%s'", pm_segment_path());
}

/* The drop note for `name` with `reason`, or NULL. */
static const pm_shm_drop_note *noted(const sr_seg *s, const char *name, uint32_t reason)
{
    for (unsigned i = 0; i < PM_SHM_DROP_NOTES; i++) {
        const pm_shm_drop_note *n = &s->h->drop_log[i];
        if (n->seq && !(n->seq & 1u) && n->reason == reason && strcmp(n->name, name) == 0) return n;
    }
    return NULL;
}

/* A reused buffer names another timer: stop matches the text, not the
   pointer. */
static void test_timer_stop_reused_buffer(void)
{
    char buf[32];
    strcpy(buf, "job.1");
    pm_timer_start(buf);
    strcpy(buf, "job.2");
    CHECK_NEAR(pm_timer_stop(buf), -1.0, 0);       /* job.2 never started */
    pm_timer_start(buf);
    strcpy(buf, "job.1");
    CHECK(pm_timer_stop(buf) >= 0);                /* stops job.1, not the innermost job.2 */
    strcpy(buf, "job.2");
    CHECK(pm_timer_stop(buf) >= 0);
    sr_seg s;
    open_self(&s);
    static sr_stat t;
    sr_timer(&s, "job.1", &t);
    CHECK_EQ_U64(t.count, 1);
    sr_timer(&s, "job.2", &t);
    CHECK_EQ_U64(t.count, 1);
    sr_close(&s);
}

/* pm_name refuses what the registry would refuse, and an odd list. */
static void test_pm_name_validation(void)
{
    char b[PM_NAME_MAX];
    CHECK_EQ_I64(pm_name(b, sizeof b, "http", "method", "GET", (char *)NULL), 18);
    CHECK_STR(b, "http{method=\"GET\"}");
    CHECK_EQ_I64(pm_name(b, sizeof b, "q", "v", "a\"b\\c\nd", (char *)NULL), 17);
    CHECK_EQ_I64(pm_name(b, sizeof b, "http", "method", (char *)NULL), -1);          /* odd */
    CHECK_STR(b, "");
    CHECK_EQ_I64(pm_name(b, sizeof b, "", "k", "v", (char *)NULL), -1);              /* empty base */
    CHECK_EQ_I64(pm_name(b, sizeof b, "bad base", (char *)NULL), -1);
    CHECK_EQ_I64(pm_name(b, sizeof b, "x", "", "v", (char *)NULL), -1);              /* empty key */
    CHECK_EQ_I64(pm_name(b, sizeof b, "x", "1k", "v", (char *)NULL), -1);            /* bad key */
    CHECK_EQ_I64(pm_name(b, sizeof b, "x", "k", "1", "k", "2", (char *)NULL), -1);   /* key twice */
    CHECK_EQ_I64(pm_name(b, sizeof b, "x", "k", "tab\there", (char *)NULL), -1);     /* control byte */
    CHECK_EQ_I64(pm_name(b, 8, "toolong", "k", "v", (char *)NULL), -1);
    CHECK_EQ_I64(pm_name(b, sizeof b, NULL, (char *)NULL), -1);
    /* the registry agrees: a duplicate key typed by hand is dropped */
    PM_COUNT("x{k=\"1\",k=\"2\"}", 1);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(s.h->dropped_bad_name, 1);
    CHECK_EQ_U64(sr_series_count(&s), 0);
    sr_close(&s);
}

/* The first registration fixes kind and unit; by-id calls check the kind;
   a NULL name is a bad name. Each is a counted drop with its name noted. */
static void test_mismatches_counted(void)
{
    PM_RECORD_BYTES("m.size", 100);
    PM_RECORD_UNIT("m.size", 5, PM_UNIT_NANOSECONDS);   /* another unit */
    PM_RECORD("m.size", 7);                            /* no unit: the same series */
    pm_id counter = pm_lookup("m.count", PM_KIND_COUNTER, PM_UNIT_NONE);
    pm_count_id(counter, 2);
    pm_record_id(counter, 1000);                       /* a counter's id as a distribution */
    pm_duration_id(counter, 1000, 1);
    pm_gauge_set_id(counter, 1);
    pm_span sp = pm_begin_id(counter);
    PM_END(sp);
    pm_count(NULL, 1);
    pm_count_id(0x7fffffc1u, 1);                       /* not an id at all: no write anywhere */
    sr_seg s;
    open_self(&s);
    static sr_stat d;
    sr_timer(&s, "m.size", &d);
    CHECK_EQ_U64(d.count, 2);
    CHECK_EQ_U64(d.unit, PM_SHM_UNIT_BYTES);
    CHECK_EQ_U64(sr_counter(&s, "m.count"), 2);
    CHECK_EQ_U64(s.h->dropped_unit_mismatch, 1);
    CHECK_EQ_U64(s.h->dropped_kind_mismatch, 5);
    CHECK_EQ_U64(s.h->dropped_bad_name, 1);
    CHECK_EQ_U64(s.h->dropped, 7);
    CHECK(noted(&s, "m.size", PM_SHM_DROP_UNIT_MISMATCH) != NULL);
    CHECK(noted(&s, "m.count", PM_SHM_DROP_KIND_MISMATCH) != NULL);
    CHECK(noted(&s, "(NULL)", PM_SHM_DROP_BAD_NAME) != NULL);
    sr_close(&s);
}

/* A bad name's note keeps its bytes (the viewer escapes them) and its
   length, cut to the note's size. */
static void test_drop_note_bytes(void)
{
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    pm_count("bad\x01name", 1);
    pm_count(longname, 1);
    sr_seg s;
    open_self(&s);
    CHECK(noted(&s, "bad\x01name", PM_SHM_DROP_BAD_NAME) != NULL);
    int found = 0;
    for (unsigned i = 0; i < PM_SHM_DROP_NOTES; i++) {
        const pm_shm_drop_note *n = &s.h->drop_log[i];
        if (n->seq && n->name_len == sizeof longname - 1) {
            found = 1;
            CHECK_EQ_U64(strlen(n->name), PM_SHM_DROP_NAME_MAX - 1);
        }
    }
    CHECK(found);
    CHECK_EQ_U64(s.h->drop_log_head, 2);
    sr_close(&s);
}

/* pm_lookup never returns 0 (a cache's "not looked up yet"), even off. */
static void test_lookup_never_zero_when_off(void)
{
    setenv("PERFMON", "off", 1);
    pm_id id = pm_lookup("x", PM_KIND_COUNTER, PM_UNIT_NONE);
    CHECK(id != 0);
    pm_count_id(id, 1);                                /* ignored, harmless */
    CHECK_STR(pm_segment_path(), "");
    CHECK_EQ_I64(pm_prepare(id), PM_ERR_DISABLED);
}

/* Boolean spellings; unparsable values are said in the segment. */
static void test_config_spellings_and_errors(void)
{
    setenv("PERFMON", "yes", 1);
    setenv("PERFMON_KEEP", "true", 1);
    setenv("PERFMON_MAX_SERIES", "abc", 1);
    setenv("PERFMON_SLOW_MS", "fast", 1);
    setenv("PERFMON_CLOCK", "sundial", 1);
    CHECK_EQ_I64(pm_init(NULL), PM_OK);
    pm_config late = { 0 };
    late.max_series = 8;
    CHECK_EQ_I64(pm_init(&late), PM_ERR_ALREADY);      /* ignored: and said so */
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(s.h->max_series, 1024);
    CHECK(strstr(s.h->config_errors, "PERFMON_MAX_SERIES=abc") != NULL);
    CHECK(strstr(s.h->config_errors, "PERFMON_SLOW_MS=fast") != NULL);
    CHECK(strstr(s.h->config_errors, "PERFMON_CLOCK=sundial") != NULL);
    CHECK(strstr(s.h->config_errors, "pm_init() came after the first record") != NULL);
    char path[96];
    snprintf(path, sizeof path, "%s", pm_segment_path());
    sr_close(&s);
    pm_shutdown();
    struct stat st;
    CHECK_MSG(stat(path, &st) == 0, "PERFMON_KEEP=true did not keep %s", path);
    unlink(path);
}

static void test_config_off_spellings(void)
{
    const char *offs[] = { "off", "false", "no", "OFF", "0" };
    for (unsigned i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        pid_t p = fork();
        CHECK(p >= 0);
        if (p == 0) {
            setenv("PERFMON", offs[i], 1);
            PM_COUNT("x", 1);
            _exit(pm_segment_path()[0] == '\0' && pm_init(NULL) == PM_ERR_DISABLED ? 0 : 1);
        }
        int st;
        CHECK(waitpid(p, &st, 0) == p);
        CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "PERFMON=%s left recording on", offs[i]);
    }
}

/* A FIFO planted at our segment's name (anyone can, in /dev/shm) must not
   hang the first record: it is left alone and a fallback name is used. */
static void test_planted_fifo_no_hang(void)
{
    char p[64];
    snprintf(p, sizeof p, "/dev/shm/perfmon.%ld", (long)getpid());
    CHECK(mkfifo(p, 0666) == 0);
    alarm(10);                                         /* a hang fails here, not at the harness's 60 s */
    PM_COUNT("fifo.count", 3);
    alarm(0);
    struct stat st;
    CHECK(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode));
    unlink(p);
    CHECK(strstr(pm_segment_path(), ".1") != NULL);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter(&s, "fifo.count"), 3);
    CHECK(strstr(s.h->config_errors, "not a regular file") != NULL);
    sr_close(&s);
    unlink(pm_segment_path());
}

/* Layout fields in the segment are for readers: overwriting them (any
   process of our user can) changes nothing about where records go. A wild
   histogram offset in a cell is refused: that record loses its bucket,
   counted in dropped_hist. */
static void test_tampered_layout_ignored(void)
{
    PM_COUNT("t.c", 1);
    PM_RECORD("t.d", 5);
    int fd = open(pm_segment_path(), O_RDWR);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    char *m = (char *)mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    pm_shm_header *h = (pm_shm_header *)(void *)m;
    pm_shm_header saved = *h;
    sr_seg s;
    open_self(&s);
    int di = sr_find(&s, "t.d");
    CHECK(di >= 0);
    pm_shm_cell *dc = (pm_shm_cell *)(void *)(m + saved.cells_off + (uint64_t)di * PM_SHM_CELL_SIZE);
    static int victim;
    dc->hist_off = (uint64_t)((char *)&victim - m);    /* steer the bucket at a host global */
    h->cells_off = 64;
    h->series_off = 0;
    h->max_series = 0xffffffffu;
    h->max_threads = 1;
    h->hash_capacity = 2;
    h->threads_used = 0xffffffffu;
    h->series_count = 0;
    h->arena_used = (uint64_t)-64;
    for (int i = 0; i < 10; i++) { PM_COUNT("t.c", 1); PM_RECORD("t.d", 5); pm_count("t.new", 1); }
    CHECK_EQ_I64(victim, 0);
    uint64_t lost_buckets = h->dropped_hist;
    /* give readers their header back; t.new was registered meanwhile */
    h->cells_off = saved.cells_off;
    h->series_off = saved.series_off;
    h->max_series = saved.max_series;
    h->max_threads = saved.max_threads;
    h->hash_capacity = saved.hash_capacity;
    h->threads_used = saved.threads_used;
    h->arena_used = saved.arena_used;
    CHECK_EQ_U64(h->series_count, 3);
    CHECK_EQ_U64(sr_counter(&s, "t.new"), 10);
    CHECK_EQ_U64(sr_counter(&s, "t.c"), 11);
    CHECK_EQ_U64(lost_buckets, 10);
    munmap(m, (size_t)st.st_size);
    close(fd);
    sr_close(&s);
}

/* Threads beyond max_threads count exactly through the shared slot, and
   timers there keep exact count, min and max. */
static pthread_barrier_t bar;
static void *overflow_worker(void *arg)
{
    uint64_t me = (uint64_t)(uintptr_t)arg;
    for (uint64_t i = 1; i <= 1000; i++) { PM_COUNT("o.count", 1); PM_DURATION("o.dur", me * 1000 + i, 1); }
    pthread_barrier_wait(&bar);
    return NULL;
}

static void test_overflow_threads_exact(void)
{
    pm_config cfg = { 0 };
    cfg.max_threads = 2;
    CHECK_EQ_I64(pm_init(&cfg), PM_OK);
    pthread_t th[8];
    pthread_barrier_init(&bar, NULL, 8);
    for (uintptr_t i = 0; i < 8; i++) CHECK(pthread_create(&th[i], NULL, overflow_worker, (void *)(i + 1)) == 0);
    for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter(&s, "o.count"), 8000);
    CHECK_EQ_U64(s.h->overflow_threads, 6);
    static sr_stat t;
    sr_timer(&s, "o.dur", &t);
    CHECK_EQ_U64(t.count, 8000);
    CHECK_EQ_U64(t.min, 1001);
    CHECK_EQ_U64(t.max, 9000);
    CHECK_EQ_U64(t.hist_total, 8000);
    CHECK_EQ_U64(s.h->dropped, 0);
    sr_close(&s);
}

/* pm_prepare commits a thread's histogram ahead of its first record. */
static void test_prepare(void)
{
    pm_id id = pm_lookup("p.lat", PM_KIND_TIMER, PM_UNIT_NANOSECONDS);
    CHECK_EQ_I64(pm_prepare(id), PM_OK);
    sr_seg s;
    open_self(&s);
    int i = sr_find(&s, "p.lat");
    CHECK(i >= 0);
    uint64_t hoff = sr_cell(&s, 0, (uint32_t)i)->hist_off;
    CHECK(hoff != 0 && hoff != PM_SHM_HIST_NONE);
    CHECK_EQ_U64(s.h->arena_used, PM_SHM_HIST_BYTES);
    pm_duration_id(id, 10, 0);
    static sr_stat t;
    sr_timer(&s, "p.lat", &t);
    CHECK_EQ_U64(t.count, 1);
    CHECK_EQ_U64(t.errors, 1);
    CHECK_EQ_U64(s.h->arena_used, PM_SHM_HIST_BYTES);   /* nothing more allocated */
    CHECK_EQ_I64(pm_prepare(0), PM_ERR_INVALID);
    sr_close(&s);
}

/* The heartbeat moves while the writer lives, and the header knows who the
   writer is beyond its pid. */
static void test_heartbeat_and_identity(void)
{
    setenv("PERFMON_HEARTBEAT_MS", "20", 1);
    PM_COUNT("h", 1);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(s.h->heartbeat_interval_ns, 20000000u);
    uint64_t first = __atomic_load_n(&s.h->heartbeat_realtime_ns, __ATOMIC_RELAXED);
    CHECK(first > 0);
    int moved = 0;
    for (int i = 0; i < 5000 && !moved; i++) {          /* up to 50 s on a loaded machine */
        struct timespec nap = { 0, 10000000 };
        nanosleep(&nap, NULL);
        moved = __atomic_load_n(&s.h->heartbeat_realtime_ns, __ATOMIC_RELAXED) > first;
    }
    CHECK(moved);
    CHECK(s.h->proc_start_ticks > 0);
    struct stat ns;
    CHECK(stat("/proc/self/ns/pid", &ns) == 0);
    CHECK_EQ_U64(s.h->pid_ns_ino, (uint64_t)ns.st_ino);
    CHECK_EQ_U64(s.h->writers, 1);
    sr_close(&s);
}

/* exec() keeps what the old image recorded: the new image's segment takes
   a fallback name, the old one is flagged EXECED. */
static void test_exec_keeps_old_segment(void)
{
    PM_COUNT("before.exec", 7);
    char p[64];
    snprintf(p, sizeof p, "/dev/shm/perfmon.%ld", (long)getpid());
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        /* an instrumented image, the same pid: the test binary with no tests */
        PM_COUNT("child.before", 1);
        char self[4096];                               /* the binary's own path (valgrind runs it too) */
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) _exit(126);
        self[n] = '\0';
        setenv("PERFMON_KEEP", "1", 1);
        setenv("TEST_TRUST_EXEC_CHILD", "1", 1);
        execl(self, self, (char *)NULL);
        _exit(127);
    }
    int st;
    CHECK(waitpid(child, &st, 0) == child);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exec child status %d", st);
    char old_p[64], new_p[72];
    snprintf(old_p, sizeof old_p, "/dev/shm/perfmon.%ld", (long)child);
    snprintf(new_p, sizeof new_p, "%s.1", old_p);
    sr_seg s;
    CHECK_MSG(sr_open_path(&s, old_p) == 0, "pre-exec segment %s gone", old_p);
    CHECK(s.h->flags & PM_SHM_FLAG_EXECED);
    CHECK(s.h->flags & PM_SHM_FLAG_FORK_CHILD);
    CHECK_EQ_U64(sr_counter(&s, "child.before"), 1);
    sr_close(&s);
    CHECK_MSG(sr_open_path(&s, new_p) == 0, "post-exec segment %s missing", new_p);
    CHECK_EQ_U64(sr_counter(&s, "after.exec"), 1);
    CHECK(s.h->flags & PM_SHM_FLAG_ALT_NAME);
    sr_close(&s);
    unlink(old_p);
    unlink(new_p);
    (void)p;
}

int main(void)
{
    if (getenv("TEST_TRUST_EXEC_CHILD")) {             /* the image test_exec_keeps_old_segment execs */
        PM_COUNT("after.exec", 1);
        return 0;
    }
#if defined(__SANITIZE_THREAD__)
    setenv("PERFMON_HEARTBEAT_MS", "0", 1);   /* fork children may not start threads under TSan (see test_fork.c) */
#endif
    RUN(test_timer_stop_reused_buffer);
    RUN(test_pm_name_validation);
    RUN(test_mismatches_counted);
    RUN(test_drop_note_bytes);
    RUN(test_lookup_never_zero_when_off);
    RUN(test_config_spellings_and_errors);
    RUN(test_config_off_spellings);
    RUN(test_planted_fifo_no_hang);
    RUN(test_tampered_layout_ignored);
    RUN(test_overflow_threads_exact);
    RUN(test_prepare);
    RUN(test_heartbeat_and_identity);
    RUN(test_exec_keeps_old_segment);
    return harness_done();
}
