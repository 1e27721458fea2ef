/* derived.h - figures derived from pairs of series

   Naming convention: two counters `P.hit` and `P.miss` (or `P.hits` and
   `P.misses`) with the same label set make a hit rate for P:
   hit / (hit + miss), over the window and since start. `cache.hit` and
   `cache.miss` give "cache hit rate"; `dns.hits{zone="a"}` and
   `dns.misses{zone="a"}` give "dns{zone="a"} hit rate". */
#ifndef PMV_DERIVED_H
#define PMV_DERIVED_H

#include "model/window.h"

typedef struct pmv_ratio {
    char name[2 * PM_SHM_NAME_MAX + 8]; /* "cache" or "dns{zone=\"a\"}" */
    double window_pct;    /* NAN when the window had neither */
    double total_pct;     /* NAN when neither ever counted */
    double window_rate;   /* (hit + miss) per second over the window */
} pmv_ratio;

/* Finds every hit/miss pair among the counters of wins (one window per
   series, as pmv_windows makes). Returns an stb_ds array sorted by name. */
pmv_ratio *pmv_find_ratios(const pmv_win *wins, ptrdiff_t n);

#endif
