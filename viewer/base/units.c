/* units.c - human formatting with three significant digits */
#include "base/units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Prints v (already scaled into [0, 1000)) with three significant digits.
   Returns 0 if rounding carried it to 1000, so the caller moves one unit up. */
static int fmt3(double v, const char *suffix, int exact_int, char *buf, size_t len)
{
    if (exact_int && v == floor(v)) {
        snprintf(buf, len, "%.0f%s", v, suffix);
        return 1;
    }
    int decimals = v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2;
    double shown = round(v * pow(10, decimals)) / pow(10, decimals);
    if (shown >= 1000) return 0;
    snprintf(buf, len, "%.*f%s", decimals, shown, suffix);
    return 1;
}

/* Picks the largest unit whose value is >= 1 and prints it, carrying to the
   next unit when three-digit rounding reaches 1000. */
static char *fmt_scaled(double v, const char *const *units, const double *steps, int n,
                        int exact_base, char *buf, size_t len)
{
    if (isnan(v) || v < 0) {
        snprintf(buf, len, "-");
        return buf;
    }
    int u = 0;
    while (u + 1 < n && v >= steps[u + 1]) u++;
    for (; u < n; u++) {
        if (fmt3(v / steps[u], units[u], exact_base && u == 0, buf, len)) return buf;
    }
    snprintf(buf, len, "%.3g%s", v / steps[n - 1], units[n - 1]);
    return buf;
}

char *pmv_fmt_duration(double ns, char *buf, size_t len)
{
    static const char *const units[] = { "ns", "us", "ms", "s", "min", "h" };
    static const double steps[] = { 1, 1e3, 1e6, 1e9, 60e9, 3600e9 };
    /* a second count below 60 stays in seconds: "59.9s" then "1.00min" */
    if (ns >= 1e9 && ns < 60e9) return fmt_scaled(ns, units + 3, steps + 3, 1, 0, buf, len);
    if (ns >= 60e9) return fmt_scaled(ns, units + 4, steps + 4, 2, 0, buf, len);
    return fmt_scaled(ns, units, steps, 4, 1, buf, len);
}

char *pmv_fmt_bytes(double bytes, char *buf, size_t len)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    static const double steps[] = { 1, 1024.0, 1048576.0, 1073741824.0,
                                    1099511627776.0, 1125899906842624.0 };
    /* bytes are always binary (KiB = 1024 B); below 1 KiB the exact count,
       so 1000 B reads "1000B", never a decimal-looking "0.98KiB" */
    if (bytes >= 999.5 && bytes < 1024) {
        snprintf(buf, len, "%.0fB", bytes);
        return buf;
    }
    return fmt_scaled(bytes, units, steps, 6, 1, buf, len);
}

char *pmv_fmt_count(double n, char *buf, size_t len)
{
    static const char *const units[] = { "", "k", "M", "G", "T", "P", "E" };
    static const double steps[] = { 1, 1e3, 1e6, 1e9, 1e12, 1e15, 1e18 };
    if (n < 0 && !isnan(n)) { /* gauges may be negative */
        fmt_scaled(-n, units, steps, 7, 1, buf + 1, len - 1);
        buf[0] = '-';
        return buf;
    }
    return fmt_scaled(n, units, steps, 7, 1, buf, len);
}

char *pmv_fmt_age(uint64_t ns, char *buf, size_t len)
{
    uint64_t s = ns / 1000000000u;
    if (s < 60) snprintf(buf, len, "%llus", (unsigned long long)s);
    else if (s < 3600) snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
    else if (s < 86400) snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600), (unsigned long long)(s % 3600 / 60));
    else snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400), (unsigned long long)(s % 86400 / 3600));
    return buf;
}

char *pmv_fmt_fixed(double v, char *buf, size_t len)
{
    if (v == floor(v) && fabs(v) < 9e15) snprintf(buf, len, "%.0f", v);
    else if (fabs(v) < 1) { snprintf(buf, len, "%.6g", v); return buf; }  /* a short window: 0.000125 */
    else snprintf(buf, len, "%.3f", v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0') *end-- = '\0';
        if (end == dot) *end = '\0';
    }
    if (strcmp(buf, "-0") == 0) snprintf(buf, len, "0");
    return buf;
}
