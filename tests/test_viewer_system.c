/* test_viewer_system.c - the machine's figures: fixture /proc and /sys
   trees with known figures (two samples give known rates), odd and
   missing files, the real machine, and GPUs through a fake NVML library
   (tests/tools/fake_nvml.c) and without one */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <stb_ds.h>

#include "harness.h"
#include "viewer/read/system.h"

static char root[256];

static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    CHECK_MSG(f != NULL, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void dir(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    CHECK_MSG(mkdir(path, 0700) == 0, "mkdir %s", path);
}

static void remove_fixture(void)
{
    char cmd[600];
    if (!root[0]) return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
}

/* A fixture tree: $root/proc, $root/sys/block/{sda,loop0}, two mount
   points (one named with a space, as /proc/mounts escapes it). */
static void fixture(void)
{
    snprintf(root, sizeof root, "/tmp/pmv-system.XXXXXX");
    CHECK(mkdtemp(root) != NULL);
    atexit(remove_fixture);
    dir("proc");
    dir("proc/self");
    dir("proc/net");
    dir("sys");
    dir("sys/block");
    dir("sys/block/sda");
    dir("sys/block/loop0");
    dir("mnt a");
    dir("mnt b");
    char mounts[2048];
    snprintf(mounts, sizeof mounts,
             "proc /proc proc rw 0 0\n"
             "/dev/sda1 %s/mnt\\040a ext4 rw 0 0\n"
             "/dev/sda1 %s/mnt\\040b ext4 rw,bind 0 0\n"       /* same device: one entry */
             "tmpfs %s tmpfs rw 0 0\n"                          /* not storage */
             "/dev/gone /no/such/dir ext4 rw 0 0\n"
             "short line\n",
             root, root, root);
    put("proc/self/mounts", mounts);
    put("proc/loadavg", "0.50 1.25 2.00 1/234 5678\n");
    put("proc/meminfo", "MemTotal:        8000000 kB\nMemFree:  100 kB\nMemAvailable:    2000000 kB\n"
                        "SwapTotal:       1000000 kB\nSwapFree:         750000 kB\n");
    setenv("PMV_PROC_ROOT", (snprintf(mounts, sizeof mounts, "%s/proc", root), mounts), 1);
    setenv("PMV_SYS_ROOT", (snprintf(mounts, sizeof mounts, "%s/sys", root), mounts), 1);
    setenv("PMV_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
}

static const char netdev_head[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";

static void sample_a(pmv_sys *s)
{
    put("proc/stat", "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 50 0 50 350 50 0 0 0 0 0\n"
                     "cpu1 50 0 50 350 50 0 0 0 0 0\nintr 12345\nctxt 99\n");
    put("proc/diskstats", "   8       0 sda 100 0 2000 0 50 0 4000 0 0 100 0\n"
                          "   8       1 sda1 100 0 2000 0 50 0 4000 0 0 100 0\n"
                          "   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0\n"
                          " 254       0 vdz 1 2\n");
    char nd[1024];
    snprintf(nd, sizeof nd, "%s    lo: 500 5 0 0 0 0 0 0 500 5 0 0 0 0 0 0\n"
                            "  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n"
                            "  idle: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
                            "  a\"b: 10 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n", netdev_head);
    put("proc/net/dev", nd);
    pmv_sys_sample(s);
}

/* 2 s later: 400 of 1000 jiffies busy (cpu0 350 of 500, cpu1 50 of 500);
   sda read 20480 sectors (10 MiB), wrote 2048 (1 MiB), busy 1000 ms;
   eth0 received 4 MB and sent 1000 B. */
static void sample_b(pmv_sys *s, const pmv_sys *a)
{
    put("proc/stat", "cpu  400 0 200 1200 200 0 0 0 0 0\ncpu0 350 0 100 500 50 0 0 0 0 0\n"
                     "cpu1 50 0 100 700 150 0 0 0 0 0\n");
    put("proc/diskstats", "   8       0 sda 200 0 22480 0 60 0 6048 0 0 1100 0\n");
    char nd[1024];
    snprintf(nd, sizeof nd, "%s  eth0: 4001000 10 0 0 0 0 0 0 3000 20 0 0 0 0 0 0\n"
                            "  a\"b: 5 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n", netdev_head);
    put("proc/net/dev", nd);
    pmv_sys_sample(s);
    s->t = a->t + 2.0;
}

static double fig(const pmv_sys_figure *f, int n, const char *name)
{
    const pmv_sys_figure *x = pmv_sys_figure_find(f, n, name);
    CHECK_MSG(x != NULL, "no figure %s", name);
    return x->value;
}

static void test_known_figures(void)
{
    fixture();
    static pmv_sys a, b;
    sample_a(&a);
    sample_b(&b, &a);
    CHECK_EQ_I64(a.ncore, 2);
    CHECK_EQ_I64(b.nmount, 1);
    CHECK_EQ_I64(a.ndisk, 1);        /* no partition, no idle loop, no short line */
    CHECK_STR(a.disk[0].name, "sda");
    CHECK_EQ_I64(a.nnet, 2);         /* not lo, not an idle interface */
    CHECK_EQ_I64(b.ngpu, 0);

    pmv_sys_figure *f = NULL;
    int n = pmv_sys_figures(&a, &b, &f);
    CHECK_NEAR(fig(f, n, "system.cpu.usage"), 40, 1e-9);
    CHECK_NEAR(fig(f, n, "system.cpu.usage{cpu=\"0\"}"), 70, 1e-9);
    CHECK_NEAR(fig(f, n, "system.cpu.usage{cpu=\"1\"}"), 10, 1e-9);
    CHECK_NEAR(fig(f, n, "system.load1"), 0.5, 1e-9);
    CHECK_NEAR(fig(f, n, "system.load5"), 1.25, 1e-9);
    CHECK_NEAR(fig(f, n, "system.load15"), 2.0, 1e-9);
    CHECK_NEAR(fig(f, n, "system.mem.usage"), 75, 1e-9);
    CHECK_NEAR(fig(f, n, "system.mem.total"), 8000000.0 * 1024, 1e-3);
    CHECK_NEAR(fig(f, n, "system.mem.available"), 2000000.0 * 1024, 1e-3);
    CHECK_NEAR(fig(f, n, "system.swap.usage"), 25, 1e-9);
    CHECK_NEAR(fig(f, n, "system.swap.used"), 250000.0 * 1024, 1e-3);
    CHECK_NEAR(fig(f, n, "system.disk.read_bytes{device=\"sda\"}"), 10485760.0 / 2, 1e-6);
    CHECK_NEAR(fig(f, n, "system.disk.write_bytes{device=\"sda\"}"), 1048576.0 / 2, 1e-6);
    CHECK_NEAR(fig(f, n, "system.disk.busy{device=\"sda\"}"), 50, 1e-9);
    CHECK_NEAR(fig(f, n, "system.net.rx_bytes{interface=\"eth0\"}"), 2000000, 1e-6);
    CHECK_NEAR(fig(f, n, "system.net.tx_bytes{interface=\"eth0\"}"), 500, 1e-6);
    /* a counter that went back is unknown, never negative; the name is escaped */
    CHECK(isnan(fig(f, n, "system.net.rx_bytes{interface=\"a\\\"b\"}")));
    CHECK_NEAR(fig(f, n, "system.net.tx_bytes{interface=\"a\\\"b\"}"), 0, 1e-9);

    /* the mount: its label is the decoded path; usage as df computes it */
    char mp[512];
    snprintf(mp, sizeof mp, "%s/mnt a", root);
    CHECK_STR(b.mount[0].path, mp);
    struct statvfs v;
    CHECK(statvfs(mp, &v) == 0);
    double bs = (double)v.f_frsize, used = (double)(v.f_blocks - v.f_bfree) * bs, avail = (double)v.f_bavail * bs;
    char name[600];
    snprintf(name, sizeof name, "system.disk.usage{mount=\"%s\"}", mp);
    CHECK_NEAR(fig(f, n, name), 100 * used / (used + avail), 0.5);   /* others write to /tmp meanwhile */
    snprintf(name, sizeof name, "system.disk.free{mount=\"%s\"}", mp);
    CHECK_REL(fig(f, n, name), avail, 0.05);

    /* every figure's row is in the table, and every name starts with it */
    for (int i = 0; i < n; i++) {
        CHECK(pmv_sys_def_find(f[i].def->name) != NULL);
        CHECK(strncmp(f[i].name, f[i].def->name, strlen(f[i].def->name)) == 0);
    }
    /* without an earlier sample: rates unknown, CPU since boot */
    n = pmv_sys_figures(NULL, &b, &f);
    CHECK_NEAR(fig(f, n, "system.cpu.usage"), 30, 1e-9);
    CHECK(isnan(fig(f, n, "system.disk.read_bytes{device=\"sda\"}")));
    CHECK(isnan(fig(f, n, "system.net.tx_bytes{interface=\"eth0\"}")));
    arrfree(f);
}

/* Missing, empty, truncated and garbage files: unknown, never a crash. */
static void test_odd_files(void)
{
    fixture();
    static pmv_sys s;
    pmv_sys_sample(&s);   /* no stat, diskstats or net/dev at all */
    CHECK(isnan(s.cpu.total));
    CHECK_EQ_I64(s.ncore + s.ndisk + s.nnet, 0);
    pmv_sys_figure *f = NULL;
    int n = pmv_sys_figures(NULL, &s, &f);
    CHECK(isnan(fig(f, n, "system.cpu.usage")));

    put("proc/stat", "cpu 1 2\ncpu0 x\ncpu99999999999 1 2 3 4\ncpu-1 1 1 1 1\n");
    put("proc/loadavg", "");
    put("proc/meminfo", "MemTotal: \nMemAvailable: 9 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB");
    put("proc/diskstats", "8 0\n\n   8 0 sda -1 -2 -3 -4 -5 -6 -7 -8 -9 -10\n");
    put("proc/net/dev", "eth0:\n:::\n  eth1: 1 2 3\n");
    put("proc/self/mounts", "\\\\\\ \\777 \\0\n / / \n");
    pmv_sys_sample(&s);
    CHECK(isnan(s.cpu.total) && s.ncore == 0 && s.ndisk == 0 && s.nnet == 0);
    CHECK(isnan(s.load1) && isnan(s.mem_total));
    n = pmv_sys_figures(NULL, &s, &f);
    CHECK(isnan(fig(f, n, "system.mem.usage")));
    CHECK_NEAR(fig(f, n, "system.swap.usage"), 0, 0);   /* no swap is 0% used */

    /* a stat file far over the bound: cut, still parsed from the start */
    char *big = malloc(600000);
    CHECK(big != NULL);
    strcpy(big, "cpu  1 1 1 1\n");
    for (size_t i = strlen(big); i < 599999; i++) big[i] = i % 80 ? 'x' : '\n';
    big[599999] = '\0';
    put("proc/stat", big);
    free(big);
    pmv_sys_sample(&s);
    CHECK_NEAR(s.cpu.total, 4, 0);
    arrfree(f);
}

/* The real machine (no fixture): figures that must hold anywhere. */
static void test_real_machine(void)
{
    static pmv_sys a, b;
    pmv_sys_sample(&a);
    struct timespec nap = { 0, 100000000 };
    nanosleep(&nap, NULL);
    pmv_sys_sample(&b);
    CHECK_EQ_I64(a.ncpu, sysconf(_SC_NPROCESSORS_ONLN));
    CHECK_REL(a.mem_total, (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE), 0.01);
    CHECK(a.mem_avail > 0 && a.mem_avail <= a.mem_total);
    CHECK(a.ncore >= 1 && a.nmount >= 1);
    pmv_sys_figure *f = NULL;
    int n = pmv_sys_figures(&a, &b, &f);
    double pct = fig(f, n, "system.cpu.usage");
    CHECK_MSG(pct >= 0 && pct <= 100, "machine cpu %.1f%%", pct);
    for (int i = 0; i < n; i++)
        if (f[i].def->unit == PMV_SU_PERCENT && !isnan(f[i].value))
            CHECK_MSG(f[i].value >= 0 && f[i].value <= 100, "%s = %g", f[i].name, f[i].value);
    arrfree(f);
}

/* The library next to this test binary (the Makefile builds it there). */
static void fake_nvml_path(char *buf, size_t len)
{
    char exe[4096];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(k > 0);
    exe[k] = '\0';
    char *slash = strrchr(exe, '/');
    CHECK(slash != NULL);
    *slash = '\0';
    snprintf(buf, len, "%s/libfake_nvml.so", exe);
    if (access(buf, R_OK) != 0) SKIP("%s not built", buf);
}

static void test_gpu_fake_nvml(void)
{
    char lib[4200];
    fake_nvml_path(lib, sizeof lib);
    setenv("PMV_NVML_LIB", lib, 1);
    static pmv_sys s;
    pmv_sys_sample(&s);
    CHECK_EQ_I64(s.ngpu, 2);
    pmv_sys_figure *f = NULL;
    int n = pmv_sys_figures(NULL, &s, &f);
    CHECK_NEAR(fig(f, n, "system.gpu.usage{gpu=\"0\"}"), 45, 0);
    CHECK_NEAR(fig(f, n, "system.gpu.usage{gpu=\"1\"}"), 90, 0);
    CHECK_NEAR(fig(f, n, "system.gpu.mem.usage{gpu=\"0\"}"), 25, 1e-9);
    CHECK_NEAR(fig(f, n, "system.gpu.mem.used{gpu=\"1\"}"), 6.0 * 1073741824, 0);
    CHECK_NEAR(fig(f, n, "system.gpu.mem.total{gpu=\"0\"}"), 8.0 * 1073741824, 0);
    CHECK_NEAR(fig(f, n, "system.gpu.temperature{gpu=\"0\"}"), 61, 0);
    CHECK(isnan(fig(f, n, "system.gpu.temperature{gpu=\"1\"}")));   /* not supported there */
    CHECK_NEAR(fig(f, n, "system.gpu.power{gpu=\"0\"}"), 120.5, 1e-9);
    pmv_sys_sample(&s);   /* loaded once, sampled again */
    CHECK_EQ_I64(s.ngpu, 2);
    arrfree(f);
}

static void test_gpu_absent(void)
{
    static pmv_sys s;
    setenv("PMV_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    pmv_sys_sample(&s);
    CHECK_EQ_I64(s.ngpu, 0);
    char lib[4200];
    fake_nvml_path(lib, sizeof lib);
    setenv("PMV_NVML_LIB", lib, 1);
    setenv("FAKE_NVML_INIT_FAIL", "1", 1);   /* a library whose init fails: no GPUs either */
    pmv_sys_sample(&s);
    CHECK_EQ_I64(s.ngpu, 0);
    pmv_sys_figure *f = NULL;
    int n = pmv_sys_figures(NULL, &s, &f);
    for (int i = 0; i < n; i++) CHECK_MSG(strncmp(f[i].name, "system.gpu.", 11) != 0, "%s", f[i].name);
    arrfree(f);
}

int main(void)
{
    RUN(test_known_figures);
    RUN(test_odd_files);
    RUN(test_real_machine);
    RUN(test_gpu_fake_nvml);
    RUN(test_gpu_absent);
    return harness_done();
}
