/* demo.c - a fake request server instrumented with perfmon.

   Worker threads take requests from a simulated queue and serve a few
   routes. Each request is timed in a labeled series; a small cache counts
   hits and misses; some requests fail and a few are slow. Runs until
   SIGINT/SIGTERM, or for --seconds N.

     ./examples/demo [--threads N] [--seconds N]
     perfmon-view stats <pid>          (from another terminal)          */
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

typedef struct route {
    const char *method, *path;
    double      weight;       /* share of traffic */
    double      mean_ms;      /* typical latency */
    double      error_rate;
    pm_id       timer;        /* labeled series, looked up once at start */
} route;

static route routes[] = {
    { "GET",  "/users",       0.45, 2.0,  0.01,  0 },
    { "GET",  "/orders",      0.25, 6.0,  0.02,  0 },
    { "POST", "/orders",      0.15, 12.0, 0.05,  0 },
    { "POST", "/login",       0.10, 25.0, 0.08,  0 },
    { "GET",  "/health",      0.05, 0.05, 0.0,   0 },
};
#define NROUTES (sizeof routes / sizeof routes[0])

static volatile sig_atomic_t stopping;
static void on_signal(int sig) { (void)sig; stopping = 1; }

/* xorshift: each thread its own generator, no locks */
static double rnd(uint64_t *s)
{
    *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static void sleep_ms(double ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(fmod(ms, 1000.0) * 1e6) };
    nanosleep(&ts, NULL);
}

/* Latency: log-normal around the route's mean. */
static double latency_ms(const route *r, uint64_t *s)
{
    double u1 = rnd(s) + 1e-12, u2 = rnd(s);
    double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
    return r->mean_ms * exp(0.5 * z);
}

static int cache_lookup(uint64_t *s)
{
    PM_SCOPE("cache.lookup");
    if (rnd(s) < 0.8) { PM_COUNT("cache.hit", 1); return 1; }
    PM_COUNT("cache.miss", 1);
    return 0;
}

static void db_query(uint64_t *s, double ms)
{
    pm_span q = PM_BEGIN("db.query");
    sleep_ms(ms);
    if (rnd(s) < 0.005) PM_END_ERROR(q); else PM_END(q);
}

static void serve(const route *r, uint64_t *s)
{
    pm_span span = pm_begin_id(r->timer);
    double ms = latency_ms(r, s);
    if (!cache_lookup(s)) db_query(s, ms * 0.7);
    sleep_ms(ms * 0.3);
    if (rnd(s) < 0.01) sleep_ms(150 + 200 * rnd(s));   /* the rare slow request */
    PM_RECORD_BYTES("http.response_size", 200 + (int64_t)(rnd(s) * 40000));
    if (rnd(s) < r->error_rate) { PM_COUNT("http.errors", 1); PM_END_ERROR(span); }
    else PM_END(span);
}

static void *worker(void *arg)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull * ((uint64_t)(uintptr_t)arg + 1);
    PM_GAUGE_ADD("workers.busy", 0);
    while (!stopping) {
        double x = rnd(&seed), acc = 0;
        const route *r = &routes[NROUTES - 1];
        for (size_t i = 0; i < NROUTES; i++) {
            acc += routes[i].weight;
            if (x < acc) { r = &routes[i]; break; }
        }
        PM_GAUGE_ADD("workers.busy", 1);
        serve(r, &seed);
        PM_GAUGE_ADD("workers.busy", -1);
        PM_COUNT("requests", 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = 4, seconds = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atoi(argv[++i]);
        else { fprintf(stderr, "usage: %s [--threads N] [--seconds N]\n", argv[0]); return 2; }
    }
    if (threads < 1 || threads > 64) threads = 4;

    pm_result rc = pm_init(NULL);
    if (rc != PM_OK) fprintf(stderr, "demo: perfmon: %s (running without it)\n", pm_result_str(rc));

    char name[PM_SHM_NAME_MAX];
    for (size_t i = 0; i < NROUTES; i++) {
        pm_name(name, sizeof name, "http.request", "method", routes[i].method, "route", routes[i].path, (char *)0);
        routes[i].timer = pm_lookup(name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS);
        pm_set_slow_threshold_ms(name, 100);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    printf("demo: pid %ld, %d workers, segment %s\n", (long)getpid(), threads, pm_segment_path());
    fflush(stdout);

    pthread_t tid[64];
    for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, worker, (void *)(uintptr_t)i);
    for (int t = 0; !stopping && (seconds == 0 || t < seconds * 10); t++) {
        PM_GAUGE_SET("queue.depth", 3 + t % 7);
        sleep_ms(100);
    }
    stopping = 1;
    for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
    return 0;
}
