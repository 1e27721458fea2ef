/* cmd_gc.c - `perfmon-view gc [--dry-run]`: remove segments whose writer is gone */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "find.h"

const char pmv_help_gc[] =
    "usage: perfmon-view gc [--dry-run]\n"
    "\n"
    "Removes the segments in $PERFMON_SHM_DIR (default /dev/shm) whose writer\n"
    "is gone (it no longer holds its lock), printing one line per segment:\n"
    "  removed /dev/shm/perfmon.123 (pid 123, process foo, exited|crashed|exec'd|ended)\n"
    "or \"nothing to remove\". Only regular files named perfmon.<pid> (or the\n"
    "fallback perfmon.<pid>.<n>, n = 1..16) with\n"
    "one link and owned by you are touched; a live segment never is. A segment\n"
    "still being created (state INIT, or shorter than a header) is left alone\n"
    "unless it is more than a minute old. Damaged segments of gone writers\n"
    "are removed too.\n"
    "  -n, --dry-run   print what would be removed, remove nothing\n"
    "\n"
    "exit status: 0 ok, 2 usage error or a removal failed\n";

/* A writer creates its file (O_EXCL) and only then takes its lock, so a
   young file that is unlocked and still INIT may be a writer in between. */
#define PMV_GC_INIT_GRACE_S 60

/* Decides whether the open, unlocked segment may go and describes it. */
static int describe(const pmv_segment *seg, uint32_t pid, char *what, size_t len)
{
    pmv_snapshot snap;
    char err[512];
    int rc = pmv_segment_snapshot(seg, &snap, err, sizeof err);
    if (rc == PMV_OK) {
        char pname[PM_SHM_PROCESS_MAX];
        pmv_snapshot_classify(&snap);
        snprintf(what, len, "pid %u, process %s, %s", (unsigned)pid,
                 pmv_printable(snap.process[0] ? snap.process : "?", pname, sizeof pname),
                 pmv_snapshot_status(&snap));
        pmv_snapshot_free(&snap);
        return 1;
    }
    int young = time(NULL) - seg->st.st_mtime < PMV_GC_INIT_GRACE_S;
    if (rc == PMV_EINIT && young) return 0;
    snprintf(what, len, "pid %u, %s", (unsigned)pid, rc == PMV_EINIT ? "never initialised" : err);
    return 1;
}

int pmv_cmd_gc(int argc, char **argv)
{
    int dry = 0;
    for (int i = 1; i < argc; i++) {
        if (pmv_is_help(argv[i])) {
            fputs(pmv_help_gc, stdout);
            return PMV_EXIT_OK;
        }
        if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-n") == 0) dry = 1;
        else if (argv[i][0] == '-') return pmv_usage_error("gc: unknown option '%s'", argv[i]);
        else return pmv_usage_error("gc: unexpected argument '%s'", argv[i]);
    }
    const char *dir = pmv_shm_dir();
    DIR *d = opendir(dir);
    if (!d) {
        pmv_error("%s: cannot open directory: %s", dir, strerror(errno));
        return PMV_EXIT_USAGE;
    }
    int removed = 0, failed = 0;
    uid_t me = geteuid();
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint32_t pid;
        if (!pmv_segment_name_pid(de->d_name, &pid)) continue;
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
            if (time(NULL) - st.st_mtime < PMV_GC_INIT_GRACE_S) { pmv_segment_close(&seg); continue; }
            snprintf(what, sizeof what, "pid %u, %s", (unsigned)pid, err);
        } else if (rc != PMV_OK) {
            if (rc != PMV_EACCESS) pmv_error("%s: skipped: %s", seg.path, err); /* others' are not ours to judge */
            continue;
        } else if (seg.st.st_uid != me) {
            continue; /* root's gc leaves other users' segments alone */
        } else {
            what[0] = '\0';
        }
        int alive = pmv_segment_alive(&seg);
        if (alive != 0) {
            if (alive < 0) pmv_error("%s: flock: %s", seg.path, strerror(errno));
            pmv_segment_close(&seg);
            continue;
        }
        if (!what[0] && !describe(&seg, pid, what, sizeof what)) {
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
        if (dry) {
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
    if (!removed && !failed) printf("nothing to remove\n");
    return failed ? PMV_EXIT_USAGE : PMV_EXIT_OK;
}
