/* rules.h - the rules file of `perfmon-view gate`

   One rule a line; '#' starts a comment (outside a quoted label value);
   blank lines are ignored:

       SERIES  STAT  OP  LIMIT

   SERIES   a selector (model/selector.h, README "Selecting series"): a
            name, optionally with a label set: db.query,
            http.request{route="/users"} (label values are quoted and may
            hold spaces, '#' and \" \\ \n escapes), or a glob: 'db.*',
            'http.*{route="/users"}'. The label set may be partial: every
            series with that base name whose labels include all the given
            pairs is selected, and they are aggregated. A bare name selects
            all its label sets. `process` names the process itself
            (cpu_time, peak_rss). A name system.* is a figure of the
            machine (README "System figures"): STAT is `value` or left
            out, LIMIT absolute in the figure's unit (% for usage, bytes,
            bytes per second as 100MB or 100MB/s, plain numbers for load,
            degrees C and watts).
   STAT     count sum mean min max p50 p90 p95 p99 errors error_rate slow
            slow_rate value rate cpu_time peak_rss
   OP       <  <=  >  >=  ==  !=
   LIMIT    [-]NUMBER[UNIT] (negative: gauges are signed), or relative: F * baseline, baseline * F,
            baseline, baseline + P%, baseline - P% (F may be written as a
            percentage: 110% * baseline). Units:
              durations  ns us ms s min h
              bytes      B, KB MB GB TB (powers of 1000),
                         KiB MiB GiB TiB (powers of 1024)
              percent    %  (error_rate and slow_rate; required there)
              counts     k M G (10^3, 10^6, 10^9) for plain numbers
              rate       optional /s
   A syntax error names its line. */
#ifndef PMV_RULES_H
#define PMV_RULES_H

#include <stddef.h>

#include "model/selector.h"
#include "read/system.h"

typedef enum pmv_stat {
    PMV_STAT_COUNT, PMV_STAT_SUM, PMV_STAT_MEAN, PMV_STAT_MIN, PMV_STAT_MAX,
    PMV_STAT_P50, PMV_STAT_P90, PMV_STAT_P95, PMV_STAT_P99,
    PMV_STAT_ERRORS, PMV_STAT_ERROR_RATE, PMV_STAT_SLOW, PMV_STAT_SLOW_RATE,
    PMV_STAT_VALUE, PMV_STAT_RATE, PMV_STAT_CPU_TIME, PMV_STAT_PEAK_RSS,
    PMV_STAT__COUNT
} pmv_stat;

typedef enum pmv_op { PMV_OP_LT, PMV_OP_LE, PMV_OP_GT, PMV_OP_GE, PMV_OP_EQ, PMV_OP_NE } pmv_op;

/* What a limit's number is in (after scaling to the base unit). */
typedef enum pmv_lunit {
    PMV_LU_NONE,      /* a plain number: counts, or a series without a unit */
    PMV_LU_DURATION,  /* nanoseconds */
    PMV_LU_BYTES,     /* bytes */
    PMV_LU_PERCENT,   /* percent (1% is 1) */
    PMV_LU_PER_SECOND, /* per second */
    PMV_LU_BYTES_PER_SECOND /* bytes per second (system figures) */
} pmv_lunit;

typedef struct pmv_rule {
    int line;            /* 1-based line in the rules file */
    char *text;          /* "SERIES STAT OP LIMIT", whitespace collapsed */
    char *selector;      /* SERIES as written (blanks between label pairs dropped) */
    pmv_sel_term term;   /* SERIES parsed: base name or glob, wanted label pairs */
    int process;         /* SERIES is `process` with cpu_time or peak_rss */
    const pmv_sys_def *system; /* SERIES is a system figure (read/system.h): its row */
    pmv_stat stat;
    pmv_op op;
    int relative;        /* LIMIT is factor * baseline */
    double factor;       /* relative: the factor (1.10 for +10%) */
    double limit;        /* absolute: in the base unit of `unit` */
    pmv_lunit unit;      /* absolute: what the written limit was in */
    char *limit_text;    /* LIMIT as written */
} pmv_rule;

/* Parses a whole rules text. Returns 0 and an stb_ds array in *rules, or
   -1 with "line N: why" in err (and *rules NULL). No rule at all is an
   error too. Thread safety: reentrant. */
int pmv_rules_parse(const char *text, size_t len, pmv_rule **rules, char *err, size_t errlen);

/* Reads (at most 1 MiB) and parses a rules file. */
int pmv_rules_load(const char *path, pmv_rule **rules, char *err, size_t errlen);

void pmv_rules_free(pmv_rule *rules);

const char *pmv_stat_name(pmv_stat s);
const char *pmv_op_str(pmv_op op);

/* 1 if `measured OP limit` holds (NaN never holds). */
int pmv_op_holds(pmv_op op, double measured, double limit);

/* 1 for stats that count events (count, errors, slow): integers. */
int pmv_stat_is_count(pmv_stat s);

/* 1 for stats whose value is in the series' unit (sum, mean, min, max,
   percentiles, value). */
int pmv_stat_in_series_unit(pmv_stat s);

#endif
