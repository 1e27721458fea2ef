/* when.c - ISO 8601, relative and Unix times */
#include "base/when.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "2h", "90s" ... as seconds; 0 if not one. */
static int parse_ago(const char *s, double *sec)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v >= 0) || v > 1e10) return 0;
    double unit = 0;
    if (*end == 's') unit = 1, end++;
    else if (*end == 'm') unit = 60, end++;
    else if (*end == 'h') unit = 3600, end++;
    else if (*end == 'd') unit = 86400, end++;
    else if (*end == 'w') unit = 7 * 86400, end++;
    if (!unit) return 0;
    if (strcmp(end, " ago") != 0 && *end) return 0;
    *sec = v * unit;
    return 1;
}

/* "Z", "+01:00", "-0530" or "" (local); seconds east of UTC in *off. */
static int parse_zone(const char *z, int *utc, long *off)
{
    *utc = 0;
    *off = 0;
    if (*z == '\0') return 1;
    if (strcmp(z, "Z") == 0 || strcmp(z, "z") == 0) { *utc = 1; return 1; }
    if (*z != '+' && *z != '-') return 0;
    int h, m = 0;
    if (sscanf(z + 1, "%2d:%2d", &h, &m) < 1 && sscanf(z + 1, "%2d%2d", &h, &m) < 1) return 0;
    size_t n = strlen(z + 1);
    if (n != 2 && n != 4 && n != 5) return 0;
    if (h > 23 || m > 59) return 0;
    *utc = 1;
    *off = (z[0] == '+' ? 1 : -1) * (h * 3600L + m * 60L);
    return 1;
}

int pmv_parse_when(const char *s, uint64_t now_ns, uint64_t *out)
{
    if (!s || !*s) return 0;
    if (strcmp(s, "now") == 0) { *out = now_ns; return 1; }
    double sec;
    if (parse_ago(s[0] == '-' ? s + 1 : s, &sec)) {
        uint64_t d = (uint64_t)llround(sec * 1e9);
        *out = d < now_ns ? now_ns - d : 0;
        return 1;
    }
    if (s[0] == '@') {
        /* exact to the nanosecond: a boundary read from the database must
           not move by a double's rounding */
        const char *p = s + 1;
        uint64_t whole = 0, ns = 0;
        int digits = 0, frac = 0;
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
            if (whole > 100000000000ull) return 0;
            whole = whole * 10 + (uint64_t)(*p - '0');
        }
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++)
                if (frac < 9) { ns = ns * 10 + (uint64_t)(*p - '0'); frac++; }
        if (!digits || *p) return 0;
        for (; frac < 9; frac++) ns *= 10;
        *out = whole * 1000000000ull + ns;
        return 1;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = NULL;
    static const char *const dated[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                                         "%Y-%m-%d %H:%M", "%Y-%m-%d" };
    for (size_t i = 0; i < sizeof dated / sizeof dated[0] && !rest; i++) {
        memset(&tm, 0, sizeof tm);
        rest = strptime(s, dated[i], &tm);
    }
    if (!rest) {
        /* a time of day: today */
        time_t now = (time_t)(now_ns / 1000000000ull);
        struct tm today;
        localtime_r(&now, &today);
        static const char *const timed[] = { "%H:%M:%S", "%H:%M" };
        for (size_t i = 0; i < 2 && !rest; i++) {
            tm = today;
            rest = strptime(s, timed[i], &tm);
        }
        if (!rest) return 0;
    }
    double frac = 0;
    if (*rest == '.') {   /* fractions of a second */
        char *end;
        frac = strtod(rest, &end);
        rest = end;
    }
    int utc;
    long off;
    if (!parse_zone(rest, &utc, &off)) return 0;
    time_t t;
    if (utc) {
        t = timegm(&tm) - off;
    } else {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    }
    if (t < 0) return 0;
    *out = (uint64_t)t * 1000000000ull + (uint64_t)llround(frac * 1e9);
    return 1;
}

char *pmv_fmt_when(uint64_t ns, char *buf, size_t len)
{
    time_t t = (time_t)(ns / 1000000000ull);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
