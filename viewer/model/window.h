/* window.h - figures over a window: the difference of two snapshots

   Segment cells are cumulative since the process started, so what happened
   between two snapshots is their difference: count, sum, errors and slow
   subtract, and the window's percentiles come from the difference of the
   two summed histograms (bucket by bucket), never from the all-time one.

   Resets. Within one segment the sums never decrease: a thread slot handed
   to a new thread keeps its predecessor's counts. A different segment (the
   pid was reused by a new process: another start time) or any cumulative
   figure that went down means the counts restarted within the window; the
   newer snapshot's figures are then the window's (all of them accrued after
   the restart), and the series is marked `reset`.

   The program's own resets (pm_reset) are not restarts: within one
   segment the raw sums (figures plus what the reset subtracted) never go
   back, so a window across a reset is exact; it is marked `reset` too.
   Since-start figures of a reset series are since its reset.

   Max and min over a window are exact when the all-time max (min) moved in
   the window; otherwise they are estimated from the window's histogram
   (within 1%) and kept inside the all-time range. */
#ifndef PMV_WINDOW_H
#define PMV_WINDOW_H

#include <stdint.h>

#include "read/segment.h"
#include "base/hist.h"

typedef struct pmv_win {
    const pmv_series *s;   /* the series in the newer snapshot */
    int reset;             /* counts restarted in the window (see above) */
    int fresh;             /* the series did not exist in the older snapshot */
    double seconds;        /* window length */
    uint64_t count, sum, errors, slow; /* counters: count is the increase */
    int64_t gauge, gauge_delta;        /* gauges: value now, change */
    pmv_bin *bins;         /* stb_ds array: the window's histogram, sorted */
    uint64_t hist_total;
    double rate;           /* count per second; NAN when seconds <= 0 */
    double err_pct;        /* errors / count * 100; NAN when count == 0 */
    double mean, p50, p90, p95, p99, min, max; /* NAN when count == 0 */
} pmv_win;

/* One series over a window. prev is the same series in the older snapshot,
   or NULL (new series: everything in cur happened in the window);
   same_segment is 0 when the snapshots come from different segments.
   out->bins is allocated; free with pmv_win_clear(). */
void pmv_win_series(const pmv_series *prev, const pmv_series *cur, int same_segment,
                    double seconds, pmv_win *out);

/* Since-start figures of one series in the same shape (seconds = uptime). */
void pmv_win_total(const pmv_series *cur, double seconds, pmv_win *out);

void pmv_win_clear(pmv_win *w);

/* 1 if both snapshots describe the same segment (pid and start time). */
int pmv_same_segment(const pmv_snapshot *a, const pmv_snapshot *b);

/* Windows of every series of cur, in cur's order, into an stb_ds array
   (*out is freed and replaced). prev may be NULL: since-start figures.
   Series are paired by record number and name. */
void pmv_windows(const pmv_snapshot *prev, const pmv_snapshot *cur, double seconds, pmv_win **out);

/* Since-start figures of every series of cur (seconds = the uptime). */
void pmv_windows_total(const pmv_snapshot *cur, pmv_win **out);

void pmv_windows_free(pmv_win **w);

#endif
