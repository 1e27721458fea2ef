/* segcheck.c - a reader in its own process that checks, snapshot after
   snapshot, what a reader may rely on while a writer records

   usage: segcheck PID [--seconds S] [--interval-ms MS] [--skew N]

   Follows PERFMON_SHM_DIR/perfmon.<PID> (default /dev/shm) through the
   viewer's own code (live.h: the dashboard's path; segment.c validates),
   as fast as it can (MS 0, the default) or every MS ms, for S seconds
   (default 5) or until the writer is gone. Each snapshot must satisfy:
     - per series: count, errors, slow never below the previous snapshot's,
       the all-time min never above it, the all-time max never below it;
       kind unchanged;
     - errors <= count and slow <= count; min <= max when count > 0;
     - timers and distributions (while dropped_hist is 0) read without a
       torn cell: the histogram's total differs from count by at most the
       in-flight bound, one record per thread slot (threads_used; --skew N
       overrides);
     - the header's dropped, series_count and threads_used never decrease;
     - the window between two snapshots (window.h) is never a "reset", and
       its count is exactly the difference of the two counts.
   Prints each violation (the first 20) and one summary line:
     segcheck: N snapshots, V violations, T torn cells, max hist skew K, rss A -> B kB
   Exit status: 0 no violation, 1 violations, 2 the segment could not be read. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stb_ds.h>

#include "viewer/read/live.h"
#include "viewer/model/window.h"

static long violations;

#define VIOLATION(...) do { \
    if (violations++ < 20) { printf("violation: "); printf(__VA_ARGS__); putchar('\n'); } \
} while (0)

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, rss = 0;
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &size, &rss) != 2) rss = -1;
    fclose(f);
    return rss < 0 ? -1 : rss * 4;
}

static const pmv_series *find_prev(const pmv_snapshot *prev, const pmv_series *s)
{
    for (ptrdiff_t i = 0; i < arrlen(prev->series); i++)
        if (prev->series[i].index == s->index && strcmp(prev->series[i].name, s->name) == 0)
            return &prev->series[i];
    return NULL;
}

static uint64_t max_skew;

static void check_one(const pmv_snapshot *snap, long skew_bound)
{
    for (ptrdiff_t i = 0; i < arrlen(snap->series); i++) {
        const pmv_series *s = &snap->series[i];
        if (s->kind != PM_SHM_KIND_TIMER && s->kind != PM_SHM_KIND_DISTRIBUTION) continue;
        if (s->errors > s->count) VIOLATION("%s: errors %llu > count %llu", s->name,
                                            (unsigned long long)s->errors, (unsigned long long)s->count);
        if (s->slow > s->count) VIOLATION("%s: slow %llu > count %llu", s->name,
                                          (unsigned long long)s->slow, (unsigned long long)s->count);
        if (s->count > 0 && s->min > s->max) VIOLATION("%s: min %llu > max %llu", s->name,
                                                       (unsigned long long)s->min, (unsigned long long)s->max);
        /* a torn series (a cell the writer kept changing through every read
           try) is taken as read: its total and count come from different
           moments, so only untorn ones must agree within the bound */
        if (snap->dropped_hist == 0 && s->count > 0 && s->torn_cells == 0) {
            uint64_t d = s->count > s->hist_total ? s->count - s->hist_total : s->hist_total - s->count;
            if (d > max_skew) max_skew = d;
            uint64_t bound = skew_bound >= 0 ? (uint64_t)skew_bound : snap->threads_used;
            if (d > bound) VIOLATION("%s: histogram total %llu vs count %llu: off by %llu > %llu", s->name,
                                     (unsigned long long)s->hist_total, (unsigned long long)s->count,
                                     (unsigned long long)d, (unsigned long long)bound);
        }
    }
}

#define NOT_BELOW(what, a, b) do { if ((a) < (b)) VIOLATION("%s: %s went back from %llu to %llu", \
    name, what, (unsigned long long)(b), (unsigned long long)(a)); } while (0)

static void check_pair(const pmv_snapshot *prev, const pmv_snapshot *cur, double seconds)
{
    const char *name = "header";
    NOT_BELOW("dropped", cur->dropped, prev->dropped);
    NOT_BELOW("series_count", cur->series_count, prev->series_count);
    NOT_BELOW("threads_used", cur->threads_used, prev->threads_used);
    for (ptrdiff_t i = 0; i < arrlen(cur->series); i++) {
        const pmv_series *s = &cur->series[i], *p = find_prev(prev, s);
        if (!p) continue;
        name = s->name;
        if (p->kind != s->kind) { VIOLATION("%s: kind changed %d -> %d", name, p->kind, s->kind); continue; }
        if (s->kind == PM_SHM_KIND_GAUGE) continue;
        NOT_BELOW("count", s->count, p->count);
        NOT_BELOW("errors", s->errors, p->errors);
        NOT_BELOW("slow", s->slow, p->slow);
        if (s->kind != PM_SHM_KIND_COUNTER && p->count > 0) {
            NOT_BELOW("max", s->max, p->max);
            NOT_BELOW("min (inverted)", p->min, s->min);
        }
    }
    pmv_win *w = NULL;
    pmv_windows(prev, cur, seconds, &w);
    for (ptrdiff_t i = 0; i < arrlen(w); i++) {
        const pmv_series *s = w[i].s, *p = find_prev(prev, s);
        if (!p || s->kind == PM_SHM_KIND_GAUGE) continue;
        if (w[i].reset) VIOLATION("%s: window marked reset within one writer's life", s->name);
        else if (s->count >= p->count && w[i].count != s->count - p->count)
            VIOLATION("%s: window count %llu, snapshots differ by %llu", s->name,
                      (unsigned long long)w[i].count, (unsigned long long)(s->count - p->count));
    }
    pmv_windows_free(&w);
}

int main(int argc, char **argv)
{
    double seconds = 5;
    long interval_ms = 0, skew = -1;
    uint32_t pid = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 < argc && strcmp(a, "--seconds") == 0) seconds = atof(argv[++i]);
        else if (i + 1 < argc && strcmp(a, "--interval-ms") == 0) interval_ms = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(a, "--skew") == 0) skew = atol(argv[++i]);
        else if (!pid && a[0] >= '1' && a[0] <= '9') pid = (uint32_t)strtoul(a, NULL, 10);
        else {
            fprintf(stderr, "usage: segcheck PID [--seconds S] [--interval-ms MS] [--skew N]\n");
            return 2;
        }
    }
    if (!pid) { fprintf(stderr, "segcheck: missing PID\n"); return 2; }
    pmv_live L;
    char err[512];
    int rc = pmv_live_open(&L, pid, err, sizeof err);
    if (rc != PMV_OK) { fprintf(stderr, "segcheck: %s\n", err); return 2; }
    long rss0 = rss_kb(), snapshots = 1;
    uint64_t torn = L.cur.torn_cells;
    check_one(&L.cur, skew);
    double end = pmv_mono_s() + seconds;
    while (!L.ended && pmv_mono_s() < end) {
        if (interval_ms > 0) {
            struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };
            nanosleep(&ts, NULL);
        }
        rc = pmv_live_step(&L, err, sizeof err);
        if (rc != PMV_OK) {
            if (!L.vanished) VIOLATION("snapshot %ld: %s", snapshots + 1, err);
            break;
        }
        snapshots++;
        torn += L.cur.torn_cells;
        check_one(&L.cur, skew);
        check_pair(&L.prev, &L.cur, pmv_live_window_s(&L));
    }
    long rss1 = rss_kb();
    pmv_live_close(&L);
    printf("segcheck: %ld snapshots, %ld violations, %llu torn cells, max hist skew %llu, rss %ld -> %ld kB\n",
           snapshots, violations, (unsigned long long)torn, (unsigned long long)max_skew, rss0, rss1);
    return violations ? 1 : 0;
}
