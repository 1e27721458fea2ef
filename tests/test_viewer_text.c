/* test_viewer_text.c - what the viewer takes from a segment's names and
   prints: segment file names (perfmon.P and the fallbacks perfmon.P.1..16
   only), printable text (C0, DEL, C1 and invalid UTF-8 become '?', valid
   UTF-8 stays) and escapes (every non-printable byte as \xHH). */
#include <string.h>

#include "harness.h"
#include "perfmon_shm.h"
#include "viewer/cli.h"
#include "viewer/segment.h"

static void test_segment_names(void)
{
    uint32_t pid = 0;
    CHECK(pmv_segment_name_pid("perfmon.123", &pid) && pid == 123);
    pid = 0;
    CHECK(pmv_segment_name_pid("perfmon.123.1", &pid) && pid == 123);
    pid = 0;
    CHECK(pmv_segment_name_pid("perfmon.4194304.16", &pid) && pid == 4194304);
    const char *bad[] = { "perfmon.", "perfmon.0", "perfmon.-1", "perfmon.+5", "perfmon.12x", "perfmon.123.",
                          "perfmon.123.0", "perfmon.123.17", "perfmon.123.01", "perfmon.123.1.1",
                          "perfmon.123.x", "perfmon.0123", "perfmon.99999999999", "xperfmon.123",
                          "perfmon.123 ", "perfmon-e2e.abc" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(!pmv_segment_name_pid(bad[i], &pid), "accepted %s", bad[i]);
}

static void test_printable(void)
{
    char buf[64];
    CHECK_STR(pmv_printable("req.latency{route=\"/a\"}", buf, sizeof buf), "req.latency{route=\"/a\"}");
    CHECK_STR(pmv_printable("a\x1b[31mb\tc\x7f", buf, sizeof buf), "a?[31mb?c?");
    CHECK_STR(pmv_printable("caf\xc3\xa9 \xe2\x82\xac", buf, sizeof buf), "caf\xc3\xa9 \xe2\x82\xac");
    /* C1 controls as UTF-8 (U+009B is CSI on many terminals) */
    CHECK_STR(pmv_printable("x\xc2\x9b" "31m", buf, sizeof buf), "x?31m");
    /* bare C1 bytes, truncated and overlong sequences, surrogates */
    CHECK_STR(pmv_printable("\x9b\xc3\xe2\x82", buf, sizeof buf), "????");
    CHECK_STR(pmv_printable("\xc0\xaf|\xed\xa0\x80|\xf5\x80\x80\x80", buf, sizeof buf), "??|???|????");
    /* a full buffer ends at a whole character, NUL-terminated */
    char small[5];
    pmv_printable("ab\xe2\x82\xac", small, sizeof small);
    CHECK_STR(small, "ab");
    pmv_printable("abcdefgh", small, sizeof small);
    CHECK_STR(small, "abcd");
}

static void test_escape(void)
{
    char buf[64];
    CHECK_STR(pmv_escape("plain.name", buf, sizeof buf), "plain.name");
    CHECK_STR(pmv_escape("a\x1b[31m\tb\\", buf, sizeof buf), "a\\x1b[31m\\x09b\\x5c");
    CHECK_STR(pmv_escape("\xc3\xa9\x7f", buf, sizeof buf), "\\xc3\\xa9\\x7f");
    char small[8];
    pmv_escape("ab\x01\x02", small, sizeof small);  /* never half an escape */
    CHECK_STR(small, "ab\\x01");
}

int main(void)
{
    RUN(test_segment_names);
    RUN(test_printable);
    RUN(test_escape);
    return harness_done();
}
