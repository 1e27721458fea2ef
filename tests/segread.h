/* segread.h - a minimal, independent reader of a perfmon segment, for tests

   Written from perfmon_shm.h's comments alone (not from perfmon.h or the
   viewer), so tests cross-check the ABI: if the writer and this reader
   disagree about an offset, a test fails. Read-only mapping; nothing here
   trusts the writer's implementation, only the documented layout.

       sr_seg s;
       if (sr_open_pid(&s, pid) == 0) {
           uint64_t n = sr_counter(&s, "requests");
           sr_stat t; sr_timer(&s, "http.request", &t);   // t.count, t.sum, t.hist ...
           sr_close(&s);
       }
   A series that does not exist reads as SR_MISSING (counters) or found = 0. */
#ifndef PM_TEST_SEGREAD_H
#define PM_TEST_SEGREAD_H

#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "perfmon_shm.h"

#define SR_MISSING UINT64_MAX

typedef struct sr_seg {
    int fd;
    size_t size;
    const unsigned char *base;
    const pm_shm_header *h;
    char path[128];
} sr_seg;

typedef struct sr_stat {
    int found;
    int kind, unit;
    uint64_t count, sum, min, max, errors, slow, slow_ns;
    uint64_t hist[PM_SHM_HIST_BUCKETS]; /* summed over slots */
    uint64_t hist_total;                /* sum of hist[] */
    uint32_t cells_without_hist;        /* cells with count > 0 and hist_off NONE */
    uint32_t resets;                    /* figures above are since the last of these */
} sr_stat;

static inline uint32_t sr_load32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint64_t sr_load64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

/* Maps path read-only and checks the header against perfmon_shm.h. Returns
   0, or -1 with a reason on stderr (tests then fail on the return value). */
static inline int sr_open_path(sr_seg *s, const char *path)
{
    struct stat st;
    pm_shm_layout_t L;
    memset(s, 0, sizeof *s);
    s->fd = -1;
    snprintf(s->path, sizeof s->path, "%s", path);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)PM_SHM_HEADER_SIZE) { close(fd); return -1; }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) { close(fd); return -1; }
    s->fd = fd;
    s->size = (size_t)st.st_size;
    s->base = (const unsigned char *)m;
    s->h = (const pm_shm_header *)m;
    const pm_shm_header *h = s->h;
    const char *why = NULL;
    if (memcmp(h->magic, PM_SHM_MAGIC, 8) != 0) why = "magic";
    else if (h->version != PM_SHM_VERSION) why = "version";
    else if (h->header_size != PM_SHM_HEADER_SIZE) why = "header_size";
    else if (h->byte_order != PM_SHM_BYTE_ORDER_MARK) why = "byte_order";
    else if (h->series_size != PM_SHM_SERIES_SIZE || h->cell_size != PM_SHM_CELL_SIZE ||
             h->thread_size != PM_SHM_THREAD_SIZE) why = "record sizes";
    else if (h->hist_buckets != PM_SHM_HIST_BUCKETS || h->hist_sub_bits != PM_SHM_HIST_SUB_BITS) why = "histogram shape";
    else if (pm_shm_layout(h->max_series, h->max_threads, h->arena_size, &L) != 0) why = "capacities";
    else if (L.hash_off != h->hash_off || L.threads_off != h->threads_off || L.series_off != h->series_off ||
             L.cells_off != h->cells_off || L.arena_off != h->arena_off || L.hash_capacity != h->hash_capacity)
        why = "offsets";
    else if (L.total_size != h->total_size || h->total_size != (uint64_t)st.st_size) why = "total_size";
    if (why) {
        fprintf(stderr, "segread: %s: bad %s\n", path, why);
        munmap(m, s->size);
        close(fd);
        memset(s, 0, sizeof *s);
        s->fd = -1;
        return -1;
    }
    return 0;
}

static inline int sr_open_pid(sr_seg *s, long pid)
{
    char p[64];
    snprintf(p, sizeof p, PM_SHM_DIR "/perfmon.%ld", pid);
    return sr_open_path(s, p);
}

static inline void sr_close(sr_seg *s)
{
    if (s->base) munmap((void *)(uintptr_t)s->base, s->size);
    if (s->fd >= 0) close(s->fd);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

/* 1 while the writer holds its flock, 0 when it is gone. */
static inline int sr_alive(const sr_seg *s)
{
    int fd = open(s->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0;
    int alive = flock(fd, LOCK_SH | LOCK_NB) != 0;
    close(fd);
    return alive;
}

static inline uint32_t sr_series_count(const sr_seg *s)
{
    uint32_t n = sr_load32(&s->h->series_count);
    return n < s->h->max_series ? n : s->h->max_series;
}

static inline uint32_t sr_threads_used(const sr_seg *s)
{
    uint32_t n = sr_load32(&s->h->threads_used);
    return n < s->h->max_threads ? n : s->h->max_threads;
}

static inline const pm_shm_series *sr_series_at(const sr_seg *s, uint32_t i)
{
    return (const pm_shm_series *)(const void *)(s->base + s->h->series_off + (uint64_t)i * PM_SHM_SERIES_SIZE);
}

static inline const pm_shm_cell *sr_cell(const sr_seg *s, uint32_t t, uint32_t i)
{
    return (const pm_shm_cell *)(const void *)(s->base + s->h->cells_off +
                                              ((uint64_t)t * s->h->max_series + i) * PM_SHM_CELL_SIZE);
}

static inline const pm_shm_thread *sr_thread(const sr_seg *s, uint32_t t)
{
    return (const pm_shm_thread *)(const void *)(s->base + s->h->threads_off + (uint64_t)t * PM_SHM_THREAD_SIZE);
}

/* Rows a series is summed over: slots [0, threads_used), then the shared
   slot, row max_threads (threads beyond capacity record there). */
static inline uint32_t sr_next_row(const sr_seg *s, uint32_t t)
{
    if (t + 1u < sr_threads_used(s)) return t + 1u;
    return t < s->h->max_threads ? s->h->max_threads : UINT32_MAX;
}
static inline uint32_t sr_first_row(const sr_seg *s) { return sr_threads_used(s) ? 0u : s->h->max_threads; }
#define SR_EACH_ROW(s, t) for (uint32_t t = sr_first_row(s); t != UINT32_MAX; t = sr_next_row((s), t))

/* Index of the READY series with this full name, or -1. */
static inline int sr_find(const sr_seg *s, const char *name)
{
    uint32_t n = sr_series_count(s);
    for (uint32_t i = 0; i < n; i++) {
        const pm_shm_series *r = sr_series_at(s, i);
        if (sr_load32(&r->state) != PM_SHM_SERIES_READY) continue;
        if (memchr(r->name, '\0', PM_SHM_NAME_MAX) == NULL) continue;
        if (strcmp(r->name, name) == 0) return (int)i;
    }
    return -1;
}

/* The series' reset block, read before its cells (RESETS): waits out a
   reset in progress, bounded. Returns the number of resets. */
typedef struct sr_base { uint32_t resets; uint64_t count, sum, errors, slow, hist_off; } sr_base;
static inline void sr_reset_block(const pm_shm_series *r, sr_base *b)
{
    uint32_t seq = sr_load32(&r->reset_seq);
    for (int tries = 0; (seq & 1u) && tries < 100000; tries++) seq = sr_load32(&r->reset_seq);
    b->resets = seq / 2u;
    b->count = sr_load64(&r->base_count);
    b->sum = sr_load64(&r->base_sum);
    b->errors = sr_load64(&r->base_errors);
    b->slow = sr_load64(&r->base_slow);
    b->hist_off = sr_load64(&r->base_hist_off);
}

/* A counter's value since its last reset: its cells summed over every row,
   less the reset block's count. sr_counter_raw: since the start. */
static inline uint64_t sr_counter_at(const sr_seg *s, const char *name, int raw)
{
    int i = sr_find(s, name);
    if (i < 0 || sr_series_at(s, (uint32_t)i)->kind != PM_SHM_KIND_COUNTER) return SR_MISSING;
    sr_base b;
    sr_reset_block(sr_series_at(s, (uint32_t)i), &b);
    uint64_t sum = 0;
    SR_EACH_ROW(s, t) sum += sr_load64(&sr_cell(s, t, (uint32_t)i)->count);
    return raw || !b.resets ? sum : sum - b.count;
}
static inline uint64_t sr_counter(const sr_seg *s, const char *name) { return sr_counter_at(s, name, 0); }
static inline uint64_t sr_counter_raw(const sr_seg *s, const char *name) { return sr_counter_at(s, name, 1); }
static inline uint32_t sr_resets(const sr_seg *s, const char *name)
{
    int i = sr_find(s, name);
    sr_base b = { 0, 0, 0, 0, 0, 0 };
    if (i >= 0) sr_reset_block(sr_series_at(s, (uint32_t)i), &b);
    return b.resets;
}

/* A gauge's value; *found (may be NULL) says whether the gauge exists. */
static inline int64_t sr_gauge(const sr_seg *s, const char *name, int *found)
{
    int i = sr_find(s, name);
    int ok = i >= 0 && sr_series_at(s, (uint32_t)i)->kind == PM_SHM_KIND_GAUGE;
    if (found) *found = ok;
    return ok ? (int64_t)sr_load64(&sr_series_at(s, (uint32_t)i)->gauge) : 0;
}

/* A timer's or distribution's cells summed, each copied under its seqlock
   (bounded retries, as the ABI asks), histograms summed. */
static inline void sr_timer(const sr_seg *s, const char *name, sr_stat *out)
{
    memset(out, 0, sizeof *out);
    int i = sr_find(s, name);
    if (i < 0) return;
    const pm_shm_series *r = sr_series_at(s, (uint32_t)i);
    out->found = 1;
    out->kind = r->kind;
    out->unit = r->unit;
    out->slow_ns = sr_load64(&r->slow_ns);
    out->min = UINT64_MAX;
    sr_base base;
    sr_reset_block(r, &base);
    out->resets = base.resets;
    SR_EACH_ROW(s, t) {
        const pm_shm_cell *c = sr_cell(s, t, (uint32_t)i);
        pm_shm_cell v;
        for (int tries = 0; tries < 1000; tries++) {
            uint64_t s0 = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
            v.count = sr_load64(&c->count);
            v.sum = sr_load64(&c->sum);
            v.min = sr_load64(&c->min);
            v.max = sr_load64(&c->max);
            v.errors = sr_load64(&c->errors);
            v.slow = sr_load64(&c->slow);
            v.hist_off = __atomic_load_n(&c->hist_off, __ATOMIC_ACQUIRE);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (!(s0 & 1u) && __atomic_load_n(&c->seq, __ATOMIC_RELAXED) == s0) break;
        }
        if (v.count == 0) continue;
        out->count += v.count;
        out->sum += v.sum;
        out->errors += v.errors;
        out->slow += v.slow;
        if (v.min < out->min) out->min = v.min;
        if (v.max > out->max) out->max = v.max;
        if (v.hist_off == PM_SHM_HIST_NONE || v.hist_off == 0) { out->cells_without_hist++; continue; }
        if (v.hist_off < s->h->arena_off || v.hist_off % 64u ||
            v.hist_off + PM_SHM_HIST_BYTES > s->h->arena_off + s->h->arena_size) {
            out->cells_without_hist++;
            continue;
        }
        const uint64_t *b = (const uint64_t *)(const void *)(s->base + v.hist_off);
        for (uint32_t k = 0; k < PM_SHM_HIST_BUCKETS; k++) {
            uint64_t n = sr_load64(&b[k]);
            out->hist[k] += n;
            out->hist_total += n;
        }
    }
    if (out->count == 0) out->min = 0;
    if (!base.resets) return;
    /* since the reset: the block's sums off; min and max stay all-time */
    out->count -= base.count;
    out->sum -= base.sum;
    out->errors -= base.errors;
    out->slow -= base.slow;
    if (base.hist_off < s->h->arena_off || base.hist_off % 64u ||
        base.hist_off + PM_SHM_HIST_BYTES > s->h->arena_off + s->h->arena_size)
        return;
    const uint64_t *b = (const uint64_t *)(const void *)(s->base + base.hist_off);
    for (uint32_t k = 0; k < PM_SHM_HIST_BUCKETS; k++) {
        uint64_t n = sr_load64(&b[k]);
        out->hist[k] -= n;
        out->hist_total -= n;
    }
}

/* Value of rank ceil(q * total) taken as the midpoint of its bucket (exact
   below 128): within 0.8% of the true value by the ABI's bucket widths. */
static inline double sr_quantile(const sr_stat *st, double q)
{
    if (st->hist_total == 0) return -1;
    uint64_t rank = (uint64_t)ceil(q * (double)st->hist_total), seen = 0;
    if (rank < 1) rank = 1;
    for (uint32_t k = 0; k < PM_SHM_HIST_BUCKETS; k++) {
        seen += st->hist[k];
        if (seen >= rank) {
            uint64_t w = pm_shm_hist_width(k);
            return (double)pm_shm_hist_lower(k) + (w > 1 ? (double)(w - 1) / 2.0 : 0.0);
        }
    }
    return -1;
}

#endif
