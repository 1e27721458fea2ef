/* history.h - reading the past: a window, or a window in steps

   Rows of every tier are used where that tier is the finest one kept
   (retention.h): the recorded rows where they still are, per-minute ones
   before that, and so on; a row belongs to the window its start is in.
   Series are merged by full name over the matching runs: counts and sums
   added, min and max kept, histogram buckets merged (so percentiles are
   the window's, within the histogram's error), gauges' last value. */
#ifndef PMV_HISTORY_H
#define PMV_HISTORY_H

#include <stdint.h>

#include "read/segment.h"
#include "store/db.h"

typedef struct pmv_history_filter {
    uint64_t from_ns, to_ns;   /* [from, to), Unix ns */
    uint64_t step_ns;          /* 0: the whole window in one; else buckets of this length */
    uint32_t pid;              /* 0: any */
    const char *process;       /* NULL: any */
    int64_t run;               /* 0: any */
} pmv_history_filter;

/* One series over one bucket of the window. */
typedef struct pmv_history_row {
    uint64_t t_ns;             /* the bucket's start (from_ns for a whole window) */
    pmv_series s;              /* name, base, labels, kind, unit and the merged figures */
    uint64_t first_ns, end_ns; /* what its rows cover */
    int reset;                 /* a counter reset inside */
} pmv_history_row;

typedef struct pmv_history {
    pmv_history_row *rows;     /* stb_ds array, by full name then time */
    int64_t *runs;             /* stb_ds array: the runs that had rows */
    char process[PM_SHM_PROCESS_MAX];   /* the newest of those runs */
    uint32_t pid;
    uint64_t first_ns, end_ns; /* what all the rows cover (0 0: no rows) */
} pmv_history;

/* Reads the window. 0, or -1 with one line in err. */
int pmv_history_read(sqlite3 *db, const pmv_history_filter *f, pmv_history *h, char *err, size_t errlen);

void pmv_history_free(pmv_history *h);

#endif
