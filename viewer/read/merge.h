/* merge.h - one process's segments read as one: copies of perfmon

   A shared library and the executable that each define
   PERFMON_IMPLEMENTATION write a segment each (the second at a fallback
   name). A reader adds them up: series of the same name and kind are
   summed (gauges too: each copy holds its own part), the others are
   appended, numbered past the first segment's records so that windows
   between two snapshots still pair them. */
#ifndef PMV_MERGE_H
#define PMV_MERGE_H

#include "read/segment.h"

/* At most this many segments are read as one (bounds the record numbers,
   and so the memory of a window, whatever the files say). */
#define PMV_MERGE_MAX 4u

/* Adds src into dst; src is left empty (free it as usual). */
void pmv_snapshot_merge(pmv_snapshot *dst, pmv_snapshot *src);

#endif
