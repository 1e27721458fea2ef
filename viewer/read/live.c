/* live.c - successive snapshots of one segment, with /proc samples */
#include "read/live.h"

#include "read/find.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Snapshot from the held fd, stamped with the middle of the read. */
static int take(pmv_live *L, pmv_snapshot *snap, double *t, char *err, size_t errlen)
{
    double t0 = pmv_mono_s();
    int rc = pmv_segment_snapshot(&L->seg, snap, err, errlen);
    for (int tries = 0; rc == PMV_EINIT && tries < 50; tries++) {
        struct timespec nap = { 0, 20000000 };
        nanosleep(&nap, NULL);
        t0 = pmv_mono_s();
        rc = pmv_segment_snapshot(&L->seg, snap, err, errlen);
    }
    *t = (t0 + pmv_mono_s()) / 2;
    if (rc == PMV_OK) pmv_snapshot_classify(snap);
    return rc;
}

/* /proc/<pid> only when it is the writer (not a reused pid, not another
   pid namespace's process, not the program exec() replaced it with);
   pid -1 samples as "unknown". */
static void sample_proc(pmv_live *L)
{
    pmv_proc_sample(L->cur.proc_is_writer ? (int)L->pid : -1, &L->proc_cur);
}

static int target_gone(const pmv_snapshot *s)
{
    return !s->alive || s->state == PM_SHM_STATE_EXITED;
}

int pmv_live_open(pmv_live *L, uint32_t pid, char *err, size_t errlen)
{
    memset(L, 0, sizeof *L);
    L->seg.fd = -1;
    L->pid = pid;
    int rc = pmv_segment_open_pid(pid, &L->seg, err, errlen);
    if (rc != PMV_OK) return rc;
    rc = take(L, &L->cur, &L->t_cur, err, errlen);
    if (rc != PMV_OK) {
        pmv_segment_close(&L->seg);
        return rc;
    }
    sample_proc(L);
    L->ended = target_gone(&L->cur);
    return PMV_OK;
}

/* 1 if the path still names the file we hold. */
static int path_is_ours(const pmv_live *L)
{
    struct stat st;
    if (lstat(L->seg.path, &st) != 0) return 0;
    return st.st_dev == L->seg.st.st_dev && st.st_ino == L->seg.st.st_ino;
}

int pmv_live_step(pmv_live *L, char *err, size_t errlen)
{
    if (L->ended) return PMV_OK;
    pmv_snapshot next;
    double t;
    int rc = take(L, &next, &t, err, errlen);
    if (rc != PMV_OK) return rc;
    if (!target_gone(&next) && !path_is_ours(L)) {
        /* the writer still holds the lock but the name is gone (or names
           another file): someone removed the segment under it */
        pmv_snapshot_free(&next);
        L->vanished = 1;
        snprintf(err, errlen, "segment %s was removed while pid %u still runs", L->seg.path,
                 (unsigned)L->pid);
        return PMV_ENOENT;
    }
    if (L->have_prev) pmv_snapshot_free(&L->prev);
    L->prev = L->cur;
    L->t_prev = L->t_cur;
    L->cur = next;
    L->t_cur = t;
    L->have_prev = 1;
    L->proc_prev = L->proc_cur;
    L->have_proc_prev = 1;
    sample_proc(L);
    if (target_gone(&next)) L->ended = 1;
    return PMV_OK;
}

double pmv_live_window_s(const pmv_live *L)
{
    return L->have_prev ? L->t_cur - L->t_prev : 0;
}

void pmv_live_close(pmv_live *L)
{
    if (L->have_prev) pmv_snapshot_free(&L->prev);
    pmv_snapshot_free(&L->cur);
    if (L->seg.fd >= 0) pmv_segment_close(&L->seg);
    L->have_prev = 0;
}
