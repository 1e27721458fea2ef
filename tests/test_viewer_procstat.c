/* test_viewer_procstat.c - the dashboard's /proc sampling against a child
   with a known RSS, thread count, open files and CPU time, and against
   /proc read independently. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include "harness.h"
#include "viewer/read/procstat.h"

#define BIG (64u << 20)
#define EXTRA_THREADS 3
#define EXTRA_FDS 7

static void *idle_thread(void *arg)
{
    (void)arg;
    for (;;) pause();
    return NULL;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The child: burns 0.3 s of CPU, touches 64 MiB, starts 3 threads, opens
   7 files, writes one byte to the pipe and waits to be killed. */
static void child(int ready_fd)
{
    double t0 = cpu_now();
    volatile uint64_t x = 1;
    while (cpu_now() - t0 < 0.3) x = x * 6364136223846793005ull + 1;
    unsigned char *m = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) _exit(3);
    memset(m, 0x5a, BIG);
    pthread_t th;
    for (int i = 0; i < EXTRA_THREADS; i++) pthread_create(&th, NULL, idle_thread, NULL);
    for (int i = 0; i < EXTRA_FDS; i++) open("/dev/null", O_RDONLY);
    if (write(ready_fd, "r", 1) != 1) _exit(4);
    for (;;) pause();
}

static double status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double v = -1;
    if (!f) return v;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':') v = atof(line + strlen(key) + 1);
    fclose(f);
    return v;
}

static long count_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    long n = 0;
    struct dirent *de;
    if (!d) return -1;
    while ((de = readdir(d)) != NULL) n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_known_child(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        child(p[1]);
    }
    close(p[1]);
    char c;
    CHECK_MSG(read(p[0], &c, 1) == 1, "child did not get ready");
    close(p[0]);

    pmv_proc s;
    CHECK(pmv_proc_sample((int)pid, &s) == 1);
    double rss_kb = status_kb(pid, "VmRSS"), hwm_kb = status_kb(pid, "VmHWM"), vms_kb = status_kb(pid, "VmSize");
    long fds = count_fds(pid);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);

#if defined(__SANITIZE_THREAD__)   /* the runtime adds threads of its own */
    CHECK(s.threads >= 1 + EXTRA_THREADS);
#else
    CHECK_EQ_I64(s.threads, 1 + EXTRA_THREADS);
#endif
#if !defined(__SANITIZE_THREAD__)   /* TSan's shadow memory is resident too */
    CHECK_MSG(s.rss >= BIG && s.rss < BIG + (32u << 20), "rss %.0f", s.rss);
#endif
    CHECK_REL(s.rss, rss_kb * 1024, 0.01);   /* the child is idle: stable */
    CHECK_REL(s.hwm, hwm_kb * 1024, 0.01);
    CHECK_REL(s.vms, vms_kb * 1024, 0.01);
    CHECK(s.hwm >= s.rss * 0.99 && s.vms >= s.rss);
    CHECK_EQ_I64(s.fds, fds);
    CHECK(s.fds >= 3 + EXTRA_FDS);
    CHECK_MSG(s.utime + s.stime >= 0.25 && s.utime + s.stime < 5, "cpu %.3f s", s.utime + s.stime);
    CHECK(s.state != '?');
    CHECK(!isnan(s.rchar) && !isnan(s.wchar)); /* our own child: /proc/PID/io is readable */

    /* once gone: nothing known, no error */
    CHECK(pmv_proc_sample((int)pid, &s) == 0);
    CHECK(isnan(s.rss) && s.threads == -1 && s.fds == -1 && isnan(s.utime));
}

static double clock_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU % between two samples of a busy process is the CPU time it got
   between them (read independently from its CPU clock, each sample
   bracketed by two readings) over the time between them: however little
   of a core a loaded machine gives it, never more than one core. */
static void test_cpu_rate(void)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        volatile uint64_t x = 1;
        for (;;) x = x * 6364136223846793005ull + 1;
    }
    clockid_t cc;
    CHECK(clock_getcpuclockid(pid, &cc) == 0);
    while (clock_s(cc) < 0.01) {}  /* it is running */
    pmv_proc a, b;
    double a0 = clock_s(cc);
    pmv_proc_sample((int)pid, &a);
    double a1 = clock_s(cc);
    struct timespec wait = { 0, 600000000 };
    nanosleep(&wait, NULL);
    double b0 = clock_s(cc);
    pmv_proc_sample((int)pid, &b);
    double b1 = clock_s(cc);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    pmv_proc_rates r;
    pmv_proc_rates_between(&a, &b, &r);
    double dt = b.t - a.t, got = r.cpu_pct / 100 * dt;
    /* /proc/PID/stat counts in 10 ms units, and lags by up to a 10 ms tick */
    const double tick = 0.02;
    CHECK_MSG(got >= b0 - a1 - 2 * tick && got <= b1 - a0 + 2 * tick,
              "cpu %.1f%% over %.3f s = %.3f s, its clock says %.3f..%.3f s", r.cpu_pct, dt, got, b0 - a1, b1 - a0);
    CHECK_MSG(r.cpu_pct > 0 && r.cpu_pct <= 100 + 100 * 2 * tick / dt, "cpu %.1f%%", r.cpu_pct);
    CHECK_NEAR(r.cpu_pct, r.user_pct + r.sys_pct, 1e-9);
}

int main(void)
{
    RUN(test_known_child);
    RUN(test_cpu_rate);
    return harness_done();
}
