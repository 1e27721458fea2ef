/* find.h - which segment file(s) of a pid a reader means

   pmv_snapshot_pid() (segment.h) reads them all: the current image's
   segment, with any other copies of perfmon in the same process merged in;
   other files of the pid (the image before an exec(), a refused planted
   file) are named in a note on stderr. */
#ifndef PMV_FIND_H
#define PMV_FIND_H

#include <sys/types.h>

#include "read/segment.h"

/* Opens the file of the pid's current segment, as pmv_snapshot_pid()
   chooses it (for following one segment over time). */
int pmv_segment_open_pid(uint32_t pid, pmv_segment *seg, char *err, size_t errlen);

/* pmv_snapshot_pid() for a command we started: only files owned by uid
   whose writer started at start_ticks (/proc field 22; 0: not checked)
   count, the rest are named in a note and ignored (a file another user
   planted at the pid). remove: unlink the files that were read. */
int pmv_snapshot_child(uint32_t pid, uid_t uid, uint64_t start_ticks, int remove, pmv_snapshot *snap,
                       char *err, size_t errlen);

/* Works out from /proc what the header cannot say: whether the writer's
   pid is in another pid namespace, whether /proc/<pid> is the writer, and
   whether a dead segment's process lives on after exec(). Call after each
   snapshot. */
void pmv_snapshot_classify(pmv_snapshot *snap);

/* The pids that have a segment file (perfmon.P or a fallback name) in
   the segment directory, each once, ascending: an stb_ds array (NULL when
   the directory cannot be read). */
uint32_t *pmv_segment_pids(void);

#endif
