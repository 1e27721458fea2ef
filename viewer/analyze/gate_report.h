/* gate_report.h - the outputs of `perfmon-view gate`: table, JUnit XML,
   GitHub Actions annotations, JSON */
#ifndef PMV_GATE_REPORT_H
#define PMV_GATE_REPORT_H

#include <stdio.h>

#include "analyze/rules.h"

enum { PMV_VERDICT_PASS = 0, PMV_VERDICT_FAIL = 1, PMV_VERDICT_SKIP = 2 };

enum {
    PMV_TEST_NONE = 0,    /* absolute rule: no test */
    PMV_TEST_MADE,        /* Mann-Whitney U test made: p holds its p-value */
    PMV_TEST_SINGLE,      /* a single run on one side: judged by the limit alone */
};

typedef struct pmv_gate_result {
    const pmv_rule *rule;
    int verdict;          /* PMV_VERDICT_* */
    double measured;      /* median over runs; NAN when nothing was measured */
    pmv_lunit unit;       /* unit of measured, limit and baseline */
    double *runs;         /* stb_ds: per-run measurements (NAN where none) */
    double limit;         /* effective limit (relative: factor * baseline median) */
    double baseline;      /* relative: the baseline's median, else NAN */
    int baseline_runs;    /* relative: how many baseline runs */
    double change;        /* relative: measured / baseline - 1 (0.25 = +25%) */
    int test;             /* PMV_TEST_* */
    double p;             /* PMV_TEST_MADE: the p-value */
    const char *alt;      /* PMV_TEST_MADE: "greater", "less" or "two-sided" */
    char message[640];    /* one sentence: the verdict's reason */
} pmv_gate_result;

typedef struct pmv_gate_summary {
    const char *rules_path;
    const char *command;   /* CMD joined by spaces, or "pid N" */
    const char *baseline_path; /* NULL without --baseline */
    int runs;
    double alpha;
    int passed, failed, skipped;
    double elapsed_s;
} pmv_gate_summary;

/* Formats v in unit u with three significant digits ("1.23ms", "12.0MiB",
   "0.70%", "1.2k/s"); counts print exactly up to 10^15; NAN prints "-". */
char *pmv_gate_fmt(double v, pmv_lunit u, char *buf, size_t len);

/* The human table: RULE, MEASURED, LIMIT, VERDICT, DETAIL; then a summary. */
void pmv_gate_print_table(FILE *f, const pmv_gate_result *r, int n, const pmv_gate_summary *s, int bold);

/* JUnit XML: one <testcase> per rule, <failure> for failed ones, <skipped>
   for skipped. Written atomically. 0 or -1 (err set). */
int pmv_gate_write_junit(const char *path, const pmv_gate_result *r, int n, const pmv_gate_summary *s,
                         char *err, size_t errlen);

/* GitHub Actions workflow commands: ::error for failed rules, ::notice for
   passed ones, with file= and line= pointing at the rule. */
void pmv_gate_print_github(FILE *f, const pmv_gate_result *r, int n, const pmv_gate_summary *s);

/* JSON report. Written atomically. 0 or -1 (err set). */
int pmv_gate_write_json(const char *path, const pmv_gate_result *r, int n, const pmv_gate_summary *s,
                        char *err, size_t errlen);

#endif
