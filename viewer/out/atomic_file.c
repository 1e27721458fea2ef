/* atomic_file.c - write a fresh temporary file beside PATH, then rename it
   onto PATH */
#include "out/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *pmv_atomic_open(pmv_atomic_file *af, const char *path, char *err, size_t errlen)
{
    size_t n = strlen(path) + 8;
    af->path = path;
    af->tmp = malloc(n);
    if (!af->tmp) abort();
    snprintf(af->tmp, n, "%s.XXXXXX", path);
    /* a name nobody has yet, created exclusively (0600): a file or symlink
       planted at a name we could guess is never reused */
    int fd = mkostemp(af->tmp, O_CLOEXEC);
    if (fd >= 0) {
        mode_t um = umask(0);  /* the mode an ordinary create would give */
        umask(um);
        (void)fchmod(fd, 0666 & ~um);  /* failing leaves 0600: still ours alone */
    }
    af->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!af->f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
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

int pmv_atomic_check(const char *path, char *err, size_t errlen)
{
    struct stat st;
    /* rename() onto a directory fails only at the end: say so now */
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: %s", path, strerror(EISDIR));
        return -1;
    }
    pmv_atomic_file af;
    if (!pmv_atomic_open(&af, path, err, errlen)) return -1;
    fclose(af.f);
    unlink(af.tmp);
    free(af.tmp);
    return 0;
}
