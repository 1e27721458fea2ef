/* system.h - the machine's resources: one sample, and one set of names

   A sample reads /proc (stat, loadavg, meminfo, self/mounts, diskstats,
   net/dev), statvfs() of each real mounted filesystem, and the GPUs through
   NVML when libnvidia-ml loads (dlopen at run time; no driver: no GPUs).
   Every file may be missing, short or odd: what it does not give stays
   unknown (NAN, or no entry), never an error. Counts are bounded by the
   *_MAX below; what is beyond them is left out (the CPU total never is).

   What is kept:
     mounts   real filesystems only (proc, sysfs, cgroup, tmpfs, devtmpfs,
              squashfs and the other pseudo or read-only image types are
              skipped), one per device (the first listed: "/" before its
              bind mounts), mount points longer than PMV_SYS_LABEL_MAX - 1
              bytes skipped
     disks    whole devices (a name /sys/block holds: no partitions) that
              did any I/O since boot, so idle loop, ram and zram devices go;
              sectors are 512 bytes whatever the device's block size
     network  every interface but lo (its traffic never leaves the machine
              and would count twice in totals) that moved a byte since boot

   The figures between two samples have one set of names, listed by
   pmv_sys_figures() and documented in pmv_sys_defs (README "System
   figures"): the dashboard, gate rules, `record` and `history` all use it.

   For tests: $PMV_PROC_ROOT and $PMV_SYS_ROOT stand for /proc and /sys,
   $PMV_NVML_LIB names the NVML library (default libnvidia-ml.so.1); they
   are read at each sample. */
#ifndef PMV_SYSTEM_H
#define PMV_SYSTEM_H

#include <stddef.h>

#define PMV_SYS_CPUS_MAX 256
#define PMV_SYS_MOUNTS_MAX 32
#define PMV_SYS_DISKS_MAX 32
#define PMV_SYS_NETS_MAX 32
#define PMV_SYS_GPUS_MAX 16
#define PMV_SYS_LABEL_MAX 128   /* a label value: mount point, device, interface */
#define PMV_SYS_NAME_MAX 320    /* a figure's full name, label value escaped */

typedef struct pmv_sys_cpu {
    int id;                     /* N of cpuN; -1: all CPUs */
    double busy, total;         /* jiffies since boot (NAN: unknown) */
} pmv_sys_cpu;

typedef struct pmv_sys_mount {
    char path[PMV_SYS_LABEL_MAX];
    double size, used, avail;   /* bytes; avail: what a non-root user may still write */
} pmv_sys_mount;

typedef struct pmv_sys_disk {
    char name[PMV_SYS_LABEL_MAX];
    double read_bytes, write_bytes, busy_ms; /* since boot */
} pmv_sys_disk;

typedef struct pmv_sys_net {
    char name[PMV_SYS_LABEL_MAX];
    double rx_bytes, tx_bytes;  /* since boot (the kernel's counters may wrap) */
} pmv_sys_net;

typedef struct pmv_sys_gpu {
    double usage;               /* percent of the last sample period busy */
    double mem_used, mem_total; /* bytes */
    double temp_c, power_w;
} pmv_sys_gpu;

typedef struct pmv_sys {
    double t;                   /* CLOCK_MONOTONIC seconds when sampled */
    long ncpu;                  /* CPUs online (sysconf), -1 unknown */
    pmv_sys_cpu cpu;            /* all CPUs */
    pmv_sys_cpu core[PMV_SYS_CPUS_MAX];
    int ncore;
    double load1, load5, load15;
    double mem_total, mem_avail, swap_total, swap_free; /* bytes */
    pmv_sys_mount mount[PMV_SYS_MOUNTS_MAX];
    int nmount;
    pmv_sys_disk disk[PMV_SYS_DISKS_MAX];
    int ndisk;
    pmv_sys_net net[PMV_SYS_NETS_MAX];
    int nnet;
    pmv_sys_gpu gpu[PMV_SYS_GPUS_MAX];
    int ngpu;
} pmv_sys;

/* Samples the machine. Thread safety: not reentrant (the NVML library is
   loaded once per path and kept). */
void pmv_sys_sample(pmv_sys *out);

/* ---- the figures, by name */

typedef enum pmv_sys_unit {
    PMV_SU_PERCENT, PMV_SU_BYTES, PMV_SU_BYTES_PER_S, PMV_SU_NONE, PMV_SU_CELSIUS, PMV_SU_WATTS
} pmv_sys_unit;

struct pmv_sys_emit;

/* One row of the table of names. */
typedef struct pmv_sys_def {
    const char *name;           /* base name: system.disk.usage */
    const char *label;          /* its one label's key ("mount"), or NULL */
    pmv_sys_unit unit;
    int level;                  /* 1: the value at the later sample; 0: an
                                   average over the interval between the two */
    int summed;                 /* several selected at once add up (rates,
                                   bytes, watts); else the largest counts */
    const char *about;
    void (*compute)(struct pmv_sys_emit *e); /* adds this row's figures */
} pmv_sys_def;

extern const pmv_sys_def pmv_sys_defs[];
extern const int pmv_sys_ndefs;

/* The row of a base name, or NULL. */
const pmv_sys_def *pmv_sys_def_find(const char *base);

/* "%", "bytes", "bytes/s", "", "C", "W". */
const char *pmv_sys_unit_str(pmv_sys_unit u);

typedef struct pmv_sys_figure {
    const pmv_sys_def *def;
    char label[PMV_SYS_LABEL_MAX]; /* the label's value; "" without one */
    char name[PMV_SYS_NAME_MAX];   /* base{key="value"}, the value escaped as in series names */
    double value;                  /* NAN: unknown (a rate without an earlier sample) */
} pmv_sys_figure;

/* The figures between samples a (earlier, or NULL) and b, in table order,
   into *out (an stb_ds array, emptied first). Without a, rates are unknown
   and CPU usage is since boot. Returns the count. Thread safety: reentrant. */
int pmv_sys_figures(const pmv_sys *a, const pmv_sys *b, pmv_sys_figure **out);

/* The figure of that full name in a list, or NULL. */
const pmv_sys_figure *pmv_sys_figure_find(const pmv_sys_figure *f, int n, const char *name);

/* Busy share of all CPUs between two samples, percent (NAN: unknown);
   a == NULL: since boot. */
double pmv_sys_cpu_pct(const pmv_sys_cpu *a, const pmv_sys_cpu *b);

#endif
