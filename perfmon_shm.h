/* perfmon_shm.h - perfmon shared-memory segment layout, ABI version 3 - MIT license

   This file is the whole contract between a process that writes metrics
   (perfmon.h) and any program that reads them (perfmon-view, or a reader
   written in another language). It holds types, sizes, offsets and the
   histogram bucket mapping, and nothing else. A reader can be written from
   these comments alone.

   WHERE A SEGMENT LIVES
     One segment per process: POSIX shared memory object "/perfmon.<pid>",
     i.e. the file /dev/shm/perfmon.<pid> on Linux, mode 0600, created with
     O_CREAT|O_EXCL|O_NOFOLLOW by the process it describes. When that name is
     taken (a file someone else planted, a live writer of another pid
     namespace sharing /dev/shm, the segment of this process before it called
     exec()), the writer uses "/perfmon.<pid>.<n>", n = 1..PM_SHM_ALT_NAMES,
     and sets PM_SHM_FLAG_ALT_NAME: a reader looking for pid P reads every
     perfmon.P and perfmon.P.<n>, and checks each header's pid. /dev/shm is
     world-writable: a reader (and the writer) opens with O_NONBLOCK|O_NOFOLLOW
     and uses only a regular file with one link whose owner it trusts.

   LIVENESS
     The writer holds flock(LOCK_EX) on the segment's file for its whole life.
     A reader that can take flock(LOCK_SH|LOCK_NB) knows the writer is gone
     (exited, crashed or killed); EWOULDBLOCK means it still runs. PIDs are
     never trusted for this: they are reused. The writer takes the lock just
     after creating the file, so cleanup tools must leave alone, for a while,
     an unlocked file still in state INIT or shorter than a header.
     state EXITED with the lock still held means the program called
     pm_shutdown() and runs on without recording. The file's owner, not the
     header's uid, says whose segment it is (the header's uid is the real
     uid, which differs in setuid programs).

   BYTE ORDER AND TYPES
     All integers are the writer's native byte order; `byte_order` holds
     PM_SHM_BYTE_ORDER_MARK as written natively, so a reader on another
     byte order sees 0x04030201 and must refuse (or swap). Every field is a
     fixed-width unsigned integer, naturally aligned; `ns_per_tick` is an
     IEEE-754 binary64. There are no pointers: every location is a byte
     offset from the start of the segment.

   THE REGIONS, in this order, each starting at the offset in the header:
     header    struct pm_shm_header, PM_SHM_HEADER_SIZE bytes
     hash      hash_capacity x uint32_t  (writer's name index; readers may ignore)
     threads   (max_threads + 1) x struct pm_shm_thread; the last is the shared slot
     series    max_series  x struct pm_shm_series
     cells     (max_threads + 1) x max_series x struct pm_shm_cell
               cell of (thread slot t, series i) is at
               cells_off + ((uint64_t)t * max_series + i) * PM_SHM_CELL_SIZE;
               row max_threads belongs to the shared slot
     arena     arena_size bytes; histograms are carved from it, each
               PM_SHM_HIST_BUCKETS x uint64_t, 64-byte aligned
   pm_shm_layout() below computes every offset from the capacities; a reader
   must check that the header's offsets equal what it computes and that
   total_size equals both the computed size and the file's size.

   SERIES
     Series are a dense array. series_count (atomic) says how many records
     have been handed out; a record is valid only once its `state` reads
     PM_SHM_SERIES_READY (load-acquire). Its name and kind never change after
     that; `unit` may be set later (a distribution declared after first use).
     A record left CLAIMED (writer killed while registering) stays invalid.
     The name is the full series name including an optional Prometheus-style
     label set: http.request{method="GET",route="/users"}. perfmon.h only
     registers names whose base is [A-Za-z0-9_.:/-]+ and whose labels are
     key="value" pairs (keys [A-Za-z_][A-Za-z0-9_]*, values escaping \" \\
     and \n) separated by commas; a reader must still cope with any bytes.
     Timers always hold nanoseconds, whatever `unit` says.

   CELLS AND CONSISTENT READS
     Every (thread slot, series) pair has its own cell with exactly one
     writer, the thread that owns the slot. Cells are cumulative since the
     process started; when a thread exits its slot (and the counts in it)
     passes to the next new thread, so a reader sums a series' cells over all
     slots in [0, threads_used), plus the shared slot (row max_threads), to
     get the process total.
     THE SHARED SLOT: threads beyond max_threads all record into row
     max_threads with atomic read-modify-writes (overflow_threads counts
     them). Its cells have many writers, so `seq` stays 0 there: read the
     fields as they are; count, the bucket total and sum may disagree by the
     records in flight at that instant. min/max are exact (CAS).
     - counter:  `count` is the counter's value. Always read atomically
                 (one aligned 64-bit load); `seq` is not used.
     - gauge:    the value lives in the series record (`gauge`, two's
                 complement int64), not in cells.
     - timer and distribution: count, sum, min, max, errors, slow and the
                 histogram are updated inside a seqlock: the writer makes
                 `seq` odd, writes, then makes it even (release). A reader
                 loads seq (acquire), copies the fields, loads seq again and
                 retries if it was odd or changed. Retries must be bounded: a
                 writer killed mid-update leaves seq odd forever; after the
                 bound, take the values as they are (off by at most one
                 record per slot).
     min and max are meaningful only when count > 0. Timer values are
     nanoseconds; distribution values are in the series' unit.

   HISTOGRAMS
     A cell's `hist_off` is 0 when the cell has no histogram yet,
     PM_SHM_HIST_NONE when one could not be allocated (arena full; those
     records still count in count/sum/min/max, and in dropped_hist), else
     the offset (from the segment's start, 64-byte aligned) of
     PM_SHM_HIST_BUCKETS uint64_t bucket counts, inside the arena and below
     arena_off + arena_used. Bucket i counts values v with
     pm_shm_hist_index(v) == i: log-linear, 64 sub-buckets per power of two,
     exact below 128, relative width at most 1/64 above. An estimate inside
     a bucket should stay within its bounds (lower .. lower + width - 1):
     the midpoint is then within 0.8% of any value the bucket holds, while
     interpolating toward an edge can be off by up to 1.6%.
     Values >= 2^48 fall in the last bucket. Bucket counts are updated inside
     the cell's seqlock: a reader that wants them to agree with `count` copies
     the buckets between pm_shm_hist_index(min) and pm_shm_hist_index(max)
     inside the same seqlock read (copied outside it, they drift from count
     by however many records the writer made meanwhile).

   RESETS
     pm_reset() / pm_reset_series() make every reader show figures since
     the reset, without touching the cells (each has one writer, and the
     record path takes no lock). The resetting thread takes the series'
     reset_seq from even to odd (compare-and-swap: resets of one series
     are serialised, across copies of the implementation too), sums the
     cells as a reader would and stores those sums in the reset block:
     base_count/sum/errors/slow, and for timers and distributions the
     summed buckets in a histogram of its own carved from the arena
     (base_hist_off; PM_SHM_HIST_NONE when the arena had none, and then no
     reset happens), then reset_realtime_ns, then makes reset_seq even
     again (release). Gauges are levels, not totals: a reset leaves them.
     A reader loads reset_seq (acquire; while it is odd, retry, bounded:
     a writer killed mid-reset leaves it odd), copies the block, THEN reads
     the cells, and subtracts: cells only grow, so every figure read after
     the block is at least the block's. Since-reset figures are
     count - base_count, sum - base_sum (modulo 2^64), errors, slow, and
     bucket by bucket the histogram. The cells' min and max stay all-time:
     since a reset, min and max are the edges of the lowest and highest
     non-empty since-reset bucket, kept inside the all-time min and max
     (exact below 128, else within the bucket width, 1/64). reset_seq / 2
     counts resets: a reader comparing two snapshots of one segment sees a
     reset there, and gets the exact figures between them from the raw
     sums (cells without subtracting), which never go backwards.

   DROPPED RECORDS
     Anything the writer could not record is counted, never silently lost:
     `dropped` counts records lost whole (no series or thread slot could be
     had); the dropped_* fields say why. dropped_hist counts records whose
     count/sum/min/max were kept but whose histogram bucket was not.
     The drop log keeps the last few distinct names that were refused: the
     writer takes ticket t = drop_log_head++ and fills drop_log[t % N] inside
     that note's own seqlock (a writer that finds it odd skips the note). A
     reader copies a note between two loads of `seq` (even, unchanged, not
     0) and sorts by ticket. The name is raw bytes the program passed: escape
     it before printing.

   WRITER DIAGNOSTICS
     config_errors: one line per PERFMON_* variable or pm_config field the
     writer could not use, e.g. "PERFMON_MAX_SERIES=abc: not a number (1024
     used)"; "" when none. heartbeat_realtime_ns is renewed every
     heartbeat_interval_ns by a writer's thread while it runs: once the
     writer is gone (flock free) it says roughly when it died.
     pid_ns_dev/pid_ns_ino identify the writer's pid namespace: a reader in
     another one must not take /proc/<pid> for the writer. proc_start_ticks
     (field 22 of /proc/<pid>/stat) tells a reused pid from the writer, and
     stays the same across exec(): a dead segment whose pid is alive with the
     same start ticks belongs to an image that called exec().
     PM_SHM_FLAG_FORK_CHILD marks a fork() child's segment (parent_pid).

   FORK CHILDREN
     A child that ends with _exit() (every forking server does) runs no
     atexit handler, so its segment would read as crashed. When a fork child
     creates its segment it puts its pid in a free entry of the parent's
     `children` (compare-and-swap 0 -> pid; all full: nobody will look).
     The parent's writer takes entries (swap -> 0) and, once the child's
     lock is free, writes end_how/end_code into the child's segment from
     waitid(WNOWAIT) (which leaves the exit status to the program): an exit
     sets state EXITED and end_realtime_ns; a signal leaves the segment as
     a crash; a child the program already reaped is PM_SHM_END_UNSEEN. Then
     it removes the segment unless PERFMON_KEEP is set or it was a crash.
     `writers` counts copies of the implementation in the process that
     write this segment (a shared library and the executable, say).

   VERSIONING
     `version` changes whenever any layout in this file changes. A reader
     refuses versions it does not know. Version 2 added the shared slot, the
     drop log, config_errors, the heartbeat, pid namespace, flags and two
     drop reasons, and grew the header to 2048 bytes. Version 3 added the
     series' reset block, growing a series record from 256 to 320 bytes. */
#ifndef PERFMON_SHM_H
#define PERFMON_SHM_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PM_SHM_MAGIC            "PERFMON\0"   /* 8 bytes, including the NUL */
#define PM_SHM_VERSION          3u
#define PM_SHM_BYTE_ORDER_MARK  0x01020304u
#define PM_SHM_NAME_PREFIX      "/perfmon."   /* shm_open name: prefix + decimal pid [+ "." + n] */
#define PM_SHM_DIR              "/dev/shm"    /* where Linux keeps those objects */
#define PM_SHM_CHILD_NOTES      12u           /* header.children entries */

#define PM_SHM_HEADER_SIZE      2048u
#define PM_SHM_SERIES_SIZE      320u
#define PM_SHM_THREAD_SIZE      64u
#define PM_SHM_CELL_SIZE        64u
#define PM_SHM_NAME_MAX         184u  /* bytes for the name, NUL included */
#define PM_SHM_PROCESS_MAX      64u   /* bytes for the process name, NUL included */
#define PM_SHM_CMDLINE_MAX      192u  /* bytes for the command line, NUL included */
#define PM_SHM_CONFIG_ERRORS_MAX 384u /* bytes for the configuration error text */
#define PM_SHM_DROP_NOTES       8u    /* entries of the drop log */
#define PM_SHM_DROP_NAME_MAX    104u  /* bytes of a name kept in a drop note, NUL included */
#define PM_SHM_ALT_NAMES        16u   /* fallback names perfmon.<pid>.1 .. .16 */

/* Capacity bounds a reader should enforce before trusting a header. */
#define PM_SHM_MAX_SERIES_LIMIT  (1u << 20)
#define PM_SHM_MAX_THREADS_LIMIT 4096u

/* Histogram shape: 2^SUB_BITS sub-buckets per power of two. */
#define PM_SHM_HIST_SUB_BITS    6u
#define PM_SHM_HIST_SUB_COUNT   (1u << PM_SHM_HIST_SUB_BITS)
#define PM_SHM_HIST_MAX_EXP     47u   /* largest exponent with its own buckets */
#define PM_SHM_HIST_BUCKETS     ((PM_SHM_HIST_MAX_EXP - PM_SHM_HIST_SUB_BITS + 2u) * PM_SHM_HIST_SUB_COUNT)
#define PM_SHM_HIST_BYTES       (PM_SHM_HIST_BUCKETS * 8u)
#define PM_SHM_HIST_NONE        UINT64_MAX    /* hist_off: allocation failed */

/* header.state */
enum {
    PM_SHM_STATE_INIT    = 0, /* being created: do not read */
    PM_SHM_STATE_RUNNING = 1,
    PM_SHM_STATE_EXITED  = 2  /* writer called pm_shutdown (normal exit) */
};

/* header.clock_kind: where timer durations came from. Cells always hold ns. */
enum {
    PM_SHM_CLOCK_MONOTONIC = 0, /* clock_gettime(CLOCK_MONOTONIC) */
    PM_SHM_CLOCK_TSC       = 1  /* rdtsc, converted with ns_per_tick */
};

/* series.state */
enum {
    PM_SHM_SERIES_FREE     = 0,
    PM_SHM_SERIES_CLAIMED  = 1, /* being filled in: skip */
    PM_SHM_SERIES_READY    = 2
};

/* series.kind */
enum {
    PM_SHM_KIND_COUNTER      = 1, /* monotonic sum of increments */
    PM_SHM_KIND_GAUGE        = 2, /* last value set (plus adds) */
    PM_SHM_KIND_TIMER        = 3, /* durations in ns, with errors and slow */
    PM_SHM_KIND_DISTRIBUTION = 4  /* integer values in `unit` */
};

/* series.unit */
enum {
    PM_SHM_UNIT_NONE        = 0,
    PM_SHM_UNIT_NANOSECONDS = 1,
    PM_SHM_UNIT_BYTES       = 2
};

/* thread.state */
enum {
    PM_SHM_THREAD_UNUSED = 0, /* never owned */
    PM_SHM_THREAD_ACTIVE = 1, /* owned by a live thread */
    PM_SHM_THREAD_IDLE   = 2, /* owner exited; cells keep its counts */
    PM_SHM_THREAD_SHARED = 3  /* the shared slot: written with atomic adds by many threads */
};

/* header.flags */
enum {
    PM_SHM_FLAG_FORK_CHILD = 1u, /* a fork() child's segment; parent_pid says whose */
    PM_SHM_FLAG_EXECED     = 2u, /* the process called exec() since: this is the old image's */
    PM_SHM_FLAG_ALT_NAME   = 4u  /* at perfmon.<pid>.<n>: perfmon.<pid> was taken */
};

/* header.end_how: set on a fork child's segment by its parent's writer */
enum {
    PM_SHM_END_UNKNOWN = 0, /* nobody said (the writer runs, shut down itself, or its parent never looked) */
    PM_SHM_END_EXIT    = 1, /* exited with status end_code (state is then EXITED) */
    PM_SHM_END_SIGNAL  = 2, /* killed by signal end_code: a crash */
    PM_SHM_END_UNSEEN  = 3  /* ended; the program reaped it before its parent's writer saw how */
};

/* drop_note.reason: why records under a name were dropped */
enum {
    PM_SHM_DROP_SERIES_FULL   = 1, /* max_series reached */
    PM_SHM_DROP_BAD_NAME      = 2, /* invalid, too long, or NULL (name "") */
    PM_SHM_DROP_KIND_MISMATCH = 3, /* registered with another kind */
    PM_SHM_DROP_UNIT_MISMATCH = 4, /* registered with another unit */
    PM_SHM_DROP_NEGATIVE      = 5, /* negative counter increment */
    PM_SHM_DROP_NO_MEMORY     = 6  /* /dev/shm full */
};

/* hash slot values: 0 empty, else series index + 1, or one of these */
#define PM_SHM_HASH_CLAIMING  0xFFFFFFFFu  /* a writer is registering */
#define PM_SHM_HASH_DEAD      0xFFFFFFFEu  /* registration failed; skip */

typedef struct pm_shm_drop_note {
    uint64_t seq;                   /*   0 seqlock: odd while written, 0 never used */
    uint64_t ticket;                /*   8 drop_log_head value that chose this entry */
    uint32_t reason;                /*  16 PM_SHM_DROP_* */
    uint32_t name_len;              /*  20 the rejected name's full length in bytes */
    char     name[PM_SHM_DROP_NAME_MAX]; /* 24 its first bytes, NUL-terminated; any bytes */
} pm_shm_drop_note;                 /* 128 */

typedef struct pm_shm_header {
    char     magic[8];              /*   0 PM_SHM_MAGIC */
    uint32_t version;               /*   8 PM_SHM_VERSION */
    uint32_t header_size;           /*  12 PM_SHM_HEADER_SIZE */
    uint64_t total_size;            /*  16 bytes in the segment */
    uint32_t byte_order;            /*  24 PM_SHM_BYTE_ORDER_MARK, native */
    uint32_t state;                 /*  28 PM_SHM_STATE_*, written last at init */
    uint32_t pid;                   /*  32 writer's pid, in its own pid namespace */
    uint32_t uid;                   /*  36 writer's real uid */
    uint64_t start_realtime_ns;     /*  40 CLOCK_REALTIME at init */
    uint64_t start_monotonic_ns;    /*  48 CLOCK_MONOTONIC at init */
    uint64_t end_realtime_ns;       /*  56 CLOCK_REALTIME at pm_shutdown, else 0 */
    uint32_t clock_kind;            /*  64 PM_SHM_CLOCK_* */
    uint32_t hist_sub_bits;         /*  68 PM_SHM_HIST_SUB_BITS */
    double   ns_per_tick;           /*  72 1.0 for CLOCK_MONOTONIC */
    uint32_t max_series;            /*  80 series capacity */
    uint32_t max_threads;           /*  84 thread slot capacity (the shared slot not counted) */
    uint32_t hash_capacity;         /*  88 power of two >= 2 * max_series */
    uint32_t hist_buckets;          /*  92 PM_SHM_HIST_BUCKETS */
    uint32_t series_count;          /*  96 atomic: records handed out (<= max_series) */
    uint32_t threads_used;          /* 100 atomic: slots ever claimed (<= max_threads) */
    uint32_t series_size;           /* 104 PM_SHM_SERIES_SIZE */
    uint32_t cell_size;             /* 108 PM_SHM_CELL_SIZE */
    uint32_t thread_size;           /* 112 PM_SHM_THREAD_SIZE */
    uint32_t flags;                 /* 116 atomic: PM_SHM_FLAG_* */
    uint64_t hash_off;              /* 120 */
    uint64_t threads_off;           /* 128 */
    uint64_t series_off;            /* 136 */
    uint64_t cells_off;             /* 144 */
    uint64_t arena_off;             /* 152 */
    uint64_t arena_size;            /* 160 */
    uint64_t arena_used;            /* 168 atomic: bytes of the arena handed out */
    uint64_t dropped;               /* 176 atomic: records lost whole */
    uint64_t dropped_series_full;   /* 184 atomic: ... because max_series was reached */
    uint64_t dropped_threads_full;  /* 192 atomic: ... because no thread slot could be had */
    uint64_t dropped_bad_name;      /* 200 atomic: ... because the name was invalid, too long or NULL */
    uint64_t dropped_kind_mismatch; /* 208 atomic: ... because the name exists with another kind */
    uint64_t dropped_no_memory;     /* 216 atomic: ... because /dev/shm had no room */
    uint64_t dropped_hist;          /* 224 atomic: records kept without their histogram bucket */
    uint64_t default_slow_ns;       /* 232 slow threshold given to new timers */
    uint64_t heartbeat_realtime_ns; /* 240 atomic: CLOCK_REALTIME the writer last said it was alive */
    uint32_t parent_pid;            /* 248 the parent's pid when this is a fork child's segment, else 0 */
    uint32_t writers;               /* 252 atomic: copies of the implementation writing here */
    char     process_name[PM_SHM_PROCESS_MAX]; /* 256 NUL-terminated */
    char     cmdline[PM_SHM_CMDLINE_MAX];      /* 320 NUL-terminated, args joined by ' ' */
    uint64_t dropped_unit_mismatch; /* 512 atomic: ... because the name exists with another unit */
    uint64_t dropped_negative;      /* 520 atomic: ... because a counter increment was negative */
    uint64_t overflow_threads;      /* 528 atomic: threads that recorded through the shared slot */
    uint64_t pid_ns_dev;            /* 536 st_dev of the writer's /proc/self/ns/pid, 0 unknown */
    uint64_t pid_ns_ino;            /* 544 st_ino of the same, 0 unknown */
    uint64_t proc_start_ticks;      /* 552 field 22 of the writer's /proc/self/stat (survives exec) */
    uint64_t drop_log_head;         /* 560 atomic: drop notes handed out; note i is at i % PM_SHM_DROP_NOTES */
    uint64_t heartbeat_interval_ns; /* 568 how often heartbeat_realtime_ns is renewed, 0 never */
    uint32_t children[PM_SHM_CHILD_NOTES]; /* 576 atomic: pids of fork children with a segment, 0 free */
    uint32_t end_how;               /* 624 PM_SHM_END_*: how a fork child ended, as its parent saw it */
    uint32_t end_code;              /* 628 exit status (PM_SHM_END_EXIT) or signal (PM_SHM_END_SIGNAL) */
    uint8_t  reserved2[8];          /* 632 */
    char     config_errors[PM_SHM_CONFIG_ERRORS_MAX]; /* 640 NUL-terminated lines the writer could not parse */
    pm_shm_drop_note drop_log[PM_SHM_DROP_NOTES];    /* 1024 the last names whose records were dropped */
} pm_shm_header;                    /* 2048 */

typedef struct pm_shm_thread {
    uint32_t state;                 /*  0 atomic PM_SHM_THREAD_* */
    uint32_t tid;                   /*  4 OS thread id of the current or last owner */
    uint64_t owners;                /*  8 how many threads have owned this slot */
    uint8_t  reserved[48];          /* 16 */
} pm_shm_thread;                    /* 64 */

typedef struct pm_shm_series {
    uint32_t state;                 /*   0 atomic PM_SHM_SERIES_* */
    uint16_t kind;                  /*   4 PM_SHM_KIND_* */
    uint16_t unit;                  /*   6 PM_SHM_UNIT_* */
    uint32_t name_len;              /*   8 strlen(name) */
    uint32_t reserved0;             /*  12 */
    uint64_t hash;                  /*  16 pm_shm_hash(name, name_len) */
    uint64_t slow_ns;               /*  24 atomic: timers: a duration >= this is slow */
    uint8_t  reserved1[32];         /*  32 */
    uint64_t gauge;                 /*  64 atomic: gauges: int64 value, two's complement */
    char     name[PM_SHM_NAME_MAX]; /*  72 NUL-terminated */
    /* the reset block (see RESETS): what the series' cells held at its last
       reset, for readers to subtract; written only under reset_seq */
    uint32_t reset_seq;             /* 256 atomic: odd while a reset writes the block; resets = reset_seq / 2 */
    uint32_t reserved2;             /* 260 */
    uint64_t reset_realtime_ns;     /* 264 CLOCK_REALTIME of the last reset, 0 never */
    uint64_t base_count;            /* 272 sum over the cells of count at the reset */
    uint64_t base_sum;              /* 280 ... of sum (modulo 2^64) */
    uint64_t base_errors;           /* 288 ... of errors */
    uint64_t base_slow;             /* 296 ... of slow */
    uint64_t base_hist_off;         /* 304 0, PM_SHM_HIST_NONE, or the buckets at the reset (timers, distributions) */
    uint64_t reserved3;             /* 312 */
} pm_shm_series;                    /* 320 */

typedef struct pm_shm_cell {
    uint64_t seq;                   /*  0 seqlock, odd while written */
    uint64_t count;                 /*  8 records (counters: the value) */
    uint64_t sum;                   /* 16 sum of values (wraps modulo 2^64) */
    uint64_t min;                   /* 24 when count > 0 */
    uint64_t max;                   /* 32 when count > 0 */
    uint64_t errors;                /* 40 timers: records ended as failed */
    uint64_t slow;                  /* 48 timers: records >= the series' slow_ns */
    uint64_t hist_off;              /* 56 0, PM_SHM_HIST_NONE, or histogram offset */
} pm_shm_cell;                      /* 64 */

#if defined(__cplusplus)
#define PM_SHM_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define PM_SHM_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
PM_SHM_STATIC_ASSERT(sizeof(pm_shm_header) == PM_SHM_HEADER_SIZE, "header size");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_header, ns_per_tick) == 72, "ns_per_tick offset");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_header, hash_off) == 120, "hash_off offset");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_header, dropped) == 176, "dropped offset");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_header, process_name) == 256, "process_name offset");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_header, cmdline) == 320, "cmdline offset");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_header, dropped_unit_mismatch) == 512, "dropped_unit_mismatch offset");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_header, end_how) == 624, "end_how offset");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_header, config_errors) == 640, "config_errors offset");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_header, drop_log) == 1024, "drop_log offset");
PM_SHM_STATIC_ASSERT(sizeof(pm_shm_drop_note) == 128, "drop note size");
PM_SHM_STATIC_ASSERT(sizeof(pm_shm_thread) == PM_SHM_THREAD_SIZE, "thread size");
PM_SHM_STATIC_ASSERT(sizeof(pm_shm_series) == PM_SHM_SERIES_SIZE, "series size");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_series, gauge) == 64, "gauge offset");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_series, name) == 72, "name offset");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_series, reset_seq) == 256, "reset_seq offset");
PM_SHM_STATIC_ASSERT(offsetof(pm_shm_series, base_hist_off) == 304, "base_hist_off offset");
PM_SHM_STATIC_ASSERT(sizeof(pm_shm_cell) == PM_SHM_CELL_SIZE, "cell size");
PM_SHM_STATIC_ASSERT(PM_SHM_HIST_BUCKETS == 2752, "histogram bucket count");

/* The layout a header's capacities imply. Returns 0, or -1 when the
   capacities are out of bounds (a reader must then refuse the segment). */
typedef struct pm_shm_layout_t {
    uint64_t hash_off, threads_off, series_off, cells_off, arena_off, total_size;
    uint32_t hash_capacity;
} pm_shm_layout_t;

static inline uint64_t pm_shm_align64(uint64_t x) { return (x + 63u) & ~(uint64_t)63u; }

static inline int pm_shm_layout(uint32_t max_series, uint32_t max_threads,
                                uint64_t arena_size, pm_shm_layout_t *out)
{
    uint32_t cap = 2;
    if (max_series < 1 || max_series > PM_SHM_MAX_SERIES_LIMIT) return -1;
    if (max_threads < 1 || max_threads > PM_SHM_MAX_THREADS_LIMIT) return -1;
    if (arena_size > ((uint64_t)1 << 40) || arena_size % 64u) return -1;
    while (cap < 2u * max_series) cap <<= 1;
    out->hash_capacity = cap;
    out->hash_off    = PM_SHM_HEADER_SIZE;
    out->threads_off = pm_shm_align64(out->hash_off + (uint64_t)cap * 4u);
    /* max_threads slots plus the shared one, last */
    out->series_off  = out->threads_off + ((uint64_t)max_threads + 1u) * PM_SHM_THREAD_SIZE;
    out->cells_off   = out->series_off + (uint64_t)max_series * PM_SHM_SERIES_SIZE;
    out->arena_off   = out->cells_off + ((uint64_t)max_threads + 1u) * max_series * PM_SHM_CELL_SIZE;
    out->total_size  = out->arena_off + arena_size;
    return 0;
}

/* Whether a writer may register `s` (n bytes) as a series name: a base of
   [A-Za-z0-9_.:/-]+, then optionally {key="value",...} with keys
   [A-Za-z_][A-Za-z0-9_]*, each key once, and values in which '"', '\\' and
   newline are escaped as \" \\ \n and no other byte is below 0x20.
   n must be < PM_SHM_NAME_MAX. Returns 1 or 0. (perfmon.h and pm_name()
   both use it; a reader may, to tell damaged names from good ones.) */
static inline int pm_shm_name_valid(const char *s, size_t n)
{
    size_t i = 0, keys[32], nkeys = 0;
    if (n == 0 || n >= PM_SHM_NAME_MAX) return 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '/' || c == '-')) break;
        i++;
    }
    if (i == 0) return 0;
    if (i == n) return 1;
    if (s[i] != '{' || s[n - 1] != '}' || i + 2 == n) return 0;   /* "{}" too */
    i++;
    for (;;) {
        size_t k = i;
        while (i < n && (s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                         (i > k && s[i] >= '0' && s[i] <= '9'))) i++;
        if (i == k || i + 1 >= n || s[i] != '=' || s[i + 1] != '"') return 0;
        for (size_t j = 0; j < nkeys; j++)   /* a key given twice is two meanings for one series */
            if (keys[j] >> 8 == i - k && __builtin_memcmp(s + (keys[j] & 0xFF), s + k, i - k) == 0) return 0;
        if (nkeys == sizeof keys / sizeof keys[0] || k > 0xFF) return 0;
        keys[nkeys++] = ((i - k) << 8) | k;
        i += 2;
        for (;;) {
            if (i >= n - 1) return 0;
            if (s[i] == '\\') {
                if (s[i + 1] != '"' && s[i + 1] != '\\' && s[i + 1] != 'n') return 0;
                i += 2;
            } else if (s[i] == '"') {
                i++;
                break;
            } else if ((unsigned char)s[i] < 0x20) {
                return 0;
            } else {
                i++;
            }
        }
        if (i == n - 1) return 1;
        if (s[i] != ',') return 0;
        i++;
    }
}

/* 64-bit hash of a name, the key of the writer's hash index: the name is
   taken eight bytes at a time, each word read little-endian (the last one
   zero-padded), each folded in by xor, multiply and shift, then mixed. */
static inline uint64_t pm_shm_hash(const char *s, size_t n)
{
    const uint64_t k = 0xC2B2AE3D27D4EB4Full;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * k);
    size_t i = 0;
    for (;; i += 8) {
        uint64_t w = 0;
        size_t len = n - i < 8 ? n - i : 8;
        for (size_t b = len; b > 0; b--) w = (w << 8) | (unsigned char)s[i + b - 1];
        h = (h ^ w) * k;
        h ^= h >> 29;
        if (len < 8) break;
    }
    h ^= h >> 32;
    h *= 0xFF51AFD7ED558CCDull;
    return h ^ (h >> 29);
}

/* Bucket of value v: exact for v < 128; above, the top 7 significant bits
   (the leading 1 and 6 more) select one of 64 sub-buckets of v's octave. */
static inline uint32_t pm_shm_hist_index(uint64_t v)
{
    if (v < 2u * PM_SHM_HIST_SUB_COUNT) return (uint32_t)v;
    uint32_t e = 63u - (uint32_t)__builtin_clzll(v);  /* v >= 128 so e >= 7 */
    if (e > PM_SHM_HIST_MAX_EXP) return PM_SHM_HIST_BUCKETS - 1u;
    uint32_t sub = (uint32_t)(v >> (e - PM_SHM_HIST_SUB_BITS)) & (PM_SHM_HIST_SUB_COUNT - 1u);
    return (e - PM_SHM_HIST_SUB_BITS + 1u) * PM_SHM_HIST_SUB_COUNT + sub;
}

/* Smallest value in bucket i. */
static inline uint64_t pm_shm_hist_lower(uint32_t i)
{
    if (i < 2u * PM_SHM_HIST_SUB_COUNT) return i;
    uint32_t e = i / PM_SHM_HIST_SUB_COUNT + PM_SHM_HIST_SUB_BITS - 1u;
    uint64_t sub = i % PM_SHM_HIST_SUB_COUNT;
    return (PM_SHM_HIST_SUB_COUNT + sub) << (e - PM_SHM_HIST_SUB_BITS);
}

/* Number of values in bucket i (1 below 128). The last bucket also holds
   everything >= 2^48; its nominal width is used. */
static inline uint64_t pm_shm_hist_width(uint32_t i)
{
    if (i < 2u * PM_SHM_HIST_SUB_COUNT) return 1;
    uint32_t e = i / PM_SHM_HIST_SUB_COUNT + PM_SHM_HIST_SUB_BITS - 1u;
    return (uint64_t)1 << (e - PM_SHM_HIST_SUB_BITS);
}

#ifdef __cplusplus
}
#endif
#endif /* PERFMON_SHM_H */
