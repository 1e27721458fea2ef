/* procstat.h - the target process's resources, from /proc (the
   machine's are read/system.h's)

   Every field /proc may not give (another user's process without ptrace
   rights hides /proc/PID/io and /proc/PID/fd; a kernel without a field)
   stays "unknown": NAN for doubles, -1 for integers. Callers print those
   as "-"; nothing here is an error. */
#ifndef PMV_PROCSTAT_H
#define PMV_PROCSTAT_H

#include <stdint.h>

typedef struct pmv_proc {
    int exists;           /* /proc/PID was there (a zombie counts: state 'Z') */
    char state;           /* R, S, D, Z, ... or '?' */
    char comm[32];
    double t;             /* CLOCK_MONOTONIC seconds when sampled */
    double utime, stime;  /* CPU seconds since the process started */
    double start_s;       /* start time, seconds after boot */
    double rss, vms, hwm; /* bytes: resident, virtual, peak resident (VmHWM) */
    long threads, fds;
    double rchar, wchar;  /* bytes passed through read()/write() and kin */
    double read_bytes, write_bytes; /* bytes fetched from / sent to storage */
} pmv_proc;

/* Samples /proc/PID (stat, status, io, fd). Returns 1 if the process
   exists, 0 if not (then everything is unknown). */
int pmv_proc_sample(int pid, pmv_proc *out);

/* Field 22 of /proc/PID/stat, the process's start time in clock ticks
   since boot (it tells a reused pid from the one a segment names, and
   stays the same across exec()); 0 if unknown or a zombie. */
uint64_t pmv_proc_start_ticks(int pid);

/* Rates between two samples of one process (a before b). CPU in percent of
   one core; I/O in bytes per second. Unknown: NAN. */
typedef struct pmv_proc_rates {
    double cpu_pct, user_pct, sys_pct;
    double rchar_ps, wchar_ps;
} pmv_proc_rates;
void pmv_proc_rates_between(const pmv_proc *a, const pmv_proc *b, pmv_proc_rates *r);

/* Averages since the process started (for a single sample). */
void pmv_proc_rates_since_start(const pmv_proc *p, pmv_proc_rates *r);

#endif
