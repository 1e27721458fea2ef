/* test_labels.c - pm_name(), labeled series, name validation */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include "harness.h"
#include "segread.h"

static void open_self(sr_seg *s)
{
    CHECK_MSG(sr_open_path(s, pm_segment_path()) == 0, "cannot read own segment '%s'", pm_segment_path());
}

static void test_pm_name_escaping(void)
{
    char buf[PM_SHM_NAME_MAX];
    int n = pm_name(buf, sizeof buf, "http.request", "method", "GET", "route", "/users", (const char *)NULL);
    CHECK_STR(buf, "http.request{method=\"GET\",route=\"/users\"}");
    CHECK_EQ_I64(n, (int64_t)strlen(buf));
    n = pm_name(buf, sizeof buf, "q", "v", "a\"b\\c\nd", (const char *)NULL);
    CHECK_STR(buf, "q{v=\"a\\\"b\\\\c\\nd\"}");
    CHECK_EQ_I64(n, (int64_t)strlen(buf));
    n = pm_name(buf, sizeof buf, "plain", (const char *)NULL);
    CHECK_STR(buf, "plain");
    CHECK_EQ_I64(n, 5);
    n = pm_name(buf, sizeof buf, "e", "k", "", (const char *)NULL);
    CHECK_STR(buf, "e{k=\"\"}");
}

static void test_pm_name_too_small(void)
{
    char buf[16];
    memset(buf, 'x', sizeof buf);
    CHECK_EQ_I64(pm_name(buf, sizeof buf, "base", "key", "a long value", (const char *)NULL), -1);
    CHECK_STR(buf, "");
    /* exactly fitting: 15 chars + NUL */
    CHECK_EQ_I64(pm_name(buf, sizeof buf, "abcd", "k", "12345", (const char *)NULL), 15);
    CHECK_STR(buf, "abcd{k=\"12345\"}");
    CHECK_EQ_U64(strlen(buf), 15);
    CHECK_EQ_I64(pm_name(buf, 6, "abcdef", (const char *)NULL), -1);
    CHECK_STR(buf, "");
    CHECK_EQ_I64(pm_name(buf, 0, "a", (const char *)NULL), -1);
}

/* Names pm_name() builds, with escapes, are accepted by the writer. */
static void test_pm_name_output_is_valid(void)
{
    char a[PM_SHM_NAME_MAX], b[PM_SHM_NAME_MAX], c[PM_SHM_NAME_MAX];
    pm_name(a, sizeof a, "req", "path", "/q\"x\\y\nz", (const char *)NULL);
    pm_name(b, sizeof b, "req", "path", "/q", (const char *)NULL);
    pm_name(c, sizeof c, "req", "path", "/q", "code", "200", (const char *)NULL);
    pm_count(a, 1);
    pm_count(b, 2);
    pm_count(c, 3);
    pm_count("req", 4);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter(&s, a), 1);
    CHECK_EQ_U64(sr_counter(&s, b), 2);
    CHECK_EQ_U64(sr_counter(&s, c), 3);
    CHECK_EQ_U64(sr_counter(&s, "req"), 4);
    CHECK_EQ_U64(sr_series_count(&s), 4);
    CHECK_EQ_U64(s.h->dropped_bad_name, 0);
    sr_close(&s);
}

/* Every label set is its own series; the same string is the same series. */
static void test_labeled_series_distinct(void)
{
    for (int i = 0; i < 30; i++) {
        const char *m = i % 3 == 0 ? "GET" : i % 3 == 1 ? "POST" : "PUT";
        char name[PM_SHM_NAME_MAX];
        CHECK(pm_name(name, sizeof name, "http", "method", m, (const char *)NULL) > 0);
        pm_count(name, (uint64_t)(i % 3 + 1));
    }
    PM_COUNT("http{method=\"GET\"}", 100);  /* literal name = the same series */
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(sr_counter(&s, "http{method=\"GET\"}"), 10 + 100);
    CHECK_EQ_U64(sr_counter(&s, "http{method=\"POST\"}"), 20);
    CHECK_EQ_U64(sr_counter(&s, "http{method=\"PUT\"}"), 30);
    CHECK_EQ_U64(sr_counter(&s, "http"), SR_MISSING);
    CHECK_EQ_U64(sr_series_count(&s), 3);
    sr_close(&s);
}

static const char *const bad_names[] = {
    "",                      /* empty */
    "has space",
    "tab\tname",
    "{k=\"v\"}",             /* no base */
    "a{}",                   /* empty label set */
    "a{k=v}",                /* unquoted value */
    "a{1k=\"v\"}",           /* key starts with a digit */
    "a{k=\"v\"",             /* unterminated */
    "a{k=\"v\"}x",           /* text after the set */
    "a{k=\"v\\x\"}",         /* bad escape */
    "a{k=\"v\",}",           /* trailing comma */
    "a{k-x=\"v\"}",          /* bad key char */
    "a{k=\"v\"}{j=\"w\"}",
    "caf\xc3\xa9",           /* non-ASCII base */
    "a{k=\"line\nbreak\"}",  /* raw control char in a value */
};

/* Invalid names are dropped, each record counted in dropped_bad_name. */
static void test_invalid_names_dropped(void)
{
    size_t n = sizeof bad_names / sizeof bad_names[0];
    for (size_t i = 0; i < n; i++) {
        pm_count(bad_names[i], 1);
        pm_record(bad_names[i], 1);
        pm_gauge_set(bad_names[i], 1);
    }
    char longname[PM_SHM_NAME_MAX + 10];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    pm_count(longname, 1);                       /* 193 bytes: too long */
    longname[PM_SHM_NAME_MAX] = '\0';
    pm_count(longname, 1);                       /* 184 bytes: too long */
    longname[PM_SHM_NAME_MAX - 1] = '\0';
    pm_count(longname, 5);                       /* 183 bytes: the longest valid */
    for (int i = 0; i < 3; i++) PM_COUNT("bad name literal", 1);  /* a call site, dropped every time */
    pm_count("ok.name", 1);
    sr_seg s;
    open_self(&s);
    uint64_t expect = 3 * n + 2 + 3;
    CHECK_EQ_U64(s.h->dropped_bad_name, expect);
    CHECK_EQ_U64(s.h->dropped, expect);
    CHECK_EQ_U64(sr_series_count(&s), 2);  /* the 183-byte name and ok.name */
    CHECK_EQ_U64(sr_counter(&s, longname), 5);
    CHECK_EQ_U64(sr_counter(&s, "ok.name"), 1);
    for (size_t i = 0; i < n; i++) CHECK(sr_find(&s, bad_names[i]) < 0);
    sr_close(&s);
}

/* A timer with a bad name drops at its end, never crashes. */
static void test_invalid_timer_names(void)
{
    { PM_SCOPE("bad scope"); }
    pm_span sp = PM_BEGIN("bad{");
    PM_END(sp);
    pm_timer_start("bad timer");
    CHECK_NEAR(pm_timer_stop("bad timer"), -1.0, 0);
    pm_record_duration("", 5, 1);
    sr_seg s;
    open_self(&s);
    CHECK_EQ_U64(s.h->dropped_bad_name, 4);
    CHECK_EQ_U64(sr_series_count(&s), 0);
    sr_close(&s);
}

int main(void)
{
    RUN(test_pm_name_escaping);
    RUN(test_pm_name_too_small);
    RUN(test_pm_name_output_is_valid);
    RUN(test_labeled_series_distinct);
    RUN(test_invalid_names_dropped);
    RUN(test_invalid_timer_names);
    return harness_done();
}
