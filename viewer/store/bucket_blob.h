/* bucket_blob.h - a histogram's non-empty buckets as a compact BLOB

   The history keeps each interval's bucket deltas in one BLOB column:
   pairs of unsigned LEB128 varints (index minus the previous index, then
   the bucket's count), indexes ascending. 10 buckets take ~30 bytes. The
   format is part of the documented schema (README "History"). */
#ifndef PMV_BUCKET_BLOB_H
#define PMV_BUCKET_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "base/hist.h"

/* Encodes bins (sorted by index) into an stb_ds byte array (*out is
   replaced; free with arrfree). */
void pmv_blob_encode(const pmv_bin *bins, ptrdiff_t n, uint8_t **out);

/* Adds the buckets a BLOB holds to *bins (an stb_ds array kept sorted by
   index, merging equal indexes) and their counts to *total. Returns 0, or
   -1 for a malformed BLOB (nothing added): a database is input too. */
int pmv_blob_merge(const void *blob, size_t len, pmv_bin **bins, uint64_t *total);

#endif
