/* recorder.h - writing samples of segments into the history

   Each sample of a target stores, per series that changed, the difference
   of its cumulative figures since the last sample (model/window.h: a
   counter that went backwards is a reset, not a negative rate), and keeps
   the new cumulative figures in the series row, so a recorder started
   again continues the run where the last one stopped. One transaction per
   sample of all targets: a SIGKILL loses at most the interval in flight. */
#ifndef PMV_RECORDER_H
#define PMV_RECORDER_H

#include <stdint.h>

#include "read/procstat.h"
#include "read/segment.h"
#include "store/db.h"

/* The recorder's memory of one series of a run. */
typedef struct pmv_rec_series {
    uint32_t index;          /* the segment's record number */
    uint64_t state_ns;       /* series.last_ns: when its state was checkpointed */
    int64_t id;              /* series.id; 0: not looked up yet */
    char *name;
    pmv_series cum;          /* cumulative figures at the last sample */
    int have_cum;
    int dirty;               /* cum moved since the last checkpoint */
} pmv_rec_series;

/* One run being recorded: a process, from its writer's start. */
typedef struct pmv_rec_run {
    int64_t id;
    uint32_t pid;
    uint64_t start_ns;
    uint64_t last_ns;        /* the last sample's time: the next interval's start */
    uint64_t state_ns;       /* the last checkpoint of the series' state */
    pmv_rec_series *series;  /* stb_ds array, sorted by record number */
    pmv_proc proc_prev;
    int have_proc;
} pmv_rec_run;

typedef struct pmv_recorder {
    sqlite3 *db;
    sqlite3_stmt *sel_run, *ins_run, *upd_run, *sel_series, *sel_since, *ins_series, *upd_series, *ins_sample,
        *ins_resources;
    char host[256];
    uint64_t rows;           /* sample rows written since open */
    uint64_t floor_ns;       /* rows start no earlier: the newest rollup's edge (retention.h) */
    int in_tx;
} pmv_recorder;

/* 0, or -1 with one line in err. The recorder does not own db. */
int pmv_rec_open(pmv_recorder *r, sqlite3 *db, char *err, size_t errlen);
void pmv_rec_close(pmv_recorder *r);

/* One transaction around the samples of one interval. */
int pmv_rec_begin(pmv_recorder *r, char *err, size_t errlen);
int pmv_rec_commit(pmv_recorder *r, char *err, size_t errlen);
void pmv_rec_rollback(pmv_recorder *r);

/* Finds or creates the run of snap (pid + start time + host) and reads
   its recorded state. run is zeroed first. */
int pmv_rec_attach(pmv_recorder *r, const pmv_snapshot *snap, uint64_t now_ns, pmv_rec_run *run,
                   char *err, size_t errlen);

/* One sample of a run taken at now_ns (proc: its /proc sample, or NULL). */
int pmv_rec_sample(pmv_recorder *r, pmv_rec_run *run, const pmv_snapshot *snap, const pmv_proc *proc,
                   uint64_t now_ns, char *err, size_t errlen);

/* Writes the state of every series of the run that moved since the last
   checkpoint (pmv_rec_sample does once a minute; call it before letting a
   run go). Inside a transaction. */
int pmv_rec_checkpoint(pmv_recorder *r, pmv_rec_run *run, uint64_t now_ns, char *err, size_t errlen);

/* (The machine's figures: store/sysrec.h, in the same transaction.) */

void pmv_rec_run_free(pmv_rec_run *run);

#endif
