/* extents.c - the data ranges of a file, from lseek(SEEK_DATA / SEEK_HOLE) */
#include "read/extents.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void add(pmv_extents *e, uint64_t start, uint64_t end)
{
    if (e->n && e->v[e->n - 1].end >= start) {   /* touching: one range */
        if (end > e->v[e->n - 1].end) e->v[e->n - 1].end = end;
        return;
    }
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 8;
        e->v = realloc(e->v, e->cap * sizeof *e->v);
        if (!e->v) abort();
    }
    e->v[e->n].start = start;
    e->v[e->n].end = end;
    e->n++;
}

int pmv_extents_scan(int fd, uint64_t size, pmv_extents *e)
{
    memset(e, 0, sizeof *e);
    uint64_t off = 0;
    while (off < size) {
        off_t d = lseek(fd, (off_t)off, SEEK_DATA);
        if (d < 0) {
            if (errno == ENXIO) break;             /* nothing but holes from off on */
            if (errno == EINVAL && off == 0) {     /* no hole support: all data */
                add(e, 0, size);
                break;
            }
            pmv_extents_free(e);
            return -1;
        }
        off_t hole = lseek(fd, d, SEEK_HOLE);
        if (hole < 0) {
            if (errno == ENXIO) break;             /* the file shrank meanwhile */
            pmv_extents_free(e);
            return -1;
        }
        uint64_t end = (uint64_t)hole < size ? (uint64_t)hole : size;
        if ((uint64_t)d >= end) break;
        add(e, (uint64_t)d, end);
        off = end;
    }
    return 0;
}

size_t pmv_extents_find(const pmv_extents *e, uint64_t off)
{
    size_t lo = 0, hi = e->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->v[mid].end <= off) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int pmv_extents_covers(const pmv_extents *e, uint64_t off, uint64_t len)
{
    size_t i = pmv_extents_find(e, off);
    return i < e->n && e->v[i].start <= off && off + len <= e->v[i].end;
}

uint64_t pmv_extents_next_data(const pmv_extents *e, uint64_t off)
{
    size_t i = pmv_extents_find(e, off);
    if (i == e->n) return UINT64_MAX;
    return e->v[i].start > off ? e->v[i].start : off;
}

void pmv_extents_free(pmv_extents *e)
{
    free(e->v);
    memset(e, 0, sizeof *e);
}
