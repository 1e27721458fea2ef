/* db.h - the history database: one SQLite file, a documented schema

   Opening creates the schema (or checks its version), sets WAL mode (a
   reader never blocks the recorder, a SIGKILL loses at most the
   transaction in flight) and a busy timeout (a reader holding a lock is a
   wait, then a clear error, never a crash). The schema text below is the
   reference; README "History" explains it. */
#ifndef PMV_DB_H
#define PMV_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* 2: the machine's figures by name (system_names, system_figures) replace
   version 1's `system` table; opening a version 1 database upgrades it. */
#define PMV_DB_SCHEMA_VERSION 2

extern const char pmv_db_schema[];

/* The database path: $PERFMON_DB, else $XDG_STATE_HOME/perfmon/history.db,
   else ~/.local/state/perfmon/history.db (root: /var/lib/perfmon/history.db). */
const char *pmv_db_default_path(char *buf, size_t len);

/* Opens (creating it and its directory when create is set) and checks the
   schema. 0, or -1 with one line in err. */
int pmv_db_open(const char *path, int create, sqlite3 **db, char *err, size_t errlen);

/* Runs sql (no results wanted); 0 or -1 with err. */
int pmv_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);

/* meta table values as integers (missing: def). */
int64_t pmv_db_meta_int(sqlite3 *db, const char *key, int64_t def);
int pmv_db_meta_set_int(sqlite3 *db, const char *key, int64_t v);

#endif
