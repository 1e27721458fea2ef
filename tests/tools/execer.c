/* execer.c - records, then replaces its image (the exec cases of the viewer)

   usage: execer MODE
     wait        record img.count, print the pid, wait for SIGTERM
     sleep       record, print the pid, exec sleep 60 (a non-instrumented
                 image: the segment must read "exec'd", not crashed)
     again PATH  record, exec PATH wait (this program again: the new image
                 records to a fallback name beside the pre-exec segment)
   img.count gets +1 per run of main, so the pre-exec segment holds 1 and the
   new image's holds 1 too. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: execer wait|sleep|again PATH\n");
        return 2;
    }
    PM_COUNT("img.count", 1);
    if (strcmp(argv[1], "sleep") == 0) {
        printf("%d\n", (int)getpid());
        fflush(stdout);
        execlp("sleep", "sleep", "60", (char *)0);
        return 1;
    }
    if (strcmp(argv[1], "again") == 0 && argc > 2) {
        execl(argv[2], argv[2], "wait", (char *)0);
        return 1;
    }
    signal(SIGTERM, on_term);
    printf("%d\n", (int)getpid());
    fflush(stdout);
    while (!stop) pause();
    return 0;
}
