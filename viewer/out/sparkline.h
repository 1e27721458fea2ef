/* sparkline.h - a row of Unicode block characters for a short history */
#ifndef PMV_SPARKLINE_H
#define PMV_SPARKLINE_H

#include <stddef.h>

/* Draws the last `width` of the n values (oldest first) into buf as UTF-8
   block characters U+2581..U+2588, one column each, right-aligned: missing
   history is blank. Scaled to [0, max] when every value is >= 0 (rates),
   else to [min, max] (gauges); a NAN value draws a blank. Returns buf;
   needs 3 * width + 1 bytes. */
char *pmv_sparkline(const double *v, int n, int width, char *buf, size_t len);

/* Direction of the last value against the mean of the `lookback` before
   it: +1 up, -1 down, 0 steady (within 10% of that mean's magnitude, or
   too little history). */
int pmv_trend(const double *v, int n, int lookback);

/* "↑", "↓", "→" (one column each), or " " when dir is out of range. */
const char *pmv_trend_glyph(int dir);

#endif
