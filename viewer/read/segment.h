/* segment.h - open, validate and snapshot one perfmon shared-memory segment

   The segment is untrusted input: another user's program, a buggy writer or
   a crash mid-update can leave anything in it. Everything here copies the
   mapping into plain structs, validating every size, offset, enum and string
   first, so the rest of the viewer never touches shared memory. */
#ifndef PMV_SEGMENT_H
#define PMV_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "perfmon_shm.h"
#include "read/labels.h"
#include "base/hist.h"

enum pmv_result {
    PMV_OK = 0,
    PMV_ENOENT,   /* no such segment */
    PMV_EACCESS,  /* exists but we may not read it (owner, permissions) */
    PMV_EREFUSED, /* not a plain segment file: symlink, hard link, FIFO ... */
    PMV_EDAMAGED, /* header or layout invalid, truncated, SIGBUS */
    PMV_EINIT,    /* writer still initialising it */
    PMV_EIO       /* a system call failed */
};

typedef struct pmv_series {
    uint32_t index;        /* record number in the segment */
    char *name;            /* full name, labels included */
    char *base;            /* name without the label set */
    pmv_label *labels;     /* stb_ds array, decoded */
    char *labels_raw;      /* text between the braces, as written */
    int kind, unit;        /* PM_SHM_KIND_*, PM_SHM_UNIT_* */
    uint64_t slow_ns;
    int64_t gauge;
    /* timers and distributions, summed over thread slots; counters: count */
    uint64_t count, sum, min, max, errors, slow;
    pmv_bin *bins;         /* stb_ds array: summed histogram, non-empty buckets */
    uint64_t hist_total;   /* sum of bins[].n (may differ from count slightly) */
    uint32_t torn_cells;   /* cells whose seqlock never read even: taken as is */
    /* Resets (perfmon_shm.h RESETS): count, sum, errors, slow, bins, min and
       max above are since the last reset; base_* is what it subtracted, so
       the raw figures since start are the sums (pmv_series_raw). */
    uint32_t resets;       /* resets so far; 0: the figures are since start */
    uint64_t reset_ns;     /* CLOCK_REALTIME of the last reset */
    uint64_t base_count, base_sum, base_errors, base_slow;
    pmv_bin *base_bins;    /* stb_ds array, sorted */
    uint64_t all_min, all_max; /* since start (min and max since a reset are estimates) */
} pmv_series;

/* A drop-log entry: a name whose records the writer refused, and why. The
   name is raw bytes from the program: escape it before printing. */
typedef struct pmv_drop_note {
    uint64_t ticket;       /* order the writer noted them in */
    uint32_t reason;       /* PM_SHM_DROP_* */
    uint32_t name_len;     /* the whole name's length (name holds its start) */
    char name[PM_SHM_DROP_NAME_MAX];
} pmv_drop_note;

typedef struct pmv_snapshot {
    char path[512];
    uint32_t pid, uid;      /* as the writer recorded them */
    uint32_t file_uid;      /* owner of the file */
    char process[PM_SHM_PROCESS_MAX];
    char cmdline[PM_SHM_CMDLINE_MAX];
    uint32_t state;         /* PM_SHM_STATE_* */
    int alive;              /* writer holds its flock */
    uint64_t start_realtime_ns, start_monotonic_ns, end_realtime_ns;
    uint32_t clock_kind;
    double ns_per_tick;
    uint64_t dropped, dropped_series_full, dropped_threads_full, dropped_bad_name,
             dropped_kind_mismatch, dropped_no_memory, dropped_hist,
             dropped_unit_mismatch, dropped_negative;
    uint64_t default_slow_ns;
    uint32_t max_series, max_threads;
    uint64_t arena_size, arena_used, total_size;
    uint32_t series_count;  /* records handed out, as read */
    uint32_t threads_used;  /* slots ever claimed */
    uint32_t threads_active;/* slots owned by a live thread now */
    pmv_series *series;     /* stb_ds array of valid, READY series */
    uint32_t series_pending;/* handed out but not READY yet: skipped */
    uint32_t series_damaged;/* invalid records: skipped */
    char damage_first[192]; /* why the first damaged record was skipped */
    uint32_t torn_cells;
    /* writer diagnostics (layout version 2) */
    uint32_t flags;         /* PM_SHM_FLAG_* */
    uint32_t parent_pid;    /* fork children: the parent's pid */
    uint32_t writers;       /* copies of perfmon writing this segment */
    uint64_t heartbeat_realtime_ns, heartbeat_interval_ns;
    uint64_t pid_ns_dev, pid_ns_ino, proc_start_ticks;
    uint64_t overflow_threads;  /* threads that recorded through the shared slot */
    uint32_t end_how, end_code; /* PM_SHM_END_*, as a fork child's parent saw it (untrusted) */
    char config_errors[PM_SHM_CONFIG_ERRORS_MAX]; /* raw bytes, NUL-terminated */
    pmv_drop_note drops[PM_SHM_DROP_NOTES];       /* oldest first */
    uint32_t ndrops;
    /* what the viewer worked out about the writer (find.c) */
    int execed;             /* the image before an exec(): dead, the process lives on */
    int other_pid_ns;       /* the writer's pid namespace is not ours */
    int proc_is_writer;     /* /proc/<pid> is the writer (same namespace, same start) */
    uint32_t copies;        /* segments merged into this one (2+: several perfmon copies) */
} pmv_snapshot;

/* Directory of segments: $PERFMON_SHM_DIR if set (tests), else /dev/shm. */
const char *pmv_shm_dir(void);

/* 1 if name is a segment's file name, "perfmon.<pid>" or the fallback
   "perfmon.<pid>.<n>" (n in 1..PM_SHM_ALT_NAMES): writes the pid. */
int pmv_segment_name_pid(const char *name, uint32_t *pid);

/* An opened, fstat-checked segment file (not yet mapped or validated). */
typedef struct pmv_segment {
    int fd;
    struct stat st;
    char path[512];
} pmv_segment;

/* Opens dir/fname read-only without following symlinks and checks it is a
   regular file with one link, owned by us (root: anyone) and at least a
   header long. On failure returns a pmv_result and one line in err. */
int pmv_segment_open(const char *dir, const char *fname, pmv_segment *seg,
                     char *err, size_t errlen);

/* 1 if the writer still holds its lock, 0 if it is gone, -1 on error. */
int pmv_segment_alive(const pmv_segment *seg);

/* Reads the header (pread), validates it, maps the file up to the arena
   and copies everything into snap (zeroed first); histogram buckets are
   read with pread(). A bad header refuses the whole segment; a bad series
   record is skipped and counted in snap->series_damaged. Only ranges the
   file holds are touched through the mapping (holes read as zeros: a fault
   there would allocate tmpfs pages), so time and memory grow with what the
   writer allocated, not with the capacities claimed. A file truncated
   under us (SIGBUS, or a short read) becomes PMV_EDAMAGED. */
int pmv_segment_snapshot(const pmv_segment *seg, pmv_snapshot *snap,
                         char *err, size_t errlen);

void pmv_segment_close(pmv_segment *seg);

/* open + snapshot + close of PERFMON_SHM_DIR/perfmon.<pid>. */
int pmv_snapshot_pid(uint32_t pid, pmv_snapshot *snap, char *err, size_t errlen);

void pmv_snapshot_free(pmv_snapshot *snap);

/* Frees what one series owns (and zeroes it). */
void pmv_series_free(pmv_series *s);

/* The figures of s since the process started, resets undone: a copy of s
   whose bins are its own (free them with arrfree), resets 0. */
void pmv_series_raw(const pmv_series *s, pmv_series *out);

/* Bins a and b (sorted) added, sorted; a new stb_ds array. */
pmv_bin *pmv_bins_add(const pmv_bin *a, const pmv_bin *b);

/* Orders snap->series by full name (stable, readable output). */
void pmv_snapshot_sort_by_name(pmv_snapshot *snap);

/* "exited" (state EXITED: pm_shutdown ran), else "alive" (writer holds its
   lock), "exec'd" (the image before an exec(): the process lives on as
   another program) or "crashed" (writer gone while RUNNING). */
const char *pmv_snapshot_status(const pmv_snapshot *snap);

/* When a writer that is gone last said it was alive (its heartbeat), else 0. */
uint64_t pmv_snapshot_last_seen_ns(const pmv_snapshot *snap);

/* Wall-clock nanoseconds the process ran: until end_realtime_ns if it
   exited cleanly, until its last heartbeat if it is gone, else until now. */
uint64_t pmv_snapshot_uptime_ns(const pmv_snapshot *snap);

/* CLOCK_REALTIME now, in nanoseconds. */
uint64_t pmv_realtime_ns(void);

/* Wall-clock nanoseconds since the process started (0 if in the future). */
uint64_t pmv_snapshot_age_ns(const pmv_snapshot *snap);

const char *pmv_kind_str(int kind);
/* Unit a series' values are in: timers always hold nanoseconds. */
int pmv_series_unit(const pmv_series *s);
const char *pmv_unit_str(int unit); /* "ns", "bytes" or "" */

#endif
