/* memory.c - segment size and memory actually committed, by shape.

   A forked child creates a segment with S series x T thread slots, and T
   threads (all alive at once, so each has its own slot) record into every
   series: counters, or distributions in ns (a histogram per cell, as
   timers have) with 200 values each spread over 1 us .. 10 ms (a histogram
   in use touches a few of its 5.4 pages). Reported:
     size       the file's length (virtual: tmpfs commits nothing for holes)
     committed  st_blocks x 512 of the file: tmpfs pages allocated
     Rss        of the writer's mapping (/proc/self/smaps): pages it touched
   against the data floor, S x T x (64-byte cell [+ 21.5 KiB histogram]).
   Memory is deterministic: one run per shape, no repetitions. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"
#include "bench.h"

#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct { uint32_t series, threads; int timers; } shape;
typedef struct { uint64_t size, committed, rss, dropped; } result;

static shape cur;
static pm_id *ids;
static pthread_barrier_t all_done;

static void *fill(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg * 2654435761u + 1;
    for (uint32_t i = 0; i < cur.series; i++) {
        if (!cur.timers) { pm_count_id(ids[i], 1); continue; }
        for (int k = 0; k < 200; k++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            /* log-uniform over 1 us .. 10 ms: 2^10 .. 2^23 ns */
            uint64_t e = 10 + (x >> 60) % 14, v = (1ull << e) + ((x >> 20) & ((1ull << e) - 1));
            pm_record_id(ids[i], (int64_t)v);
        }
    }
    pthread_barrier_wait(&all_done);
    return NULL;
}

static uint64_t smaps_rss(const char *path)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    int in = 0;
    uint64_t rss = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        if (strchr(line, '-') && strstr(line, " /") ) in = strstr(line, path) != NULL;
        else if (in && strncmp(line, "Rss:", 4) == 0) rss += strtoull(line + 4, NULL, 10) * 1024;
    }
    fclose(f);
    return rss;
}

static void child(shape sh, int out)
{
    pm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_series = sh.series;
    cfg.max_threads = sh.threads;
    cfg.hist_mb = sh.timers ? (uint32_t)((uint64_t)sh.series * sh.threads * PM_SHM_HIST_BYTES / 1048576 + 8) : 1;
    cfg.keep = -1;
    if (pm_init(&cfg) != PM_OK) _exit(3);
    cur = sh;
    ids = calloc(sh.series, sizeof *ids);
    for (uint32_t i = 0; i < sh.series; i++) {
        char name[64];
        snprintf(name, sizeof name, "bench.memory.s%u", (unsigned)i);
        ids[i] = pm_lookup(name, sh.timers ? PM_KIND_DISTRIBUTION : PM_KIND_COUNTER,
                           sh.timers ? PM_UNIT_NANOSECONDS : PM_UNIT_NONE);
    }
    pthread_t *th = calloc(sh.threads, sizeof *th);
    pthread_barrier_init(&all_done, NULL, sh.threads);
    for (uint32_t t = 0; t < sh.threads; t++) pthread_create(&th[t], NULL, fill, (void *)(uintptr_t)t);
    for (uint32_t t = 0; t < sh.threads; t++) pthread_join(th[t], NULL);
    result r;
    struct stat st;
    if (stat(pm_segment_path(), &st) != 0) _exit(4);
    r.size = (uint64_t)st.st_size;
    r.committed = (uint64_t)st.st_blocks * 512u;
    r.rss = smaps_rss(pm_segment_path());
    r.dropped = ((const pm_shm_header *)(const void *)pm__base)->dropped_hist;
    if (write(out, &r, sizeof r) != (ssize_t)sizeof r) _exit(5);
    exit(0);
}

static int measure(shape sh, result *r)
{
    int p[2];
    if (pipe(p) != 0) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) { close(p[0]); child(sh, p[1]); }
    close(p[1]);
    ssize_t n = read(p[0], r, sizeof *r);
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return n == (ssize_t)sizeof *r && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(void)
{
    static const shape shapes[] = {
        { 1000, 8, 1 },
        { 100, 8, 1 }, { 1000, 1, 1 }, { 2000, 8, 1 }, { 1000, 16, 1 },
        { 1000, 8, 0 }, { 10000, 8, 0 }, { 1000, 64, 0 }, { 10000, 64, 0 },
    };
    bench_section("6. Memory: segment size, tmpfs committed (st_blocks), writer's Rss; vs the data floor");
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        shape sh = shapes[k];
        result r;
        if (measure(sh, &r) != 0) { fprintf(stderr, "memory: child failed\n"); return 2; }
        double cells = (double)sh.series * sh.threads;
        double floor = cells * (PM_SHM_CELL_SIZE + (sh.timers ? PM_SHM_HIST_BYTES : 0));
        char what[80], subj[32], base[64], fig[96], b1[24], b2[24], b3[24];
        snprintf(what, sizeof what, "%u series x %u thr, %s", (unsigned)sh.series, (unsigned)sh.threads,
                 sh.timers ? "histograms" : "counters");
        snprintf(base, sizeof base, "floor %s", bench_bytes(b1, sizeof b1, floor));
        snprintf(fig, sizeof fig, "commit %.2fx, Rss %s, size %s%s", r.committed / floor,
                 bench_bytes(b2, sizeof b2, (double)r.rss), bench_bytes(b3, sizeof b3, (double)r.size),
                 r.dropped ? " (hist dropped!)" : "");
        bench_row(what, bench_bytes(subj, sizeof subj, (double)r.committed), base, fig,
                  k == 0 ? "(issue: report)" : "");
    }
    return 0;
}
