/* retention.c - rollups to coarser steps, and dropping old rows */
#include "store/retention.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "base/hist.h"
#include "store/bucket_blob.h"
#include "store/db.h"

const char pmv_retention_default[] = "1h,1m:1d,1h:30d";

/* "90", "90s", "15m", "2h", "7d" into nanoseconds; 0 if invalid. */
static uint64_t duration_ns(const char *s, size_t n)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (end == buf || !(v > 0) || v > 1e7) return 0;
    double unit = strcmp(end, "") == 0 || strcmp(end, "s") == 0 ? 1 : strcmp(end, "m") == 0 ? 60
                  : strcmp(end, "h") == 0 ? 3600 : strcmp(end, "d") == 0 ? 86400 : 0;
    return unit ? (uint64_t)llround(v * unit * 1e9) : 0;
}

int pmv_retention_parse(const char *spec, pmv_retention *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        if (r->n == PMV_TIERS_MAX) {
            snprintf(err, errlen, "retention '%s': at most %d tiers", spec, PMV_TIERS_MAX);
            return -1;
        }
        pmv_tier *t = &r->tier[r->n];
        if (r->n == 0 ? colon != NULL : colon == NULL) {
            snprintf(err, errlen, "retention '%s': expected KEEP,STEP:KEEP,... (e.g. %s)", spec,
                     pmv_retention_default);
            return -1;
        }
        t->step_ns = colon ? duration_ns(p, (size_t)(colon - p)) : 0;
        t->keep_ns = colon ? duration_ns(colon + 1, len - (size_t)(colon + 1 - p)) : duration_ns(p, len);
        if (!t->keep_ns || (colon && !t->step_ns)) {
            snprintf(err, errlen, "retention '%s': bad duration in '%.*s'", spec, (int)len, p);
            return -1;
        }
        if (r->n >= 2 && (t->step_ns <= r->tier[r->n - 1].step_ns || t->step_ns % r->tier[r->n - 1].step_ns)) {
            snprintf(err, errlen, "retention '%s': each step must be a multiple of the one before", spec);
            return -1;
        }
        if (colon && t->step_ns % 1000000000ull) {
            snprintf(err, errlen, "retention '%s': steps are whole seconds", spec);
            return -1;
        }
        r->n++;
        if (!comma) break;
        p = comma + 1;
    }
    if (r->n == 0) {
        snprintf(err, errlen, "retention '%s': empty", spec);
        return -1;
    }
    if (r->tier[0].keep_ns < 120ull * 1000000000ull) {
        /* a restarted recorder reads the rows since the minute's checkpoint */
        snprintf(err, errlen, "retention '%s': rows as recorded are kept 2m at least", spec);
        return -1;
    }
    return 0;
}

/* ---- SQL aggregates */

typedef struct merge_ctx { pmv_bin *bins; uint64_t total; int bad; } merge_ctx;

static void merge_step(sqlite3_context *c, int argc, sqlite3_value **argv)
{
    (void)argc;
    merge_ctx *m = sqlite3_aggregate_context(c, sizeof *m);
    if (!m || sqlite3_value_type(argv[0]) != SQLITE_BLOB) return;
    if (pmv_blob_merge(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), &m->bins, &m->total))
        m->bad = 1;
}

static void merge_final(sqlite3_context *c)
{
    merge_ctx *m = sqlite3_aggregate_context(c, 0);
    if (!m || !arrlen(m->bins)) { sqlite3_result_null(c); if (m) arrfree(m->bins); return; }
    uint8_t *blob = NULL;
    pmv_blob_encode(m->bins, arrlen(m->bins), &blob);
    sqlite3_result_blob(c, blob, (int)arrlen(blob), SQLITE_TRANSIENT);
    arrfree(blob);
    arrfree(m->bins);
}

typedef struct last_ctx { int64_t t; sqlite3_value *v; } last_ctx;

static void last_step(sqlite3_context *c, int argc, sqlite3_value **argv)
{
    (void)argc;
    last_ctx *l = sqlite3_aggregate_context(c, sizeof *l);
    if (!l || sqlite3_value_type(argv[1]) == SQLITE_NULL) return;
    int64_t t = sqlite3_value_int64(argv[0]);
    if (l->v && t < l->t) return;
    sqlite3_value_free(l->v);
    l->v = sqlite3_value_dup(argv[1]);
    l->t = t;
}

static void last_final(sqlite3_context *c)
{
    last_ctx *l = sqlite3_aggregate_context(c, 0);
    if (l && l->v) {
        sqlite3_result_value(c, l->v);
        sqlite3_value_free(l->v);
    } else {
        sqlite3_result_null(c);
    }
}

int pmv_retention_register(sqlite3 *db)
{
    int rc = sqlite3_create_function(db, "pm_merge_buckets", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL,
                                     merge_step, merge_final);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "pm_last", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL, last_step,
                                     last_final);
    return rc == SQLITE_OK ? 0 : -1;
}

/* ---- rollups */

static int run_stmt(sqlite3 *db, const char *sql, const int64_t *args, int nargs, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "retention: %s", sqlite3_errmsg(db));
        return -1;
    }
    for (int i = 0; i < nargs; i++) sqlite3_bind_int64(st, i + 1, args[i]);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "retention: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int step_s(const pmv_tier *t) { return (int)(t->step_ns / 1000000000ull); }

static void key(char *buf, size_t len, const char *what, int step)
{
    snprintf(buf, len, "%s_%d", what, step);
}

/* Rolls the rows of tier `from` into tier `to` for every whole period of
   to's step in [watermark, end). */
static int roll(sqlite3 *db, const pmv_tier *from, const pmv_tier *to, uint64_t end, char *err, size_t errlen)
{
    char k[64];
    key(k, sizeof k, "rolled", step_s(to));
    int64_t wm = pmv_db_meta_int(db, k, 0);
    int64_t step = (int64_t)to->step_ns, stop = (int64_t)(end / to->step_ns) * step;
    if (stop <= wm) return 0;
    int64_t a[] = { step_s(to), step, step, step_s(from), wm, stop };
    if (run_stmt(db,
                 "INSERT OR REPLACE INTO samples (series, step, t_ns, len_ns, count, sum, errors, slow, min, max, "
                 "gauge, buckets, reset) SELECT series, ?1, (t_ns / ?2) * ?2 AS p, ?3, SUM(count), SUM(sum), "
                 "SUM(errors), SUM(slow), MIN(min), MAX(max), pm_last(t_ns, gauge), pm_merge_buckets(buckets), "
                 "MAX(reset) FROM series s CROSS JOIN samples x ON x.series = s.id AND x.step = ?4 AND x.t_ns >= ?5 "
                 "AND x.t_ns < ?6 GROUP BY series, p",
                 a, 6, err, errlen) ||
        run_stmt(db,
                 "INSERT OR REPLACE INTO resources (run, step, t_ns, len_ns, cpu_user_s, cpu_sys_s, rss_bytes, "
                 "hwm_bytes, threads, fds, read_bytes, write_bytes) SELECT run, ?1, (t_ns / ?2) * ?2 AS p, ?3, "
                 "SUM(cpu_user_s), SUM(cpu_sys_s), MAX(rss_bytes), MAX(hwm_bytes), MAX(threads), MAX(fds), "
                 "SUM(read_bytes), SUM(write_bytes) FROM resources WHERE step = ?4 AND t_ns >= ?5 AND t_ns < ?6 "
                 "GROUP BY run, p", a, 6, err, errlen) ||
        run_stmt(db,
                 /* the average of every figure: rates and usage over the
                    period, and levels (memory, load) at their typical value */
                 "INSERT OR REPLACE INTO system_figures (figure, step, t_ns, len_ns, value) SELECT figure, ?1, "
                 "(t_ns / ?2) * ?2 AS p, ?3, AVG(value) FROM system_names n CROSS JOIN system_figures x "
                 "ON x.figure = n.id AND x.step = ?4 AND x.t_ns >= ?5 AND x.t_ns < ?6 GROUP BY figure, p", a, 6, err, errlen))
        return -1;
    return pmv_db_meta_set_int(db, k, stop) == 0 ? 0 : (snprintf(err, errlen, "retention: %s", sqlite3_errmsg(db)), -1);
}

/* Drops tier t's rows before `before` (whole periods of the next tier,
   rolled already). */
static int drop(sqlite3 *db, const pmv_tier *t, int64_t before, char *err, size_t errlen)
{
    char k[64];
    key(k, sizeof k, "kept_from", step_s(t));
    if (before <= pmv_db_meta_int(db, k, 0)) return 0;
    int64_t a[] = { step_s(t), before };
    if (run_stmt(db, "DELETE FROM samples WHERE series IN (SELECT id FROM series) AND step = ?1 AND t_ns < ?2", a, 2,
                 err, errlen) ||
        run_stmt(db, "DELETE FROM resources WHERE step = ?1 AND t_ns < ?2", a, 2, err, errlen) ||
        run_stmt(db, "DELETE FROM system_figures WHERE figure IN (SELECT id FROM system_names) AND step = ?1 "
                     "AND t_ns < ?2", a, 2, err, errlen))
        return -1;
    return pmv_db_meta_set_int(db, k, before) == 0 ? 0 : (snprintf(err, errlen, "retention: %s", sqlite3_errmsg(db)), -1);
}

int pmv_retention_apply(sqlite3 *db, const pmv_retention *r, uint64_t now_ns, uint64_t settle_ns,
                        char *err, size_t errlen)
{
    if (pmv_db_exec(db, "BEGIN IMMEDIATE", err, errlen)) return -1;
    uint64_t end = now_ns > settle_ns ? now_ns - settle_ns : 0;
    int rc = 0;
    for (int i = 1; i < r->n && rc == 0; i++) rc = roll(db, &r->tier[i - 1], &r->tier[i], end, err, errlen);
    for (int i = 0; i < r->n && rc == 0; i++) {
        const pmv_tier *t = &r->tier[i];
        if (now_ns <= t->keep_ns) continue;
        int64_t before = (int64_t)(now_ns - t->keep_ns);
        if (i + 1 < r->n) {
            /* whole periods of the next tier, and only those rolled up */
            char k[64];
            key(k, sizeof k, "rolled", step_s(&r->tier[i + 1]));
            int64_t step = (int64_t)r->tier[i + 1].step_ns, rolled = pmv_db_meta_int(db, k, 0);
            before = before / step * step;
            if (before > rolled) before = rolled;
        }
        rc = drop(db, t, before, err, errlen);
    }
    if (rc == 0) {
        /* runs whose every row is gone, and their series */
        int64_t a[] = { (int64_t)(now_ns - r->tier[r->n - 1].keep_ns) };
        if (now_ns > r->tier[r->n - 1].keep_ns)
            rc = run_stmt(db, "DELETE FROM samples WHERE series IN (SELECT s.id FROM series s JOIN runs r "
                              "ON r.id = s.run WHERE r.last_ns < ?1)", a, 1, err, errlen) ||
                 run_stmt(db, "DELETE FROM resources WHERE run IN (SELECT id FROM runs WHERE last_ns < ?1)", a, 1,
                          err, errlen) ||
                 run_stmt(db, "DELETE FROM series WHERE run IN (SELECT id FROM runs WHERE last_ns < ?1)", a, 1, err,
                          errlen) ||
                 run_stmt(db, "DELETE FROM runs WHERE last_ns < ?1", a, 1, err, errlen) ||
                 run_stmt(db, "DELETE FROM system_names WHERE NOT EXISTS (SELECT 1 FROM system_figures "
                              "WHERE figure = system_names.id)", NULL, 0, err, errlen);
    }
    if (rc) {
        char e[256];
        pmv_db_exec(db, "ROLLBACK", e, sizeof e);
        return -1;
    }
    return pmv_db_exec(db, "COMMIT", err, errlen);
}

uint64_t pmv_retention_kept_from(sqlite3 *db, int step)
{
    char k[64];
    key(k, sizeof k, "kept_from", step);
    return (uint64_t)pmv_db_meta_int(db, k, 0);
}

uint64_t pmv_retention_floor(sqlite3 *db, const pmv_retention *r)
{
    if (r->n < 2) return 0;
    char k[64];
    key(k, sizeof k, "rolled", step_s(&r->tier[1]));
    return (uint64_t)pmv_db_meta_int(db, k, 0);
}
