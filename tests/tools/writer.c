/* writer.c - a configurable instrumented program for end-to-end tests

   usage: writer [--threads N] [--iters N] [--mode MODE] [--sleep-ms X]
                 [--errors-every K] [--slow-every K] [--scale K] [--seed S]
                 [--exact FILE] [--then exit|wait|kill|abort]

   Records, in N threads, N iterations each, then prints its pid on stdout
   (one line, flushed) and does what --then says:
     exit   return from main (atexit: pm_shutdown; PERFMON_KEEP decides)
     wait   keep running until SIGTERM or SIGINT, then exit normally
     kill   SIGKILL itself (a crash that leaves the segment behind)
     abort  abort()
   Modes and the series they write (all counts exact and deterministic):
     count      writer.count               counter, +1 per iteration
     timer      writer.timer               PM_DURATION of 1000 + (i % 1000) ns
                                           (times --scale K, default 1),
                                           or 2 s every --slow-every K-th (slow,
                                           default threshold 1 s); every
                                           --errors-every K-th fails
                writer.sleep               (only with --sleep-ms) PM_SCOPE
                                           around a sleep of X ms
     lognormal  writer.lognormal           PM_RECORD of round(exp(N(ln 1e6, 1)))
                                           per iteration; --exact FILE writes
                                           "count min max p50 p90 p99" exactly
                                           (sorted; rank = ceil(q * count))
     labels     writer.req{method="GET",path="/a"}       i % 3 == 0
                writer.req{method="POST",path="/b\"q\\"} i % 3 == 1
                writer.req{method="GET",path="/c\nd"}    i % 3 == 2
                (escaped values via pm_name(); counters)
     hostile    writer.hostile{v="..."}, counters, +1 per iteration each,
                with label values a terminal, a spreadsheet or a JSON
                parser must not take as they are: raw C1 CSI (0x9b), C1
                as UTF-8 (c2 9b), a right-to-left override (U+202E), DEL,
                invalid UTF-8 (0xff), "=HYPERLINK(...)", and "café ✓"
     mixed      count + timer + labels, and writer.gauge (gauge, set to
                -threads * iters), writer.bytes (distribution in bytes, 4096
                per iteration)
   Exit status 2 on a usage error. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long opt_threads = 1, opt_iters = 1000, opt_sleep_ms = 0, opt_errors_every = 0, opt_slow_every = 0,
            opt_scale = 1;
static unsigned long long opt_seed = 42;
static const char *opt_mode = "count", *opt_then = "exit", *opt_exact = NULL;
static uint64_t *samples;  /* lognormal: every value, for --exact */

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static uint64_t rng_next(uint64_t *s)  /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static double rng_normal(uint64_t *s)  /* Box-Muller */
{
    double u1 = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    double u2 = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static void do_count(long i) { (void)i; PM_COUNT("writer.count", 1); }

static void do_timer(long i)
{
    uint64_t ns = (1000 + (uint64_t)(i % 1000)) * (uint64_t)opt_scale;
    if (opt_slow_every && i % opt_slow_every == opt_slow_every - 1) ns = 2000000000ull;
    int ok = !(opt_errors_every && i % opt_errors_every == opt_errors_every - 1);
    PM_DURATION("writer.timer", ns, ok);
    if (opt_sleep_ms > 0) {
        PM_SCOPE("writer.sleep");
        struct timespec ts = { opt_sleep_ms / 1000, (opt_sleep_ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
}

static char label_names[3][PM_SHM_NAME_MAX];

static void do_labels(long i) { pm_count(label_names[i % 3], 1); }

static const char *const hostile_names[] = {
    "writer.hostile{v=\"\x9b" "31mred\"}",
    "writer.hostile{v=\"\xc2\x9b" "2Jclear\"}",
    "writer.hostile{v=\"evil\xe2\x80\xae" "gnp.exe\"}",
    "writer.hostile{v=\"del\x7f" "bad\xff" "byte\"}",
    "writer.hostile{v=\"=HYPERLINK(\\\"http://x\\\")\"}",
    "writer.hostile{v=\"caf\xc3\xa9 \xe2\x9c\x93\"}",
};

static void do_hostile(long i)
{
    (void)i;
    for (size_t k = 0; k < sizeof hostile_names / sizeof hostile_names[0]; k++) pm_count(hostile_names[k], 1);
}

static void *worker(void *arg)
{
    long t = (long)(intptr_t)arg;
    uint64_t rng = opt_seed * 0x9E3779B97F4A7C15ull + (uint64_t)t + 1;
    for (long i = 0; i < opt_iters; i++) {
        if (strcmp(opt_mode, "count") == 0) do_count(i);
        else if (strcmp(opt_mode, "timer") == 0) do_timer(i);
        else if (strcmp(opt_mode, "labels") == 0) do_labels(i);
        else if (strcmp(opt_mode, "hostile") == 0) do_hostile(i);
        else if (strcmp(opt_mode, "lognormal") == 0) {
            double v = exp(log(1e6) + rng_normal(&rng));
            uint64_t x = (uint64_t)llround(v);
            samples[t * opt_iters + i] = x;
            PM_RECORD("writer.lognormal", (int64_t)x);
        } else {  /* mixed */
            do_count(i);
            do_timer(i);
            do_labels(i);
            PM_RECORD_BYTES("writer.bytes", 4096);
        }
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int write_exact(const char *path, uint64_t n)
{
    qsort(samples, n, sizeof *samples, cmp_u64);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    static const double qs[] = { 0.50, 0.90, 0.99 };
    fprintf(f, "%llu %llu %llu", (unsigned long long)n, (unsigned long long)samples[0],
            (unsigned long long)samples[n - 1]);
    for (int k = 0; k < 3; k++) {
        uint64_t rank = (uint64_t)ceil(qs[k] * (double)n);
        fprintf(f, " %llu", (unsigned long long)samples[rank - 1]);
    }
    fputc('\n', f);
    return fclose(f);
}

static int usage(const char *why)
{
    fprintf(stderr, "writer: %s\nusage: writer [--threads N] [--iters N] [--mode count|timer|lognormal|labels|mixed]\n"
                    "              [--sleep-ms X] [--errors-every K] [--slow-every K] [--scale K] [--seed S]\n"
                    "              [--exact FILE] [--then exit|wait|kill|abort]\n", why);
    return 2;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage("missing value");
        if (strcmp(a, "--threads") == 0) opt_threads = atol(v);
        else if (strcmp(a, "--iters") == 0) opt_iters = atol(v);
        else if (strcmp(a, "--mode") == 0) opt_mode = v;
        else if (strcmp(a, "--sleep-ms") == 0) opt_sleep_ms = atol(v);
        else if (strcmp(a, "--errors-every") == 0) opt_errors_every = atol(v);
        else if (strcmp(a, "--slow-every") == 0) opt_slow_every = atol(v);
        else if (strcmp(a, "--scale") == 0) opt_scale = atol(v);
        else if (strcmp(a, "--seed") == 0) opt_seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--exact") == 0) opt_exact = v;
        else if (strcmp(a, "--then") == 0) opt_then = v;
        else return usage("unknown option");
        i++;
    }
    if (opt_threads < 1 || opt_threads > 1024 || opt_iters < 0 || opt_sleep_ms < 0 ||
        opt_errors_every < 0 || opt_slow_every < 0 || opt_scale < 1 || opt_scale > 1000)
        return usage("bad number");
    if (strcmp(opt_mode, "count") && strcmp(opt_mode, "timer") && strcmp(opt_mode, "lognormal") &&
        strcmp(opt_mode, "labels") && strcmp(opt_mode, "mixed") && strcmp(opt_mode, "hostile"))
        return usage("unknown mode");
    if (strcmp(opt_then, "exit") && strcmp(opt_then, "wait") && strcmp(opt_then, "kill") &&
        strcmp(opt_then, "abort"))
        return usage("unknown --then");

    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    pm_name(label_names[0], sizeof label_names[0], "writer.req", "method", "GET", "path", "/a", (char *)NULL);
    pm_name(label_names[1], sizeof label_names[1], "writer.req", "method", "POST", "path", "/b\"q\\", (char *)NULL);
    pm_name(label_names[2], sizeof label_names[2], "writer.req", "method", "GET", "path", "/c\nd", (char *)NULL);
    if (strcmp(opt_mode, "lognormal") == 0) {
        samples = calloc((size_t)(opt_threads * opt_iters) + 1, sizeof *samples);
        if (!samples) return 1;
    }

    pthread_t *th = calloc((size_t)opt_threads, sizeof *th);
    if (!th) return 1;
    for (long t = 0; t < opt_threads; t++)
        if (pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) != 0) return 1;
    for (long t = 0; t < opt_threads; t++) pthread_join(th[t], NULL);
    free(th);
    if (strcmp(opt_mode, "mixed") == 0) PM_GAUGE_SET("writer.gauge", -(int64_t)(opt_threads * opt_iters));
    if (opt_exact && samples && opt_iters > 0 && write_exact(opt_exact, (uint64_t)(opt_threads * opt_iters)) != 0) {
        fprintf(stderr, "writer: cannot write %s\n", opt_exact);
        return 1;
    }

    printf("%ld\n", (long)getpid());
    fflush(stdout);
    if (strcmp(opt_then, "wait") == 0) {
        while (!stop) pause();
    } else if (strcmp(opt_then, "kill") == 0) {
        raise(SIGKILL);
    } else if (strcmp(opt_then, "abort") == 0) {
        abort();
    }
    free(samples);
    return 0;
}
