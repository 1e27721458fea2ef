/* system.c - sampling the machine from /proc, /sys, statvfs and NVML */
#include "read/system.h"
#include "base/clock.h"
#include "read/nvml.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define FILE_MAX (256 * 1024)   /* /proc/stat of a few hundred CPUs fits; more is cut */

static const char *root(const char *env, const char *def)
{
    const char *r = getenv(env);
    return r && *r ? r : def;
}

/* Reads root/name whole into a malloc'd NUL-terminated buffer (cut at
   FILE_MAX); NULL if it cannot be read. */
static char *slurp(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    char *buf = malloc(FILE_MAX + 1);
    if (!buf) { close(fd); return NULL; }
    size_t n = 0;
    while (n < FILE_MAX) {
        ssize_t r = read(fd, buf + n, FILE_MAX - n);
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return buf;
}

/* The next line of *p (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **p)
{
    if (!*p || !**p) return NULL;
    char *line = *p, *nl = strchr(line, '\n');
    if (nl) { *nl = '\0'; *p = nl + 1; }
    else *p = line + strlen(line);
    return line;
}

/* Up to max numbers after s; how many were read. */
static int numbers(const char *s, double *v, int max)
{
    int n = 0;
    char *end;
    while (n < max) {
        double x = strtod(s, &end);
        if (end == s || !isfinite(x) || x < 0) break;
        v[n++] = x;
        s = end;
    }
    return n;
}

/* "cpu  user nice system idle iowait irq softirq steal ..." (guest time is
   already inside user and nice): busy is all but idle and iowait. */
static void cpu_line(const char *rest, pmv_sys_cpu *c)
{
    double v[8];
    int n = numbers(rest, v, 8);
    c->busy = c->total = NAN;
    if (n < 4) return;
    double total = 0;
    for (int i = 0; i < n; i++) total += v[i];
    c->total = total;
    c->busy = total - v[3] - (n > 4 ? v[4] : 0);
}

static void read_stat(const char *proc, pmv_sys *s)
{
    char *buf = slurp(proc, "stat"), *p = buf, *line;
    while ((line = next_line(&p)) != NULL) {
        if (strncmp(line, "cpu", 3) != 0) continue;
        if (line[3] == ' ') { cpu_line(line + 4, &s->cpu); continue; }
        char *end;
        long id = strtol(line + 3, &end, 10);
        if (end == line + 3 || *end != ' ' || id < 0 || id > 1000000 || s->ncore == PMV_SYS_CPUS_MAX) continue;
        pmv_sys_cpu *c = &s->core[s->ncore];
        cpu_line(end, c);
        c->id = (int)id;
        if (!isnan(c->total)) s->ncore++;
    }
    free(buf);
}

static void read_loadavg(const char *proc, pmv_sys *s)
{
    char *buf = slurp(proc, "loadavg");
    double v[3];
    int n = buf ? numbers(buf, v, 3) : 0;
    if (n > 0) s->load1 = v[0];
    if (n > 1) s->load5 = v[1];
    if (n > 2) s->load15 = v[2];
    free(buf);
}

/* "Key:   123 kB" lines; kB is KiB. */
static void read_meminfo(const char *proc, pmv_sys *s)
{
    char *buf = slurp(proc, "meminfo"), *p = buf, *line;
    while ((line = next_line(&p)) != NULL) {
        char *colon = strchr(line, ':');
        double v;
        if (!colon || numbers(colon + 1, &v, 1) != 1) continue;
        *colon = '\0';
        v *= strstr(colon + 1, "kB") ? 1024 : 1;
        if (strcmp(line, "MemTotal") == 0) s->mem_total = v;
        else if (strcmp(line, "MemAvailable") == 0) s->mem_avail = v;
        else if (strcmp(line, "SwapTotal") == 0) s->swap_total = v;
        else if (strcmp(line, "SwapFree") == 0) s->swap_free = v;
    }
    free(buf);
}

/* Filesystems that are not storage, or never fill (images mounted read-only). */
static int pseudo_fs(const char *type)
{
    static const char *const skip[] = {
        "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "debugfs", "tracefs", "securityfs",
        "pstore", "bpf", "autofs", "fusectl", "configfs", "binfmt_misc", "hugetlbfs", "rpc_pipefs", "nsfs",
        "devtmpfs", "tmpfs", "ramfs", "squashfs", "efivarfs", "selinuxfs", "nfsd", "iso9660",
        "fuse.gvfsd-fuse", "fuse.portal", "fuse.lxcfs", "cpuset", "none",
    };
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strcmp(type, skip[i]) == 0) return 1;
    return 0;
}

/* Decodes the \ooo escapes /proc/mounts writes for space, tab, newline
   and backslash, in place. */
static void unescape_octal(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static void read_mounts(const char *proc, pmv_sys *s)
{
    dev_t seen[PMV_SYS_MOUNTS_MAX];
    char *buf = slurp(proc, "self/mounts"), *p = buf, *line;
    while ((line = next_line(&p)) != NULL && s->nmount < PMV_SYS_MOUNTS_MAX) {
        char *save = NULL, *dev = strtok_r(line, " ", &save), *dir = strtok_r(NULL, " ", &save),
             *type = strtok_r(NULL, " ", &save);
        if (!dev || !dir || !type || pseudo_fs(type)) continue;
        unescape_octal(dir);
        if (dir[0] != '/' || strlen(dir) >= PMV_SYS_LABEL_MAX) continue;
        struct stat st;
        struct statvfs vfs;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || statvfs(dir, &vfs) != 0 || vfs.f_blocks == 0) continue;
        int dup = 0;
        for (int i = 0; i < s->nmount && !dup; i++) dup = seen[i] == st.st_dev;
        if (dup) continue;
        seen[s->nmount] = st.st_dev;
        pmv_sys_mount *m = &s->mount[s->nmount++];
        snprintf(m->path, sizeof m->path, "%s", dir);
        double bs = vfs.f_frsize ? (double)vfs.f_frsize : (double)vfs.f_bsize;
        m->size = (double)vfs.f_blocks * bs;
        m->used = (double)(vfs.f_blocks - (vfs.f_bfree < vfs.f_blocks ? vfs.f_bfree : vfs.f_blocks)) * bs;
        m->avail = (double)vfs.f_bavail * bs;
    }
    free(buf);
}

/* A whole device is a directory of /sys/block ('/' in a name is '!' there). */
static int whole_device(const char *sys, const char *name)
{
    char path[4096], n[PMV_SYS_LABEL_MAX];
    snprintf(n, sizeof n, "%s", name);
    for (char *c = n; *c; c++)
        if (*c == '/') *c = '!';
    snprintf(path, sizeof path, "%s/block/%s", sys, n);
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* "major minor name reads merged sectors ms writes merged sectors ms
   in_flight io_ms ..." (proc_diskstats in the kernel's documentation). */
static void read_diskstats(const char *proc, const char *sys, pmv_sys *s)
{
    char *buf = slurp(proc, "diskstats"), *p = buf, *line;
    while ((line = next_line(&p)) != NULL && s->ndisk < PMV_SYS_DISKS_MAX) {
        char name[PMV_SYS_LABEL_MAX];
        int off = 0;
        unsigned maj, min;
        if (sscanf(line, "%u %u %127s %n", &maj, &min, name, &off) != 3 || off == 0) continue;
        double v[10];
        if (numbers(line + off, v, 10) < 10) continue;
        if (v[0] == 0 && v[4] == 0) continue;   /* never used */
        if (!whole_device(sys, name)) continue;
        pmv_sys_disk *d = &s->disk[s->ndisk++];
        snprintf(d->name, sizeof d->name, "%s", name);
        d->read_bytes = v[2] * 512;
        d->write_bytes = v[6] * 512;
        d->busy_ms = v[9];
    }
    free(buf);
}

/* Two header lines, then "  name: rx_bytes packets ... (8 fields) tx_bytes ...". */
static void read_netdev(const char *proc, pmv_sys *s)
{
    char *buf = slurp(proc, "net/dev"), *p = buf, *line;
    while ((line = next_line(&p)) != NULL && s->nnet < PMV_SYS_NETS_MAX) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        *colon = '\0';
        char *name = line;
        while (*name == ' ') name++;
        if (!*name || strchr(name, '|') || strcmp(name, "lo") == 0 || strlen(name) >= PMV_SYS_LABEL_MAX) continue;
        double v[9];
        if (numbers(colon + 1, v, 9) < 9) continue;
        if (v[0] == 0 && v[8] == 0) continue;
        pmv_sys_net *n = &s->net[s->nnet++];
        snprintf(n->name, sizeof n->name, "%s", name);
        n->rx_bytes = v[0];
        n->tx_bytes = v[8];
    }
    free(buf);
}

void pmv_sys_sample(pmv_sys *out)
{
    memset(out, 0, sizeof *out);
    out->t = pmv_mono_s();
    out->cpu.id = -1;
    out->cpu.busy = out->cpu.total = NAN;
    out->load1 = out->load5 = out->load15 = NAN;
    out->mem_total = out->mem_avail = out->swap_total = out->swap_free = NAN;
    out->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    const char *proc = root("PMV_PROC_ROOT", "/proc"), *sys = root("PMV_SYS_ROOT", "/sys");
    read_stat(proc, out);
    read_loadavg(proc, out);
    read_meminfo(proc, out);
    read_mounts(proc, out);
    read_diskstats(proc, sys, out);
    read_netdev(proc, out);
    out->ngpu = pmv_nvml_sample(out->gpu, PMV_SYS_GPUS_MAX);
}
