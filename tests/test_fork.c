/* test_fork.c - fork(): each process counts exactly, in its own segment */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "segread.h"

static char path_buf[64];

static const char *seg_path(long pid)
{
    snprintf(path_buf, sizeof path_buf, "/dev/shm/perfmon.%ld", pid);
    return path_buf;
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void bump(int n)
{
    for (int i = 0; i < n; i++) PM_COUNT("f.count", 1);  /* one call site, cached id */
}

/* Child exit codes say which check failed there (the harness's FAIL line is
   printed by the child too; exit code 99). */
static void test_parent_and_child_exact(void)
{
    pm_config cfg = { 0 };
    cfg.keep = 1;                         /* the child's segment stays for us to read */
    CHECK_EQ_I64(pm_init(&cfg), PM_OK);
    bump(1000);
    PM_GAUGE_SET("f.gauge", 77);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        CHECK_STR(pm_segment_path(), "");  /* no segment until the first record */
        bump(500);
        PM_GAUGE_ADD("f.gauge", 5);
        CHECK_STR(pm_segment_path(), seg_path(getpid()));
        sr_seg s;
        CHECK(sr_open_pid(&s, getpid()) == 0);
        CHECK_EQ_U64(s.h->pid, (uint64_t)getpid());
        CHECK_EQ_U64(sr_counter(&s, "f.count"), 500);
        CHECK_EQ_I64(sr_gauge(&s, "f.gauge", NULL), 5);  /* a gauge starts at 0 in the child */
        sr_close(&s);
        exit(0);
    }
    bump(1);
    int st;
    waitpid(c, &st, 0);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed (status 0x%x)", st);
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    CHECK_EQ_U64(sr_counter(&s, "f.count"), 1001);
    CHECK_EQ_I64(sr_gauge(&s, "f.gauge", NULL), 77);
    CHECK_EQ_U64(s.h->state, PM_SHM_STATE_RUNNING);
    sr_close(&s);
    CHECK(sr_open_pid(&s, c) == 0);     /* the child's own, kept segment */
    CHECK_EQ_U64(s.h->pid, (uint64_t)c);
    CHECK_EQ_U64(s.h->state, PM_SHM_STATE_EXITED);
    CHECK_EQ_U64(sr_counter(&s, "f.count"), 500);
    CHECK_EQ_I64(sr_gauge(&s, "f.gauge", NULL), 5);
    CHECK_EQ_U64(s.h->dropped, 0);
    sr_close(&s);
    unlink(seg_path(c));
}

/* A child that never records creates no segment, and its exit does not
   remove or mark the parent's. */
static void test_child_without_records_leaves_parent_alone(void)
{
    PM_COUNT("p", 1);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) exit(0);
    int st;
    waitpid(c, &st, 0);
    CHECK(!exists(seg_path(c)));
    CHECK(exists(seg_path(getpid())));
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    CHECK_EQ_U64(s.h->state, PM_SHM_STATE_RUNNING);
    CHECK(sr_alive(&s));
    PM_COUNT("p", 1);
    CHECK_EQ_U64(sr_counter(&s, "p"), 2);
    sr_close(&s);
}

/* After the parent dies, its segment reads as gone even though a forked
   child (which inherited the lock's file) still runs. */
static void test_child_does_not_hold_parent_lock(void)
{
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t parent = fork();                /* plays the instrumented parent */
    CHECK(parent >= 0);
    if (parent == 0) {
        PM_COUNT("p", 1);
        int up[2];
        if (pipe(up) != 0) _exit(1);
        pid_t child = fork();
        if (child == 0) {  /* runs after its atfork handlers: it is "up" */
            if (write(up[1], "x", 1) != 1) _exit(1);
            pause();
            _exit(0);
        }
        char x;
        if (read(up[0], &x, 1) != 1) _exit(1);
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%ld\n", (long)child);
        if (write(go[1], buf, (size_t)n) != n) _exit(1);
        raise(SIGKILL);
    }
    char buf[16] = { 0 };
    CHECK(read(go[0], buf, sizeof buf - 1) > 0);
    long child = atol(buf);
    waitpid(parent, NULL, 0);
    sr_seg s;
    int ok = sr_open_pid(&s, parent) == 0;
    int alive = ok ? sr_alive(&s) : -1;
    if (ok) sr_close(&s);
    kill((pid_t)child, SIGKILL);
    unlink(seg_path(parent));
    CHECK(ok);
    CHECK_MSG(alive == 0, "parent's segment still looks alive (child holds its lock)");
}

/* A span begun before fork() and ended in the child lands in the child. */
static void test_span_across_fork(void)
{
    pm_config cfg = { 0 };
    cfg.keep = 1;
    CHECK_EQ_I64(pm_init(&cfg), PM_OK);
    pm_span sp = PM_BEGIN("f.span");
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        PM_END(sp);
        exit(0);
    }
    waitpid(c, NULL, 0);
    static sr_stat t;
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    sr_timer(&s, "f.span", &t);
    CHECK(t.found);
    CHECK_EQ_U64(t.count, 0);
    sr_close(&s);
    CHECK(sr_open_pid(&s, c) == 0);
    sr_timer(&s, "f.span", &t);
    CHECK_EQ_U64(t.count, 1);
    sr_close(&s);
    unlink(seg_path(c));
}

static volatile int stop_spinning;

static void *spinner(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop_spinning, __ATOMIC_RELAXED)) PM_COUNT("f.spin", 1);
    return NULL;
}

/* fork() while other threads record and register: the child still gets an
   exact, working segment of its own; grandchildren too. */
static void test_fork_while_threads_record(void)
{
    pthread_t th[3];
    PM_COUNT("f.spin", 1);                /* initialised before the threads start */
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&th[i], NULL, spinner, NULL) == 0);
    pid_t kids[8];
    for (int k = 0; k < 8; k++) {
        kids[k] = fork();
        CHECK(kids[k] >= 0);
        if (kids[k] == 0) {
            char name[32];
            snprintf(name, sizeof name, "f.kid%d", k);
            for (int i = 0; i < 10000; i++) PM_COUNT("f.count", 1);
            pm_count(name, 3);
            pid_t g = fork();
            if (g == 0) {
                for (int i = 0; i < 7; i++) PM_COUNT("f.count", 1);
                sr_seg gs;
                if (sr_open_pid(&gs, getpid()) != 0 || sr_counter(&gs, "f.count") != 7) _exit(5);
                unlink(seg_path(getpid()));
                _exit(0);
            }
            int gst;
            waitpid(g, &gst, 0);
            sr_seg s;
            CHECK(sr_open_pid(&s, getpid()) == 0);
            CHECK_EQ_U64(sr_counter(&s, "f.count"), 10000);
            CHECK_EQ_U64(sr_counter(&s, name), 3);
            CHECK_EQ_U64(sr_counter(&s, "f.spin"), 0);  /* the spinners are not in the child */
            CHECK_EQ_U64(s.h->dropped, 0);
            sr_close(&s);
            CHECK_MSG(WIFEXITED(gst) && WEXITSTATUS(gst) == 0, "grandchild failed: 0x%x", gst);
            unlink(seg_path(getpid()));
            _exit(0);
        }
    }
    int failed = 0;
    for (int k = 0; k < 8; k++) {
        int st;
        waitpid(kids[k], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failed++;
        unlink(seg_path(kids[k]));
    }
    __atomic_store_n(&stop_spinning, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    CHECK_EQ_U64(failed, 0);
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    CHECK_EQ_U64(sr_counter(&s, "f.count"), SR_MISSING);  /* never recorded in the parent */
    CHECK(sr_counter(&s, "f.spin") > 0);
    sr_close(&s);
}

static void *first_record(void *arg)
{
    __atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
    PM_COUNT("f.first", 1);
    return NULL;
}

/* fork() while another thread is initialising perfmon (its first record):
   the child must still be able to record. Each attempt is a fresh process,
   so the first record really is the first; a child stuck for 10 s counts as
   a deadlock. */
static void test_fork_during_first_init(void)
{
#if defined(__SANITIZE_THREAD__)
    /* TSan's runtime does not support fork() of a multi-threaded process
       well: here the child hangs on a mutex the atfork handlers released
       (never seen in 200+ plain-build runs); checked by the other builds */
    SKIP("under ThreadSanitizer");
#endif
    int hung = 0, other = 0;
    for (int attempt = 0; attempt < 20; attempt++) {
        pid_t p = fork();
        CHECK(p >= 0);
        if (p == 0) {
            pthread_t th;
            static int started;
            if (pthread_create(&th, NULL, first_record, &started) != 0) _exit(2);
            while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE)) {}
            pid_t c = fork();                 /* while the thread initialises */
            if (c == 0) {
                alarm(10);  /* a deadlock, not a slow machine */
                PM_COUNT("f.child", 1);
                unlink(seg_path(getpid()));
                _exit(0);
            }
            int st;
            waitpid(c, &st, 0);
            pthread_join(th, NULL);
            unlink(seg_path(c));
            unlink(seg_path(getpid()));
            _exit(WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? 3 : WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 4);
        }
        int st;
        waitpid(p, &st, 0);
        unlink(seg_path(p));
        if (WIFEXITED(st) && WEXITSTATUS(st) == 3) { hung++; break; }
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) other++;
    }
    CHECK_MSG(hung == 0, "a child forked during another thread's first record deadlocked "
                         "on its first record");
    CHECK_EQ_U64(other, 0);
}

/* Forks a child that records 5 and ends as told: 'x' _exit(3), 'k'
   SIGKILL (a crash), 'z' _exit(0). Returns its pid once it has ended,
   left a zombie (waitid WNOWAIT) so the parent's writer can see how. */
static pid_t child_that_ends(char how)
{
    pid_t c = fork();
    if (c == 0) {
        bump(5);
        if (how == 'k') raise(SIGKILL);
        _exit(how == 'x' ? 3 : 0);
    }
    siginfo_t si;
    if (c > 0) while (waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT) != 0 && errno == EINTR) {}
    return c;
}

static uint32_t end_how(long pid)  /* 99: no segment */
{
    sr_seg s;
    uint32_t h = 99;
    if (sr_open_pid(&s, pid) == 0) {
        h = s.h->end_how;
        sr_close(&s);
    }
    return h;
}

/* Children that end with _exit() run no atexit: the parent's writer says
   how they ended (here at pm_shutdown(), the heartbeat off so nothing looks
   earlier; test_underscore_exit_heartbeat checks the heartbeat does it
   while the parent runs). With PERFMON_KEEP
   every segment stays, marked. */
static void test_underscore_exit_children_kept(void)
{
    setenv("PERFMON_HEARTBEAT_MS", "0", 1);  /* else a beat may see z before waitpid() reaps it */
    pm_config cfg = { 0 };
    cfg.keep = 1;
    CHECK_EQ_I64(pm_init(&cfg), PM_OK);
    bump(10);
    pid_t x = child_that_ends('x'), k = child_that_ends('k'), z = fork();
    CHECK(x > 0 && k > 0 && z >= 0);
    if (z == 0) {
        bump(5);
        _exit(0);
    }
    waitpid(z, NULL, 0);                  /* the program reaps it first: how is unseen */
    pm_shutdown();
    sr_seg s;
    CHECK(sr_open_pid(&s, x) == 0);
    CHECK_EQ_U64(s.h->state, PM_SHM_STATE_EXITED);
    CHECK_EQ_U64(s.h->end_how, PM_SHM_END_EXIT);
    CHECK_EQ_U64(s.h->end_code, 3);
    CHECK(s.h->end_realtime_ns >= s.h->start_realtime_ns);
    CHECK_EQ_U64(sr_counter(&s, "f.count"), 5);
    sr_close(&s);
    CHECK(sr_open_pid(&s, k) == 0);
    CHECK_EQ_U64(s.h->state, PM_SHM_STATE_RUNNING);  /* reads as crashed */
    CHECK_EQ_U64(s.h->end_how, PM_SHM_END_SIGNAL);
    CHECK_EQ_U64(s.h->end_code, SIGKILL);
    sr_close(&s);
    CHECK(sr_open_pid(&s, z) == 0);
    CHECK_EQ_U64(s.h->end_how, PM_SHM_END_UNSEEN);
    CHECK_EQ_U64(sr_counter(&s, "f.count"), 5);
    sr_close(&s);
    int st;
    CHECK(waitpid(x, &st, 0) == x && WIFEXITED(st) && WEXITSTATUS(st) == 3);  /* status left to us */
    CHECK(waitpid(k, &st, 0) == k && WIFSIGNALED(st));
    unlink(seg_path(x));
    unlink(seg_path(k));
    unlink(seg_path(z));
}

/* Without PERFMON_KEEP, an ended child's segment goes like an exited
   process's; only a crash stays for post-mortem reading. */
static void test_underscore_exit_children_removed(void)
{
    setenv("PERFMON_HEARTBEAT_MS", "0", 1);  /* only pm_shutdown() finishes them here */
    bump(10);
    pid_t x = child_that_ends('x'), k = child_that_ends('k'), z = fork();
    CHECK(x > 0 && k > 0 && z >= 0);
    if (z == 0) {
        bump(5);
        _exit(0);
    }
    waitpid(z, NULL, 0);
    CHECK(exists(seg_path(x)) && exists(seg_path(z)));
    pm_shutdown();
    CHECK(!exists(seg_path(x)));
    CHECK(!exists(seg_path(z)));
    CHECK(exists(seg_path(k)));
    CHECK_EQ_U64(end_how(k), PM_SHM_END_SIGNAL);
    waitpid(x, NULL, 0);
    waitpid(k, NULL, 0);
    unlink(seg_path(k));
}

/* While the parent runs, its heartbeat finishes children as they end. */
static void test_underscore_exit_heartbeat(void)
{
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
    SKIP("no heartbeat thread under this sanitizer (see main)");
#endif
    setenv("PERFMON_HEARTBEAT_MS", "20", 1);
    pm_config cfg = { 0 };
    cfg.keep = 1;
    CHECK_EQ_I64(pm_init(&cfg), PM_OK);
    bump(1);
    pid_t x = child_that_ends('x');
    CHECK(x > 0);
    int i = 0;                            /* a condition, not a time: the harness alarm bounds it */
    while (end_how(x) != PM_SHM_END_EXIT && i++ < 100000) usleep(1000);
    CHECK_EQ_U64(end_how(x), PM_SHM_END_EXIT);
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    CHECK_EQ_U64(s.h->state, PM_SHM_STATE_RUNNING);  /* the parent goes on */
    for (unsigned n = 0; n < PM_SHM_CHILD_NOTES; n++) CHECK_EQ_U64(s.h->children[n], 0);  /* taken */
    sr_close(&s);
    waitpid(x, NULL, 0);
    unlink(seg_path(x));
}

/* After pm_shutdown() a forked child records nothing and creates nothing. */
static void test_fork_after_shutdown(void)
{
    PM_COUNT("x", 1);
    pm_shutdown();
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        PM_COUNT("x", 1);
        _exit(exists(seg_path(getpid())) ? 1 : 0);
    }
    int st;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The program a child execs (this binary, --exec-child PARENT_PID): a new
   image records into its own segment from zero, and inherited no
   descriptor of the parent's segment (O_CLOEXEC). Exit codes: 0 ok,
   3 the parent's segment is open here, 4 no segment of its own. */
static int exec_child(long parent)
{
    char want[64], fdpath[64], target[256];
    snprintf(want, sizeof want, "/dev/shm/perfmon.%ld", parent);
    for (int fd = 0; fd < 1024; fd++) {
        snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(fdpath, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = '\0';
        if (strncmp(target, want, strlen(want)) == 0) return 3;
    }
    for (int i = 0; i < 300; i++) PM_COUNT("f.count", 1);
    return strcmp(pm_segment_path(), seg_path(getpid())) == 0 ? 0 : 4;
}

static char self_exe[4096] = "/proc/self/exe";  /* argv[0] resolved: valgrind's /proc/self/exe is valgrind */

/* fork() then exec(): parent and exec'd child each exact, each in its own
   segment (the child keeps its pid across exec, the segment its name). */
static void test_fork_then_exec(void)
{
    bump(1000);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0) {
        char arg[32];
        snprintf(arg, sizeof arg, "%ld", (long)getppid());
        setenv("PERFMON_KEEP", "1", 1);
        execl(self_exe, "test_fork", "--exec-child", arg, (char *)NULL);
        _exit(127);
    }
    bump(1);
    int st;
    waitpid(c, &st, 0);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exec'd child failed (status 0x%x)", st);
    sr_seg s;
    CHECK(sr_open_pid(&s, getpid()) == 0);
    CHECK_EQ_U64(sr_counter(&s, "f.count"), 1001);
    sr_close(&s);
    CHECK(sr_open_pid(&s, c) == 0);
    CHECK_EQ_U64(s.h->pid, (uint64_t)c);
    CHECK_EQ_U64(s.h->state, PM_SHM_STATE_EXITED);
    CHECK_EQ_U64(sr_counter(&s, "f.count"), 300);
    CHECK_EQ_U64(s.h->dropped, 0);
    sr_close(&s);
    unlink(seg_path(c));
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--exec-child") == 0) return exec_child(atol(argv[2]));
    if (!realpath(argv[0], self_exe)) snprintf(self_exe, sizeof self_exe, "/proc/self/exe");
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
    /* Sanitizer runtimes do not survive fork() of a multi-threaded process:
       TSan dies when the child starts a thread, as perfmon's heartbeat
       would, and a child's LSan exit check can wait forever on an allocator
       lock another thread held at fork(). These runs go without the
       heartbeat thread (test_trust.c checks it under each sanitizer). */
    setenv("PERFMON_HEARTBEAT_MS", "0", 1);
#endif
    RUN(test_parent_and_child_exact);
    RUN(test_child_without_records_leaves_parent_alone);
    RUN(test_child_does_not_hold_parent_lock);
    RUN(test_span_across_fork);
    RUN(test_fork_while_threads_record);
    RUN(test_fork_during_first_init);
    RUN(test_fork_after_shutdown);
    RUN(test_underscore_exit_children_kept);
    RUN(test_underscore_exit_children_removed);
    RUN(test_underscore_exit_heartbeat);
    RUN(test_fork_then_exec);
    return harness_done();
}
