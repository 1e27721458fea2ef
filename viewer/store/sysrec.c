/* sysrec.c - system figures into system_names and system_figures */
#include "store/sysrec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <stb_ds.h>

static int fail(pmv_sysrec *r, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(r->db));
    return -1;
}

int pmv_sysrec_open(pmv_sysrec *r, sqlite3 *db, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->db = db;
    sh_new_strdup(r->ids);
    const char *sql[] = {
        "SELECT id FROM system_names WHERE host = ? AND name = ?",
        "INSERT INTO system_names (host, name, unit) VALUES (?, ?, ?)",
        "INSERT OR REPLACE INTO system_figures (figure, step, t_ns, len_ns, value) VALUES (?, 0, ?, ?, ?)",
    };
    sqlite3_stmt **st[] = { &r->sel_name, &r->ins_name, &r->ins_figure };
    for (int i = 0; i < 3; i++) {
        if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, st[i], NULL) != SQLITE_OK) {
            fail(r, err, errlen, "preparing a statement");
            pmv_sysrec_close(r);
            return -1;
        }
    }
    return 0;
}

void pmv_sysrec_forget(pmv_sysrec *r)
{
    shfree(r->ids);
    sh_new_strdup(r->ids);
}

void pmv_sysrec_close(pmv_sysrec *r)
{
    sqlite3_finalize(r->sel_name);
    sqlite3_finalize(r->ins_name);
    sqlite3_finalize(r->ins_figure);
    shfree(r->ids);
    memset(r, 0, sizeof *r);
}

/* The figure's id: cached, found, or made. -1 on a database error. */
static int64_t name_id(pmv_sysrec *r, const char *host, const pmv_sys_figure *f)
{
    ptrdiff_t i = shgeti(r->ids, f->name);
    if (i >= 0) return r->ids[i].value;
    int64_t id = -1;
    sqlite3_stmt *st = r->sel_name;
    sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (id < 0) {
        st = r->ins_name;
        sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, pmv_sys_unit_str(f->def->unit), -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_DONE) id = sqlite3_last_insert_rowid(r->db);
        sqlite3_reset(st);
    }
    if (id >= 0) shput(r->ids, f->name, id);
    return id;
}

int pmv_sysrec_write(pmv_sysrec *r, const char *host, const pmv_sys_figure *f, int n, uint64_t t_ns,
                     uint64_t len_ns, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        if (isnan(f[i].value)) continue;
        int64_t id = name_id(r, host, &f[i]);
        if (id < 0) return fail(r, err, errlen, "naming a system figure");
        sqlite3_stmt *st = r->ins_figure;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)t_ns);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)len_ns);
        sqlite3_bind_double(st, 4, f[i].value);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) return fail(r, err, errlen, "writing a system figure");
        r->rows++;
    }
    return 0;
}
