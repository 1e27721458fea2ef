/* sparkline.c - Unicode block sparklines and trend arrows */
#include "out/sparkline.h"

#include <math.h>
#include <string.h>

static const char *const blocks[8] = {
    "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
    "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
};

char *pmv_sparkline(const double *v, int n, int width, char *buf, size_t len)
{
    size_t o = 0;
    if (len == 0) return buf;
    if (width < 0) width = 0;
    int first = n > width ? n - width : 0;
    double lo = 0, hi = 0;
    int any = 0, neg = 0;
    for (int i = first; i < n; i++) {
        if (isnan(v[i])) continue;
        if (!any || v[i] < lo) lo = v[i];
        if (!any || v[i] > hi) hi = v[i];
        if (v[i] < 0) neg = 1;
        any = 1;
    }
    if (!neg) lo = lo < 0 ? lo : 0;
    /* a constant gauge draws mid-height; a constant zero rate the floor */
    for (int pad = width - (n - first); pad > 0 && o + 2 <= len; pad--) buf[o++] = ' ';
    for (int i = first; i < n; i++) {
        const char *g = " ";
        if (!isnan(v[i])) {
            int level;
            if (hi > lo) level = (int)floor((v[i] - lo) / (hi - lo) * 7.0 + 0.5);
            else level = hi == 0 ? 0 : 3;
            if (level < 0) level = 0;
            if (level > 7) level = 7;
            g = blocks[level];
        }
        size_t gl = strlen(g);
        if (o + gl + 1 > len) break;
        memcpy(buf + o, g, gl);
        o += gl;
    }
    buf[o] = '\0';
    return buf;
}

int pmv_trend(const double *v, int n, int lookback)
{
    if (n < 2 || lookback < 1 || isnan(v[n - 1])) return 0;
    double sum = 0;
    int k = 0;
    for (int i = n - 2; i >= 0 && k < lookback; i--) {
        if (isnan(v[i])) continue;
        sum += v[i];
        k++;
    }
    if (k == 0) return 0;
    double mean = sum / k, last = v[n - 1];
    double tol = 0.10 * fabs(mean);
    if (last > mean + tol && last - mean > 1e-12) return 1;
    if (last < mean - tol && mean - last > 1e-12) return -1;
    return 0;
}

const char *pmv_trend_glyph(int dir)
{
    return dir > 0 ? "\xe2\x86\x91" : dir < 0 ? "\xe2\x86\x93" : dir == 0 ? "\xe2\x86\x92" : " ";
}
