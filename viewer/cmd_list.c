/* cmd_list.c - `perfmon-view list`: every readable segment, one line each */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "cli.h"
#include "table.h"
#include "units.h"

const char pmv_help_list[] =
    "usage: perfmon-view list\n"
    "\n"
    "Lists every perfmon segment in $PERFMON_SHM_DIR (default /dev/shm) that\n"
    "you may read, one line each, sorted by PID:\n"
    "  PID      writer's process id\n"
    "  PROCESS  process name\n"
    "  STATE    alive, exited (clean pm_shutdown) or crashed (gone while running)\n"
    "  SERIES   metric series registered\n"
    "  THREADS  thread slots in use now / ever used\n"
    "  AGE      time since the process started\n"
    "  DROPPED  records lost whole (see `stats` for why)\n"
    "Segments that cannot be read get one line each on stderr saying why.\n"
    "\n"
    "exit status: 0 ok (even with unreadable segments), 2 usage error\n";

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int pmv_cmd_list(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (pmv_is_help(argv[i])) {
            fputs(pmv_help_list, stdout);
            return PMV_EXIT_OK;
        }
        if (argv[i][0] == '-') return pmv_usage_error("list: unknown option '%s'", argv[i]);
        return pmv_usage_error("list: unexpected argument '%s'", argv[i]);
    }

    const char *dir = pmv_shm_dir();
    DIR *d = opendir(dir);
    if (!d) {
        pmv_error("%s: cannot open directory: %s", dir, strerror(errno));
        return PMV_EXIT_USAGE;
    }
    uint32_t *pids = NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint32_t pid;
        if (pmv_segment_name_pid(de->d_name, &pid)) arrput(pids, pid);
    }
    closedir(d);
    if (arrlen(pids)) qsort(pids, (size_t)arrlen(pids), sizeof *pids, cmp_u32);

    static const char *heads[] = { "PID", "PROCESS", "STATE", "SERIES", "THREADS", "AGE", "DROPPED" };
    pmv_table t;
    pmv_table_init(&t, 7, heads, "rllrrrr");
    for (ptrdiff_t i = 0; i < arrlen(pids); i++) {
        char fname[32], err[512];
        pmv_segment seg;
        pmv_snapshot snap;
        snprintf(fname, sizeof fname, "perfmon.%u", (unsigned)pids[i]);
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
        char pid_s[16], series_s[32], threads_s[32], age_s[32], dropped_s[32];
        snprintf(pid_s, sizeof pid_s, "%u", (unsigned)pids[i]);
        snprintf(series_s, sizeof series_s, "%td", arrlen(snap.series));
        snprintf(threads_s, sizeof threads_s, "%u/%u", (unsigned)snap.threads_active, (unsigned)snap.threads_used);
        pmv_fmt_age(pmv_snapshot_age_ns(&snap), age_s, sizeof age_s);
        snprintf(dropped_s, sizeof dropped_s, "%llu", (unsigned long long)snap.dropped);
        const char *row[] = { pid_s, snap.process[0] ? snap.process : "?", pmv_snapshot_status(&snap),
                              series_s, threads_s, age_s, dropped_s };
        pmv_table_add(&t, row);
        if (snap.pid != pids[i])
            pmv_error("%s/%s: note: header says pid %u", dir, fname, (unsigned)snap.pid);
        pmv_snapshot_free(&snap);
    }
    pmv_table_print(&t, stdout, pmv_use_bold(stdout));
    pmv_table_free(&t);
    arrfree(pids);
    return PMV_EXIT_OK;
}
