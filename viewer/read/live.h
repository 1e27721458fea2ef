/* live.h - following one target over time: snapshots, resources, its end

   Keeps the segment's file open from the first snapshot on, so the final
   values stay readable after the target exits and its segment is unlinked
   (a normal exit removes it). Each step takes a new snapshot (the previous
   one is kept for windows) and samples /proc/PID (the machine is the
   caller's: read/system.h). The target has ended when
   its writer gave up the lock or marked the segment EXITED: `ended` is set
   and `cur` holds its final values. A segment removed while its writer
   still runs is an error (`vanished`). */
#ifndef PMV_LIVE_H
#define PMV_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "base/clock.h"
#include "read/procstat.h"
#include "read/segment.h"

typedef struct pmv_live {
    uint32_t pid;
    pmv_segment seg;
    pmv_snapshot prev, cur;
    int have_prev;
    double t_prev, t_cur;       /* CLOCK_MONOTONIC seconds of each snapshot */
    pmv_proc proc_prev, proc_cur;
    int have_proc_prev;
    int ended;                  /* the target is gone; cur is final */
    int vanished;               /* segment removed under a live writer */
} pmv_live;

/* Opens the pid's current segment (find.h) and takes the first snapshot.
   Returns a pmv_result with one line in err on failure. */
int pmv_live_open(pmv_live *L, uint32_t pid, char *err, size_t errlen);

/* Next snapshot (cur becomes prev). After the target ended this is a no-op.
   Returns PMV_OK, or a pmv_result with err set (vanished, damaged). */
int pmv_live_step(pmv_live *L, char *err, size_t errlen);

/* Seconds between prev and cur (0 without prev). */
double pmv_live_window_s(const pmv_live *L);

void pmv_live_close(pmv_live *L);


#endif
