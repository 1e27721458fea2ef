/* gate_system.h - what a gate rule on a system figure measures

   The figures are those between a sample of the machine taken when the
   run starts and one when it ends (read/system.h): usage and rates are
   the average over the run (CPU usage from the jiffies spent), levels
   (memory, swap, mounts, load, GPUs) their value at the end. A rule
   naming one figure measures it; a bare name with a label (system.disk.usage)
   selects all of its figures: rates, bytes and watts add up, the rest
   take the largest. A figure this machine does not have (no GPU, no such
   mount) or cannot tell fails as "not available on this machine". */
#ifndef PMV_GATE_SYSTEM_H
#define PMV_GATE_SYSTEM_H

#include "analyze/gate_eval.h"
#include "analyze/rules.h"
#include "read/system.h"

/* Measures rule r (r->system set). Returns m->ok. Thread safety: reentrant. */
int pmv_gate_measure_system(const pmv_rule *r, const pmv_sys_figure *f, int n, pmv_measure *m);

#endif
