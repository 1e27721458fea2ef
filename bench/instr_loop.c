/* instr_loop.c - one hot-path operation a million times, for callgrind:
   bench/instructions.sh compares instructions per operation between the
   perfmon.h of a base revision and the working tree (deterministic, unlike
   timings on a shared machine). */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"
#include <stdlib.h>
#include <string.h>
#define N 1000000
__attribute__((noinline)) void op_count(void) { for (int i = 0; i < N; i++) PM_COUNT("c", 1); }
__attribute__((noinline)) void op_count_id(pm_id id) { for (int i = 0; i < N; i++) pm_count_id(id, 1); }
__attribute__((noinline)) void op_record(void) { for (int i = 0; i < N; i++) PM_RECORD("d", i); }
__attribute__((noinline)) void op_scope(void) { for (int i = 0; i < N; i++) { PM_SCOPE("s"); } }
__attribute__((noinline)) void op_byname(void) { for (int i = 0; i < N; i++) pm_count("n{k=\"v\"}", 1); }
__attribute__((noinline)) void op_timer(void) { for (int i = 0; i < N; i++) { pm_timer_start("t"); pm_timer_stop("t"); } }
__attribute__((noinline)) void op_gauge(void) { for (int i = 0; i < N; i++) PM_GAUGE_SET("g", i); }
int main(int argc, char **argv) {
    (void)argc;
    pm_id id = pm_lookup("ci", PM_KIND_COUNTER, PM_UNIT_NONE);
    PM_COUNT("c", 1); PM_RECORD("d", 1); { PM_SCOPE("s"); } pm_count("n{k=\"v\"}", 1); pm_timer_start("t"); pm_timer_stop("t"); PM_GAUGE_SET("g", 1); pm_count_id(id, 1);
    const char *w = argv[1];
    if (!strcmp(w, "count")) op_count(); else if (!strcmp(w, "count_id")) op_count_id(id);
    else if (!strcmp(w, "record")) op_record(); else if (!strcmp(w, "scope")) op_scope();
    else if (!strcmp(w, "byname")) op_byname(); else if (!strcmp(w, "timer")) op_timer();
    else if (!strcmp(w, "gauge")) op_gauge(); else if (!strcmp(w, "none")) {}
    return 0;
}
