/* db.c - opening the history database, its schema and version */
#include "store/db.h"
#include "store/retention.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYSTEM_TABLES \
    "CREATE TABLE IF NOT EXISTS system_names (\n" \
    "  id INTEGER PRIMARY KEY, host TEXT NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL,\n" \
    "  UNIQUE (host, name));\n" \
    "CREATE TABLE IF NOT EXISTS system_figures (\n" \
    "  figure INTEGER NOT NULL, step INTEGER NOT NULL, t_ns INTEGER NOT NULL,\n" \
    "  len_ns INTEGER NOT NULL, value REAL NOT NULL,\n" \
    "  PRIMARY KEY (figure, step, t_ns)) WITHOUT ROWID;\n"

const char pmv_db_schema[] =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    /* one run of a process: pid + the writer's start time (+ host) */
    "CREATE TABLE IF NOT EXISTS runs (\n"
    "  id INTEGER PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,\n"
    "  start_ns INTEGER NOT NULL, process TEXT NOT NULL, cmdline TEXT NOT NULL,\n"
    "  first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL, state TEXT NOT NULL,\n"
    "  UNIQUE (host, pid, start_ns));\n"
    /* a series of a run; cum_* is the recorder's state: the cumulative
       figures at last_ns, so a restarted recorder continues the run */
    "CREATE TABLE IF NOT EXISTS series (\n"
    "  id INTEGER PRIMARY KEY, run INTEGER NOT NULL, name TEXT NOT NULL,\n"
    "  base TEXT NOT NULL, labels TEXT NOT NULL, kind TEXT NOT NULL, unit TEXT NOT NULL,\n"
    "  last_ns INTEGER NOT NULL DEFAULT 0, cum_count INTEGER NOT NULL DEFAULT 0,\n"
    "  cum_sum INTEGER NOT NULL DEFAULT 0, cum_errors INTEGER NOT NULL DEFAULT 0,\n"
    "  cum_slow INTEGER NOT NULL DEFAULT 0, cum_min INTEGER, cum_max INTEGER,\n"
    "  cum_gauge INTEGER, cum_buckets BLOB, cum_resets INTEGER NOT NULL DEFAULT 0,\n"
    "  UNIQUE (run, name));\n"
    /* what happened in one interval: differences of the cumulative figures;
       no index by time (it would double the cost of every insert): every
       reader goes through series, a range of the primary key each */
    "CREATE TABLE IF NOT EXISTS samples (\n"
    "  series INTEGER NOT NULL, step INTEGER NOT NULL, t_ns INTEGER NOT NULL,\n"
    "  len_ns INTEGER NOT NULL, count INTEGER NOT NULL, sum INTEGER NOT NULL,\n"
    "  errors INTEGER NOT NULL, slow INTEGER NOT NULL, min INTEGER, max INTEGER,\n"
    "  gauge INTEGER, buckets BLOB, reset INTEGER NOT NULL DEFAULT 0,\n"
    "  PRIMARY KEY (series, step, t_ns)) WITHOUT ROWID;\n"
    /* the process's resources over the same intervals */
    "CREATE TABLE IF NOT EXISTS resources (\n"
    "  run INTEGER NOT NULL, step INTEGER NOT NULL, t_ns INTEGER NOT NULL,\n"
    "  len_ns INTEGER NOT NULL, cpu_user_s REAL, cpu_sys_s REAL, rss_bytes REAL,\n"
    "  hwm_bytes REAL, threads INTEGER, fds INTEGER, read_bytes REAL, write_bytes REAL,\n"
    "  PRIMARY KEY (run, step, t_ns)) WITHOUT ROWID;\n"
    /* the machine's figures (read/system.h names them), one row per figure
       and interval: a name table keeps the rows small */
    SYSTEM_TABLES;

/* Version 1 had one wide `system` table: its rows move into the figures;
   and no count of the program's resets in a series' state. */
static const char upgrade_v1[] =
    SYSTEM_TABLES
    "INSERT OR IGNORE INTO system_names (host, name, unit) SELECT DISTINCT host, n.name, n.unit FROM system\n"
    "  CROSS JOIN (SELECT 'system.cpu.usage' AS name, '%' AS unit UNION ALL SELECT 'system.load1', ''\n"
    "  UNION ALL SELECT 'system.mem.total', 'bytes' UNION ALL SELECT 'system.mem.available', 'bytes'\n"
    "  UNION ALL SELECT 'system.mem.usage', '%') n;\n"
    "INSERT OR REPLACE INTO system_figures (figure, step, t_ns, len_ns, value)\n"
    "  SELECT n.id, s.step, s.t_ns, s.len_ns, CASE n.name WHEN 'system.cpu.usage' THEN s.cpu_pct\n"
    "    WHEN 'system.load1' THEN s.load1 WHEN 'system.mem.total' THEN s.mem_total_bytes\n"
    "    WHEN 'system.mem.available' THEN s.mem_avail_bytes\n"
    "    ELSE 100.0 * (1 - s.mem_avail_bytes / NULLIF(s.mem_total_bytes, 0)) END AS v\n"
    "  FROM system s JOIN system_names n ON n.host = s.host WHERE v IS NOT NULL;\n"
    "DROP TABLE system;\n"
    "ALTER TABLE series ADD COLUMN cum_resets INTEGER NOT NULL DEFAULT 0;\n"
    "PRAGMA user_version = 2;\n";

const char *pmv_db_default_path(char *buf, size_t len)
{
    const char *env = getenv("PERFMON_DB");
    if (env && *env) { snprintf(buf, len, "%s", env); return buf; }
    if (geteuid() == 0) { snprintf(buf, len, "/var/lib/perfmon/history.db"); return buf; }
    const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (state && *state) snprintf(buf, len, "%s/perfmon/history.db", state);
    else snprintf(buf, len, "%s/.local/state/perfmon/history.db", home && *home ? home : ".");
    return buf;
}

/* mkdir -p of path's directory (0700: the history is the user's). */
static void make_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(dir, 0700);
        *p = '/';
    }
    mkdir(dir, 0700);
}

int pmv_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
}

int64_t pmv_db_meta_int(sqlite3 *db, const char *key, int64_t def)
{
    sqlite3_stmt *st;
    int64_t v = def;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) != SQLITE_OK) return def;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int pmv_db_meta_set_int(sqlite3 *db, const char *key, int64_t v)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO meta (key, value) VALUES (?, ?) "
                               "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int pmv_db_open(const char *path, int create, sqlite3 **db, char *err, size_t errlen)
{
    *db = NULL;
    if (create) make_parent(path);
    int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE;
    if (!create && access(path, F_OK) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "cannot open");
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, 5000);
    pmv_retention_register(*db);
    char e[512];
    int64_t version = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(*db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    } else {
        snprintf(err, errlen, "%s: not a perfmon history database (%s)", path, sqlite3_errmsg(*db));
        goto fail;
    }
    if (version > PMV_DB_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: schema version %lld is newer than this viewer's %d", path,
                 (long long)version, PMV_DB_SCHEMA_VERSION);
        goto fail;
    }
    if (version == 0) {
        if (!create) {
            snprintf(err, errlen, "%s: not a perfmon history database (no schema)", path);
            goto fail;
        }
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d;", PMV_DB_SCHEMA_VERSION);
        if (pmv_db_exec(*db, "PRAGMA journal_mode = WAL;", e, sizeof e) ||
            pmv_db_exec(*db, "BEGIN IMMEDIATE;", e, sizeof e) || pmv_db_exec(*db, pmv_db_schema, e, sizeof e) ||
            pmv_db_exec(*db, sql, e, sizeof e) || pmv_db_exec(*db, "COMMIT;", e, sizeof e)) {
            snprintf(err, errlen, "%s: creating the schema: %s", path, e);
            goto fail;
        }
    }
    if (version == 1 && (pmv_db_exec(*db, "BEGIN IMMEDIATE;", e, sizeof e) ||
                         pmv_db_exec(*db, upgrade_v1, e, sizeof e) || pmv_db_exec(*db, "COMMIT;", e, sizeof e))) {
        snprintf(err, errlen, "%s: upgrading the schema from version 1: %s", path, e);
        goto fail;
    }
    /* NORMAL in WAL mode: a crash of the recorder never corrupts, a power
       cut may lose the last transactions */
    pmv_db_exec(*db, "PRAGMA synchronous = NORMAL;", e, sizeof e);
    return 0;
fail:
    sqlite3_close(*db);
    *db = NULL;
    return -1;
}
