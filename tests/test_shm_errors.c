/* test_shm_errors.c - /dev/shm full or denied, for real: each test runs in
   a private mount namespace (unshare(CLONE_NEWNS), root only) over its own
   small tmpfs on /dev/shm. pm_init returns a clear pm_result, the macros
   become no-ops, nothing is left behind, the program runs on; space that
   runs out later drops records and counts them, never SIGBUS. Skipped
   (a "skip - " line) when not root or unshare/mount fail. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>

#include "harness.h"
#include "segread.h"

/* /dev/shm becomes a fresh tmpfs with these options in a namespace of our
   own, or the test ends as skipped, saying why. */
static void private_shm(const char *opts, unsigned long flags)
{
    const char *why = NULL;
    if (geteuid() != 0) why = "not root";
    else if (unshare(CLONE_NEWNS) != 0) why = "unshare(CLONE_NEWNS) failed";
    else if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0) why = "cannot make / private";
    else if (mount("tmpfs", "/dev/shm", "tmpfs", flags, opts) != 0) why = "cannot mount a tmpfs on /dev/shm";
    if (why) SKIP("%s (%s)", why, strerror(errno));
}

static int shm_entries(void)
{
    DIR *d = opendir("/dev/shm");
    int n = 0;
    struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* After a failed init every entry point is a harmless no-op. */
static void check_no_ops(pm_result want)
{
    uint64_t sum = 0;
    for (int i = 0; i < 1000; i++) {
        PM_COUNT("c", 1);
        PM_RECORD("d", i);
        PM_GAUGE_SET("g", i);
        { PM_SCOPE("t"); sum += (uint64_t)i; }
        pm_count("c2", 1);
        pm_record_duration("t2", 5, 1);
    }
    CHECK_EQ_U64(sum, 499500);                     /* the program's own work is intact */
    CHECK(pm_lookup("c", PM_KIND_COUNTER, PM_UNIT_NONE) != 0);   /* never 0: 0 means "not looked up" */
    CHECK_STR(pm_segment_path(), "");
    CHECK_EQ_I64(pm_init(NULL), want);             /* the reason stays available */
    CHECK_EQ_I64(shm_entries(), 0);                /* nothing left behind */
}

/* 64 KiB of /dev/shm cannot hold the default segment's fixed part. */
static void test_no_space_init(void)
{
    private_shm("size=64k", 0);
    pm_result r = pm_init(NULL);
    CHECK_EQ_I64(r, PM_ERR_NO_SPACE);
    CHECK(strstr(pm_result_str(r), "no space") != NULL);
    check_no_ops(PM_ERR_NO_SPACE);
}

/* The same through lazy initialisation (no pm_init call at all). */
static void test_no_space_lazy(void)
{
    private_shm("size=64k", 0);
    check_no_ops(PM_ERR_NO_SPACE);
}

/* A read-only /dev/shm: no segment can be created. */
static void test_read_only(void)
{
    private_shm("size=1m", MS_RDONLY);
    pm_result r = pm_init(NULL);
    /* a read-only /dev/shm is a permission problem, not a broken system */
    CHECK_MSG(r == PM_ERR_PERMISSION, "pm_init: %d (%s)", (int)r, pm_result_str(r));
    check_no_ops(r);
}

/* /dev/shm that is not ours to write (mode 0755, owned by root; we run as
   nobody): PM_ERR_PERMISSION. */
static void test_permission_denied(void)
{
    private_shm("size=1m,mode=0755", 0);
    CHECK(setgroups(0, NULL) == 0);
    CHECK(setresgid(65534, 65534, 65534) == 0);
    CHECK(setresuid(65534, 65534, 65534) == 0);
    pm_result r = pm_init(NULL);
    CHECK_EQ_I64(r, PM_ERR_PERMISSION);
    check_no_ops(PM_ERR_PERMISSION);
}

/* Fills the file system: writes pages to `path` until ENOSPC. */
static int fill(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    static char page[4096];
    CHECK(fd >= 0);
    while (write(fd, page, sizeof page) == (ssize_t)sizeof page) {}
    return fd;
}

/* Space that runs out after pm_init: a thread's cells, then a histogram,
   cannot be had. The thread records through the shared slot (committed at
   start-up), so no count is lost; records without a histogram are counted
   (dropped_hist); never a SIGBUS; once room returns, histograms resume. */
static void test_space_runs_out_later(void)
{
    private_shm("size=256k", 0);
    pm_config cfg = { 0 };
    cfg.max_series = 64;   /* a thread's row of cells: 64 x 64 B = one page */
    cfg.max_threads = 4;
    cfg.hist_mb = 1;
    CHECK_EQ_I64(pm_init(&cfg), PM_OK);
    int fd = fill("/dev/shm/filler");
    for (int i = 0; i < 10; i++) PM_COUNT("c", 1);     /* no room for this thread's cells */
    sr_seg s;
    CHECK(sr_open_path(&s, pm_segment_path()) == 0);
    CHECK_EQ_U64(sr_counter(&s, "c"), 10);              /* through the shared slot */
    CHECK_EQ_U64(s.h->overflow_threads, 1);
    CHECK_EQ_U64(s.h->dropped, 0);
    CHECK_EQ_U64(sr_threads_used(&s), 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    CHECK(ftruncate(fd, st.st_size - 2 * 4096) == 0);  /* two pages back: cells fit, a histogram not */
    for (int i = 0; i < 10; i++) PM_COUNT("c", 1);
    for (int i = 0; i < 5; i++) PM_RECORD("d", 7);
    CHECK_EQ_U64(sr_counter(&s, "c"), 20);
    static sr_stat d;
    sr_timer(&s, "d", &d);
    CHECK_EQ_U64(d.count, 5);
    CHECK_EQ_U64(d.sum, 35);
    CHECK_EQ_U64(d.hist_total, 0);
    CHECK_EQ_U64(s.h->dropped_hist, 5);
    CHECK_EQ_U64(s.h->dropped, 0);
    close(fd);
    unlink("/dev/shm/filler");                         /* room again: a new cell gets its histogram */
    for (int i = 0; i < 5; i++) PM_RECORD("e", 9);
    sr_timer(&s, "e", &d);
    CHECK_EQ_U64(d.count, 5);
    CHECK_EQ_U64(d.hist_total, 5);
    sr_close(&s);
}

int main(void)
{
    RUN(test_no_space_init);
    RUN(test_no_space_lazy);
    RUN(test_read_only);
    RUN(test_permission_denied);
    RUN(test_space_runs_out_later);
    return harness_done();
}
