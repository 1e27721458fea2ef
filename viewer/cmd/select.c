/* select.c - selector arguments of the commands (cmd/select.h) */
#include "cmd/select.h"

#include "cmd/cli.h"

int pmv_cmd_selector(const char *cmd, const char *const *texts, ptrdiff_t n, pmv_selector *sel)
{
    char err[320];
    if (pmv_selector_compile(sel, texts, n, err, sizeof err) == 0) return 0;
    return pmv_usage_error("%s: %s (README.md, \"Selecting series\")", cmd, err);
}

void pmv_report_unmatched(uint32_t pid, const char *const *unmatched, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i++) {
        char shown[256];
        pmv_error("pid %u: nothing matched '%s'", (unsigned)pid, pmv_printable(unmatched[i], shown, sizeof shown));
    }
}
