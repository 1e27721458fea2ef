/* forker.c - a forking server's children, as the viewer must show them

   usage: forker exit CODE | kill | reaped
   Records parent.count, forks a child that records child.count 5 and ends:
     exit CODE  _exit(CODE), left a zombie until the parent exits
     kill       SIGKILL (a crash)
     reaped     _exit(0), reaped by the program at once (status unseen)
   Prints its own pid and the child's (two lines) once the child has ended,
   then waits for SIGTERM. Run it
   with PERFMON_KEEP=1 to read the child's segment. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "exit") == 0 && argc < 3)) {
        fprintf(stderr, "usage: forker exit CODE | kill | reaped\n");
        return 2;
    }
    signal(SIGTERM, on_term);
    PM_COUNT("parent.count", 1);
    pid_t c = fork();
    if (c < 0) return 1;
    if (c == 0) {
        for (int i = 0; i < 5; i++) PM_COUNT("child.count", 1);
        if (strcmp(argv[1], "kill") == 0) raise(SIGKILL);
        _exit(strcmp(argv[1], "exit") == 0 ? atoi(argv[2]) : 0);
    }
    siginfo_t si;
    if (strcmp(argv[1], "reaped") == 0) waitpid(c, NULL, 0);
    else while (waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT) != 0) {}
    printf("%d\n%d\n", (int)getpid(), (int)c);
    fflush(stdout);
    while (!stop) pause();
    return 0;
}
