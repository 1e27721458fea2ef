/* fuzz_text.c - libFuzzer target: the viewer's text readers. The first
   byte picks one, the rest is its input:
     0  pmv_json_parse      (baselines, exports)
     1  pmv_rules_parse     (gate rules), then every rule's helpers
     2  pmv_baseline_read   (a baseline or export file), then lookups
     3  pmv_labels_parse    (series names from segments)
     4  the command line's texts: a selector (matched against a few names),
        a point in time, a retention spec, a compare rule
   Build and run: `make fuzz` (tests/fuzz/run.sh). */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_ds.h>

#include "viewer/analyze/baseline.h"
#include "viewer/read/json.h"
#include "viewer/read/labels.h"
#include "viewer/analyze/rules.h"
#include "viewer/analyze/compare.h"
#include "viewer/base/when.h"
#include "viewer/model/selector.h"
#include "viewer/store/retention.h"

static char path[64];

static void cleanup(void) { unlink(path); }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    snprintf(path, sizeof path, "/dev/shm/pm-fuzz-text.%ld.json", (long)getpid());
    atexit(cleanup);
    return 0;
}

static const char rules_for_lookup[] =
    "parse mean < 1.10 * baseline\n"
    "http.request{route=\"/users\"} p95 <= baseline + 5%\n"
    "process cpu_time < baseline\n"
    "process peak_rss < 110% * baseline\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char err[512];
    switch (data[0] % 5) {
    case 0: {
        pmv_json *j = pmv_json_parse(text, len, err, sizeof err);
        if (j) {
            (void)pmv_json_count(j);
            (void)pmv_json_string(pmv_json_get(j, "name"));
            (void)pmv_json_number(pmv_json_get(j, "runs"));
            pmv_json_free(j);
        }
        break;
    }
    case 1: {
        pmv_rule *rules = NULL;
        if (pmv_rules_parse(text, len, &rules, err, sizeof err) == 0) {
            for (ptrdiff_t i = 0; i < arrlen(rules); i++) {
                (void)pmv_stat_name(rules[i].stat);
                (void)pmv_op_str(rules[i].op);
                (void)pmv_op_holds(rules[i].op, 1.0, rules[i].limit);
                (void)pmv_stat_is_count(rules[i].stat);
                (void)pmv_stat_in_series_unit(rules[i].stat);
            }
            pmv_rules_free(rules);
        }
        break;
    }
    case 2: {
        FILE *f = fopen(path, "wb");
        if (!f) abort();
        fwrite(text, 1, len, f);
        fclose(f);
        pmv_baseline bl;
        memset(&bl, 0, sizeof bl);
        if (pmv_baseline_read(path, &bl, err, sizeof err) == 0) {
            pmv_rule *rules = NULL;
            if (pmv_rules_parse(rules_for_lookup, sizeof rules_for_lookup - 1, &rules, err, sizeof err) == 0) {
                for (ptrdiff_t i = 0; i < arrlen(rules); i++) {
                    double *vals = NULL;
                    char why[256];
                    if (pmv_baseline_lookup(&bl, &rules[i], &vals, why, sizeof why) >= 0 && vals)
                        (void)pmv_median(vals, (int)arrlen(vals));
                    arrfree(vals);
                }
                pmv_rules_free(rules);
            }
            pmv_baseline_free(&bl);
        }
        break;
    }
    case 4: {
        char *t = malloc(len + 1);
        if (!t) abort();
        memcpy(t, text, len);
        t[len] = '\0';
        const char *texts[] = { t };
        pmv_selector sel;
        if (pmv_selector_compile(&sel, texts, 1, err, sizeof err) == 0) {
            static const char *const names[] = { "req", "req{route=\"/a\"}", "a.b{k=\"x\\\"y\",z=\"1\"}" };
            for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                char *base = NULL, *raw = NULL;
                pmv_label *labels = NULL;
                pmv_labels_parse(names[i], &base, &labels, &raw);
                for (ptrdiff_t k = 0; k < arrlen(sel.terms); k++)
                    (void)pmv_sel_term_match(&sel.terms[k], names[i], base, labels);
                free(base);
                free(raw);
                pmv_labels_free(labels);
            }
            pmv_selector_free(&sel);
        }
        uint64_t when;
        (void)pmv_parse_when(t, 1800000000000000000ull, &when);
        pmv_retention ret;
        (void)pmv_retention_parse(t, &ret, err, sizeof err);
        pmv_cmp_rule rule;
        (void)pmv_cmp_rule_parse(t, &rule, err, sizeof err);
        free(t);
        break;
    }
    default: {
        char *name = malloc(len + 1), *base = NULL, *raw = NULL;
        if (!name) abort();
        memcpy(name, text, len);
        name[len] = '\0';
        pmv_label *labels = NULL;
        pmv_labels_parse(name, &base, &labels, &raw);
        free(base);
        free(raw);
        pmv_labels_free(labels);
        free(name);
        break;
    }
    }
    return 0;
}
