/* many_series.c - a process with N busy series, for the recorder's cost

   usage: many_series N
   Registers N series (70% counters, 20% timers, 10% gauges, labeled) and
   moves every one of them every 100 ms until SIGTERM: the worst case for a
   recorder, which writes rows only for series that changed. Prints its pid
   once they all exist. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (n < 1 || n > 100000) {
        fprintf(stderr, "usage: many_series N (1..100000)\n");
        return 2;
    }
    signal(SIGTERM, on_term);
    char (*names)[96] = calloc((size_t)n, sizeof *names);
    int *kinds = calloc((size_t)n, sizeof *kinds);
    if (!names || !kinds) return 1;
    for (int i = 0; i < n; i++) {
        kinds[i] = i % 10 < 7 ? 0 : i % 10 < 9 ? 1 : 2;
        snprintf(names[i], sizeof names[i], "bench.%s.%d{shard=\"%d\"}", kinds[i] == 0 ? "ops" : kinds[i] == 1 ? "latency" : "depth",
                 i, i % 16);
    }
    for (int i = 0; i < n; i++) {   /* first records register them, by kind */
        if (kinds[i] == 0) pm_count(names[i], 1);
        else if (kinds[i] == 1) pm_record_duration(names[i], 1000000, 1);
        else pm_gauge_set(names[i], 1);
    }
    printf("%d\n", (int)getpid());
    fflush(stdout);
    uint64_t tick = 0;
    while (!stop) {
        tick++;
        for (int i = 0; i < n; i++) {
            if (kinds[i] == 0) pm_count(names[i], 1 + tick % 3);
            else if (kinds[i] == 1) pm_record_duration(names[i], 900000 + (tick * 7919 + (uint64_t)i) % 400000, 1);
            else pm_gauge_set(names[i], (int64_t)(tick % 100));
        }
        struct timespec ts = { 0, 100000000 };
        nanosleep(&ts, NULL);
    }
    free(names);
    free(kinds);
    return 0;
}
