/* harness.h - the perfmon test harness: one header, no dependencies

   Each test is a void function. main() runs them with RUN(fn) and ends with
   `return harness_done();`. RUN forks: the test runs in a child process (a
   fresh process, so a fresh perfmon segment; the parent never records),
   under an alarm of HARNESS_TIMEOUT_S seconds. The parent prints

       ok - test_file.c: test_name
       FAIL - test_file.c: test_name: test_file.c:42: CHECK_EQ_U64(a, b): 3 != 4

       skip - test_file.c: test_name: why it cannot run here

   and finally `# test_file.c: N passed, M failed` (`, K skipped` added when
   a test skipped); harness_done() returns 1 when anything failed. A skip is
   neither a pass nor a failure: run.sh counts it on its own. A failed check prints its FAIL line and exits the
   child at once (exit(), so atexit handlers such as pm_shutdown run); a
   crash, a timeout or a non-zero exit is reported by the parent. After each
   test the parent kills whatever the child left running in its process
   group and removes /dev/shm/perfmon.<child pid> (and .<n>) if the child left them.

   Checks (usable in any function of the child, any thread):
       CHECK(cond)                   CHECK_MSG(cond, fmt, ...)
       CHECK_EQ_U64(a, b)            CHECK_EQ_I64(a, b)
       CHECK_NEAR(a, b, tol)         |a - b| <= tol, as doubles
       CHECK_REL(a, b, rel)          |a - b| <= rel * |b|
       CHECK_STR(a, b)               strcmp == 0 (NULL-safe)
   SKIP(fmt, ...) ends the test as skipped (this machine cannot run it). */
#ifndef PM_TEST_HARNESS_H
#define PM_TEST_HARNESS_H

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HARNESS_TIMEOUT_S
#define HARNESS_TIMEOUT_S 60
#endif

static const char *harness_test = "?";
static int harness_passed, harness_failed, harness_skipped;

static const char *harness_file(void)
{
    const char *s = strrchr(__BASE_FILE__, '/');  /* the test file, not this header */
    return s ? s + 1 : __BASE_FILE__;
}

/* Prints the FAIL line for the running test and ends the child. */
static void harness_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static void harness_fail(const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *base = strrchr(file, '/');
    printf("FAIL - %s: %s: %s:%d: %s\n", harness_file(), harness_test, base ? base + 1 : file, line, msg);
    fflush(stdout);
    exit(99);  /* 99: "a check failed and said so" */
}

/* Prints the skip line for the running test and ends the child. */
static void harness_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn, unused));
static void harness_skip(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printf("skip - %s: %s: %s\n", harness_file(), harness_test, msg);
    fflush(stdout);
    exit(77);  /* 77: "skipped and said so" */
}
#define SKIP(...) harness_skip(__VA_ARGS__)

#define CHECK(cond) \
    do { if (!(cond)) harness_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); } while (0)
#define CHECK_MSG(cond, ...) \
    do { if (!(cond)) harness_fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)
#define CHECK_EQ_U64(a, b) do { \
    uint64_t h_a_ = (uint64_t)(a), h_b_ = (uint64_t)(b); \
    if (h_a_ != h_b_) harness_fail(__FILE__, __LINE__, "CHECK_EQ_U64(%s, %s): %" PRIu64 " != %" PRIu64, \
                                   #a, #b, h_a_, h_b_); } while (0)
#define CHECK_EQ_I64(a, b) do { \
    int64_t h_a_ = (int64_t)(a), h_b_ = (int64_t)(b); \
    if (h_a_ != h_b_) harness_fail(__FILE__, __LINE__, "CHECK_EQ_I64(%s, %s): %" PRId64 " != %" PRId64, \
                                   #a, #b, h_a_, h_b_); } while (0)
#define CHECK_NEAR(a, b, tol) do { \
    double h_a_ = (double)(a), h_b_ = (double)(b), h_t_ = (double)(tol); \
    if (!(fabs(h_a_ - h_b_) <= h_t_)) harness_fail(__FILE__, __LINE__, \
        "CHECK_NEAR(%s, %s, %s): %.6g vs %.6g (diff %.6g > %.6g)", #a, #b, #tol, h_a_, h_b_, \
        fabs(h_a_ - h_b_), h_t_); } while (0)
#define CHECK_REL(a, b, rel) do { \
    double h_a_ = (double)(a), h_b_ = (double)(b), h_r_ = (double)(rel); \
    if (!(fabs(h_a_ - h_b_) <= h_r_ * fabs(h_b_))) harness_fail(__FILE__, __LINE__, \
        "CHECK_REL(%s, %s, %s): %.9g vs %.9g (off by %.4f%%)", #a, #b, #rel, h_a_, h_b_, \
        h_b_ != 0 ? 100.0 * fabs(h_a_ - h_b_) / fabs(h_b_) : INFINITY); } while (0)
#define CHECK_STR(a, b) do { \
    const char *h_a_ = (a), *h_b_ = (b); \
    if (!h_a_ || !h_b_ || strcmp(h_a_, h_b_) != 0) harness_fail(__FILE__, __LINE__, \
        "CHECK_STR(%s, %s): \"%s\" != \"%s\"", #a, #b, h_a_ ? h_a_ : "(null)", h_b_ ? h_b_ : "(null)"); \
    } while (0)

static void harness_run(const char *name, void (*fn)(void))
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        printf("FAIL - %s: %s: fork: %s\n", harness_file(), name, strerror(errno));
        harness_failed++;
        return;
    }
    if (pid == 0) {
        harness_test = name;
        setpgid(0, 0);  /* its own group: the parent can end any stragglers */
        signal(SIGALRM, SIG_DFL);
        alarm(HARNESS_TIMEOUT_S);
        fn();
        fflush(stdout);
        exit(0);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    kill(-pid, SIGKILL);  /* processes the test forked and left behind */
    char seg[64];
    for (int n = 0; n <= 16; n++) {  /* whatever the test left: kept, crashed or killed, fallback names too */
        if (n == 0) snprintf(seg, sizeof seg, "/dev/shm/perfmon.%ld", (long)pid);
        else snprintf(seg, sizeof seg, "/dev/shm/perfmon.%ld.%d", (long)pid, n);
        unlink(seg);
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        printf("ok - %s: %s\n", harness_file(), name);
        harness_passed++;
        return;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {  /* already printed its skip line */
        harness_skipped++;
        return;
    }
    harness_failed++;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 99) return;  /* already printed its FAIL line */
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
        printf("FAIL - %s: %s: timed out after %d s\n", harness_file(), name, HARNESS_TIMEOUT_S);
    else if (WIFSIGNALED(st))
        printf("FAIL - %s: %s: crashed: signal %d (%s)\n", harness_file(), name, WTERMSIG(st),
               strsignal(WTERMSIG(st)));
    else
        printf("FAIL - %s: %s: exit status %d\n", harness_file(), name, WEXITSTATUS(st));
    fflush(stdout);
}

#define RUN(fn) harness_run(#fn, fn)

static int harness_done(void)
{
    printf("# %s: %d passed, %d failed", harness_file(), harness_passed, harness_failed);
    if (harness_skipped) printf(", %d skipped", harness_skipped);
    printf("\n");
    fflush(stdout);
    return harness_failed ? 1 : 0;
}

#endif
