/* gate_report.c - table, JUnit XML, GitHub annotations and JSON of a gate */
#include "analyze/gate_report.h"

#include <math.h>
#include <string.h>

#include <stb_ds.h>

#include "out/atomic_file.h"
#include "out/json_write.h"
#include "out/table.h"
#include "base/units.h"
#include "base/utf8.h"

char *pmv_gate_fmt(double v, pmv_lunit u, char *buf, size_t len)
{
    if (isnan(v)) { snprintf(buf, len, "-"); return buf; }
    char m[48];
    int neg = v < 0;
    double a = fabs(v);
    switch (u) {
    case PMV_LU_DURATION: pmv_fmt_duration(a, m, sizeof m); break;
    case PMV_LU_BYTES: pmv_fmt_bytes(a, m, sizeof m); break;
    case PMV_LU_PERCENT: snprintf(m, sizeof m, "%.3g%%", a); break;
    case PMV_LU_PER_SECOND: pmv_fmt_count(a, m, sizeof m); strcat(m, "/s"); break;
    case PMV_LU_BYTES_PER_SECOND: pmv_fmt_bytes(a, m, sizeof m - 2); strcat(m, "/s"); break;
    default:
        if (a == floor(a) && a < 1e15) snprintf(m, sizeof m, "%.0f", a);
        else snprintf(m, sizeof m, "%.4g", a);
    }
    snprintf(buf, len, "%s%s", neg ? "-" : "", m);
    return buf;
}

static const char *verdict_str(int v)
{
    return v == PMV_VERDICT_PASS ? "PASS" : v == PMV_VERDICT_FAIL ? "FAIL" : "SKIP";
}

/* "1.10 x 144us = 158us" or "< 2ms" */
static void limit_text(const pmv_gate_result *r, char *buf, size_t len)
{
    char a[48];
    if (r->rule->relative && !isnan(r->limit))
        snprintf(buf, len, "%s %s", pmv_op_str(r->rule->op), pmv_gate_fmt(r->limit, r->unit, a, sizeof a));
    else if (r->rule->relative)
        snprintf(buf, len, "%s %s", pmv_op_str(r->rule->op), r->rule->limit_text);
    else
        snprintf(buf, len, "%s %s", pmv_op_str(r->rule->op), r->rule->limit_text);
}

void pmv_gate_print_table(FILE *f, const pmv_gate_result *r, int n, const pmv_gate_summary *s, int bold)
{
    static const char *heads[] = { "LINE", "RULE", "MEASURED", "LIMIT", "VERDICT", "DETAIL" };
    pmv_table t;
    pmv_table_init(&t, 6, heads, "rlrrll");
    for (int i = 0; i < n; i++) {
        char line[16], meas[48], lim[96];
        snprintf(line, sizeof line, "%d", r[i].rule->line);
        pmv_gate_fmt(r[i].measured, r[i].unit, meas, sizeof meas);
        limit_text(&r[i], lim, sizeof lim);
        const char *row[6] = { line, r[i].rule->text, meas, lim, verdict_str(r[i].verdict), r[i].message };
        pmv_table_add(&t, row);
    }
    pmv_table_print(&t, f, bold);
    pmv_table_free(&t);
    fprintf(f, "gate: %d passed, %d failed", s->passed, s->failed);
    if (s->skipped) fprintf(f, ", %d skipped", s->skipped);
    fprintf(f, " (%d rule%s, %d run%s", n, n == 1 ? "" : "s", s->runs, s->runs == 1 ? "" : "s");
    if (s->baseline_path) fprintf(f, ", baseline %s", s->baseline_path);
    fprintf(f, ")\n");
}

/* ---- shared writing helpers */

/* XML text or attribute value: & < > " ' escaped, characters XML 1.0
   forbids (controls but tab/LF/CR) as '?', invalid UTF-8 as U+FFFD. */
static void xml_str(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        switch (*s) {
        case '&': fputs("&amp;", f); s++; continue;
        case '<': fputs("&lt;", f); s++; continue;
        case '>': fputs("&gt;", f); s++; continue;
        case '"': fputs("&quot;", f); s++; continue;
        case '\'': fputs("&apos;", f); s++; continue;
        case '\t': fputs("&#9;", f); s++; continue;
        case '\n': fputs("&#10;", f); s++; continue;
        case '\r': fputs("&#13;", f); s++; continue;
        default: break;
        }
        if (*s < 0x20 || *s == 0x7f) { fputc('?', f); s++; continue; }
        int n = pmv_utf8_len(s);
        if (n == 0) { fputs("\xef\xbf\xbd", f); s++; continue; }
        fwrite(s, 1, (size_t)n, f);
        s += n;
    }
}

/* "measured 1.23ms, limit < 2ms" plus the reason */
static void summary_line(const pmv_gate_result *r, char *buf, size_t len)
{
    char m[48], l[96];
    pmv_gate_fmt(r->measured, r->unit, m, sizeof m);
    limit_text(r, l, sizeof l);
    snprintf(buf, len, "%s: measured %s, limit %s. %s", verdict_str(r->verdict), m, l, r->message);
}

/* ---- JUnit */

int pmv_gate_write_junit(const char *path, const pmv_gate_result *r, int n, const pmv_gate_summary *s,
                         char *err, size_t errlen)
{
    pmv_atomic_file af;
    FILE *f = pmv_atomic_open(&af, path, err, errlen);
    if (!f) return -1;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites name=\"perfmon gate\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
            n, s->failed, s->skipped, s->elapsed_s);
    fprintf(f, "  <testsuite name=\"");
    xml_str(f, s->rules_path);
    fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
            n, s->failed, s->skipped, s->elapsed_s);
    fprintf(f, "    <properties>\n      <property name=\"command\" value=\"");
    xml_str(f, s->command);
    fprintf(f, "\"/>\n      <property name=\"runs\" value=\"%d\"/>\n", s->runs);
    fprintf(f, "      <property name=\"alpha\" value=\"%g\"/>\n", s->alpha);
    if (s->baseline_path) {
        fprintf(f, "      <property name=\"baseline\" value=\"");
        xml_str(f, s->baseline_path);
        fprintf(f, "\"/>\n");
    }
    fprintf(f, "    </properties>\n");
    for (int i = 0; i < n; i++) {
        char name[64], line[1200];
        snprintf(name, sizeof name, "line %d: ", r[i].rule->line);
        fprintf(f, "    <testcase classname=\"perfmon.gate\" name=\"");
        xml_str(f, name);
        xml_str(f, r[i].rule->text);
        fprintf(f, "\" file=\"");
        xml_str(f, s->rules_path);
        fprintf(f, "\" line=\"%d\" time=\"0\"", r[i].rule->line);
        summary_line(&r[i], line, sizeof line);
        if (r[i].verdict == PMV_VERDICT_PASS) {
            fprintf(f, ">\n      <system-out>");
            xml_str(f, line);
            fprintf(f, "</system-out>\n    </testcase>\n");
        } else if (r[i].verdict == PMV_VERDICT_SKIP) {
            fprintf(f, ">\n      <skipped message=\"");
            xml_str(f, r[i].message);
            fprintf(f, "\"/>\n    </testcase>\n");
        } else {
            fprintf(f, ">\n      <failure message=\"");
            xml_str(f, line);
            fprintf(f, "\" type=\"perfmon.gate\">");
            xml_str(f, r[i].rule->text);
            fputs("\n", f);
            xml_str(f, line);
            fprintf(f, "</failure>\n    </testcase>\n");
        }
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return pmv_atomic_commit(&af, err, errlen);
}

/* ---- GitHub Actions */

/* Workflow command data: %, CR and LF escaped (properties also : and ,). */
static void gh_escape(FILE *f, const char *s, int property)
{
    for (; *s; s++) {
        if (*s == '%') fputs("%25", f);
        else if (*s == '\r') fputs("%0D", f);
        else if (*s == '\n') fputs("%0A", f);
        else if (property && *s == ':') fputs("%3A", f);
        else if (property && *s == ',') fputs("%2C", f);
        else fputc(*s, f);
    }
}

void pmv_gate_print_github(FILE *f, const pmv_gate_result *r, int n, const pmv_gate_summary *s)
{
    for (int i = 0; i < n; i++) {
        char line[1200], title[400];
        summary_line(&r[i], line, sizeof line);
        snprintf(title, sizeof title, "perfmon gate: %s", r[i].rule->text);
        fputs(r[i].verdict == PMV_VERDICT_FAIL ? "::error file=" : "::notice file=", f);
        gh_escape(f, s->rules_path, 1);
        fprintf(f, ",line=%d,title=", r[i].rule->line);
        gh_escape(f, title, 1);
        fputs("::", f);
        gh_escape(f, line, 0);
        fputc('\n', f);
    }
}

/* ---- JSON */

/* Significant digits of the report's fractional numbers (a baseline keeps
   17, enough to read a double back exactly). */
#define REPORT_DIGITS 10

static const char *unit_name(pmv_lunit u)
{
    switch (u) {
    case PMV_LU_DURATION: return "ns";
    case PMV_LU_BYTES: return "bytes";
    case PMV_LU_PERCENT: return "percent";
    case PMV_LU_PER_SECOND: return "per_second";
    case PMV_LU_BYTES_PER_SECOND: return "bytes_per_second";
    default: return "";
    }
}

int pmv_gate_write_json(const char *path, const pmv_gate_result *r, int n, const pmv_gate_summary *s,
                        char *err, size_t errlen)
{
    pmv_atomic_file af;
    FILE *f = pmv_atomic_open(&af, path, err, errlen);
    if (!f) return -1;
    fprintf(f, "{\"passed\": %s, \"rules_file\": ", s->failed ? "false" : "true");
    pmv_json_str(f, s->rules_path);
    fputs(", \"command\": ", f);
    pmv_json_str(f, s->command);
    fprintf(f, ", \"runs\": %d, \"alpha\": ", s->runs);
    pmv_json_num(f, s->alpha, REPORT_DIGITS);
    fputs(", \"baseline\": ", f);
    if (s->baseline_path) pmv_json_str(f, s->baseline_path); else fputs("null", f);
    fprintf(f, ", \"counts\": {\"passed\": %d, \"failed\": %d, \"skipped\": %d}, \"elapsed_s\": ",
            s->passed, s->failed, s->skipped);
    pmv_json_num(f, s->elapsed_s, REPORT_DIGITS);
    fputs(", \"rules\": [", f);
    for (int i = 0; i < n; i++) {
        const pmv_gate_result *x = &r[i];
        fputs(i ? ",\n  {\"line\": " : "\n  {\"line\": ", f);
        fprintf(f, "%d, \"rule\": ", x->rule->line);
        pmv_json_str(f, x->rule->text);
        fputs(", \"series\": ", f);
        pmv_json_str(f, x->rule->selector);
        fprintf(f, ", \"stat\": \"%s\", \"op\": \"%s\", \"relative\": %s, \"verdict\": \"%s\", \"unit\": \"%s\"",
                pmv_stat_name(x->rule->stat), pmv_op_str(x->rule->op), x->rule->relative ? "true" : "false",
                verdict_str(x->verdict), unit_name(x->unit));
        fputs(", \"measured\": ", f); pmv_json_num(f, x->measured, REPORT_DIGITS);
        fputs(", \"limit\": ", f); pmv_json_num(f, x->limit, REPORT_DIGITS);
        if (x->rule->relative) { fputs(", \"factor\": ", f); pmv_json_num(f, x->rule->factor, REPORT_DIGITS); }
        fputs(", \"runs\": [", f);
        for (ptrdiff_t k = 0; k < arrlen(x->runs); k++) {
            if (k) fputs(", ", f);
            pmv_json_num(f, x->runs[k], REPORT_DIGITS);
        }
        fputs("]", f);
        if (x->rule->relative) {
            fputs(", \"baseline\": ", f); pmv_json_num(f, x->baseline, REPORT_DIGITS);
            fprintf(f, ", \"baseline_runs\": %d, \"change\": ", x->baseline_runs);
            pmv_json_num(f, x->change, REPORT_DIGITS);
            fprintf(f, ", \"test\": \"%s\"", x->test == PMV_TEST_MADE ? "mann-whitney" :
                    x->test == PMV_TEST_SINGLE ? "not made (single run)" : "none");
            fputs(", \"p_value\": ", f);
            pmv_json_num(f, x->test == PMV_TEST_MADE ? x->p : NAN, REPORT_DIGITS);
            if (x->test == PMV_TEST_MADE) fprintf(f, ", \"alternative\": \"%s\"", x->alt);
        }
        fputs(", \"message\": ", f);
        pmv_json_str(f, x->message);
        fputc('}', f);
    }
    fputs(n ? "\n]}\n" : "]}\n", f);
    return pmv_atomic_commit(&af, err, errlen);
}
