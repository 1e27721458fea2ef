/* clock.h - the viewer's one clock for intervals: CLOCK_MONOTONIC */
#ifndef PMV_CLOCK_H
#define PMV_CLOCK_H

/* Seconds on CLOCK_MONOTONIC (never jumps with the wall clock). */
double pmv_mono_s(void);

#endif
