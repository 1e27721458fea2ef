/* find.c - the segment files of a pid, which of them a reader means, and
   what /proc says about their writer

   A pid can have several: perfmon.<pid> and the fallbacks perfmon.<pid>.<n>
   (the writer takes one when the first name is taken: a planted file, the
   image before an exec(), a second copy of perfmon in the process). The
   current image's segment is the one shown; copies of the same image are
   read together (merge.c); the rest are named in a note. */
#include "read/find.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_ds.h>

#include "read/merge.h"
#include "read/procstat.h"

#define CANDIDATES (PM_SHM_ALT_NAMES + 1u)

static void file_name(uint32_t pid, unsigned n, char *out, size_t len)
{
    if (n == 0) snprintf(out, len, "perfmon.%u", (unsigned)pid);
    else snprintf(out, len, "perfmon.%u.%u", (unsigned)pid, n);
}

void pmv_snapshot_classify(pmv_snapshot *snap)
{
    struct stat st;
    snap->other_pid_ns = 0;
    if (snap->pid_ns_ino && stat("/proc/self/ns/pid", &st) == 0)
        snap->other_pid_ns = (uint64_t)st.st_ino != snap->pid_ns_ino || (uint64_t)st.st_dev != snap->pid_ns_dev;
    /* /proc/<pid> is the writer only in its own pid namespace, and only if
       the process there started when the writer did (pids are reused) */
    uint64_t ticks = snap->other_pid_ns ? 0 : pmv_proc_start_ticks((int)snap->pid);
    snap->proc_is_writer = ticks != 0 && (snap->proc_start_ticks == 0 || ticks == snap->proc_start_ticks);
    /* gone while the process it belonged to lives on: it called exec() */
    snap->execed = !snap->alive && snap->state == PM_SHM_STATE_RUNNING && snap->proc_start_ticks &&
                   ticks == snap->proc_start_ticks;
    if (snap->flags & PM_SHM_FLAG_EXECED) snap->execed = 1;
    if (snap->execed) snap->proc_is_writer = 0;   /* /proc shows the new program */
    if (!snap->copies) snap->copies = 1;
}

/* How much a reader asking for the pid means this segment: the live
   current image first, then the newest. */
static int rank(const pmv_snapshot *s)
{
    if (s->execed) return 0;
    if (s->alive && s->state == PM_SHM_STATE_RUNNING) return 3;
    if (s->alive) return 2;       /* pm_shutdown() ran; the program runs on */
    return 1;
}

static int same_image(const pmv_snapshot *a, const pmv_snapshot *b);

/* a is a later file name than b: among copies of one image the first
   name stays the primary (the one followed over time), else the newest. */
static int better(const pmv_snapshot *a, const pmv_snapshot *b)
{
    if (rank(a) != rank(b)) return rank(a) > rank(b);
    if (same_image(a, b)) return 0;
    return a->start_realtime_ns > b->start_realtime_ns;
}

/* Two segments of one image (copies of perfmon in one process). */
static int same_image(const pmv_snapshot *a, const pmv_snapshot *b)
{
    return !a->execed && !b->execed && a->proc_start_ticks && a->proc_start_ticks == b->proc_start_ticks &&
           a->pid_ns_ino == b->pid_ns_ino && a->pid_ns_dev == b->pid_ns_dev;
}

typedef struct found {
    pmv_snapshot snap[CANDIDATES];
    unsigned n[CANDIDATES];
    dev_t dev[CANDIDATES];       /* the file read, to remove that one only */
    ino_t ino[CANDIDATES];
    unsigned count;
    int best;                    /* index into snap, -1 none */
    char skipped[CANDIDATES][700];  /* why the files not read were refused */
    unsigned nskipped;
} found;

static void found_free(found *f)
{
    for (unsigned i = 0; i < f->count; i++) pmv_snapshot_free(&f->snap[i]);
    f->count = 0;
}

/* Whose segment a reader accepts (gate's command: no other user's, no
   other process's that reused the pid); NULL: anyone's. */
typedef struct owner_filter {
    uid_t uid;
    uint64_t start_ticks;        /* the process's /proc start time; 0 unknown */
} owner_filter;

/* Reads every segment file of pid. notes: print a line on stderr for each
   file that was refused. Returns PMV_OK with f->best set, or the error of
   the first name (the one a user expects) with err set. */
static int find_all(uint32_t pid, found *f, int notes, const owner_filter *want, char *err, size_t errlen)
{
    int first_rc = PMV_ENOENT;
    char first_err[700] = "";
    memset(f, 0, sizeof *f);
    f->best = -1;
    for (unsigned n = 0; n < CANDIDATES; n++) {
        char fname[48], e[700];
        pmv_segment seg;
        file_name(pid, n, fname, sizeof fname);
        int rc = pmv_segment_open(pmv_shm_dir(), fname, &seg, e, sizeof e);
        if (rc == PMV_OK) {
            pmv_snapshot *s = &f->snap[f->count];
            rc = pmv_segment_snapshot(&seg, s, e, sizeof e);
            if (rc == PMV_OK && s->pid != pid) {
                snprintf(e, sizeof e, "%s says it is pid %u's: ignored", seg.path, (unsigned)s->pid);
                pmv_snapshot_free(s);
                rc = PMV_EDAMAGED;
            }
            if (rc == PMV_OK && want && seg.st.st_uid != want->uid) {
                snprintf(e, sizeof e, "%s belongs to uid %u, not to the command's uid %u: ignored", seg.path,
                         (unsigned)seg.st.st_uid, (unsigned)want->uid);
                pmv_snapshot_free(s);
                rc = PMV_EDAMAGED;
            } else if (rc == PMV_OK && want && want->start_ticks && s->proc_start_ticks != want->start_ticks) {
                snprintf(e, sizeof e, "%s is not the command's (another process with pid %u wrote it): ignored",
                         seg.path, (unsigned)pid);
                pmv_snapshot_free(s);
                rc = PMV_EDAMAGED;
            }
            if (rc == PMV_OK && notes && !want && geteuid() == 0 && seg.st.st_uid != 0) {
                /* root reads anyone's segment, but should know whose it is */
                struct passwd *pw = getpwuid(seg.st.st_uid);
                fprintf(stderr, "perfmon-view: note: %s belongs to uid %u%s%s%s\n", seg.path,
                        (unsigned)seg.st.st_uid, pw ? " (" : "", pw ? pw->pw_name : "", pw ? ")" : "");
            }
            pmv_segment_close(&seg);
            if (rc == PMV_OK) {
                pmv_snapshot_classify(s);
                f->n[f->count] = n;
                f->dev[f->count] = seg.st.st_dev;
                f->ino[f->count] = seg.st.st_ino;
                if (f->best < 0 || better(s, &f->snap[f->best])) f->best = (int)f->count;
                f->count++;
                continue;
            }
        }
        if (rc == PMV_ENOENT) continue;
        if (first_rc == PMV_ENOENT) {
            first_rc = rc;
            snprintf(first_err, sizeof first_err, "%s", e);
        }
        if (f->nskipped < CANDIDATES) snprintf(f->skipped[f->nskipped++], sizeof f->skipped[0], "%s", e);
    }
    if (f->best >= 0) {
        /* what was passed over, when something else was read */
        for (unsigned i = 0; notes && i < f->nskipped; i++) fprintf(stderr, "perfmon-view: note: %s\n", f->skipped[i]);
        return PMV_OK;
    }
    if (first_rc == PMV_ENOENT) {
        /* the message a user knows: the first name */
        pmv_segment seg;
        char fname[48];
        file_name(pid, 0, fname, sizeof fname);
        first_rc = pmv_segment_open(pmv_shm_dir(), fname, &seg, first_err, sizeof first_err);
        if (first_rc == PMV_OK) {   /* appeared meanwhile */
            pmv_segment_close(&seg);
            first_rc = PMV_EINIT;
            snprintf(first_err, sizeof first_err, "segment %s/%s appeared while being looked for; try again",
                     pmv_shm_dir(), fname);
        }
    }
    snprintf(err, errlen, "%s", first_err);
    return first_rc;
}

static const char *why_apart(const pmv_snapshot *s)
{
    if (s->execed) return "the image before exec()";
    if (s->alive) return "another live writer";
    return pmv_snapshot_status(s);
}

/* Removes the files find_all read (each only if its name still is that file). */
static void remove_found(uint32_t pid, const found *f)
{
    for (unsigned i = 0; i < f->count; i++) {
        char fname[48], path[600];
        struct stat st;
        file_name(pid, f->n[i], fname, sizeof fname);
        snprintf(path, sizeof path, "%s/%s", pmv_shm_dir(), fname);
        if (lstat(path, &st) == 0 && st.st_dev == f->dev[i] && st.st_ino == f->ino[i]) unlink(path);
    }
}

static int snapshot_found(uint32_t pid, const owner_filter *want, int remove, pmv_snapshot *snap,
                          char *err, size_t errlen);

int pmv_snapshot_pid(uint32_t pid, pmv_snapshot *snap, char *err, size_t errlen)
{
    return snapshot_found(pid, NULL, 0, snap, err, errlen);
}

int pmv_snapshot_child(uint32_t pid, uid_t uid, uint64_t start_ticks, int remove, pmv_snapshot *snap,
                       char *err, size_t errlen)
{
    owner_filter want = { uid, start_ticks };
    return snapshot_found(pid, &want, remove, snap, err, errlen);
}

static int snapshot_found(uint32_t pid, const owner_filter *want, int remove, pmv_snapshot *snap,
                          char *err, size_t errlen)
{
    found f;
    memset(snap, 0, sizeof *snap);
    int rc = find_all(pid, &f, 1, want, err, errlen);
    if (rc != PMV_OK) return rc;
    if (remove) remove_found(pid, &f);
    *snap = f.snap[f.best];
    memset(&f.snap[f.best], 0, sizeof f.snap[f.best]);
    for (unsigned i = 0; i < f.count; i++) {
        if ((int)i == f.best) continue;
        pmv_snapshot *o = &f.snap[i];
        if (same_image(snap, o) && snap->copies < PMV_MERGE_MAX) {
            pmv_snapshot_merge(snap, o);
            continue;
        }
        fprintf(stderr, "perfmon-view: note: pid %u also has %s (%s, %td series), not shown\n",
                (unsigned)pid, o->path, why_apart(o), arrlen(o->series));
    }
    found_free(&f);
    return PMV_OK;
}

int pmv_segment_open_pid(uint32_t pid, pmv_segment *seg, char *err, size_t errlen)
{
    found f;
    int rc = find_all(pid, &f, 0, NULL, err, errlen);
    if (rc != PMV_OK) return rc;
    char fname[48];
    file_name(pid, f.n[f.best], fname, sizeof fname);
    found_free(&f);
    return pmv_segment_open(pmv_shm_dir(), fname, seg, err, errlen);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

uint32_t *pmv_segment_pids(void)
{
    DIR *d = opendir(pmv_shm_dir());
    if (!d) return NULL;
    uint32_t *pids = NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint32_t pid;
        if (pmv_segment_name_pid(de->d_name, &pid)) arrput(pids, pid);
    }
    closedir(d);
    if (arrlen(pids) > 1) qsort(pids, (size_t)arrlen(pids), sizeof *pids, cmp_u32);
    ptrdiff_t n = 0;
    for (ptrdiff_t i = 0; i < arrlen(pids); i++)
        if (n == 0 || pids[n - 1] != pids[i]) pids[n++] = pids[i];
    if (pids) arrsetlen(pids, n);
    return pids;
}
