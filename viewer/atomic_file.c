/* atomic_file.c - write PATH.tmp, then rename it onto PATH */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

FILE *pmv_atomic_open(pmv_atomic_file *af, const char *path, char *err, size_t errlen)
{
    size_t n = strlen(path) + 5;
    af->path = path;
    af->tmp = malloc(n);
    if (!af->tmp) abort();
    snprintf(af->tmp, n, "%s.tmp", path);
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    af->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!af->f) {
        snprintf(err, errlen, "%s: %s", af->tmp, strerror(errno));
        if (fd >= 0) { close(fd); unlink(af->tmp); }
        free(af->tmp);
        af->tmp = NULL;
    }
    return af->f;
}

int pmv_atomic_commit(pmv_atomic_file *af, char *err, size_t errlen)
{
    /* fsync before rename: after a crash PATH holds the old or the new
       content, not an empty file */
    int bad = fflush(af->f) != 0 || ferror(af->f) || fsync(fileno(af->f)) != 0;
    int e = errno;
    if (fclose(af->f) != 0 && !bad) { bad = 1; e = errno; }
    if (!bad && rename(af->tmp, af->path) != 0) { bad = 1; e = errno; }
    if (bad) {
        snprintf(err, errlen, "writing %s: %s", af->path, strerror(e));
        unlink(af->tmp);
    }
    free(af->tmp);
    af->tmp = NULL;
    af->f = NULL;
    return bad ? -1 : 0;
}
