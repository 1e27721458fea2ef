/* cli.c - shared command-line helpers */
#include "cmd/cli.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_ds.h>

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
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pmv_error("%s; try 'perfmon-view --help'", msg);
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

