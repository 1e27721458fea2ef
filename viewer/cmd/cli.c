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

int pmv_name_matches(const pmv_series *s, const char *pat)
{
    if (strcmp(s->name, pat) == 0 || strcmp(s->base, pat) == 0) return 1;
    if (strchr(pat, '*') || strchr(pat, '?') || strchr(pat, '['))
        return fnmatch(pat, s->name, 0) == 0 || fnmatch(pat, s->base, 0) == 0;
    return 0;
}

int pmv_check_names(uint32_t pid, const pmv_snapshot *snap, const char *const *names, int n)
{
    int any = 0;
    char *hit = calloc((size_t)n + 1, 1);
    if (!hit) abort();
    for (int k = 0; k < n; k++)
        for (ptrdiff_t i = 0; i < arrlen(snap->series) && !hit[k]; i++)
            hit[k] = (char)pmv_name_matches(&snap->series[i], names[k]);
    for (int k = 0; k < n; k++) any |= hit[k];
    if (n && !any) {
        char list[800];
        size_t used = 0;
        list[0] = '\0';
        for (int k = 0; k < n && used < sizeof list; k++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s'", k ? ", " : "", names[k]);
        pmv_error("pid %u: no series matches %s%s", (unsigned)pid, n > 1 ? "any of " : "", list);
    } else {
        for (int k = 0; k < n; k++)
            if (!hit[k]) pmv_error("pid %u: no series matches '%s'", (unsigned)pid, names[k]);
    }
    free(hit);
    return n && !any ? PMV_EXIT_USAGE : PMV_EXIT_OK;
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
