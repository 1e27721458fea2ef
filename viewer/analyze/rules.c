/* rules.c - tokenizing and parsing gate rules */
#include "analyze/rules.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#define RULES_MAX_BYTES (1u << 20)

static const char *const stat_names[PMV_STAT__COUNT] = {
    "count", "sum", "mean", "min", "max", "p50", "p90", "p95", "p99",
    "errors", "error_rate", "slow", "slow_rate", "value", "rate", "cpu_time", "peak_rss"
};

const char *pmv_stat_name(pmv_stat s)
{
    return (unsigned)s < PMV_STAT__COUNT ? stat_names[s] : "?";
}

const char *pmv_op_str(pmv_op op)
{
    static const char *const ops[] = { "<", "<=", ">", ">=", "==", "!=" };
    return (unsigned)op < 6 ? ops[op] : "?";
}

int pmv_op_holds(pmv_op op, double m, double l)
{
    if (isnan(m) || isnan(l)) return 0;
    switch (op) {
    case PMV_OP_LT: return m < l;
    case PMV_OP_LE: return m <= l;
    case PMV_OP_GT: return m > l;
    case PMV_OP_GE: return m >= l;
    case PMV_OP_EQ: return m == l;
    case PMV_OP_NE: return m != l;
    }
    return 0;
}

int pmv_stat_is_count(pmv_stat s)
{
    return s == PMV_STAT_COUNT || s == PMV_STAT_ERRORS || s == PMV_STAT_SLOW;
}

int pmv_stat_in_series_unit(pmv_stat s)
{
    return s == PMV_STAT_SUM || s == PMV_STAT_MEAN || s == PMV_STAT_MIN || s == PMV_STAT_MAX ||
           s == PMV_STAT_P50 || s == PMV_STAT_P90 || s == PMV_STAT_P95 || s == PMV_STAT_P99 ||
           s == PMV_STAT_VALUE;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) abort();
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

typedef struct ctx {
    int line;
    char *err;
    size_t errlen;
} ctx;

static int syntax(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int syntax(ctx *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "line %d: %s", c->line, msg);
    return -1;
}

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f'; }

/* Length of the SERIES token at s: up to whitespace outside the label set.
   -1 on an unterminated quote or brace. */
static long series_token(const char *s, size_t n)
{
    size_t i = 0;
    int in_braces = 0, in_quote = 0;
    for (; i < n; i++) {
        char ch = s[i];
        if (in_quote) {
            if (ch == '\\') { if (i + 1 < n) i++; continue; }
            if (ch == '"') in_quote = 0;
            continue;
        }
        if (in_braces) {
            if (ch == '"') in_quote = 1;
            else if (ch == '}') in_braces = 0;
            continue;
        }
        if (ch == '{') { in_braces = 1; continue; }
        if (is_space(ch)) break;
    }
    if (in_quote || in_braces) return -1;
    return (long)i;
}

/* A plain decimal number (no sign, hex, inf or nan) at s; its length or 0. */
static size_t number_len(const char *s)
{
    size_t i = 0, digits = 0;
    while (isdigit((unsigned char)s[i])) { i++; digits++; }
    if (s[i] == '.') {
        i++;
        while (isdigit((unsigned char)s[i])) { i++; digits++; }
    }
    if (!digits) return 0;
    if ((s[i] == 'e' || s[i] == 'E') &&
        (isdigit((unsigned char)s[i + 1]) ||
         ((s[i + 1] == '+' || s[i + 1] == '-') && isdigit((unsigned char)s[i + 2])))) {
        i += 2;
        while (isdigit((unsigned char)s[i])) i++;
    }
    return i;
}

typedef struct unit_def {
    const char *name;
    double scale;
    pmv_lunit kind;
} unit_def;

static const unit_def units[] = {
    { "ns", 1, PMV_LU_DURATION }, { "us", 1e3, PMV_LU_DURATION },
    { "\xc2\xb5s", 1e3, PMV_LU_DURATION }, { "ms", 1e6, PMV_LU_DURATION },
    { "s", 1e9, PMV_LU_DURATION }, { "min", 60e9, PMV_LU_DURATION }, { "h", 3600e9, PMV_LU_DURATION },
    { "B", 1, PMV_LU_BYTES }, { "KB", 1e3, PMV_LU_BYTES }, { "kB", 1e3, PMV_LU_BYTES },
    { "MB", 1e6, PMV_LU_BYTES }, { "GB", 1e9, PMV_LU_BYTES }, { "TB", 1e12, PMV_LU_BYTES },
    { "KiB", 1024.0, PMV_LU_BYTES }, { "MiB", 1048576.0, PMV_LU_BYTES },
    { "GiB", 1073741824.0, PMV_LU_BYTES }, { "TiB", 1099511627776.0, PMV_LU_BYTES },
    { "%", 1, PMV_LU_PERCENT },
    { "k", 1e3, PMV_LU_NONE }, { "M", 1e6, PMV_LU_NONE }, { "G", 1e9, PMV_LU_NONE },
    { "/s", 1, PMV_LU_PER_SECOND },
};

/* Parses [-]NUMBER[UNIT] filling the whole of s; the sign only when
   `negative_ok` (an absolute limit: gauges are signed; never a factor of
   the baseline). 0 or -1 (err set). */
static int parse_quantity(ctx *c, const char *s, int negative_ok, double *value, pmv_lunit *kind)
{
    int neg = negative_ok && s[0] == '-';
    size_t n = number_len(s + neg);
    if (!n) return syntax(c, "'%s' is not a number", s);
    n += (size_t)neg;
    errno = 0;
    double v = strtod(s, NULL);
    if (errno == ERANGE || !isfinite(v)) return syntax(c, "number '%.*s' out of range", (int)n, s);
    const char *u = s + n;
    while (is_space(*u)) u++;
    if (!*u) { *value = v; *kind = PMV_LU_NONE; return 0; }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(u, units[i].name) == 0) {
            *value = v * units[i].scale;
            *kind = units[i].kind;
            return 0;
        }
    }
    return syntax(c, "unknown unit '%s' (durations ns us ms s min h; bytes B KB MB GB KiB MiB GiB; "
                     "%% for rates; k M G for counts)", u);
}

static char *trim(char *s)
{
    while (is_space(*s)) s++;
    size_t n = strlen(s);
    while (n && is_space(s[n - 1])) s[--n] = '\0';
    return s;
}

/* The relative forms; 1 if s is one (factor set), 0 if not, -1 on error. */
static int parse_relative(ctx *c, char *s, double *factor)
{
    char *b = strstr(s, "baseline");
    if (!b) return 0;
    char *before = dup_n(s, (size_t)(b - s)), *after = dup_n(b + 8, strlen(b + 8));
    char *pre = trim(before), *post = trim(after);
    int rc = -1;
    double v;
    pmv_lunit k;
    if (!*pre && !*post) {
        *factor = 1;
        rc = 1;
    } else if (*pre && !*post) { /* F * baseline */
        size_t n = strlen(pre);
        if (pre[n - 1] != '*' && pre[n - 1] != 'x') { syntax(c, "expected 'F * baseline'"); goto out; }
        pre[n - 1] = '\0';
        pre = trim(pre);
        if (parse_quantity(c, pre, 0, &v, &k) != 0) goto out;
        if (k != PMV_LU_NONE && k != PMV_LU_PERCENT) { syntax(c, "the factor of 'baseline' takes no unit"); goto out; }
        *factor = k == PMV_LU_PERCENT ? v / 100 : v;
        rc = 1;
    } else if (!*pre && *post) { /* baseline * F, baseline + P%, baseline - P% */
        char op = post[0];
        char *q = trim(post + 1);
        if (op != '*' && op != '+' && op != '-' && op != 'x') { syntax(c, "expected 'baseline * F' or 'baseline + P%%'"); goto out; }
        if (parse_quantity(c, q, 0, &v, &k) != 0) goto out;
        if (op == '*' || op == 'x') {
            if (k != PMV_LU_NONE && k != PMV_LU_PERCENT) { syntax(c, "the factor of 'baseline' takes no unit"); goto out; }
            *factor = k == PMV_LU_PERCENT ? v / 100 : v;
        } else {
            if (k != PMV_LU_PERCENT) { syntax(c, "write 'baseline %c P%%' with a percentage", op); goto out; }
            *factor = op == '+' ? 1 + v / 100 : 1 - v / 100;
        }
        rc = 1;
    } else {
        syntax(c, "expected 'F * baseline', 'baseline * F' or 'baseline + P%%'");
    }
out:
    free(before);
    free(after);
    return rc;
}

static int parse_stat(const char *s)
{
    for (int i = 0; i < PMV_STAT__COUNT; i++)
        if (strcmp(s, stat_names[i]) == 0) return i;
    return -1;
}

/* Checks that an absolute limit's unit suits the statistic. */
static int check_unit(ctx *c, pmv_stat st, pmv_lunit k, const char *limit)
{
    const char *name = stat_names[st];
    int rate_pct = st == PMV_STAT_ERROR_RATE || st == PMV_STAT_SLOW_RATE;
    if (rate_pct) {
        if (k != PMV_LU_PERCENT) return syntax(c, "%s is a percentage: write e.g. '< 1%%', not '%s'", name, limit);
        return 0;
    }
    if (k == PMV_LU_PERCENT) return syntax(c, "'%%' only applies to error_rate and slow_rate (or to a baseline factor)");
    if (pmv_stat_is_count(st) && k != PMV_LU_NONE)
        return syntax(c, "%s counts events: its limit is a plain number, not '%s'", name, limit);
    if (st == PMV_STAT_RATE && k != PMV_LU_NONE && k != PMV_LU_PER_SECOND)
        return syntax(c, "rate is per second: write e.g. '> 100' or '> 100/s', not '%s'", limit);
    if (st != PMV_STAT_RATE && k == PMV_LU_PER_SECOND) return syntax(c, "'/s' only applies to rate");
    if (st == PMV_STAT_CPU_TIME && k != PMV_LU_DURATION)
        return syntax(c, "cpu_time needs a duration unit (ns us ms s), not '%s'", limit);
    if (st == PMV_STAT_PEAK_RSS && k != PMV_LU_BYTES)
        return syntax(c, "peak_rss needs a byte unit (B KB MB GB KiB MiB GiB), not '%s'", limit);
    return 0;
}

/* ---- system figures (read/system.h's table) */

static int is_system_name(const char *base) { return strncmp(base, "system.", 7) == 0; }

/* The selector names a row of the table, with its label key if any. */
static int check_system(ctx *c, pmv_rule *r)
{
    const pmv_sel_term *t = &r->term;
    if (t->glob) return syntax(c, "'%s': system figures are named exactly (no globs)", r->selector);
    if (!pmv_sys_def_find(t->base)) {
        char names[1024] = "";
        for (int i = 0; i < pmv_sys_ndefs; i++)
            if (i == 0 || strcmp(pmv_sys_defs[i].name, pmv_sys_defs[i - 1].name) != 0)
                snprintf(names + strlen(names), sizeof names - strlen(names), " %s", pmv_sys_defs[i].name + 7);
        return syntax(c, "unknown system figure '%s' (known, after 'system.':%s)", t->base, names);
    }
    const pmv_sys_def *d = NULL;
    for (int i = 0; i < pmv_sys_ndefs && !d; i++) {
        const pmv_sys_def *x = &pmv_sys_defs[i];
        if (strcmp(x->name, t->base) != 0) continue;
        if (arrlen(t->labels) == 0 && !x->label) d = x;
        else if (arrlen(t->labels) == 1 && x->label && strcmp(t->labels[0].key, x->label) == 0) d = x;
        else if (arrlen(t->labels) == 0 && x->label) d = x;   /* a bare name: all of them */
    }
    if (!d) {
        const pmv_sys_def *x = NULL;
        for (int i = 0; i < pmv_sys_ndefs; i++)
            if (strcmp(pmv_sys_defs[i].name, t->base) == 0 && pmv_sys_defs[i].label) x = &pmv_sys_defs[i];
        if (x) return syntax(c, "'%s': its one label is %s=\"...\"", r->selector, x->label);
        return syntax(c, "'%s' takes no labels", r->selector);
    }
    r->system = d;
    return 0;
}

/* An absolute limit in the figure's unit; "/s" may follow a byte rate, C
   a temperature and W a power. */
static int system_limit(ctx *c, pmv_rule *r)
{
    pmv_sys_unit u = r->system->unit;
    char *work = dup_n(r->limit_text, strlen(r->limit_text));
    size_t n = strlen(work);
    const char *tail = u == PMV_SU_BYTES_PER_S ? "/s" : u == PMV_SU_CELSIUS ? "C" : u == PMV_SU_WATTS ? "W" : NULL;
    if (tail && n > strlen(tail) && strcmp(work + n - strlen(tail), tail) == 0) work[n - strlen(tail)] = '\0';
    int rc = parse_quantity(c, trim(work), 1, &r->limit, &r->unit);
    free(work);
    if (rc) return -1;
    int ok = u == PMV_SU_PERCENT ? r->unit == PMV_LU_PERCENT
           : u == PMV_SU_BYTES || u == PMV_SU_BYTES_PER_S ? r->unit == PMV_LU_BYTES
           : r->unit == PMV_LU_NONE;
    const char *want = u == PMV_SU_PERCENT ? "a percentage, e.g. '< 90%'"
                     : u == PMV_SU_BYTES ? "bytes, e.g. '> 1GB'"
                     : u == PMV_SU_BYTES_PER_S ? "bytes per second, e.g. '< 100MB/s'"
                     : u == PMV_SU_CELSIUS ? "degrees C, e.g. '< 85' or '< 85C'"
                     : u == PMV_SU_WATTS ? "watts, e.g. '< 300W'" : "a plain number, e.g. '< 4'";
    if (!ok) return syntax(c, "%s is %s, not '%s'", r->term.base, want, r->limit_text);
    if (u == PMV_SU_BYTES_PER_S) r->unit = PMV_LU_BYTES_PER_SECOND;
    size_t tn = strlen(r->selector) + strlen(r->limit_text) + 32;
    r->text = malloc(tn);
    if (!r->text) abort();
    snprintf(r->text, tn, "%s value %s %s", r->selector, pmv_op_str(r->op), r->limit_text);
    return 0;
}

static void rule_free(pmv_rule *r)
{
    free(r->text);
    free(r->selector);
    pmv_sel_term_free(&r->term);
    free(r->limit_text);
}

/* Parses one non-empty, comment-free line into r. */
static int parse_line(ctx *c, const char *s, pmv_rule *r)
{
    memset(r, 0, sizeof *r);
    r->line = c->line;
    size_t n = strlen(s);
    long tl = series_token(s, n);
    if (tl < 0) return syntax(c, "unterminated label set or quoted value in '%s'", s);
    char *token = dup_n(s, (size_t)tl), why[400];
    int bad = pmv_sel_term_parse(token, &r->term, why, sizeof why) != 0;
    free(token);
    if (bad) return syntax(c, "%s", why);
    /* the selector's one spelling (messages, baseline keys) */
    r->selector = dup_n(r->term.text, strlen(r->term.text));

    const char *p = s + tl;
    while (is_space(*p)) p++;
    const char *st = p;
    while (*p && !is_space(*p) && !strchr("<>=!", *p)) p++;
    char *stat = dup_n(st, (size_t)(p - st));
    if (is_system_name(r->term.base) && check_system(c, r) != 0) { free(stat); return -1; }
    if (!*stat && r->system) { free(stat); stat = dup_n("value", 5); }  /* "system.load1 < 4" */
    if (!*stat) { free(stat); return syntax(c, "missing statistic after '%s'", r->selector); }
    int si = parse_stat(stat);
    if (si < 0) {
        syntax(c, "unknown statistic '%s' (count sum mean min max p50 p90 p95 p99 errors error_rate "
                  "slow slow_rate value rate cpu_time peak_rss)", stat);
        free(stat);
        return -1;
    }
    free(stat);
    r->stat = (pmv_stat)si;
    if (r->system && r->stat != PMV_STAT_VALUE)
        return syntax(c, "'%s' is a system figure: its statistic is 'value' (or none), not '%s'", r->selector,
                      pmv_stat_name(r->stat));
    r->process = strcmp(r->selector, "process") == 0 &&
                 (r->stat == PMV_STAT_CPU_TIME || r->stat == PMV_STAT_PEAK_RSS);

    while (is_space(*p)) p++;
    if (p[0] == '<' && p[1] == '=') { r->op = PMV_OP_LE; p += 2; }
    else if (p[0] == '>' && p[1] == '=') { r->op = PMV_OP_GE; p += 2; }
    else if (p[0] == '=' && p[1] == '=') { r->op = PMV_OP_EQ; p += 2; }
    else if (p[0] == '!' && p[1] == '=') { r->op = PMV_OP_NE; p += 2; }
    else if (p[0] == '<') { r->op = PMV_OP_LT; p += 1; }
    else if (p[0] == '>') { r->op = PMV_OP_GT; p += 1; }
    else if (!*p) return syntax(c, "missing operator and limit after '%s %s'", r->selector, pmv_stat_name(r->stat));
    else return syntax(c, "expected an operator (< <= > >= == !=) before '%s'", p);

    char *lim = dup_n(p, strlen(p));
    char *l = trim(lim);
    r->limit_text = dup_n(l, strlen(l));
    free(lim);
    if (!r->limit_text[0]) return syntax(c, "missing limit after '%s'", pmv_op_str(r->op));

    char *work = dup_n(r->limit_text, strlen(r->limit_text));
    int rel = parse_relative(c, work, &r->factor);
    free(work);
    if (rel < 0) return -1;
    if (rel && r->system) return syntax(c, "system figures take absolute limits, not '%s'", r->limit_text);
    if (r->system) return system_limit(c, r);
    if (rel) {
        r->relative = 1;
        if (!(r->factor >= 0) || !isfinite(r->factor)) return syntax(c, "baseline factor must be >= 0");
    } else {
        if (parse_quantity(c, r->limit_text, 1, &r->limit, &r->unit) != 0) return -1;
        if (check_unit(c, r->stat, r->unit, r->limit_text) != 0) return -1;
    }
    size_t tn = strlen(r->selector) + strlen(r->limit_text) + 32;
    r->text = malloc(tn);
    if (!r->text) abort();
    snprintf(r->text, tn, "%s %s %s %s", r->selector, pmv_stat_name(r->stat), pmv_op_str(r->op), r->limit_text);
    return 0;
}

int pmv_rules_parse(const char *text, size_t len, pmv_rule **rules, char *err, size_t errlen)
{
    pmv_rule *out = NULL;
    ctx c = { 0, err, errlen };
    size_t i = 0;
    *rules = NULL;
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int ln = 1;
        for (const char *q = text; q < nul; q++) ln += *q == '\n';
        snprintf(err, errlen, "line %d: NUL byte in the rules file", ln);
        return -1;
    }
    while (i < len) {
        size_t e = i;
        while (e < len && text[e] != '\n') e++;
        c.line++;
        char *line = dup_n(text + i, e - i);
        i = e + 1;
        /* cut the comment: '#' outside a quoted label value */
        int in_quote = 0, in_braces = 0;
        for (char *q = line; *q; q++) {
            if (in_quote) {
                if (*q == '\\' && q[1]) { q++; continue; }
                if (*q == '"') in_quote = 0;
            } else if (in_braces) {
                if (*q == '"') in_quote = 1;
                else if (*q == '}') in_braces = 0;
            } else if (*q == '{') {
                in_braces = 1;
            } else if (*q == '#') {
                *q = '\0';
                break;
            }
        }
        char *t = trim(line);
        if (!*t) { free(line); continue; }
        for (char *q = t; *q; q++) {
            unsigned char ch = (unsigned char)*q;
            if (ch < 0x20 && ch != '\t') {
                free(line);
                syntax(&c, "control character 0x%02x", ch);
                pmv_rules_free(out);
                return -1;
            }
        }
        pmv_rule r;
        int rc = parse_line(&c, t, &r);
        free(line);
        if (rc != 0) {
            rule_free(&r);
            pmv_rules_free(out);
            return -1;
        }
        arrput(out, r);
    }
    if (!out) {
        snprintf(err, errlen, "no rules (every line is blank or a comment)");
        return -1;
    }
    *rules = out;
    return 0;
}

int pmv_rules_load(const char *path, pmv_rule **rules, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    *rules = NULL;
    if (!f) { snprintf(err, errlen, "%s: %s", path, strerror(errno)); return -1; }
    char *buf = malloc(RULES_MAX_BYTES + 1);
    if (!buf) abort();
    size_t n = fread(buf, 1, RULES_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) { snprintf(err, errlen, "%s: read error", path); free(buf); return -1; }
    if (n > RULES_MAX_BYTES) { snprintf(err, errlen, "%s: larger than 1 MiB", path); free(buf); return -1; }
    char inner[400];
    int rc = pmv_rules_parse(buf, n, rules, inner, sizeof inner);
    if (rc != 0) snprintf(err, errlen, "%s: %s", path, inner);
    free(buf);
    return rc;
}

void pmv_rules_free(pmv_rule *rules)
{
    for (ptrdiff_t i = 0; i < arrlen(rules); i++) rule_free(&rules[i]);
    arrfree(rules);
}
