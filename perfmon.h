/* perfmon.h - v0.2.0 - always-on, lock-free performance instrumentation for C/C++ - MIT license

   QUICK START
     In exactly one .c file:
         #define PERFMON_IMPLEMENTATION
         #include "perfmon.h"
     Everywhere else just #include "perfmon.h" (perfmon_shm.h must be beside it).
     Link with -pthread. Then mark what you want measured:

         void handle(request *r) {
             PM_SCOPE("http.request");             // times this block
             PM_COUNT("cache.hit", 1);             // counter
             PM_GAUGE_SET("queue.depth", depth);   // gauge
             PM_RECORD_UNIT("reply.size", n, PM_UNIT_BYTES); // distribution
         }

     and watch it from another terminal: perfmon-view stats <pid>.
     No init call is needed: the first record creates the segment. Call
     pm_init(&cfg) first thing in main() to choose capacities yourself.

   BUILD OPTIONS
     PM_ENABLED=0        (every file) compiles every macro and function to a no-op
                         that evaluates nothing, but for pm_name() (still builds
                         names) and pm_benchmark() (still runs fn). Default 1.
                         The value is tested, not just its presence.
     PM_API              (every file) what precedes each public declaration, e.g.
                         __attribute__((visibility("hidden"))) in a shared library
                         that carries its own copy. Default: nothing.
     PM_TLS_MODEL        (every file) TLS model of the per-thread pointer; default
                         "initial-exec" (fastest; fine for executables and shared
                         libraries linked at start-up).

   CONCEPTS
     Series     A named metric. The name may carry a Prometheus-style label set,
                http.request{method="GET",route="/users"}; every label set is its
                own series. Keep labels in one order: the full string is the key.
                Names: 1..183 bytes; base name of letters, digits and _ . : / -;
                label keys [A-Za-z_][A-Za-z0-9_]*; values quoted, with \" \\ \n
                escapes (pm_name() builds such names for you).
     Kinds      counter (sum of increments), gauge (a level: set or add),
                timer (durations: count, sum, min, max, errors, slow, histogram),
                distribution (integer values with a unit: same minus errors/slow).
     Segment    /dev/shm/perfmon.<pid>, mode 0600, laid out as perfmon_shm.h
                documents. perfmon-view reads it while the process runs, or after
                it exits (PERFMON_KEEP=1) or crashes.
     Call sites Macros cache the series id in a static at the call site: after
                the first call the hot path does a TLS load, a compare and plain
                stores into this thread's own cell - no lock, no atomic
                read-modify-write (except PM_GAUGE_ADD, whose value all threads
                share), no hashing, no system call. So a macro's name must be a
                string literal: anything else is a compile error. Functions
                taking a name (pm_count(), pm_record(), pm_begin(), pm_scope(),
                ...) hash it on every call: use them for names built at run
                time, or pm_lookup() once and the *_id calls.
     Drops      Kind and unit are fixed by a series' first registration. A
                record that cannot be kept (capacity, invalid name, another
                kind or unit, a negative increment, /dev/shm full) is counted
                under its reason and its name kept in the segment's drop log:
                never silently lost, never added somewhere else.

   ENVIRONMENT (read once, at initialisation)
     PERFMON=0              recording off: every macro costs one predictable branch.
                            Overrides pm_config. Booleans here take 1/0, yes/no,
                            true/false, on/off in any case; a value that cannot
                            be parsed is reported once on stderr and in the
                            segment, and the default is used.
     PERFMON_SLOW_MS        default slow threshold of timers in ms (default 1000).
     PERFMON_MAX_SERIES     series capacity (default 1024).
     PERFMON_MAX_THREADS    thread slot capacity (default 128).
     PERFMON_HIST_MB        histogram arena in MiB (default 64; 21.5 KiB a histogram;
                            committed only as used).
     PERFMON_KEEP=1         keep the segment after a normal exit, for post-mortem
                            reading. Default: removed at normal exit. A crash always
                            leaves it; `perfmon-view gc` removes stale ones.
     PERFMON_CLOCK=tsc      time with the TSC (x86-64 with an invariant TSC),
                            calibrated at start-up; default CLOCK_MONOTONIC.
     PERFMON_HEARTBEAT_MS   how often a writer thread (all signals blocked)
                            stamps the segment, so a reader can tell when a
                            crashed writer died (default 1000; 0 = no thread).
     Explicit pm_config fields take precedence over these, except PERFMON=0.

   API REFERENCE (in the order most programs need it; details at each declaration)
     Record, literal names (cached per call site):
       PM_COUNT(name, n)                counter += n (n in 0 .. 2^63-1)
       PM_GAUGE_SET(name, v)            gauge = v (int64)
       PM_GAUGE_ADD(name, d)            gauge += d (atomic)
       PM_SCOPE(name)                   timer over the rest of the block
       PM_SCOPE_FAIL()                  ... which then counts as an error
       PM_BEGIN(name) -> pm_span        timer start;  PM_END(s), PM_END_ERROR(s)
       PM_SPAN_FAIL(s)                  mark a span failed before PM_END
       PM_DURATION(name, ns, ok)        a duration measured elsewhere
       PM_RECORD(name, v)               distribution value (int64, < 0 counts as 0)
       PM_RECORD_UNIT(name, v, unit)    ... with a unit;  PM_RECORD_BYTES(name, v)
       PM_RESOURCE_SCOPE(name)          wall, CPU and memory of a block (syscalls)
     Record, run-time names (hashed per call):
       pm_count, pm_gauge_set, pm_gauge_add, pm_record, pm_record_duration,
       pm_begin(name) -> pm_span, pm_scope(name), pm_timer_start / pm_timer_stop,
       pm_resource_begin(name), pm_resource_begin_ex(name, &opt) (sampled)
         / pm_resource_end(&span) -> pm_resource_result
     Record by id:
       pm_lookup(name, kind, unit) -> pm_id (never 0), pm_prepare(id),
       pm_count_id, pm_gauge_set_id, pm_gauge_add_id, pm_record_id,
       pm_duration_id(id, ns, ok), pm_begin_id(id) -> pm_span
     Names and settings:
       pm_name(buf, size, base, k, v, ..., NULL)   labels, escaped; PM_NAME_MAX
       pm_set_slow_threshold_ms(name, ms), pm_set_unit(name, unit)
     Life cycle and errors:
       pm_init(&cfg), pm_shutdown(), pm_segment_path(), pm_result_str(r)
       pm_reset(), pm_reset_series(name)   figures since now, for every reader
     Benchmarks:
       pm_benchmark(name, fn, arg, iterations, &result)
     Versions: PM_VERSION_MAJOR/MINOR/PATCH, PM_VERSION_STRING, PM_VERSION and
       PM_MAKE_VERSION(a, b, c) to compare.

   ONE IMPLEMENTATION PER PROGRAM
     Define PERFMON_IMPLEMENTATION in one file of the program. A shared library
     that carries its own copy (hidden visibility: set PM_API) records into a
     segment of its own, perfmon.<pid>.1, beside the executable's; the viewer
     lists both.

   THREAD AND PROCESS SAFETY
     Every macro and function may be called from any thread at any time. Each
     thread writes only its own cells; a thread's slot passes to the next new
     thread when it exits, with its counts intact (nothing is merged or lost).
     fork(): the child gets a segment of its own, with the parent's series but
     zero counts, created on its first record; nothing is counted twice. A
     child that ends with _exit() (as forking servers' children do) runs no
     atexit; the parent's writer finishes its segment instead, within a
     heartbeat (PERFMON_HEARTBEAT_MS) or at the parent's exit: it reads as
     exited with its exit status, or as crashed with the killing signal
     (kept), or, when the program reaped the child before the parent's
     writer looked, as "ended" (status unseen); then it is removed unless
     PERFMON_KEEP or a crash. Nothing is reaped: waitid(WNOWAIT) leaves every
     status to the program. A child whose parent is not instrumented, or
     gone, reads as crashed: call pm_shutdown() before _exit() there.
     exec(): what the old image recorded stays
     readable (its segment is flagged EXECED when the new image records).
     Threads beyond PERFMON_MAX_THREADS share one extra slot, updated with
     atomic read-modify-writes: exact, at a few ns more per record.
     Signal handlers: once a thread has recorded anything (so it owns a slot),
     recording in it through a macro whose call site has already run, or
     through pm_count_id()/pm_record_id()/pm_gauge_*_id()/pm_begin_id() with
     an id from pm_lookup(), is async-signal-safe: no lock, no allocation, at
     most a fallocate() the first time a timer or distribution needs its
     histogram. A record from a handler into a series the interrupted code was
     updating at that instant may be lost: give handlers series of their own.
     pm_init(), the first record of a thread, registration of a new name and
     everything that takes a name (pm_count(), pm_timer_start(), ...) are not
     async-signal-safe; neither are pm_benchmark() and resource spans.

   ERRORS
     Functions that can fail return pm_result (PM_OK = 0, errors negative);
     pm_result_str() names them. The record path never fails loudly: what cannot
     be recorded (capacity reached, invalid name, kind mismatch, /dev/shm full)
     is counted in the segment's `dropped` counters, which perfmon-view shows.
     If the segment cannot be created, pm_init() says why and every macro
     becomes a no-op; the program is unaffected.

   LIMITS
     Series and thread slots are fixed at initialisation (see ENVIRONMENT).
     Histograms cover 0 .. 2^48 (78 hours in ns) with <= 0.8% error at bucket
     midpoints; larger values land in the top bucket (max stays exact).
     Counter increments of 2^63 or more (a negative number cast) are dropped;
     distribution values below 0 count as 0.
     pm_init() after pm_shutdown() in one process returns PM_ERR_STATE.
     Linux (shm, flock, fallocate); GCC or Clang (C11 or C++11 and later).

   See the end of this file for the license. */
/* The implementation needs POSIX and Linux declarations (shm_open, flock,
   fallocate); they only appear if requested before the first system header,
   so in the implementation file include perfmon.h first, or build that file
   with -D_GNU_SOURCE. */
#if defined(PERFMON_IMPLEMENTATION) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif

#ifndef PERFMON_H
#define PERFMON_H

#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include <time.h>
#include "perfmon_shm.h"

#ifndef PM_ENABLED
#define PM_ENABLED 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define PM_VERSION_MAJOR  0
#define PM_VERSION_MINOR  2
#define PM_VERSION_PATCH  0
#define PM_VERSION_STRING "0.2.0"
/* One number to compare: PM_VERSION >= PM_MAKE_VERSION(0, 2, 0). */
#define PM_MAKE_VERSION(major, minor, patch) ((major) * 10000 + (minor) * 100 + (patch))
#define PM_VERSION PM_MAKE_VERSION(PM_VERSION_MAJOR, PM_VERSION_MINOR, PM_VERSION_PATCH)

/* Bytes a series name may take, its NUL included: size pm_name() buffers
   with it. */
#define PM_NAME_MAX PM_SHM_NAME_MAX

/* PM_API: what precedes every public function declaration (and definition
   in the implementation). Define it, in every file, to give the functions
   the visibility you need, e.g. __attribute__((visibility("hidden"))) for a
   shared library that must not export them. Default: nothing. */
#ifndef PM_API
#define PM_API
#endif

typedef enum pm_result {
    PM_OK              = 0,
    PM_ERR_DISABLED    = -1, /* recording is off (PERFMON=0 or PM_ENABLED=0) */
    PM_ERR_ALREADY     = -2, /* already initialised (maybe lazily): cfg ignored */
    PM_ERR_STATE       = -3, /* called after pm_shutdown() */
    PM_ERR_INVALID     = -4, /* a config value or argument is out of range */
    PM_ERR_SHM         = -5, /* the segment could not be created or mapped */
    PM_ERR_PERMISSION  = -6, /* /dev/shm denied */
    PM_ERR_NO_SPACE    = -7, /* /dev/shm has no room for the segment */
    PM_ERR_EXISTS      = -8, /* perfmon.<pid> and every fallback name are taken */
    PM_ERR_NO_MEMORY   = -9  /* malloc failed (pm_benchmark only) */
} pm_result;

typedef enum pm_kind {
    PM_KIND_COUNTER      = PM_SHM_KIND_COUNTER,
    PM_KIND_GAUGE        = PM_SHM_KIND_GAUGE,
    PM_KIND_TIMER        = PM_SHM_KIND_TIMER,
    PM_KIND_DISTRIBUTION = PM_SHM_KIND_DISTRIBUTION
} pm_kind;

typedef enum pm_unit {
    PM_UNIT_NONE        = PM_SHM_UNIT_NONE,
    PM_UNIT_NANOSECONDS = PM_SHM_UNIT_NANOSECONDS,
    PM_UNIT_BYTES       = PM_SHM_UNIT_BYTES
} pm_unit;

typedef enum pm_clock {
    PM_CLOCK_DEFAULT   = 0, /* PERFMON_CLOCK, else monotonic */
    PM_CLOCK_MONOTONIC = 1,
    PM_CLOCK_TSC       = 2
} pm_clock;

/* Zero in any field means "the default" (environment, then built-in). */
typedef struct pm_config {
    uint32_t    max_series;   /* series capacity */
    uint32_t    max_threads;  /* thread slot capacity */
    uint32_t    hist_mb;      /* histogram arena, MiB */
    double      slow_ms;      /* default slow threshold of timers */
    int         keep;         /* 1 keep segment at normal exit, -1 remove, 0 env */
    pm_clock    clock;
    const char *process_name; /* NULL: from /proc/self/comm */
} pm_config;

/* A series id as returned by pm_lookup(). Opaque; never 0 once looked up,
   so 0 in a cache means "not looked up yet". An id whose records are
   dropped (invalid name, capacity reached, another kind) or ignored
   (recording off) is still nonzero. (It is the byte offset of the series'
   cell in a thread's row plus one cell, plus its kind in the low bits, so
   the hot path needs no arithmetic to find the cell.) */
typedef uint32_t pm_id;

/* A running timer (PM_BEGIN / pm_begin / pm_begin_id). Plain value: copy it freely. */
typedef struct pm_span {
    pm_id    id;
    uint32_t failed;
    uint64_t start;   /* clock ticks */
} pm_span;

#if defined(__GNUC__)
#define PM__SENTINEL __attribute__((sentinel))
#else
#define PM__SENTINEL
#endif

/* pm_name: build `base{k1="v1",k2="v2"}` into buf from key, value string
   pairs ended by NULL, escaping '"', '\\' and newline in values. Returns
   the length, or -1 (buf is then "") when it does not fit, an argument is
   NULL where a string is due (an odd list), or the registry would refuse
   the name (see CONCEPTS: bad base or key, a key twice, control bytes).
   Works the same when perfmon is compiled out or off. No allocation.
   Thread safety: safe. */
PM__SENTINEL static inline int pm_name(char *buf, size_t size, const char *base, ...);

#if PM_ENABLED

/* pm_init: create this process's segment. cfg may be NULL (defaults plus
   environment). Optional: the first record initialises lazily with NULL.
   Returns PM_OK, PM_ERR_DISABLED when PERFMON=0, PM_ERR_ALREADY when already
   initialised (a non-NULL cfg is then ignored, which stderr and the segment
   say), or why the segment could not be made (recording is then off).
   Thread safety: safe; concurrent calls initialise once. */
PM_API pm_result pm_init(const pm_config *cfg);

/* pm_shutdown: mark the segment exited and remove it unless PERFMON_KEEP=1.
   Runs by itself at normal exit (atexit). Records after it are discarded.
   Call it before _exit() in a fork child (see THREAD AND PROCESS SAFETY).
   Thread safety: safe; threads still recording are harmless (the mapping
   stays until the process exits). */
PM_API void pm_shutdown(void);

/* pm_result_str: a short English description. Thread safety: safe. */
PM_API const char *pm_result_str(pm_result r);

/* pm_lookup: find or register a series; returns an id for the *_id calls.
   The first registration fixes the series' kind and unit. Never fails
   loudly and never returns 0: a name that cannot be registered yields an
   id whose records are counted as dropped. Thread safety: safe, lock-free. */
PM_API pm_id pm_lookup(const char *name, pm_kind kind, pm_unit unit);

/* pm_prepare: make the first record of series `id` on the calling thread as
   cheap as any other: claims the thread's slot and commits the histogram
   pages of a timer or distribution (10-30 us otherwise paid by that first
   record). Call it from each worker thread at start-up, after pm_lookup().
   Returns PM_OK, PM_ERR_DISABLED, PM_ERR_INVALID (id dropped or unknown) or
   PM_ERR_NO_SPACE. Thread safety: per thread. */
PM_API pm_result pm_prepare(pm_id id);

/* By name, hashed on every call (for names built at run time; no lock,
   no malloc). A NULL name is counted as a bad name. Thread safety: safe. */
PM_API void   pm_count(const char *name, uint64_t n);
PM_API void   pm_gauge_set(const char *name, int64_t v);
PM_API void   pm_gauge_add(const char *name, int64_t d);
PM_API void   pm_record(const char *name, int64_t value);
/* pm_record_duration: a duration measured elsewhere; ok=0 counts an error. */
PM_API void   pm_record_duration(const char *name, uint64_t ns, int ok);
/* pm_begin: start timer `name` (a run-time name); end it with PM_END(s) or
   PM_END_ERROR(s). The timed-block form is pm_scope(name). */
PM_API pm_span pm_begin(const char *name);

/* pm_timer_start/stop: begin and end a timer in different functions of one
   thread (up to 32 running per thread; they may nest or overlap). stop
   matches the innermost running timer with the same name text, and returns
   the duration in seconds, or -1.0 when no timer of that name was started
   in this thread. Thread safety: per thread. */
PM_API void   pm_timer_start(const char *name);
PM_API double pm_timer_stop(const char *name);

/* pm_set_slow_threshold_ms: timer `name` counts a duration >= ms as slow.
   Registers the timer if needed. Thread safety: safe. */
PM_API void   pm_set_slow_threshold_ms(const char *name, double ms);

/* pm_set_unit: declare the unit of a distribution: registers it with that
   unit, or gives a distribution registered without a unit this one (once;
   another unit later is a counted drop). Thread safety: safe. */
PM_API void   pm_set_unit(const char *name, pm_unit unit);

/* pm_reset / pm_reset_series: from now on every reader shows the figures of
   all series (or of the series with this exact name, labels included)
   since the reset: count, sum, errors, slow and percentiles. Gauges are
   levels and keep their value. Records made while a reset runs count on
   one side of it or the other, never on neither: the cells are not
   touched (readers subtract what the reset noted in the segment), so the
   record path takes no lock. Min and max since a reset are the edges of
   the since-reset histogram's outer buckets, kept inside the all-time min
   and max: exact below 128, else within 1/64. `record` and readers that
   compare snapshots see a reset, and still get exact figures across it.
   A reset of a timer or distribution needs a histogram's worth of the
   arena (22 KiB) the first time. Costs a read of the series' cells on
   every thread slot: not for a hot path. Returns PM_OK, PM_ERR_DISABLED,
   PM_ERR_INVALID (no series of that name; NULL) or PM_ERR_NO_SPACE (the
   arena had no room: nothing was reset; for pm_reset, some series were
   not). Thread safety: safe, not async-signal-safe. */
PM_API pm_result pm_reset(void);
PM_API pm_result pm_reset_series(const char *name);

/* The segment's path (e.g. "/dev/shm/perfmon.1234"), or "" when there is
   none. Thread safety: safe. */
PM_API const char *pm_segment_path(void);

/* ---- resources: wall, CPU and memory of a whole operation ----
   Not for hot paths: a span's begin and end each make system calls
   (getrusage twice, a read of /proc/self/statm): about 4 us the pair, 0.8
   us of it recording the series (bench/README.md, "Resource spans"); a
   sampled span also starts and joins a thread (~20 us), and its sampler
   costs ~45 us of CPU a sample (0.1% of a core at 50 ms). Use them around
   whole operations (a request batch, a build step, a test).

   A resource span named N measures, from pm_resource_begin to
   pm_resource_end, and returns as a pm_resource_result:
     wall_ns                     CLOCK_MONOTONIC time
     cpu_user_ns, cpu_sys_ns     CPU time of the calling thread (RUSAGE_THREAD)
     cpu_pct                     100 x that CPU / wall: 100 = one core busy
     process_cpu_user_ns, ..._sys_ns, process_cpu_pct
                                 the same for the whole process (RUSAGE_SELF):
                                 every thread, the ones the operation starts
                                 and any others (the sampler included); can
                                 pass 100 when several threads work
     rss_start/end/delta_bytes   process resident set (statm) at begin, end
     peak_rss_bytes              highest process RSS *during* the span
     peak_delta_bytes            peak_rss_bytes - rss_start_bytes
   Peak: if the process's high-water mark (the kernel's VmHWM, read through
   getrusage's ru_maxrss) rose during the span, the peak was reached during
   it and equals that mark: exact (peak_exact = 1). Otherwise the process
   had been higher before, and peak is the highest RSS seen: begin, end and
   every sample, a lower bound (peak_exact = 0); sampling tightens it. After
   exec() ru_maxrss also holds the earlier image's peak, so a span less
   often reads exact; a write to /proc/self/clear_refs (never done here) by
   someone else resets the mark and can make a peak read low.
   RSS is the kernel's accounting, which may lag a few pages per CPU.

   Sampling (pm_resource_begin_ex with interval_ms > 0): a helper thread,
   one per sampled span, reads the process's RSS and CPU every interval
   (the seeds' 50 ms suits operations of a second or more) and keeps at
   most `capacity` snapshots in the caller's array: the first (at begin)
   and the last (at end) always; when the array fills, every other interior
   snapshot is dropped and the interval doubles, so those kept stay evenly
   spaced over the whole operation. Every sample, kept or not, counts
   towards the peak. The thread blocks all signals, touches neither the
   segment nor perfmon's state (so pm_shutdown() meanwhile is harmless) and
   is woken, stopped and joined by pm_resource_end: end every span you
   begin (PM_RESOURCE_SCOPE does), or its thread and memory live on. If
   the thread cannot be started the span runs unsampled (samples = 0).
   fork(): the child has no sampler thread; ending an inherited span there
   fills its result from what was sampled before the fork and frees it.

   Series (when recording is on and name is not NULL; labels stay at the
   end: N.cpu_user{k="v"}):
     N                     timer: wall time; an error if span.failed was set
     N.cpu_user, N.cpu_sys distributions, ns: the calling thread's CPU
     N.cpu_permille        distribution: cpu_pct x 10, rounded (1000 = one core)
     N.process_cpu_permille  distribution: process_cpu_pct x 10, rounded
     N.rss_delta           gauge, bytes (signed): RSS at end minus at begin
     N.peak_rss            gauge, bytes: peak during the span (as above)
     N.peak_delta          gauge, bytes: peak minus RSS at begin
   (RSS at begin is N.peak_rss - N.peak_delta; at end, that + N.rss_delta.)
   At normal exit the writer also records gauges process.cpu_user,
   process.cpu_sys (ns) and process.peak_rss (bytes).

   Recording off at run time (PERFMON=0, after pm_shutdown(), or name NULL):
   everything is measured and returned, sampling included; nothing is
   recorded (recorded = 0). Compiled out (PM_ENABLED=0): nothing is
   measured (the system calls live in the implementation, which is not
   built then): the result is zeros (measured = 0) and no thread starts,
   like pm_benchmark's figures; the signatures are the same. */
typedef struct pm_resource_snapshot {
    uint64_t t_ns;                  /* since begin (the first is 0, the last the span's wall_ns) */
    int64_t  rss_bytes;             /* process RSS */
    uint64_t cpu_user_ns, cpu_sys_ns; /* the process's CPU time since begin: the
                                       sampler, another thread, can read only that,
                                       and it covers threads the operation starts */
} pm_resource_snapshot;

typedef struct pm_resource_options {
    uint32_t interval_ms;           /* 0: no sampler thread; the seeds use 50 */
    uint32_t capacity;              /* length of snapshots[]; >= 2 to keep any */
    pm_resource_snapshot *snapshots;  /* the caller's, untouched by it until the
                                       end returns; NULL: samples only refine the peak */
} pm_resource_options;

typedef struct pm_resource_result {
    uint64_t wall_ns;
    uint64_t cpu_user_ns, cpu_sys_ns;           /* the calling thread's */
    uint64_t process_cpu_user_ns, process_cpu_sys_ns;  /* all of the process's threads */
    double   cpu_pct, process_cpu_pct;          /* 100 x CPU / wall */
    int64_t  rss_start_bytes, rss_end_bytes, rss_delta_bytes;
    int64_t  peak_rss_bytes;        /* during the span: exact if peak_exact, else a lower bound */
    int64_t  peak_delta_bytes;      /* peak_rss_bytes - rss_start_bytes */
    uint32_t peak_exact;            /* 1: the high-water mark rose during the span */
    uint32_t snapshots;             /* entries filled in the options' array (<= capacity) */
    uint32_t samples;               /* samples the thread took (kept or not) */
    uint32_t interval_ms;           /* sampling interval at the end (doubled per thinning); 0 unsampled */
    uint32_t measured;              /* 0 only compiled out */
    uint32_t recorded;              /* 1: the series above were written */
} pm_resource_result;

struct pm__resource_sampler;
typedef struct pm_resource_span {
    const char *name;               /* NULL: measure, record nothing */
    uint64_t    start;              /* CLOCK_MONOTONIC ns at begin */
    uint64_t    cpu_user_ns, cpu_sys_ns;  /* calling thread's, at begin */
    uint64_t    process_cpu_user_ns, process_cpu_sys_ns;
    int64_t     rss_bytes, hwm_bytes; /* process RSS and high-water mark at begin */
    pm_resource_snapshot *snapshots;
    uint32_t    capacity;
    uint32_t    failed;             /* set to 1 before the end: timer N counts an error */
    struct pm__resource_sampler *sampler;  /* NULL unsampled */
} pm_resource_span;

/* pm_resource_begin(name) = pm_resource_begin_ex(name, NULL): unsampled.
   pm_resource_end: measures, stops the sampler, records the series, and
   returns the figures; the span is spent (a second end records nothing).
   Existing `pm_resource_end(&s);` calls simply ignore the result.
   Thread safety: a span belongs to the thread that began it (its CPU
   figures are that thread's); distinct spans, sampled or not, may run at
   once in any threads, nested or overlapping. Not async-signal-safe. */
PM_API pm_resource_span   pm_resource_begin(const char *name);
PM_API pm_resource_span   pm_resource_begin_ex(const char *name, const pm_resource_options *opt);
PM_API pm_resource_result pm_resource_end(pm_resource_span *s);

typedef struct pm_benchmark_result {
    uint64_t count;                 /* iterations run */
    double   mean_ns;
    uint64_t min_ns, p50_ns, p95_ns, p99_ns, max_ns;  /* percentiles: <= 0.8% error */
    uint64_t total_ns;              /* wall time of the whole run */
    uint64_t cpu_user_ns, cpu_sys_ns; /* calling thread's CPU time over the run */
    uint64_t peak_rss_bytes;        /* process peak RSS during the run (as a resource span's) */
    int64_t  rss_delta_bytes;       /* process RSS after minus before */
} pm_benchmark_result;

/* pm_benchmark: calls fn(arg) `iterations` times, timing each call (two
   clock reads, ~45 ns, are included in each figure), fills *out and records
   timer `name` plus its resource series (see above) in the segment. Works,
   and fills *out, even when recording is off or compiled out (it is the
   one function that does real work then). Returns PM_OK, PM_ERR_INVALID
   (no fn, no out, zero iterations) or PM_ERR_NO_MEMORY.
   Thread safety: safe; fn runs on the calling thread. */
PM_API pm_result pm_benchmark(const char *name, void (*fn)(void *arg), void *arg,
                              uint64_t iterations, pm_benchmark_result *out);

/* ---- everything below is implementation detail used by the macros ---- */

#define PM__ID_DROP_BASE  0x80000000u
enum { /* why a call site's records are dropped (or, PM__DROP_OFF, ignored) */
    PM__DROP_FULL = PM_SHM_DROP_SERIES_FULL, PM__DROP_BAD_NAME = PM_SHM_DROP_BAD_NAME,
    PM__DROP_KIND = PM_SHM_DROP_KIND_MISMATCH, PM__DROP_UNIT = PM_SHM_DROP_UNIT_MISMATCH,
    PM__DROP_NEGATIVE = PM_SHM_DROP_NEGATIVE, PM__DROP_NO_MEMORY = PM_SHM_DROP_NO_MEMORY,
    PM__DROP_OFF = 7
};
enum { PM__UNINIT = 0, PM__ON = 1, PM__OFF = 2 };

#if defined(__GNUC__)
#define PM__LIKELY(x)   __builtin_expect(!!(x), 1)
#define PM__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define PM__LIKELY(x)   (x)
#define PM__UNLIKELY(x) (x)
#endif
/* Marks code that reads cells other threads write with plain adds. It reads
   them as the viewer process does (aligned 64-bit words, seqlock-checked),
   which ThreadSanitizer, seeing one side atomic, would report as a race. */
#if defined(__SANITIZE_THREAD__)
#define PM__NO_TSAN __attribute__((no_sanitize_thread))
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PM__NO_TSAN __attribute__((no_sanitize("thread")))
#endif
#endif
#ifndef PM__NO_TSAN
#define PM__NO_TSAN
#endif
#ifndef PM_TLS_MODEL
#define PM_TLS_MODEL "initial-exec"
#endif

/* The hot path's state. Every layout value here is the writer's private
   copy: nothing read back from the segment (which any process of our user
   can write) decides where a record goes. */
PM_API extern __thread pm_shm_cell *pm__tls_row __attribute__((tls_model(PM_TLS_MODEL)));
PM_API extern int            pm__state;        /* PM__UNINIT / ON / OFF */
PM_API extern char          *pm__base;         /* the mapping */
PM_API extern pm_shm_series *pm__series;       /* series records */
PM_API extern int            pm__use_tsc;
PM_API extern uint64_t       pm__tsc_mult;     /* ns per tick, 32.32 fixed point */
PM_API extern pm_id          pm__id_end;       /* ids are below this */
PM_API extern uint64_t       pm__arena_lo;     /* histogram offsets h with */
PM_API extern uint64_t       pm__arena_room;   /* h - pm__arena_lo < pm__arena_room are ours */

PM_API pm_id    pm__resolve(pm_id *site, const char *name, pm_kind kind, pm_unit unit);
PM_API uint64_t pm__hist_attach(pm_shm_cell *c, uint64_t seen);
PM_API void     pm__observe_unattached(pm_shm_cell *c, uint64_t v, int err, uint64_t slow_ns, uint64_t hoff);
PM_API void     pm__drop_hist(void);
PM_API void     pm__drop_id(pm_id id);
PM_API uint64_t pm__clock_fallback(void);
PM_API void     pm__count_slow(pm_id *site, const char *name, pm_id id, uint64_t n);
PM_API void     pm__gauge_slow(pm_id *site, const char *name, pm_id id, int64_t v, int add);
PM_API void     pm__observe_slow(pm_id *site, const char *name, pm_kind kind, pm_unit unit,
                                 pm_id id, uint64_t v, int err);

static inline int pm__valid(pm_id id) { return (int32_t)id > 0; }
/* An id that names a series of kind k, checked against the private bound
   (ids given to the *_id functions come from the caller). */
static inline int pm__id_is(pm_id id, unsigned k) { return (id & (PM_SHM_CELL_SIZE - 1u)) == k && id < pm__id_end; }
static inline uint32_t pm__index_of(pm_id id) { return id / PM_SHM_CELL_SIZE - 1u; }
/* The cell of id in row; k, the id's kind, is a constant at every call, so
   the subtraction folds into the address. */
static inline pm_shm_cell *pm__cell(pm_shm_cell *row, pm_id id, unsigned k)
{
    return (pm_shm_cell *)(void *)((char *)row + id - PM_SHM_CELL_SIZE - k);
}

static inline uint64_t pm__ticks(void)
{
#if defined(__x86_64__)
    if (PM__UNLIKELY(pm__use_tsc)) return __builtin_ia32_rdtsc();
#endif
#if defined(CLOCK_MONOTONIC)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#else
    return pm__clock_fallback();
#endif
}

static inline uint64_t pm__ticks_to_ns(uint64_t d)
{
    if (PM__UNLIKELY(pm__use_tsc)) {
        __extension__ typedef unsigned __int128 pm__u128;
        return (uint64_t)(((pm__u128)d * pm__tsc_mult) >> 32);
    }
    return d;
}

#define PM__LOAD(p)     __atomic_load_n((p), __ATOMIC_RELAXED)
#define PM__STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
/* A call site's cached id is published with release after its series record
   is written, and read with acquire, so the record (slow threshold, kind) is
   visible through it. Free on x86-64: both are plain moves. */
#define PM__SITE(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)

/* Counter. The cell has exactly one writer, this thread, and only readers
   (the viewer, and pm_reset's sums, see pm__add_cell) read it, so a plain
   add is exact here; it compiles to one add-to-memory, whose aligned 64-bit
   store a reader sees whole. (A relaxed atomic load + store pair costs 1.5x more:
   compilers do not fuse it.) An increment of 2^63 or more is a negative
   number cast to unsigned: it is dropped and counted (dropped_negative).
   `checked`: the id came from the caller, so its kind and bound are checked. */
static inline void pm__count(pm_id *site, const char *name, pm_id id, uint64_t n, int checked)
{
    pm_shm_cell *row = pm__tls_row;
    if (PM__LIKELY(row != NULL && (checked ? pm__id_is(id, PM_KIND_COUNTER) : pm__valid(id)) &&
                   (int64_t)n >= 0)) {
        pm__cell(row, id, PM_KIND_COUNTER)->count += n;
        return;
    }
    if (row == NULL && PM__LOAD(&pm__state) == PM__OFF) return;
    pm__count_slow(site, name, id, n);
}

/* Gauge: the value lives in the series record, shared by every thread, so
   an add is an atomic read-modify-write (a set is a plain store). */
static inline void pm__gauge(pm_id *site, const char *name, pm_id id, int64_t v, int add, int checked)
{
    /* the row check proves the segment is this process's (see fork) */
    if (PM__LIKELY(pm__tls_row != NULL && (checked ? pm__id_is(id, PM_KIND_GAUGE) : pm__valid(id)))) {
        uint64_t *g = &pm__series[pm__index_of(id)].gauge;
        if (add) __atomic_fetch_add(g, (uint64_t)v, __ATOMIC_RELAXED);
        else PM__STORE(g, (uint64_t)v);
        return;
    }
    if (pm__tls_row == NULL && PM__LOAD(&pm__state) == PM__OFF) return;
    pm__gauge_slow(site, name, id, v, add);
}

/* A value into a cell, inside its seqlock; bucket is its histogram bucket,
   or NULL when the cell has no histogram. */
static inline void pm__cell_update(pm_shm_cell *c, uint64_t v, int err, uint64_t slow_ns, uint64_t *bucket)
{
    uint64_t seq = PM__LOAD(&c->seq);
    PM__STORE(&c->seq, seq + 1u);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    uint64_t n = PM__LOAD(&c->count);
    PM__STORE(&c->count, n + 1u);
    PM__STORE(&c->sum, PM__LOAD(&c->sum) + v);
    if (n == 0 || v < PM__LOAD(&c->min)) PM__STORE(&c->min, v);
    if (n == 0 || v > PM__LOAD(&c->max)) PM__STORE(&c->max, v);
    if (err) PM__STORE(&c->errors, PM__LOAD(&c->errors) + 1u);
    if (v >= slow_ns) PM__STORE(&c->slow, PM__LOAD(&c->slow) + 1u);
    if (bucket) PM__STORE(bucket, PM__LOAD(bucket) + 1u);
    __atomic_store_n(&c->seq, seq + 2u, __ATOMIC_RELEASE);
}

/* Timer or distribution value into this thread's cell. The histogram
   offset is read from shared memory, so it is used only when it lies in
   the arena as this process laid it out (one compare, which also rejects
   0, "none yet", and PM_SHM_HIST_NONE); anything else, the cell's first
   record included, goes out of line. */
static inline void pm__observe_row(pm_shm_cell *row, pm_id id, unsigned kind, uint64_t v, int err, uint64_t slow_ns)
{
    pm_shm_cell *c = pm__cell(row, id, kind);
    uint64_t hoff = PM__LOAD(&c->hist_off);
    if (PM__UNLIKELY(hoff - pm__arena_lo >= pm__arena_room)) {
        pm__observe_unattached(c, v, err, slow_ns, hoff);
        return;
    }
    pm__cell_update(c, v, err, slow_ns, (uint64_t *)(void *)(pm__base + hoff) + pm_shm_hist_index(v));
}

static inline void pm__observe(pm_id *site, const char *name, pm_kind kind, pm_unit unit,
                               pm_id id, uint64_t v, int err, int checked)
{
    pm_shm_cell *row = pm__tls_row;
    if (PM__LIKELY(row != NULL && (checked ? pm__id_is(id, (unsigned)kind) : pm__valid(id)))) {
        uint64_t slow = kind == PM_KIND_TIMER ? PM__LOAD(&pm__series[pm__index_of(id)].slow_ns) : UINT64_MAX;
        pm__observe_row(row, id, (unsigned)kind, v, err, slow);
        return;
    }
    if (row == NULL && PM__LOAD(&pm__state) == PM__OFF) return;
    pm__observe_slow(site, name, kind, unit, id, v, err);
}

static inline void pm__record(pm_id *site, const char *name, pm_unit unit, int64_t v)
{
    pm__observe(site, name, PM_KIND_DISTRIBUTION, unit, PM__SITE(site), v < 0 ? 0u : (uint64_t)v, 0, 0);
}

static inline pm_span pm__begin(pm_id *site, const char *name)
{
    pm_span s;
    s.id = site ? PM__SITE(site) : 0;
    s.failed = 0;
    s.start = 0;
    if (PM__UNLIKELY(!pm__valid(s.id))) {
        if (pm__tls_row == NULL && PM__LOAD(&pm__state) == PM__OFF) return s;
        if (s.id == 0) s.id = pm__resolve(site, name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS);
    }
    if (pm__valid(s.id)) s.start = pm__ticks();
    return s;
}

/* A span's id may come from pm_begin_id(), so its kind is checked. */
static inline void pm__end(pm_span s, int ok)
{
    if (PM__UNLIKELY(!pm__valid(s.id))) {
        if (s.id > PM__ID_DROP_BASE) pm__drop_id(s.id);
        return;
    }
    uint64_t t1 = pm__ticks();
    uint64_t ns = t1 > s.start ? pm__ticks_to_ns(t1 - s.start) : 0u;
    pm__observe(NULL, NULL, PM_KIND_TIMER, PM_UNIT_NANOSECONDS, s.id, ns, !ok || s.failed, 1);
}

/* By id (from pm_lookup): the macros' paths, without a call site. An id of
   another kind (a counter's id given to pm_record_id, say) is a counted
   drop (dropped_kind_mismatch). Thread safety: safe; async-signal-safe
   once the thread owns a slot (see THREAD AND PROCESS SAFETY). */
static inline void pm_count_id(pm_id id, uint64_t n)     { pm__count(NULL, NULL, id, n, 1); }
static inline void pm_gauge_set_id(pm_id id, int64_t v)  { pm__gauge(NULL, NULL, id, v, 0, 1); }
static inline void pm_gauge_add_id(pm_id id, int64_t d)  { pm__gauge(NULL, NULL, id, d, 1, 1); }
static inline void pm_record_id(pm_id id, int64_t v)
{
    pm__observe(NULL, NULL, PM_KIND_DISTRIBUTION, PM_UNIT_NONE, id, v < 0 ? 0u : (uint64_t)v, 0, 1);
}
/* pm_duration_id: a duration whose outcome is known only at its end. */
static inline void pm_duration_id(pm_id id, uint64_t ns, int ok)
{
    pm__observe(NULL, NULL, PM_KIND_TIMER, PM_UNIT_NANOSECONDS, id, ns, !ok, 1);
}
static inline pm_span pm_begin_id(pm_id id)
{
    pm_span s;
    s.id = id; s.failed = 0; s.start = pm__valid(id) ? pm__ticks() : 0u;
    return s;
}

/* ---- the macros ----
   A macro's name must be a string literal (or a macro that is one): the
   call site caches the series it resolved the first time, so a name built
   at run time would send every record to the first name it held. That
   mistake is a compile error naming this check; use the by-name functions
   (pm_count, pm_record, pm_begin, pm_scope, ...) or pm_lookup() + *_id. */
#define PM__NAME_MUST_BE_A_STRING_LITERAL__for_run_time_names_use_pm_count_pm_record_pm_begin_pm_scope_or_pm_lookup(name) ("" name "")
#define PM__LIT(name) PM__NAME_MUST_BE_A_STRING_LITERAL__for_run_time_names_use_pm_count_pm_record_pm_begin_pm_scope_or_pm_lookup(name)

/* Each macro owns a static id for its call site. */
#define PM__SITE_STMT(call) do { static pm_id pm__site_; call; } while (0)

#define PM_COUNT(name, n)        PM__SITE_STMT(pm__count(&pm__site_, PM__LIT(name), PM__SITE(&pm__site_), (uint64_t)(n), 0))
#define PM_GAUGE_SET(name, v)    PM__SITE_STMT(pm__gauge(&pm__site_, PM__LIT(name), PM__SITE(&pm__site_), (int64_t)(v), 0, 0))
#define PM_GAUGE_ADD(name, d)    PM__SITE_STMT(pm__gauge(&pm__site_, PM__LIT(name), PM__SITE(&pm__site_), (int64_t)(d), 1, 0))
#define PM_RECORD(name, v)       PM__SITE_STMT(pm__record(&pm__site_, PM__LIT(name), PM_UNIT_NONE, (int64_t)(v)))
#define PM_RECORD_UNIT(name, v, unit) PM__SITE_STMT(pm__record(&pm__site_, PM__LIT(name), (unit), (int64_t)(v)))
#define PM_RECORD_BYTES(name, v) PM_RECORD_UNIT(name, v, PM_UNIT_BYTES)
#define PM_DURATION(name, ns, ok) PM__SITE_STMT( \
    pm__observe(&pm__site_, PM__LIT(name), PM_KIND_TIMER, PM_UNIT_NANOSECONDS, PM__SITE(&pm__site_), (uint64_t)(ns), !(ok), 0))

#if defined(__GNUC__)
/* PM_BEGIN is an expression, so its static lives in a statement expression. */
#define PM_BEGIN(name) __extension__({ static pm_id pm__site_; pm__begin(&pm__site_, PM__LIT(name)); })
#else
#define PM_BEGIN(name) pm_begin(PM__LIT(name))
#endif
#define PM_END(s)        pm__end((s), 1)
#define PM_END_ERROR(s)  pm__end((s), 0)
#define PM_SPAN_FAIL(s)  ((s).failed = 1u)

/* PM_SCOPE(name) times the rest of the enclosing block; pm_scope(name) does
   the same for a name built at run time. PM_SCOPE_FAIL() marks the
   innermost one of the block as failed (it then counts as an error); in
   C++ a scope left by an exception counts as an error too. One per block;
   nested blocks may have their own (no -Wshadow warning). Directly under a
   `case` label (no braces) it is a compile error in C and C++: a jump past
   it to the next label would end a timer that never started. */
#define PM__CAT2(a, b) a##b
#define PM__CAT(a, b) PM__CAT2(a, b)
#define PM__NO_SHADOW_BEGIN _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wshadow\"")
#define PM__NO_SHADOW_END   _Pragma("GCC diagnostic pop") \
    typedef int PM__CAT(pm__scope_end_, __COUNTER__) __attribute__((unused))
#ifdef __cplusplus
}  /* extern "C" */
#if __cplusplus >= 201703L || !defined(__STRICT_ANSI__)
#include <exception>
#define PM__UNCAUGHT() std::uncaught_exceptions()
#else
/* strict C++11/14: libstdc++ has the function (since GCC 6) but declares it only for C++17 */
namespace std { int uncaught_exceptions() noexcept; }
#define PM__UNCAUGHT() std::uncaught_exceptions()
#endif
/* The guard counts the exceptions in flight when the scope began: more of
   them when it ends means the block is being left by a throw. */
struct pm__scope_guard {
    pm_span s;
    int in_flight;
    explicit pm__scope_guard(pm_span sp) : s(sp), in_flight(PM__UNCAUGHT()) {}
    ~pm__scope_guard() { pm__end(s, PM__UNCAUGHT() <= in_flight); }
    pm__scope_guard(const pm__scope_guard &) = delete;
    pm__scope_guard &operator=(const pm__scope_guard &) = delete;
};
#define PM__SCOPE_DECL(pre, begin) PM__NO_SHADOW_BEGIN pre pm__scope_guard pm__scope_(begin); PM__NO_SHADOW_END
#define PM_SCOPE_FAIL() (pm__scope_.s.failed = 1u)
struct pm__resource_guard {
    pm_resource_span s;
    explicit pm__resource_guard(const char *name) : s(pm_resource_begin(name)) {}
    ~pm__resource_guard() { (void)pm_resource_end(&s); }
    pm__resource_guard(const pm__resource_guard &) = delete;
    pm__resource_guard &operator=(const pm__resource_guard &) = delete;
};
#define PM_RESOURCE_SCOPE(name) PM__NO_SHADOW_BEGIN pm__resource_guard pm__resource_(name); PM__NO_SHADOW_END
extern "C" {
#else
static inline void pm__scope_end(pm_span *s) { pm__end(*s, 1); }
/* A pointer to a variably modified type makes a jump into the scope (a
   case label after an unbraced PM_SCOPE, a goto) a compile error; it costs
   nothing at run time. */
#define PM__NO_JUMP_PAST(tag) int PM__CAT(pm__one_##tag##_, __LINE__) = 1; \
    char (*PM__CAT(pm__PM_SCOPE_under_a_case_label_needs_braces_##tag##_, __LINE__))[PM__CAT(pm__one_##tag##_, __LINE__)] \
        __attribute__((unused)) = 0;
#define PM__SCOPE_DECL(pre, begin) PM__NO_SHADOW_BEGIN pre PM__NO_JUMP_PAST(scope) \
    pm_span pm__scope_ __attribute__((cleanup(pm__scope_end), unused)) = (begin); PM__NO_SHADOW_END
#define PM_SCOPE_FAIL() (pm__scope_.failed = 1u)
#define PM_RESOURCE_SCOPE(name) PM__NO_SHADOW_BEGIN PM__NO_JUMP_PAST(resource) \
    pm_resource_span pm__resource_ __attribute__((cleanup(pm_resource_end), unused)) = pm_resource_begin(name); \
    PM__NO_SHADOW_END
#endif
#define PM_SCOPE(name) PM__SCOPE_DECL(static pm_id pm__scope_site_;, pm__begin(&pm__scope_site_, PM__LIT(name)))
#define pm_scope(name) PM__SCOPE_DECL(, pm_begin(name))

#else /* PM_ENABLED == 0: everything compiles away; arguments are not evaluated */

#define PM__ID_OFF 0x80000007u  /* what pm_lookup returns when compiled out: nonzero, ignored */
static inline pm_result pm_init(const pm_config *cfg) { (void)cfg; return PM_ERR_DISABLED; }
static inline void pm_shutdown(void) {}
static inline const char *pm_result_str(pm_result r) { return r == PM_OK ? "ok" : "perfmon compiled out (PM_ENABLED=0)"; }
static inline pm_id pm_lookup(const char *n, pm_kind k, pm_unit u) { (void)n; (void)k; (void)u; return PM__ID_OFF; }
static inline pm_result pm_prepare(pm_id id) { (void)id; return PM_ERR_DISABLED; }
static inline void pm_count(const char *n, uint64_t v) { (void)n; (void)v; }
static inline void pm_gauge_set(const char *n, int64_t v) { (void)n; (void)v; }
static inline void pm_gauge_add(const char *n, int64_t v) { (void)n; (void)v; }
static inline void pm_record(const char *n, int64_t v) { (void)n; (void)v; }
static inline void pm_record_duration(const char *n, uint64_t ns, int ok) { (void)n; (void)ns; (void)ok; }
static inline void pm_timer_start(const char *n) { (void)n; }
static inline double pm_timer_stop(const char *n) { (void)n; return -1.0; }
static inline void pm_set_slow_threshold_ms(const char *n, double ms) { (void)n; (void)ms; }
static inline void pm_set_unit(const char *n, pm_unit u) { (void)n; (void)u; }
static inline const char *pm_segment_path(void) { return ""; }
static inline pm_result pm_reset(void) { return PM_ERR_DISABLED; }
static inline pm_result pm_reset_series(const char *n) { (void)n; return PM_ERR_DISABLED; }
static inline void pm_count_id(pm_id id, uint64_t n) { (void)id; (void)n; }
static inline void pm_gauge_set_id(pm_id id, int64_t v) { (void)id; (void)v; }
static inline void pm_gauge_add_id(pm_id id, int64_t v) { (void)id; (void)v; }
static inline void pm_record_id(pm_id id, int64_t v) { (void)id; (void)v; }
static inline void pm_duration_id(pm_id id, uint64_t ns, int ok) { (void)id; (void)ns; (void)ok; }
static inline pm_span pm_begin_id(pm_id id) { pm_span s; s.id = 0; s.failed = 0; s.start = 0; (void)id; return s; }
static inline pm_span pm_begin(const char *n) { (void)n; return pm_begin_id(0); }
typedef struct pm_resource_snapshot { uint64_t t_ns; int64_t rss_bytes; uint64_t cpu_user_ns, cpu_sys_ns; } pm_resource_snapshot;
typedef struct pm_resource_options {
    uint32_t interval_ms, capacity; pm_resource_snapshot *snapshots;
} pm_resource_options;
typedef struct pm_resource_result {
    uint64_t wall_ns, cpu_user_ns, cpu_sys_ns, process_cpu_user_ns, process_cpu_sys_ns;
    double cpu_pct, process_cpu_pct;
    int64_t rss_start_bytes, rss_end_bytes, rss_delta_bytes, peak_rss_bytes, peak_delta_bytes;
    uint32_t peak_exact, snapshots, samples, interval_ms, measured, recorded;
} pm_resource_result;
typedef struct pm_resource_span { uint32_t failed; } pm_resource_span;
/* Compiled out, a resource span measures nothing: a zero result, measured = 0. */
static inline pm_resource_span pm_resource_begin_ex(const char *n, const pm_resource_options *o)
{
    pm_resource_span s; s.failed = 0; (void)n; (void)o; return s;
}
static inline pm_resource_span pm_resource_begin(const char *n) { return pm_resource_begin_ex(n, 0); }
static inline pm_resource_result pm_resource_end(pm_resource_span *s)
{
    pm_resource_result r;
    unsigned char *b = (unsigned char *)&r;
    for (size_t i = 0; i < sizeof r; i++) b[i] = 0;
    (void)s;
    return r;
}
typedef struct pm_benchmark_result {
    uint64_t count; double mean_ns; uint64_t min_ns, p50_ns, p95_ns, p99_ns, max_ns, total_ns;
    uint64_t cpu_user_ns, cpu_sys_ns, peak_rss_bytes; int64_t rss_delta_bytes;
} pm_benchmark_result;
/* Compiled out, a benchmark still runs fn (its side effects may matter) but measures nothing. */
static inline pm_result pm_benchmark(const char *n, void (*fn)(void *), void *arg, uint64_t it, pm_benchmark_result *out)
{
    (void)n;
    if (!fn || !out || !it) return PM_ERR_INVALID;
    for (uint64_t i = 0; i < it; i++) fn(arg);
    out->count = it; out->mean_ns = 0; out->min_ns = out->p50_ns = out->p95_ns = out->p99_ns = out->max_ns = 0;
    out->total_ns = out->cpu_user_ns = out->cpu_sys_ns = out->peak_rss_bytes = 0; out->rss_delta_bytes = 0;
    return PM_ERR_DISABLED;
}

/* "Used" for every warning, evaluated never: the operands sit in the
   untaken arm of a constant conditional. Names are still checked to be
   literals, so a build with perfmon compiled out fails where one with it
   would. */
#define PM__LIT(name) ("" name "")
#define PM__UNUSED1(a)       ((void)(0 ? ((void)(a), 0) : 0))
#define PM__UNUSED2(a, b)    ((void)(0 ? ((void)(a), (void)(b), 0) : 0))
#define PM__UNUSED3(a, b, c) ((void)(0 ? ((void)(a), (void)(b), (void)(c), 0) : 0))
#define PM_COUNT(name, n)             PM__UNUSED2(PM__LIT(name), n)
#define PM_GAUGE_SET(name, v)         PM__UNUSED2(PM__LIT(name), v)
#define PM_GAUGE_ADD(name, d)         PM__UNUSED2(PM__LIT(name), d)
#define PM_RECORD(name, v)            PM__UNUSED2(PM__LIT(name), v)
#define PM_RECORD_UNIT(name, v, unit) PM__UNUSED3(PM__LIT(name), v, unit)
#define PM_RECORD_BYTES(name, v)      PM__UNUSED2(PM__LIT(name), v)
#define PM_DURATION(name, ns, ok)     PM__UNUSED3(PM__LIT(name), ns, ok)
#define PM_BEGIN(name)                (PM__UNUSED1(PM__LIT(name)), pm_begin_id(0))
#define PM_END(s)                     PM__UNUSED1(s)
#define PM_END_ERROR(s)               PM__UNUSED1(s)
#define PM_SPAN_FAIL(s)               PM__UNUSED1(s)
#define PM_SCOPE(name)                PM__UNUSED1(PM__LIT(name))
#define pm_scope(name)                PM__UNUSED1(name)
#define PM_SCOPE_FAIL()               ((void)0)
#define PM_RESOURCE_SCOPE(name)       PM__UNUSED1(name)

#endif /* PM_ENABLED */

/* pm_name, here for both builds: it is pure string work. */
static inline int pm__name_put(char *buf, size_t size, size_t *n, const char *s, size_t len)
{
    if (*n + len >= size) return -1;
    for (size_t i = 0; i < len; i++) buf[*n + i] = s[i];
    *n += len;
    return 0;
}

PM__SENTINEL static inline int pm_name(char *buf, size_t size, const char *base, ...)
{
    va_list ap;
    size_t n = 0, blen = 0;
    int bad = 0, first = 1;
    const char *k;
    if (!buf || size == 0) return -1;
    if (!base) { buf[0] = '\0'; return -1; }
    while (base[blen]) blen++;
    bad |= pm__name_put(buf, size, &n, base, blen);
    va_start(ap, base);
    while (!bad && (k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        size_t klen = 0;
        if (!v) { bad = 1; break; }          /* an odd list: the NULL ended a pair early */
        while (k[klen]) klen++;
        bad |= pm__name_put(buf, size, &n, first ? "{" : ",", 1);
        bad |= pm__name_put(buf, size, &n, k, klen);
        bad |= pm__name_put(buf, size, &n, "=\"", 2);
        for (; *v && !bad; v++) {
            if (*v == '"' || *v == '\\') bad |= pm__name_put(buf, size, &n, "\\", 1);
            if (*v == '\n') bad |= pm__name_put(buf, size, &n, "\\n", 2);
            else bad |= pm__name_put(buf, size, &n, v, 1);
        }
        bad |= pm__name_put(buf, size, &n, "\"", 1);
        first = 0;
    }
    va_end(ap);
    if (!bad && !first) bad |= pm__name_put(buf, size, &n, "}", 1);
    if (!bad && !pm_shm_name_valid(buf, n)) bad = 1;   /* the registry's own rules */
    if (bad) { buf[0] = '\0'; return -1; }
    buf[n] = '\0';
    return (int)n;
}


#ifdef __cplusplus
}
#endif
#endif /* PERFMON_H */

/* ======================================================================== */
/*                              IMPLEMENTATION                              */
/* ======================================================================== */
#if defined(PERFMON_IMPLEMENTATION) && PM_ENABLED
#ifndef PERFMON_IMPLEMENTATION_INCLUDED
#define PERFMON_IMPLEMENTATION_INCLUDED

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if !defined(O_NOFOLLOW) || !defined(LOCK_EX) || !defined(FALLOC_FL_KEEP_SIZE)
/* The rest of the implementation is left out, so this is the only error. */
#error "perfmon: include perfmon.h before any other header in the PERFMON_IMPLEMENTATION file, or compile it with -D_GNU_SOURCE"
#else

#define PM__DEFAULT_MAX_SERIES   1024u
#define PM__DEFAULT_MAX_THREADS  128u
#define PM__DEFAULT_HIST_MB      64u
#define PM__DEFAULT_SLOW_MS      1000.0
#define PM__DEFAULT_HEARTBEAT_MS 1000u
#define PM__MAX_CHILDREN 64         /* fork children followed at once; more are gc's */
#define PM__TIMER_STACK          32
#define PM__OPEN_FLAGS           (O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)

__thread pm_shm_cell *pm__tls_row __attribute__((tls_model(PM_TLS_MODEL)));
int            pm__state;
char          *pm__base;
pm_shm_series *pm__series;
int            pm__use_tsc;
uint64_t       pm__tsc_mult;
pm_id          pm__id_end;
uint64_t       pm__arena_lo;
uint64_t       pm__arena_room;

/* Everything below is touched only on slow paths (first use, registration,
   thread start and exit, fork). The layout (L and the capacities) is this
   process's own record of what it created: the segment's copies of those
   fields are for readers and are never read back. */
static struct {
    pthread_mutex_t lock;
    pm_shm_header  *hdr;
    uint32_t       *hash;
    pm_shm_thread  *threads;
    pm_shm_layout_t L;
    uint32_t        max_series, max_threads;
    uint64_t        arena_size;
    /* what has been handed out, kept here and published to the segment's
       series_count, threads_used and arena_used for readers */
    uint32_t        series_next, threads_next;
    uint64_t        arena_next;
    uint32_t        pid;
    uint64_t        start_ticks;   /* /proc/self/stat field 22 */
    uint64_t        ns_dev, ns_ino;
    int             fd;
    int             keep;
    int             forked;        /* child of fork() that has no segment yet */
    int             shut;          /* pm_shutdown() ran (atomic) */
    int             once;          /* atexit/key set up */
    int             warned_late;   /* pm_init after the first record, said once */
    uint64_t        heartbeat_ns;
    pm_result       result;        /* outcome of the last initialisation */
    pthread_key_t   key;
    char            shm_name[48];
    char            path[64];
    char            notes[PM_SHM_CONFIG_ERRORS_MAX]; /* problems found before the segment exists */
    char            execed[PM_SHM_ALT_NAMES + 1][48]; /* earlier images' segments we marked */
    int             nexeced;
    uint32_t        children[PM__MAX_CHILDREN]; /* fork children whose segments we will finish */
    int             nchildren;
} pm__g = { PTHREAD_MUTEX_INITIALIZER, NULL, NULL, NULL, { 0, 0, 0, 0, 0, 0, 0 }, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            -1, 0, 0, 0, 0, 0, 0, PM_OK, 0, "", "", "", { "" }, 0, { 0 }, 0 };

static __thread struct { const char *name; pm_id id; uint64_t start; } pm__timer_stack[PM__TIMER_STACK];
static __thread int pm__timer_depth;
static __thread int pm__tls_shared;        /* this thread records through the shared slot */
static uint64_t pm__recent_notes[PM_SHM_DROP_NOTES]; /* hashes of the names last noted */

PM_API const char *pm_result_str(pm_result r)
{
    switch (r) {
    case PM_OK:             return "ok";
    case PM_ERR_DISABLED:   return "recording is disabled (PERFMON=0)";
    case PM_ERR_ALREADY:    return "already initialised; configuration ignored";
    case PM_ERR_STATE:      return "perfmon was shut down";
    case PM_ERR_INVALID:    return "invalid configuration value or argument";
    case PM_ERR_SHM:        return "cannot create or map the shared-memory segment";
    case PM_ERR_PERMISSION: return "permission denied on /dev/shm";
    case PM_ERR_NO_SPACE:   return "no space left in /dev/shm for the segment";
    case PM_ERR_EXISTS:     return "perfmon.<pid> and all its fallback names in /dev/shm are taken";
    case PM_ERR_NO_MEMORY:  return "out of memory";
    }
    return "unknown perfmon result";
}

static uint64_t pm__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

PM_API uint64_t pm__clock_fallback(void) { return pm__mono_ns(); }

static uint64_t pm__real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- writer notes: configuration mistakes and start-up problems ----
   Each is one line on stderr, once, and a line in the segment's
   config_errors, so a viewer shows it long after stderr is gone. */

static void pm__append_line(char *text, size_t size, const char *line)
{
    size_t have = strnlen(text, size - 1), add = strlen(line);
    if (have + (have ? 1 : 0) + add >= size) return;   /* full: stderr still has it */
    /* the new bytes and their NUL first, then the separator, so a reader
       in another process always finds the text terminated */
    memcpy(text + have + (have ? 1 : 0), line, add);
    text[have + (have ? 1 : 0) + add] = '\0';
    if (have) __atomic_store_n(&text[have], '\n', __ATOMIC_RELEASE);
}

static void pm__note_problem(const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';   /* values come from the environment */
    fprintf(stderr, "perfmon: %s\n", line);
    if (pm__g.hdr) pm__append_line(pm__g.hdr->config_errors, sizeof pm__g.hdr->config_errors, line);
    else pm__append_line(pm__g.notes, sizeof pm__g.notes, line);
}

/* ---- environment ---- */

/* A variable's value cut for quoting in a note. */
static const char *pm__shown(const char *s, char *buf, size_t size)
{
    snprintf(buf, size, "%s", s);
    return buf;
}

/* An unsigned value in [lo, hi]; anything else is noted and dflt is used. */
static uint64_t pm__env_u64(const char *var, uint64_t dflt, uint64_t lo, uint64_t hi)
{
    const char *s = getenv(var);
    char *end, shown[40];
    unsigned long long v;
    if (!s || !*s) return dflt;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-' || s[0] == '+' || s[0] == ' ' || v < lo || v > hi) {
        pm__note_problem("%s=%s: not a whole number in %llu..%llu (%llu used)", var,
                         pm__shown(s, shown, sizeof shown), (unsigned long long)lo,
                         (unsigned long long)hi, (unsigned long long)dflt);
        return dflt;
    }
    return v;
}

static double pm__env_ms(const char *var, double dflt)
{
    const char *s = getenv(var);
    char *end, shown[40];
    double v;
    if (!s || !*s) return dflt;
    v = strtod(s, &end);
    if (*end || !(v >= 0.0) || v > 1e12) {
        pm__note_problem("%s=%s: not a number of milliseconds >= 0 (%g used)", var,
                         pm__shown(s, shown, sizeof shown), dflt);
        return dflt;
    }
    return v;
}

static int pm__word_is(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcasecmp(s, *words) == 0) return 1;
    return 0;
}

/* The usual boolean spellings, any case; anything else is noted. */
static int pm__env_bool(const char *var, int dflt)
{
    static const char *const yes[] = { "1", "yes", "y", "true", "on", "enable", "enabled", NULL };
    static const char *const no[] = { "0", "no", "n", "false", "off", "disable", "disabled", NULL };
    const char *s = getenv(var);
    char shown[40];
    if (!s || !*s) return dflt;
    if (pm__word_is(s, yes)) return 1;
    if (pm__word_is(s, no)) return 0;
    pm__note_problem("%s=%s: not a boolean (1/0, yes/no, true/false, on/off); %s used", var,
                     pm__shown(s, shown, sizeof shown), dflt ? "on" : "off");
    return dflt;
}

/* ---- the clock ---- */

#if defined(__x86_64__)
static int pm__tsc_invariant(void)
{
    char line[4096];
    int ok = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) == 0) {
            ok = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
            break;
        }
    }
    fclose(f);
    return ok;
}

/* ns per TSC tick, measured against CLOCK_MONOTONIC over 20 ms. */
static double pm__tsc_calibrate(void)
{
    struct timespec nap = { 0, 20000000 };
    uint64_t m0 = pm__mono_ns(), c0 = __builtin_ia32_rdtsc();
    nanosleep(&nap, NULL);
    uint64_t m1 = pm__mono_ns(), c1 = __builtin_ia32_rdtsc();
    if (c1 <= c0 || m1 <= m0) return 0.0;
    return (double)(m1 - m0) / (double)(c1 - c0);
}
#endif

/* ---- segment memory ---- */

/* Commit tmpfs pages before the first touch, so a full /dev/shm shows up as
   ENOSPC here instead of SIGBUS in the host program. */
static int pm__reserve(uint64_t off, uint64_t len)
{
    int rc = fallocate(pm__g.fd, 0, (off_t)off, (off_t)len);
    if (rc == 0 || errno == EOPNOTSUPP || errno == ENOSYS) return 0;
    return -1;
}

static uint64_t *pm__reason_counter(int why)
{
    pm_shm_header *h = pm__g.hdr;
    switch (why) {
    case PM__DROP_FULL:      return &h->dropped_series_full;
    case PM__DROP_BAD_NAME:  return &h->dropped_bad_name;
    case PM__DROP_KIND:      return &h->dropped_kind_mismatch;
    case PM__DROP_UNIT:      return &h->dropped_unit_mismatch;
    case PM__DROP_NEGATIVE:  return &h->dropped_negative;
    case PM__DROP_NO_MEMORY: return &h->dropped_no_memory;
    }
    return NULL;
}

static void pm__drop(int why)
{
    pm_shm_header *h = pm__g.hdr;
    if (!h || PM__LOAD(&pm__state) != PM__ON || why == PM__DROP_OFF) return;
    uint64_t *reason = pm__reason_counter(why);
    __atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELAXED);
    if (reason) __atomic_fetch_add(reason, 1, __ATOMIC_RELAXED);
}

PM_API void pm__drop_id(pm_id id) { pm__drop((int)(id - PM__ID_DROP_BASE)); }

/* pm__observe_row's other path: the cell has no histogram yet (or its
   offset is not one we handed out): attach one, or record without. */
PM_API void pm__observe_unattached(pm_shm_cell *c, uint64_t v, int err, uint64_t slow_ns, uint64_t hoff)
{
    hoff = pm__hist_attach(c, hoff);
    if (hoff == PM_SHM_HIST_NONE) {
        pm__cell_update(c, v, err, slow_ns, NULL);
        pm__drop_hist();
        return;
    }
    pm__cell_update(c, v, err, slow_ns, (uint64_t *)(void *)(pm__base + hoff) + pm_shm_hist_index(v));
}

PM_API void pm__drop_hist(void)
{
    pm_shm_header *h = pm__g.hdr;
    if (h) __atomic_fetch_add(&h->dropped_hist, 1, __ATOMIC_RELAXED);
}

/* Keeps `name` in the segment's drop log, so a user sees which name was
   refused and why. Lock-free and bounded: a name noted lately is skipped,
   and a note another thread is writing at this instant is left to it. */
static void pm__note_drop(int why, const char *name)
{
    pm_shm_header *h = pm__g.hdr;
    if (!h || why == PM__DROP_OFF) return;
    size_t len = name ? strnlen(name, 4096) : 0;
    uint64_t key = pm_shm_hash(name ? name : "", len) ^ (uint64_t)why;
    for (unsigned i = 0; i < PM_SHM_DROP_NOTES; i++)
        if (__atomic_load_n(&pm__recent_notes[i], __ATOMIC_RELAXED) == key) return;
    uint64_t t = __atomic_fetch_add(&h->drop_log_head, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&pm__recent_notes[t % PM_SHM_DROP_NOTES], key, __ATOMIC_RELAXED);
    pm_shm_drop_note *n = &h->drop_log[t % PM_SHM_DROP_NOTES];
    uint64_t seq = __atomic_load_n(&n->seq, __ATOMIC_RELAXED);
    if ((seq & 1u) || !__atomic_compare_exchange_n(&n->seq, &seq, seq + 1u, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    size_t keep = len < PM_SHM_DROP_NAME_MAX - 1u ? len : PM_SHM_DROP_NAME_MAX - 1u;
    PM__STORE(&n->ticket, t);
    PM__STORE(&n->reason, (uint32_t)why);
    PM__STORE(&n->name_len, (uint32_t)len);
    for (size_t i = 0; i < keep; i++) PM__STORE(&n->name[i], name[i]);
    PM__STORE(&n->name[keep], '\0');
    __atomic_store_n(&n->seq, seq + 2u, __ATOMIC_RELEASE);
}

/* The registered name of a valid id (for notes about by-id records). */
static const char *pm__name_of(pm_id id)
{
    pm_shm_series *s = &pm__series[pm__index_of(id)];
    return memchr(s->name, '\0', sizeof s->name) ? s->name : "";
}

static int pm__hist_ok(uint64_t hoff) { return hoff - pm__arena_lo < pm__arena_room; }

/* Raises a reader-facing count in the segment to v (never lowers it:
   handouts publish out of order). */
static void pm__publish32(uint32_t *field, uint32_t v)
{
    uint32_t cur = __atomic_load_n(field, __ATOMIC_RELAXED);
    while (cur < v && !__atomic_compare_exchange_n(field, &cur, v, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {}
}

static void pm__publish64(uint64_t *field, uint64_t v)
{
    uint64_t cur = __atomic_load_n(field, __ATOMIC_RELAXED);
    while (cur < v && !__atomic_compare_exchange_n(field, &cur, v, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {}
}

/* Carves a histogram from the arena for cell c and publishes it there.
   Returns the cell's histogram (PM_SHM_HIST_NONE: none to be had). */
static uint64_t pm__arena_carve(void)
{
    pm_shm_header *h = pm__g.hdr;
    uint64_t hoff = PM_SHM_HIST_NONE;
    uint64_t off = __atomic_load_n(&pm__g.arena_next, __ATOMIC_RELAXED);
    for (;;) {
        if (pm__g.arena_size < PM_SHM_HIST_BYTES || off > pm__g.arena_size - PM_SHM_HIST_BYTES) break;
        if (__atomic_compare_exchange_n(&pm__g.arena_next, &off, off + PM_SHM_HIST_BYTES, 0,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            if (pm__reserve(pm__g.L.arena_off + off, PM_SHM_HIST_BYTES) == 0) hoff = pm__g.L.arena_off + off;
            pm__publish64(&h->arena_used, off + PM_SHM_HIST_BYTES);
            break;
        }
    }
    return hoff;
}

static uint64_t pm__hist_carve(pm_shm_cell *c)
{
    uint64_t hoff = pm__arena_carve(), expect = 0;
    if (!__atomic_compare_exchange_n(&c->hist_off, &expect, hoff, 0, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
        hoff = pm__hist_ok(expect) ? expect : PM_SHM_HIST_NONE;
    return hoff;
}

static int pm__shared_attaching;   /* a thread is giving a shared-slot cell its histogram */

/* Gives cell c a histogram, unless it has one (or had none to give):
   `seen` is the hist_off the caller read, which was not one of ours.
   Cells of the shared slot have many writers: they attach one at a time,
   or two racing first records would each carve a histogram and one would
   be lost to the arena for good. A thread that cannot get its turn (its
   own signal handler interrupted the attach) records without a bucket,
   counted in dropped_hist by the caller. */
PM_API uint64_t pm__hist_attach(pm_shm_cell *c, uint64_t seen)
{
    if (seen != 0 || !pm__g.hdr) return PM_SHM_HIST_NONE;      /* none to be had, or not ours */
    uint64_t shared_row = pm__g.L.cells_off + (uint64_t)pm__g.max_threads * pm__g.max_series * PM_SHM_CELL_SIZE;
    if ((uint64_t)((const char *)c - pm__base) < shared_row) return pm__hist_carve(c);
    for (unsigned spin = 0; spin < 200000u; spin++) {
        if (!__atomic_exchange_n(&pm__shared_attaching, 1, __ATOMIC_ACQUIRE)) {
            seen = __atomic_load_n(&c->hist_off, __ATOMIC_ACQUIRE);
            uint64_t hoff = seen == 0 ? pm__hist_carve(c) : pm__hist_ok(seen) ? seen : PM_SHM_HIST_NONE;
            __atomic_store_n(&pm__shared_attaching, 0, __ATOMIC_RELEASE);
            return hoff;
        }
        seen = __atomic_load_n(&c->hist_off, __ATOMIC_ACQUIRE);
        if (seen != 0) return pm__hist_ok(seen) ? seen : PM_SHM_HIST_NONE;
        if (spin > 1000u) sched_yield();
    }
    return PM_SHM_HIST_NONE;
}

/* ---- series registry: lock-free open addressing ---- */

static pm_id pm__id_of(uint32_t index, unsigned kind) { return (index + 1u) * PM_SHM_CELL_SIZE + kind; }
static pm_id pm__drop_code(int why) { return PM__ID_DROP_BASE + (pm_id)why; }

/* Waits out another thread's registration in slot *p. Bounded: a thread
   interrupted mid-registration (by a signal handler that now waits here)
   must not hang us forever. */
static uint32_t pm__wait_claim(uint32_t *p)
{
    for (unsigned spin = 0; spin < 200000u; spin++) {
        uint32_t v = __atomic_load_n(p, __ATOMIC_ACQUIRE);
        if (v != PM_SHM_HASH_CLAIMING) return v;
        if (spin > 1000u) sched_yield();
    }
    return PM_SHM_HASH_CLAIMING;
}

static pm_id pm__register_at(uint32_t *slot, const char *name, size_t len, uint64_t hv,
                             pm_kind kind, pm_unit unit)
{
    pm_shm_header *h = pm__g.hdr;
    uint32_t idx = __atomic_load_n(&pm__g.series_next, __ATOMIC_RELAXED);
    do {
        if (idx >= pm__g.max_series) {
            __atomic_store_n(slot, PM_SHM_HASH_DEAD, __ATOMIC_RELEASE);
            return pm__drop_code(PM__DROP_FULL);
        }
    } while (!__atomic_compare_exchange_n(&pm__g.series_next, &idx, idx + 1, 0,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    pm__publish32(&h->series_count, idx + 1u);
    pm_shm_series *s = &pm__series[idx];
    __atomic_store_n(&s->state, PM_SHM_SERIES_CLAIMED, __ATOMIC_RELAXED);
    s->kind = (uint16_t)kind;
    s->unit = (uint16_t)(kind == PM_KIND_TIMER ? PM_UNIT_NANOSECONDS : unit);
    s->name_len = (uint32_t)len;
    s->hash = hv;
    s->slow_ns = kind == PM_KIND_TIMER ? h->default_slow_ns : 0;
    memcpy(s->name, name, len);
    s->name[len] = '\0';
    __atomic_store_n(&s->state, PM_SHM_SERIES_READY, __ATOMIC_RELEASE);
    __atomic_store_n(slot, idx + 1u, __ATOMIC_RELEASE);
    return pm__id_of(idx, (unsigned)kind);
}

enum { PM__FIND = 0, PM__ADD = 1, PM__ADD_SET_UNIT = 2 };

/* The id of `name`, registering it when `mode` says so. The first
   registration fixes kind and unit: a later call with another kind, or
   another unit than PM_UNIT_NONE ("any"), gets a drop code. */
static pm_id pm__find_or_add(const char *name, pm_kind kind, pm_unit unit, int mode)
{
    size_t len = strnlen(name, PM_SHM_NAME_MAX);
    if (len == 0 || len >= PM_SHM_NAME_MAX) return pm__drop_code(PM__DROP_BAD_NAME);
    if (kind < PM_KIND_COUNTER || kind > PM_KIND_DISTRIBUTION) return pm__drop_code(PM__DROP_KIND);
    if (unit > PM_UNIT_BYTES) return pm__drop_code(PM__DROP_UNIT);
    /* A name already in the registry was valid when it was registered, so
       only a name about to be registered is checked. */
    uint64_t hv = pm_shm_hash(name, len);
    uint32_t mask = pm__g.L.hash_capacity - 1u, i = (uint32_t)hv & mask;
    for (uint32_t probes = 0; probes < pm__g.L.hash_capacity;) {
        uint32_t *slot = &pm__g.hash[i];
        uint32_t v = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if (v == PM_SHM_HASH_CLAIMING) {
            v = pm__wait_claim(slot);
            if (v == PM_SHM_HASH_CLAIMING) return pm__drop_code(PM__DROP_FULL);
        }
        if (v == 0) {
            if (mode == PM__FIND) return pm__drop_code(PM__DROP_OFF);
            if (!pm_shm_name_valid(name, len)) return pm__drop_code(PM__DROP_BAD_NAME);
            if (__atomic_load_n(&pm__g.series_next, __ATOMIC_RELAXED) >= pm__g.max_series)
                return pm__drop_code(PM__DROP_FULL);
            uint32_t expect = 0;
            if (__atomic_compare_exchange_n(slot, &expect, PM_SHM_HASH_CLAIMING, 0,
                                            __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
                return pm__register_at(slot, name, len, hv, kind, unit);
            continue;                          /* lost the race: look at the slot again */
        }
        if (v != PM_SHM_HASH_DEAD && v - 1u < pm__g.max_series) {
            pm_shm_series *s = &pm__series[v - 1u];
            if (s->hash == hv && s->name_len == len && memcmp(s->name, name, len) == 0) {
                if (s->kind != (uint16_t)kind) return pm__drop_code(PM__DROP_KIND);
                uint16_t have = __atomic_load_n(&s->unit, __ATOMIC_RELAXED);
                if (kind != PM_KIND_TIMER && unit != PM_UNIT_NONE && have != (uint16_t)unit) {
                    uint16_t none = PM_UNIT_NONE;
                    if (mode != PM__ADD_SET_UNIT ||
                        !__atomic_compare_exchange_n(&s->unit, &none, (uint16_t)unit, 0,
                                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                        return pm__drop_code(PM__DROP_UNIT);
                }
                return pm__id_of(v - 1u, (unsigned)kind);
            }
        }
        i = (i + 1u) & mask;
        probes++;
    }
    return mode == PM__FIND ? pm__drop_code(PM__DROP_OFF) : pm__drop_code(PM__DROP_FULL);
}

/* ---- thread slots ---- */

static pm_shm_cell *pm__row_at(uint32_t t)
{
    return (pm_shm_cell *)(void *)(pm__base + pm__g.L.cells_off +
                                   (uint64_t)t * pm__g.max_series * PM_SHM_CELL_SIZE);
}

static void pm__thread_exit(void *v)
{
    uint32_t t = (uint32_t)(uintptr_t)v - 1u;
    /* a slot of the parent's segment means nothing in a forked child */
    if (pm__g.hdr && !pm__g.forked && t < pm__g.max_threads)
        __atomic_store_n(&pm__g.threads[t].state, PM_SHM_THREAD_IDLE, __ATOMIC_RELEASE);
    pm__tls_row = NULL;
}

static int pm__ensure(void);

/* The shared slot: for threads beyond max_threads (or whose row /dev/shm
   had no room for). Counted once per thread. */
static pm_shm_cell *pm__use_shared(void)
{
    if (!pm__tls_shared) {
        pm__tls_shared = 1;
        __atomic_fetch_add(&pm__g.hdr->overflow_threads, 1, __ATOMIC_RELAXED);
    }
    return pm__row_at(pm__g.max_threads);
}

/* This thread's row: its own slot (an idle one, whose counts carry on, or a
   new one), else the shared slot (*shared is then 1). NULL when recording
   is off. */
static pm_shm_cell *pm__row(int *shared)
{
    *shared = 0;
    if (pm__tls_row) return pm__tls_row;
    if (pm__ensure() != PM__ON) return NULL;
    if (pm__tls_shared) { *shared = 1; return pm__row_at(pm__g.max_threads); }
    pm_shm_header *h = pm__g.hdr;
    uint32_t used = __atomic_load_n(&pm__g.threads_next, __ATOMIC_ACQUIRE), t;
    for (t = 0; t < used; t++) {
        uint32_t idle = PM_SHM_THREAD_IDLE;
        if (__atomic_compare_exchange_n(&pm__g.threads[t].state, &idle, PM_SHM_THREAD_ACTIVE, 0,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            goto got;
    }
    for (t = used;;) {
        if (t >= pm__g.max_threads) { *shared = 1; return pm__use_shared(); }
        if (pm__reserve(pm__g.L.cells_off + (uint64_t)t * pm__g.max_series * PM_SHM_CELL_SIZE,
                        (uint64_t)pm__g.max_series * PM_SHM_CELL_SIZE) != 0) {
            *shared = 1;
            return pm__use_shared();
        }
        if (__atomic_compare_exchange_n(&pm__g.threads_next, &t, t + 1u, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&pm__g.threads[t].state, PM_SHM_THREAD_ACTIVE, __ATOMIC_RELEASE);
            pm__publish32(&h->threads_used, t + 1u);
            break;
        }
    }
got:
    pm__g.threads[t].tid = (uint32_t)syscall(SYS_gettid);
    __atomic_fetch_add(&pm__g.threads[t].owners, 1, __ATOMIC_RELAXED);
    pthread_setspecific(pm__g.key, (void *)(uintptr_t)(t + 1u));
    pm__tls_row = pm__row_at(t);
    return pm__tls_row;
}

/* A record into a cell of the shared slot: many threads write it, so every
   field is an atomic read-modify-write (min and max by CAS; the row's min
   fields start at UINT64_MAX). */
static void pm__observe_shared(pm_shm_cell *c, uint64_t v, int err, uint64_t slow_ns)
{
    uint64_t hoff = __atomic_load_n(&c->hist_off, __ATOMIC_ACQUIRE);
    if (!pm__hist_ok(hoff)) hoff = pm__hist_attach(c, hoff);
    __atomic_fetch_add(&c->count, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c->sum, v, __ATOMIC_RELAXED);
    uint64_t cur = PM__LOAD(&c->min);
    while (v < cur && !__atomic_compare_exchange_n(&c->min, &cur, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
    cur = PM__LOAD(&c->max);
    while (v > cur && !__atomic_compare_exchange_n(&c->max, &cur, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
    if (err) __atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
    if (v >= slow_ns) __atomic_fetch_add(&c->slow, 1, __ATOMIC_RELAXED);
    if (hoff != PM_SHM_HIST_NONE)
        __atomic_fetch_add((uint64_t *)(void *)(pm__base + hoff) + pm_shm_hist_index(v), 1, __ATOMIC_RELAXED);
    else
        pm__drop_hist();
}

/* ---- initialisation, fork and shutdown ---- */

static void pm__read_proc(const char *path, char *out, size_t size, char nul_as)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = 0;
    out[0] = '\0';
    if (fd < 0) return;
    n = read(fd, out, size - 1);
    close(fd);
    if (n <= 0) { out[0] = '\0'; return; }
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\0')) out[--n] = '\0';
    for (ssize_t i = 0; i < n; i++)
        if (out[i] == '\0') out[i] = nul_as;
}

/* Who this process is, beyond a pid that is reused: its start time (field
   22 of /proc/self/stat, after the last ')', since comm may hold anything)
   and its pid namespace. */
static void pm__identify(void)
{
    char buf[1024];
    struct stat st;
    pm__g.pid = (uint32_t)getpid();
    pm__g.start_ticks = 0;
    pm__read_proc("/proc/self/stat", buf, sizeof buf, ' ');
    const char *p = strrchr(buf, ')');
    for (int field = 2; p && *p && field < 22; p++)
        if (*p == ' ') field++;
    if (p && *p) pm__g.start_ticks = strtoull(p, NULL, 10);
    pm__g.ns_dev = pm__g.ns_ino = 0;
    if (stat("/proc/self/ns/pid", &st) == 0) {
        pm__g.ns_dev = (uint64_t)st.st_dev;
        pm__g.ns_ino = (uint64_t)st.st_ino;
    }
}

static pm_result pm__errno_result(int e)
{
    if (e == EACCES || e == EPERM || e == EROFS) return PM_ERR_PERMISSION;
    if (e == ENOSPC || e == ENOMEM) return PM_ERR_NO_SPACE;
    return PM_ERR_SHM;
}

static void pm__shm_name(char *out, size_t size, int n)
{
    if (n == 0) snprintf(out, size, PM_SHM_NAME_PREFIX "%u", (unsigned)pm__g.pid);
    else snprintf(out, size, PM_SHM_NAME_PREFIX "%u.%d", (unsigned)pm__g.pid, n);
}

/* What stands at a name we want, which O_EXCL said exists. */
enum { PM__SPOT_GONE, PM__SPOT_CLEARED, PM__SPOT_EARLIER_IMAGE, PM__SPOT_TAKEN };

/* Looks at the file without ever blocking (it may be a FIFO, or carry a
   lease, planted by anyone: /dev/shm is world-writable). A dead segment
   of ours is removed, unless it is this very process's from before an
   exec(), which is marked and kept for readers. why says what took it. */
static int pm__inspect(const char *shm_name, char *why, size_t whylen)
{
    struct stat st;
    pm_shm_header hd;
    int fd = shm_open(shm_name, O_RDONLY | PM__OPEN_FLAGS, 0), kind = PM__SPOT_TAKEN, whole = 0;
    if (fd < 0) {
        if (errno == ENOENT) return PM__SPOT_GONE;
        snprintf(why, whylen, "cannot be opened (%s)", strerror(errno));
        return PM__SPOT_TAKEN;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) snprintf(why, whylen, "is not a regular file");
    else if (st.st_uid != geteuid()) snprintf(why, whylen, "belongs to uid %u", (unsigned)st.st_uid);
    else if (st.st_nlink != 1) snprintf(why, whylen, "has %u links", (unsigned)st.st_nlink);
    else if (flock(fd, LOCK_EX | LOCK_NB) != 0) snprintf(why, whylen, "is in use by a live writer");
    else if (((whole = pread(fd, &hd, sizeof hd, 0) == (ssize_t)sizeof hd) == 0 || hd.state == PM_SHM_STATE_INIT) &&
             time(NULL) - st.st_mtime < 2)
        /* a writer takes its lock just after creating the file: a young
           file without a header may be one in that instant */
        snprintf(why, whylen, "is a segment still being created");
    else if (whole && hd.state != PM_SHM_STATE_INIT && memcmp(hd.magic, PM_SHM_MAGIC, 8) == 0 && hd.version == PM_SHM_VERSION &&
             hd.pid == pm__g.pid && pm__g.start_ticks && hd.proc_start_ticks == pm__g.start_ticks &&
             hd.pid_ns_ino == pm__g.ns_ino && hd.pid_ns_dev == pm__g.ns_dev) {
        int wfd = shm_open(shm_name, O_RDWR | PM__OPEN_FLAGS, 0);
        struct stat wst;
        if (wfd >= 0 && fstat(wfd, &wst) == 0 && wst.st_ino == st.st_ino && wst.st_dev == st.st_dev) {
            uint32_t flags = hd.flags | PM_SHM_FLAG_EXECED;
            if (pwrite(wfd, &flags, sizeof flags, offsetof(pm_shm_header, flags)) == (ssize_t)sizeof flags)
                kind = PM__SPOT_EARLIER_IMAGE;
        }
        if (wfd >= 0) close(wfd);
        if (kind != PM__SPOT_EARLIER_IMAGE) snprintf(why, whylen, "holds this process's segment from before exec()");
    } else {
        shm_unlink(shm_name);                  /* a dead process's, ours: replace it */
        kind = PM__SPOT_CLEARED;
    }
    close(fd);
    return kind;
}

/* Creates and locks our segment file: /perfmon.<pid>, else the first free
   /perfmon.<pid>.<n>. *alt says which. Never blocks. */
static int pm__open_segment(pm_result *res, int *alt)
{
    char why[96] = "";
    for (int n = 0; n <= (int)PM_SHM_ALT_NAMES; n++) {
        pm__shm_name(pm__g.shm_name, sizeof pm__g.shm_name, n);
        for (int tries = 0; tries < 4; tries++) {
            int fd = shm_open(pm__g.shm_name, O_RDWR | O_CREAT | O_EXCL | PM__OPEN_FLAGS, 0600);
            if (fd >= 0) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
                    *alt = n;
                    if (n > 0 && why[0])
                        pm__note_problem(PM_SHM_DIR PM_SHM_NAME_PREFIX "%u %s: recording to " PM_SHM_DIR "%s",
                                         (unsigned)pm__g.pid, why, pm__g.shm_name);
                    return fd;
                }
                close(fd);                     /* someone locked our new file first: leave it */
                break;
            }
            if (errno != EEXIST) { *res = pm__errno_result(errno); return -1; }
            char here[96] = "";
            int spot = pm__inspect(pm__g.shm_name, here, sizeof here);
            if (spot == PM__SPOT_GONE || spot == PM__SPOT_CLEARED) continue;
            if (spot == PM__SPOT_EARLIER_IMAGE && pm__g.nexeced < (int)PM_SHM_ALT_NAMES + 1)
                snprintf(pm__g.execed[pm__g.nexeced++], sizeof pm__g.execed[0], "%s", pm__g.shm_name);
            if (n == 0 && spot == PM__SPOT_TAKEN) snprintf(why, sizeof why, "%s", here);
            break;
        }
    }
    if (why[0]) pm__note_problem(PM_SHM_DIR PM_SHM_NAME_PREFIX "%u %s, and every fallback name is taken",
                                 (unsigned)pm__g.pid, why);
    *res = PM_ERR_EXISTS;
    return -1;
}

/* A second descriptor of the same file, for the mapping: the locked one
   must not be mapped, or a forked child's inherited mapping would keep the
   lock (and the parent's "alive") after the parent died. It is opened
   through /proc/self/fd, so it is the inode we created and locked, never
   whatever the name points at by now. */
static int pm__map_fd(int fd)
{
    char p[40];
    struct stat a, b;
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    int mfd = open(p, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (mfd < 0) mfd = shm_open(pm__g.shm_name, O_RDWR | PM__OPEN_FLAGS, 0);  /* no /proc */
    if (mfd < 0) return -1;
    if (fstat(fd, &a) != 0 || fstat(mfd, &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
        close(mfd);
        errno = ESTALE;
        return -1;
    }
    return mfd;
}

static void pm__copy_registry(const char *old_base, uint32_t n);

/* Finishes what a fork child's writer could not: a child that ends with
   _exit() runs no atexit. Looks at the child's segment(s) without ever
   blocking and trusts nothing in them but what it checks. Returns 1 when
   the child needs no more looking at, 0 while it runs. */
static int pm__finish_child(uint32_t pid)
{
    int running = 0;
    for (unsigned n = 0; n <= PM_SHM_ALT_NAMES; n++) {
        char name[48];
        struct stat st;
        pm_shm_header hd;
        if (n == 0) snprintf(name, sizeof name, PM_SHM_NAME_PREFIX "%u", (unsigned)pid);
        else snprintf(name, sizeof name, PM_SHM_NAME_PREFIX "%u.%u", (unsigned)pid, n);
        int fd = shm_open(name, O_RDWR | PM__OPEN_FLAGS, 0);
        if (fd < 0) {
            if (errno == ENOENT && n > 0) break;   /* a child takes the first free name */
            continue;
        }
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1 ||
            pread(fd, &hd, sizeof hd, 0) != (ssize_t)sizeof hd || memcmp(hd.magic, PM_SHM_MAGIC, 8) != 0 ||
            hd.version != PM_SHM_VERSION || hd.pid != pid || hd.parent_pid != pm__g.pid ||
            !(hd.flags & PM_SHM_FLAG_FORK_CHILD) || hd.state != PM_SHM_STATE_RUNNING) {
            close(fd);                             /* not our child's, or it shut down itself */
            continue;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {  /* its writer lives */
            close(fd);
            running = 1;
            continue;
        }
        uint32_t state = 0;                        /* it may have shut down meanwhile */
        if (pread(fd, &state, sizeof state, offsetof(pm_shm_header, state)) != (ssize_t)sizeof state ||
            state != PM_SHM_STATE_RUNNING) {
            close(fd);
            continue;
        }
        siginfo_t si;
        uint32_t how[2] = { PM_SHM_END_UNSEEN, 0 };
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
            if (si.si_pid == 0) {                  /* lock free, yet running: it closed its fds */
                close(fd);
                running = 1;
                continue;
            }
            how[0] = si.si_code == CLD_EXITED ? PM_SHM_END_EXIT : PM_SHM_END_SIGNAL;
            how[1] = (uint32_t)si.si_status;
        }
        if (pwrite(fd, how, sizeof how, offsetof(pm_shm_header, end_how)) == (ssize_t)sizeof how &&
            how[0] == PM_SHM_END_EXIT) {
            uint64_t now = pm__real_ns();
            uint32_t exited = PM_SHM_STATE_EXITED;
            if (pwrite(fd, &now, sizeof now, offsetof(pm_shm_header, end_realtime_ns)) == (ssize_t)sizeof now)
                (void)!pwrite(fd, &exited, sizeof exited, offsetof(pm_shm_header, state));
        }
        /* a crash stays for post-mortem reading; the rest goes like an exit's */
        if (!pm__g.keep && how[0] != PM_SHM_END_SIGNAL) {
            char path[64];
            struct stat now_st;                    /* the name may be a reused pid's by now */
            snprintf(path, sizeof path, PM_SHM_DIR "%s", name);
            if (lstat(path, &now_st) == 0 && now_st.st_ino == st.st_ino && now_st.st_dev == st.st_dev)
                shm_unlink(name);
        }
        close(fd);
    }
    return !running;
}

/* Takes the pids fork children left in our header and finishes those that
   ended. Under pm__g.lock. */
static void pm__finish_children(pm_shm_header *h)
{
    /* nchildren changes only under pm__g.lock; the heartbeat peeks at it
       without the lock (pm__children_pending), hence the atomic accesses */
    int n = __atomic_load_n(&pm__g.nchildren, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < PM_SHM_CHILD_NOTES; i++) {
        uint32_t pid = __atomic_exchange_n(&h->children[i], 0u, __ATOMIC_ACQUIRE);
        if (pid == 0 || pid == pm__g.pid) continue;
        if (n == PM__MAX_CHILDREN) {  /* drop the oldest: gc removes what is left */
            memmove(pm__g.children, pm__g.children + 1, sizeof pm__g.children - sizeof pm__g.children[0]);
            n--;
        }
        pm__g.children[n++] = pid;
    }
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (!pm__finish_child(pm__g.children[i])) pm__g.children[kept++] = pm__g.children[i];
    __atomic_store_n(&pm__g.nchildren, kept, __ATOMIC_RELAXED);
}

static int pm__children_pending(pm_shm_header *h)
{
    if (__atomic_load_n(&pm__g.nchildren, __ATOMIC_RELAXED)) return 1;
    for (unsigned i = 0; i < PM_SHM_CHILD_NOTES; i++)
        if (__atomic_load_n(&h->children[i], __ATOMIC_RELAXED)) return 1;
    return 0;
}

/* Renews the heartbeat while the writer runs, and finishes ended fork
   children's segments. Signals are blocked in it (they belong to the
   program's threads). */
static void *pm__heartbeat_main(void *arg)
{
    pm_shm_header *h = (pm_shm_header *)arg;
    uint64_t ns = pm__g.heartbeat_ns;
    struct timespec nap = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (!__atomic_load_n(&pm__g.shut, __ATOMIC_ACQUIRE) && __atomic_load_n(&pm__g.hdr, __ATOMIC_ACQUIRE) == h) {
        __atomic_store_n(&h->heartbeat_realtime_ns, pm__real_ns(), __ATOMIC_RELAXED);
        if (pm__children_pending(h)) {
            pthread_mutex_lock(&pm__g.lock);
            if (!pm__g.shut && pm__g.hdr == h) pm__finish_children(h);
            pthread_mutex_unlock(&pm__g.lock);
        }
        nanosleep(&nap, NULL);
    }
    return NULL;
}

static void pm__start_heartbeat(pm_shm_header *h)
{
    pthread_t th;
    pthread_attr_t attr;
    sigset_t all, old;
    __atomic_store_n(&h->heartbeat_realtime_ns, pm__real_ns(), __ATOMIC_RELAXED);
    if (pm__g.heartbeat_ns == 0) return;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64u * 1024u);
    if (pthread_create(&th, &attr, pm__heartbeat_main, h) == 0) h->heartbeat_interval_ns = pm__g.heartbeat_ns;
    else pm__note_problem("no heartbeat thread (%s): a reader cannot tell when this writer died", strerror(errno));
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static pm_result pm__create(uint32_t max_series, uint32_t max_threads, uint64_t arena,
                            uint64_t slow_ns, int tsc, double ns_per_tick,
                            const char *process_name, const char *copy_from, uint32_t parent_pid)
{
    pm_shm_layout_t L;
    pm_result res = PM_ERR_SHM;
    int alt = 0;
    uint32_t inherited = pm__g.series_next;       /* the parent's, in a fork child */
    if (pm_shm_layout(max_series, max_threads, arena, &L) != 0) return PM_ERR_INVALID;
    pm__identify();
    int fd = pm__open_segment(&res, &alt);
    if (fd < 0) return res;
    void *map = MAP_FAILED;
    pm_shm_header *h;
    pm__g.fd = fd;
    uint64_t shared_row = L.cells_off + (uint64_t)max_threads * max_series * PM_SHM_CELL_SIZE;
    if (ftruncate(fd, (off_t)L.total_size) != 0) goto fail;
    if (pm__reserve(0, L.cells_off) != 0 || pm__reserve(shared_row, (uint64_t)max_series * PM_SHM_CELL_SIZE) != 0) {
        res = PM_ERR_NO_SPACE;
        goto fail;
    }
    {
        int mfd = pm__map_fd(fd);
        if (mfd < 0) goto fail;
        map = mmap(NULL, L.total_size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
        close(mfd);
        if (map == MAP_FAILED) goto fail;
    }

    h = (pm_shm_header *)map;
    memcpy(h->magic, PM_SHM_MAGIC, 8);
    h->version = PM_SHM_VERSION;
    h->header_size = PM_SHM_HEADER_SIZE;
    h->total_size = L.total_size;
    h->byte_order = PM_SHM_BYTE_ORDER_MARK;
    h->pid = pm__g.pid;
    h->uid = (uint32_t)getuid();
    h->start_realtime_ns = pm__real_ns();
    h->start_monotonic_ns = pm__mono_ns();
    h->clock_kind = tsc ? PM_SHM_CLOCK_TSC : PM_SHM_CLOCK_MONOTONIC;
    h->hist_sub_bits = PM_SHM_HIST_SUB_BITS;
    h->ns_per_tick = tsc ? ns_per_tick : 1.0;
    h->max_series = max_series;
    h->max_threads = max_threads;
    h->hash_capacity = L.hash_capacity;
    h->hist_buckets = PM_SHM_HIST_BUCKETS;
    h->series_size = PM_SHM_SERIES_SIZE;
    h->cell_size = PM_SHM_CELL_SIZE;
    h->thread_size = PM_SHM_THREAD_SIZE;
    h->flags = (alt ? (uint32_t)PM_SHM_FLAG_ALT_NAME : 0u) | (parent_pid ? (uint32_t)PM_SHM_FLAG_FORK_CHILD : 0u);
    h->parent_pid = parent_pid;
    h->writers = 1;
    h->hash_off = L.hash_off;
    h->threads_off = L.threads_off;
    h->series_off = L.series_off;
    h->cells_off = L.cells_off;
    h->arena_off = L.arena_off;
    h->arena_size = arena;
    h->default_slow_ns = slow_ns;
    h->pid_ns_dev = pm__g.ns_dev;
    h->pid_ns_ino = pm__g.ns_ino;
    h->proc_start_ticks = pm__g.start_ticks;
    memcpy(h->config_errors, pm__g.notes, sizeof h->config_errors);
    h->config_errors[sizeof h->config_errors - 1] = '\0';
    if (process_name) snprintf(h->process_name, sizeof h->process_name, "%s", process_name);
    else pm__read_proc("/proc/self/comm", h->process_name, sizeof h->process_name, ' ');
    pm__read_proc("/proc/self/cmdline", h->cmdline, sizeof h->cmdline, ' ');
    {
        pm_shm_thread *threads = (pm_shm_thread *)(void *)((char *)map + L.threads_off);
        pm_shm_cell *row = (pm_shm_cell *)(void *)((char *)map + shared_row);
        threads[max_threads].state = PM_SHM_THREAD_SHARED;
        for (uint32_t i = 0; i < max_series; i++) row[i].min = UINT64_MAX;
    }

    pm__g.L = L;
    pm__g.max_series = max_series;
    pm__g.max_threads = max_threads;
    pm__g.arena_size = arena;
    pm__g.series_next = pm__g.threads_next = 0;
    pm__g.arena_next = 0;
    pm__g.hash = (uint32_t *)(void *)((char *)map + L.hash_off);
    pm__g.threads = (pm_shm_thread *)(void *)((char *)map + L.threads_off);
    pm__base = (char *)map;
    pm__series = (pm_shm_series *)(void *)((char *)map + L.series_off);
    pm__id_end = (max_series + 1u) * PM_SHM_CELL_SIZE;
    pm__arena_lo = L.arena_off;
    pm__arena_room = arena >= PM_SHM_HIST_BYTES ? arena - PM_SHM_HIST_BYTES + 1u : 0u;
    snprintf(pm__g.path, sizeof pm__g.path, PM_SHM_DIR "%s", pm__g.shm_name);
    if (copy_from) pm__copy_registry(copy_from, inherited);
    __atomic_store_n(&pm__g.hdr, h, __ATOMIC_RELEASE);
    __atomic_store_n(&h->state, PM_SHM_STATE_RUNNING, __ATOMIC_RELEASE);
    pm__start_heartbeat(h);
    return PM_OK;
fail:
    if (res == PM_ERR_SHM) res = pm__errno_result(errno);
    shm_unlink(pm__g.shm_name);
    close(fd);
    pm__g.fd = -1;
    return res;
}

/* A forked child keeps the parent's series ids (call sites cached them), so
   its segment starts with the parent's registry and zero counts. The
   parent's layout is ours: the same capacities, kept privately. */
static void pm__copy_registry(const char *old_base, uint32_t n)
{
    const pm_shm_series *src = (const pm_shm_series *)(const void *)(old_base + pm__g.L.series_off);
    const uint32_t *old_hash = (const uint32_t *)(const void *)(old_base + pm__g.L.hash_off);
    if (n > pm__g.max_series) n = pm__g.max_series;
    for (uint32_t i = 0; i < n; i++) {
        if (__atomic_load_n(&src[i].state, __ATOMIC_ACQUIRE) != PM_SHM_SERIES_READY) continue;
        pm_shm_series *d = &pm__series[i];
        memcpy(d, &src[i], sizeof *d);
        d->gauge = 0;
        /* the child's cells start at zero: nothing to subtract */
        d->reset_seq = 0;
        d->reset_realtime_ns = d->base_count = d->base_sum = d->base_errors = d->base_slow = 0;
        d->base_hist_off = 0;
    }
    for (uint32_t i = 0; i < pm__g.L.hash_capacity; i++) {
        uint32_t v = __atomic_load_n(&old_hash[i], __ATOMIC_ACQUIRE);
        if (v == PM_SHM_HASH_CLAIMING || (v != 0 && v != PM_SHM_HASH_DEAD &&
            (v - 1u >= n || pm__series[v - 1u].state != PM_SHM_SERIES_READY)))
            v = PM_SHM_HASH_DEAD;              /* registration the child will never finish */
        pm__g.hash[i] = v;
    }
    pm__g.series_next = n;
    ((pm_shm_header *)(void *)pm__base)->series_count = n;
}

/* In a fork child that made its segment: our pid into a free entry of the
   parent's header (still mapped), so the parent's writer can finish our
   segment if we end with _exit(). All taken: gc's job. */
static void pm__tell_parent(pm_shm_header *parent)
{
    for (unsigned i = 0; i < PM_SHM_CHILD_NOTES; i++) {
        uint32_t expected = 0;
        if (__atomic_compare_exchange_n(&parent->children[i], &expected, pm__g.pid, 0, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED))
            return;
    }
}

static void pm__atfork_prepare(void) { pthread_mutex_lock(&pm__g.lock); }
static void pm__atfork_parent(void)  { pthread_mutex_unlock(&pm__g.lock); }

/* Runs in the child: forget the parent's segment; the first record makes ours. */
static void pm__atfork_child(void)
{
    pm__tls_row = NULL;
    pm__tls_shared = 0;
    pm__timer_depth = 0;
    pm__shared_attaching = 0;                /* its holder is not in this process */
    if (PM__LOAD(&pm__state) == PM__ON && !pm__g.shut) {
        pm__g.forked = 1;
        if (pm__g.fd >= 0) close(pm__g.fd);  /* else the parent would look alive after it died */
        pm__g.fd = -1;
        pm__g.nexeced = 0;                   /* the parent's to remove, not ours */
        pm__g.nchildren = 0;                 /* the parent's children are our siblings */
        pthread_setspecific(pm__g.key, NULL);
        __atomic_store_n(&pm__state, PM__UNINIT, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&pm__g.lock);
}

static void pm__atexit(void) { pm_shutdown(); }

/* Fork handlers exist before pm__g.lock is first taken, so a fork() while
   another thread initialises runs them (and never copies a held lock). */
static void pm__register_fork_handlers(void)
{
    pthread_atfork(pm__atfork_prepare, pm__atfork_parent, pm__atfork_child);
}

static void pm__lock(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, pm__register_fork_handlers);
    pthread_mutex_lock(&pm__g.lock);
}

static pm_result pm__init_locked(const pm_config *cfg)
{
    static const pm_config none = { 0, 0, 0, 0.0, 0, PM_CLOCK_DEFAULT, NULL };
    if (!cfg) cfg = &none;
    if (pm__g.shut) return PM_ERR_STATE;
    if (pm__g.forked) {
        /* same capacities and settings as the parent */
        pm_shm_header *old = pm__g.hdr;
        char *old_base = pm__base;
        uint64_t old_total = pm__g.L.total_size;
        uint32_t parent = pm__g.pid;
        pm_result r = pm__create(pm__g.max_series, pm__g.max_threads, pm__g.arena_size, old->default_slow_ns,
                                 pm__use_tsc, old->ns_per_tick, old->process_name, old_base, parent);
        if (r == PM_OK) {
            pm__tell_parent(old);
            munmap(old_base, old_total);
        }
        else pm__g.hdr = NULL;
        pm__g.forked = 0;
        pm__g.result = r;
        __atomic_store_n(&pm__state, r == PM_OK ? PM__ON : PM__OFF, __ATOMIC_RELEASE);
        return r;
    }
    if (PM__LOAD(&pm__state) != PM__UNINIT) return PM_ERR_ALREADY;

    pm__g.notes[0] = '\0';
    pm_result r = PM_OK;
    if (!pm__env_bool("PERFMON", 1)) r = PM_ERR_DISABLED;
    uint32_t max_series = cfg->max_series ? cfg->max_series
        : (uint32_t)pm__env_u64("PERFMON_MAX_SERIES", PM__DEFAULT_MAX_SERIES, 1, PM_SHM_MAX_SERIES_LIMIT);
    uint32_t max_threads = cfg->max_threads ? cfg->max_threads
        : (uint32_t)pm__env_u64("PERFMON_MAX_THREADS", PM__DEFAULT_MAX_THREADS, 1, PM_SHM_MAX_THREADS_LIMIT);
    uint64_t hist_mb = cfg->hist_mb ? cfg->hist_mb : pm__env_u64("PERFMON_HIST_MB", PM__DEFAULT_HIST_MB, 0, 1u << 20);
    double slow_ms = cfg->slow_ms > 0 ? cfg->slow_ms : pm__env_ms("PERFMON_SLOW_MS", PM__DEFAULT_SLOW_MS);
    pm__g.heartbeat_ns = pm__env_u64("PERFMON_HEARTBEAT_MS", PM__DEFAULT_HEARTBEAT_MS, 0, 3600000u) * 1000000u;
    if (max_series > PM_SHM_MAX_SERIES_LIMIT || max_threads > PM_SHM_MAX_THREADS_LIMIT ||
        hist_mb > (1u << 20) || cfg->slow_ms < 0 || cfg->keep < -1 || cfg->keep > 1 ||
        cfg->clock < PM_CLOCK_DEFAULT || cfg->clock > PM_CLOCK_TSC) {
        pm__note_problem("pm_init(): a pm_config field is out of range: recording is off");
        if (r == PM_OK) r = PM_ERR_INVALID;
    }
    pm__g.keep = cfg->keep ? cfg->keep > 0 : pm__env_bool("PERFMON_KEEP", 0);

    int tsc = 0;
    double ns_per_tick = 1.0;
    pm_clock clock = cfg->clock;
    if (clock == PM_CLOCK_DEFAULT) {
        const char *c = getenv("PERFMON_CLOCK");
        char shown[40];
        clock = PM_CLOCK_MONOTONIC;
        if (c && strcasecmp(c, "tsc") == 0) clock = PM_CLOCK_TSC;
        else if (c && *c && strcasecmp(c, "monotonic") != 0)
            pm__note_problem("PERFMON_CLOCK=%s: not tsc or monotonic (monotonic used)", pm__shown(c, shown, sizeof shown));
    }
#if defined(__x86_64__)
    if (r == PM_OK && clock == PM_CLOCK_TSC && pm__tsc_invariant()) {
        ns_per_tick = pm__tsc_calibrate();
        tsc = ns_per_tick > 0.0;
    }
#endif
    if (r == PM_OK && clock == PM_CLOCK_TSC && !tsc)
        pm__note_problem("clock tsc: this machine has no invariant TSC (monotonic used)");
    if (r == PM_OK)
        r = pm__create(max_series, max_threads, hist_mb << 20, (uint64_t)(slow_ms * 1e6), tsc,
                       ns_per_tick, cfg->process_name, NULL, 0);
    if (r == PM_OK && !pm__g.once) {
        if (pthread_key_create(&pm__g.key, pm__thread_exit) != 0) r = PM_ERR_SHM;
        else {
            atexit(pm__atexit);
            pm__g.once = 1;
        }
    }
    if (r == PM_OK && tsc) {
        pm__tsc_mult = (uint64_t)(ns_per_tick * 4294967296.0 + 0.5);
        pm__use_tsc = 1;
    }
    pm__g.result = r;
    __atomic_store_n(&pm__state, r == PM_OK ? PM__ON : PM__OFF, __ATOMIC_RELEASE);
    return r;
}

static int pm__ensure(void)
{
    int st = __atomic_load_n(&pm__state, __ATOMIC_ACQUIRE);
    if (PM__LIKELY(st != PM__UNINIT)) return st;
    pm__lock();
    if (__atomic_load_n(&pm__state, __ATOMIC_ACQUIRE) == PM__UNINIT) pm__init_locked(NULL);
    st = __atomic_load_n(&pm__state, __ATOMIC_ACQUIRE);
    pthread_mutex_unlock(&pm__g.lock);
    return st;
}

PM_API pm_result pm_init(const pm_config *cfg)
{
    pm_result r;
    pm__lock();
    if (pm__g.shut) r = PM_ERR_STATE;
    else if (PM__LOAD(&pm__state) == PM__UNINIT) r = pm__init_locked(cfg);
    else {
        r = pm__g.result == PM_OK ? PM_ERR_ALREADY : pm__g.result;
        if (cfg && r == PM_ERR_ALREADY && !pm__g.warned_late) {
            pm__g.warned_late = 1;
            pm__note_problem("pm_init() came after the first record: its pm_config was ignored (call it first in main)");
        }
    }
    pthread_mutex_unlock(&pm__g.lock);
    return r;
}

static void pm__record_process_totals(void);

PM_API void pm_shutdown(void)
{
    if (PM__LOAD(&pm__state) == PM__ON && !pm__g.shut) pm__record_process_totals();
    pm__lock();
    if (!pm__g.shut && !pm__g.forked && pm__g.hdr && PM__LOAD(&pm__state) == PM__ON) {
        pm__g.hdr->end_realtime_ns = pm__real_ns();
        __atomic_store_n(&pm__g.hdr->state, PM_SHM_STATE_EXITED, __ATOMIC_RELEASE);
        pm__finish_children(pm__g.hdr);    /* those that ended since the last heartbeat */
        if (!pm__g.keep) {
            shm_unlink(pm__g.shm_name);
            for (int i = 0; i < pm__g.nexeced; i++) shm_unlink(pm__g.execed[i]);  /* earlier images' */
        }
    }
    __atomic_store_n(&pm__g.shut, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&pm__state, PM__OFF, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&pm__g.lock);
}

PM_API const char *pm_segment_path(void)
{
    return PM__LOAD(&pm__state) == PM__ON ? pm__g.path : "";
}

/* ---- slow paths of the inline record functions ---- */

PM_API pm_id pm__resolve(pm_id *site, const char *name, pm_kind kind, pm_unit unit)
{
    if (pm__ensure() != PM__ON) return pm__drop_code(PM__DROP_OFF);   /* not cached: a fork child starts over */
    pm_id id = name ? pm__find_or_add(name, kind, unit, PM__ADD) : pm__drop_code(PM__DROP_BAD_NAME);
    if (id > PM__ID_DROP_BASE) pm__note_drop((int)(id - PM__ID_DROP_BASE), name ? name : "(NULL)");
    if (site) __atomic_store_n(site, id, __ATOMIC_RELEASE);
    return id;
}

/* A valid id of `kind` for this record, or 0 when the record is dropped
   (and counted) or ignored (recording off). */
static pm_id pm__slow_id(pm_id *site, const char *name, pm_kind kind, pm_unit unit, pm_id id)
{
    if (pm__ensure() != PM__ON) return 0;
    if (id == 0) id = pm__resolve(site, name, kind, unit);
    if (pm__id_is(id, (unsigned)kind)) return id;
    if (id > PM__ID_DROP_BASE) {
        pm__drop_id(id);
    } else {                                   /* an id of another kind, or not an id */
        pm__drop(PM__DROP_KIND);
        pm__note_drop(PM__DROP_KIND, pm__valid(id) && id < pm__id_end ? pm__name_of(id) : "(not an id)");
    }
    return 0;
}

PM_API void pm__count_slow(pm_id *site, const char *name, pm_id id, uint64_t n)
{
    int shared;
    id = pm__slow_id(site, name, PM_KIND_COUNTER, PM_UNIT_NONE, id);
    if (!id) return;
    if ((int64_t)n < 0) {
        pm__drop(PM__DROP_NEGATIVE);
        pm__note_drop(PM__DROP_NEGATIVE, pm__name_of(id));
        return;
    }
    pm_shm_cell *row = pm__row(&shared);
    if (!row) return;
    pm_shm_cell *c = pm__cell(row, id, PM_KIND_COUNTER);
    if (shared) __atomic_fetch_add(&c->count, n, __ATOMIC_RELAXED);
    else c->count += n;
}

PM_API void pm__gauge_slow(pm_id *site, const char *name, pm_id id, int64_t v, int add)
{
    int shared;
    id = pm__slow_id(site, name, PM_KIND_GAUGE, PM_UNIT_NONE, id);
    if (!id || !pm__row(&shared)) return;     /* a row, so the next call takes the fast path */
    uint64_t *g = &pm__series[pm__index_of(id)].gauge;
    if (add) __atomic_fetch_add(g, (uint64_t)v, __ATOMIC_RELAXED);
    else PM__STORE(g, (uint64_t)v);
}

PM_API void pm__observe_slow(pm_id *site, const char *name, pm_kind kind, pm_unit unit,
                             pm_id id, uint64_t v, int err)
{
    int shared;
    id = pm__slow_id(site, name, kind, unit, id);
    if (!id) return;
    pm_shm_cell *row = pm__row(&shared);
    if (!row) return;
    uint64_t slow = kind == PM_KIND_TIMER ? PM__LOAD(&pm__series[pm__index_of(id)].slow_ns) : UINT64_MAX;
    if (shared) pm__observe_shared(pm__cell(row, id, (unsigned)kind), v, err, slow);
    else pm__observe_row(row, id, (unsigned)kind, v, err, slow);
}

/* ---- the by-name API ---- */

PM_API pm_id pm_lookup(const char *name, pm_kind kind, pm_unit unit)
{
    return pm__resolve(NULL, name, kind, unit);
}

PM_API pm_result pm_prepare(pm_id id)
{
    int shared;
    unsigned kind = id & (PM_SHM_CELL_SIZE - 1u);
    if (pm__ensure() != PM__ON) return PM_ERR_DISABLED;
    if (kind < PM_KIND_COUNTER || kind > PM_KIND_DISTRIBUTION || !pm__id_is(id, kind)) return PM_ERR_INVALID;
    pm_shm_cell *row = pm__row(&shared);
    if (!row) return PM_ERR_DISABLED;
    if (kind == PM_KIND_TIMER || kind == PM_KIND_DISTRIBUTION) {
        pm_shm_cell *c = pm__cell(row, id, kind);
        uint64_t hoff = __atomic_load_n(&c->hist_off, __ATOMIC_ACQUIRE);
        if (!pm__hist_ok(hoff) && pm__hist_attach(c, hoff) == PM_SHM_HIST_NONE) return PM_ERR_NO_SPACE;
    }
    return PM_OK;
}

PM_API void pm_count(const char *name, uint64_t n)     { pm__count(NULL, name, 0, n, 0); }
PM_API void pm_gauge_set(const char *name, int64_t v)  { pm__gauge(NULL, name, 0, v, 0, 0); }
PM_API void pm_gauge_add(const char *name, int64_t d)  { pm__gauge(NULL, name, 0, d, 1, 0); }
PM_API void pm_record(const char *name, int64_t value) { pm_id s = 0; pm__record(&s, name, PM_UNIT_NONE, value); }
PM_API pm_span pm_begin(const char *name)              { return pm__begin(NULL, name); }

PM_API void pm_record_duration(const char *name, uint64_t ns, int ok)
{
    pm__observe(NULL, name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS, 0, ns, !ok, 0);
}

PM_API void pm_timer_start(const char *name)
{
    pm_span sp = pm__begin(NULL, name);
    if (!pm__valid(sp.id)) {
        if (sp.id > PM__ID_DROP_BASE) pm__drop_id(sp.id);
        return;
    }
    if (pm__timer_depth == PM__TIMER_STACK) { pm__drop(0); return; }
    pm__timer_stack[pm__timer_depth].name = name;
    pm__timer_stack[pm__timer_depth].id = sp.id;
    pm__timer_stack[pm__timer_depth].start = sp.start;
    pm__timer_depth++;
}

/* The innermost running timer started with this name's text. The same
   pointer is the usual case (one literal), but a reused buffer is the same
   pointer with other text, so the text is compared too; else the name is
   looked up (never registered) and its id matched. */
static int pm__timer_find(const char *name)
{
    int i;
    if (!name) return -1;
    for (i = pm__timer_depth - 1; i >= 0; i--) {
        if (pm__timer_stack[i].name != name) continue;
        const pm_shm_series *s = &pm__series[pm__index_of(pm__timer_stack[i].id)];
        uint32_t len = s->name_len;
        if (len < PM_SHM_NAME_MAX && strncmp(s->name, name, len) == 0 && name[len] == '\0') return i;
    }
    pm_id id = pm__find_or_add(name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS, PM__FIND);
    for (i = pm__timer_depth - 1; i >= 0; i--)
        if (pm__timer_stack[i].id == id) return i;
    return -1;
}

PM_API double pm_timer_stop(const char *name)
{
    if (pm__timer_depth == 0) return -1.0;          /* also the PERFMON=0 case */
    uint64_t t1 = pm__ticks();
    int i = pm__timer_find(name);
    if (i < 0) return -1.0;
    pm_id id = pm__timer_stack[i].id;
    uint64_t t0 = pm__timer_stack[i].start;
    uint64_t ns = t1 > t0 ? pm__ticks_to_ns(t1 - t0) : 0u;
    memmove(&pm__timer_stack[i], &pm__timer_stack[i + 1],
            (size_t)(pm__timer_depth - 1 - i) * sizeof pm__timer_stack[0]);
    pm__timer_depth--;
    pm_duration_id(id, ns, 1);
    return (double)ns / 1e9;
}

PM_API void pm_set_slow_threshold_ms(const char *name, double ms)
{
    pm_id id = pm_lookup(name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS);
    if (pm__id_is(id, PM_KIND_TIMER) && ms >= 0)
        __atomic_store_n(&pm__series[pm__index_of(id)].slow_ns, (uint64_t)(ms * 1e6), __ATOMIC_RELAXED);
}

PM_API void pm_set_unit(const char *name, pm_unit unit)
{
    if (pm__ensure() != PM__ON) return;
    pm_id id = name ? pm__find_or_add(name, PM_KIND_DISTRIBUTION, unit, PM__ADD_SET_UNIT)
                    : pm__drop_code(PM__DROP_BAD_NAME);
    if (id > PM__ID_DROP_BASE) {
        pm__drop_id(id);
        pm__note_drop((int)(id - PM__ID_DROP_BASE), name ? name : "(NULL)");
    }
}

/* ---- resets: readers subtract what a reset noted (perfmon_shm.h RESETS) ---- */

/* Adds cell c's figures (and buckets, when base is not NULL) to the
   totals, read inside its seqlock when it settles within a few tries.
   Taken as they are otherwise: every figure is then still one the cell
   held at some instant before the reset ends, so no reader after it can
   see less (only count and buckets may disagree by the records in flight). */
PM__NO_TSAN static void pm__add_cell(const pm_shm_cell *c, uint64_t *tot, uint64_t *base)
{
    for (int tries = 0; tries < 64; tries++) {
        uint64_t s1 = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
        uint64_t v[4] = { PM__LOAD(&c->count), PM__LOAD(&c->sum), PM__LOAD(&c->errors), PM__LOAD(&c->slow) };
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (((s1 & 1u) || __atomic_load_n(&c->seq, __ATOMIC_RELAXED) != s1) && tries < 63) continue;
        for (int k = 0; k < 4; k++) tot[k] += v[k];
        break;
    }
    uint64_t hoff = __atomic_load_n(&c->hist_off, __ATOMIC_ACQUIRE);
    if (!base || !pm__hist_ok(hoff)) return;
    const uint64_t *hist = (const uint64_t *)(const void *)(pm__base + hoff);
    for (uint32_t i = 0; i < PM_SHM_HIST_BUCKETS; i++) {
        uint64_t n = PM__LOAD(&hist[i]);
        if (n) PM__STORE(&base[i], PM__LOAD(&base[i]) + n);
    }
}

static pm_result pm__reset_index(uint32_t idx)
{
    pm_shm_series *s = &pm__series[idx];
    if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != PM_SHM_SERIES_READY) return PM_ERR_INVALID;
    if (s->kind == PM_KIND_GAUGE) return PM_OK;
    int timed = s->kind == PM_KIND_TIMER || s->kind == PM_KIND_DISTRIBUTION;
    /* the reset block's lock: even -> odd; another resetter holds it briefly */
    uint32_t seq = __atomic_load_n(&s->reset_seq, __ATOMIC_RELAXED);
    for (unsigned spin = 0;; spin++) {
        if (!(seq & 1u) && __atomic_compare_exchange_n(&s->reset_seq, &seq, seq + 1u, 0,
                                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            break;
        if (spin > 100u) sched_yield();
        seq = __atomic_load_n(&s->reset_seq, __ATOMIC_RELAXED);
    }
    __atomic_thread_fence(__ATOMIC_RELEASE);   /* odd before any block store */
    uint64_t *base = NULL;
    if (timed) {
        uint64_t hoff = PM__LOAD(&s->base_hist_off);
        if (hoff == 0) {
            hoff = pm__arena_carve();
            PM__STORE(&s->base_hist_off, hoff);
        }
        if (!pm__hist_ok(hoff)) {   /* no room: nothing changes, readers see the old block */
            __atomic_store_n(&s->reset_seq, seq, __ATOMIC_RELEASE);
            return PM_ERR_NO_SPACE;
        }
        base = (uint64_t *)(void *)(pm__base + hoff);
        for (uint32_t i = 0; i < PM_SHM_HIST_BUCKETS; i++) PM__STORE(&base[i], 0);
    }
    uint64_t tot[4] = { 0, 0, 0, 0 };
    uint32_t used = __atomic_load_n(&pm__g.hdr->threads_used, __ATOMIC_ACQUIRE);
    for (uint32_t t = 0; t <= pm__g.max_threads; t++) {
        if (t >= used && t < pm__g.max_threads) continue;   /* rows never claimed, then the shared one */
        const pm_shm_cell *c = (const pm_shm_cell *)(const void *)(pm__base + pm__g.L.cells_off +
            ((uint64_t)t * pm__g.max_series + idx) * PM_SHM_CELL_SIZE);
        pm__add_cell(c, tot, base);
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    PM__STORE(&s->base_count, tot[0]);
    PM__STORE(&s->base_sum, tot[1]);
    PM__STORE(&s->base_errors, tot[2]);
    PM__STORE(&s->base_slow, tot[3]);
    PM__STORE(&s->reset_realtime_ns, (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec);
    __atomic_store_n(&s->reset_seq, seq + 2u, __ATOMIC_RELEASE);
    return PM_OK;
}

PM_API pm_result pm_reset_series(const char *name)
{
    if (pm__ensure() != PM__ON) return PM_ERR_DISABLED;
    if (!name) return PM_ERR_INVALID;
    pm_id id = PM__ID_DROP_BASE;
    for (int kind = PM_KIND_COUNTER; kind <= PM_KIND_DISTRIBUTION && id >= PM__ID_DROP_BASE; kind++)
        id = pm__find_or_add(name, (pm_kind)kind, PM_UNIT_NONE, PM__FIND);
    return id < PM__ID_DROP_BASE ? pm__reset_index(pm__index_of(id)) : PM_ERR_INVALID;
}

PM_API pm_result pm_reset(void)
{
    if (pm__ensure() != PM__ON) return PM_ERR_DISABLED;
    pm_result res = PM_OK;
    uint32_t n = __atomic_load_n(&pm__g.hdr->series_count, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++)
        if (pm__reset_index(i) == PM_ERR_NO_SPACE) res = PM_ERR_NO_SPACE;
    return res;
}

/* ---- resources ---- */

typedef struct pm__usage {
    uint64_t user_ns, sys_ns;             /* the calling thread's CPU */
    uint64_t proc_user_ns, proc_sys_ns;   /* the process's */
    int64_t  rss, hwm;                    /* process RSS and high-water mark, bytes */
} pm__usage;

static uint64_t pm__tv_ns(struct timeval tv) { return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u; }

/* The process's resident set now (statm: size resident shared ..., in pages). */
static int64_t pm__rss_now(void)
{
    char buf[128];
    pm__read_proc("/proc/self/statm", buf, sizeof buf, ' ');
    const char *p = strchr(buf, ' ');
    return p ? strtoll(p + 1, NULL, 10) * (int64_t)sysconf(_SC_PAGESIZE) : 0;
}

/* The process's CPU time and its RSS high-water mark: ru_maxrss is the
   kernel's VmHWM (in KiB; after exec() at least the old image's peak),
   got with the CPU times in one call. */
static void pm__process_usage(pm__usage *u)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return;
    u->proc_user_ns = pm__tv_ns(ru.ru_utime);
    u->proc_sys_ns = pm__tv_ns(ru.ru_stime);
    u->hwm = (int64_t)ru.ru_maxrss * 1024;
}

static pm__usage pm__usage_now(void)
{
    pm__usage u;
    struct rusage ru;
    memset(&u, 0, sizeof u);
    if (getrusage(RUSAGE_THREAD, &ru) == 0) { u.user_ns = pm__tv_ns(ru.ru_utime); u.sys_ns = pm__tv_ns(ru.ru_stime); }
    pm__process_usage(&u);
    u.rss = pm__rss_now();
    return u;
}

/* The sampler of one span. One thread per sampled span, not one shared
   thread: sampled spans are long (a 50 ms interval says something only
   over 100 ms or more), so a thread's start (~50 us) is noise beside them,
   and a thread that lives exactly as long as its span needs no registry,
   lock or life of its own across fork() and pm_shutdown(). While it runs,
   only the thread writes the fields below `stop`; the end reads them after
   joining it. */
struct pm__resource_sampler {
    pthread_t       thread;
    pthread_mutex_t lock;           /* guards stop */
    pthread_cond_t  wake;           /* on CLOCK_MONOTONIC; the end signals it */
    int             stop;
    pid_t           owner;          /* the process the thread runs in */
    uint64_t        start_ns, base_ns;       /* the span's begin; the interval asked for */
    uint64_t        cpu_user0, cpu_sys0;     /* the process's CPU at begin */
    uint64_t        stride;         /* kept: samples on multiples of stride x base_ns */
    pm_resource_snapshot *snaps;
    uint32_t        capacity, n, samples;
    int64_t         rss_max;
};

static pm_resource_snapshot pm__snapshot_now(uint64_t start_ns, uint64_t cpu_user0, uint64_t cpu_sys0)
{
    pm_resource_snapshot s;
    pm__usage u;
    memset(&u, 0, sizeof u);
    pm__process_usage(&u);
    s.rss_bytes = pm__rss_now();
    s.cpu_user_ns = u.proc_user_ns > cpu_user0 ? u.proc_user_ns - cpu_user0 : 0;
    s.cpu_sys_ns = u.proc_sys_ns > cpu_sys0 ? u.proc_sys_ns - cpu_sys0 : 0;
    uint64_t now = pm__mono_ns();
    s.t_ns = now > start_ns ? now - start_ns : 0;
    return s;
}

/* Keeps snapshots 0, 2, 4, ...: the first stays, the rest stay evenly spaced. */
static void pm__thin_snapshots(pm_resource_snapshot *s, uint32_t *n)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < *n; i += 2) s[kept++] = s[i];
    *n = kept;
}

/* Takes sample number k; keeps it if it is on the grid, thinning first
   when only the last snapshot's slot is left (with fewer than 3 slots
   there is no room between the first and the last: it only counts). */
static void pm__sampler_take(struct pm__resource_sampler *sm, uint64_t k)
{
    pm_resource_snapshot snap = pm__snapshot_now(sm->start_ns, sm->cpu_user0, sm->cpu_sys0);
    sm->samples++;
    if (snap.rss_bytes > sm->rss_max) sm->rss_max = snap.rss_bytes;
    if (sm->capacity < 3) return;
    if (sm->n >= sm->capacity - 1) {
        pm__thin_snapshots(sm->snaps, &sm->n);
        sm->stride *= 2;
    }
    if (k % sm->stride == 0) sm->snaps[sm->n++] = snap;
}

static void *pm__sampler_main(void *arg)
{
    struct pm__resource_sampler *sm = (struct pm__resource_sampler *)arg;
    uint64_t k = 1;                 /* sample k is due at start + k x base_ns */
    pthread_mutex_lock(&sm->lock);
    while (!sm->stop) {
        uint64_t due = sm->start_ns + k * sm->base_ns;
        struct timespec ts = { (time_t)(due / 1000000000u), (long)(due % 1000000000u) };
        if (pthread_cond_timedwait(&sm->wake, &sm->lock, &ts) != ETIMEDOUT) continue;
        pthread_mutex_unlock(&sm->lock);
        pm__sampler_take(sm, k);
        /* the next sample on the (maybe doubled) grid, skipping those a
           loaded machine made us miss rather than taking them in a burst */
        uint64_t now = pm__mono_ns();
        do k = (k / sm->stride + 1) * sm->stride; while (sm->start_ns + k * sm->base_ns <= now);
        pthread_mutex_lock(&sm->lock);
    }
    pthread_mutex_unlock(&sm->lock);
    return NULL;
}

/* Starts the span's sampler thread, all signals blocked in it (they belong
   to the program's threads). NULL if it cannot: the span runs unsampled. */
static struct pm__resource_sampler *pm__sampler_start(const pm_resource_span *s, uint32_t interval_ms)
{
    struct pm__resource_sampler *sm = (struct pm__resource_sampler *)calloc(1, sizeof *sm);
    pthread_condattr_t ca;
    pthread_attr_t attr;
    sigset_t all, old;
    int ok;
    if (!sm) return NULL;
    sm->owner = getpid();
    sm->start_ns = s->start;
    sm->base_ns = (uint64_t)interval_ms * 1000000u;
    sm->cpu_user0 = s->process_cpu_user_ns;
    sm->cpu_sys0 = s->process_cpu_sys_ns;
    sm->stride = 1;
    sm->snaps = s->snapshots;
    sm->capacity = s->snapshots ? s->capacity : 0;
    sm->n = s->snapshots ? 1u : 0u;  /* the first, written by the begin */
    sm->rss_max = s->rss_bytes;
    pthread_mutex_init(&sm->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sm->wake, &ca);
    pthread_condattr_destroy(&ca);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64u * 1024u);
    ok = pthread_create(&sm->thread, &attr, pm__sampler_main, sm) == 0;
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (ok) return sm;
    pthread_cond_destroy(&sm->wake);
    pthread_mutex_destroy(&sm->lock);
    free(sm);
    return NULL;
}

/* Stops and joins the thread. In a fork child there is no thread (and the
   lock may have been copied held): nothing to stop, the figures are those
   sampled before the fork. */
static void pm__sampler_stop(struct pm__resource_sampler *sm)
{
    if (sm->owner != getpid()) return;
    pthread_mutex_lock(&sm->lock);
    sm->stop = 1;
    pthread_cond_signal(&sm->wake);
    pthread_mutex_unlock(&sm->lock);
    pthread_join(sm->thread, NULL);
    pthread_cond_destroy(&sm->wake);
    pthread_mutex_destroy(&sm->lock);
}

/* name with `suffix` added to its base: "op{k="v"}" + ".cpu_user" -> "op.cpu_user{k="v"}" */
static const char *pm__suffixed(char *buf, size_t size, const char *name, const char *suffix)
{
    const char *brace = strchr(name, '{');
    int base = brace ? (int)(brace - name) : (int)strlen(name);
    int n = snprintf(buf, size, "%.*s%s%s", base, name, suffix, brace ? brace : "");
    return n > 0 && (size_t)n < size ? buf : "";   /* "" is an invalid name: dropped and counted */
}

/* v into series name+suffix: a distribution's value or a gauge's level. */
static void pm__record_part(const char *name, const char *suffix, pm_kind kind, pm_unit unit, int64_t v)
{
    char buf[PM_SHM_NAME_MAX + 32];
    pm_id id = pm_lookup(pm__suffixed(buf, sizeof buf, name, suffix), kind, unit);
    if (kind == PM_KIND_GAUGE) pm_gauge_set_id(id, v);
    else pm_record_id(id, v);
}

static double pm__cpu_pct(uint64_t cpu_ns, uint64_t wall_ns)
{
    return wall_ns ? 100.0 * (double)cpu_ns / (double)wall_ns : 0.0;
}

/* A percentage in tenths, rounded (it is never negative). */
static int64_t pm__permille(double pct) { return (int64_t)(pct * 10.0 + 0.5); }

/* Every series of a span but its timer (pm_benchmark records its own). */
static void pm__record_resources(const char *name, const pm_resource_result *r)
{
    pm__record_part(name, ".cpu_user", PM_KIND_DISTRIBUTION, PM_UNIT_NANOSECONDS, (int64_t)r->cpu_user_ns);
    pm__record_part(name, ".cpu_sys", PM_KIND_DISTRIBUTION, PM_UNIT_NANOSECONDS, (int64_t)r->cpu_sys_ns);
    pm__record_part(name, ".cpu_permille", PM_KIND_DISTRIBUTION, PM_UNIT_NONE, pm__permille(r->cpu_pct));
    pm__record_part(name, ".process_cpu_permille", PM_KIND_DISTRIBUTION, PM_UNIT_NONE, pm__permille(r->process_cpu_pct));
    pm__record_part(name, ".rss_delta", PM_KIND_GAUGE, PM_UNIT_BYTES, r->rss_delta_bytes);
    pm__record_part(name, ".peak_rss", PM_KIND_GAUGE, PM_UNIT_BYTES, r->peak_rss_bytes);
    pm__record_part(name, ".peak_delta", PM_KIND_GAUGE, PM_UNIT_BYTES, r->peak_delta_bytes);
}

/* Spans time with pm__mono_ns, not pm__ticks: a span may begin before the
   first record chooses the TSC and end after it. */
PM_API pm_resource_span pm_resource_begin_ex(const char *name, const pm_resource_options *opt)
{
    pm_resource_span s;
    pm__usage u = pm__usage_now();
    memset(&s, 0, sizeof s);
    s.name = name;
    s.cpu_user_ns = u.user_ns;
    s.cpu_sys_ns = u.sys_ns;
    s.process_cpu_user_ns = u.proc_user_ns;
    s.process_cpu_sys_ns = u.proc_sys_ns;
    s.rss_bytes = u.rss;
    s.hwm_bytes = u.hwm;
    if (opt && opt->snapshots && opt->capacity >= 2) {
        s.snapshots = opt->snapshots;
        s.capacity = opt->capacity;
        s.snapshots[0].t_ns = 0;
        s.snapshots[0].rss_bytes = u.rss;
        s.snapshots[0].cpu_user_ns = s.snapshots[0].cpu_sys_ns = 0;
    }
    s.start = pm__mono_ns();
    if (opt && opt->interval_ms > 0) s.sampler = pm__sampler_start(&s, opt->interval_ms);
    return s;
}

PM_API pm_resource_span pm_resource_begin(const char *name)
{
    return pm_resource_begin_ex(name, NULL);
}

/* The peak during the span: the high-water mark if it rose meanwhile
   (exact), else the highest RSS seen (a lower bound). */
static int64_t pm__span_peak(const pm_resource_span *s, const pm__usage *after, int64_t seen, uint32_t *exact)
{
    int64_t peak = seen > after->rss ? seen : after->rss;
    if (s->rss_bytes > peak) peak = s->rss_bytes;
    *exact = after->hwm > s->hwm_bytes;
    if (*exact && after->hwm > peak) peak = after->hwm;
    return peak;
}

PM_API pm_resource_result pm_resource_end(pm_resource_span *s)
{
    uint64_t t1 = pm__mono_ns();
    pm__usage after = pm__usage_now();
    pm_resource_result r;
    uint32_t kept = s->snapshots ? 1u : 0u;
    int64_t seen = s->rss_bytes;
    memset(&r, 0, sizeof r);
    r.measured = 1;
    r.wall_ns = t1 > s->start ? t1 - s->start : 0u;
    if (s->sampler) {
        struct pm__resource_sampler *sm = s->sampler;
        pm__sampler_stop(sm);
        kept = sm->n;
        seen = sm->rss_max;
        r.samples = sm->samples;
        r.interval_ms = (uint32_t)(sm->base_ns * sm->stride / 1000000u);
        free(sm);
    }
    r.cpu_user_ns = after.user_ns > s->cpu_user_ns ? after.user_ns - s->cpu_user_ns : 0u;
    r.cpu_sys_ns = after.sys_ns > s->cpu_sys_ns ? after.sys_ns - s->cpu_sys_ns : 0u;
    r.process_cpu_user_ns = after.proc_user_ns > s->process_cpu_user_ns ? after.proc_user_ns - s->process_cpu_user_ns : 0u;
    r.process_cpu_sys_ns = after.proc_sys_ns > s->process_cpu_sys_ns ? after.proc_sys_ns - s->process_cpu_sys_ns : 0u;
    r.cpu_pct = pm__cpu_pct(r.cpu_user_ns + r.cpu_sys_ns, r.wall_ns);
    r.process_cpu_pct = pm__cpu_pct(r.process_cpu_user_ns + r.process_cpu_sys_ns, r.wall_ns);
    r.rss_start_bytes = s->rss_bytes;
    r.rss_end_bytes = after.rss;
    r.rss_delta_bytes = after.rss - s->rss_bytes;
    r.peak_rss_bytes = pm__span_peak(s, &after, seen, &r.peak_exact);
    r.peak_delta_bytes = r.peak_rss_bytes - s->rss_bytes;
    if (s->snapshots) {             /* the last, at the end: the sampler left its slot free */
        pm_resource_snapshot *last = &s->snapshots[kept++];
        last->t_ns = r.wall_ns;
        last->rss_bytes = after.rss;
        last->cpu_user_ns = r.process_cpu_user_ns;
        last->cpu_sys_ns = r.process_cpu_sys_ns;
    }
    r.snapshots = kept;
    if (s->name && pm__ensure() == PM__ON) {
        pm_record_duration(s->name, r.wall_ns, !s->failed);
        pm__record_resources(s->name, &r);
        r.recorded = 1;
    }
    s->name = NULL;                 /* spent: a second end records nothing */
    s->sampler = NULL;
    s->snapshots = NULL;
    return r;
}

/* Estimate inside the bucket holding rank ceil(q * n), kept within the
   bucket's bounds and the exact min and max. */
static uint64_t pm__hist_quantile(const uint64_t *hist, uint64_t n, double q, uint64_t lo, uint64_t hi)
{
    uint64_t rank = (uint64_t)(q * (double)n), seen = 0;
    if ((double)rank < q * (double)n) rank++;
    if (rank == 0) rank = 1;
    for (uint32_t i = 0; i < PM_SHM_HIST_BUCKETS; i++) {
        seen += hist[i];
        if (seen >= rank) {
            uint64_t v = pm_shm_hist_lower(i) + (pm_shm_hist_width(i) - 1u) / 2u;
            return v < lo ? lo : v > hi ? hi : v;
        }
    }
    return hi;
}

PM_API pm_result pm_benchmark(const char *name, void (*fn)(void *arg), void *arg,
                       uint64_t iterations, pm_benchmark_result *out)
{
    if (!fn || !out || iterations == 0) return PM_ERR_INVALID;
    uint64_t *hist = (uint64_t *)calloc(PM_SHM_HIST_BUCKETS, sizeof *hist);
    if (!hist) return PM_ERR_NO_MEMORY;
    pm_id id = name ? pm_lookup(name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS) : 0;
    uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
    pm_resource_span span = pm_resource_begin(NULL);   /* measured here, recorded below */
    uint64_t all0 = pm__ticks();
    for (uint64_t i = 0; i < iterations; i++) {
        uint64_t t0 = pm__ticks();
        fn(arg);
        uint64_t t1 = pm__ticks();
        uint64_t ns = t1 > t0 ? pm__ticks_to_ns(t1 - t0) : 0u;
        hist[pm_shm_hist_index(ns)]++;
        sum += ns;
        if (ns < lo) lo = ns;
        if (ns > hi) hi = ns;
        if (pm__valid(id)) pm_duration_id(id, ns, 1);
    }
    uint64_t all1 = pm__ticks();
    pm_resource_result res = pm_resource_end(&span);
    out->count = iterations;
    out->mean_ns = (double)sum / (double)iterations;
    out->min_ns = lo;
    out->max_ns = hi;
    out->p50_ns = pm__hist_quantile(hist, iterations, 0.50, lo, hi);
    out->p95_ns = pm__hist_quantile(hist, iterations, 0.95, lo, hi);
    out->p99_ns = pm__hist_quantile(hist, iterations, 0.99, lo, hi);
    out->total_ns = all1 > all0 ? pm__ticks_to_ns(all1 - all0) : 0u;
    out->cpu_user_ns = res.cpu_user_ns;
    out->cpu_sys_ns = res.cpu_sys_ns;
    out->rss_delta_bytes = res.rss_delta_bytes;
    out->peak_rss_bytes = (uint64_t)res.peak_rss_bytes;
    free(hist);
    if (name && pm__ensure() == PM__ON) pm__record_resources(name, &res);
    return PM_OK;
}

/* Whole-process totals, recorded at normal exit for post-mortem readers. */
static void pm__record_process_totals(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return;
    pm_gauge_set_id(pm_lookup("process.cpu_user", PM_KIND_GAUGE, PM_UNIT_NANOSECONDS), (int64_t)pm__tv_ns(ru.ru_utime));
    pm_gauge_set_id(pm_lookup("process.cpu_sys", PM_KIND_GAUGE, PM_UNIT_NANOSECONDS), (int64_t)pm__tv_ns(ru.ru_stime));
    pm_gauge_set_id(pm_lookup("process.peak_rss", PM_KIND_GAUGE, PM_UNIT_BYTES), (int64_t)ru.ru_maxrss * 1024);
}

#endif /* the _GNU_SOURCE check */
#endif /* PERFMON_IMPLEMENTATION_INCLUDED */
#endif /* PERFMON_IMPLEMENTATION */

/*
MIT License

Copyright (c) 2026 the perfmon authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
*/
