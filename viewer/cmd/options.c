/* options.c - the table-driven parser, usage line and options help */
#include "cmd/options.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "cmd/cli.h"

#define HELP_WIDTH 79       /* usage lines wrap before this column */
#define HELP_COLUMN_MAX 26  /* option help starts at most here */

int pmv_command_error(const pmv_command *cmd, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pmv_error("%s: %s; try 'perfmon-view %s --help'", cmd->name, msg, cmd->name);
    return PMV_EXIT_USAGE;
}

int pmv_command_pid(const pmv_command *cmd, const char *arg, uint32_t *pid)
{
    if (pmv_parse_pid(arg, pid)) return PMV_EXIT_OK;
    return pmv_command_error(cmd, "bad PID '%s' (expected a positive decimal number)", arg);
}

void pmv_args_free(pmv_args *a)
{
    arrfree(a->pos);
    a->pos = NULL;
    a->n = 0;
}

static int takes_value(const pmv_option *o)
{
    return o->type != PMV_OPT_FLAG && o->type != PMV_OPT_SPLIT;
}

/* "json|csv" */
static void choices_text(const pmv_option *o, const char *sep, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; o->choices[i] && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? sep : "", o->choices[i]);
}

/* The value's name in help and messages. */
static const char *arg_name(const pmv_option *o, char *buf, size_t len)
{
    if (o->type == PMV_OPT_CHOICE && !o->arg) {
        choices_text(o, "|", buf, len);
        return buf;
    }
    return o->arg ? o->arg : "VALUE";
}

/* What a good value looks like, for a bad value's message. */
static void describe_value(const pmv_option *o, char *buf, size_t len)
{
    char lo = o->bounds & PMV_OPT_ABOVE_MIN ? '(' : '[', hi = o->bounds & PMV_OPT_BELOW_MAX ? ')' : ']';
    switch (o->type) {
    case PMV_OPT_INT:
        if (o->max >= 1e18) snprintf(buf, len, "a whole number, at least %g", o->min);
        else snprintf(buf, len, "a whole number from %g to %g", o->min, o->max);
        break;
    case PMV_OPT_DOUBLE:
        snprintf(buf, len, "a number in %c%g, %g%c", lo, o->min, o->max, hi);
        break;
    case PMV_OPT_DURATION: {
        char range[80] = "";
        if (o->max < 1e9) snprintf(range, sizeof range, " from %g s to %g s", o->min, o->max);
        else if (o->min > 0) snprintf(range, sizeof range, " of at least %g s", o->min);
        snprintf(buf, len, "a duration%s: %s", range, o->example ? o->example : "0.5, 2s, 15m, 2h, 1d");
        break;
    }
    case PMV_OPT_CHOICE: {
        char c[200];
        choices_text(o, ", ", c, sizeof c);
        snprintf(buf, len, "one of %s", c);
        break;
    }
    case PMV_OPT_PID: snprintf(buf, len, "a positive decimal number"); break;
    default: snprintf(buf, len, "%s", o->arg ? o->arg : "a value"); break;
    }
}

static int in_range(const pmv_option *o, double v)
{
    if (!(v >= o->min && v <= o->max)) return 0;  /* NaN fails too */
    if ((o->bounds & PMV_OPT_ABOVE_MIN) && v == o->min) return 0;
    if ((o->bounds & PMV_OPT_BELOW_MAX) && v == o->max) return 0;
    return 1;
}

/* Converts and stores one value; 0, or -1 when it is not a good one. */
static int store(const pmv_option *o, const char *v)
{
    char *end;
    switch (o->type) {
    case PMV_OPT_STRING:
        if (o->repeat) arrput(*(const char ***)o->value, v);
        else *(const char **)o->value = v;
        return 0;
    case PMV_OPT_INT: {
        errno = 0;
        long n = strtol(v, &end, 10);
        if (end == v || *end || errno == ERANGE || !in_range(o, (double)n)) return -1;
        *(long *)o->value = n;
        return 0;
    }
    case PMV_OPT_DOUBLE: {
        double d = strtod(v, &end);
        if (end == v || *end || !isfinite(d) || !in_range(o, d)) return -1;
        *(double *)o->value = d;
        return 0;
    }
    case PMV_OPT_DURATION: {
        double d;
        if (!pmv_parse_duration(v, &d) || !in_range(o, d)) return -1;
        *(double *)o->value = d;
        return 0;
    }
    case PMV_OPT_CHOICE:
        for (int i = 0; o->choices[i]; i++)
            if (strcmp(v, o->choices[i]) == 0) {
                *(int *)o->value = i;
                return 0;
            }
        return -1;
    case PMV_OPT_PID: {
        uint32_t pid;
        if (!pmv_parse_pid(v, &pid)) return -1;
        if (o->repeat) arrput(*(uint32_t **)o->value, pid);
        else *(uint32_t *)o->value = pid;
        return 0;
    }
    default:
        return -1;
    }
}

/* The parser's half-built results go when it fails. */
static void free_partial(const pmv_command *cmd, pmv_args *a)
{
    for (const pmv_option *o = cmd->options; o->long_name; o++) {
        if (!o->repeat) continue;
        if (o->type == PMV_OPT_PID) arrfree(*(uint32_t **)o->value);
        else if (o->type == PMV_OPT_STRING) arrfree(*(const char ***)o->value);
    }
    pmv_args_free(a);
}

static const pmv_option *find_long(const pmv_command *cmd, const char *name, size_t len)
{
    for (const pmv_option *o = cmd->options; o->long_name; o++)
        if (strlen(o->long_name) == len && strncmp(o->long_name, name, len) == 0) return o;
    return NULL;
}

static const pmv_option *find_short(const pmv_command *cmd, char c)
{
    for (const pmv_option *o = cmd->options; o->long_name; o++)
        if (o->short_name && o->short_name == c) return o;
    return NULL;
}

/* A usage error: one line, and the command exits 2. Returns 0. */
static int fail(const pmv_command *cmd, pmv_args *a, int *status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(const pmv_command *cmd, pmv_args *a, int *status, const char *fmt, ...)
{
    *status = PMV_EXIT_USAGE;
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    free_partial(cmd, a);
    pmv_command_error(cmd, "%s", msg);
    return 0;
}

int pmv_parse_options(const pmv_command *cmd, int argc, char **argv, pmv_args *a, int *status)
{
    *status = PMV_EXIT_OK;   /* what the command goes on with */
    memset(a, 0, sizeof *a);
    a->dashdash = -1;
    for (int i = 1; i < argc; i++) {
        char *s = argv[i];
        int is_arg = a->dashdash >= 0 || s[0] != '-' || s[1] == '\0' ||
                     (cmd->pid_first && a->n == 0 && s[1] >= '0' && s[1] <= '9');
        if (is_arg) {
            arrput(a->pos, s);
            a->n++;
            continue;
        }
        if (strcmp(s, "--") == 0) { a->dashdash = a->n; continue; }
        if (pmv_is_help(s)) {
            free_partial(cmd, a);
            pmv_print_help(cmd, stdout);
            *status = PMV_EXIT_OK;
            return 0;
        }
        const pmv_option *o;
        const char *inline_v = NULL;
        char spelled[128];      /* the option as given, for messages */
        if (s[1] == '-') {
            const char *eq = strchr(s + 2, '=');
            size_t len = eq ? (size_t)(eq - (s + 2)) : strlen(s + 2);
            o = find_long(cmd, s + 2, len);
            snprintf(spelled, sizeof spelled, "--%.*s", (int)len, s + 2);
            if (eq) inline_v = eq + 1;
            if (o && inline_v && !takes_value(o)) return fail(cmd, a, status, "%s takes no value", spelled);
        } else {
            o = find_short(cmd, s[1]);
            snprintf(spelled, sizeof spelled, "-%c", s[1]);
            if (s[2]) {
                if (o && !takes_value(o)) o = NULL; /* no bundled flags: "-nx" is unknown */
                inline_v = s + 2;
            }
        }
        if (!o) return fail(cmd, a, status, "unknown option '%s'", inline_v && s[1] == '-' ? spelled : s);
        if (o->type == PMV_OPT_FLAG) { *(int *)o->value = 1; continue; }
        if (o->type == PMV_OPT_SPLIT) { *(int *)o->value = a->n; continue; }
        const char *v = inline_v ? inline_v : i + 1 < argc ? argv[++i] : NULL;
        char what[256], an[128];
        if (!v) return fail(cmd, a, status, "%s needs a value (%s)", spelled, arg_name(o, an, sizeof an));
        if (!*v) return fail(cmd, a, status, "%s needs a non-empty value", spelled);
        if (store(o, v) != 0) {
            describe_value(o, what, sizeof what);
            return fail(cmd, a, status, "%s: bad value '%s' (%s)", spelled, v, what);
        }
    }
    arrput(a->pos, NULL);
    return 1;
}

/* ---- help */

/* One option's left column: "-i, --interval S". */
static void left_column(const pmv_option *o, char *buf, size_t len)
{
    char an[128];
    size_t used = 0;
    if (o->short_name) used = (size_t)snprintf(buf, len, "-%c, ", o->short_name);
    used += (size_t)snprintf(buf + used, len - used, "--%s", o->long_name);
    if ((takes_value(o) || o->type == PMV_OPT_SPLIT) && used < len)
        snprintf(buf + used, len - used, " %s", o->type == PMV_OPT_SPLIT ? o->arg : arg_name(o, an, sizeof an));
}

static void print_options(const pmv_command *cmd, FILE *f)
{
    static const pmv_option help_opt = { PMV_OPT('h', "help", PMV_OPT_FLAG, NULL, NULL, "this help") };
    char left[160];
    int col = 0;
    for (const pmv_option *o = cmd->options; ; o++) {
        const pmv_option *p = o->long_name ? o : &help_opt;
        left_column(p, left, sizeof left);
        int w = (int)strlen(left) + 2 + 2;  /* indent, gap */
        if (w > col && w <= HELP_COLUMN_MAX) col = w;
        if (!o->long_name) break;
    }
    fputs("options:\n", f);
    for (const pmv_option *o = cmd->options; ; o++) {
        const pmv_option *p = o->long_name ? o : &help_opt;
        left_column(p, left, sizeof left);
        int w = fprintf(f, "  %s", left);
        if (w + 1 > col) { fputc('\n', f); w = 0; }
        for (const char *h = p->help; *h;) {
            const char *nl = strchr(h, '\n');
            size_t n = nl ? (size_t)(nl - h) : strlen(h);
            fprintf(f, "%*s%.*s\n", col - w, "", (int)n, h);
            w = 0;
            h += n + (nl ? 1 : 0);
        }
        if (!o->long_name) break;
    }
}

/* "[--interval S]", "[--pid PID]...", "[--once]" */
static void usage_token(const pmv_option *o, char *buf, size_t len)
{
    char an[128];
    if (o->type == PMV_OPT_FLAG) snprintf(buf, len, "[--%s]", o->long_name);
    else if (o->type == PMV_OPT_SPLIT) snprintf(buf, len, "[--%s %s]", o->long_name, o->arg);
    else snprintf(buf, len, "[--%s %s]%s", o->long_name, arg_name(o, an, sizeof an), o->repeat ? "..." : "");
}

/* Prints words wrapped before HELP_WIDTH, continuation lines at indent. */
static void put_word(FILE *f, const char *w, size_t n, int *col, int indent)
{
    if (*col >= indent && *col + 1 + (int)n > HELP_WIDTH) {
        fprintf(f, "\n%*s", indent, "");
        *col = indent;
    } else {
        fputc(' ', f);
        (*col)++;
    }
    fprintf(f, "%.*s", (int)n, w);
    *col += (int)n;
}

static void print_usage(const pmv_command *cmd, FILE *f)
{
    int indent = fprintf(f, "usage: perfmon-view %s", cmd->name) + 1;
    int col = indent - 1;  /* put_word adds the blank before each word */
    /* words before [OPTIONS] wrap one by one; what follows it ("-- CMD
       [ARGS...]") stays together */
    const char *args = cmd->args ? cmd->args : "";
    const char *mark = strstr(args, "[OPTIONS]");
    const char *end = mark ? mark : args + strlen(args);
    for (const char *p = args; p < end;) {
        while (p < end && *p == ' ') p++;
        size_t n = strcspn(p, " ");
        if (p + n > end) n = (size_t)(end - p);
        if (n) put_word(f, p, n, &col, indent);
        p += n;
    }
    char tok[200];
    for (const pmv_option *o = cmd->options; o->long_name; o++) {
        usage_token(o, tok, sizeof tok);
        put_word(f, tok, strlen(tok), &col, indent);
    }
    if (mark) {
        const char *rest = mark + strlen("[OPTIONS]");
        while (*rest == ' ') rest++;
        if (*rest) put_word(f, rest, strlen(rest), &col, indent);
    }
    fputc('\n', f);
    if (cmd->also) fputs(cmd->also, f);
}

void pmv_print_help(const pmv_command *cmd, FILE *f)
{
    print_usage(cmd, f);
    if (cmd->about && *cmd->about) fprintf(f, "\n%s", cmd->about);
    fputc('\n', f);
    print_options(cmd, f);
    if (cmd->after && *cmd->after) fprintf(f, "\n%s", cmd->after);
}
