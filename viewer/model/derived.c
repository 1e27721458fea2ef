/* derived.c - hit rates from hit/miss counter pairs */
#include "model/derived.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

/* Splits "P.hit{labels}" into prefix "P" and labels "{labels}" when the
   last dot-component of the base is `suffix`. */
static int split(const pmv_series *s, const char *suffix, char *prefix, size_t plen)
{
    size_t bl = strlen(s->base), sl = strlen(suffix);
    if (bl <= sl + 1 || s->base[bl - sl - 1] != '.' || strcmp(s->base + bl - sl, suffix) != 0) return 0;
    snprintf(prefix, plen, "%.*s", (int)(bl - sl - 1), s->base);
    return 1;
}

static int cmp_ratio(const void *a, const void *b)
{
    return strcmp(((const pmv_ratio *)a)->name, ((const pmv_ratio *)b)->name);
}

static void label_part(const pmv_series *s, char *buf, size_t len)
{
    if (s->labels_raw && s->labels_raw[0]) snprintf(buf, len, "{%s}", s->labels_raw);
    else buf[0] = '\0';
}

pmv_ratio *pmv_find_ratios(const pmv_win *wins, ptrdiff_t n)
{
    static const char *const pairs[][2] = { { "hit", "miss" }, { "hits", "misses" } };
    pmv_ratio *out = NULL;
    for (ptrdiff_t i = 0; i < n; i++) {
        const pmv_series *h = wins[i].s;
        if (h->kind != PM_SHM_KIND_COUNTER) continue;
        for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
            char prefix[PM_SHM_NAME_MAX + 2], lab_h[PM_SHM_NAME_MAX + 2];
            if (!split(h, pairs[p][0], prefix, sizeof prefix)) continue;
            label_part(h, lab_h, sizeof lab_h);
            for (ptrdiff_t j = 0; j < n; j++) {
                const pmv_series *m = wins[j].s;
                char mprefix[PM_SHM_NAME_MAX + 2], lab_m[PM_SHM_NAME_MAX + 2];
                if (m->kind != PM_SHM_KIND_COUNTER || !split(m, pairs[p][1], mprefix, sizeof mprefix)) continue;
                label_part(m, lab_m, sizeof lab_m);
                if (strcmp(prefix, mprefix) != 0 || strcmp(lab_h, lab_m) != 0) continue;
                pmv_ratio r;
                memset(&r, 0, sizeof r);
                snprintf(r.name, sizeof r.name, "%s%s", prefix, lab_h);
                uint64_t wh = wins[i].count, wm = wins[j].count;
                r.window_pct = wh + wm ? 100.0 * (double)wh / (double)(wh + wm) : NAN;
                r.total_pct = h->count + m->count ? 100.0 * (double)h->count / (double)(h->count + m->count) : NAN;
                r.window_rate = wins[i].seconds > 0 ? (double)(wh + wm) / wins[i].seconds : NAN;
                arrput(out, r);
                break;
            }
        }
    }
    if (arrlen(out) > 1) qsort(out, (size_t)arrlen(out), sizeof *out, cmp_ratio);
    return out;
}
