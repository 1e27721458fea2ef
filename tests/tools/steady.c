/* steady.c - an instrumented program with a steady, known rate of events

   usage: steady [--rate R] [--timer-us U] [--series N [--threads T]] [--seconds S]

   Records R events per second, paced against CLOCK_MONOTONIC (every 2 ms
   it catches up to floor(R * elapsed), so over any window the count is
   R * window_s within a few events, whatever the scheduling jitter). Each
   event is:
     steady.events   counter +1
     steady.timer    timer, PM_DURATION of exactly U us (default 1000), ok;
                     every 10th event fails (errors 10%)
     steady.hit      counter +1 for 3 events out of 4,
     steady.miss     counter +1 for the 4th           (hit rate 75%)
     steady.level    gauge, set to 7
   --series N adds N more series bulk.NNNN (7 in 10 timers, 2 counters, 1
   gauge), each updated once per 10 ms tick by each of T threads (default
   1): the load of a big program, for measuring the viewer. Prints its pid on stdout (one line, flushed),
   then runs until SIGTERM/SIGINT or for S seconds, prints "events N" (the
   exact number of events it recorded, flushed) and exits normally. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pm_id *bulk;
static long nseries;

static void *bulk_worker(void *arg)
{
    (void)arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (uint64_t tick = 0; !stop; tick++) {
        for (long k = 0; k < nseries; k++) {
            int m = (int)(k % 10);
            if (m < 7) { pm_span sp = pm_begin_id(bulk[k]); PM_END(sp); }
            else if (m < 9) pm_count_id(bulk[k], 1);
            else pm_gauge_set_id(bulk[k], (int64_t)(tick % 100));
        }
        next.tv_nsec += 10000000;
        if (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    double rate = 1000, seconds = 0;
    long timer_us = 1000, threads = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) goto usage;
        if (strcmp(a, "--rate") == 0) rate = atof(v);
        else if (strcmp(a, "--timer-us") == 0) timer_us = atol(v);
        else if (strcmp(a, "--series") == 0) nseries = atol(v);
        else if (strcmp(a, "--seconds") == 0) seconds = atof(v);
        else if (strcmp(a, "--threads") == 0) threads = atol(v);
        else goto usage;
        i++;
    }
    if (rate < 0 || timer_us < 0 || nseries < 0 || nseries > 100000 || threads < 1 || threads > 64) goto usage;

    pm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_series = (uint32_t)(nseries + 64);
    pm_result r = pm_init(&cfg);
    if (r != PM_OK) {
        fprintf(stderr, "steady: pm_init: %s\n", pm_result_str(r));
        return 1;
    }
    bulk = calloc((size_t)nseries + 1, sizeof *bulk);
    if (!bulk) return 1;
    for (long k = 0; k < nseries; k++) {
        char name[64];
        int m = (int)(k % 10);
        snprintf(name, sizeof name, "bulk.%04ld", k);
        bulk[k] = m < 7 ? pm_lookup(name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS)
                : m < 9 ? pm_lookup(name, PM_KIND_COUNTER, PM_UNIT_NONE)
                        : pm_lookup(name, PM_KIND_GAUGE, PM_UNIT_NONE);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    PM_GAUGE_SET("steady.level", 7);
    PM_COUNT("steady.events", 0);
    printf("%ld\n", (long)getpid());
    fflush(stdout);

    pthread_t th[64];
    for (long k = 0; nseries && k < threads; k++) pthread_create(&th[k], NULL, bulk_worker, NULL);
    double t0 = now_s();
    uint64_t done = 0;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!stop) {
        double t = now_s();
        if (seconds > 0 && t - t0 >= seconds) break;
        uint64_t due = (uint64_t)(rate * (t - t0));
        for (; done < due; done++) {
            PM_COUNT("steady.events", 1);
            PM_DURATION("steady.timer", (uint64_t)timer_us * 1000u, done % 10 != 9);
            if (done % 4 != 3) PM_COUNT("steady.hit", 1); else PM_COUNT("steady.miss", 1);
        }
        next.tv_nsec += 2000000;
        if (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    stop = 1;
    for (long k = 0; nseries && k < threads; k++) pthread_join(th[k], NULL);
    free(bulk);
    printf("events %llu\n", (unsigned long long)done);
    fflush(stdout);
    return 0;

usage:
    fprintf(stderr, "usage: steady [--rate R] [--timer-us U] [--series N [--threads T]] [--seconds S]\n");
    return 2;
}
