/* series_out.h - the one shape of a series in JSON and CSV

   export, watch and what comes after them (record, serve) print a series
   through these, so its fields mean the same everywhere. A contract other
   programs parse: fields may be added, never renamed or removed.

   A series (JSON object / CSV columns, in this order):
     name (base name, no labels), full_name (JSON only), labels (JSON: an
     object {k: v}; CSV: the raw k="v",... text), kind (counter|gauge|
     timer|distribution), unit ("ns", "bytes" or ""),
     value     counters, gauges: the value now (gauges may be negative)
     count, errors, slow, sum, min, max, mean, p50, p90, p95, p99
               timers, distributions: over the figures' period (since the
               start for export, the window for watch); min .. p99 null
               (CSV: empty) when count is 0
     buckets   JSON only, timers and distributions with PMV_OUT_BUCKETS:
               [[lower, upper, count], ...], the non-empty histogram
               buckets of the period in ascending order; a bucket holds the
               values v with lower <= v < upper, so any quantile can be
               computed from them
     resets    JSON only: how many times the program reset the series
               (pm_reset); "since the start" above means since the last
   With PMV_OUT_WINDOW, the window's fields follow:
     window_s  the window's length in seconds
     count     counters: the increase in the window
     rate      count per second
     error_pct errors per 100 calls (timers)
     slow_pct  slow calls per 100 calls (timers)
     total     records since the start or last reset (counters: the value)
     reset     true if the counts restarted or were reset in the window
   Values are in the series' unit (timers: nanoseconds); numbers are
   integers or have at most 3 decimals. */
#ifndef PMV_SERIES_OUT_H
#define PMV_SERIES_OUT_H

#include <stdio.h>

#include "model/window.h"

enum { PMV_OUT_WINDOW = 1, PMV_OUT_BUCKETS = 2 };

/* One series as a JSON object. w holds its figures: pmv_win_total() for
   since-start ones, pmv_win_series() for a window's. */
void pmv_series_json(FILE *f, const pmv_win *w, int flags);

/* The start of that object: {"name": .., "full_name": .., "labels": {..},
   "kind": .., "unit": .. (no closing brace): for outputs that add their
   own figures to the same identity (history, compare). */
void pmv_series_json_ident(FILE *f, const pmv_series *s);

/* The CSV header of a series' columns, and one row's fields (no leading
   or trailing separator, no newline): the caller adds its own columns. */
void pmv_series_csv_header(FILE *f, int flags);
void pmv_series_csv(FILE *f, const pmv_win *w, int flags);

#endif
