/* past.h - the options that point a command at the history instead of a
   live process: --db, --since / --from / --to, --pid, --name, --run */
#ifndef PMV_PAST_H
#define PMV_PAST_H

#include <stdint.h>

#include "cmd/options.h"
#include "read/segment.h"
#include "store/history.h"

typedef struct pmv_past {
    const char *db;            /* set: read the history */
    double since_s;            /* --since: the last this many seconds (-1: unset) */
    const char *from, *to;     /* --from, --to (base/when.h) */
    uint32_t pid;
    const char *name;
    long run;
} pmv_past;

/* The table entries, for a command's option table (before its { 0 }). */
#define PMV_PAST_OPTIONS(p) \
    { PMV_OPT(0, "db", PMV_OPT_STRING, &(p)->db, "FILE", "read the history database instead of a live process") }, \
    { PMV_OPT(0, "since", PMV_OPT_DURATION, &(p)->since_s, "AGE", "with --db: the last AGE (1h, 15m, 24h)"), \
      .min = 0, .max = 1e10, .bounds = PMV_OPT_ABOVE_MIN, .example = "15m, 1h, 24h" }, \
    { PMV_OPT(0, "from", PMV_OPT_STRING, &(p)->from, "T", "with --db: from T (ISO 8601 such as 2026-12-04T14:00Z,\n14:00 today, or an age: 2h)") }, \
    { PMV_OPT(0, "to", PMV_OPT_STRING, &(p)->to, "T", "with --db: until T (default now)") }, \
    { PMV_OPT(0, "pid", PMV_OPT_PID, &(p)->pid, "PID", "with --db: only runs of this pid") }, \
    { PMV_OPT(0, "name", PMV_OPT_STRING, &(p)->name, "PROCESS", "with --db: only runs of this process") }, \
    { PMV_OPT(0, "run", PMV_OPT_INT, &(p)->run, "ID", "with --db: only this run (runs.id)"), .min = 1, .max = 9e18 }

/* Before parsing: nothing set. */
void pmv_past_init(pmv_past *p);

/* 1 if any history option was given. */
int pmv_past_wanted(const pmv_past *p);

/* Checks the options and reads the window (step_ns: 0 for one window).
   PMV_EXIT_OK with h filled and f the window read, else PMV_EXIT_USAGE
   after one line on stderr. */
int pmv_past_read(const pmv_command *cmd, const pmv_past *p, uint64_t step_ns, pmv_history_filter *f,
                  pmv_history *h);

/* The history's rows (one per series: a whole window) as a snapshot whose
   series own what the rows did (h keeps only empty shells). */
void pmv_past_snapshot(pmv_history *h, pmv_snapshot *snap);

/* What stats and export read: with history options the window (h and f
   filled, *pid the newest run's), else the live segment of *pid. The
   snapshot's series then hold the figures. PMV_EXIT_OK, or
   PMV_EXIT_USAGE after one line on stderr. */
int pmv_past_or_live(const pmv_command *cmd, const pmv_past *p, uint32_t *pid, pmv_snapshot *snap,
                     pmv_history_filter *f, pmv_history *h);

#endif
