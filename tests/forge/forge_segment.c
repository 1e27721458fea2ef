/* forge_segment.c - writes synthetic perfmon segments, valid or damaged, for
   testing readers. Built from perfmon_shm.h alone (never perfmon.h), so it
   checks the reader against the ABI text, not against the writer's code.

   BUILD
     cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -I. tests/forge/forge_segment.c \
        -o tests/bin/forge_segment -lm

   USAGE
     forge_segment [--pid N] [options]
   Creates $PERFMON_SHM_DIR/perfmon.<N> (default dir /dev/shm, default N the
   forge's own pid), replacing any file of that name, then prints
   "ready <path>" on stdout.
     --pid N               pid in the file name and header
     --dir DIR             directory instead of $PERFMON_SHM_DIR or /dev/shm
     --hold SECONDS        hold flock(LOCK_EX) that long, like a live writer
                           (SIGTERM/SIGINT end it early, exit 0); without
                           --hold the lock is not held: the writer is "gone"
     --state S             running (default), exited (clean shutdown: sets
                           end_realtime_ns) or init
     --process NAME        process name (default "forged")
     --age SECONDS         start time that many seconds ago (default 5)
     --max-series N        capacity (default 64; must hold the series below)
     --max-threads N       capacity (default 4, at least 3)
     --arena-hists N       room for N histograms in the arena (default 32)
     --lognormal N         add timer "lognormal.latency": N log-normal samples
                           (median 1ms, sigma 1), spread over 3 thread slots
     --many N              add N counters bulk.counter{i="<k>"} = k
     --dropped N           set dropped = N (N >= 1): N-1 for series_full and 1
                           for bad_name; also dropped_hist = 3
     --seed N              seed for the pseudo-random samples (default 1)
     --expected FILE       write the exact stats of every series to FILE, one
                           JSON object per line: name, kind, unit, and value
                           (counters, gauges) or count, sum, min, max, errors,
                           slow, p50, p90, p95, p99 (exact: the sorted sample
                           at rank ceil(q*count); null when count is 0)
     --damage KIND         damage the segment after building it (see below)
     --claim-all           claim every record in use (series_count = max_series,
                           threads_used = max_threads) while writing only the
                           valid segment: the rest of the file stays holes
     --wide N              add N timers wide.timer{i="<k>"} with one record
                           (min 1, max 2^40) in every thread slot and the
                           shared one (threads_used = max_threads), all their
                           cells pointing at one histogram: a reader must not
                           copy it once per cell
     --truncate-after MS   with --hold: after MS ms, truncate the file to 4096
                           bytes (a reader that mapped it before then gets
                           SIGBUS past the first page)

   THE VALID SEGMENT (exact values)
     requests.total                    counter  1000 (600 slot 0 + 400 slot 1)
     http.requests{method="GET",route="/users"}  counter  42
     queue.depth                       gauge    -7
     memory.used{pool="main"}          gauge    123456789, unit bytes
     db.query                          timer    k*1000 ns for k = 1..1000, odd k
                                                in slot 0, even in slot 1;
                                                errors 10 (k % 100 == 0),
                                                slow_ns 900000 -> slow 101
     http.request{method="GET",route="/a,b",q="x\"y\\z\nw"}
                                       timer    50, 60, ..., 140 ns (10 values)
     idle.timer                        timer    no records (count 0)
     payload.size                      dist     10000 pseudo-random values in
                                                [1, 1000000], unit bytes, 3 slots
     batch.items                       dist     0..127 once each, unit none
   Thread slots: 0 ACTIVE, 1 IDLE, 2 ACTIVE; threads_used 3.

   DAMAGE KINDS (header damage must make a reader refuse the whole segment;
   series damage must make it skip that one series)
     header:  truncate (file cut to half), short (file shorter than a header),
              empty (0 bytes), bad-magic, bad-version, byte-order (swapped
              mark), state-init, bad-state, series-count (> max_series),
              threads-used (> max_threads), total-size (wrong total_size),
              offset (wrong cells_off), capacity (max_series 2^32-1),
              hash-capacity, process-name (no NUL), cmdline (no NUL),
              header-size, garbage (random bytes)
     series:  name-unterminated, name-len, bad-kind, bad-unit, series-state
              (all on series 1), hist-off (db.query slot 0 hist_off past the
              end), hist-misaligned, hist-arena-end (one past the last valid
              histogram position)
     benign:  claimed (series 1 CLAIMED: pending, skipped silently),
              stuck-seq (db.query slot 0 seq left odd: values still valid),
              huge-range (batch.items cell min 0, max 2^64-1),
              overflow (counts, sums, errors near 2^64-1 that wrap when
              summed over slots; gauge INT64_MIN; dropped 2^64-1)
     file:    symlink (perfmon.N is a symlink to a valid segment), hardlink
              (a valid segment with a second link), fifo (a named pipe),
              directory
   Exit status: 0 ok, 2 bad arguments or a failed system call. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "perfmon_shm.h"

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "forge_segment: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "%s%s\n", errno ? ": " : "", errno ? strerror(errno) : "");
    exit(2);
}

/* ---- deterministic pseudo-random numbers (xorshift64*) */

static uint64_t rng_state = 1;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static double rng_unit(void) { return ((double)(rng_next() >> 11) + 0.5) / 9007199254740992.0; }

/* ---- the segment being built */

static unsigned char *map;
static pm_shm_header *hdr;
static uint64_t arena_next; /* next free histogram offset */

static uint64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static pm_shm_series *series_at(uint32_t i)
{
    return (pm_shm_series *)(map + hdr->series_off + (uint64_t)i * PM_SHM_SERIES_SIZE);
}

static pm_shm_cell *cell_at(uint32_t slot, uint32_t i)
{
    return (pm_shm_cell *)(map + hdr->cells_off + ((uint64_t)slot * hdr->max_series + i) * PM_SHM_CELL_SIZE);
}

static uint32_t add_series(const char *name, int kind, int unit, uint64_t slow_ns)
{
    uint32_t i = hdr->series_count;
    if (i >= hdr->max_series) die("too many series for --max-series (at %s)", name);
    size_t n = strlen(name);
    if (n >= PM_SHM_NAME_MAX) die("name too long: %s", name);
    pm_shm_series *s = series_at(i);
    s->kind = (uint16_t)kind;
    s->unit = (uint16_t)unit;
    s->name_len = (uint32_t)n;
    memcpy(s->name, name, n + 1);
    s->hash = pm_shm_hash(name, n);
    s->slow_ns = slow_ns;
    /* the writer's index: open addressing, linear probing */
    uint32_t *hash = (uint32_t *)(map + hdr->hash_off);
    for (uint32_t h = (uint32_t)s->hash & (hdr->hash_capacity - 1); ; h = (h + 1) & (hdr->hash_capacity - 1))
        if (hash[h] == 0) { hash[h] = i + 1; break; }
    s->state = PM_SHM_SERIES_READY;
    hdr->series_count = i + 1;
    return i;
}

static void count_add(uint32_t slot, uint32_t i, uint64_t n) { cell_at(slot, i)->count += n; }

/* One timer/distribution record, as the writer does it: seqlock odd,
   update, even. */
static void record(uint32_t slot, uint32_t i, uint64_t v, int error)
{
    pm_shm_cell *c = cell_at(slot, i);
    c->seq++;
    if (c->count == 0 || v < c->min) c->min = v;
    if (c->count == 0 || v > c->max) c->max = v;
    c->count++;
    c->sum += v;
    c->errors += (uint64_t)error;
    if (series_at(i)->kind == PM_SHM_KIND_TIMER && v >= series_at(i)->slow_ns) c->slow++;
    if (c->hist_off == 0) {
        if (arena_next + PM_SHM_HIST_BYTES <= hdr->arena_off + hdr->arena_size) {
            c->hist_off = arena_next;
            arena_next += PM_SHM_HIST_BYTES;
            hdr->arena_used = arena_next - hdr->arena_off;
        } else {
            c->hist_off = PM_SHM_HIST_NONE;
        }
    }
    if (c->hist_off != PM_SHM_HIST_NONE) ((uint64_t *)(map + c->hist_off))[pm_shm_hist_index(v)]++;
    else hdr->dropped_hist++;
    c->seq++;
}

/* ---- exact expected stats */

typedef struct sample_set {
    uint64_t *v;
    size_t n, cap;
    uint64_t errors, slow;
} sample_set;

static void keep(sample_set *s, uint64_t v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) die("%s", "out of memory");
    }
    s->v[s->n++] = v;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static FILE *expected;

static void json_name(const char *name)
{
    fputc('"', expected);
    for (const char *p = name; *p; p++) {
        if (*p == '"' || *p == '\\') fputc('\\', expected);
        fputc(*p, expected);
    }
    fputc('"', expected);
}

static void expect_value(const char *name, const char *kind, const char *unit, long long value)
{
    if (!expected) return;
    fputs("{\"name\": ", expected);
    json_name(name);
    fprintf(expected, ", \"kind\": \"%s\", \"unit\": \"%s\", \"value\": %lld}\n", kind, unit, value);
}

static void expect_samples(const char *name, const char *kind, const char *unit, sample_set *s)
{
    if (!expected) return;
    fputs("{\"name\": ", expected);
    json_name(name);
    fprintf(expected, ", \"kind\": \"%s\", \"unit\": \"%s\", \"count\": %zu", kind, unit, s->n);
    uint64_t sum = 0;
    for (size_t i = 0; i < s->n; i++) sum += s->v[i];
    fprintf(expected, ", \"sum\": %llu, \"errors\": %llu, \"slow\": %llu", (unsigned long long)sum,
            (unsigned long long)s->errors, (unsigned long long)s->slow);
    if (s->n == 0) {
        fputs(", \"min\": null, \"max\": null, \"p50\": null, \"p90\": null, \"p95\": null, \"p99\": null}\n", expected);
        return;
    }
    qsort(s->v, s->n, sizeof *s->v, cmp_u64);
    fprintf(expected, ", \"min\": %llu, \"max\": %llu", (unsigned long long)s->v[0],
            (unsigned long long)s->v[s->n - 1]);
    static const double qs[] = { 0.50, 0.90, 0.95, 0.99 };
    static const char *const keys[] = { "p50", "p90", "p95", "p99" };
    for (int q = 0; q < 4; q++) {
        size_t rank = (size_t)ceil(qs[q] * (double)s->n);
        if (rank < 1) rank = 1;
        fprintf(expected, ", \"%s\": %llu", keys[q], (unsigned long long)s->v[rank - 1]);
    }
    fputs("}\n", expected);
}

/* ---- building */

static void fill_series(long lognormal, long many)
{
    uint32_t i;
    sample_set s = { 0 };

    i = add_series("requests.total", PM_SHM_KIND_COUNTER, PM_SHM_UNIT_NONE, 0);
    count_add(0, i, 600);
    count_add(1, i, 400);
    expect_value("requests.total", "counter", "", 1000);

    const char *http = "http.requests{method=\"GET\",route=\"/users\"}";
    i = add_series(http, PM_SHM_KIND_COUNTER, PM_SHM_UNIT_NONE, 0);
    count_add(0, i, 42);
    expect_value(http, "counter", "", 42);

    i = add_series("queue.depth", PM_SHM_KIND_GAUGE, PM_SHM_UNIT_NONE, 0);
    series_at(i)->gauge = (uint64_t)(int64_t)-7;
    expect_value("queue.depth", "gauge", "", -7);

    i = add_series("memory.used{pool=\"main\"}", PM_SHM_KIND_GAUGE, PM_SHM_UNIT_BYTES, 0);
    series_at(i)->gauge = 123456789;
    expect_value("memory.used{pool=\"main\"}", "gauge", "bytes", 123456789);

    i = add_series("db.query", PM_SHM_KIND_TIMER, PM_SHM_UNIT_NANOSECONDS, 900000);
    for (uint64_t k = 1; k <= 1000; k++) {
        int err = k % 100 == 0;
        record(k % 2 ? 0 : 1, i, k * 1000, err);
        keep(&s, k * 1000);
        s.errors += (uint64_t)err;
        s.slow += k * 1000 >= 900000;
    }
    expect_samples("db.query", "timer", "ns", &s);
    s.n = s.errors = s.slow = 0;

    const char *esc = "http.request{method=\"GET\",route=\"/a,b\",q=\"x\\\"y\\\\z\\nw\"}";
    i = add_series(esc, PM_SHM_KIND_TIMER, PM_SHM_UNIT_NANOSECONDS, 1000000000);
    for (uint64_t v = 50; v <= 140; v += 10) { record(0, i, v, 0); keep(&s, v); }
    expect_samples(esc, "timer", "ns", &s);
    s.n = 0;

    add_series("idle.timer", PM_SHM_KIND_TIMER, PM_SHM_UNIT_NANOSECONDS, 1000000);
    expect_samples("idle.timer", "timer", "ns", &s);

    i = add_series("payload.size", PM_SHM_KIND_DISTRIBUTION, PM_SHM_UNIT_BYTES, 0);
    for (uint32_t k = 0; k < 10000; k++) {
        uint64_t v = 1 + rng_next() % 1000000;
        record(k % 3, i, v, 0);
        keep(&s, v);
    }
    expect_samples("payload.size", "distribution", "bytes", &s);
    s.n = 0;

    i = add_series("batch.items", PM_SHM_KIND_DISTRIBUTION, PM_SHM_UNIT_NONE, 0);
    for (uint64_t v = 0; v < 128; v++) { record(0, i, v, 0); keep(&s, v); }
    expect_samples("batch.items", "distribution", "", &s);
    s.n = 0;

    if (lognormal > 0) {
        i = add_series("lognormal.latency", PM_SHM_KIND_TIMER, PM_SHM_UNIT_NANOSECONDS, 10000000);
        for (long k = 0; k < lognormal; k++) {
            /* Box-Muller: one standard normal from two uniforms */
            double z = sqrt(-2.0 * log(rng_unit())) * cos(2.0 * M_PI * rng_unit());
            uint64_t v = (uint64_t)llround(exp(log(1e6) + z));
            record((uint32_t)(k % 3), i, v, 0);
            keep(&s, v);
            s.slow += v >= 10000000;
        }
        expect_samples("lognormal.latency", "timer", "ns", &s);
        s.n = s.slow = 0;
    }
    for (long k = 0; k < many; k++) {
        char name[64];
        snprintf(name, sizeof name, "bulk.counter{i=\"%ld\"}", k);
        i = add_series(name, PM_SHM_KIND_COUNTER, PM_SHM_UNIT_NONE, 0);
        count_add((uint32_t)(k % 3), i, (uint64_t)k);
        expect_value(name, "counter", "", k);
    }
    free(s.v);
}

/* --wide: every cell of n timers, in every row, shares one histogram. */
static void fill_wide(long n)
{
    hdr->threads_used = hdr->max_threads;
    uint64_t hist = 0;
    for (long k = 0; k < n; k++) {
        char name[64];
        snprintf(name, sizeof name, "wide.timer{i=\"%ld\"}", k);
        uint32_t i = add_series(name, PM_SHM_KIND_TIMER, PM_SHM_UNIT_NANOSECONDS, 1000000);
        for (uint32_t t = 0; t <= hdr->max_threads; t++) {
            pm_shm_cell *c = cell_at(t, i);
            c->hist_off = hist;   /* 0 the first time: record() carves it */
            record(t, i, (uint64_t)1 << 40, 0);
            hist = c->hist_off;
            c->min = 1;
        }
    }
}

static void init_header(uint32_t pid, uint32_t max_series, uint32_t max_threads,
                        uint64_t arena_size, const pm_shm_layout_t *l, const char *process, long age_s)
{
    memcpy(hdr->magic, PM_SHM_MAGIC, 8);
    hdr->version = PM_SHM_VERSION;
    hdr->header_size = PM_SHM_HEADER_SIZE;
    hdr->total_size = l->total_size;
    hdr->byte_order = PM_SHM_BYTE_ORDER_MARK;
    hdr->pid = pid;
    hdr->uid = (uint32_t)getuid();
    hdr->start_realtime_ns = now_ns(CLOCK_REALTIME) - (uint64_t)age_s * 1000000000u;
    hdr->start_monotonic_ns = now_ns(CLOCK_MONOTONIC);
    hdr->clock_kind = PM_SHM_CLOCK_MONOTONIC;
    hdr->hist_sub_bits = PM_SHM_HIST_SUB_BITS;
    hdr->ns_per_tick = 1.0;
    hdr->max_series = max_series;
    hdr->max_threads = max_threads;
    hdr->hash_capacity = l->hash_capacity;
    hdr->hist_buckets = PM_SHM_HIST_BUCKETS;
    hdr->series_size = PM_SHM_SERIES_SIZE;
    hdr->cell_size = PM_SHM_CELL_SIZE;
    hdr->thread_size = PM_SHM_THREAD_SIZE;
    hdr->hash_off = l->hash_off;
    hdr->threads_off = l->threads_off;
    hdr->series_off = l->series_off;
    hdr->cells_off = l->cells_off;
    hdr->arena_off = l->arena_off;
    hdr->arena_size = arena_size;
    hdr->default_slow_ns = 1000000;
    snprintf(hdr->process_name, sizeof hdr->process_name, "%s", process);
    snprintf(hdr->cmdline, sizeof hdr->cmdline, "%s --forged", process);
    static const uint32_t states[] = { PM_SHM_THREAD_ACTIVE, PM_SHM_THREAD_IDLE, PM_SHM_THREAD_ACTIVE };
    for (uint32_t t = 0; t < 3; t++) {
        pm_shm_thread *th = (pm_shm_thread *)(map + l->threads_off + (uint64_t)t * PM_SHM_THREAD_SIZE);
        th->state = states[t];
        th->tid = pid + t;
        th->owners = 1;
    }
    hdr->threads_used = 3;
    arena_next = l->arena_off;
}

/* ---- damage */

static uint64_t cell_hist(uint32_t series, uint32_t slot) { return cell_at(slot, series)->hist_off; }

static int damage(const char *kind, int fd)
{
    pm_shm_series *s1 = series_at(1);
    uint32_t dbq = 4, batch = 8; /* indexes of db.query and batch.items */
    if (!strcmp(kind, "truncate")) return ftruncate(fd, (off_t)(hdr->total_size / 2));
    if (!strcmp(kind, "short")) return ftruncate(fd, 100);
    if (!strcmp(kind, "empty")) return ftruncate(fd, 0);
    if (!strcmp(kind, "bad-magic")) hdr->magic[0] = 'X';
    else if (!strcmp(kind, "bad-version")) hdr->version = 99;
    else if (!strcmp(kind, "byte-order")) hdr->byte_order = 0x04030201u;
    else if (!strcmp(kind, "state-init")) hdr->state = PM_SHM_STATE_INIT;
    else if (!strcmp(kind, "bad-state")) hdr->state = 7;
    else if (!strcmp(kind, "series-count")) hdr->series_count = hdr->max_series + 1;
    else if (!strcmp(kind, "threads-used")) hdr->threads_used = hdr->max_threads + 1;
    else if (!strcmp(kind, "total-size")) hdr->total_size += 64;
    else if (!strcmp(kind, "offset")) hdr->cells_off += 64;
    else if (!strcmp(kind, "capacity")) hdr->max_series = UINT32_MAX;
    else if (!strcmp(kind, "hash-capacity")) hdr->hash_capacity *= 2;
    else if (!strcmp(kind, "header-size")) hdr->header_size = 256;
    else if (!strcmp(kind, "process-name")) memset(hdr->process_name, 'A', sizeof hdr->process_name);
    else if (!strcmp(kind, "cmdline")) memset(hdr->cmdline, 'B', sizeof hdr->cmdline);
    else if (!strcmp(kind, "garbage")) {
        uint64_t size = hdr->total_size; /* read before the header is overwritten */
        for (uint64_t i = 0; i < size; i += 8) {
            uint64_t r = rng_next();
            memcpy(map + i, &r, 8);
        }
    }
    else if (!strcmp(kind, "name-unterminated")) memset(s1->name, 'x', sizeof s1->name);
    else if (!strcmp(kind, "name-len")) s1->name_len += 3;
    else if (!strcmp(kind, "bad-kind")) s1->kind = 9;
    else if (!strcmp(kind, "bad-unit")) s1->unit = 7;
    else if (!strcmp(kind, "series-state")) s1->state = 5;
    else if (!strcmp(kind, "claimed")) s1->state = PM_SHM_SERIES_CLAIMED;
    else if (!strcmp(kind, "hist-off")) cell_at(0, dbq)->hist_off = hdr->total_size + 4096;
    else if (!strcmp(kind, "hist-misaligned")) cell_at(0, dbq)->hist_off = cell_hist(dbq, 0) + 8;
    else if (!strcmp(kind, "hist-arena-end"))
        cell_at(0, dbq)->hist_off = hdr->arena_off + hdr->arena_size - PM_SHM_HIST_BYTES + 64;
    else if (!strcmp(kind, "stuck-seq")) cell_at(0, dbq)->seq |= 1;
    /* the reset block (perfmon_shm.h RESETS) */
    else if (!strcmp(kind, "reset-hist-off")) { series_at(dbq)->reset_seq = 2; series_at(dbq)->base_hist_off = hdr->total_size + 4096; }
    else if (!strcmp(kind, "reset-hist-shared")) { series_at(dbq)->reset_seq = 2; series_at(dbq)->base_hist_off = cell_hist(dbq, 0); }
    else if (!strcmp(kind, "reset-base-high")) { series_at(0)->reset_seq = 2; series_at(0)->base_count = UINT64_MAX; }
    else if (!strcmp(kind, "reset-stuck")) { series_at(0)->reset_seq = 5; series_at(0)->base_count = 400; }
    else if (!strcmp(kind, "huge-range")) { cell_at(0, batch)->min = 0; cell_at(0, batch)->max = UINT64_MAX; }
    else if (!strcmp(kind, "overflow")) {
        cell_at(0, 0)->count = UINT64_MAX - 5;  /* requests.total: slot sums wrap */
        cell_at(1, 0)->count = UINT64_MAX - 7;
        cell_at(0, dbq)->count = UINT64_MAX;    /* db.query: counts and sums that overflow */
        cell_at(1, dbq)->count = UINT64_MAX;
        cell_at(0, dbq)->sum = UINT64_MAX;
        cell_at(0, dbq)->errors = UINT64_MAX;
        cell_at(0, dbq)->slow = UINT64_MAX;
        series_at(2)->gauge = (uint64_t)INT64_MIN;
        hdr->dropped = UINT64_MAX;
    }
    else { errno = 0; die("unknown --damage kind '%s'", kind); }
    return 0;
}

static volatile sig_atomic_t stop;
static void on_stop(int sig) { (void)sig; stop = 1; }

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (!stop && nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static long num_arg(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) { errno = 0; die("%s needs a value", argv[*i]); }
    char *end;
    errno = 0;
    long v = strtol(argv[++*i], &end, 10);
    if (errno || *end || v < 0) { errno = 0; die("bad number '%s'", argv[*i]); }
    return v;
}

int main(int argc, char **argv)
{
    long pid = getpid(), hold = -1, max_series = 64, max_threads = 4, hists = 32;
    long lognormal = 0, many = 0, age = 5, trunc_after = -1, dropped = 0, wide = 0;
    int claim_all = 0;
    const char *dir = getenv("PERFMON_SHM_DIR"), *state = "running", *process = "forged";
    const char *dmg = NULL, *expected_path = NULL;
    if (!dir || !*dir) dir = PM_SHM_DIR;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--pid")) pid = num_arg(argc, argv, &i);
        else if (!strcmp(a, "--hold")) hold = num_arg(argc, argv, &i);
        else if (!strcmp(a, "--max-series")) max_series = num_arg(argc, argv, &i);
        else if (!strcmp(a, "--max-threads")) max_threads = num_arg(argc, argv, &i);
        else if (!strcmp(a, "--arena-hists")) hists = num_arg(argc, argv, &i);
        else if (!strcmp(a, "--lognormal")) lognormal = num_arg(argc, argv, &i);
        else if (!strcmp(a, "--many")) many = num_arg(argc, argv, &i);
        else if (!strcmp(a, "--age")) age = num_arg(argc, argv, &i);
        else if (!strcmp(a, "--dropped")) dropped = num_arg(argc, argv, &i);
        else if (!strcmp(a, "--seed")) rng_state = (uint64_t)num_arg(argc, argv, &i) | 1u;
        else if (!strcmp(a, "--claim-all")) claim_all = 1;
        else if (!strcmp(a, "--wide")) wide = num_arg(argc, argv, &i);
        else if (!strcmp(a, "--truncate-after")) trunc_after = num_arg(argc, argv, &i);
        else if (i + 1 < argc && !strcmp(a, "--dir")) dir = argv[++i];
        else if (i + 1 < argc && !strcmp(a, "--state")) state = argv[++i];
        else if (i + 1 < argc && !strcmp(a, "--process")) process = argv[++i];
        else if (i + 1 < argc && !strcmp(a, "--damage")) dmg = argv[++i];
        else if (i + 1 < argc && !strcmp(a, "--expected")) expected_path = argv[++i];
        else { errno = 0; die("unknown or incomplete option '%s' (see the top of forge_segment.c)", a); }
    }
    if (max_threads < 3) max_threads = 3;
    if (max_series < 9 + (lognormal > 0) + many + wide) max_series = 9 + (lognormal > 0) + many + wide;
    if (strcmp(state, "running") && strcmp(state, "exited") && strcmp(state, "init")) {
        errno = 0;
        die("bad --state '%s' (running, exited or init)", state);
    }

    char path[4096], other[4200];
    snprintf(path, sizeof path, "%s/perfmon.%ld", dir, pid);
    unlink(path);
    rmdir(path);
    if (dmg && !strcmp(dmg, "fifo")) {
        if (mkfifo(path, 0600) != 0) die("mkfifo %s", path);
        printf("ready %s\n", path);
        return 0;
    }
    if (dmg && !strcmp(dmg, "directory")) {
        if (mkdir(path, 0700) != 0) die("mkdir %s", path);
        printf("ready %s\n", path);
        return 0;
    }
    /* a symlink's target is the real file; the name the reader opens is the link */
    const char *file = path;
    if (dmg && !strcmp(dmg, "symlink")) {
        snprintf(other, sizeof other, "%s.target", path);
        unlink(other);
        file = other;
    }
    if (expected_path && !(expected = fopen(expected_path, "w"))) die("%s", expected_path);

    pm_shm_layout_t l;
    uint64_t arena_size = (uint64_t)hists * PM_SHM_HIST_BYTES;
    if (pm_shm_layout((uint32_t)max_series, (uint32_t)max_threads, arena_size, &l) != 0) {
        errno = 0;
        die("%s", "capacities out of bounds");
    }
    int fd = open(file, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) die("create %s", file);
    if (hold >= 0 && flock(fd, LOCK_EX) != 0) die("flock %s", file);
    if (ftruncate(fd, (off_t)l.total_size) != 0) die("ftruncate %s", file);
    map = mmap(NULL, l.total_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) die("mmap %s", file);
    hdr = (pm_shm_header *)map;
    init_header((uint32_t)pid, (uint32_t)max_series, (uint32_t)max_threads, arena_size, &l, process, age);
    fill_series(lognormal, many);
    fill_wide(wide);
    if (claim_all) {
        hdr->series_count = hdr->max_series;
        hdr->threads_used = hdr->max_threads;
    }
    if (dropped > 0) {
        hdr->dropped = (uint64_t)dropped;
        hdr->dropped_series_full = (uint64_t)dropped - 1;
        hdr->dropped_bad_name = 1;
        hdr->dropped_hist += 3;
    }
    if (!strcmp(state, "exited")) {
        hdr->state = PM_SHM_STATE_EXITED;
        hdr->end_realtime_ns = now_ns(CLOCK_REALTIME);
    } else {
        hdr->state = !strcmp(state, "init") ? PM_SHM_STATE_INIT : PM_SHM_STATE_RUNNING;
    }
    if (expected) fclose(expected);

    if (dmg && !strcmp(dmg, "symlink")) {
        if (symlink(other, path) != 0) die("symlink %s", path);
    } else if (dmg && !strcmp(dmg, "hardlink")) {
        snprintf(other, sizeof other, "%s.link", path);
        unlink(other);
        if (link(path, other) != 0) die("link %s", other);
    } else if (dmg && damage(dmg, fd) != 0) {
        die("damage %s", dmg);
    }
    msync(map, l.total_size, MS_SYNC);
    printf("ready %s\n", path);
    fflush(stdout);

    if (hold >= 0) {
        signal(SIGTERM, on_stop);
        signal(SIGINT, on_stop);
        long left = hold * 1000;
        if (trunc_after >= 0 && trunc_after < left) {
            sleep_ms(trunc_after);
            left -= trunc_after;
            /* keep only the first page: the header survives, the rest is gone */
            if (!stop && ftruncate(fd, 4096) != 0) die("ftruncate %s", file);
        }
        sleep_ms(left);
    }
    /* closing the fd (or exiting) drops the lock: the writer is gone */
    munmap(map, l.total_size);
    close(fd);
    return 0;
}
