/* history_size.c - how big the history gets: a month of samples of busy
   series through the recorder's own code, on a simulated clock

   usage: history_size [SERIES] [DB]
   Every series changes in every interval (the worst case: idle series
   write no rows). A month at 1 s would be 2.6 G rows to write; what the
   retention keeps of it is the same when the recorder writes coarser rows
   where only rollups survive: hourly samples for the first 29 days,
   per-minute ones for the last day but an hour, 1 s for the last hour
   (a rollup of sixty 1-s rows is one 60-s row). The default retention
   (1h,1m:1d,1h:30d) runs as the recorder runs it. Prints the database's
   size (pages in use), rows per tier, bytes per series, and the CPU time
   per sampled series. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <stb_ds.h>

#include "viewer/read/labels.h"
#include "viewer/store/recorder.h"
#include "viewer/store/retention.h"

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* 70% counters, 20% timers (about 20 buckets touched per interval), 10% gauges. */
static void make_series(pmv_snapshot *snap, int n)
{
    for (int i = 0; i < n; i++) {
        pmv_series s;
        memset(&s, 0, sizeof s);
        char name[128];
        int kind = i % 10 < 7 ? PM_SHM_KIND_COUNTER : i % 10 < 9 ? PM_SHM_KIND_TIMER : PM_SHM_KIND_GAUGE;
        snprintf(name, sizeof name, "sim.%s.%d{route=\"/r%d\"}",
                 kind == PM_SHM_KIND_COUNTER ? "count" : kind == PM_SHM_KIND_TIMER ? "latency" : "level", i, i % 50);
        s.index = (uint32_t)i;
        s.name = strdup(name);
        pmv_labels_parse(s.name, &s.base, &s.labels, &s.labels_raw);
        s.kind = kind;
        arrput(snap->series, s);
    }
}

/* One interval of activity: counts, sums, buckets grow. */
static void advance(pmv_snapshot *snap, uint64_t *rng)
{
    for (ptrdiff_t i = 0; i < arrlen(snap->series); i++) {
        pmv_series *s = &snap->series[i];
        *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t n = 50 + (*rng >> 58);
        if (s->kind == PM_SHM_KIND_GAUGE) { s->gauge = (int64_t)(*rng >> 40); continue; }
        s->count += n;
        if (s->kind != PM_SHM_KIND_TIMER) continue;
        /* about 20 buckets near 1 ms, a few in the tail */
        for (int k = 0; k < 20; k++) {
            uint32_t b = pm_shm_hist_index(900000 + (uint64_t)k * 20000 + ((*rng >> (k % 32)) & 0xfff));
            ptrdiff_t j = 0;
            while (j < arrlen(s->bins) && s->bins[j].index < b) j++;
            if (j == arrlen(s->bins) || s->bins[j].index != b) {
                pmv_bin nb = { b, 0 };
                arrins(s->bins, j, nb);
            }
            uint64_t add = n / 20 + (k == 0 ? n % 20 : 0);
            s->bins[j].n += add;
            s->hist_total += add;
            s->sum += add * pm_shm_hist_lower(b);
        }
        s->min = 900000;
        s->max = 1300000;
        s->errors += n / 50;
    }
}

int main(int argc, char **argv)
{
    int nseries = argc > 1 ? atoi(argv[1]) : 1000;
    const char *path = argc > 2 ? argv[2] : "/tmp/perfmon-history-size.db";
    unlink(path);
    char wal[4200], shm[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(wal);
    unlink(shm);
    sqlite3 *db;
    char err[1024];
    pmv_recorder rec;
    pmv_retention ret;
    if (pmv_db_open(path, 1, &db, err, sizeof err) || pmv_rec_open(&rec, db, err, sizeof err) ||
        pmv_retention_parse(pmv_retention_default, &ret, err, sizeof err)) {
        fprintf(stderr, "history_size: %s\n", err);
        return 1;
    }
    pmv_snapshot snap;
    memset(&snap, 0, sizeof snap);
    snap.pid = 4242;
    snap.start_realtime_ns = 1700000000ull * 1000000000ull;
    snprintf(snap.process, sizeof snap.process, "sim");
    snap.alive = 1;
    make_series(&snap, nseries);
    pmv_rec_run run;
    uint64_t day = 86400ull * 1000000000ull, hour = 3600ull * 1000000000ull, sec = 1000000000ull;
    uint64_t t0 = snap.start_realtime_ns, end = t0 + 30 * day, now = t0;
    uint64_t rng = 1, samples = 0, next_retention = 0, last_hour = 0;
    double c0 = cpu_s(), c_hour = 0, c_ret = 0;
    if (pmv_rec_attach(&rec, &snap, now, &run, err, sizeof err)) { fprintf(stderr, "%s\n", err); return 1; }
    while (now < end) {
        uint64_t step = now < end - day ? hour : now < end - hour ? 60 * sec : sec;
        if (step == sec && !c_hour) c_hour = cpu_s();   /* the last hour: as a real recorder runs */
        last_hour += step == sec;
        now += step;
        advance(&snap, &rng);
        if (pmv_rec_begin(&rec, err, sizeof err) ||
            pmv_rec_sample(&rec, &run, &snap, NULL, now, err, sizeof err) ||
            pmv_rec_commit(&rec, err, sizeof err)) {
            fprintf(stderr, "history_size: %s\n", err);
            return 1;
        }
        samples++;
        if (now >= next_retention) {
            double cr = cpu_s();
            if (pmv_retention_apply(db, &ret, now, 2 * step, err, sizeof err)) {
                fprintf(stderr, "history_size: %s\n", err);
                return 1;
            }
            rec.floor_ns = pmv_retention_floor(db, &ret);
            if (step == sec) c_ret += cpu_s() - cr;
            next_retention = now + 60 * sec;
        }
    }
    double cpu = cpu_s() - c0, cpu_hour = cpu_s() - c_hour;
    char e[256];
    pmv_db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", e, sizeof e);
    sqlite3_stmt *st;
    long long pages = 0, page = 0, freel = 0;
    if (sqlite3_prepare_v2(db, "SELECT * FROM pragma_page_count, pragma_page_size, pragma_freelist_count", -1, &st,
                           NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        pages = sqlite3_column_int64(st, 0);
        page = sqlite3_column_int64(st, 1);
        freel = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    printf("series %d, samples %llu (a month: 29 d hourly, 23 h per minute, 1 h per second)\n", nseries,
           (unsigned long long)samples);
    if (sqlite3_prepare_v2(db, "SELECT step, COUNT(*) FROM samples GROUP BY step", -1, &st, NULL) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW)
            printf("tier step %llds: %lld rows\n", sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    double used = (double)(pages - freel) * (double)page, file = (double)pages * (double)page;
    printf("database: %.1f MiB file, %.1f MiB in use; %.0f KiB per series\n", file / 1048576.0, used / 1048576.0,
           file / 1024.0 / nseries);
    printf("cpu: %.2f s in all; the last hour at 1 s: %.2f s for %llu series-samples, %.2f us each "
           "(retention %.0f%% of it): %.2f%% of a core per 1000 series\n",
           cpu, cpu_hour, (unsigned long long)last_hour * (unsigned)nseries,
           cpu_hour * 1e6 / (double)(last_hour * (uint64_t)nseries), 100 * c_ret / cpu_hour,
           100 * cpu_hour / 3600.0 * 1000.0 / nseries);
    pmv_rec_run_free(&run);
    pmv_rec_close(&rec);
    sqlite3_close(db);
    pmv_snapshot_free(&snap);
    return 0;
}
