/* segment.c - open, validate and snapshot a perfmon segment (untrusted input) */
#include "read/segment.h"
#include "read/extents.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <stb_ds.h>

/* A seqlock read gives up after this many tries: a writer killed inside an
   update leaves seq odd forever, and the values are then off by at most one
   record, which beats hanging. */
#define PMV_SEQ_RETRIES 64
/* ... but while seq keeps moving the writer is alive, and a patient reader
   keeps trying up to this many times: copying a wide histogram can take
   longer than the writer's next update of the same cell, and only a
   consistent copy keeps the bucket total within one record of count. */
#define PMV_SEQ_RETRIES_LIVE 4096
/* After this many cells that never read consistently, stop yielding
   between tries: a hostile or crashed segment must not make us slow. */
#define PMV_PATIENT_TORN_CELLS 16

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *pmv_shm_dir(void)
{
    const char *d = getenv("PERFMON_SHM_DIR");
    return d && *d ? d : PM_SHM_DIR;
}

/* Decimal digits from p up to the end or a '.', no leading zero, at most
   max: the value, or -1. */
static int64_t name_number(const char **p, uint64_t max)
{
    uint64_t v = 0;
    const char *q = *p;
    if (*q < '0' || *q > '9' || (*q == '0' && q[1] >= '0' && q[1] <= '9')) return -1;
    for (; *q >= '0' && *q <= '9'; q++) {
        v = v * 10 + (uint64_t)(*q - '0');
        if (v > max) return -1;
    }
    *p = q;
    return (int64_t)v;
}

int pmv_segment_name_pid(const char *name, uint32_t *pid)
{
    static const char prefix[] = "perfmon.";
    if (strncmp(name, prefix, sizeof prefix - 1) != 0) return 0;
    const char *p = name + sizeof prefix - 1;
    int64_t v = name_number(&p, UINT32_MAX);
    if (v < 1) return 0;  /* pid 0 is nobody's */
    if (*p == '.') {
        p++;
        int64_t n = name_number(&p, PM_SHM_ALT_NAMES);
        if (n < 1) return 0;
    }
    if (*p != '\0') return 0;
    *pid = (uint32_t)v;
    return 1;
}

int pmv_segment_open(const char *dir, const char *fname, pmv_segment *seg,
                     char *err, size_t errlen)
{
    memset(seg, 0, sizeof *seg);
    seg->fd = -1;
    if ((size_t)snprintf(seg->path, sizeof seg->path, "%s/%s", dir, fname) >= sizeof seg->path) {
        seterr(err, errlen, "path too long: %s/%s", dir, fname);
        return PMV_EIO;
    }
    /* O_NONBLOCK: a FIFO planted under our name must not hang the open */
    int fd = open(seg->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT) {
            seterr(err, errlen, "no segment %s (is the program instrumented and running?)", seg->path);
            return PMV_ENOENT;
        }
        if (e == ELOOP) {
            seterr(err, errlen, "%s is a symbolic link: refused", seg->path);
            return PMV_EREFUSED;
        }
        if (e == EACCES || e == EPERM) {
            struct stat lst;
            if (lstat(seg->path, &lst) == 0)
                seterr(err, errlen, "%s: permission denied (owned by uid %u)", seg->path, (unsigned)lst.st_uid);
            else
                seterr(err, errlen, "%s: permission denied", seg->path);
            return PMV_EACCESS;
        }
        seterr(err, errlen, "%s: %s", seg->path, strerror(e));
        return PMV_EIO;
    }
    seg->fd = fd;
    if (fstat(fd, &seg->st) != 0) {
        seterr(err, errlen, "%s: fstat: %s", seg->path, strerror(errno));
        pmv_segment_close(seg);
        return PMV_EIO;
    }
    const struct stat *st = &seg->st;
    if (!S_ISREG(st->st_mode)) {
        seterr(err, errlen, "%s is not a regular file: refused", seg->path);
        pmv_segment_close(seg);
        return PMV_EREFUSED;
    }
    /* a second link could be someone else's file dressed up as ours */
    if (st->st_nlink != 1) {
        seterr(err, errlen, "%s has %lu hard links (expected 1): refused",
               seg->path, (unsigned long)st->st_nlink);
        pmv_segment_close(seg);
        return PMV_EREFUSED;
    }
    uid_t me = geteuid();
    if (me != 0 && st->st_uid != me) {
        seterr(err, errlen, "%s is owned by uid %u, not you: refused", seg->path, (unsigned)st->st_uid);
        pmv_segment_close(seg);
        return PMV_EACCESS;
    }
    if (st->st_size < (off_t)PM_SHM_HEADER_SIZE) {
        seterr(err, errlen, "segment damaged: %s is %lld bytes, smaller than the %u-byte header",
               seg->path, (long long)st->st_size, PM_SHM_HEADER_SIZE);
        pmv_segment_close(seg);
        return PMV_EDAMAGED;
    }
    return PMV_OK;
}

void pmv_segment_close(pmv_segment *seg)
{
    if (seg->fd >= 0) close(seg->fd);
    seg->fd = -1;
}

int pmv_segment_alive(const pmv_segment *seg)
{
    if (flock(seg->fd, LOCK_SH | LOCK_NB) == 0) {
        flock(seg->fd, LOCK_UN); /* never keep it: a new writer must not see us */
        return 0;
    }
    return errno == EWOULDBLOCK ? 1 : -1;
}

/* ---- SIGBUS guard: a writer (or anyone) may truncate the file while we
   read the mapping, or a page may have no memory behind it; the kernel then
   sends SIGBUS. We turn it into an error that says which. */

static sigjmp_buf guard_jmp;
static volatile sig_atomic_t guard_active;
static const void *volatile guard_addr;   /* where the fault was */
static volatile sig_atomic_t guard_short; /* 1: a pread came back short, not a fault */

static void on_sigbus(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    if (guard_active) {
        guard_active = 0;
        guard_addr = info ? info->si_addr : NULL;
        siglongjmp(guard_jmp, 1);
    }
    signal(sig, SIG_DFL); /* not ours: die as we would have */
    raise(sig);
}

/* ---- reading the mapping */

static uint64_t load64(const void *p) { return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED); }
static uint32_t load32_acq(const void *p) { return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE); }

/* A histogram some cell reads, keyed by its PM_SHM_HIST_BYTES slot of the
   arena: histograms that do not overlap never share a slot. */
typedef struct hist_claim { uint64_t slot_plus1, off, cell; } hist_claim;
typedef struct hist_claims {
    hist_claim *v;      /* open addressing; slot_plus1 0 is empty */
    size_t cap, n;      /* cap a power of two, n < cap / 2 */
} hist_claims;

static hist_claim *claims_find(hist_claims *t, uint64_t slot)
{
    size_t i = (size_t)(slot * 0x9E3779B97F4A7C15ull >> 17) & (t->cap - 1);
    while (t->v[i].slot_plus1 && t->v[i].slot_plus1 != slot + 1) i = (i + 1) & (t->cap - 1);
    return &t->v[i];
}

static void claims_grow(hist_claims *t)
{
    hist_claims bigger = { calloc(t->cap ? 2 * t->cap : 64, sizeof *t->v), t->cap ? 2 * t->cap : 64, t->n };
    if (!bigger.v) abort();
    for (size_t i = 0; i < t->cap; i++)
        if (t->v[i].slot_plus1) *claims_find(&bigger, t->v[i].slot_plus1 - 1) = t->v[i];
    free(t->v);
    *t = bigger;
}

/* What one snapshot reads through. The mapping covers the file up to the
   arena, and only ranges `data` says hold data are touched in it: a read
   fault on a hole of a shared tmpfs mapping allocates a page for good, so
   holes read as zeros without touching. The arena (histograms) is read with
   pread() only: a hole there reads as zeros and is never allocated, and the
   reader needs no map of the arena's data ranges, which has one range per
   histogram page the writer touched (two lseek() calls each). */
typedef struct reader {
    const unsigned char *map;     /* [0, h->arena_off) */
    const pm_shm_header *h;       /* the validated copy */
    const pmv_extents *data;      /* of [0, h->arena_off), scanned after h was read */
    int fd;
    uint64_t arena_used_seen;     /* as read before the scan */
    hist_claims claims;           /* histograms read so far, by arena slot */
} reader;

typedef struct cell_copy {
    uint64_t count, sum, min, max, errors, slow, hist_off;
    uint32_t lo, hi;  /* has_hist: buckets lo..hi copied into the caller's buffer */
    int has_hist;
    int shared;       /* hist_off overlaps another cell's histogram */
    int torn;
} cell_copy;

/* Histogram offsets a cell may hold: 0, NONE, or a histogram inside the
   part of the arena handed out (arena_used is re-read for one carved since
   the scan: the writer publishes arena_used before the cell's hist_off). */
static int hist_off_valid(const reader *r, uint64_t off)
{
    const pm_shm_header *h = r->h;
    if (off == 0 || off == PM_SHM_HIST_NONE) return 1;
    if (h->arena_size < PM_SHM_HIST_BYTES || off % 64u) return 0;
    if (off < h->arena_off || off > h->arena_off + h->arena_size - PM_SHM_HIST_BYTES) return 0;
    uint64_t end = off - h->arena_off + PM_SHM_HIST_BYTES;
    return end <= r->arena_used_seen || end <= load64(r->map + offsetof(pm_shm_header, arena_used));
}

/* 1 if no other cell's histogram overlaps the one at off, which cell_off
   then owns. The writer gives every cell its own; a segment whose cells
   share one would have us copy the same pages once per cell. */
static int claim_hist(reader *r, uint64_t off, uint64_t cell_off)
{
    uint64_t slot = (off - r->h->arena_off) / PM_SHM_HIST_BYTES;
    if (r->claims.cap == 0 || 2 * (r->claims.n + 1) > r->claims.cap) claims_grow(&r->claims);
    for (uint64_t k = slot ? slot - 1 : 0; k <= slot + 1; k++) {
        hist_claim *c = claims_find(&r->claims, k);
        if (!c->slot_plus1) continue;
        if (c->cell == cell_off) return c->off == off;
        if (off < c->off + PM_SHM_HIST_BYTES && c->off < off + PM_SHM_HIST_BYTES) return 0;
    }
    hist_claim mine = { slot + 1, off, cell_off };
    *claims_find(&r->claims, slot) = mine;
    r->claims.n++;
    return 1;
}

/* Buckets lo..hi of the histogram at off into buf[lo..hi], with one
   pread(): it sees pages the writer touched (a histogram carved after the
   scan too) and reads a hole as zeros without allocating a page. Inside the
   caller's seqlock read like any other copy. A short read means the file
   shrank under us (hist_off_valid keeps off inside total_size): the
   snapshot ends as a SIGBUS would end it. */
static void load_buckets(const reader *r, uint64_t off, uint32_t lo, uint32_t hi, uint64_t *buf)
{
    size_t want = ((size_t)hi - lo + 1u) * sizeof *buf;
    ssize_t got;
    do got = pread(r->fd, buf + lo, want, (off_t)(off + (uint64_t)lo * 8u));
    while (got < 0 && errno == EINTR);
    if (got < 0) got = 0;
    if ((size_t)got < want) {
        struct stat now;
        if (fstat(r->fd, &now) == 0 && (uint64_t)now.st_size < r->h->total_size) {
            guard_active = 0;
            guard_short = 1;
            guard_addr = NULL;
            siglongjmp(guard_jmp, 1);
        }
        memset((char *)(buf + lo) + got, 0, want - (size_t)got);
    }
}

/* Copies the buckets between the cell's min and max (every value of the
   cell lies there) when hist_off is a real, valid histogram of its own. */
static void copy_buckets(reader *r, uint64_t cell_off, cell_copy *out, uint64_t *buf)
{
    out->has_hist = 0;
    out->shared = 0;
    if (out->count == 0 || out->hist_off == 0 || out->hist_off == PM_SHM_HIST_NONE ||
        !hist_off_valid(r, out->hist_off))
        return;
    if (!claim_hist(r, out->hist_off, cell_off)) {
        out->shared = 1;
        return;
    }
    uint64_t lo_v = out->min <= out->max ? out->min : out->max;
    uint64_t hi_v = out->min <= out->max ? out->max : out->min;
    out->lo = pm_shm_hist_index(lo_v);
    out->hi = pm_shm_hist_index(hi_v);
    load_buckets(r, out->hist_off, out->lo, out->hi, buf);
    out->has_hist = 1;
}

/* One unsynchronised copy of a cell and its buckets; read_cell decides
   whether it was consistent. */
static void copy_fields(reader *r, uint64_t cell_off, cell_copy *out, uint64_t *buf)
{
    const pm_shm_cell *c = (const pm_shm_cell *)(const void *)(r->map + cell_off);
    out->count = load64(&c->count);
    out->sum = load64(&c->sum);
    out->min = load64(&c->min);
    out->max = load64(&c->max);
    out->errors = load64(&c->errors);
    out->slow = load64(&c->slow);
    out->hist_off = load64(&c->hist_off);
    copy_buckets(r, cell_off, out, buf);
}

/* Seqlock read of one timer/distribution cell, bounded, with its histogram
   buckets: copied outside the seqlock, their sum would drift from count by
   whatever the writer recorded meanwhile (without bound when the reader is
   descheduled); inside it, it matches. A live writer's update can take
   microseconds (first touch of a histogram page), so when `patient` we
   yield between tries; a crashed writer leaves seq odd for good, so the
   caller stops being patient after a few such cells. */
static void read_cell(reader *r, uint64_t cell_off, cell_copy *out, uint64_t *buf, int patient)
{
    const pm_shm_cell *c = (const pm_shm_cell *)(const void *)(r->map + cell_off);
    out->torn = 1;
    uint64_t last = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
    int moved = 0;
    for (int tries = 0; tries < (patient && moved ? PMV_SEQ_RETRIES_LIVE : PMV_SEQ_RETRIES); tries++) {
        if (patient && tries >= 8) sched_yield();
        uint64_t s1 = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
        if (s1 != last) { moved = 1; last = s1; }
        if (s1 & 1u) continue;
        copy_fields(r, cell_off, out, buf);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint64_t s2 = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
        if (s2 == s1) {
            out->torn = 0;
            return;
        }
        moved = 1;
        last = s2;
    }
    /* gave up: take the values as they are */
    copy_fields(r, cell_off, out, buf);
}

static int header_error(const pm_shm_header *h, uint64_t file_size, char *why, size_t len)
{
    pm_shm_layout_t l;
    if (memcmp(h->magic, PM_SHM_MAGIC, 8) != 0) {
        seterr(why, len, "bad magic (not a perfmon segment)");
        return 1;
    }
    if (h->byte_order != PM_SHM_BYTE_ORDER_MARK) {
        if (h->byte_order == 0x04030201u)
            seterr(why, len, "written with the other byte order (not supported)");
        else
            seterr(why, len, "bad byte order mark 0x%08x", (unsigned)h->byte_order);
        return 1;
    }
    if (h->version != PM_SHM_VERSION) {
        seterr(why, len, "layout version %u not supported (this viewer reads version %u)",
               (unsigned)h->version, PM_SHM_VERSION);
        return 1;
    }
#define CHECK_EQ(field, want) \
    if ((uint64_t)(h->field) != (uint64_t)(want)) { \
        seterr(why, len, #field " %llu, expected %llu", \
               (unsigned long long)(h->field), (unsigned long long)(want)); \
        return 1; \
    }
    CHECK_EQ(header_size, PM_SHM_HEADER_SIZE);
    CHECK_EQ(series_size, PM_SHM_SERIES_SIZE);
    CHECK_EQ(cell_size, PM_SHM_CELL_SIZE);
    CHECK_EQ(thread_size, PM_SHM_THREAD_SIZE);
    CHECK_EQ(hist_sub_bits, PM_SHM_HIST_SUB_BITS);
    CHECK_EQ(hist_buckets, PM_SHM_HIST_BUCKETS);
    if (h->state > PM_SHM_STATE_EXITED) {
        seterr(why, len, "unknown state %u", (unsigned)h->state);
        return 1;
    }
    if (h->clock_kind > PM_SHM_CLOCK_TSC) {
        seterr(why, len, "unknown clock_kind %u", (unsigned)h->clock_kind);
        return 1;
    }
    if (pm_shm_layout(h->max_series, h->max_threads, h->arena_size, &l) != 0) {
        seterr(why, len, "capacities out of bounds (max_series %u, max_threads %u, arena_size %llu)",
               (unsigned)h->max_series, (unsigned)h->max_threads, (unsigned long long)h->arena_size);
        return 1;
    }
    CHECK_EQ(hash_capacity, l.hash_capacity);
    CHECK_EQ(hash_off, l.hash_off);
    CHECK_EQ(threads_off, l.threads_off);
    CHECK_EQ(series_off, l.series_off);
    CHECK_EQ(cells_off, l.cells_off);
    CHECK_EQ(arena_off, l.arena_off);
    CHECK_EQ(total_size, l.total_size);
#undef CHECK_EQ
    if (h->total_size != file_size) {
        seterr(why, len, "total_size %llu but the file is %llu bytes",
               (unsigned long long)h->total_size, (unsigned long long)file_size);
        return 1;
    }
    if (h->series_count > h->max_series) {
        seterr(why, len, "series_count %u exceeds max_series %u",
               (unsigned)h->series_count, (unsigned)h->max_series);
        return 1;
    }
    if (h->threads_used > h->max_threads) {
        seterr(why, len, "threads_used %u exceeds max_threads %u",
               (unsigned)h->threads_used, (unsigned)h->max_threads);
        return 1;
    }
    if (!memchr(h->process_name, '\0', sizeof h->process_name)) {
        seterr(why, len, "process_name not NUL-terminated");
        return 1;
    }
    if (!memchr(h->cmdline, '\0', sizeof h->cmdline)) {
        seterr(why, len, "cmdline not NUL-terminated");
        return 1;
    }
    return 0;
}

static void note_damage(pmv_snapshot *snap, uint32_t idx, const char *fmt, ...)
{
    if (snap->series_damaged++ == 0) {
        char why[128];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        snprintf(snap->damage_first, sizeof snap->damage_first, "series %u: %s", (unsigned)idx, why);
    }
}

void pmv_series_free(pmv_series *s)
{
    free(s->name);
    free(s->base);
    free(s->labels_raw);
    pmv_labels_free(s->labels);
    arrfree(s->bins);
    arrfree(s->base_bins);
    memset(s, 0, sizeof *s);
}

pmv_bin *pmv_bins_add(const pmv_bin *a, const pmv_bin *b)
{
    pmv_bin *out = NULL;
    ptrdiff_t i = 0, j = 0, na = arrlen(a), nb = arrlen(b);
    while (i < na || j < nb) {
        if (j == nb || (i < na && a[i].index < b[j].index)) arrput(out, a[i++]);
        else if (i == na || b[j].index < a[i].index) arrput(out, b[j++]);
        else {
            pmv_bin x = { a[i].index, a[i].n + b[j].n };
            arrput(out, x);
            i++, j++;
        }
    }
    return out;
}

void pmv_series_raw(const pmv_series *s, pmv_series *out)
{
    *out = *s;
    out->bins = pmv_bins_add(s->bins, s->base_bins);
    out->base_bins = NULL;
    out->hist_total = 0;
    for (ptrdiff_t i = 0; i < arrlen(out->bins); i++) out->hist_total += out->bins[i].n;
    out->count = s->count + s->base_count;
    out->sum = s->sum + s->base_sum;
    out->errors = s->errors + s->base_errors;
    out->slow = s->slow + s->base_slow;
    out->base_count = out->base_sum = out->base_errors = out->base_slow = 0;
    if (s->resets) {
        out->min = s->all_min;
        out->max = s->all_max;
    }
    out->resets = 0;
}

/* The rows a series is summed over: slots [0, threads_used), then the
   shared slot, row max_threads (threads beyond capacity record there; its
   seq stays 0, so read_cell takes it at once). Past the last: max_threads + 1. */
static uint32_t first_row(const pm_shm_header *h) { return h->threads_used ? 0 : h->max_threads; }
static uint32_t next_row(const pm_shm_header *h, uint32_t t)
{
    if (t + 1u < h->threads_used) return t + 1u;
    return t < h->max_threads ? h->max_threads : h->max_threads + 1u;
}

static uint64_t cell_offset(const pm_shm_header *h, uint32_t row, uint32_t series)
{
    return h->cells_off + ((uint64_t)row * h->max_series + series) * PM_SHM_CELL_SIZE;
}

/* What the first pass over the cells leaves for the second: one bit per
   timer or distribution cell it visited (1: holds something), in visit
   order, and per row the records [lo, hi) holding such cells. The second
   pass visits the same cells in the same order, so it lists exactly the
   cells the first counted: 1 bit per visited cell instead of a list entry
   per non-empty cell (plus the 4-byte row each keeps in `order`). */
typedef struct cell_marks {
    uint64_t *bits;
    size_t nbits, cap;    /* cap in words */
    uint32_t *span;       /* 2 per row, rows in visit order */
} cell_marks;

static void mark(cell_marks *m, int set)
{
    if (m->nbits == 64u * m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->bits = realloc(m->bits, m->cap * sizeof *m->bits);
        if (!m->bits) abort();
    }
    if (m->nbits % 64u == 0) m->bits[m->nbits / 64u] = 0;
    if (set) m->bits[m->nbits / 64u] |= 1ull << (m->nbits % 64u);
    m->nbits++;
}

/* Two passes over the cells the file really holds, row by row: holes are
   cells nobody wrote, so the work grows with what the writer allocated,
   never with the capacities it claims. pos[i] is 1 + the place of series
   record i in snap->series, 0 for records not read.
   Pass 0 sums counters, marks timer and distribution cells that hold
   anything and counts them per series place in count[place + 1].
   Pass 1 (only over the rows' spans) writes the rows of the marked cells
   into order at cursor[place]++, grouped by series, in row order. */
static void scan_cells(const reader *r, pmv_snapshot *snap, const uint32_t *pos, cell_marks *m,
                       int pass, uint32_t *count, uint32_t *cursor, uint32_t *order)
{
    const pm_shm_header *h = r->h;
    const pmv_extents *d = r->data;
    size_t bit = 0, row = 0;
    for (uint32_t t = first_row(h); t <= h->max_threads; t = next_row(h, t), row++) {
        uint64_t base = cell_offset(h, t, 0), from = base, end = base + (uint64_t)h->series_count * PM_SHM_CELL_SIZE;
        uint32_t lo = h->series_count, hi = 0;
        if (pass == 1) {
            lo = m->span[2 * row];
            hi = m->span[2 * row + 1];
            if (lo >= hi) continue;
            from = base + (uint64_t)lo * PM_SHM_CELL_SIZE;
            end = base + (uint64_t)hi * PM_SHM_CELL_SIZE;
        }
        for (size_t e = pmv_extents_find(d, from); e < d->n && d->v[e].start < end; e++) {
            uint64_t a = d->v[e].start > from ? d->v[e].start : from;
            uint64_t b = d->v[e].end < end ? d->v[e].end : end;
            for (uint64_t i = (a - base + PM_SHM_CELL_SIZE - 1) / PM_SHM_CELL_SIZE;
                 (i + 1) * PM_SHM_CELL_SIZE <= b - base; i++) {
                if (!pos[i]) continue;
                pmv_series *s = &snap->series[pos[i] - 1];
                if (s->kind == PM_SHM_KIND_GAUGE) continue;
                const pm_shm_cell *c = (const pm_shm_cell *)(const void *)(r->map + base + i * PM_SHM_CELL_SIZE);
                if (s->kind == PM_SHM_KIND_COUNTER) {
                    if (pass == 0) s->count += load64(&c->count);
                    continue;
                }
                if (pass == 0) {
                    int any = load64(&c->count) || load64(&c->seq);
                    mark(m, any);
                    count[pos[i]] += (uint32_t)any;
                    if (i < lo) lo = (uint32_t)i;
                    hi = (uint32_t)i + 1u;
                } else {
                    if (bit < m->nbits && (m->bits[bit / 64u] >> (bit % 64u) & 1u))
                        order[cursor[pos[i] - 1]++] = t;
                    bit++;
                }
            }
        }
        if (pass == 0) {
            m->span[2 * row] = lo;
            m->span[2 * row + 1] = hi;
        }
    }
}

/* Takes what the last reset noted off a summed series: its figures and,
   bucket by bucket, dense[lo..hi]. Never below zero (only a damaged
   segment has a base above its cells). */
static void since_reset(pmv_series *s, uint64_t *dense, uint32_t lo, uint32_t hi)
{
#define TAKE(f) s->f -= s->base_##f < s->f ? s->base_##f : s->f
    TAKE(count);
    TAKE(errors);
    TAKE(slow);
#undef TAKE
    s->sum -= s->base_sum;   /* modulo 2^64, like the writer's */
    for (ptrdiff_t k = 0; k < arrlen(s->base_bins); k++) {
        uint32_t i = s->base_bins[k].index;
        if (i < lo || i > hi) continue;
        dense[i] -= s->base_bins[k].n < dense[i] ? s->base_bins[k].n : dense[i];
    }
}

/* Sums a timer's or distribution's cells (rows[0..n), in row order).
   Returns 0, or -1 with why set when a cell's histogram offset is invalid
   or shared (the series is then damaged as a whole: we cannot tell which
   of its numbers to trust). */
static int sum_cells(reader *r, pmv_series *s, const uint32_t *rows, size_t n,
                     uint64_t *dense, uint64_t *cellbuf, uint32_t torn_before, char *why, size_t len)
{
    int has_min = 0, hist_any = 0;
    uint32_t dense_lo = 0, dense_hi = 0;   /* the buckets any cell can have touched */
    for (size_t k = 0; k < n; k++) {
        uint32_t t = rows[k];
        cell_copy cc;
        read_cell(r, cell_offset(r->h, t, s->index), &cc, cellbuf,
                  torn_before + s->torn_cells < PMV_PATIENT_TORN_CELLS);
        if (!hist_off_valid(r, cc.hist_off)) {
            seterr(why, len, "thread slot %u: hist_off %llu outside the arena in use or misaligned",
                   (unsigned)t, (unsigned long long)cc.hist_off);
            return -1;
        }
        if (cc.shared) {
            seterr(why, len, "thread slot %u: hist_off %llu overlaps another cell's histogram",
                   (unsigned)t, (unsigned long long)cc.hist_off);
            return -1;
        }
        s->torn_cells += (uint32_t)cc.torn;
        if (cc.count == 0) continue;
        s->count += cc.count;
        s->sum += cc.sum;
        s->errors += cc.errors;
        s->slow += cc.slow;
        if (!has_min || cc.min < s->min) s->min = cc.min;
        if (!has_min || cc.max > s->max) s->max = cc.max;
        has_min = 1;
        if (!cc.has_hist) continue;
        uint32_t lo = cc.lo, hi = cc.hi;
        for (uint32_t i = lo; i <= hi; i++) dense[i] += cellbuf[i];
        if (!hist_any || lo < dense_lo) dense_lo = lo;
        if (!hist_any || hi > dense_hi) dense_hi = hi;
        hist_any = 1;
    }
    s->all_min = s->min;
    s->all_max = s->max;
    if (s->resets) since_reset(s, dense, hist_any ? dense_lo : 1u, hist_any ? dense_hi : 0u);
    if (hist_any) {
        for (uint32_t i = dense_lo; i <= dense_hi; i++) {
            if (!dense[i]) continue;
            pmv_bin bin = { i, dense[i] };
            arrput(s->bins, bin);
            s->hist_total += dense[i];
            dense[i] = 0;
        }
    }
    if (s->resets && s->count) {   /* min and max since the reset: the outer buckets' edges */
        ptrdiff_t nb = arrlen(s->bins);
        if (nb) {
            uint64_t lo = pm_shm_hist_lower(s->bins[0].index);
            uint64_t hi = pm_shm_hist_lower(s->bins[nb - 1].index) + pm_shm_hist_width(s->bins[nb - 1].index) - 1u;
            if (lo > s->min) s->min = lo;
            if (hi < s->max) s->max = hi;
            if (s->min > s->max) s->min = s->max;
        }
    }
    return 0;
}

static int cmp_drop_ticket(const void *a, const void *b)
{
    const pmv_drop_note *x = a, *y = b;
    return (x->ticket > y->ticket) - (x->ticket < y->ticket);
}

/* Copies the drop notes that read consistently (seq even, not 0, the same
   before and after), oldest first. A note being rewritten is skipped: the
   log is a hint for the user, its counts are in the dropped_* fields. */
static void copy_drop_log(const unsigned char *map, pmv_snapshot *snap)
{
    snap->ndrops = 0;
    for (uint32_t i = 0; i < PM_SHM_DROP_NOTES; i++) {
        const unsigned char *n = map + offsetof(pm_shm_header, drop_log) + (size_t)i * sizeof(pm_shm_drop_note);
        for (int tries = 0; tries < 8; tries++) {
            uint64_t s1 = __atomic_load_n((const uint64_t *)(const void *)(n + offsetof(pm_shm_drop_note, seq)), __ATOMIC_ACQUIRE);
            if (s1 == 0 || (s1 & 1)) break;
            pmv_drop_note d;
            d.ticket = load64(n + offsetof(pm_shm_drop_note, ticket));
            d.reason = load32_acq(n + offsetof(pm_shm_drop_note, reason));
            d.name_len = load32_acq(n + offsetof(pm_shm_drop_note, name_len));
            memcpy(d.name, n + offsetof(pm_shm_drop_note, name), sizeof d.name);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (load64(n + offsetof(pm_shm_drop_note, seq)) != s1) continue;
            d.name[sizeof d.name - 1] = '\0';
            snap->drops[snap->ndrops++] = d;
            break;
        }
    }
    qsort(snap->drops, snap->ndrops, sizeof snap->drops[0], cmp_drop_ticket);
}

/* Series record i, or NULL when it lies in a hole (a record nobody wrote:
   FREE). A record the file holds only in part is read with pread(). */
static const unsigned char *series_record(const reader *r, uint32_t i, pm_shm_series *buf)
{
    uint64_t off = r->h->series_off + (uint64_t)i * PM_SHM_SERIES_SIZE;
    if (pmv_extents_covers(r->data, off, PM_SHM_SERIES_SIZE)) return r->map + off;
    if (pmv_extents_next_data(r->data, off) >= off + PM_SHM_SERIES_SIZE) return NULL;
    if (pread(r->fd, buf, sizeof *buf, (off_t)off) != (ssize_t)sizeof *buf) return NULL;
    return (const unsigned char *)buf;
}

/* The reset block of a series record (perfmon_shm.h RESETS), read before
   its cells. A reset in progress takes microseconds: wait, bounded (a
   writer killed mid-reset leaves reset_seq odd; the block is then taken
   as it is: each figure in it was a cell's at some point, so the
   subtraction stays within the cells). buf: PM_SHM_HIST_BUCKETS scratch.
   Returns 0, or -1 with why set when the block points outside the arena. */
static int copy_reset_block(reader *r, pmv_series *s, const unsigned char *rec, uint64_t rec_off,
                            uint64_t *buf, char *why, size_t len)
{
    const unsigned char *seqp = rec + offsetof(pm_shm_series, reset_seq);
    uint32_t seq = load32_acq(seqp);
    for (int tries = 0; (seq & 1u) && tries < PMV_SEQ_RETRIES_LIVE; tries++) {
        if (tries >= 8) sched_yield();
        seq = load32_acq(seqp);
    }
    if (seq < 2u || s->kind == PM_SHM_KIND_GAUGE) return 0;
    s->resets = seq / 2u;
    s->reset_ns = load64(rec + offsetof(pm_shm_series, reset_realtime_ns));
    s->base_count = load64(rec + offsetof(pm_shm_series, base_count));
    s->base_sum = load64(rec + offsetof(pm_shm_series, base_sum));
    s->base_errors = load64(rec + offsetof(pm_shm_series, base_errors));
    s->base_slow = load64(rec + offsetof(pm_shm_series, base_slow));
    if (s->kind == PM_SHM_KIND_COUNTER) return 0;
    uint64_t off = load64(rec + offsetof(pm_shm_series, base_hist_off));
    if (off == 0 || off == PM_SHM_HIST_NONE || !hist_off_valid(r, off)) {
        seterr(why, len, "reset %u: base_hist_off %llu is not a histogram of the arena in use",
               (unsigned)s->resets, (unsigned long long)off);
        return -1;
    }
    if (!claim_hist(r, off, rec_off)) {   /* the record's offset is no cell's: its own owner key */
        seterr(why, len, "reset %u: base_hist_off %llu overlaps a cell's histogram",
               (unsigned)s->resets, (unsigned long long)off);
        return -1;
    }
    load_buckets(r, off, 0, PM_SHM_HIST_BUCKETS - 1u, buf);
    for (uint32_t b = 0; b < PM_SHM_HIST_BUCKETS; b++) {
        if (!buf[b]) continue;
        pmv_bin bin = { b, buf[b] };
        arrput(s->base_bins, bin);
    }
    return 0;
}

/* Reads series record i into snap->series if it is valid and READY. */
static void copy_series(reader *r, pmv_snapshot *snap, uint32_t i, const unsigned char *rec, uint64_t *buf)
{
    uint32_t state = load32_acq(rec + offsetof(pm_shm_series, state));
    if (state == PM_SHM_SERIES_FREE || state == PM_SHM_SERIES_CLAIMED) {
        snap->series_pending++;
        return;
    }
    if (state != PM_SHM_SERIES_READY) {
        note_damage(snap, i, "unknown state %u", (unsigned)state);
        return;
    }
    pm_shm_series rs;
    memcpy(&rs, rec, sizeof rs);
    const char *nul = memchr(rs.name, '\0', sizeof rs.name);
    if (!nul) { note_damage(snap, i, "name not NUL-terminated"); return; }
    if ((size_t)(nul - rs.name) != rs.name_len) {
        note_damage(snap, i, "name_len %u but the name is %zu bytes",
                    (unsigned)rs.name_len, (size_t)(nul - rs.name));
        return;
    }
    if (rs.name_len == 0) { note_damage(snap, i, "empty name"); return; }
    if (rs.kind < PM_SHM_KIND_COUNTER || rs.kind > PM_SHM_KIND_DISTRIBUTION) {
        note_damage(snap, i, "unknown kind %u", (unsigned)rs.kind);
        return;
    }
    if (rs.unit > PM_SHM_UNIT_BYTES) {
        note_damage(snap, i, "unknown unit %u", (unsigned)rs.unit);
        return;
    }
    pmv_series blank = { 0 };
    arrput(snap->series, blank);
    pmv_series *s = &arrlast(snap->series);
    s->index = i;
    s->kind = rs.kind;
    s->unit = rs.unit;
    s->slow_ns = load64(rec + offsetof(pm_shm_series, slow_ns));
    s->gauge = (int64_t)load64(rec + offsetof(pm_shm_series, gauge));
    s->name = strdup(rs.name);
    if (!s->name) abort();
    pmv_labels_parse(s->name, &s->base, &s->labels, &s->labels_raw);
    char why[160];
    if (copy_reset_block(r, s, rec, r->h->series_off + (uint64_t)i * PM_SHM_SERIES_SIZE, buf, why, sizeof why)) {
        note_damage(snap, i, "%s", why);
        pmv_series_free(s);
        arrsetlen(snap->series, arrlen(snap->series) - 1);
    }
}

/* The working memory of one snapshot, freed whether it ends or jumps out. */
typedef struct scratch {
    uint64_t *dense;    /* the sum, then one cell's copy */
    uint32_t *pos;      /* series record -> 1 + place in snap->series */
    cell_marks marks;   /* scan_cells' first pass, for its second */
    uint32_t *order;    /* rows of the cells to read, grouped by series */
    uint32_t *first;    /* series place -> its first entry in order */
    uint8_t *damaged;   /* series place -> 1 if skipped */
} scratch;

static void scratch_free(scratch *w, reader *r)
{
    free(w->dense);
    free(w->pos);
    free(w->marks.bits);
    free(w->marks.span);
    free(w->order);
    free(w->first);
    free(w->damaged);
    free(r->claims.v);
    memset(&r->claims, 0, sizeof r->claims);
    memset(w, 0, sizeof *w);
}

/* Drops the series marked damaged, keeping the order of the rest. */
static void drop_damaged(pmv_snapshot *snap, const uint8_t *damaged)
{
    ptrdiff_t keep = 0, n = arrlen(snap->series);
    for (ptrdiff_t i = 0; i < n; i++) {
        if (damaged[i]) { pmv_series_free(&snap->series[i]); continue; }
        snap->series[keep++] = snap->series[i];
    }
    arrsetlen(snap->series, keep);
}

/* The part that touches the mapping; runs under the SIGBUS guard. Every
   allocation is reachable from snap or w at every moment, so a jump out of
   here leaks nothing once the caller frees both. */
static int copy_segment(reader *r, pmv_snapshot *snap, scratch *w)
{
    const unsigned char *map = r->map;
    const pm_shm_header *hp = r->h;
    const pm_shm_header h = *hp;
    char why[192];
    snap->pid = h.pid;
    snap->uid = h.uid;
    memcpy(snap->process, h.process_name, sizeof snap->process);
    memcpy(snap->cmdline, h.cmdline, sizeof snap->cmdline);
    snap->state = h.state;
    snap->start_realtime_ns = h.start_realtime_ns;
    snap->start_monotonic_ns = h.start_monotonic_ns;
    snap->end_realtime_ns = h.end_realtime_ns;
    snap->clock_kind = h.clock_kind;
    snap->ns_per_tick = h.ns_per_tick;
    snap->default_slow_ns = h.default_slow_ns;
    snap->max_series = h.max_series;
    snap->max_threads = h.max_threads;
    snap->arena_size = h.arena_size;
    snap->arena_used = r->arena_used_seen;
    snap->total_size = h.total_size;
    snap->series_count = h.series_count;
    snap->threads_used = h.threads_used;
    snap->dropped = h.dropped;
    snap->dropped_series_full = h.dropped_series_full;
    snap->dropped_threads_full = h.dropped_threads_full;
    snap->dropped_bad_name = h.dropped_bad_name;
    snap->dropped_kind_mismatch = h.dropped_kind_mismatch;
    snap->dropped_no_memory = h.dropped_no_memory;
    snap->dropped_hist = h.dropped_hist;
    snap->dropped_unit_mismatch = h.dropped_unit_mismatch;
    snap->dropped_negative = h.dropped_negative;
    snap->flags = h.flags;
    snap->parent_pid = h.parent_pid;
    snap->writers = h.writers;
    snap->heartbeat_realtime_ns = h.heartbeat_realtime_ns;
    snap->heartbeat_interval_ns = h.heartbeat_interval_ns;
    snap->pid_ns_dev = h.pid_ns_dev;
    snap->pid_ns_ino = h.pid_ns_ino;
    snap->proc_start_ticks = h.proc_start_ticks;
    snap->overflow_threads = h.overflow_threads;
    snap->end_how = h.end_how;
    snap->end_code = h.end_code;
    if (snap->end_how > PM_SHM_END_UNSEEN) snap->end_how = PM_SHM_END_UNKNOWN;
    memcpy(snap->config_errors, h.config_errors, sizeof snap->config_errors);
    snap->config_errors[sizeof snap->config_errors - 1] = '\0';
    if (pmv_extents_covers(r->data, 0, PM_SHM_HEADER_SIZE)) copy_drop_log(map, snap);

    for (uint32_t t = 0; t < h.threads_used; t++) {
        uint64_t off = h.threads_off + (uint64_t)t * PM_SHM_THREAD_SIZE;
        if (!pmv_extents_covers(r->data, off, PM_SHM_THREAD_SIZE)) continue;   /* a hole: UNUSED */
        if (load32_acq(map + off + offsetof(pm_shm_thread, state)) == PM_SHM_THREAD_ACTIVE) snap->threads_active++;
    }

    /* series records: a run of them in a hole is FREE, skipped whole */
    w->pos = calloc((size_t)h.series_count + 1u, sizeof *w->pos);
    if (!w->pos) abort();
    for (uint32_t i = 0; i < h.series_count;) {
        pm_shm_series buf;
        const unsigned char *rec = series_record(r, i, &buf);
        if (!rec) {
            uint64_t off = h.series_off + (uint64_t)i * PM_SHM_SERIES_SIZE;
            uint64_t next = pmv_extents_next_data(r->data, off);
            uint64_t j = next == UINT64_MAX ? h.series_count : (next - h.series_off) / PM_SHM_SERIES_SIZE;
            if (j <= i) j = i + 1u;
            if (j > h.series_count) j = h.series_count;
            snap->series_pending += (uint32_t)(j - i);
            i = (uint32_t)j;
            continue;
        }
        ptrdiff_t before = arrlen(snap->series);
        copy_series(r, snap, i, rec, w->dense + PM_SHM_HIST_BUCKETS);
        if (arrlen(snap->series) > before) w->pos[i] = (uint32_t)arrlen(snap->series);
        i++;
    }

    /* cells: counters summed, the rest listed, then grouped by series */
    size_t ns = (size_t)arrlen(snap->series);
    size_t nrows = (size_t)h.threads_used + 1u;   /* first_row..next_row visits at most these */
    w->first = calloc(ns + 1u, sizeof *w->first);
    w->marks.span = malloc(2 * nrows * sizeof *w->marks.span);
    w->damaged = calloc(ns ? ns : 1u, 1);
    if (!w->first || !w->marks.span || !w->damaged) abort();
    scan_cells(r, snap, w->pos, &w->marks, 0, w->first, NULL, NULL);
    for (size_t i = 0; i < ns; i++) {   /* counters since their last reset */
        pmv_series *s = &snap->series[i];
        if (s->kind != PM_SHM_KIND_COUNTER || !s->resets) continue;
        if (s->base_count > s->count) s->base_count = s->count;   /* damaged: never below zero */
        s->count -= s->base_count;
    }
    for (size_t i = 0; i < ns; i++) w->first[i + 1] += w->first[i];
    size_t nlisted = w->first[ns];
    w->order = malloc((nlisted ? nlisted : 1u) * sizeof *w->order);
    if (!w->order) abort();
    if (nlisted) {
        scan_cells(r, snap, w->pos, &w->marks, 1, NULL, w->first, w->order);
        for (size_t i = ns; i > 0; i--) w->first[i] = w->first[i - 1];
        w->first[0] = 0;
    }

    for (size_t i = 0; i < ns; i++) {
        pmv_series *s = &snap->series[i];
        if (s->kind != PM_SHM_KIND_TIMER && s->kind != PM_SHM_KIND_DISTRIBUTION) continue;
        if (sum_cells(r, s, w->order + w->first[i], w->first[i + 1] - w->first[i], w->dense,
                      w->dense + PM_SHM_HIST_BUCKETS, snap->torn_cells, why, sizeof why) != 0) {
            note_damage(snap, s->index, "%s", why);
            w->damaged[i] = 1;
            memset(w->dense, 0, PM_SHM_HIST_BUCKETS * sizeof *w->dense);
            continue;
        }
        snap->torn_cells += s->torn_cells;
    }
    drop_damaged(snap, w->damaged);
    return PMV_OK;
}

/* The header, read with pread() (no page of a hole is allocated for it)
   and validated. Returns PMV_OK or an error with err set. */
static int read_header(const pmv_segment *seg, uint64_t size, pm_shm_header *h, char *err, size_t errlen)
{
    char why[192];
    ssize_t got = pread(seg->fd, h, sizeof *h, 0);
    if (got < 0) {
        seterr(err, errlen, "%s: read: %s", seg->path, strerror(errno));
        return PMV_EIO;
    }
    if ((size_t)got < sizeof *h) {
        seterr(err, errlen, "segment damaged: the file shrank to %lld bytes before its header could be read",
               (long long)got);
        return PMV_EDAMAGED;
    }
    if (header_error(h, size, why, sizeof why)) {
        seterr(err, errlen, "segment damaged: %s", why);
        return PMV_EDAMAGED;
    }
    if (h->state == PM_SHM_STATE_INIT) {
        seterr(err, errlen, "segment is still being created (state INIT); try again");
        return PMV_EINIT;
    }
    return PMV_OK;
}

/* After a SIGBUS: what really happened, in one line. */
static void sigbus_error(const pmv_segment *seg, const void *map, uint64_t maplen, uint64_t size,
                         char *err, size_t errlen)
{
    struct stat now;
    uint64_t at = (uint64_t)((const char *)guard_addr - (const char *)map);
    int known = guard_addr && (const char *)guard_addr >= (const char *)map && at < maplen;
    if (fstat(seg->fd, &now) == 0 && (uint64_t)now.st_size < size)
        seterr(err, errlen, "segment damaged: the file shrank while being read (%s): %llu of %llu bytes left",
               guard_short ? "short read" : "SIGBUS",
               (unsigned long long)now.st_size, (unsigned long long)size);
    else if (known)
        seterr(err, errlen, "segment unreadable: no memory for the page at offset %llu (SIGBUS; the file did not shrink: is its file system full?)",
               (unsigned long long)at);
    else
        seterr(err, errlen, "segment unreadable: SIGBUS while reading it (the file did not shrink)");
}

int pmv_segment_snapshot(const pmv_segment *seg, pmv_snapshot *snap, char *err, size_t errlen)
{
    memset(snap, 0, sizeof *snap);
    snprintf(snap->path, sizeof snap->path, "%s", seg->path);
    snap->file_uid = (uint32_t)seg->st.st_uid;
    uint64_t size = (uint64_t)seg->st.st_size;
    if (size > SIZE_MAX) {
        seterr(err, errlen, "segment damaged: %s is too large to map", seg->path);
        return PMV_EDAMAGED;
    }
    pm_shm_header h;
    int rc = read_header(seg, size, &h, err, errlen);
    if (rc != PMV_OK) return rc;
    /* after the header: what its counts cover was allocated before they were
       published. Up to the arena only: histograms are read with pread(). */
    uint64_t maplen = h.arena_off;   /* validated: header size <= arena_off <= total_size = size */
    pmv_extents data;
    if (pmv_extents_scan(seg->fd, maplen, &data) != 0) {
        seterr(err, errlen, "%s: lseek(SEEK_DATA): %s", seg->path, strerror(errno));
        return PMV_EIO;
    }
    void *map = mmap(NULL, (size_t)maplen, PROT_READ, MAP_SHARED, seg->fd, 0);
    if (map == MAP_FAILED) {
        seterr(err, errlen, "%s: mmap: %s", seg->path, strerror(errno));
        pmv_extents_free(&data);
        return PMV_EIO;
    }
    reader r = { map, &h, &data, seg->fd, h.arena_used, { NULL, 0, 0 } };
    scratch w = { 0 };
    w.dense = calloc(2 * PM_SHM_HIST_BUCKETS, sizeof *w.dense);
    if (!w.dense) abort();

    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &old);

    /* test hook: lets the test suite truncate the file while we hold the
       mapping, to exercise the SIGBUS path deterministically */
    const char *pause_ms = getenv("PERFMON_VIEW_TEST_PAUSE_MS");
    if (pause_ms) {
        struct timespec ts = { 0, 0 };
        long ms = atol(pause_ms);
        ts.tv_sec = ms / 1000;
        ts.tv_nsec = (ms % 1000) * 1000000L;
        nanosleep(&ts, NULL);
    }

    guard_short = 0;
    if (sigsetjmp(guard_jmp, 1) == 0) {
        guard_active = 1;
        rc = copy_segment(&r, snap, &w);
        guard_active = 0;
    } else {
        pmv_snapshot_free(snap);
        snprintf(snap->path, sizeof snap->path, "%s", seg->path);
        sigbus_error(seg, map, maplen, size, err, errlen);
        rc = PMV_EDAMAGED;
    }
    sigaction(SIGBUS, &old, NULL);
    scratch_free(&w, &r);
    pmv_extents_free(&data);
    munmap(map, (size_t)maplen);
    if (rc != PMV_OK) {
        pmv_snapshot_free(snap);
        return rc;
    }
    /* after the copy: a writer that exits meanwhile wrote its last values */
    int alive = pmv_segment_alive(seg);
    if (alive < 0) {
        seterr(err, errlen, "%s: flock: %s", seg->path, strerror(errno));
        pmv_snapshot_free(snap);
        return PMV_EIO;
    }
    snap->alive = alive;
    return PMV_OK;
}

void pmv_snapshot_free(pmv_snapshot *snap)
{
    for (ptrdiff_t i = 0; i < arrlen(snap->series); i++) pmv_series_free(&snap->series[i]);
    arrfree(snap->series);
    memset(snap, 0, sizeof *snap);
}

static int cmp_series(const void *a, const void *b)
{
    const pmv_series *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

void pmv_snapshot_sort_by_name(pmv_snapshot *snap)
{
    if (arrlen(snap->series) > 1)
        qsort(snap->series, (size_t)arrlen(snap->series), sizeof *snap->series, cmp_series);
}

const char *pmv_snapshot_status(const pmv_snapshot *snap)
{
    /* EXITED wins over the lock: after pm_shutdown() the numbers are final
       even if the process lingers (or is still closing its descriptor) */
    if (snap->state == PM_SHM_STATE_EXITED) return "exited";
    if (snap->alive) return "alive";
    if (snap->execed || (snap->flags & PM_SHM_FLAG_EXECED)) return "exec'd";
    /* a fork child that ended with _exit(), its status reaped by the program */
    return snap->end_how == PM_SHM_END_UNSEEN ? "ended" : "crashed";
}

uint64_t pmv_snapshot_last_seen_ns(const pmv_snapshot *snap)
{
    if (snap->alive || snap->state == PM_SHM_STATE_EXITED) return 0;
    return snap->heartbeat_realtime_ns > snap->start_realtime_ns ? snap->heartbeat_realtime_ns : 0;
}

uint64_t pmv_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t pmv_snapshot_uptime_ns(const pmv_snapshot *snap)
{
    uint64_t end = pmv_realtime_ns();
    if (snap->state == PM_SHM_STATE_EXITED && snap->end_realtime_ns)
        end = snap->end_realtime_ns;
    else if (pmv_snapshot_last_seen_ns(snap))
        end = pmv_snapshot_last_seen_ns(snap);   /* a crash leaves no end time: its last heartbeat */
    return end > snap->start_realtime_ns ? end - snap->start_realtime_ns : 0;
}

uint64_t pmv_snapshot_age_ns(const pmv_snapshot *snap)
{
    uint64_t now = pmv_realtime_ns();
    return now > snap->start_realtime_ns ? now - snap->start_realtime_ns : 0;
}

int pmv_series_unit(const pmv_series *s)
{
    return s->kind == PM_SHM_KIND_TIMER ? PM_SHM_UNIT_NANOSECONDS : s->unit;
}

const char *pmv_kind_str(int kind)
{
    switch (kind) {
    case PM_SHM_KIND_COUNTER: return "counter";
    case PM_SHM_KIND_GAUGE: return "gauge";
    case PM_SHM_KIND_TIMER: return "timer";
    case PM_SHM_KIND_DISTRIBUTION: return "distribution";
    default: return "?";
    }
}

const char *pmv_unit_str(int unit)
{
    switch (unit) {
    case PM_SHM_UNIT_NANOSECONDS: return "ns";
    case PM_SHM_UNIT_BYTES: return "bytes";
    default: return "";
    }
}
