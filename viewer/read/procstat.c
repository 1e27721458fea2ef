/* procstat.c - /proc/PID sampling */
#include "read/procstat.h"
#include "base/clock.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Reads a small /proc file whole (NUL-terminated). Returns bytes or -1. */
static long read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = 0;
    while (n + 1 < len) {
        ssize_t r = read(fd, buf + n, len - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return (long)n;
}

/* Value of "key:" in a "key: value" file such as status or io; NAN if absent. */
static double field(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
            char *end;
            double v = strtod(p + kl + 1, &end);
            return end == p + kl + 1 ? NAN : v;
        }
    }
    return NAN;
}

static double clk_tck(void)
{
    static double hz;
    if (hz == 0) {
        long v = sysconf(_SC_CLK_TCK);
        hz = v > 0 ? (double)v : 100;
    }
    return hz;
}

int pmv_proc_sample(int pid, pmv_proc *out)
{
    char path[64], buf[4096];
    memset(out, 0, sizeof *out);
    out->t = pmv_mono_s();
    out->state = '?';
    out->utime = out->stime = out->start_s = NAN;
    out->rss = out->vms = out->hwm = NAN;
    out->rchar = out->wchar = out->read_bytes = out->write_bytes = NAN;
    out->threads = out->fds = -1;

    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (read_small(path, buf, sizeof buf) > 0) {
        /* "pid (comm) state ppid ...": comm may hold spaces and ')' */
        char *open_p = strchr(buf, '('), *close_p = strrchr(buf, ')');
        if (open_p && close_p && close_p > open_p) {
            out->exists = 1;
            size_t n = (size_t)(close_p - open_p - 1);
            if (n >= sizeof out->comm) n = sizeof out->comm - 1;
            memcpy(out->comm, open_p + 1, n);
            out->comm[n] = '\0';
            /* fields after comm, numbered as in proc(5): 3 is state */
            char *save = NULL, *tok = strtok_r(close_p + 1, " \n", &save);
            for (int f = 3; tok; f++, tok = strtok_r(NULL, " \n", &save)) {
                if (f == 3) out->state = tok[0];
                else if (f == 14) out->utime = strtod(tok, NULL) / clk_tck();
                else if (f == 15) out->stime = strtod(tok, NULL) / clk_tck();
                else if (f == 20) out->threads = strtol(tok, NULL, 10);
                else if (f == 22) { out->start_s = strtod(tok, NULL) / clk_tck(); break; }
            }
        }
    }
    if (!out->exists) return 0;

    snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (read_small(path, buf, sizeof buf) > 0) {
        out->rss = field(buf, "VmRSS") * 1024;
        out->vms = field(buf, "VmSize") * 1024;
        out->hwm = field(buf, "VmHWM") * 1024;
        double th = field(buf, "Threads");
        if (!isnan(th)) out->threads = (long)th;
    }

    snprintf(path, sizeof path, "/proc/%d/io", pid);
    if (read_small(path, buf, sizeof buf) > 0) {
        out->rchar = field(buf, "rchar");
        out->wchar = field(buf, "wchar");
        out->read_bytes = field(buf, "read_bytes");
        out->write_bytes = field(buf, "write_bytes");
    }

    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    DIR *d = opendir(path);
    if (d) {
        long n = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (de->d_name[0] != '.') n++;
        closedir(d);
        out->fds = n;
    }
    return 1;
}

static double rate(double a, double b, double dt)
{
    if (isnan(a) || isnan(b) || dt <= 0 || b < a) return NAN;
    return (b - a) / dt;
}

void pmv_proc_rates_between(const pmv_proc *a, const pmv_proc *b, pmv_proc_rates *r)
{
    double dt = b->t - a->t;
    r->user_pct = rate(a->utime, b->utime, dt) * 100;
    r->sys_pct = rate(a->stime, b->stime, dt) * 100;
    r->cpu_pct = r->user_pct + r->sys_pct;
    r->rchar_ps = rate(a->rchar, b->rchar, dt);
    r->wchar_ps = rate(a->wchar, b->wchar, dt);
}

void pmv_proc_rates_since_start(const pmv_proc *p, pmv_proc_rates *r)
{
    char buf[128];
    double up = NAN;
    if (read_small("/proc/uptime", buf, sizeof buf) > 0) up = strtod(buf, NULL);
    double dt = up - p->start_s;
    r->user_pct = dt > 0 ? p->utime / dt * 100 : NAN;
    r->sys_pct = dt > 0 ? p->stime / dt * 100 : NAN;
    r->cpu_pct = r->user_pct + r->sys_pct;
    r->rchar_ps = dt > 0 ? p->rchar / dt : NAN;
    r->wchar_ps = dt > 0 ? p->wchar / dt : NAN;
}

uint64_t pmv_proc_start_ticks(int pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (read_small(path, buf, sizeof buf) <= 0) return 0;
    /* fields after comm, which may hold spaces and ')': count from the last ')' */
    const char *p = strrchr(buf, ')');
    if (!p) return 0;
    p++;
    while (*p == ' ') p++;
    if (*p == 'Z' || *p == 'X') return 0;   /* a zombie is no process: it cannot have exec'd */
    for (int field = 3; field < 22; field++) {   /* p at field 3: skip to field 22 */
        while (*p && *p != ' ') p++;
        while (*p == ' ') p++;
        if (!*p) return 0;
    }
    while (*p == ' ') p++;
    if (*p < '0' || *p > '9') return 0;
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    return (*end == ' ' || *end == '\n' || *end == '\0') ? (uint64_t)v : 0;
}
