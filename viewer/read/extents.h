/* extents.h - which byte ranges of a file hold data (SEEK_DATA / SEEK_HOLE)

   A hole in a file on tmpfs reads as zeros, but a read fault on it through a
   shared mapping allocates a page, and the page stays: a sparse hostile
   segment of a few GiB would make the reader fill /dev/shm. The reader asks
   this map first and touches only ranges that hold data. */
#ifndef PMV_EXTENTS_H
#define PMV_EXTENTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct pmv_extent {
    uint64_t start, end;   /* [start, end) holds data */
} pmv_extent;

typedef struct pmv_extents {
    pmv_extent *v;         /* sorted, disjoint, not adjacent */
    size_t n, cap;
} pmv_extents;

/* Fills e with the data ranges of fd's first `size` bytes. A file system
   that cannot tell holes from data counts as all data. Memory is one entry
   per data range, so it grows with what is allocated, never with size.
   Returns 0, or -1 with errno set (e is then empty). */
int pmv_extents_scan(int fd, uint64_t size, pmv_extents *e);

/* Index of the first range that ends after off (e->n if none). */
size_t pmv_extents_find(const pmv_extents *e, uint64_t off);

/* 1 if [off, off + len) lies wholly in one data range. */
int pmv_extents_covers(const pmv_extents *e, uint64_t off, uint64_t len);

/* The first offset >= off that holds data, or UINT64_MAX. */
uint64_t pmv_extents_next_data(const pmv_extents *e, uint64_t off);

void pmv_extents_free(pmv_extents *e);

#endif
