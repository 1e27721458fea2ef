/* cli.c - shared command-line helpers */
#include "cli.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void error_line(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void error_line(const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    /* one line, whatever the message holds */
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    fprintf(stderr, "perfmon-view: %s\n", line);
}

void pmv_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_line(fmt, ap);
    va_end(ap);
}

int pmv_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_line(fmt, ap);
    va_end(ap);
    fprintf(stderr, "try 'perfmon-view --help'\n");
    return PMV_EXIT_USAGE;
}

int pmv_parse_pid(const char *s, uint32_t *pid)
{
    uint64_t v = 0;
    if (!s || !*s) return 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > INT32_MAX) return 0;
    }
    if (v == 0) return 0;
    *pid = (uint32_t)v;
    return 1;
}

int pmv_parse_duration(const char *s, double *seconds)
{
    static const struct { const char *unit; double s; } units[] = {
        { "", 1 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 },
    };
    char *end;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') return 0;
    double v = strtod(s, &end);
    if (end == s || !(v >= 0) || v > 1e9) return 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0) {
            *seconds = v * units[i].s;
            return 1;
        }
    return 0;
}

int pmv_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int pmv_use_bold(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if (nc && *nc) return 0;
    if (term && strcmp(term, "dumb") == 0) return 0;
    return isatty(fileno(f));
}

int pmv_series_unit(const pmv_series *s)
{
    return s->kind == PM_SHM_KIND_TIMER ? PM_SHM_UNIT_NANOSECONDS : s->unit;
}

/* 1 for what a terminal would take as a command: C0 controls, DEL, and
   the C1 controls U+0080..U+009F (CSI among them) as UTF-8 encodes them. */
static int terminal_control(const unsigned char *p, int n)
{
    if (n == 1) return p[0] < 0x20 || p[0] == 0x7f;
    return n == 2 && p[0] == 0xC2 && p[1] < 0xA0;
}

char *pmv_printable(const char *s, char *buf, size_t len)
{
    size_t o = 0;
    if (len == 0) return buf;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = pmv_utf8_len(p);
        if (n == 0 || terminal_control(p, n)) {
            if (o + 1 >= len) break;
            buf[o++] = '?';
            p += n ? n : 1;
            continue;
        }
        if (o + (size_t)n >= len) break;
        memcpy(buf + o, p, (size_t)n);
        o += (size_t)n;
        p += n;
    }
    buf[o] = '\0';
    return buf;
}

char *pmv_escape(const char *s, char *buf, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (len == 0) return buf;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = *p >= 0x20 && *p < 0x7f && *p != '\\';
        if (o + (plain ? 1u : 4u) >= len) break;
        if (plain) { buf[o++] = (char)*p; continue; }
        buf[o++] = '\\';
        buf[o++] = 'x';
        buf[o++] = hex[*p >> 4];
        buf[o++] = hex[*p & 15];
    }
    buf[o] = '\0';
    return buf;
}
