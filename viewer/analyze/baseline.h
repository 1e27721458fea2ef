/* baseline.h - what `gate` relative rules compare against

   File format (JSON, written by `gate --save-baseline FILE`):
     {"perfmon_baseline": 1, "created_realtime_ns": N, "command": "...",
      "runs": R,
      "series": [{"name": "parse", "kind": "timer",
                  "stats": {"mean": {"median": 144000.5, "runs": [v1, ... vR]},
                            ...}},
                 {"name": "http.request{route=\"/users\"}", "selector": true,
                  "stats": {...}}, ...]}
   One entry per series of the last run (its full name, every statistic
   that applies to its kind) and one per rule selector ("selector": true),
   which may aggregate several series or be `process`. "runs" holds one
   value per run (null when the run had none); "median" is informative.
   Values are in base units: ns, bytes, percent, per second.

   A JSON export (`perfmon-view export PID`) is read too, as one run. */
#ifndef PMV_BASELINE_H
#define PMV_BASELINE_H

#include <stddef.h>

#include "read/labels.h"
#include "analyze/rules.h"

typedef struct pmv_bl_entry {
    char *name;                       /* full series name or rule selector */
    char *base;                       /* name without its label set */
    pmv_label *labels;                /* stb_ds array */
    char *kind;                       /* "timer", ... or "" */
    int selector;                     /* 1: written for a rule selector */
    double *stats[PMV_STAT__COUNT];   /* stb_ds arrays of per-run values (NAN: none) */
} pmv_bl_entry;

typedef struct pmv_baseline {
    int runs;
    int from_export;                  /* read from an `export` document */
    char *command;
    pmv_bl_entry *entries;            /* stb_ds array */
} pmv_baseline;

/* Reads a baseline or an export JSON file. Returns 0, or -1 with a reason.
   Bad values are skipped, never trusted. Thread safety: reentrant. */
int pmv_baseline_read(const char *path, pmv_baseline *bl, char *err, size_t errlen);

/* Writes bl atomically (a new FILE.XXXXXX, then rename). */
int pmv_baseline_write(const char *path, const pmv_baseline *bl, char *err, size_t errlen);

void pmv_baseline_free(pmv_baseline *bl);

/* Sets the value of stat for run `run` (0-based) of the entry called name
   (created as needed; kind may be NULL), padding earlier runs with NAN. */
void pmv_baseline_set(pmv_baseline *bl, const char *name, const char *kind, int selector,
                      pmv_stat stat, int run, double v);

/* The baseline's per-run values for rule r (NaNs dropped), as an stb_ds
   array in *vals; NULL with a reason in why when it has none: the selector
   itself, else the series matching it (aggregated where that is exact),
   else, for cpu_time and peak_rss, the resource gauges and distributions. */
int pmv_baseline_lookup(const pmv_baseline *bl, const pmv_rule *r, double **vals,
                        char *why, size_t whylen);

/* Median of n values (NAN when n == 0); does not modify v. */
double pmv_median(const double *v, int n);

#endif
