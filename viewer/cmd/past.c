/* past.c - a command's window of the history */
#include "cmd/past.h"

#include <string.h>

#include <stb_ds.h>

#include "base/when.h"
#include "cmd/cli.h"

void pmv_past_init(pmv_past *p)
{
    memset(p, 0, sizeof *p);
    p->since_s = -1;
}

int pmv_past_wanted(const pmv_past *p)
{
    return p->db || p->since_s >= 0 || p->from || p->to || p->pid || p->name || p->run;
}

int pmv_past_read(const pmv_command *cmd, const pmv_past *p, uint64_t step_ns, pmv_history_filter *f,
                  pmv_history *h)
{
    memset(h, 0, sizeof *h);
    if (!p->db) return pmv_command_error(cmd, "--since, --from, --to, --pid, --name and --run need --db FILE");
    if (p->since_s >= 0 && p->from) return pmv_command_error(cmd, "--since and --from both say where to start: one");
    uint64_t now = pmv_realtime_ns();
    memset(f, 0, sizeof *f);
    f->to_ns = now;
    if (p->to && !pmv_parse_when(p->to, now, &f->to_ns))
        return pmv_command_error(cmd, "bad time '%s' for --to (2026-12-04T14:00Z, 14:00, 2h, now)", p->to);
    if (p->from && !pmv_parse_when(p->from, now, &f->from_ns))
        return pmv_command_error(cmd, "bad time '%s' for --from (2026-12-04T14:00Z, 14:00, 2h, now)", p->from);
    if (p->since_s >= 0) {
        uint64_t d = (uint64_t)(p->since_s * 1e9);
        f->from_ns = d < f->to_ns ? f->to_ns - d : 0;
    }
    if (f->from_ns >= f->to_ns) return pmv_command_error(cmd, "the window is empty: --from is not before --to");
    f->step_ns = step_ns;
    if (step_ns) f->from_ns = f->from_ns / step_ns * step_ns;   /* steps on whole multiples: 14:00, 14:01 */
    f->pid = p->pid;
    f->process = p->name;
    f->run = p->run;
    sqlite3 *db;
    char err[1024];
    if (pmv_db_open(p->db, 0, &db, err, sizeof err)) {
        pmv_error("%s: %s", cmd->name, err);
        return PMV_EXIT_USAGE;
    }
    int rc = pmv_history_read(db, f, h, err, sizeof err);
    sqlite3_close(db);
    if (rc) {
        pmv_error("%s: %s", cmd->name, err);
        return PMV_EXIT_USAGE;
    }
    return PMV_EXIT_OK;
}

void pmv_past_snapshot(pmv_history *h, pmv_snapshot *snap)
{
    memset(snap, 0, sizeof *snap);
    snprintf(snap->process, sizeof snap->process, "%s", h->process);
    snap->pid = h->pid;
    snap->start_realtime_ns = h->first_ns;
    snap->end_realtime_ns = h->end_ns;
    snap->state = PM_SHM_STATE_EXITED;
    for (ptrdiff_t i = 0; i < arrlen(h->rows); i++) {
        pmv_series s = h->rows[i].s;
        s.index = (uint32_t)i;
        arrput(snap->series, s);
        memset(&h->rows[i].s, 0, sizeof h->rows[i].s);
    }
}

int pmv_past_or_live(const pmv_command *cmd, const pmv_past *p, uint32_t *pid, pmv_snapshot *snap,
                     pmv_history_filter *f, pmv_history *h)
{
    memset(h, 0, sizeof *h);
    if (pmv_past_wanted(p)) {
        int rc = pmv_past_read(cmd, p, 0, f, h);
        if (rc != PMV_EXIT_OK) return rc;
        pmv_past_snapshot(h, snap);
        *pid = h->pid;
        return PMV_EXIT_OK;
    }
    char err[512];
    if (pmv_snapshot_pid(*pid, snap, err, sizeof err) == PMV_OK) return PMV_EXIT_OK;
    pmv_error("pid %u: %s", (unsigned)*pid, err);
    return PMV_EXIT_USAGE;
}
