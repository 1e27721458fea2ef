/* test_viewer_options.c - the table-driven option parser of perfmon-view
   (viewer/cmd/options.c): every spelling of a value, "--", positionals,
   each type's range and error, repeatable and split options, one-line
   errors, and help generated from the table; and the rules file's
   negative limits (analyze/rules.c). */
#include <stb_ds.h>

#include "harness.h"
#include "cmd/cli.h"
#include "cmd/options.h"
#include "analyze/rules.h"

/* Every type at once, reset for each parse. */
static struct {
    int flag, choice, split;
    const char *str;
    const char **strs;
    long num;
    double real, dur;
    uint32_t pid;
    uint32_t *pids;
} v;

static const char *const colours[] = { "red", "green", "blue", NULL };

static const pmv_option opts[] = {
    { PMV_OPT('q', "quiet", PMV_OPT_FLAG, &v.flag, NULL, "say less") },
    { PMV_OPT('o', "output", PMV_OPT_STRING, &v.str, "FILE", "write FILE\nor standard output") },
    { PMV_OPT(0, "tag", PMV_OPT_STRING, &v.strs, "T", "a tag (repeatable)"), .repeat = 1 },
    { PMV_OPT('n', "count", PMV_OPT_INT, &v.num, "N", "how many"), .min = 1, .max = 1000 },
    { PMV_OPT(0, "alpha", PMV_OPT_DOUBLE, &v.real, "A", "a level"), .min = 0, .max = 1,
      .bounds = PMV_OPT_ABOVE_MIN | PMV_OPT_BELOW_MAX },
    { PMV_OPT('i', "interval", PMV_OPT_DURATION, &v.dur, "S", "how often"), .min = 0.05, .max = 86400 },
    { PMV_OPT('c', "colour", PMV_OPT_CHOICE, &v.choice, NULL, "a colour"), .choices = colours },
    { PMV_OPT(0, "pid", PMV_OPT_PID, &v.pid, "PID", "one pid") },
    { PMV_OPT('p', "also", PMV_OPT_PID, &v.pids, "PID", "more pids"), .repeat = 1 },
    { PMV_OPT(0, "series", PMV_OPT_SPLIT, &v.split, "NAME...", "names follow") },
    { 0 }
};
static const pmv_command cmd = { "t", "PID [OPTIONS] [NAME...]", opts, "About t.\n", "After.\n", NULL, 1 };

static char err_text[4096];

/* What is written to fd between begin and end goes into buf. */
typedef struct capture { int fd, saved; FILE *file; } capture;
static capture capture_begin(int fd)
{
    capture c = { fd, -1, NULL };
    fflush(fd == 1 ? stdout : stderr);
    c.file = tmpfile();
    CHECK(c.file);
    c.saved = dup(fd);
    dup2(fileno(c.file), fd);
    return c;
}
static void capture_end(capture *c, char *buf, size_t len)
{
    fflush(c->fd == 1 ? stdout : stderr);
    dup2(c->saved, c->fd);
    close(c->saved);
    rewind(c->file);
    size_t n = fread(buf, 1, len - 1, c->file);
    buf[n] = '\0';
    fclose(c->file);
}

/* Parses the NULL-terminated words (argv[0] "t" added); stderr is kept in
   err_text. Returns what pmv_parse_options returned. */
static int parse_words(pmv_args *a, int *status, const char *const *words)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "t";
    for (int i = 0; words[i]; i++) argv[argc++] = (char *)words[i];
    argv[argc] = NULL;
    memset(&v, 0, sizeof v);
    v.split = -1;
    capture c = capture_begin(2);
    int ok = pmv_parse_options(&cmd, argc, argv, a, status);
    capture_end(&c, err_text, sizeof err_text);
    return ok;
}
#define PARSE(a, st, ...) parse_words((a), (st), (const char *const[]){ __VA_ARGS__, NULL })

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Fails with the one error line expected, naming the command. */
static void check_error(const char *want, const char *const *words)
{
    pmv_args a;
    int st = -1;
    CHECK_MSG(parse_words(&a, &st, words) == 0, "'%s ...' parsed", words[0]);
    CHECK_EQ_I64(st, PMV_EXIT_USAGE);
    CHECK_MSG(lines(err_text) == 1, "%d lines: %s", lines(err_text), err_text);
    CHECK_MSG(strncmp(err_text, "perfmon-view: t: ", 17) == 0, "%s", err_text);
    CHECK_MSG(strstr(err_text, want) != NULL, "'%s' not in: %s", want, err_text);
    CHECK_MSG(strstr(err_text, "try 'perfmon-view t --help'") != NULL, "%s", err_text);
}
#define ERROR_CASE(want, ...) check_error((want), (const char *const[]){ __VA_ARGS__, NULL })

static void test_value_spellings_agree(void)
{
    static const char *const forms[][3] = {
        { "--count=7", NULL, NULL }, { "--count", "7", NULL }, { "-n", "7", NULL }, { "-n7", NULL, NULL },
    };
    for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
        pmv_args a;
        int st;
        const char *w[] = { "12", forms[k][0], forms[k][1], NULL };
        CHECK(parse_words(&a, &st, w));
        CHECK_EQ_I64(v.num, 7);
        CHECK_EQ_I64(a.n, 1);
        CHECK_STR(a.pos[0], "12");
        CHECK(a.pos[1] == NULL);
        pmv_args_free(&a);
    }
    pmv_args a;
    int st;
    CHECK(PARSE(&a, &st, "-o", "-", "--alpha=0.5", "-i", "1.5s", "--colour", "blue", "--pid=42", "-q"));
    CHECK_STR(v.str, "-");  /* a value is taken as given, even "-" */
    CHECK_NEAR(v.real, 0.5, 0);
    CHECK_NEAR(v.dur, 1.5, 0);
    CHECK_EQ_I64(v.choice, 2);
    CHECK_EQ_U64(v.pid, 42);
    CHECK_EQ_I64(v.flag, 1);
    CHECK_EQ_I64(a.n, 0);
    pmv_args_free(&a);
    CHECK(PARSE(&a, &st, "-i", "15m", "--output=x=y"));
    CHECK_NEAR(v.dur, 900, 0);
    CHECK_STR(v.str, "x=y");  /* only the first '=' splits */
    pmv_args_free(&a);
}

static void test_positionals_and_dashdash(void)
{
    pmv_args a;
    int st;
    CHECK(PARSE(&a, &st, "5", "a", "-q", "b", "--", "-c", "--help", "-"));
    CHECK_EQ_I64(a.n, 6);
    CHECK_EQ_I64(a.dashdash, 3);
    CHECK_STR(a.pos[3], "-c");
    CHECK_STR(a.pos[4], "--help");
    CHECK_STR(a.pos[5], "-");
    CHECK(a.pos[6] == NULL);
    CHECK_EQ_I64(v.flag, 1);
    CHECK_EQ_I64(v.choice, 0);  /* -c after -- is not an option */
    pmv_args_free(&a);
    /* a PID in first place may look like a negative number: a bad PID, not an option */
    CHECK(PARSE(&a, &st, "-1"));
    CHECK_EQ_I64(a.n, 1);
    CHECK_STR(a.pos[0], "-1");
    CHECK_EQ_I64(a.dashdash, -1);
    pmv_args_free(&a);
    ERROR_CASE("unknown option '-1'", "5", "-1");
    uint32_t pid;
    CHECK_EQ_I64(pmv_command_pid(&cmd, "42", &pid), PMV_EXIT_OK);
    CHECK_EQ_U64(pid, 42);
    capture c = capture_begin(2);
    int rc = pmv_command_pid(&cmd, "-1", &pid);
    capture_end(&c, err_text, sizeof err_text);
    CHECK_EQ_I64(rc, PMV_EXIT_USAGE);
    CHECK_STR(err_text, "perfmon-view: t: bad PID '-1' (expected a positive decimal number); "
                        "try 'perfmon-view t --help'\n");
}

static void test_repeat_and_split(void)
{
    pmv_args a;
    int st;
    CHECK(PARSE(&a, &st, "9", "--tag", "x", "-p", "3", "--tag=y", "--also=4", "--series", "n1", "-q", "n2"));
    CHECK_EQ_I64(arrlen(v.strs), 2);
    CHECK_STR(v.strs[0], "x");
    CHECK_STR(v.strs[1], "y");
    CHECK_EQ_I64(arrlen(v.pids), 2);
    CHECK_EQ_U64(v.pids[0], 3);
    CHECK_EQ_U64(v.pids[1], 4);
    CHECK_EQ_I64(v.split, 1);  /* one argument ("9") before --series */
    CHECK_EQ_I64(a.n, 3);
    CHECK_STR(a.pos[v.split], "n1");
    CHECK_STR(a.pos[2], "n2");
    CHECK_EQ_I64(v.flag, 1);   /* options still count after --series */
    arrfree(v.strs);
    arrfree(v.pids);
    pmv_args_free(&a);
    CHECK(PARSE(&a, &st, "--count", "3", "--count", "8"));
    CHECK_EQ_I64(v.num, 8);    /* not repeatable: the last wins */
    pmv_args_free(&a);
    /* a failed parse frees what the repeatable options collected */
    CHECK(!PARSE(&a, &st, "--tag", "x", "-p", "3", "--nope"));
    CHECK(v.strs == NULL);
    CHECK(v.pids == NULL);
}

static void test_errors_are_one_line(void)
{
    ERROR_CASE("unknown option '--foo'", "--foo");
    ERROR_CASE("unknown option '--foo'", "--foo=1");
    ERROR_CASE("unknown option '-x'", "-x");
    ERROR_CASE("unknown option '-qq'", "-qq");              /* no bundled flags */
    ERROR_CASE("unknown option '--coun'", "--coun=3");     /* no abbreviations */
    ERROR_CASE("--quiet takes no value", "--quiet=yes");
    ERROR_CASE("--count needs a value (N)", "--count");
    ERROR_CASE("-c needs a value (red|green|blue)", "-c");
    ERROR_CASE("--output needs a non-empty value", "--output=");
    ERROR_CASE("--count: bad value '0' (a whole number from 1 to 1000)", "--count", "0");
    ERROR_CASE("--count: bad value '1001'", "--count=1001");
    ERROR_CASE("-n: bad value '3x'", "-n3x");
    ERROR_CASE("--count: bad value '99999999999999999999'", "--count", "99999999999999999999");
    ERROR_CASE("--alpha: bad value '1' (a number in (0, 1))", "--alpha", "1");
    ERROR_CASE("--alpha: bad value '0'", "--alpha=0");
    ERROR_CASE("--alpha: bad value 'nan'", "--alpha=nan");
    ERROR_CASE("-i: bad value '0.01' (a duration from 0.05 s to 86400 s", "-i", "0.01");
    ERROR_CASE("-i: bad value '-1'", "-i", "-1");
    ERROR_CASE("--colour: bad value 'pink' (one of red, green, blue)", "--colour", "pink");
    ERROR_CASE("--pid: bad value '0' (a positive decimal number)", "--pid", "0");
    ERROR_CASE("--also: bad value '-3'", "--also", "-3");
}

static void test_help_comes_from_the_table(void)
{
    pmv_args a;
    int st = -1;
    char help[8192];
    capture c = capture_begin(1);
    int ok = PARSE(&a, &st, "5", "--help", "--nope");
    capture_end(&c, help, sizeof help);
    CHECK(!ok);
    CHECK_EQ_I64(st, PMV_EXIT_OK);
    CHECK_STR(err_text, "");  /* --help came first: the bad option after it is not judged */
    /* usage: the table's options where [OPTIONS] stands, wrapped under the first word */
    const char *want_usage =
        "usage: perfmon-view t PID [--quiet] [--output FILE] [--tag T]... [--count N]\n"
        "                      [--alpha A] [--interval S] [--colour red|green|blue]\n"
        "                      [--pid PID] [--also PID]... [--series NAME...] [NAME...]\n";
    CHECK_MSG(strncmp(help, want_usage, strlen(want_usage)) == 0, "%s", help);
    CHECK(strstr(help, "\nAbout t.\n\noptions:\n"));
    CHECK(strstr(help, "\n\nAfter.\n"));
    /* every option of the table, with its value's name, and the continued help line */
    for (const pmv_option *o = opts; o->long_name; o++) {
        char want[64];
        snprintf(want, sizeof want, "--%s", o->long_name);
        CHECK_MSG(strstr(help, want), "no %s in the help", want);
    }
    CHECK(strstr(help, "\n  -o, --output FILE"));
    CHECK(strstr(help, "\n  -c, --colour red|green|blue"));
    CHECK(strstr(help, "\n  --series NAME..."));
    const char *cont = strstr(help, "write FILE\n");
    CHECK(cont);
    cont += strlen("write FILE\n");
    while (*cont == ' ') cont++;
    CHECK(strncmp(cont, "or standard output\n", 19) == 0);  /* '\n' in help: a continued line */
    CHECK(strstr(help, "\n  -h, --help"));
    /* every line fits 80 columns */
    for (const char *p = help; *p;) {
        const char *nl = strchr(p, '\n');
        CHECK(nl);
        CHECK_MSG(nl - p < 80, "line too long: %.*s", (int)(nl - p), p);
        p = nl + 1;
    }
}

/* The option column of every line is the same: help cannot drift. */
static void test_help_columns_align(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f);
    pmv_print_help(&cmd, f);
    fclose(f);
    const char *opt = strstr(buf, "options:\n");
    CHECK(opt);
    int col = -1;
    for (const char *p = opt + 9; *p && *p != '\n';) {
        const char *nl = strchr(p, '\n');
        /* the help text starts after the first run of 2+ blanks past the name */
        const char *q = p + 2;
        while (q < nl && !(q[0] == ' ' && q[1] == ' ')) q++;
        while (q < nl && *q == ' ') q++;
        if (q < nl) {
            int c = (int)(q - p);
            if (col < 0) col = c;
            CHECK_MSG(c == col, "column %d, not %d: %.*s", c, col, (int)(nl - p), p);
        }
        p = nl + 1;
    }
    CHECK(col > 0);
    free(buf);
}

static void test_rules_negative_limits(void)
{
    static const char text[] = "temp value > -5\n"
                               "balance value >= -2.5k\n"
                               "offset value < -1e3\n"
                               "delta value == -0\n";
    pmv_rule *rules = NULL;
    char err[400] = "";
    CHECK_MSG(pmv_rules_parse(text, strlen(text), &rules, err, sizeof err) == 0, "%s", err);
    CHECK_EQ_I64(arrlen(rules), 4);
    CHECK_NEAR(rules[0].limit, -5, 0);
    CHECK_NEAR(rules[1].limit, -2500, 0);
    CHECK_NEAR(rules[2].limit, -1000, 0);
    CHECK(pmv_op_holds(rules[0].op, -4, rules[0].limit));
    CHECK(!pmv_op_holds(rules[0].op, -6, rules[0].limit));
    CHECK_STR(rules[0].limit_text, "-5");
    pmv_rules_free(rules);
    /* still refused: a lone sign, a doubled one, a negative baseline factor */
    static const char *const bad[] = { "g value > -\n", "g value > --5\n", "g value > - 5\n",
                                       "g mean < -1.1 * baseline\n", "g mean < baseline * -2\n" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rules = NULL;
        CHECK_MSG(pmv_rules_parse(bad[i], strlen(bad[i]), &rules, err, sizeof err) != 0, "accepted: %s", bad[i]);
        CHECK(rules == NULL);
    }
}

int main(void)
{
    RUN(test_value_spellings_agree);
    RUN(test_positionals_and_dashdash);
    RUN(test_repeat_and_split);
    RUN(test_errors_are_one_line);
    RUN(test_help_comes_from_the_table);
    RUN(test_help_columns_align);
    RUN(test_rules_negative_limits);
    return harness_done();
}
