/* test_viewer_text.c - what the viewer takes from a segment's names and
   prints: segment file names (perfmon.P and the fallbacks perfmon.P.1..16
   only), printable text (C0, DEL, C1 and invalid UTF-8 become '?', valid
   UTF-8 stays, bidi controls become '?'), display widths (wide and
   combining characters) and escapes (every non-printable byte as \xHH). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "perfmon_shm.h"
#include "viewer/out/escape.h"
#include "viewer/out/screen.h"
#include "viewer/out/table.h"
#include "viewer/read/segment.h"

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

/* U+202E (right-to-left override) and U+2066 (LRI) would reorder the
   line after them: "evil\u202Egnp.exe" shows as "evilexe.png". */
static void test_bidi(void)
{
    char buf[64];
    CHECK_STR(pmv_printable("evil\xe2\x80\xaegnp.exe", buf, sizeof buf), "evil?gnp.exe");
    CHECK_STR(pmv_printable("a\xe2\x81\xa6" "b\xe2\x81\xa9" "c", buf, sizeof buf), "a?b?c");
    CHECK_STR(pmv_printable("\xe2\x80\x8f\xd8\x9c", buf, sizeof buf), "??");
    /* nearby characters that are not controls stay */
    CHECK_STR(pmv_printable("\xe2\x80\x94\xe2\x80\xa6", buf, sizeof buf), "\xe2\x80\x94\xe2\x80\xa6");
}

static void test_display_width(void)
{
    CHECK_EQ_I64(pmv_display_width("caf\xc3\xa9 \xe2\x9c\x93"), 6);         /* café ✓ */
    CHECK_EQ_I64(pmv_display_width("\xe6\x97\xa5\xe6\x9c\xac"), 4);        /* 日本: wide */
    CHECK_EQ_I64(pmv_display_width("e\xcc\x81"), 1);                      /* e + combining acute */
    CHECK_EQ_I64((int)pmv_head_bytes("\xe6\x97\xa5\xe6\x9c\xac", 3), 3); /* never half a wide char */
    CHECK_STR(pmv_tail("ab\xe6\x97\xa5", 2), "\xe6\x97\xa5");
    /* a table pads by columns: both rows' second column starts at the same column */
    char path[] = "/tmp/pm-table-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w+");
    const char *heads[] = { "NAME", "N" };
    pmv_table t;
    pmv_table_init(&t, 2, heads, "lr");
    const char *r1[] = { "caf\xc3\xa9", "1" }, *r2[] = { "cafe", "2" }, *r3[] = { "x\x1b[2Jy", "3" };
    pmv_table_add(&t, r1);
    pmv_table_add(&t, r2);
    pmv_table_add(&t, r3);
    pmv_table_print(&t, f, 0);
    pmv_table_free(&t);
    rewind(f);
    char line[4][64];
    for (int i = 0; i < 4; i++) CHECK(fgets(line[i], sizeof line[i], f) != NULL);
    fclose(f);
    unlink(path);
    CHECK_STR(line[1], "caf\xc3\xa9    1\n");
    CHECK_STR(line[2], "cafe    2\n");
    CHECK_STR(line[3], "x?[2Jy  3\n");
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
    pmv_escape_init();
    RUN(test_segment_names);
    RUN(test_printable);
    RUN(test_bidi);
    RUN(test_display_width);
    RUN(test_escape);
    return harness_done();
}
