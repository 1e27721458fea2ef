/* mistakes.c - a writer that makes the mistakes the viewer must name, then
   waits (prints its pid once they are recorded; exits on SIGTERM).

   usage: mistakes
   Records: "ok.count" +5 (a good series), a run-time name carrying an ANSI
   escape and a tab (rejected: bad name), pm_count("neg", -3) (rejected:
   negative increment) and "x.size" as a distribution. Run it with
   PERFMON_MAX_SERIES=abc to get a configuration error in the segment. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

int main(void)
{
    char bad[64];
    snprintf(bad, sizeof bad, "bad name\x1b[31m\tend");
    pm_count(bad, 1);
    pm_count("ok.count", 5);
    pm_count("neg", -3);
    pm_record("x.size", 10);
    signal(SIGTERM, on_term);
    printf("%d\n", (int)getpid());
    fflush(stdout);
    while (!stop) pause();
    return 0;
}
