/* peers.c - perfmon against what people use instead, on the same workload.

   PCP's MMV library (Debian libpcp-mmv1-dev): a memory-mapped file of values
   read by pmcd. mmv_inc_value() on a value pointer looked up once, and
   mmv_stats_inc() by name. Its increment is a plain read-modify-write with
   no atomic and no per-thread copy, so two threads lose increments; perfmon
   gives every thread its own cell and loses none.
   A mutex-protected counter and histogram: what the usual locked designs in
   C come to (the histogram uses the same log-linear buckets as perfmon).

   Both registries hold 100 metrics, so by-name lookups search a realistic
   table. The MMV file goes to a private directory under /dev/shm (PCP_TMP_DIR), so
   both libraries write to tmpfs. */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"
#include "bench.h"

#include <pcp/pmapi.h>
#include <pcp/mmv_stats.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

static _Alignas(64) uint64_t private_counter[8];
static uint64_t *volatile private_ptr = private_counter;
static void *mmv_addr;
static pmAtomValue *mmv_val;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t mu_count;
static struct {
    uint64_t count, sum, min, max;
    uint64_t bins[PM_SHM_HIST_BUCKETS];
} mu_hist;

#define LOOP(fn, body) \
    __attribute__((noinline)) static void fn(long n) { for (long i = 0; i < n; i++) { body; BENCH_BARRIER(); } }

LOOP(loop_private, uint64_t *p = private_ptr;
     __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED))
LOOP(loop_count, PM_COUNT("bench.peer.count", 1))
LOOP(loop_count_name, pm_count("bench.peer.byname", 1))
LOOP(loop_record, PM_RECORD("bench.peer.dist", i & 4095))
LOOP(loop_mmv_inc_value, mmv_inc_value(mmv_addr, mmv_val, 1))
LOOP(loop_mmv_stats_inc, mmv_stats_inc(mmv_addr, "bench.peer.count", NULL))
LOOP(loop_mutex_count, pthread_mutex_lock(&mu); mu_count++; pthread_mutex_unlock(&mu))
LOOP(loop_mutex_hist, uint64_t v = (uint64_t)(i & 4095);
     pthread_mutex_lock(&mu);
     if (mu_hist.count == 0 || v < mu_hist.min) mu_hist.min = v;
     if (mu_hist.count == 0 || v > mu_hist.max) mu_hist.max = v;
     mu_hist.count++; mu_hist.sum += v; mu_hist.bins[pm_shm_hist_index(v)]++;
     pthread_mutex_unlock(&mu))

static char mmv_dir[64];

static int mmv_setup(void)
{
    char sub[96];
    snprintf(mmv_dir, sizeof mmv_dir, "/dev/shm/pmbench-mmv.%d", (int)getpid());
    snprintf(sub, sizeof sub, "%s/mmv", mmv_dir);
    if (mkdir(mmv_dir, 0700) != 0 || mkdir(sub, 0700) != 0) return -1;
    setenv("PCP_TMP_DIR", mmv_dir, 1);
    mmv_registry_t *reg = mmv_stats_registry("pmbench", 42, 0);
    if (!reg) return -1;
    pmUnits one = MMV_UNITS(0, 0, 1, 0, 0, PM_COUNT_ONE);
    /* a realistic registry: by-name lookups search among 100 metrics, the
       measured one registered in the middle */
    for (int i = 0; i < 99; i++) {
        char name[32];
        if (i == 50 && mmv_stats_add_metric(reg, "bench.peer.count", 1, MMV_TYPE_U64, MMV_SEM_COUNTER, one,
                                            (int)MMV_INDOM_NULL, "bench counter", "") < 0)
            return -1;
        snprintf(name, sizeof name, "bench.peer.m%d", i);
        if (mmv_stats_add_metric(reg, name, 2 + i, MMV_TYPE_U64, MMV_SEM_COUNTER, one,
                                 (int)MMV_INDOM_NULL, "filler", "") < 0)
            return -1;
        pm_count(name, 0);
    }
    mmv_addr = mmv_stats_start(reg);
    if (!mmv_addr) return -1;
    mmv_val = mmv_lookup_value_desc(mmv_addr, "bench.peer.count", NULL);
    return mmv_val ? 0 : -1;
}

static void mmv_cleanup(void)
{
    char path[160];
    snprintf(path, sizeof path, "%s/mmv/pmbench", mmv_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/mmv", mmv_dir);
    rmdir(path);
    rmdir(mmv_dir);
}

static void row(const char *what, void (*subj)(long), const char *base_name, void (*base)(long), long n)
{
    char sb[32], bb[32], b[64], fig[64];
    bench_pair p = bench_measure_pair(base, subj, n);
    snprintf(b, sizeof b, "%s %s", base_name, bench_ns(bb, sizeof bb, p.base.med));
    snprintf(fig, sizeof fig, "%.2fx [%.2f .. %.2f]", p.ratio.med, p.ratio.lo, p.ratio.hi);
    bench_row(what, bench_ns(sb, sizeof sb, p.subj.med), b, fig, "");
}

/* ---- two threads on one counter: lost increments ---- */

typedef struct { void (*fn)(long); long n; pthread_barrier_t *go; double t0, t1; } job;

static void *worker(void *arg)
{
    job *j = (job *)arg;
    j->fn(1);
    pthread_barrier_wait(j->go);
    j->t0 = bench_now_ns();
    j->fn(j->n);
    j->t1 = bench_now_ns();
    return NULL;
}

/* Runs fn(n) in two threads at once; returns the share of the run during
   which both were running (other jobs on 2 cores can serialise them). */
static double two_threads(void (*fn)(long), long n)
{
    pthread_t t[2];
    job j[2];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    for (int i = 0; i < 2; i++) {
        j[i].fn = fn; j[i].n = n; j[i].go = &go;
        pthread_create(&t[i], NULL, worker, &j[i]);
    }
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    double both = (j[0].t1 < j[1].t1 ? j[0].t1 : j[1].t1) - (j[0].t0 > j[1].t0 ? j[0].t0 : j[1].t0);
    double all = (j[0].t1 > j[1].t1 ? j[0].t1 : j[1].t1) - (j[0].t0 < j[1].t0 ? j[0].t0 : j[1].t0);
    return both > 0 ? both / all : 0;
}


static void lost_row(const char *what, uint64_t expected, uint64_t got, double overlap, int must_be_zero)
{
    char subj[32], base[64], fig[48], goal[32] = "";
    uint64_t lost = expected > got ? expected - got : 0;
    snprintf(subj, sizeof subj, "%llu", (unsigned long long)lost);
    snprintf(base, sizeof base, "of %llu increments", (unsigned long long)expected);
    snprintf(fig, sizeof fig, "%.2f%% lost (ran together %.0f%%)", 100.0 * (double)lost / (double)expected,
             100 * overlap);
    if (must_be_zero) snprintf(goal, sizeof goal, "0 %s", lost == 0 ? "ok" : (bench_missed++, "MISSED"));
    bench_row(what, subj, base, fig, goal);
}

int main(void)
{
    const long N = 20000000;
    if (pm_init(NULL) != PM_OK) { fprintf(stderr, "peers: perfmon could not start\n"); return 2; }
    if (mmv_setup() != 0) {
        fprintf(stderr, "peers: MMV could not start (PCP_TMP_DIR %s)\n", mmv_dir);
        mmv_cleanup();
        return 2;
    }
    bench_section("4. Peers, one thread: PCP MMV (libpcp-mmv1) and a mutex-protected counter and histogram");
    row("MMV mmv_inc_value (cached pointer)", loop_mmv_inc_value, "private ld+add+st", loop_private, N);
    row("MMV mmv_inc_value (cached pointer)", loop_mmv_inc_value, "PM_COUNT", loop_count, N);
    row("MMV mmv_stats_inc (by name, 50th of 100)", loop_mmv_stats_inc, "pm_count by name", loop_count_name, N / 20);
    row("mutex + counter", loop_mutex_count, "PM_COUNT", loop_count, N / 4);
    row("mutex + histogram (same buckets)", loop_mutex_hist, "PM_RECORD", loop_record, N / 4);

    bench_section("4b. Two threads on one counter at once: increments lost");
    const long N2 = 50000000;
    uint64_t before = mmv_val->ull;
    double ov = two_threads(loop_mmv_inc_value, N2);
    lost_row("MMV mmv_inc_value, 2 threads", 2 * (uint64_t)(N2 + 1), mmv_val->ull - before, ov, 0);
    before = mmv_val->ull;
    ov = two_threads(loop_mmv_stats_inc, N2 / 20);
    lost_row("MMV mmv_stats_inc, 2 threads", 2 * (uint64_t)(N2 / 20 + 1), mmv_val->ull - before, ov, 0);
    before = bench_counter_total("bench.peer.count");
    ov = two_threads(loop_count, N2);
    lost_row("perfmon PM_COUNT, 2 threads", 2 * (uint64_t)(N2 + 1), bench_counter_total("bench.peer.count") - before, ov, 1);
    before = bench_counter_total("bench.peer.byname");
    ov = two_threads(loop_count_name, N2 / 20);
    lost_row("perfmon pm_count by name, 2 threads", 2 * (uint64_t)(N2 / 20 + 1),
             bench_counter_total("bench.peer.byname") - before, ov, 1);
    mmv_cleanup();
    return bench_missed ? 1 : 0;
}
