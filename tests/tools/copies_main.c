/* copies_main.c - an executable and a shared library (copies_lib.c), each
   with its own copy of the implementation: two segments for one pid that
   the viewer must read as one. Records shared.count 7 + 5, lib.only 5,
   both.dist 7 x 300 and 5 x 100, prints its pid, waits for SIGTERM. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

void copies_lib_work(int n);

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

int main(void)
{
    for (int i = 0; i < 7; i++) {
        PM_COUNT("shared.count", 1);
        PM_RECORD("both.dist", 300);
    }
    copies_lib_work(5);
    signal(SIGTERM, on_term);
    printf("%d\n", (int)getpid());
    fflush(stdout);
    while (!stop) pause();
    return 0;
}
