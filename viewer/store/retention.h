/* retention.h - how long the history keeps each resolution

   Tier 0 holds the rows as recorded; each further tier holds rollups of
   the one before it at a coarser step (counts and sums added, min and max
   kept, histogram buckets merged, the last gauge value), so percentiles
   over any window stay within the histogram's error however old it is.
   A tier's rows older than its keep time go, in whole periods of the next
   tier and only once rolled up. The default, "1h,1m:1d,1h:30d": as
   recorded for an hour, per minute for a day, per hour for 30 days. */
#ifndef PMV_RETENTION_H
#define PMV_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define PMV_TIERS_MAX 6

typedef struct pmv_tier {
    uint64_t step_ns;   /* 0 for tier 0 (the recorder's interval) */
    uint64_t keep_ns;
} pmv_tier;

typedef struct pmv_retention {
    pmv_tier tier[PMV_TIERS_MAX];
    int n;
} pmv_retention;

extern const char pmv_retention_default[];

/* Parses "KEEP,STEP:KEEP,..." (durations such as 90s, 15m, 2h, 7d): tier
   0's keep time, then each coarser tier's step and keep time; steps grow
   and each divides the next. 0, or -1 with one line in err. */
int pmv_retention_parse(const char *spec, pmv_retention *r, char *err, size_t errlen);

/* Rolls up every complete period that ended before now_ns - settle_ns
   and drops rows past their keep time. One transaction. 0 or -1 with err. */
int pmv_retention_apply(sqlite3 *db, const pmv_retention *r, uint64_t now_ns, uint64_t settle_ns,
                        char *err, size_t errlen);

/* The time before which tier t's rows are gone (0: all kept). Windows
   read tier t from here on and older times from coarser tiers. */
uint64_t pmv_retention_kept_from(sqlite3 *db, int step_s);

/* The edge of the newest rollup of tier 1 (0: none): rows the recorder
   writes must not start before it (recorder.h floor_ns). */
uint64_t pmv_retention_floor(sqlite3 *db, const pmv_retention *r);

/* Registers the SQL aggregates the rollups use: pm_merge_buckets(blob)
   and pm_last(t, v). */
int pmv_retention_register(sqlite3 *db);

#endif
