/* stress.c - multi-threaded load that publishes what it has completed

   usage: stress [--threads N] [--seconds S] [--progress FILE] [--churn K]
          stress --sum FILE

   N worker threads (default 8) loop over one "operation" until S seconds
   have passed (0, the default: until SIGTERM/SIGINT) and then exit
   normally. One operation records, in this order:
     stress.ops                      counter       +1
     stress.timer                    timer         PM_DURATION of 1000..1000999 ns,
                                                   every 7th an error
     stress.size                     distribution  1..65536 bytes
     stress.req{worker="<w % 4>"}    counter       +1 (by name: hashed each call)
     stress.gauge                    gauge         set to the worker's ops
   and only then publishes the worker's completed count (a release store)
   in FILE (--progress): a small shared file, uint64 per worker at offset
   64 * (1 + worker); offset 0 holds the number of workers. So after a
   SIGKILL at any moment, for each of the first four series:
       published total <= value in the segment <= published total + N
   (at most one operation in flight per worker).
   --churn K: a worker thread exits after K operations and a new thread
   continues its count (short-lived threads: slots are handed on).
   The pid is printed on stdout (one line, flushed) once every worker has
   completed an operation.
   --sum FILE prints "WORKERS TOTAL" from a progress file and exits. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_WORKERS 63
#define PROGRESS_SIZE 4096

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static long opt_threads = 8, opt_seconds = 0, opt_churn = 0;
static uint64_t *progress;  /* [0] workers, [8 * (1 + w)] done of worker w */
static uint64_t local_done[MAX_WORKERS];  /* when there is no progress file */
static uint64_t deadline_ns;
static char req_names[4][64];

static uint64_t *done_of(long w) { return progress ? &progress[8 * (1 + w)] : &local_done[w]; }

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int finished(void) { return stop || (deadline_ns && now_ns() >= deadline_ns); }

/* One worker's operations; with --churn, one thread runs K of them. */
static void *worker(void *arg)
{
    long w = (long)(intptr_t)arg;
    uint64_t *done = done_of(w);
    uint64_t n = __atomic_load_n(done, __ATOMIC_RELAXED);
    uint64_t rng = 0x9E3779B97F4A7C15ull * (uint64_t)(w + 1) + n;
    for (long k = 0; !opt_churn || k < opt_churn; k++) {
        if ((k & 63) == 0 && finished()) break;
        rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
        uint64_t r = rng * 2685821657736338717ull;
        PM_COUNT("stress.ops", 1);
        PM_DURATION("stress.timer", 1000 + r % 1000000, n % 7 != 6);
        PM_RECORD_BYTES("stress.size", 1 + (int64_t)((r >> 20) % 65536));
        pm_count(req_names[w % 4], 1);
        PM_GAUGE_SET("stress.gauge", (int64_t)n);
        n++;
        __atomic_store_n(done, n, __ATOMIC_RELEASE);
    }
    return NULL;
}

/* Keeps one thread of worker w running at a time (a new one each K ops). */
static void *supervisor(void *arg)
{
    while (!finished()) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, arg) != 0) { perror("stress: pthread_create"); exit(1); }
        pthread_join(t, NULL);
        if (!opt_churn) break;
    }
    return NULL;
}

static int sum_file(const char *path)
{
    uint64_t buf[PROGRESS_SIZE / 8];
    int fd = open(path, O_RDONLY);
    if (fd < 0 || pread(fd, buf, sizeof buf, 0) != (ssize_t)sizeof buf) { perror(path); return 2; }
    close(fd);
    uint64_t n = buf[0], total = 0;
    if (n > MAX_WORKERS) { fprintf(stderr, "stress: %s: bad worker count\n", path); return 2; }
    for (uint64_t w = 0; w < n; w++) total += buf[8 * (1 + w)];
    printf("%llu %llu\n", (unsigned long long)n, (unsigned long long)total);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: stress [--threads N] [--seconds S] [--progress FILE] [--churn K]\n"
                    "       stress --sum FILE\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *progress_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage();
        if (strcmp(a, "--sum") == 0) return sum_file(v);
        if (strcmp(a, "--threads") == 0) opt_threads = atol(v);
        else if (strcmp(a, "--seconds") == 0) opt_seconds = atol(v);
        else if (strcmp(a, "--churn") == 0) opt_churn = atol(v);
        else if (strcmp(a, "--progress") == 0) progress_path = v;
        else return usage();
        i++;
    }
    if (opt_threads < 1 || opt_threads > MAX_WORKERS || opt_seconds < 0 || opt_churn < 0) return usage();
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    for (int k = 0; k < 4; k++) {
        char v[8];
        snprintf(v, sizeof v, "%d", k);
        pm_name(req_names[k], sizeof req_names[k], "stress.req", "worker", v, (char *)NULL);
    }
    if (progress_path) {
        int fd = open(progress_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || ftruncate(fd, PROGRESS_SIZE) != 0) { perror(progress_path); return 1; }
        void *m = mmap(NULL, PROGRESS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) { perror("stress: mmap"); return 1; }
        close(fd);
        progress = m;
        progress[0] = (uint64_t)opt_threads;
    }
    if (opt_seconds) deadline_ns = now_ns() + (uint64_t)opt_seconds * 1000000000u;
    pthread_t th[MAX_WORKERS];
    for (long w = 0; w < opt_threads; w++)
        if (pthread_create(&th[w], NULL, supervisor, (void *)(intptr_t)w) != 0) { perror("stress"); return 1; }
    for (long w = 0; w < opt_threads; w++)
        while (__atomic_load_n(done_of(w), __ATOMIC_ACQUIRE) == 0 && !finished()) usleep(1000);
    printf("%ld\n", (long)getpid());
    fflush(stdout);
    for (long w = 0; w < opt_threads; w++) pthread_join(th[w], NULL);
    return 0;
}
