/* phases.c - a workload in phases for the history's tests

   usage: phases N [SLOW_EVERY [PACE_US]]
   Prints its pid, then runs three phases of N records each of the timer
   job.latency and the counter job.count: fast (1.000..1.999 ms, every
   value exactly once per 1000), slow (the same times 10), fast again.
   Every SLOW_EVERY-th record of the slow phase fails. After each phase it
   prints "phase K done" and waits for SIGUSR1 before the next; after the
   last, for SIGTERM, then exits normally. The durations are recorded, not
   slept: each phase's exact figures are known in advance. PACE_US spreads
   a phase over time (a pause of that many microseconds after every 3
   records), so a recorder sees it in several intervals. With
   PHASES_RESET=1 in the environment it calls pm_reset() as each phase
   after the first begins, and prints "reset K" first. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: phases N [SLOW_EVERY]\n");
        return 2;
    }
    long n = atol(argv[1]), fail_every = argc > 2 ? atol(argv[2]) : 0, pace_us = argc > 3 ? atol(argv[3]) : 0;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    const char *reset = getenv("PHASES_RESET");
    printf("%d\n", (int)getpid());
    fflush(stdout);
    for (int phase = 1; phase <= 3; phase++) {
        uint64_t scale = phase == 2 ? 10 : 1;
        if (phase > 1 && reset && *reset == '1') {
            pm_result r = pm_reset();
            printf("reset %d %s\n", phase, pm_result_str(r));
            fflush(stdout);
        }
        for (long i = 0; i < n; i++) {
            int ok = !(phase == 2 && fail_every && i % fail_every == fail_every - 1);
            PM_DURATION("job.latency", (1000000 + (uint64_t)(i % 1000) * 1000) * scale, ok);
            PM_COUNT("job.count", 1);
            if (pace_us > 0 && i % 3 == 2) {
                struct timespec ts = { pace_us / 1000000, (pace_us % 1000000) * 1000 };
                nanosleep(&ts, NULL);
            }
        }
        printf("phase %d done\n", phase);
        fflush(stdout);
        int sig;
        do sigwait(&set, &sig);
        while (phase < 3 && sig != SIGUSR1 && sig != SIGTERM);
        if (sig == SIGTERM) break;
    }
    return 0;
}
