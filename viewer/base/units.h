/* units.h - human formatting of durations, byte sizes, counts and ages */
#ifndef PMV_UNITS_H
#define PMV_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Each writes into buf (always NUL-terminated) and returns buf.
   Three significant digits: "850ns", "1.23ms", "12.4s", "3.40KiB", "1.20k".
   A NaN or negative input where none makes sense prints "-". */
char *pmv_fmt_duration(double ns, char *buf, size_t len);
char *pmv_fmt_bytes(double bytes, char *buf, size_t len);
char *pmv_fmt_count(double n, char *buf, size_t len);
/* Coarse wall-clock age for listings: "45s", "3m12s", "2h05m", "3d04h". */
char *pmv_fmt_age(uint64_t ns, char *buf, size_t len);

/* For machine-readable output (JSON, CSV): integers as integers, others
   from 1 up with at most 3 decimals, trailing zeros dropped ("12", "1.5",
   "1234.567"), below 1 with 6 significant digits ("0.000125"); "-0"
   prints "0". The caller handles NAN. */
char *pmv_fmt_fixed(double v, char *buf, size_t len);

#endif
