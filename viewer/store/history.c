/* history.c - windows of the past from the tiers of the history */
#include "store/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "read/labels.h"
#include "store/bucket_blob.h"
#include "store/retention.h"

static int kind_of(const char *s)
{
    if (strcmp(s, "counter") == 0) return PM_SHM_KIND_COUNTER;
    if (strcmp(s, "gauge") == 0) return PM_SHM_KIND_GAUGE;
    if (strcmp(s, "timer") == 0) return PM_SHM_KIND_TIMER;
    return PM_SHM_KIND_DISTRIBUTION;
}

static int unit_of(const char *s)
{
    if (strcmp(s, "ns") == 0) return PM_SHM_UNIT_NANOSECONDS;
    if (strcmp(s, "bytes") == 0) return PM_SHM_UNIT_BYTES;
    return PM_SHM_UNIT_NONE;
}

static const char *text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

/* The steps there are rows of, ascending: 0, and each rollup's (its
   watermark in meta says it ran). */
static int64_t *tier_steps(sqlite3 *db)
{
    int64_t *steps = NULL;
    arrput(steps, 0);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT CAST(substr(key, 8) AS INTEGER) AS s FROM meta WHERE key LIKE 'rolled\\_%' "
                               "ESCAPE '\\' ORDER BY s", -1, &st, NULL) != SQLITE_OK)
        return steps;
    while (sqlite3_step(st) == SQLITE_ROW)
        if (sqlite3_column_int64(st, 0) > 0) arrput(steps, sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    return steps;
}

static void add_run(pmv_history *h, int64_t run)
{
    for (ptrdiff_t i = 0; i < arrlen(h->runs); i++)
        if (h->runs[i] == run) return;
    arrput(h->runs, run);
}

static int cmp_rows(const void *a, const void *b)
{
    const pmv_history_row *x = a, *y = b;
    int c = strcmp(x->s.name, y->s.name);
    if (c) return c;
    return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

/* b's figures into a (same series, same bucket); b is freed. */
static void merge_into(pmv_history_row *a, pmv_history_row *b)
{
    pmv_series *x = &a->s, *y = &b->s;
    if (y->count && (!x->count || y->min < x->min)) x->min = y->min;
    if (y->count && (!x->count || y->max > x->max)) x->max = y->max;
    x->count += y->count;
    x->sum += y->sum;
    x->errors += y->errors;
    x->slow += y->slow;
    if (b->end_ns >= a->end_ns) x->gauge = y->gauge;
    uint8_t *blob = NULL;
    pmv_blob_encode(y->bins, arrlen(y->bins), &blob);
    pmv_blob_merge(blob, (size_t)arrlen(blob), &x->bins, &x->hist_total);
    arrfree(blob);
    if (b->first_ns < a->first_ns) a->first_ns = b->first_ns;
    if (b->end_ns > a->end_ns) a->end_ns = b->end_ns;
    a->reset |= b->reset;
    pmv_series_free(y);
}

/* ?1..?6 of both queries below: the tier, the window part, the runs. */
static void bind_filter(sqlite3_stmt *st, const pmv_history_filter *f, int64_t step, uint64_t lo, uint64_t hi)
{
    sqlite3_bind_int64(st, 1, step);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)lo);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)hi);
    sqlite3_bind_int64(st, 4, f->pid);
    if (f->process) sqlite3_bind_text(st, 5, f->process, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 5);
    sqlite3_bind_int64(st, 6, f->run);
}

/* The rows of one tier with start in [lo, hi), grouped by series name
   (and bucket), appended to h->rows. */
static int read_tier(sqlite3 *db, const pmv_history_filter *f, int64_t step, uint64_t lo, uint64_t hi,
                     pmv_history *h, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT s.name, s.kind, s.unit, (x.t_ns - ?7) / ?8 AS b, SUM(x.count), SUM(x.sum), SUM(x.errors), "
        "SUM(x.slow), MIN(x.min), MAX(x.max), pm_last(x.t_ns, x.gauge), pm_merge_buckets(x.buckets), "
        "MIN(x.t_ns), MAX(x.t_ns + x.len_ns), MAX(x.reset) "
        "FROM runs r CROSS JOIN series s ON s.run = r.id CROSS JOIN samples x ON x.series = s.id "
        "AND x.step = ?1 AND x.t_ns >= ?2 AND x.t_ns < ?3 WHERE (?4 = 0 OR r.pid = ?4) "
        "AND (?5 IS NULL OR r.process = ?5) AND (?6 = 0 OR r.id = ?6) GROUP BY s.name, b";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "reading the history: %s", sqlite3_errmsg(db));
        return -1;
    }
    uint64_t width = f->step_ns ? f->step_ns : (f->to_ns - f->from_ns) + 1;
    bind_filter(st, f, step, lo, hi);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)f->from_ns);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)width);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pmv_history_row r;
        memset(&r, 0, sizeof r);
        pmv_series *s = &r.s;
        s->name = strdup(text(st, 0));
        if (!s->name) abort();
        pmv_labels_parse(s->name, &s->base, &s->labels, &s->labels_raw);
        s->kind = kind_of(text(st, 1));
        s->unit = unit_of(text(st, 2));
        r.t_ns = f->from_ns + (uint64_t)sqlite3_column_int64(st, 3) * width;
        s->count = (uint64_t)sqlite3_column_int64(st, 4);
        s->sum = (uint64_t)sqlite3_column_int64(st, 5);
        s->errors = (uint64_t)sqlite3_column_int64(st, 6);
        s->slow = (uint64_t)sqlite3_column_int64(st, 7);
        s->min = (uint64_t)sqlite3_column_int64(st, 8);
        s->max = (uint64_t)sqlite3_column_int64(st, 9);
        s->gauge = sqlite3_column_int64(st, 10);
        const void *b = sqlite3_column_blob(st, 11);
        if (b && pmv_blob_merge(b, (size_t)sqlite3_column_bytes(st, 11), &s->bins, &s->hist_total)) {
            /* a damaged BLOB: the counts stand, the percentiles go */
            arrfree(s->bins);
            s->bins = NULL;
            s->hist_total = 0;
        }
        r.first_ns = (uint64_t)sqlite3_column_int64(st, 12);
        r.end_ns = (uint64_t)sqlite3_column_int64(st, 13);
        r.reset = sqlite3_column_int(st, 14);
        arrput(h->rows, r);
    }
    if (rc != SQLITE_DONE) snprintf(err, errlen, "reading the history: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return -1;
    /* which runs those rows came from */
    static const char runs_sql[] =
        "SELECT r.id FROM runs r WHERE (?4 = 0 OR r.pid = ?4) AND (?5 IS NULL OR r.process = ?5) "
        "AND (?6 = 0 OR r.id = ?6) AND EXISTS (SELECT 1 FROM series s CROSS JOIN samples x ON x.series = s.id "
        "AND x.step = ?1 AND x.t_ns >= ?2 AND x.t_ns < ?3 WHERE s.run = r.id)";
    if (sqlite3_prepare_v2(db, runs_sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "reading the history: %s", sqlite3_errmsg(db));
        return -1;
    }
    bind_filter(st, f, step, lo, hi);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) add_run(h, sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void newest_run(sqlite3 *db, pmv_history *h)
{
    sqlite3_stmt *st;
    if (!arrlen(h->runs) || sqlite3_prepare_v2(db, "SELECT process, pid FROM runs WHERE id = ?", -1, &st, NULL))
        return;
    int64_t newest = h->runs[0];
    for (ptrdiff_t i = 1; i < arrlen(h->runs); i++)
        if (h->runs[i] > newest) newest = h->runs[i];
    sqlite3_bind_int64(st, 1, newest);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(h->process, sizeof h->process, "%s", text(st, 0));
        h->pid = (uint32_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
}

int pmv_history_read(sqlite3 *db, const pmv_history_filter *f, pmv_history *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    if (f->to_ns <= f->from_ns) return 0;
    int64_t *steps = tier_steps(db);
    uint64_t hi = UINT64_MAX >> 1;   /* finest tier: up to any time */
    int rc = 0;
    for (ptrdiff_t i = 0; i < arrlen(steps) && rc == 0; i++) {
        uint64_t lo = pmv_retention_kept_from(db, (int)steps[i]);
        uint64_t a = lo > f->from_ns ? lo : f->from_ns, b = hi < f->to_ns ? hi : f->to_ns;
        if (a < b) rc = read_tier(db, f, steps[i], a, b, h, err, errlen);
        hi = lo;
        if (hi <= f->from_ns) break;
    }
    arrfree(steps);
    if (rc) {
        pmv_history_free(h);
        return -1;
    }
    /* one row per series and bucket across the tiers */
    if (arrlen(h->rows) > 1) qsort(h->rows, (size_t)arrlen(h->rows), sizeof *h->rows, cmp_rows);
    ptrdiff_t n = 0;
    for (ptrdiff_t i = 0; i < arrlen(h->rows); i++) {
        if (n && cmp_rows(&h->rows[n - 1], &h->rows[i]) == 0) merge_into(&h->rows[n - 1], &h->rows[i]);
        else h->rows[n++] = h->rows[i];
    }
    if (h->rows) arrsetlen(h->rows, n);
    for (ptrdiff_t i = 0; i < n; i++) {
        if (!h->first_ns || h->rows[i].first_ns < h->first_ns) h->first_ns = h->rows[i].first_ns;
        if (h->rows[i].end_ns > h->end_ns) h->end_ns = h->rows[i].end_ns;
    }
    newest_run(db, h);
    return 0;
}

void pmv_history_free(pmv_history *h)
{
    for (ptrdiff_t i = 0; i < arrlen(h->rows); i++) pmv_series_free(&h->rows[i].s);
    arrfree(h->rows);
    arrfree(h->runs);
    memset(h, 0, sizeof *h);
}
