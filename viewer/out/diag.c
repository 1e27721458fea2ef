/* diag.c - the writer's own diagnostics, printed and as JSON */
#include "out/diag.h"

#include <string.h>

#include "out/escape.h"
#include "out/json_write.h"
#include "base/units.h"

const char *pmv_drop_reason_str(uint32_t reason)
{
    switch (reason) {
    case PM_SHM_DROP_SERIES_FULL: return "series full";
    case PM_SHM_DROP_BAD_NAME: return "bad name";
    case PM_SHM_DROP_KIND_MISMATCH: return "kind mismatch";
    case PM_SHM_DROP_UNIT_MISMATCH: return "unit mismatch";
    case PM_SHM_DROP_NEGATIVE: return "negative increment";
    case PM_SHM_DROP_NO_MEMORY: return "no memory";
    default: return "?";
    }
}

const char *pmv_drop_reason_key(uint32_t reason)
{
    switch (reason) {
    case PM_SHM_DROP_SERIES_FULL: return "series_full";
    case PM_SHM_DROP_BAD_NAME: return "bad_name";
    case PM_SHM_DROP_KIND_MISMATCH: return "kind_mismatch";
    case PM_SHM_DROP_UNIT_MISMATCH: return "unit_mismatch";
    case PM_SHM_DROP_NEGATIVE: return "negative";
    case PM_SHM_DROP_NO_MEMORY: return "no_memory";
    default: return "unknown";
    }
}

char *pmv_end_detail(const pmv_snapshot *snap, char *buf, size_t len)
{
    uint64_t seen = pmv_snapshot_last_seen_ns(snap), now = pmv_realtime_ns();
    const char *sig = NULL;
    char how[48] = "";
    if (snap->end_how == PM_SHM_END_EXIT && snap->state == PM_SHM_STATE_EXITED)
        snprintf(how, sizeof how, "exit status %u", (unsigned)(snap->end_code & 0xff));
    else if (snap->end_how == PM_SHM_END_SIGNAL && !snap->alive) {
        if (snap->end_code >= 1 && snap->end_code < 65) sig = sigabbrev_np((int)snap->end_code);
        if (sig) snprintf(how, sizeof how, "killed by SIG%s", sig);
        else snprintf(how, sizeof how, "killed by signal %u", (unsigned)snap->end_code);
    } else if (snap->end_how == PM_SHM_END_UNSEEN && !snap->alive)
        snprintf(how, sizeof how, "fork child, exit status not seen");
    buf[0] = '\0';
    if (seen) {
        char age[32];
        pmv_fmt_age(now > seen ? now - seen : 0, age, sizeof age);
        snprintf(buf, len, "%s%slast seen %s ago", how, how[0] ? ", " : "", age);
    } else snprintf(buf, len, "%s", how);
    return buf;
}

/* The next line of config_errors into line (without its '\n'); 0 at the end. */
static int next_line(const char **p, char line[PM_SHM_CONFIG_ERRORS_MAX])
{
    while (**p == '\n') (*p)++;
    if (!**p) return 0;
    const char *nl = strchr(*p, '\n');
    size_t n = nl ? (size_t)(nl - *p) : strlen(*p);
    if (n >= PM_SHM_CONFIG_ERRORS_MAX) n = PM_SHM_CONFIG_ERRORS_MAX - 1;
    memcpy(line, *p, n);
    line[n] = '\0';
    *p += n;
    return 1;
}

void pmv_print_diagnostics(const pmv_snapshot *snap, FILE *f)
{
    char esc[4 * PM_SHM_CONFIG_ERRORS_MAX];
    if (snap->execed)
        fprintf(f, "note: this is the image before exec(); pid %u runs on as another program\n", (unsigned)snap->pid);
    if (snap->flags & PM_SHM_FLAG_FORK_CHILD)
        fprintf(f, "note: a fork() child of pid %u\n", (unsigned)snap->parent_pid);
    if (snap->other_pid_ns)
        fprintf(f, "note: the writer is in another pid namespace: pid %u is its pid there, and /proc/%u here is not it\n",
                (unsigned)snap->pid, (unsigned)snap->pid);
    if (snap->copies > 1)
        fprintf(f, "note: %u copies of perfmon in this process wrote %u segments, read together\n",
                (unsigned)snap->writers, (unsigned)snap->copies);
    if (snap->overflow_threads)
        fprintf(f, "note: %llu threads beyond the %u thread slots recorded through the shared slot (exact, slower)\n",
                (unsigned long long)snap->overflow_threads, (unsigned)snap->max_threads);
    char line[PM_SHM_CONFIG_ERRORS_MAX];
    for (const char *p = snap->config_errors; next_line(&p, line);)
        fprintf(f, "warning: %s\n", pmv_escape(line, esc, sizeof esc));
    for (uint32_t i = 0; i < snap->ndrops; i++) {
        const pmv_drop_note *d = &snap->drops[i];
        size_t kept = strlen(d->name);
        fprintf(f, "dropped: \"%s\"%s (%s)\n", pmv_escape(d->name, esc, sizeof esc),
                d->name_len > kept ? "..." : "", pmv_drop_reason_str(d->reason));
    }
}

static void json_u64(FILE *f, uint64_t v) { fprintf(f, "%llu", (unsigned long long)v); }

void pmv_json_diagnostics(const pmv_snapshot *snap, FILE *f)
{
    static const struct { uint32_t bit; const char *name; } flag_names[] = {
        { PM_SHM_FLAG_FORK_CHILD, "fork_child" }, { PM_SHM_FLAG_EXECED, "execed" },
        { PM_SHM_FLAG_ALT_NAME, "alt_name" },
    };
    fputs(", \"flags\": [", f);
    int n = 0;
    for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
        if ((snap->flags & flag_names[i].bit) || (flag_names[i].bit == PM_SHM_FLAG_EXECED && snap->execed))
            fprintf(f, "%s\"%s\"", n++ ? ", " : "", flag_names[i].name);
    if (snap->other_pid_ns) fprintf(f, "%s\"other_pid_namespace\"", n++ ? ", " : "");
    fputs("], \"parent_pid\": ", f); json_u64(f, snap->parent_pid);
    fputs(", \"writers\": ", f); json_u64(f, snap->writers);
    fputs(", \"segments\": ", f); json_u64(f, snap->copies ? snap->copies : 1);
    fputs(", \"overflow_threads\": ", f); json_u64(f, snap->overflow_threads);
    fputs(", \"last_heartbeat_realtime_ns\": ", f); json_u64(f, snap->heartbeat_realtime_ns);
    fputs(", \"exit_status\": ", f);
    if (snap->end_how == PM_SHM_END_EXIT && snap->state == PM_SHM_STATE_EXITED) json_u64(f, snap->end_code & 0xff);
    else fputs("null", f);
    fputs(", \"exit_signal\": ", f);
    if (snap->end_how == PM_SHM_END_SIGNAL && !snap->alive) json_u64(f, snap->end_code);
    else fputs("null", f);
    fputs(", \"config_errors\": [", f);
    n = 0;
    char line[PM_SHM_CONFIG_ERRORS_MAX];
    for (const char *p = snap->config_errors; next_line(&p, line);) {
        fputs(n++ ? ", " : "", f);
        pmv_json_str(f, line);
    }
    fputs("], \"dropped_names\": [", f);
    for (uint32_t i = 0; i < snap->ndrops; i++) {
        const pmv_drop_note *d = &snap->drops[i];
        fputs(i ? ", {\"name\": " : "{\"name\": ", f);
        pmv_json_str(f, d->name);
        fprintf(f, ", \"name_len\": %u, \"reason\": \"%s\"}", (unsigned)d->name_len, pmv_drop_reason_key(d->reason));
    }
    fputc(']', f);
}
