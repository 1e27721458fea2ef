/* gc.c - `perfmon-view gc`: remove segments whose writer is gone */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <stb_ds.h>

#include "cmd/cli.h"
#include "cmd/options.h"
#include "read/find.h"

static const char about[] =
    "Removes the segments in $PERFMON_SHM_DIR (default /dev/shm) whose writer\n"
    "is gone (it no longer holds its lock), printing one line per segment:\n"
    "  removed /dev/shm/perfmon.123 (pid 123, process foo, crashed|exec'd|ended|exited)\n"
    "or \"nothing to remove\". Only regular files named perfmon.<pid> (or the\n"
    "fallback perfmon.<pid>.<n>, n = 1..16) with one link and owned by you are\n"
    "touched; a live segment never is: gc holds the segment's lock from its\n"
    "check to the unlink, so a new process reusing the pid cannot lose its own.\n"
    "Segments of writers that exited cleanly (kept on purpose with\n"
    "PERFMON_KEEP=1) stay unless --exited. A segment still being created\n"
    "(state INIT, or shorter than a header) is left alone unless it is more\n"
    "than a minute old. Damaged segments of gone writers are removed too.\n";
static const char after[] =
    "exit status: 0 ok, 2 usage error or a removal failed\n";

/* A writer creates its file (O_EXCL) and only then takes its lock, so a
   young file that is unlocked and still INIT may be a writer in between. */
#define PMV_GC_INIT_GRACE_S 60

typedef struct gc_opts {
    int dry, exited;
    double older_than;      /* seconds; < 0: any age */
    uint32_t *pids;         /* stb_ds array; empty: every pid */
} gc_opts;

/* When the segment's writer was last known alive, in CLOCK_REALTIME ns. */
static uint64_t gone_since_ns(const pmv_segment *seg, const pmv_snapshot *snap)
{
    if (snap && snap->state == PM_SHM_STATE_EXITED && snap->end_realtime_ns) return snap->end_realtime_ns;
    if (snap && snap->heartbeat_realtime_ns > snap->start_realtime_ns) return snap->heartbeat_realtime_ns;
    return (uint64_t)seg->st.st_mtim.tv_sec * 1000000000u + (uint64_t)seg->st.st_mtim.tv_nsec;
}

static int old_enough(const gc_opts *o, uint64_t since_ns)
{
    if (o->older_than < 0) return 1;
    uint64_t now = pmv_realtime_ns();
    return now > since_ns && (double)(now - since_ns) / 1e9 > o->older_than;
}

/* Decides whether the open, locked segment may go and describes it. */
static int describe(const pmv_segment *seg, uint32_t pid, const gc_opts *o, char *what, size_t len)
{
    pmv_snapshot snap;
    char err[512];
    int rc = pmv_segment_snapshot(seg, &snap, err, sizeof err);
    if (rc == PMV_OK) {
        char pname[PM_SHM_PROCESS_MAX];
        pmv_snapshot_classify(&snap);
        int go = (o->exited || snap.state != PM_SHM_STATE_EXITED) && old_enough(o, gone_since_ns(seg, &snap));
        snprintf(what, len, "pid %u, process %s, %s", (unsigned)pid,
                 pmv_printable(snap.process[0] ? snap.process : "?", pname, sizeof pname),
                 pmv_snapshot_status(&snap));
        pmv_snapshot_free(&snap);
        return go;
    }
    int young = time(NULL) - seg->st.st_mtime < PMV_GC_INIT_GRACE_S;
    if (rc == PMV_EINIT && young) return 0;
    snprintf(what, len, "pid %u, %s", (unsigned)pid, rc == PMV_EINIT ? "never initialised" : err);
    return old_enough(o, gone_since_ns(seg, NULL));
}

static int pid_wanted(const gc_opts *o, uint32_t pid)
{
    if (arrlen(o->pids) == 0) return 1;
    for (ptrdiff_t i = 0; i < arrlen(o->pids); i++)
        if (o->pids[i] == pid) return 1;
    return 0;
}

int pmv_cmd_gc(int argc, char **argv)
{
    gc_opts o = { 0, 0, -1, NULL };
    const pmv_option opts[] = {
        { PMV_OPT('n', "dry-run", PMV_OPT_FLAG, &o.dry, NULL, "print what would be removed, remove nothing") },
        { PMV_OPT('p', "pid", PMV_OPT_PID, &o.pids, "PID", "only this pid's segments (repeatable)"), .repeat = 1 },
        { PMV_OPT(0, "older-than", PMV_OPT_DURATION, &o.older_than, "AGE",
          "only writers gone longer than AGE: 90, 90s, 15m, 2h,\n7d (from their end time, else last "
          "heartbeat, else\nthe file's modification time)"), .min = 0, .max = 1e9, .example = "90, 90s, 15m, 2h, 7d" },
        { PMV_OPT(0, "exited", PMV_OPT_FLAG, &o.exited, NULL, "also remove segments of writers that exited cleanly") },
        { 0 }
    };
    const pmv_command cmd = { "gc", "", opts, about, after, NULL, 0 };
    pmv_args args;
    int status;
    if (!pmv_parse_options(&cmd, argc, argv, &args, &status)) return status;
    status = args.n ? pmv_command_error(&cmd, "unexpected argument '%s'", args.pos[0]) : PMV_EXIT_OK;
    pmv_args_free(&args);
    if (status != PMV_EXIT_OK) {
        arrfree(o.pids);
        return status;
    }
    const char *dir = pmv_shm_dir();
    DIR *d = opendir(dir);
    if (!d) {
        pmv_error("%s: cannot open directory: %s", dir, strerror(errno));
        arrfree(o.pids);
        return PMV_EXIT_USAGE;
    }
    int removed = 0, failed = 0;
    uid_t me = geteuid();
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint32_t pid;
        if (!pmv_segment_name_pid(de->d_name, &pid) || !pid_wanted(&o, pid)) continue;
        char err[512], what[640];
        pmv_segment seg;
        int rc = pmv_segment_open(dir, de->d_name, &seg, err, sizeof err);
        if (rc == PMV_EDAMAGED && seg.fd < 0) {
            /* too short for a header: reopen just to test the lock */
            struct stat st;
            int fd = open(seg.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
            if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != me) {
                if (fd >= 0) close(fd);
                pmv_error("%s: skipped: %s", seg.path, err);
                continue;
            }
            seg.fd = fd;
            seg.st = st;
            if (time(NULL) - st.st_mtime < PMV_GC_INIT_GRACE_S || !old_enough(&o, gone_since_ns(&seg, NULL))) {
                pmv_segment_close(&seg);
                continue;
            }
            snprintf(what, sizeof what, "pid %u, %s", (unsigned)pid, err);
        } else if (rc != PMV_OK) {
            if (rc != PMV_EACCESS) pmv_error("%s: skipped: %s", seg.path, err); /* others' are not ours to judge */
            continue;
        } else if (seg.st.st_uid != me) {
            continue; /* root's gc leaves other users' segments alone */
        } else {
            what[0] = '\0';
        }
        /* The lock is held from here to the unlink (close releases it): a
           writer reusing the pid must lock a dead segment before it replaces
           it, so the name cannot change hands in between. */
        if (flock(seg.fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK) pmv_error("%s: flock: %s", seg.path, strerror(errno));
            pmv_segment_close(&seg);
            continue;
        }
        if (!what[0] && !describe(&seg, pid, &o, what, sizeof what)) {
            pmv_segment_close(&seg);
            continue;
        }
        /* unlink only the file we judged: if the name now points to another
           (a new process reusing the pid), leave it */
        struct stat now;
        if (lstat(seg.path, &now) != 0 || now.st_ino != seg.st.st_ino || now.st_dev != seg.st.st_dev) {
            pmv_segment_close(&seg);
            continue;
        }
        if (o.dry) {
            printf("would remove %s (%s)\n", seg.path, what);
            removed++;
        } else if (unlink(seg.path) == 0) {
            printf("removed %s (%s)\n", seg.path, what);
            removed++;
        } else {
            pmv_error("%s: cannot remove: %s", seg.path, strerror(errno));
            failed++;
        }
        pmv_segment_close(&seg);
    }
    closedir(d);
    arrfree(o.pids);
    if (!removed && !failed) printf("nothing to remove\n");
    return failed ? PMV_EXIT_USAGE : PMV_EXIT_OK;
}
