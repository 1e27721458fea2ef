/* sysrec.h - writing the machine's figures into the history

   One row of system_figures per figure and interval, by the names of
   read/system.h; a figure's name gets its system_names id on first use
   (per host). Unknown figures (NAN) write no row. Inside the recorder's
   transaction (recorder.h). */
#ifndef PMV_SYSREC_H
#define PMV_SYSREC_H

#include <stdint.h>

#include "read/system.h"
#include "store/db.h"

typedef struct pmv_sysrec {
    sqlite3 *db;
    sqlite3_stmt *sel_name, *ins_name, *ins_figure;
    struct { char *key; int64_t value; } *ids;   /* stb_ds string map: name -> id */
    uint64_t rows;
} pmv_sysrec;

/* 0, or -1 with one line in err. Does not own db. */
int pmv_sysrec_open(pmv_sysrec *r, sqlite3 *db, char *err, size_t errlen);
void pmv_sysrec_close(pmv_sysrec *r);

/* The figures of [t_ns, t_ns + len_ns) on host. 0, or -1 with err. */
int pmv_sysrec_write(pmv_sysrec *r, const char *host, const pmv_sys_figure *f, int n, uint64_t t_ns,
                     uint64_t len_ns, char *err, size_t errlen);

/* Forget the name ids (after a rolled-back transaction that made some). */
void pmv_sysrec_forget(pmv_sysrec *r);

#endif
