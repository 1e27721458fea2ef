/* select.h - what the commands share about series selection: selector
   arguments compiled with a usage error, terms that matched nothing named */
#ifndef PMV_CMD_SELECT_H
#define PMV_CMD_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "model/selector.h"

/* Compiles the command's selector arguments into sel. 0, or (a malformed
   term) "CMD: bad selector 'x': why" as a usage error and PMV_EXIT_USAGE. */
int pmv_cmd_selector(const char *cmd, const char *const *texts, ptrdiff_t n, pmv_selector *sel);

/* "pid N: nothing matched 'x'" on stderr for each of the n terms. */
void pmv_report_unmatched(uint32_t pid, const char *const *unmatched, ptrdiff_t n);

#endif
