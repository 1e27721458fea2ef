/* bench_parse.c - a small instrumented benchmark for `perfmon-view gate`

   Parses a generated buffer of CSV records (integers and decimals) again
   and again, timing every pass with PM_SCOPE("parse") and counting records.
   The knobs are environment variables, so a CI job (or a test) can make a
   deliberately slower build without recompiling:

     PARSE_PASSES=N      passes over the buffer (default 400)
     PARSE_SLOWDOWN=K    each pass does K times the work (default 1): a
                         stand-in for a regression that makes parsing K x slower
     PARSE_FAIL_EVERY=M  every M-th pass ends as an error (default 0: never)

   It also runs one pm_benchmark of a checksum and a PM_RESOURCE_SCOPE over
   the whole workload, so the gate's cpu_time and peak_rss rules have data.

   Run it under the gate:
     perfmon-view gate examples/gate.rules -- examples/bench_parse */
#define PERFMON_IMPLEMENTATION
#include "perfmon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS 2000

static char *make_input(size_t *len)
{
    size_t cap = RECORDS * 48 + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) { perror("malloc"); exit(1); }
    unsigned x = 12345;
    for (int i = 0; i < RECORDS; i++) {
        x = x * 1103515245u + 12345u;
        n += (size_t)snprintf(buf + n, cap - n, "%d,%u,%u.%02u,item%u\n", i, x % 100000u,
                              (x >> 8) % 1000u, (x >> 4) % 100u, x % 97u);
    }
    *len = n;
    return buf;
}

/* One pass: every field of every record; returns the records seen. */
static long parse_pass(const char *p, const char *end, double *acc)
{
    long records = 0;
    while (p < end) {
        char *next;
        long id = strtol(p, &next, 10);
        if (*next != ',') return -1;
        unsigned long v = strtoul(next + 1, &next, 10);
        if (*next != ',') return -1;
        double d = strtod(next + 1, &next);
        if (*next != ',') return -1;
        const char *nl = memchr(next, '\n', (size_t)(end - next));
        if (!nl) return -1;
        *acc += (double)id + (double)v + d + (double)(nl - next);
        p = nl + 1;
        records++;
    }
    return records;
}

static long env_long(const char *name, long dflt, long lo)
{
    const char *s = getenv(name);
    if (!s || !*s) return dflt;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < lo) {
        fprintf(stderr, "bench_parse: %s must be an integer >= %ld\n", name, lo);
        exit(2);
    }
    return v;
}

typedef struct checksum_arg {
    const char *buf;
    size_t len;
    unsigned long sum;
} checksum_arg;

static void checksum(void *arg)
{
    checksum_arg *a = arg;
    unsigned long h = 5381;
    for (size_t i = 0; i < a->len; i++) h = h * 33 + (unsigned char)a->buf[i];
    a->sum += h;
}

int main(void)
{
    long passes = env_long("PARSE_PASSES", 400, 1);
    long slowdown = env_long("PARSE_SLOWDOWN", 1, 1);
    long fail_every = env_long("PARSE_FAIL_EVERY", 0, 0);
    size_t len;
    char *buf = make_input(&len);
    double acc = 0;

    {
        PM_RESOURCE_SCOPE("workload");
        for (long i = 1; i <= passes; i++) {
            PM_SCOPE("parse");
            long records = 0;
            for (long k = 0; k < slowdown; k++) records = parse_pass(buf, buf + len, &acc);
            if (records < 0 || (fail_every > 0 && i % fail_every == 0)) PM_SCOPE_FAIL();
            PM_COUNT("records", (uint64_t)(records > 0 ? records : 0));
            PM_RECORD_BYTES("parse.bytes", (int64_t)len);
        }
    }

    checksum_arg ca = { buf, len, 0 };
    pm_benchmark_result r;
    if (pm_benchmark("checksum", checksum, &ca, 200, &r) != PM_OK) {
        fprintf(stderr, "bench_parse: pm_benchmark failed\n");
        return 1;
    }
    printf("bench_parse: %ld passes x %d records (slowdown %ld), checksum p50 %llu ns, acc %.0f\n",
           passes, RECORDS, slowdown, (unsigned long long)r.p50_ns, acc + (double)(ca.sum % 7));
    free(buf);
    return 0;
}
