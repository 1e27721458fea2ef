/* when.h - points in time as users write them, for --from, --to, --since */
#ifndef PMV_WHEN_H
#define PMV_WHEN_H

#include <stddef.h>
#include <stdint.h>

/* Parses a point in time into Unix nanoseconds:
     now
     90s, 15m, 2h, 7d (also -2h, "2h ago"): that long before now_ns
     2026-12-04T14:05:00Z, 2026-12-04T14:05+01:00, 2026-12-04 14:05:00
       (ISO 8601; without a zone: local time), 2026-12-04 (midnight)
     14:05, 14:05:30: today, local time
     @1796348777: Unix seconds (fractions ok)
   Returns 1, or 0 for anything else. */
int pmv_parse_when(const char *s, uint64_t now_ns, uint64_t *out);

/* "2026-12-04T14:05:00Z" (UTC, whole seconds) into buf. */
char *pmv_fmt_when(uint64_t ns, char *buf, size_t len);

#endif
