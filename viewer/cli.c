/* cli.c - shared command-line helpers */
#include "cli.h"

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

char *pmv_printable(const char *s, char *buf, size_t len)
{
    size_t i = 0;
    if (len == 0) return buf;
    for (; s[i] && i + 1 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    buf[i] = '\0';
    return buf;
}
