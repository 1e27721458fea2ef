/* merge.c - adds a second segment of the same process into a snapshot */
#include "read/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

static void add_series(pmv_series *d, pmv_series *s)
{
    int d_ever = d->count || d->base_count;   /* d's all-time range means something */
    if (s->count || s->base_count) {
        if (!d_ever || s->all_min < d->all_min) d->all_min = s->all_min;
        if (!d_ever || s->all_max > d->all_max) d->all_max = s->all_max;
    }
    if (s->count) {
        if (!d->count || s->min < d->min) d->min = s->min;
        if (!d->count || s->max > d->max) d->max = s->max;
    }
    d->count += s->count;
    d->sum += s->sum;
    d->errors += s->errors;
    d->slow += s->slow;
    d->gauge = (int64_t)((uint64_t)d->gauge + (uint64_t)s->gauge);   /* wraps like the writer's adds */
    d->hist_total += s->hist_total;
    d->torn_cells += s->torn_cells;
    pmv_bin *bins = pmv_bins_add(d->bins, s->bins);
    arrfree(d->bins);
    d->bins = bins;
    /* each copy resets its own segment: the bases add up like the cells */
    d->resets += s->resets;
    if (s->reset_ns > d->reset_ns) d->reset_ns = s->reset_ns;
    d->base_count += s->base_count;
    d->base_sum += s->base_sum;
    d->base_errors += s->base_errors;
    d->base_slow += s->base_slow;
    bins = pmv_bins_add(d->base_bins, s->base_bins);
    arrfree(d->base_bins);
    d->base_bins = bins;
}

static void append_line(char *dst, size_t cap, const char *text)
{
    size_t used = strlen(dst);
    if (!*text || strstr(dst, text)) return;
    snprintf(dst + used, cap - used, "%s%s", used && dst[used - 1] != '\n' ? "\n" : "", text);
}

void pmv_snapshot_merge(pmv_snapshot *dst, pmv_snapshot *src)
{
    struct { char *key; ptrdiff_t value; } *byname = NULL;
    sh_new_arena(byname);
    for (ptrdiff_t i = 0; i < arrlen(dst->series); i++) shput(byname, dst->series[i].name, i);
    uint32_t offset = dst->max_series;   /* src's record numbers follow dst's */
    for (ptrdiff_t i = 0; i < arrlen(src->series); i++) {
        pmv_series *s = &src->series[i];
        ptrdiff_t at = shgeti(byname, s->name);
        if (at >= 0 && dst->series[byname[at].value].kind == s->kind) {
            add_series(&dst->series[byname[at].value], s);
            pmv_series_free(s);
            continue;
        }
        if (at >= 0) {                    /* one name, two kinds: no sum means anything */
            if (!dst->series_damaged++)
                snprintf(dst->damage_first, sizeof dst->damage_first,
                         "a series is a %s in one copy of perfmon and a %s in another",
                         pmv_kind_str(dst->series[byname[at].value].kind), pmv_kind_str(s->kind));
            pmv_series_free(s);
            continue;
        }
        s->index += offset;
        arrput(dst->series, *s);
        memset(s, 0, sizeof *s);
    }
    shfree(byname);
    arrfree(src->series);
    src->series = NULL;

    dst->max_series += src->max_series;
    dst->max_threads += src->max_threads;
    dst->series_count += src->series_count;
    dst->threads_used += src->threads_used;
    dst->threads_active += src->threads_active;
    dst->series_pending += src->series_pending;
    dst->series_damaged += src->series_damaged;
    dst->torn_cells += src->torn_cells;
    dst->arena_size += src->arena_size;
    dst->arena_used += src->arena_used;
    dst->total_size += src->total_size;
    dst->dropped += src->dropped;
    dst->dropped_series_full += src->dropped_series_full;
    dst->dropped_threads_full += src->dropped_threads_full;
    dst->dropped_bad_name += src->dropped_bad_name;
    dst->dropped_kind_mismatch += src->dropped_kind_mismatch;
    dst->dropped_no_memory += src->dropped_no_memory;
    dst->dropped_hist += src->dropped_hist;
    dst->dropped_unit_mismatch += src->dropped_unit_mismatch;
    dst->dropped_negative += src->dropped_negative;
    dst->overflow_threads += src->overflow_threads;
    dst->writers += src->writers;
    dst->copies += src->copies ? src->copies : 1;
    dst->alive = dst->alive || src->alive;
    if (src->start_realtime_ns && src->start_realtime_ns < dst->start_realtime_ns)
        dst->start_realtime_ns = src->start_realtime_ns;
    append_line(dst->config_errors, sizeof dst->config_errors, src->config_errors);
    for (uint32_t i = 0; i < src->ndrops && dst->ndrops < PM_SHM_DROP_NOTES; i++)
        dst->drops[dst->ndrops++] = src->drops[i];
}
