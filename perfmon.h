/* perfmon.h - v0.1.0 - always-on, lock-free performance instrumentation for C/C++ - MIT license

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
                         that evaluates nothing. Default 1. The value is tested,
                         not just its presence.
     PM_ASSERT(x)        (implementation file) internal assertions; default assert().
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
     Call sites Macros with a literal name cache the series id in a static at the
                call site: after the first call the hot path does a TLS load, a
                compare and plain stores into this thread's own cell - no lock,
                no atomic read-modify-write, no hashing, no system call.
                Functions taking a name (pm_count(), pm_record(), ...) hash the
                name on every call: use them for names built at run time.

   ENVIRONMENT (read once, at initialisation)
     PERFMON=0              recording off: every macro costs one predictable branch.
                            Overrides pm_config.
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
     Explicit pm_config fields take precedence over these, except PERFMON=0.

   THREAD AND PROCESS SAFETY
     Every macro and function may be called from any thread at any time. Each
     thread writes only its own cells; a thread's slot passes to the next new
     thread when it exits, with its counts intact (nothing is merged or lost).
     fork(): the child gets a segment of its own, with the parent's series but
     zero counts, created on its first record; nothing is counted twice.
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
     Counter increments are unsigned; distribution values below 0 count as 0.
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
#include <time.h>
#include "perfmon_shm.h"

#ifndef PM_ENABLED
#define PM_ENABLED 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define PM_VERSION_STRING "0.1.0"

typedef enum pm_result {
    PM_OK              = 0,
    PM_ERR_DISABLED    = -1, /* recording is off (PERFMON=0 or PM_ENABLED=0) */
    PM_ERR_ALREADY     = -2, /* already initialised (maybe lazily): cfg ignored */
    PM_ERR_STATE       = -3, /* called after pm_shutdown() */
    PM_ERR_INVALID     = -4, /* a config value is out of range */
    PM_ERR_SHM         = -5, /* the segment could not be created or mapped */
    PM_ERR_PERMISSION  = -6, /* /dev/shm denied, or a stale segment is not ours */
    PM_ERR_NO_SPACE    = -7, /* /dev/shm has no room for the segment */
    PM_ERR_EXISTS      = -8, /* a live segment already has this pid's name */
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

/* A series id as returned by pm_lookup(). Opaque: 0 is "not resolved", a
   value with the top bit set means "records here are dropped". (It is the
   byte offset of the series' cell in a thread's row, plus one cell, so the
   hot path needs no arithmetic to find the cell.) */
typedef uint32_t pm_id;

/* A running timer (PM_BEGIN / pm_begin_id). Plain value: copy it freely. */
typedef struct pm_span {
    pm_id    id;
    uint32_t failed;
    uint64_t start;   /* clock ticks */
} pm_span;

#if PM_ENABLED

/* pm_init: create this process's segment. cfg may be NULL (defaults plus
   environment). Optional: the first record initialises lazily with NULL.
   Returns PM_OK, PM_ERR_DISABLED when PERFMON=0, PM_ERR_ALREADY when already
   initialised, or why the segment could not be made (recording is then off).
   Thread safety: safe; concurrent calls initialise once. */
pm_result pm_init(const pm_config *cfg);

/* pm_shutdown: mark the segment exited and remove it unless PERFMON_KEEP=1.
   Runs by itself at normal exit (atexit). Records after it are discarded.
   Thread safety: safe; threads still recording are harmless (the mapping
   stays until the process exits). */
void pm_shutdown(void);

/* pm_result_str: a short English description. Thread safety: safe. */
const char *pm_result_str(pm_result r);

/* pm_lookup: find or register a series; returns an id for the *_id calls.
   Never fails loudly: a name that cannot be registered yields an id whose
   records are counted as dropped. Thread safety: safe, lock-free. */
pm_id pm_lookup(const char *name, pm_kind kind, pm_unit unit);

/* By name, hashed on every call (for names built at run time; no lock,
   no malloc). Thread safety: safe. */
void   pm_count(const char *name, uint64_t n);
void   pm_gauge_set(const char *name, int64_t v);
void   pm_gauge_add(const char *name, int64_t d);
void   pm_record(const char *name, int64_t value);
/* pm_record_duration: a duration measured elsewhere; ok=0 counts an error. */
void   pm_record_duration(const char *name, uint64_t ns, int ok);

/* pm_timer_start/stop: begin and end a timer in different functions of one
   thread (up to 32 running per thread; they may nest or overlap). stop
   returns the duration in seconds, or -1.0 when no timer of that name was
   started in this thread. Thread safety: per thread. */
void   pm_timer_start(const char *name);
double pm_timer_stop(const char *name);

/* pm_set_slow_threshold_ms: timer `name` counts a duration >= ms as slow.
   Registers the timer if needed. Thread safety: safe. */
void   pm_set_slow_threshold_ms(const char *name, double ms);

/* pm_set_unit: declare the unit of a distribution (registers it if needed).
   Thread safety: safe. */
void   pm_set_unit(const char *name, pm_unit unit);

/* pm_name: build `base{k1="v1",k2="v2"}` into buf from NULL-terminated
   key, value string pairs, escaping values. Returns the length, or -1 when
   it does not fit (buf is then ""). No allocation. Thread safety: safe. */
int    pm_name(char *buf, size_t size, const char *base, ...);

/* The segment's path (e.g. "/dev/shm/perfmon.1234"), or "" when there is
   none. Thread safety: safe. */
const char *pm_segment_path(void);

/* ---- resources: CPU time and memory of a block, for benchmarks and gates ----
   These make system calls (getrusage, a read of /proc/self/statm): a few
   microseconds each, so use them around whole operations, not hot loops.
   A resource span named N records: timer N (wall time), distributions
   N.cpu_user and N.cpu_sys (ns of this thread's CPU time), gauges
   N.rss_delta (bytes the process RSS changed over the span, signed) and
   N.peak_rss (the process's peak RSS in bytes). Labels stay at the end:
   N.cpu_user{k="v"}. At normal exit the writer also records gauges
   process.cpu_user, process.cpu_sys (ns) and process.peak_rss (bytes). */
typedef struct pm_resource_span {
    const char *name;
    uint64_t    start;              /* clock ticks */
    uint64_t    cpu_user_ns, cpu_sys_ns;
    int64_t     rss_bytes;
    uint32_t    failed;
} pm_resource_span;

/* Thread safety: a span belongs to the thread that began it. */
pm_resource_span pm_resource_begin(const char *name);
void             pm_resource_end(pm_resource_span *s);

typedef struct pm_benchmark_result {
    uint64_t count;                 /* iterations run */
    double   mean_ns;
    uint64_t min_ns, p50_ns, p95_ns, p99_ns, max_ns;  /* percentiles: <= 0.8% error */
    uint64_t total_ns;              /* wall time of the whole run */
    uint64_t cpu_user_ns, cpu_sys_ns; /* calling thread's CPU time over the run */
    uint64_t peak_rss_bytes;        /* process peak RSS after the run */
    int64_t  rss_delta_bytes;       /* process RSS after minus before */
} pm_benchmark_result;

/* pm_benchmark: calls fn(arg) `iterations` times, timing each call (two
   clock reads, ~45 ns, are included in each figure), fills *out and records
   timer `name` plus its resource series (see above) in the segment. Works,
   and fills *out, even when recording is off. Returns PM_OK,
   PM_ERR_INVALID (no fn, no out, zero iterations) or PM_ERR_NO_MEMORY.
   Thread safety: safe; fn runs on the calling thread. */
pm_result pm_benchmark(const char *name, void (*fn)(void *arg), void *arg,
                       uint64_t iterations, pm_benchmark_result *out);

/* ---- everything below is implementation detail used by the macros ---- */

#define PM__ID_DROP_BASE  0x80000000u
enum { /* why a call site's records are dropped */
    PM__DROP_FULL = 1, PM__DROP_BAD_NAME, PM__DROP_KIND, PM__DROP_NO_MEMORY
};
enum { PM__UNINIT = 0, PM__ON = 1, PM__OFF = 2 };

#if defined(__GNUC__)
#define PM__LIKELY(x)   __builtin_expect(!!(x), 1)
#define PM__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define PM__LIKELY(x)   (x)
#define PM__UNLIKELY(x) (x)
#endif
#ifndef PM_TLS_MODEL
#define PM_TLS_MODEL "initial-exec"
#endif

extern __thread pm_shm_cell *pm__tls_row __attribute__((tls_model(PM_TLS_MODEL)));
extern int            pm__state;        /* PM__UNINIT / ON / OFF */
extern char          *pm__base;         /* the mapping */
extern pm_shm_series *pm__series;       /* series records */
extern int            pm__use_tsc;
extern uint64_t       pm__tsc_mult;     /* ns per tick, 32.32 fixed point */

pm_shm_cell *pm__slow_row(pm_id *site, const char *name, pm_kind kind, pm_unit unit, pm_id *id);
pm_id    pm__resolve(pm_id *site, const char *name, pm_kind kind, pm_unit unit);
uint64_t pm__hist_attach(pm_shm_cell *c);
void     pm__drop_hist(void);
void     pm__drop_id(pm_id id);
uint64_t pm__clock_fallback(void);
void     pm__count_slow(pm_id *site, const char *name, pm_id id, uint64_t n);
void     pm__gauge_slow(pm_id *site, const char *name, pm_id id, int64_t v, int add);

static inline int pm__valid(pm_id id) { return (int32_t)id > 0; }
static inline pm_id pm__id_of(uint32_t index) { return (index + 1u) * PM_SHM_CELL_SIZE; }
static inline uint32_t pm__index_of(pm_id id) { return id / PM_SHM_CELL_SIZE - 1u; }
static inline pm_shm_cell *pm__cell(pm_shm_cell *row, pm_id id)
{
    return (pm_shm_cell *)(void *)((char *)row + id - PM_SHM_CELL_SIZE);
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

/* Counter. The cell has exactly one writer, this thread, and nothing else in
   the process reads it, so a plain add is exact and race-free here; it
   compiles to one add-to-memory, whose aligned 64-bit store the reader
   process sees whole. (A relaxed atomic load + store pair costs 1.5x more:
   compilers do not fuse it.) */
static inline void pm__count(pm_id *site, const char *name, pm_id id, uint64_t n)
{
    pm_shm_cell *row = pm__tls_row;
    if (PM__LIKELY(row != NULL && pm__valid(id))) {
        pm__cell(row, id)->count += n;
        return;
    }
    if (row == NULL && PM__LOAD(&pm__state) == PM__OFF) return;
    pm__count_slow(site, name, id, n);
}

static inline void pm__gauge(pm_id *site, const char *name, pm_id id, int64_t v, int add)
{
    /* the row check proves the segment is this process's (see fork) */
    if (PM__LIKELY(pm__tls_row != NULL && pm__valid(id))) {
        uint64_t *g = &pm__series[pm__index_of(id)].gauge;
        if (add) __atomic_fetch_add(g, (uint64_t)v, __ATOMIC_RELAXED);
        else PM__STORE(g, (uint64_t)v);
        return;
    }
    if (pm__tls_row == NULL && PM__LOAD(&pm__state) == PM__OFF) return;
    pm__gauge_slow(site, name, id, v, add);
}

/* Timer or distribution value into this thread's cell, inside its seqlock. */
static inline void pm__observe_row(pm_shm_cell *row, pm_id id, uint64_t v, int err, uint64_t slow_ns)
{
    pm_shm_cell *c = pm__cell(row, id);
    uint64_t hoff = PM__LOAD(&c->hist_off);
    if (PM__UNLIKELY(hoff == 0)) hoff = pm__hist_attach(c);
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
    if (PM__LIKELY(hoff != PM_SHM_HIST_NONE)) {
        uint64_t *b = (uint64_t *)(void *)(pm__base + hoff) + pm_shm_hist_index(v);
        PM__STORE(b, PM__LOAD(b) + 1u);
    }
    __atomic_store_n(&c->seq, seq + 2u, __ATOMIC_RELEASE);
    if (PM__UNLIKELY(hoff == PM_SHM_HIST_NONE)) pm__drop_hist();
}

static inline void pm__observe(pm_id *site, const char *name, pm_kind kind, pm_unit unit,
                               pm_id id, uint64_t v, int err)
{
    pm_shm_cell *row = pm__tls_row;
    if (PM__UNLIKELY(row == NULL || !pm__valid(id))) {
        if (row == NULL && PM__LOAD(&pm__state) == PM__OFF) return;
        row = pm__slow_row(site, name, kind, unit, &id);
        if (row == NULL) return;
    }
    uint64_t slow = kind == PM_KIND_TIMER ? PM__LOAD(&pm__series[pm__index_of(id)].slow_ns) : UINT64_MAX;
    pm__observe_row(row, id, v, err, slow);
}

static inline void pm__record(pm_id *site, const char *name, pm_unit unit, int64_t v)
{
    pm__observe(site, name, PM_KIND_DISTRIBUTION, unit, PM__SITE(site), v < 0 ? 0u : (uint64_t)v, 0);
}

static inline pm_span pm__begin(pm_id *site, const char *name)
{
    pm_span s;
    s.id = PM__SITE(site);
    s.failed = 0;
    s.start = 0;
    if (PM__UNLIKELY(!pm__valid(s.id))) {
        if (pm__tls_row == NULL && PM__LOAD(&pm__state) == PM__OFF) return s;
        s.id = pm__resolve(site, name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS);
    }
    if (pm__valid(s.id)) s.start = pm__ticks();
    return s;
}

static inline void pm__end(pm_span s, int ok)
{
    if (PM__UNLIKELY(!pm__valid(s.id))) {
        if (s.id >= PM__ID_DROP_BASE) pm__drop_id(s.id);
        return;
    }
    uint64_t t1 = pm__ticks();
    uint64_t ns = t1 > s.start ? pm__ticks_to_ns(t1 - s.start) : 0u;
    pm__observe(NULL, NULL, PM_KIND_TIMER, PM_UNIT_NANOSECONDS, s.id, ns, !ok || s.failed);
}

/* By id (from pm_lookup): same paths as the macros, without a call site. */
static inline void pm_count_id(pm_id id, uint64_t n)     { pm__count(NULL, NULL, id, n); }
static inline void pm_gauge_set_id(pm_id id, int64_t v)  { pm__gauge(NULL, NULL, id, v, 0); }
static inline void pm_gauge_add_id(pm_id id, int64_t d)  { pm__gauge(NULL, NULL, id, d, 1); }
static inline void pm_record_id(pm_id id, int64_t v)
{
    pm__observe(NULL, NULL, PM_KIND_DISTRIBUTION, PM_UNIT_NONE, id, v < 0 ? 0u : (uint64_t)v, 0);
}
static inline pm_span pm_begin_id(pm_id id)
{
    pm_span s;
    s.id = id; s.failed = 0; s.start = pm__valid(id) ? pm__ticks() : 0u;
    return s;
}

/* Each macro owns a static id for its call site. */
#define PM__SITE_STMT(call) do { static pm_id pm__site_; call; } while (0)

#define PM_COUNT(name, n)        PM__SITE_STMT(pm__count(&pm__site_, (name), PM__SITE(&pm__site_), (uint64_t)(n)))
#define PM_GAUGE_SET(name, v)    PM__SITE_STMT(pm__gauge(&pm__site_, (name), PM__SITE(&pm__site_), (int64_t)(v), 0))
#define PM_GAUGE_ADD(name, d)    PM__SITE_STMT(pm__gauge(&pm__site_, (name), PM__SITE(&pm__site_), (int64_t)(d), 1))
#define PM_RECORD(name, v)       PM__SITE_STMT(pm__record(&pm__site_, (name), PM_UNIT_NONE, (int64_t)(v)))
#define PM_RECORD_UNIT(name, v, unit) PM__SITE_STMT(pm__record(&pm__site_, (name), (unit), (int64_t)(v)))
#define PM_RECORD_BYTES(name, v) PM_RECORD_UNIT(name, v, PM_UNIT_BYTES)
#define PM_DURATION(name, ns, ok) PM__SITE_STMT( \
    pm__observe(&pm__site_, (name), PM_KIND_TIMER, PM_UNIT_NANOSECONDS, PM__SITE(&pm__site_), (uint64_t)(ns), !(ok)))

#if defined(__GNUC__)
/* PM_BEGIN is an expression, so its static lives in a statement expression. */
#define PM_BEGIN(name) __extension__({ static pm_id pm__site_; pm__begin(&pm__site_, (name)); })
#else
#define PM_BEGIN(name) pm_begin_id(pm_lookup((name), PM_KIND_TIMER, PM_UNIT_NANOSECONDS))
#endif
#define PM_END(s)        pm__end((s), 1)
#define PM_END_ERROR(s)  pm__end((s), 0)
#define PM_SPAN_FAIL(s)  ((s).failed = 1u)

/* PM_SCOPE: times the rest of the enclosing block. PM_SCOPE_FAIL() marks the
   innermost PM_SCOPE of the block as failed (it then counts as an error). */
#ifdef __cplusplus
}  /* extern "C" */
struct pm__scope_guard {
    pm_span s;
    explicit pm__scope_guard(pm_span sp) : s(sp) {}
    ~pm__scope_guard() { pm__end(s, 1); }
    pm__scope_guard(const pm__scope_guard &) = delete;
    pm__scope_guard &operator=(const pm__scope_guard &) = delete;
};
#define PM_SCOPE(name) static pm_id pm__scope_site_; \
    pm__scope_guard pm__scope_(pm__begin(&pm__scope_site_, (name)))
#define PM_SCOPE_FAIL() (pm__scope_.s.failed = 1u)
struct pm__resource_guard {
    pm_resource_span s;
    explicit pm__resource_guard(const char *name) : s(pm_resource_begin(name)) {}
    ~pm__resource_guard() { pm_resource_end(&s); }
    pm__resource_guard(const pm__resource_guard &) = delete;
    pm__resource_guard &operator=(const pm__resource_guard &) = delete;
};
#define PM_RESOURCE_SCOPE(name) pm__resource_guard pm__resource_(name)
extern "C" {
#else
static inline void pm__scope_end(pm_span *s) { pm__end(*s, 1); }
#define PM_SCOPE(name) static pm_id pm__scope_site_; \
    pm_span pm__scope_ __attribute__((cleanup(pm__scope_end), unused)) = pm__begin(&pm__scope_site_, (name))
#define PM_SCOPE_FAIL() (pm__scope_.failed = 1u)
#define PM_RESOURCE_SCOPE(name) \
    pm_resource_span pm__resource_ __attribute__((cleanup(pm_resource_end), unused)) = pm_resource_begin(name)
#endif

#else /* PM_ENABLED == 0: everything compiles away; arguments are not evaluated */

static inline pm_result pm_init(const pm_config *cfg) { (void)cfg; return PM_ERR_DISABLED; }
static inline void pm_shutdown(void) {}
static inline const char *pm_result_str(pm_result r) { return r == PM_OK ? "ok" : "perfmon compiled out (PM_ENABLED=0)"; }
static inline pm_id pm_lookup(const char *n, pm_kind k, pm_unit u) { (void)n; (void)k; (void)u; return 0; }
static inline void pm_count(const char *n, uint64_t v) { (void)n; (void)v; }
static inline void pm_gauge_set(const char *n, int64_t v) { (void)n; (void)v; }
static inline void pm_gauge_add(const char *n, int64_t v) { (void)n; (void)v; }
static inline void pm_record(const char *n, int64_t v) { (void)n; (void)v; }
static inline void pm_record_duration(const char *n, uint64_t ns, int ok) { (void)n; (void)ns; (void)ok; }
static inline void pm_timer_start(const char *n) { (void)n; }
static inline double pm_timer_stop(const char *n) { (void)n; return -1.0; }
static inline void pm_set_slow_threshold_ms(const char *n, double ms) { (void)n; (void)ms; }
static inline void pm_set_unit(const char *n, pm_unit u) { (void)n; (void)u; }
static inline int pm_name(char *buf, size_t size, const char *base, ...) { (void)base; if (size) buf[0] = 0; return -1; }
static inline const char *pm_segment_path(void) { return ""; }
static inline void pm_count_id(pm_id id, uint64_t n) { (void)id; (void)n; }
static inline void pm_gauge_set_id(pm_id id, int64_t v) { (void)id; (void)v; }
static inline void pm_gauge_add_id(pm_id id, int64_t v) { (void)id; (void)v; }
static inline void pm_record_id(pm_id id, int64_t v) { (void)id; (void)v; }
static inline pm_span pm_begin_id(pm_id id) { pm_span s; s.id = 0; s.failed = 0; s.start = 0; (void)id; return s; }
typedef struct pm_resource_span { int unused; } pm_resource_span;
static inline pm_resource_span pm_resource_begin(const char *n) { pm_resource_span s; s.unused = 0; (void)n; return s; }
static inline void pm_resource_end(pm_resource_span *s) { (void)s; }
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
   untaken arm of a constant conditional. */
#define PM__UNUSED1(a)       ((void)(0 ? ((void)(a), 0) : 0))
#define PM__UNUSED2(a, b)    ((void)(0 ? ((void)(a), (void)(b), 0) : 0))
#define PM__UNUSED3(a, b, c) ((void)(0 ? ((void)(a), (void)(b), (void)(c), 0) : 0))
#define PM_COUNT(name, n)             PM__UNUSED2(name, n)
#define PM_GAUGE_SET(name, v)         PM__UNUSED2(name, v)
#define PM_GAUGE_ADD(name, d)         PM__UNUSED2(name, d)
#define PM_RECORD(name, v)            PM__UNUSED2(name, v)
#define PM_RECORD_UNIT(name, v, unit) PM__UNUSED3(name, v, unit)
#define PM_RECORD_BYTES(name, v)      PM__UNUSED2(name, v)
#define PM_DURATION(name, ns, ok)     PM__UNUSED3(name, ns, ok)
#define PM_BEGIN(name)                (PM__UNUSED1(name), pm_begin_id(0))
#define PM_END(s)                     PM__UNUSED1(s)
#define PM_END_ERROR(s)               PM__UNUSED1(s)
#define PM_SPAN_FAIL(s)               PM__UNUSED1(s)
#define PM_SCOPE(name)                PM__UNUSED1(name)
#define PM_SCOPE_FAIL()               ((void)0)
#define PM_RESOURCE_SCOPE(name)       PM__UNUSED1(name)

#endif /* PM_ENABLED */

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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if !defined(O_NOFOLLOW) || !defined(LOCK_EX) || !defined(FALLOC_FL_KEEP_SIZE)
#error "perfmon: include perfmon.h before any other header in the PERFMON_IMPLEMENTATION file, or compile it with -D_GNU_SOURCE"
#endif

#ifndef PM_ASSERT
#include <assert.h>
#define PM_ASSERT(x) assert(x)
#endif

#define PM__DEFAULT_MAX_SERIES  1024u
#define PM__DEFAULT_MAX_THREADS 128u
#define PM__DEFAULT_HIST_MB     64u
#define PM__DEFAULT_SLOW_MS     1000.0
#define PM__TIMER_STACK         32

__thread pm_shm_cell *pm__tls_row __attribute__((tls_model(PM_TLS_MODEL)));
int            pm__state;
char          *pm__base;
pm_shm_series *pm__series;
int            pm__use_tsc;
uint64_t       pm__tsc_mult;

/* Everything below is touched only on slow paths (first use, registration,
   thread start and exit, fork). */
static struct {
    pthread_mutex_t lock;
    pm_shm_header  *hdr;
    uint32_t       *hash;
    pm_shm_thread  *threads;
    uint64_t        total;
    int             fd;
    int             keep;
    int             forked;       /* child of fork() that has no segment yet */
    int             shut;         /* pm_shutdown() ran */
    int             once;         /* atexit/atfork/key set up */
    pm_result       result;       /* outcome of the last initialisation */
    pthread_key_t   key;
    char            shm_name[32];
    char            path[64];
} pm__g = { PTHREAD_MUTEX_INITIALIZER, NULL, NULL, NULL, 0, -1, 0, 0, 0, 0, PM_OK, 0, "", "" };

static __thread struct { const char *name; pm_id id; uint64_t start; } pm__timer_stack[PM__TIMER_STACK];
static __thread int pm__timer_depth;

const char *pm_result_str(pm_result r)
{
    switch (r) {
    case PM_OK:             return "ok";
    case PM_ERR_DISABLED:   return "recording is disabled (PERFMON=0)";
    case PM_ERR_ALREADY:    return "already initialised; configuration ignored";
    case PM_ERR_STATE:      return "perfmon was shut down";
    case PM_ERR_INVALID:    return "invalid configuration value";
    case PM_ERR_SHM:        return "cannot create or map the shared-memory segment";
    case PM_ERR_PERMISSION: return "permission denied on /dev/shm or on a stale segment";
    case PM_ERR_NO_SPACE:   return "no space left in /dev/shm for the segment";
    case PM_ERR_EXISTS:     return "a live segment with this process id already exists";
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

uint64_t pm__clock_fallback(void) { return pm__mono_ns(); }

static uint64_t pm__real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- environment ---- */

/* An unsigned environment value in [lo, hi], else dflt (a typo must not
   take the host program down, so bad values fall back quietly). */
static uint64_t pm__env_u64(const char *var, uint64_t dflt, uint64_t lo, uint64_t hi)
{
    const char *s = getenv(var);
    char *end;
    unsigned long long v;
    if (!s || !*s) return dflt;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-' || v < lo || v > hi) return dflt;
    return v;
}

static double pm__env_ms(const char *var, double dflt)
{
    const char *s = getenv(var);
    char *end;
    double v;
    if (!s || !*s) return dflt;
    v = strtod(s, &end);
    if (*end || !(v >= 0.0) || v > 1e12) return dflt;
    return v;
}

static int pm__env_is(const char *var, const char *val)
{
    const char *s = getenv(var);
    return s && strcmp(s, val) == 0;
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

static void pm__drop(uint64_t *reason)
{
    pm_shm_header *h = pm__g.hdr;
    if (!h || PM__LOAD(&pm__state) != PM__ON) return;
    __atomic_fetch_add(&h->dropped, 1, __ATOMIC_RELAXED);
    if (reason) __atomic_fetch_add(reason, 1, __ATOMIC_RELAXED);
}

void pm__drop_id(pm_id id)
{
    pm_shm_header *h = pm__g.hdr;
    if (!h) return;
    switch (id - PM__ID_DROP_BASE) {
    case PM__DROP_FULL:      pm__drop(&h->dropped_series_full); break;
    case PM__DROP_BAD_NAME:  pm__drop(&h->dropped_bad_name); break;
    case PM__DROP_KIND:      pm__drop(&h->dropped_kind_mismatch); break;
    case PM__DROP_NO_MEMORY: pm__drop(&h->dropped_no_memory); break;
    default:                 pm__drop(NULL); break;
    }
}

void pm__drop_hist(void)
{
    pm_shm_header *h = pm__g.hdr;
    if (h) __atomic_fetch_add(&h->dropped_hist, 1, __ATOMIC_RELAXED);
}

uint64_t pm__hist_attach(pm_shm_cell *c)
{
    pm_shm_header *h = pm__g.hdr;
    uint64_t off = __atomic_load_n(&h->arena_used, __ATOMIC_RELAXED), hoff = PM_SHM_HIST_NONE;
    for (;;) {
        if (off + PM_SHM_HIST_BYTES > h->arena_size) break;
        if (__atomic_compare_exchange_n(&h->arena_used, &off, off + PM_SHM_HIST_BYTES, 0,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            if (pm__reserve(h->arena_off + off, PM_SHM_HIST_BYTES) == 0) hoff = h->arena_off + off;
            break;
        }
    }
    __atomic_store_n(&c->hist_off, hoff, __ATOMIC_RELEASE);
    return hoff;
}

/* ---- series registry: lock-free open addressing ---- */

static int pm__is_base_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '.' || ch == ':' || ch == '/' || ch == '-';
}

/* base{key="value",...}: keys [A-Za-z_][A-Za-z0-9_]*, values with \" \\ \n escapes. */
static int pm__name_ok(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && pm__is_base_char((unsigned char)s[i])) i++;
    if (i == 0) return 0;
    if (i == n) return 1;
    if (s[i] != '{' || s[n - 1] != '}') return 0;
    i++;
    if (i == n - 1) return 0;                 /* "{}" */
    while (i < n - 1) {
        size_t k = i;
        while (i < n - 1 && (s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                             (i > k && s[i] >= '0' && s[i] <= '9'))) i++;
        if (i == k || i + 1 >= n - 1 || s[i] != '=' || s[i + 1] != '"') return 0;
        i += 2;
        for (;;) {
            if (i >= n - 1) return 0;
            if (s[i] == '\\') {
                if (i + 1 >= n - 1 || (s[i + 1] != '"' && s[i + 1] != '\\' && s[i + 1] != 'n')) return 0;
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
    return 0;
}

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
    uint32_t idx = __atomic_load_n(&h->series_count, __ATOMIC_RELAXED);
    do {
        if (idx >= h->max_series) {
            __atomic_store_n(slot, PM_SHM_HASH_DEAD, __ATOMIC_RELEASE);
            return pm__drop_code(PM__DROP_FULL);
        }
    } while (!__atomic_compare_exchange_n(&h->series_count, &idx, idx + 1, 0,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    pm_shm_series *s = &pm__series[idx];
    __atomic_store_n(&s->state, PM_SHM_SERIES_CLAIMED, __ATOMIC_RELAXED);
    s->kind = (uint16_t)kind;
    s->unit = (uint16_t)unit;
    s->name_len = (uint32_t)len;
    s->hash = hv;
    s->slow_ns = kind == PM_KIND_TIMER ? h->default_slow_ns : 0;
    memcpy(s->name, name, len);
    s->name[len] = '\0';
    __atomic_store_n(&s->state, PM_SHM_SERIES_READY, __ATOMIC_RELEASE);
    __atomic_store_n(slot, idx + 1u, __ATOMIC_RELEASE);
    return pm__id_of(idx);
}

static pm_id pm__find_or_add(const char *name, pm_kind kind, pm_unit unit)
{
    pm_shm_header *h = pm__g.hdr;
    size_t len = strnlen(name, PM_SHM_NAME_MAX);
    if (len == 0 || len >= PM_SHM_NAME_MAX) return pm__drop_code(PM__DROP_BAD_NAME);
    /* A name already in the registry was valid when it was registered, so
       only a name about to be registered is checked. */
    uint64_t hv = pm_shm_hash(name, len);
    uint32_t mask = h->hash_capacity - 1u, i = (uint32_t)hv & mask;
    for (uint32_t probes = 0; probes < h->hash_capacity;) {
        uint32_t *slot = &pm__g.hash[i];
        uint32_t v = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if (v == PM_SHM_HASH_CLAIMING) {
            v = pm__wait_claim(slot);
            if (v == PM_SHM_HASH_CLAIMING) return pm__drop_code(PM__DROP_FULL);
        }
        if (v == 0) {
            if (!pm__name_ok(name, len)) return pm__drop_code(PM__DROP_BAD_NAME);
            if (__atomic_load_n(&h->series_count, __ATOMIC_RELAXED) >= h->max_series)
                return pm__drop_code(PM__DROP_FULL);
            uint32_t expect = 0;
            if (__atomic_compare_exchange_n(slot, &expect, PM_SHM_HASH_CLAIMING, 0,
                                            __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
                return pm__register_at(slot, name, len, hv, kind, unit);
            continue;                          /* lost the race: look at the slot again */
        }
        if (v != PM_SHM_HASH_DEAD && v - 1u < h->max_series) {
            pm_shm_series *s = &pm__series[v - 1u];
            if (s->hash == hv && s->name_len == len && memcmp(s->name, name, len) == 0) {
                if (s->kind != (uint16_t)kind) return pm__drop_code(PM__DROP_KIND);
                if (unit != PM_UNIT_NONE && __atomic_load_n(&s->unit, __ATOMIC_RELAXED) != (uint16_t)unit)
                    __atomic_store_n(&s->unit, (uint16_t)unit, __ATOMIC_RELAXED);
                return pm__id_of(v - 1u);
            }
        }
        i = (i + 1u) & mask;
        probes++;
    }
    return pm__drop_code(PM__DROP_FULL);
}

/* ---- thread slots ---- */

static pm_shm_cell *pm__row_of(uint32_t t)
{
    return (pm_shm_cell *)(void *)(pm__base + pm__g.hdr->cells_off +
                                   (uint64_t)t * pm__g.hdr->max_series * PM_SHM_CELL_SIZE);
}

static void pm__thread_exit(void *v)
{
    uint32_t t = (uint32_t)(uintptr_t)v - 1u;
    /* a slot of the parent's segment means nothing in a forked child */
    if (pm__g.hdr && !pm__g.forked && t < __atomic_load_n(&pm__g.hdr->threads_used, __ATOMIC_RELAXED))
        __atomic_store_n(&pm__g.threads[t].state, PM_SHM_THREAD_IDLE, __ATOMIC_RELEASE);
    pm__tls_row = NULL;
}

static int pm__ensure(void);

/* Gives this thread a slot: an idle one (its counts carry on) or a new one. */
static pm_shm_cell *pm__attach(void)
{
    if (pm__ensure() != PM__ON) return NULL;
    pm_shm_header *h = pm__g.hdr;
    uint32_t used = __atomic_load_n(&h->threads_used, __ATOMIC_ACQUIRE), t;
    for (t = 0; t < used; t++) {
        uint32_t idle = PM_SHM_THREAD_IDLE;
        if (__atomic_compare_exchange_n(&pm__g.threads[t].state, &idle, PM_SHM_THREAD_ACTIVE, 0,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            goto got;
    }
    for (t = used;;) {
        if (t >= h->max_threads) { pm__drop(&h->dropped_threads_full); return NULL; }
        if (pm__reserve(h->cells_off + (uint64_t)t * h->max_series * PM_SHM_CELL_SIZE,
                        (uint64_t)h->max_series * PM_SHM_CELL_SIZE) != 0) {
            pm__drop(&h->dropped_no_memory);
            return NULL;
        }
        if (__atomic_compare_exchange_n(&h->threads_used, &t, t + 1u, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&pm__g.threads[t].state, PM_SHM_THREAD_ACTIVE, __ATOMIC_RELEASE);
            break;
        }
    }
got:
    pm__g.threads[t].tid = (uint32_t)syscall(SYS_gettid);
    __atomic_fetch_add(&pm__g.threads[t].owners, 1, __ATOMIC_RELAXED);
    pthread_setspecific(pm__g.key, (void *)(uintptr_t)(t + 1u));
    pm__tls_row = pm__row_of(t);
    return pm__tls_row;
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

static pm_result pm__errno_result(int e)
{
    if (e == EACCES || e == EPERM || e == EROFS) return PM_ERR_PERMISSION;
    if (e == ENOSPC || e == ENOMEM) return PM_ERR_NO_SPACE;
    return PM_ERR_SHM;
}

/* Opens /perfmon.<pid> exclusively; a leftover of a dead process with our
   pid (its flock is free) is replaced, a live one is left alone. */
static int pm__open_segment(pm_result *res)
{
    snprintf(pm__g.shm_name, sizeof pm__g.shm_name, PM_SHM_NAME_PREFIX "%ld", (long)getpid());
    for (int attempt = 0; attempt < 10; attempt++) {
        int fd = shm_open(pm__g.shm_name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) return fd;
        if (errno != EEXIST) { *res = pm__errno_result(errno); return -1; }
        int old = shm_open(pm__g.shm_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (old < 0) { if (errno == ENOENT) continue; *res = pm__errno_result(errno); return -1; }
        if (flock(old, LOCK_EX | LOCK_NB) == 0) {
            shm_unlink(pm__g.shm_name);
            close(old);
            continue;
        }
        close(old);
        struct timespec nap = { 0, 2000000 };  /* a viewer may hold LOCK_SH for a moment */
        nanosleep(&nap, NULL);
    }
    *res = PM_ERR_EXISTS;
    return -1;
}

static void pm__copy_registry(const pm_shm_header *old);

static pm_result pm__create(uint32_t max_series, uint32_t max_threads, uint64_t arena,
                            uint64_t slow_ns, int tsc, double ns_per_tick,
                            const char *process_name, const pm_shm_header *copy_from)
{
    pm_shm_layout_t L;
    pm_result res = PM_ERR_SHM;
    if (pm_shm_layout(max_series, max_threads, arena, &L) != 0) return PM_ERR_INVALID;
    int fd = pm__open_segment(&res);
    if (fd < 0) return res;
    void *map = MAP_FAILED;
    pm_shm_header *h;
    pm__g.fd = fd;
    if (flock(fd, LOCK_EX) != 0 || ftruncate(fd, (off_t)L.total_size) != 0) goto fail;
    if (pm__reserve(0, L.cells_off) != 0) { res = PM_ERR_NO_SPACE; goto fail; }
    {
        /* Map through a second open file, not the locked one: a forked child
           inherits the mapping, and would otherwise keep the lock (and the
           parent's "alive" status) until it exits. */
        int mfd = shm_open(pm__g.shm_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
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
    h->pid = (uint32_t)getpid();
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
    h->hash_off = L.hash_off;
    h->threads_off = L.threads_off;
    h->series_off = L.series_off;
    h->cells_off = L.cells_off;
    h->arena_off = L.arena_off;
    h->arena_size = arena;
    h->default_slow_ns = slow_ns;
    if (process_name) snprintf(h->process_name, sizeof h->process_name, "%s", process_name);
    else pm__read_proc("/proc/self/comm", h->process_name, sizeof h->process_name, ' ');
    pm__read_proc("/proc/self/cmdline", h->cmdline, sizeof h->cmdline, ' ');

    pm__g.hdr = h;
    pm__g.total = L.total_size;
    pm__g.hash = (uint32_t *)(void *)((char *)map + L.hash_off);
    pm__g.threads = (pm_shm_thread *)(void *)((char *)map + L.threads_off);
    pm__base = (char *)map;
    pm__series = (pm_shm_series *)(void *)((char *)map + L.series_off);
    snprintf(pm__g.path, sizeof pm__g.path, PM_SHM_DIR "%s", pm__g.shm_name);
    if (copy_from) pm__copy_registry(copy_from);
    __atomic_store_n(&h->state, PM_SHM_STATE_RUNNING, __ATOMIC_RELEASE);
    return PM_OK;
fail:
    if (res == PM_ERR_SHM) res = pm__errno_result(errno);
    shm_unlink(pm__g.shm_name);
    close(fd);
    pm__g.fd = -1;
    return res;
}

/* A forked child keeps the parent's series ids (call sites cached them), so
   its segment starts with the parent's registry and zero counts. */
static void pm__copy_registry(const pm_shm_header *old)
{
    const pm_shm_series *src = (const pm_shm_series *)(const void *)((const char *)old + old->series_off);
    const uint32_t *old_hash = (const uint32_t *)(const void *)((const char *)old + old->hash_off);
    uint32_t n = __atomic_load_n(&old->series_count, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++) {
        if (__atomic_load_n(&src[i].state, __ATOMIC_ACQUIRE) != PM_SHM_SERIES_READY) continue;
        pm_shm_series *d = &pm__series[i];
        memcpy(d, &src[i], sizeof *d);
        d->gauge = 0;
    }
    for (uint32_t i = 0; i < old->hash_capacity; i++) {
        uint32_t v = __atomic_load_n(&old_hash[i], __ATOMIC_ACQUIRE);
        if (v == PM_SHM_HASH_CLAIMING || (v != 0 && v != PM_SHM_HASH_DEAD &&
            (v - 1u >= n || pm__series[v - 1u].state != PM_SHM_SERIES_READY)))
            v = PM_SHM_HASH_DEAD;              /* registration the child will never finish */
        pm__g.hash[i] = v;
    }
    pm__g.hdr->series_count = n;
}

static void pm__atfork_prepare(void) { pthread_mutex_lock(&pm__g.lock); }
static void pm__atfork_parent(void)  { pthread_mutex_unlock(&pm__g.lock); }

/* Runs in the child: forget the parent's segment; the first record makes ours. */
static void pm__atfork_child(void)
{
    pm__tls_row = NULL;
    pm__timer_depth = 0;
    if (PM__LOAD(&pm__state) == PM__ON && !pm__g.shut) {
        pm__g.forked = 1;
        if (pm__g.fd >= 0) close(pm__g.fd);  /* else the parent would look alive after it died */
        pm__g.fd = -1;
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
        uint64_t old_total = pm__g.total;
        pm_result r = pm__create(old->max_series, old->max_threads, old->arena_size, old->default_slow_ns,
                                 old->clock_kind == PM_SHM_CLOCK_TSC, old->ns_per_tick,
                                 old->process_name, old);
        if (r == PM_OK) munmap(old_base, old_total);
        pm__g.forked = 0;
        pm__g.result = r;
        __atomic_store_n(&pm__state, r == PM_OK ? PM__ON : PM__OFF, __ATOMIC_RELEASE);
        return r;
    }
    if (PM__LOAD(&pm__state) != PM__UNINIT) return PM_ERR_ALREADY;

    pm_result r = PM_OK;
    if (pm__env_is("PERFMON", "0")) r = PM_ERR_DISABLED;
    uint32_t max_series = cfg->max_series ? cfg->max_series
        : (uint32_t)pm__env_u64("PERFMON_MAX_SERIES", PM__DEFAULT_MAX_SERIES, 1, PM_SHM_MAX_SERIES_LIMIT);
    uint32_t max_threads = cfg->max_threads ? cfg->max_threads
        : (uint32_t)pm__env_u64("PERFMON_MAX_THREADS", PM__DEFAULT_MAX_THREADS, 1, PM_SHM_MAX_THREADS_LIMIT);
    uint64_t hist_mb = cfg->hist_mb ? cfg->hist_mb : pm__env_u64("PERFMON_HIST_MB", PM__DEFAULT_HIST_MB, 0, 1u << 20);
    double slow_ms = cfg->slow_ms > 0 ? cfg->slow_ms : pm__env_ms("PERFMON_SLOW_MS", PM__DEFAULT_SLOW_MS);
    if (r == PM_OK && (max_series > PM_SHM_MAX_SERIES_LIMIT || max_threads > PM_SHM_MAX_THREADS_LIMIT ||
                       hist_mb > (1u << 20) || cfg->slow_ms < 0))
        r = PM_ERR_INVALID;
    pm__g.keep = cfg->keep ? cfg->keep > 0 : pm__env_is("PERFMON_KEEP", "1");

    int tsc = 0;
    double ns_per_tick = 1.0;
#if defined(__x86_64__)
    pm_clock clock = cfg->clock;
    if (clock == PM_CLOCK_DEFAULT) clock = pm__env_is("PERFMON_CLOCK", "tsc") ? PM_CLOCK_TSC : PM_CLOCK_MONOTONIC;
    if (r == PM_OK && clock == PM_CLOCK_TSC && pm__tsc_invariant()) {
        ns_per_tick = pm__tsc_calibrate();
        tsc = ns_per_tick > 0.0;
    }
#endif
    if (r == PM_OK)
        r = pm__create(max_series, max_threads, hist_mb << 20, (uint64_t)(slow_ms * 1e6), tsc,
                       ns_per_tick, cfg->process_name, NULL);
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

pm_result pm_init(const pm_config *cfg)
{
    pm_result r;
    pm__lock();
    if (pm__g.shut) r = PM_ERR_STATE;
    else if (PM__LOAD(&pm__state) == PM__UNINIT) r = pm__init_locked(cfg);
    else r = pm__g.result == PM_OK ? PM_ERR_ALREADY : pm__g.result;
    pthread_mutex_unlock(&pm__g.lock);
    return r;
}

static void pm__record_process_totals(void);

void pm_shutdown(void)
{
    if (PM__LOAD(&pm__state) == PM__ON && !pm__g.shut) pm__record_process_totals();
    pm__lock();
    if (!pm__g.shut && !pm__g.forked && pm__g.hdr && PM__LOAD(&pm__state) == PM__ON) {
        pm__g.hdr->end_realtime_ns = pm__real_ns();
        __atomic_store_n(&pm__g.hdr->state, PM_SHM_STATE_EXITED, __ATOMIC_RELEASE);
        if (!pm__g.keep) shm_unlink(pm__g.shm_name);
    }
    pm__g.shut = 1;
    __atomic_store_n(&pm__state, PM__OFF, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&pm__g.lock);
}

const char *pm_segment_path(void)
{
    return PM__LOAD(&pm__state) == PM__ON ? pm__g.path : "";
}

/* ---- slow paths of the inline record functions ---- */

pm_id pm__resolve(pm_id *site, const char *name, pm_kind kind, pm_unit unit)
{
    if (!name || pm__ensure() != PM__ON) return 0;
    pm_id id = pm__find_or_add(name, kind, unit);
    if (site) __atomic_store_n(site, id, __ATOMIC_RELEASE);
    return id;
}

pm_shm_cell *pm__slow_row(pm_id *site, const char *name, pm_kind kind, pm_unit unit, pm_id *id)
{
    if (!pm__valid(*id)) {
        if (*id < PM__ID_DROP_BASE) *id = pm__resolve(site, name, kind, unit);
        if (!pm__valid(*id)) {
            if (*id >= PM__ID_DROP_BASE) pm__drop_id(*id);
            return NULL;
        }
    }
    return pm__tls_row ? pm__tls_row : pm__attach();
}

void pm__count_slow(pm_id *site, const char *name, pm_id id, uint64_t n)
{
    pm_shm_cell *row = pm__slow_row(site, name, PM_KIND_COUNTER, PM_UNIT_NONE, &id);
    if (!row) return;
    pm__cell(row, id)->count += n;
}

void pm__gauge_slow(pm_id *site, const char *name, pm_id id, int64_t v, int add)
{
    if (!pm__slow_row(site, name, PM_KIND_GAUGE, PM_UNIT_NONE, &id)) return;
    uint64_t *g = &pm__series[pm__index_of(id)].gauge;
    if (add) __atomic_fetch_add(g, (uint64_t)v, __ATOMIC_RELAXED);
    else PM__STORE(g, (uint64_t)v);
}

/* ---- the by-name API ---- */

pm_id pm_lookup(const char *name, pm_kind kind, pm_unit unit)
{
    return pm__resolve(NULL, name, kind, unit);
}

void pm_count(const char *name, uint64_t n)     { pm__count(NULL, name, 0, n); }
void pm_gauge_set(const char *name, int64_t v)  { pm__gauge(NULL, name, 0, v, 0); }
void pm_gauge_add(const char *name, int64_t d)  { pm__gauge(NULL, name, 0, d, 1); }
void pm_record(const char *name, int64_t value) { pm_id s = 0; pm__record(&s, name, PM_UNIT_NONE, value); }

void pm_record_duration(const char *name, uint64_t ns, int ok)
{
    pm_id s = 0;
    pm__observe(&s, name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS, 0, ns, !ok);
}

void pm_timer_start(const char *name)
{
    pm_id site = 0;
    pm_span sp = pm__begin(&site, name);
    if (!pm__valid(sp.id)) {
        if (sp.id >= PM__ID_DROP_BASE) pm__drop_id(sp.id);
        return;
    }
    if (pm__timer_depth == PM__TIMER_STACK) { pm__drop(NULL); return; }
    pm__timer_stack[pm__timer_depth].name = name;
    pm__timer_stack[pm__timer_depth].id = sp.id;
    pm__timer_stack[pm__timer_depth].start = sp.start;
    pm__timer_depth++;
}

/* The innermost running timer started with this name: by pointer first
   (the usual case: the same literal), else by looking the name up. */
static int pm__timer_find(const char *name)
{
    int i;
    for (i = pm__timer_depth - 1; i >= 0; i--)
        if (pm__timer_stack[i].name == name) return i;
    pm_id id = pm__resolve(NULL, name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS);
    for (i = pm__timer_depth - 1; i >= 0; i--)
        if (pm__timer_stack[i].id == id) return i;
    return -1;
}

double pm_timer_stop(const char *name)
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
    pm__observe(NULL, NULL, PM_KIND_TIMER, PM_UNIT_NANOSECONDS, id, ns, 0);
    return (double)ns / 1e9;
}

void pm_set_slow_threshold_ms(const char *name, double ms)
{
    pm_id id = pm_lookup(name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS);
    if (pm__valid(id) && ms >= 0)
        __atomic_store_n(&pm__series[pm__index_of(id)].slow_ns, (uint64_t)(ms * 1e6), __ATOMIC_RELAXED);
}

void pm_set_unit(const char *name, pm_unit unit)
{
    (void)pm_lookup(name, PM_KIND_DISTRIBUTION, unit);
}

/* ---- resources ---- */

typedef struct pm__usage { uint64_t user_ns, sys_ns; int64_t rss; } pm__usage;

static uint64_t pm__tv_ns(struct timeval tv) { return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u; }

/* This thread's CPU time and the process's resident set now. */
static pm__usage pm__usage_now(void)
{
    pm__usage u = { 0, 0, 0 };
    struct rusage ru;
    char buf[128];
    if (getrusage(RUSAGE_THREAD, &ru) == 0) { u.user_ns = pm__tv_ns(ru.ru_utime); u.sys_ns = pm__tv_ns(ru.ru_stime); }
    pm__read_proc("/proc/self/statm", buf, sizeof buf, ' ');
    const char *p = strchr(buf, ' ');         /* statm: size resident shared ... (pages) */
    if (p) u.rss = strtoll(p + 1, NULL, 10) * (int64_t)sysconf(_SC_PAGESIZE);
    return u;
}

static uint64_t pm__peak_rss(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss * 1024u : 0u;  /* ru_maxrss is KiB */
}

/* name with `suffix` added to its base: "op{k="v"}" + ".cpu_user" -> "op.cpu_user{k="v"}" */
static const char *pm__suffixed(char *buf, size_t size, const char *name, const char *suffix)
{
    const char *brace = strchr(name, '{');
    int base = brace ? (int)(brace - name) : (int)strlen(name);
    int n = snprintf(buf, size, "%.*s%s%s", base, name, suffix, brace ? brace : "");
    return n > 0 && (size_t)n < size ? buf : "";   /* "" is an invalid name: dropped and counted */
}

static void pm__record_resources(const char *name, const pm__usage *before, const pm__usage *after, uint64_t peak_rss)
{
    char buf[PM_SHM_NAME_MAX + 16];
    pm_id id;
    id = pm_lookup(pm__suffixed(buf, sizeof buf, name, ".cpu_user"), PM_KIND_DISTRIBUTION, PM_UNIT_NANOSECONDS);
    pm_record_id(id, (int64_t)(after->user_ns - before->user_ns));
    id = pm_lookup(pm__suffixed(buf, sizeof buf, name, ".cpu_sys"), PM_KIND_DISTRIBUTION, PM_UNIT_NANOSECONDS);
    pm_record_id(id, (int64_t)(after->sys_ns - before->sys_ns));
    id = pm_lookup(pm__suffixed(buf, sizeof buf, name, ".rss_delta"), PM_KIND_GAUGE, PM_UNIT_BYTES);
    pm_gauge_set_id(id, after->rss - before->rss);
    id = pm_lookup(pm__suffixed(buf, sizeof buf, name, ".peak_rss"), PM_KIND_GAUGE, PM_UNIT_BYTES);
    pm_gauge_set_id(id, (int64_t)peak_rss);
}

pm_resource_span pm_resource_begin(const char *name)
{
    pm_resource_span s;
    pm__usage u = pm__usage_now();
    s.name = name;
    s.cpu_user_ns = u.user_ns;
    s.cpu_sys_ns = u.sys_ns;
    s.rss_bytes = u.rss;
    s.failed = 0;
    s.start = pm__ticks();
    return s;
}

void pm_resource_end(pm_resource_span *s)
{
    uint64_t t1 = pm__ticks();
    if (!s->name || pm__ensure() != PM__ON) return;
    pm__usage before = { s->cpu_user_ns, s->cpu_sys_ns, s->rss_bytes }, after = pm__usage_now();
    pm_record_duration(s->name, t1 > s->start ? pm__ticks_to_ns(t1 - s->start) : 0u, !s->failed);
    pm__record_resources(s->name, &before, &after, pm__peak_rss());
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

pm_result pm_benchmark(const char *name, void (*fn)(void *arg), void *arg,
                       uint64_t iterations, pm_benchmark_result *out)
{
    if (!fn || !out || iterations == 0) return PM_ERR_INVALID;
    uint64_t *hist = (uint64_t *)calloc(PM_SHM_HIST_BUCKETS, sizeof *hist);
    if (!hist) return PM_ERR_NO_MEMORY;
    pm_id id = name ? pm_lookup(name, PM_KIND_TIMER, PM_UNIT_NANOSECONDS) : 0;
    uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
    pm__usage before = pm__usage_now();
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
        if (pm__valid(id)) pm__observe(NULL, NULL, PM_KIND_TIMER, PM_UNIT_NANOSECONDS, id, ns, 0);
    }
    uint64_t all1 = pm__ticks();
    pm__usage after = pm__usage_now();
    out->count = iterations;
    out->mean_ns = (double)sum / (double)iterations;
    out->min_ns = lo;
    out->max_ns = hi;
    out->p50_ns = pm__hist_quantile(hist, iterations, 0.50, lo, hi);
    out->p95_ns = pm__hist_quantile(hist, iterations, 0.95, lo, hi);
    out->p99_ns = pm__hist_quantile(hist, iterations, 0.99, lo, hi);
    out->total_ns = all1 > all0 ? pm__ticks_to_ns(all1 - all0) : 0u;
    out->cpu_user_ns = after.user_ns - before.user_ns;
    out->cpu_sys_ns = after.sys_ns - before.sys_ns;
    out->rss_delta_bytes = after.rss - before.rss;
    out->peak_rss_bytes = pm__peak_rss();
    free(hist);
    if (name && pm__ensure() == PM__ON) pm__record_resources(name, &before, &after, out->peak_rss_bytes);
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

static int pm__put(char *buf, size_t size, size_t *n, const char *s, size_t len)
{
    if (*n + len >= size) return -1;
    memcpy(buf + *n, s, len);
    *n += len;
    return 0;
}

int pm_name(char *buf, size_t size, const char *base, ...)
{
    va_list ap;
    size_t n = 0;
    int bad = 0, first = 1;
    const char *k;
    if (!buf || size == 0) return -1;
    bad |= pm__put(buf, size, &n, base, strlen(base));
    va_start(ap, base);
    while (!bad && (k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        if (!v) v = "";
        bad |= pm__put(buf, size, &n, first ? "{" : ",", 1);
        bad |= pm__put(buf, size, &n, k, strlen(k));
        bad |= pm__put(buf, size, &n, "=\"", 2);
        for (; *v && !bad; v++) {
            if (*v == '"' || *v == '\\') bad |= pm__put(buf, size, &n, "\\", 1);
            if (*v == '\n') bad |= pm__put(buf, size, &n, "\\n", 2);
            else bad |= pm__put(buf, size, &n, v, 1);
        }
        bad |= pm__put(buf, size, &n, "\"", 1);
        first = 0;
    }
    va_end(ap);
    if (!bad && !first) bad |= pm__put(buf, size, &n, "}", 1);
    if (bad) { buf[0] = '\0'; return -1; }
    buf[n] = '\0';
    return (int)n;
}

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
