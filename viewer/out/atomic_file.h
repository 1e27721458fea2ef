/* atomic_file.h - writing a file so that its readers see the old or the
   new content, never half of it: write a fresh PATH.XXXXXX (mkstemp),
   then rename it onto PATH */
#ifndef PMV_ATOMIC_FILE_H
#define PMV_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct pmv_atomic_file {
    FILE *f;            /* write here between open and commit */
    char *tmp;          /* PATH.XXXXXX, malloc'd */
    const char *path;   /* the caller's; must outlive the commit */
} pmv_atomic_file;

/* Creates a new PATH.XXXXXX exclusively (mkstemp: never a file or symlink
   someone planted, which a fixed PATH.tmp could be; O_CLOEXEC: not
   inherited by a gated command), with the mode an ordinary create would
   give. Returns the FILE to write, or NULL with err "PATH: reason".
   Thread safety: reentrant; one pmv_atomic_file per thread. */
FILE *pmv_atomic_open(pmv_atomic_file *af, const char *path, char *err, size_t errlen);

/* Flushes, fsyncs and closes the file, then renames it onto PATH. Returns 0,
   or -1 with err set to "writing PATH: reason" and the temporary removed (PATH is
   left as it was). Either way af is finished. */
int pmv_atomic_commit(pmv_atomic_file *af, char *err, size_t errlen);

/* Whether PATH could be written at all, before any work is done for it:
   PATH is not a directory and a PATH.XXXXXX can be created beside it
   (created and removed at once). Returns 0, or -1 with err "PATH: reason".
   Thread safety: reentrant. */
int pmv_atomic_check(const char *path, char *err, size_t errlen);

#endif
