/* list.c - `perfmon-view list`: every readable segment, one line each */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "cmd/cli.h"
#include "cmd/options.h"
#include "read/find.h"
#include "out/table.h"
#include "base/units.h"

static const char about[] =
    "Lists every perfmon segment in $PERFMON_SHM_DIR (default /dev/shm) that\n"
    "you may read, one line each, sorted by PID (a pid can have several:\n"
    "`stats PID` shows its current one, other copies merged):\n"
    "  PID      writer's process id\n"
    "  PROCESS  process name\n"
    "  STATE    alive, exited (clean pm_shutdown), crashed (gone while running)\n"
    "           exec'd (the image before an exec(); the process runs on) or\n"
    "           ended (a fork child gone by _exit(), its status seen by nobody)\n"
    "  SERIES   metric series registered\n"
    "  THREADS  thread slots in use now / ever used\n"
    "  AGE      time since the process started\n"
    "  DROPPED  records lost whole (see `stats` for why)\n"
    "  NOTE     the file when at a fallback name (perfmon.<pid>.<n>), before\n"
    "           exec(), fork child of <pid>, other pid namespace, copies of\n"
    "           perfmon writing it, writer warnings (see `stats`)\n"
    "Segments that cannot be read get one line each on stderr saying why.\n";
static const char after[] =
    "exit status: 0 ok (even with unreadable segments), 2 usage error\n";

typedef struct entry { uint32_t pid; char *fname; } entry;

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->pid != y->pid) return x->pid < y->pid ? -1 : 1;
    size_t lx = strlen(x->fname), ly = strlen(y->fname);   /* perfmon.P before perfmon.P.2 before .10 */
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->fname, y->fname);
}

/* What else a reader should know about the segment, "" if nothing. */
static void describe(const pmv_snapshot *snap, const char *fname, char *out, size_t len)
{
    out[0] = '\0';
    size_t used = 0;
#define ADD(...) do { if (used < len) used += (size_t)snprintf(out + used, len - used, "%s", used ? ", " : ""); \
                      if (used < len) used += (size_t)snprintf(out + used, len - used, __VA_ARGS__); } while (0)
    if (snap->flags & PM_SHM_FLAG_ALT_NAME || strchr(fname + strlen("perfmon."), '.')) ADD("at %s", fname);
    if (snap->execed) ADD("before exec()");
    if (snap->flags & PM_SHM_FLAG_FORK_CHILD) ADD("fork child of %u", (unsigned)snap->parent_pid);
    if (snap->other_pid_ns) ADD("other pid namespace");
    if (snap->writers > 1) ADD("%u copies of perfmon", (unsigned)snap->writers);
    if (snap->config_errors[0]) ADD("writer warnings");
#undef ADD
}

int pmv_cmd_list(int argc, char **argv)
{
    static const pmv_option opts[] = { { 0 } };
    static const pmv_command cmd = { "list", "", opts, about, after, NULL, 0 };
    pmv_args args;
    int status;
    if (!pmv_parse_options(&cmd, argc, argv, &args, &status)) return status;
    status = args.n ? pmv_command_error(&cmd, "unexpected argument '%s'", args.pos[0]) : PMV_EXIT_OK;
    pmv_args_free(&args);
    if (status != PMV_EXIT_OK) return status;

    const char *dir = pmv_shm_dir();
    DIR *d = opendir(dir);
    if (!d) {
        pmv_error("%s: cannot open directory: %s", dir, strerror(errno));
        return PMV_EXIT_USAGE;
    }
    entry *files = NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        entry e;
        if (!pmv_segment_name_pid(de->d_name, &e.pid)) continue;
        e.fname = strdup(de->d_name);
        if (!e.fname) abort();
        arrput(files, e);
    }
    closedir(d);
    if (arrlen(files)) qsort(files, (size_t)arrlen(files), sizeof *files, cmp_entry);

    static const char *heads[] = { "PID", "PROCESS", "STATE", "SERIES", "THREADS", "AGE", "DROPPED", "NOTE" };
    pmv_table t;
    pmv_table_init(&t, 8, heads, "rllrrrrl");
    for (ptrdiff_t i = 0; i < arrlen(files); i++) {
        char err[512];
        const char *fname = files[i].fname;
        pmv_segment seg;
        pmv_snapshot snap;
        if (pmv_segment_open(dir, fname, &seg, err, sizeof err) != PMV_OK) {
            pmv_error("%s", err);
            continue;
        }
        int rc = pmv_segment_snapshot(&seg, &snap, err, sizeof err);
        pmv_segment_close(&seg);
        if (rc != PMV_OK) {
            pmv_error("%s/%s: %s", dir, fname, err);
            continue;
        }
        pmv_snapshot_classify(&snap);
        char pid_s[16], series_s[32], threads_s[32], age_s[32], dropped_s[32], note[160];
        char pname[PM_SHM_PROCESS_MAX];
        snprintf(pid_s, sizeof pid_s, "%u", (unsigned)files[i].pid);
        snprintf(series_s, sizeof series_s, "%td", arrlen(snap.series));
        snprintf(threads_s, sizeof threads_s, "%u/%u", (unsigned)snap.threads_active, (unsigned)snap.threads_used);
        pmv_fmt_age(pmv_snapshot_age_ns(&snap), age_s, sizeof age_s);
        snprintf(dropped_s, sizeof dropped_s, "%llu", (unsigned long long)snap.dropped);
        describe(&snap, fname, note, sizeof note);
        const char *row[] = { pid_s, pmv_printable(snap.process[0] ? snap.process : "?", pname, sizeof pname),
                              pmv_snapshot_status(&snap), series_s, threads_s, age_s, dropped_s, note };
        pmv_table_add(&t, row);
        if (snap.pid != files[i].pid)
            pmv_error("%s/%s: note: header says pid %u", dir, fname, (unsigned)snap.pid);
        pmv_snapshot_free(&snap);
    }
    pmv_table_print(&t, stdout, pmv_use_bold(stdout));
    pmv_table_free(&t);
    for (ptrdiff_t i = 0; i < arrlen(files); i++) free(files[i].fname);
    arrfree(files);
    return PMV_EXIT_OK;
}
