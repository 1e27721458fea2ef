/* recorder.c - samples of segments into SQLite rows */
#include "store/recorder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_ds.h>

#include "model/window.h"
#include "store/bucket_blob.h"

/* How often the series' state is written: a restart reads the rows after
   it (tier 0 keeps them longer: retention.c refuses less than 2 minutes). */
#define PMV_REC_CHECKPOINT_NS (60ull * 1000000000ull)

static int fail(pmv_recorder *r, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(r->db));
    return -1;
}

static int prep(pmv_recorder *r, sqlite3_stmt **st, const char *sql, char *err, size_t errlen)
{
    if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK) return 0;
    return fail(r, err, errlen, "preparing a statement");
}

int pmv_rec_open(pmv_recorder *r, sqlite3 *db, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->db = db;
    if (gethostname(r->host, sizeof r->host - 1) != 0) strcpy(r->host, "?");
    if (prep(r, &r->sel_run, "SELECT id, last_ns FROM runs WHERE host = ? AND pid = ? AND start_ns = ?", err, errlen) ||
        prep(r, &r->ins_run, "INSERT INTO runs (host, pid, start_ns, process, cmdline, first_ns, last_ns, state) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", err, errlen) ||
        prep(r, &r->upd_run, "UPDATE runs SET last_ns = ?, state = ? WHERE id = ?", err, errlen) ||
        prep(r, &r->sel_series, "SELECT id, last_ns, cum_count, cum_sum, cum_errors, cum_slow, cum_min, cum_max, "
                                "cum_gauge, cum_buckets, cum_resets FROM series WHERE run = ? AND name = ?", err, errlen) ||
        prep(r, &r->sel_since, "SELECT COUNT(*), SUM(count), SUM(sum), SUM(errors), SUM(slow), MIN(min), MAX(max), "
                               "pm_last(t_ns, gauge), pm_merge_buckets(buckets), SUM(reset) FROM samples "
                               "WHERE series = ? AND step = 0 AND t_ns >= ?", err, errlen) ||
        prep(r, &r->ins_series, "INSERT INTO series (run, name, base, labels, kind, unit) VALUES (?, ?, ?, ?, ?, ?)",
             err, errlen) ||
        prep(r, &r->upd_series, "UPDATE series SET last_ns = ?, cum_count = ?, cum_sum = ?, cum_errors = ?, "
                                "cum_slow = ?, cum_min = ?, cum_max = ?, cum_gauge = ?, cum_buckets = ?, cum_resets = ? "
                                "WHERE id = ?",
             err, errlen) ||
        prep(r, &r->ins_sample, "INSERT OR REPLACE INTO samples (series, step, t_ns, len_ns, count, sum, errors, slow, "
                                "min, max, gauge, buckets, reset) VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             err, errlen) ||
        prep(r, &r->ins_resources, "INSERT OR REPLACE INTO resources (run, step, t_ns, len_ns, cpu_user_s, cpu_sys_s, "
                                   "rss_bytes, hwm_bytes, threads, fds, read_bytes, write_bytes) "
                                   "VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err, errlen)) {
        pmv_rec_close(r);
        return -1;
    }
    return 0;
}

void pmv_rec_close(pmv_recorder *r)
{
    sqlite3_stmt *all[] = { r->sel_run, r->ins_run, r->upd_run, r->sel_series, r->sel_since, r->ins_series, r->upd_series,
                            r->ins_sample, r->ins_resources };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) sqlite3_finalize(all[i]);
    memset(r, 0, sizeof *r);
}

int pmv_rec_begin(pmv_recorder *r, char *err, size_t errlen)
{
    if (pmv_db_exec(r->db, "BEGIN IMMEDIATE", err, errlen)) return -1;
    r->in_tx = 1;
    return 0;
}

int pmv_rec_commit(pmv_recorder *r, char *err, size_t errlen)
{
    if (pmv_db_exec(r->db, "COMMIT", err, errlen)) return -1;
    r->in_tx = 0;
    return 0;
}

void pmv_rec_rollback(pmv_recorder *r)
{
    char e[256];
    if (r->in_tx) pmv_db_exec(r->db, "ROLLBACK", e, sizeof e);
    r->in_tx = 0;
}

static int step_done(pmv_recorder *r, sqlite3_stmt *st, char *err, size_t errlen, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : fail(r, err, errlen, what);
}

int pmv_rec_attach(pmv_recorder *r, const pmv_snapshot *snap, uint64_t now_ns, pmv_rec_run *run,
                   char *err, size_t errlen)
{
    memset(run, 0, sizeof *run);
    run->pid = snap->pid;
    run->start_ns = snap->start_realtime_ns;
    sqlite3_stmt *st = r->sel_run;
    sqlite3_bind_text(st, 1, r->host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, snap->pid);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)snap->start_realtime_ns);
    if (sqlite3_step(st) == SQLITE_ROW) {
        run->id = sqlite3_column_int64(st, 0);
        run->last_ns = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (run->id) return 0;
    st = r->ins_run;
    sqlite3_bind_text(st, 1, r->host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, snap->pid);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)snap->start_realtime_ns);
    sqlite3_bind_text(st, 4, snap->process, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, snap->cmdline, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)now_ns);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)snap->start_realtime_ns);
    sqlite3_bind_text(st, 8, pmv_snapshot_status(snap), -1, SQLITE_STATIC);
    if (step_done(r, st, err, errlen, "adding a run")) return -1;
    run->id = sqlite3_last_insert_rowid(r->db);
    run->last_ns = snap->start_realtime_ns;   /* the first interval runs from the start */
    return 0;
}

/* A series' cumulative state: its checkpoint plus the rows written after
   it (they start at or after the checkpoint's sample; those written with
   it start before). */
static int rows_since_checkpoint(pmv_recorder *r, pmv_rec_series *rs, char *err, size_t errlen)
{
    sqlite3_stmt *st = r->sel_since;
    sqlite3_bind_int64(st, 1, rs->id);
    sqlite3_bind_int64(st, 2, rs->have_cum ? (sqlite3_int64)rs->state_ns : 0);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) {
        pmv_series *c = &rs->cum;
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
        uint64_t mn = (uint64_t)sqlite3_column_int64(st, 5), mx = (uint64_t)sqlite3_column_int64(st, 6);
        if (n && (!c->count || mn < c->min)) c->min = mn;
        if (n && mx > c->max) c->max = mx;
        c->count += n;
        c->sum += (uint64_t)sqlite3_column_int64(st, 2);
        c->errors += (uint64_t)sqlite3_column_int64(st, 3);
        c->slow += (uint64_t)sqlite3_column_int64(st, 4);
        if (sqlite3_column_type(st, 7) != SQLITE_NULL) c->gauge = sqlite3_column_int64(st, 7);
        const void *b = sqlite3_column_blob(st, 8);
        if (b) pmv_blob_merge(b, (size_t)sqlite3_column_bytes(st, 8), &c->bins, &c->hist_total);
        c->resets += (uint32_t)sqlite3_column_int64(st, 9);   /* a row's reset counts the resets in it */
        rs->have_cum = 1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW) return fail(r, err, errlen, "reading a series' rows");
    return 0;
}

/* The series' row and recorded state, created when new. */
static int lookup_series(pmv_recorder *r, pmv_rec_run *run, const pmv_series *s, pmv_rec_series *rs,
                         char *err, size_t errlen)
{
    sqlite3_stmt *st = r->sel_series;
    sqlite3_bind_int64(st, 1, run->id);
    sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        rs->id = sqlite3_column_int64(st, 0);
        rs->state_ns = (uint64_t)sqlite3_column_int64(st, 1);
        if (sqlite3_column_int64(st, 1) > 0) {
            pmv_series *c = &rs->cum;
            c->kind = s->kind;
            c->count = (uint64_t)sqlite3_column_int64(st, 2);
            c->sum = (uint64_t)sqlite3_column_int64(st, 3);
            c->errors = (uint64_t)sqlite3_column_int64(st, 4);
            c->slow = (uint64_t)sqlite3_column_int64(st, 5);
            c->min = (uint64_t)sqlite3_column_int64(st, 6);
            c->max = (uint64_t)sqlite3_column_int64(st, 7);
            c->gauge = sqlite3_column_int64(st, 8);
            const void *b = sqlite3_column_blob(st, 9);
            if (b) pmv_blob_merge(b, (size_t)sqlite3_column_bytes(st, 9), &c->bins, &c->hist_total);
            c->resets = (uint32_t)sqlite3_column_int64(st, 10);
            c->all_min = c->min;
            c->all_max = c->max;
            rs->have_cum = 1;
        }
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rs->id) return rows_since_checkpoint(r, rs, err, errlen);
    st = r->ins_series;
    sqlite3_bind_int64(st, 1, run->id);
    sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, s->base, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, s->labels_raw, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, pmv_kind_str(s->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, pmv_unit_str(pmv_series_unit(s)), -1, SQLITE_STATIC);
    if (step_done(r, st, err, errlen, "adding a series")) return -1;
    rs->id = sqlite3_last_insert_rowid(r->db);
    return 0;
}

static void bind_u64_or_null(sqlite3_stmt *st, int i, int have, uint64_t v)
{
    if (have) sqlite3_bind_int64(st, i, (sqlite3_int64)v);
    else sqlite3_bind_null(st, i);
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v)) sqlite3_bind_double(st, i, v);
    else sqlite3_bind_null(st, i);
}

/* The cumulative state becomes cur's (a copy: the snapshot is freed). */
/* The raw sums are kept (resets undone: they never go back within a run)
   with the reset count, so the next window sees a reset as one. */
static void keep_state(pmv_rec_series *rs, const pmv_series *cur)
{
    pmv_series raw;
    pmv_series_raw(cur, &raw);
    arrfree(rs->cum.bins);
    rs->cum = (pmv_series){ 0 };
    rs->cum.kind = cur->kind;
    rs->cum.count = raw.count;
    rs->cum.sum = raw.sum;
    rs->cum.errors = raw.errors;
    rs->cum.slow = raw.slow;
    rs->cum.min = rs->cum.all_min = raw.min;
    rs->cum.max = rs->cum.all_max = raw.max;
    rs->cum.gauge = cur->gauge;
    rs->cum.bins = raw.bins;
    rs->cum.hist_total = raw.hist_total;
    rs->cum.resets = cur->resets;
    rs->have_cum = 1;
}

static int write_state(pmv_recorder *r, const pmv_rec_series *rs, uint64_t now_ns, uint8_t **blob,
                       char *err, size_t errlen)
{
    const pmv_series *c = &rs->cum;
    sqlite3_stmt *st = r->upd_series;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)now_ns);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)c->count);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)c->sum);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)c->errors);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)c->slow);
    bind_u64_or_null(st, 6, c->count > 0, c->min);
    bind_u64_or_null(st, 7, c->count > 0, c->max);
    sqlite3_bind_int64(st, 8, c->gauge);
    pmv_blob_encode(c->bins, arrlen(c->bins), blob);
    if (arrlen(*blob)) sqlite3_bind_blob(st, 9, *blob, (int)arrlen(*blob), SQLITE_STATIC);
    else sqlite3_bind_null(st, 9);
    sqlite3_bind_int64(st, 10, c->resets);
    sqlite3_bind_int64(st, 11, rs->id);
    return step_done(r, st, err, errlen, "keeping a series' state");
}

static int write_sample(pmv_recorder *r, const pmv_rec_series *rs, const pmv_win *w, uint64_t t_ns,
                        uint64_t len_ns, uint8_t **blob, char *err, size_t errlen)
{
    const pmv_series *s = w->s;
    int timed = s->kind == PM_SHM_KIND_TIMER || s->kind == PM_SHM_KIND_DISTRIBUTION;
    sqlite3_stmt *st = r->ins_sample;
    sqlite3_bind_int64(st, 1, rs->id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)t_ns);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)len_ns);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)w->count);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)w->sum);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)w->errors);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)w->slow);
    bind_u64_or_null(st, 8, timed && isfinite(w->min), isfinite(w->min) ? (uint64_t)llround(w->min) : 0);
    bind_u64_or_null(st, 9, timed && isfinite(w->max), isfinite(w->max) ? (uint64_t)llround(w->max) : 0);
    if (s->kind == PM_SHM_KIND_GAUGE) sqlite3_bind_int64(st, 10, s->gauge);
    else sqlite3_bind_null(st, 10);
    pmv_blob_encode(w->bins, arrlen(w->bins), blob);
    if (arrlen(*blob)) sqlite3_bind_blob(st, 11, *blob, (int)arrlen(*blob), SQLITE_STATIC);
    else sqlite3_bind_null(st, 11);
    /* the program's resets in the interval (pm_reset), or 1 for a restart */
    uint32_t resets = s->resets > rs->cum.resets ? s->resets - rs->cum.resets : 1u;
    sqlite3_bind_int64(st, 12, w->reset ? resets : 0);
    if (step_done(r, st, err, errlen, "writing a sample")) return -1;
    r->rows++;
    return 0;
}

/* The run's entry for a record number: kept sorted by number, so memory
   follows the series there are, whatever numbers a segment claims. */
static pmv_rec_series *series_slot(pmv_rec_run *run, uint32_t index)
{
    ptrdiff_t lo = 0, hi = arrlen(run->series);
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        if (run->series[mid].index < index) lo = mid + 1;
        else hi = mid;
    }
    if (lo < arrlen(run->series) && run->series[lo].index == index) return &run->series[lo];
    pmv_rec_series fresh = { .index = index };
    arrput(run->series, fresh);   /* then moved into its place */
    ptrdiff_t n = arrlen(run->series);
    memmove(run->series + lo + 1, run->series + lo, (size_t)(n - 1 - lo) * sizeof *run->series);
    run->series[lo] = fresh;
    return &run->series[lo];
}

int pmv_rec_sample(pmv_recorder *r, pmv_rec_run *run, const pmv_snapshot *snap, const pmv_proc *proc,
                   uint64_t now_ns, char *err, size_t errlen)
{
    uint64_t t_ns = run->last_ns < now_ns ? run->last_ns : now_ns;
    /* a run joined late (its first interval runs from the process's
       start) or a recorder that was down: no row goes behind a rollup
       already made, where it would never be rolled up */
    if (t_ns < r->floor_ns && r->floor_ns <= now_ns) t_ns = r->floor_ns;
    uint64_t len_ns = now_ns - t_ns;
    double seconds = (double)len_ns / 1e9;
    uint8_t *blob = NULL;
    int rc = 0;
    for (ptrdiff_t i = 0; i < arrlen(snap->series) && rc == 0; i++) {
        const pmv_series *s = &snap->series[i];
        pmv_rec_series *rs = series_slot(run, s->index);
        if (rs->name && strcmp(rs->name, s->name) != 0) {  /* not the series we knew at that number */
            uint32_t index = rs->index;
            free(rs->name);
            arrfree(rs->cum.bins);
            memset(rs, 0, sizeof *rs);
            rs->index = index;
        }
        if (!rs->id) {
            if (lookup_series(r, run, s, rs, err, errlen)) { rc = -1; break; }
            rs->name = strdup(s->name);
            if (!rs->name) abort();
        }
        pmv_win w;
        pmv_win_series(rs->have_cum ? &rs->cum : NULL, s, 1, seconds, &w);
        int changed = !rs->have_cum || w.count || w.errors || w.sum || w.reset ||
                      (s->kind == PM_SHM_KIND_GAUGE && s->gauge != rs->cum.gauge);
        if (changed) {
            rc = write_sample(r, rs, &w, t_ns, len_ns, &blob, err, errlen);
            keep_state(rs, s);
            rs->dirty = 1;
        }
        pmv_win_clear(&w);
    }
    arrfree(blob);
    if (rc) return rc;
    if ((now_ns - run->state_ns >= PMV_REC_CHECKPOINT_NS || pmv_snapshot_status(snap)[0] != 'a') &&
        pmv_rec_checkpoint(r, run, now_ns, err, errlen))
        return -1;
    if (proc && proc->exists) {
        sqlite3_stmt *st = r->ins_resources;
        const pmv_proc *a = run->have_proc ? &run->proc_prev : NULL;
        sqlite3_bind_int64(st, 1, run->id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)t_ns);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)len_ns);
        bind_real(st, 4, a ? proc->utime - a->utime : proc->utime);
        bind_real(st, 5, a ? proc->stime - a->stime : proc->stime);
        bind_real(st, 6, proc->rss);
        bind_real(st, 7, proc->hwm);
        if (proc->threads >= 0) sqlite3_bind_int64(st, 8, proc->threads);
        if (proc->fds >= 0) sqlite3_bind_int64(st, 9, proc->fds);
        bind_real(st, 10, a ? proc->read_bytes - a->read_bytes : NAN);
        bind_real(st, 11, a ? proc->write_bytes - a->write_bytes : NAN);
        if (step_done(r, st, err, errlen, "writing resources")) return -1;
        run->proc_prev = *proc;
        run->have_proc = 1;
    }
    sqlite3_stmt *st = r->upd_run;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)now_ns);
    sqlite3_bind_text(st, 2, pmv_snapshot_status(snap), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, run->id);
    if (step_done(r, st, err, errlen, "updating a run")) return -1;
    run->last_ns = now_ns;
    return 0;
}

int pmv_rec_checkpoint(pmv_recorder *r, pmv_rec_run *run, uint64_t now_ns, char *err, size_t errlen)
{
    uint8_t *blob = NULL;
    int rc = 0;
    for (ptrdiff_t i = 0; i < arrlen(run->series) && rc == 0; i++) {
        pmv_rec_series *rs = &run->series[i];
        if (!rs->dirty) continue;
        rc = write_state(r, rs, now_ns, &blob, err, errlen);
        rs->dirty = 0;
        rs->state_ns = now_ns;
    }
    arrfree(blob);
    if (rc == 0) run->state_ns = now_ns;
    return rc;
}

void pmv_rec_run_free(pmv_rec_run *run)
{
    for (ptrdiff_t i = 0; i < arrlen(run->series); i++) {
        free(run->series[i].name);
        arrfree(run->series[i].cum.bins);
    }
    arrfree(run->series);
    memset(run, 0, sizeof *run);
}
