/* diag.h - what the writer says about itself, for people and programs:
   why it stopped, which names it refused, which settings it could not use,
   and how it was set up (fork child, before exec(), copies, pid namespace) */
#ifndef PMV_DIAG_H
#define PMV_DIAG_H

#include <stdio.h>

#include "read/segment.h"

/* "bad name", "unit mismatch", ... for a PM_SHM_DROP_* reason ("?" else). */
const char *pmv_drop_reason_str(uint32_t reason);

/* The same as a JSON key: "bad_name", "unit_mismatch", ... */
const char *pmv_drop_reason_key(uint32_t reason);

/* How and when a writer that is gone ended, as far as the segment says:
   "exit status 3", "killed by SIGSEGV, last seen 3m ago" (a fork child's
   parent saw it), "last seen 3m ago" (its heartbeat); "" for a live one. */
char *pmv_end_detail(const pmv_snapshot *snap, char *buf, size_t len);

/* One line each, after a command's header line: set-up notes, config
   errors, refused names. Every byte from the segment is escaped. */
void pmv_print_diagnostics(const pmv_snapshot *snap, FILE *f);

/* The same as JSON members (each preceded by ", "): "flags" [...],
   "parent_pid", "writers", "segments", "overflow_threads",
   "last_heartbeat_realtime_ns", "exit_status" and "exit_signal" (a fork
   child's end as its parent saw it, else null), "config_errors" [...],
   "dropped_names" [{"name", "name_len", "reason"}]. */
void pmv_json_diagnostics(const pmv_snapshot *snap, FILE *f);

#endif
