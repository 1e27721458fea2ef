/* test_viewer_selector.c - the one series selector (viewer/model/selector.h):
   exact full names, base names, globs on the full and the base name,
   partial and complete label sets (any order, exact values after
   unescaping), a glob base with labels, several terms, malformed terms
   and their reasons, UTF-8 names, and the snapshot filter that names the
   terms that matched nothing. */
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "harness.h"
#include "viewer/model/selector.h"

/* A series as the segment reader makes it: the name split by the label parser. */
static pmv_series mk(const char *name)
{
    pmv_series s;
    memset(&s, 0, sizeof s);
    size_t n = strlen(name);
    s.name = malloc(n + 1);
    memcpy(s.name, name, n + 1);
    pmv_labels_parse(name, &s.base, &s.labels, &s.labels_raw);
    return s;
}

/* 1 if the one-term selector `text` selects the series `name`. */
static int sel1(const char *text, const char *name)
{
    pmv_selector sel;
    char err[256];
    const char *t[1] = { text };
    CHECK_MSG(pmv_selector_compile(&sel, t, 1, err, sizeof err) == 0, "'%s' refused: %s", text, err);
    pmv_series s = mk(name);
    int m = pmv_selector_match(&sel, &s);
    pmv_series_free(&s);
    pmv_selector_free(&sel);
    return m;
}

/* The error text for a malformed term ("" if it was accepted). */
static const char *refused(const char *text)
{
    static char err[256];
    pmv_sel_term t;
    err[0] = '\0';
    if (pmv_sel_term_parse(text, &t, err, sizeof err) == 0) {
        pmv_sel_term_free(&t);
        return "";
    }
    return err;
}

#define FULL "req.latency{route=\"/users\",method=\"GET\"}"

static void test_exact_full_name(void)
{
    CHECK(sel1(FULL, FULL));
    CHECK(sel1("writer.count", "writer.count"));
    CHECK(!sel1("writer.coun", "writer.count"));
    CHECK(!sel1("writer.count", "writer.counter"));
    CHECK(!sel1(FULL, "req.latency{route=\"/users\",method=\"POST\"}"));
}

static void test_base_name(void)
{
    CHECK(sel1("req.latency", FULL));
    CHECK(sel1("req.latency", "req.latency"));
    CHECK(sel1("req.latency", "req.latency{route=\"/a\"}"));
    CHECK(!sel1("req", FULL));
    CHECK(!sel1("req.latency", "req.latency2{route=\"/a\"}"));
}

static void test_glob(void)
{
    CHECK(sel1("req.*", FULL));             /* on the base */
    CHECK(sel1("*GET*", FULL));             /* on the full name */
    CHECK(sel1("writer.c*", "writer.count"));
    CHECK(!sel1("writer.c*", "writer.timer"));
    CHECK(sel1("writer.?ount", "writer.count"));
    CHECK(sel1("writer.[a-c]ount", "writer.count"));
    CHECK(!sel1("writer.[d-z]ount", "writer.count"));
    CHECK(sel1("*", "anything{a=\"b\"}"));
    /* a name that holds a glob character literally is still an exact match */
    CHECK(sel1("odd[1]", "odd[1]"));
}

static void test_labels_partial(void)
{
    CHECK(sel1("req.latency{route=\"/users\"}", FULL));
    CHECK(sel1("req.latency{method=\"GET\"}", FULL));
    CHECK(sel1("req.latency{}", FULL));                       /* no pairs: every label set */
    CHECK(!sel1("req.latency{route=\"/users\"}", "req.latency")); /* no labels at all */
    CHECK(!sel1("req.latency{route=\"/users\"}", "req.other{route=\"/users\"}"));
    CHECK(!sel1("req.latency{host=\"a\"}", FULL));            /* key absent */
}

static void test_labels_complete_any_order(void)
{
    CHECK(sel1("req.latency{method=\"GET\",route=\"/users\"}", FULL));
    CHECK(sel1("req.latency{route=\"/users\",method=\"GET\",}", FULL)); /* trailing comma */
    CHECK(sel1("req.latency{route=\"/users\", method=\"GET\"}", FULL)); /* blank between pairs */
    CHECK(!sel1("req.latency{route=\"/users\",method=\"GET\",host=\"h\"}", FULL)); /* one more pair */
}

static void test_labels_mismatch(void)
{
    CHECK(!sel1("req.latency{route=\"/user\"}", FULL));       /* values compared exactly */
    CHECK(!sel1("req.latency{route=\"/users \"}", FULL));
    CHECK(!sel1("req.latency{route=\"/USERS\"}", FULL));
    CHECK(!sel1("req.latency{route=\"/*\"}", FULL));          /* no glob in values */
    CHECK(!sel1("req.latency{Route=\"/users\"}", FULL));      /* keys too */
}

static void test_escaped_values(void)
{
    const char *name = "writer.req{method=\"POST\",path=\"/b\\\"q\\\\\"}";  /* path is /b"q\ */
    CHECK(sel1("writer.req{path=\"/b\\\"q\\\\\"}", name));
    CHECK(!sel1("writer.req{path=\"/b\\\"q\"}", name));
    const char *nl = "writer.req{method=\"GET\",path=\"/c\\nd\"}";           /* a newline */
    CHECK(sel1("writer.req{path=\"/c\\nd\"}", nl));
    CHECK(!sel1("writer.req{path=\"/cnd\"}", nl));
    /* a blank inside a quoted value is kept, only those between pairs go */
    CHECK(sel1("x{k=\"a b\"}", "x{k=\"a b\"}"));
    CHECK(!sel1("x{k=\"ab\"}", "x{k=\"a b\"}"));
}

static void test_glob_base_with_labels(void)
{
    CHECK(sel1("req.*{route=\"/users\"}", FULL));
    CHECK(sel1("*.latency{method=\"GET\"}", FULL));
    CHECK(!sel1("req.*{route=\"/a\"}", FULL));
    CHECK(!sel1("db.*{route=\"/users\"}", FULL));
}

static void test_several(void)
{
    const char *t[] = { "writer.count", "req.latency{method=\"POST\"}", "nothing.here*" };
    pmv_selector sel;
    char err[256];
    CHECK(pmv_selector_compile(&sel, t, 3, err, sizeof err) == 0);
    pmv_snapshot snap;
    memset(&snap, 0, sizeof snap);
    const char *names[] = { "writer.count", FULL, "req.latency{route=\"/users\",method=\"POST\"}",
                            "writer.timer", "req.latency{route=\"/a\",method=\"POST\"}" };
    for (int i = 0; i < 5; i++) arrput(snap.series, mk(names[i]));
    CHECK(pmv_selector_match(&sel, &snap.series[0]));
    CHECK(!pmv_selector_match(&sel, &snap.series[1]));
    CHECK(pmv_selector_match(&sel, &snap.series[2]));
    CHECK(!pmv_selector_match(&sel, &snap.series[3]));

    pmv_selection picked;
    pmv_selector_filter(&sel, &snap, &picked);
    CHECK_EQ_I64(arrlen(picked.series), 3);
    CHECK(picked.series[0] == &snap.series[0]);  /* snapshot order, pointers into it */
    CHECK(picked.series[1] == &snap.series[2]);
    CHECK(picked.series[2] == &snap.series[4]);
    CHECK_EQ_U64(picked.hits[0], 1);
    CHECK_EQ_U64(picked.hits[1], 2);
    CHECK_EQ_U64(picked.hits[2], 0);
    CHECK_EQ_I64(arrlen(picked.unmatched), 1);
    CHECK_STR(picked.unmatched[0], "nothing.here*");
    pmv_selection_free(&picked);

    const char **unmatched = NULL;
    pmv_selector_keep(&sel, &snap, &unmatched);
    CHECK_EQ_I64(arrlen(snap.series), 3);
    CHECK_STR(snap.series[0].name, "writer.count");
    CHECK_STR(snap.series[1].name, "req.latency{route=\"/users\",method=\"POST\"}");
    CHECK_STR(snap.series[2].name, "req.latency{route=\"/a\",method=\"POST\"}");
    CHECK_EQ_I64(arrlen(unmatched), 1);
    CHECK_STR(unmatched[0], "nothing.here*");
    arrfree(unmatched);
    pmv_snapshot_free(&snap);
    pmv_selector_free(&sel);
}

static void test_empty_selects_all(void)
{
    pmv_selector sel;
    char err[64];
    CHECK(pmv_selector_compile(&sel, NULL, 0, err, sizeof err) == 0);
    pmv_snapshot snap;
    memset(&snap, 0, sizeof snap);
    arrput(snap.series, mk("a"));
    arrput(snap.series, mk("b{k=\"v\"}"));
    pmv_selection picked;
    pmv_selector_filter(&sel, &snap, &picked);
    CHECK_EQ_I64(arrlen(picked.series), 2);
    CHECK_EQ_I64(arrlen(picked.unmatched), 0);
    pmv_selection_free(&picked);
    pmv_selector_keep(&sel, &snap, NULL);
    CHECK_EQ_I64(arrlen(snap.series), 2);
    pmv_snapshot_free(&snap);
}

static void test_malformed(void)
{
    struct { const char *text, *why; } cases[] = {
        { "", "empty" },
        { "req{route=\"/a\"", "no closing '}'" },
        { "req{route=\"/a\",", "no closing '}'" },
        { "req}", "'}' without '{'" },
        { "req{route=/a}", "values are quoted" },
        { "req{route=\"/a}", "unterminated quoted value" },
        { "req{route=\"/a\\x\"}", "bad escape" },
        { "req{route=\"/a\"}x", "text after the closing '}'" },
        { "req{route=\"/a\" method=\"GET\"}", "expected ',' or '}'" },  /* no comma */
        { "req{1a=\"b\"}", "expected a label name" },
        { "req{a=\"b\";c=\"d\"}", "expected ',' or '}'" },
        { "{route=\"/a\"}", "no name before '{'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *e = refused(cases[i].text);
        CHECK_MSG(strstr(e, cases[i].why) != NULL, "'%s': got '%s', expected '%s'", cases[i].text, e,
                  cases[i].why);
        CHECK_MSG(strncmp(e, "bad selector '", 14) == 0 && !strchr(e, '\n'), "'%s': '%s'", cases[i].text, e);
    }
    /* one bad term refuses the whole list, naming it; sel is left empty */
    const char *t[] = { "ok.name", "bad{" };
    pmv_selector sel;
    char err[256];
    CHECK(pmv_selector_compile(&sel, t, 2, err, sizeof err) == -1);
    CHECK(strstr(err, "'bad{'") != NULL);
    CHECK(sel.terms == NULL);
}

static void test_utf8(void)
{
    const char *name = "caf\xc3\xa9.latency{route=\"/\xc3\xbc" "ber\",lang=\"\xe6\x97\xa5\"}";
    CHECK(sel1(name, name));
    CHECK(sel1("caf\xc3\xa9.latency", name));
    CHECK(sel1("caf\xc3\xa9.*", name));
    CHECK(sel1("caf*{lang=\"\xe6\x97\xa5\"}", name));
    CHECK(sel1("caf\xc3\xa9.latency{route=\"/\xc3\xbc" "ber\"}", name));
    CHECK(!sel1("cafe.latency", name));
    CHECK(!sel1("caf\xc3\xa9.latency{route=\"/uber\"}", name));
}

static void test_suffixed_term(void)
{
    pmv_sel_term t, s;
    char err[128];
    CHECK(pmv_sel_term_parse("bench.*{case=\"a\"}", &t, err, sizeof err) == 0);
    pmv_sel_term_suffixed(&t, ".cpu_user", &s);
    pmv_series a = mk("bench.parse.cpu_user{case=\"a\"}"), b = mk("bench.parse.cpu_sys{case=\"a\"}");
    CHECK(pmv_sel_term_match(&s, a.name, a.base, a.labels));
    CHECK(!pmv_sel_term_match(&s, b.name, b.base, b.labels));
    CHECK(pmv_sel_term_match_base(&t, "bench.parse"));
    CHECK(!pmv_sel_term_match_base(&t, "db.parse"));
    pmv_series_free(&a);
    pmv_series_free(&b);
    pmv_sel_term_free(&s);
    pmv_sel_term_free(&t);
}

int main(void)
{
    RUN(test_exact_full_name);
    RUN(test_base_name);
    RUN(test_glob);
    RUN(test_labels_partial);
    RUN(test_labels_complete_any_order);
    RUN(test_labels_mismatch);
    RUN(test_escaped_values);
    RUN(test_glob_base_with_labels);
    RUN(test_several);
    RUN(test_empty_selects_all);
    RUN(test_malformed);
    RUN(test_utf8);
    RUN(test_suffixed_term);
    return harness_done();
}
