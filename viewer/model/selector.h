/* selector.h - which series a command works on: one syntax for every command

   A selector is a list of terms; a series is selected when any term
   matches it (an empty list selects every series). A term is one of
       req.latency{route="/users",method="GET"}   a full name
       req.latency                                a base name: all its label sets
       req.*   'http.[a-c]*'                      a glob (fnmatch) on the full
                                                  name and on the base name
       req.latency{route="/users"}                a partial label set: series of
                                                  that base whose labels include
                                                  every pair given (any order)
       req.*{route="/users"}                      the same with a glob base
   Label values are compared exactly after unescaping (\" \\ \n), so
   route="/b\"q" matches the value /b"q. Blanks between label pairs
   (outside quotes) are dropped. Label text goes through the one label
   parser (read/labels.h); a malformed term is refused with a one-line
   reason (README.md, "Selecting series"). */
#ifndef PMV_SELECTOR_H
#define PMV_SELECTOR_H

#include <stddef.h>

#include "read/labels.h"
#include "read/segment.h"

typedef struct pmv_sel_term {
    char *text;          /* as given, blanks between label pairs dropped */
    char *base;          /* the part before '{': a name or a glob */
    int glob;            /* base holds '*', '?' or '[': matched with fnmatch */
    int braces;          /* written with a label set (maybe empty: base{}) */
    pmv_label *labels;   /* stb_ds array of the wanted pairs */
} pmv_sel_term;

typedef struct pmv_selector {
    pmv_sel_term *terms; /* stb_ds array; none: every series is selected */
} pmv_selector;

/* Parses one term. Returns 0, or -1 with "bad selector 'TEXT': why" in
   err (t left empty). Thread safety: reentrant. */
int pmv_sel_term_parse(const char *text, pmv_sel_term *t, char *err, size_t errlen);

void pmv_sel_term_free(pmv_sel_term *t);

/* 1 if term t selects the series called name (base and decoded labels as
   the label parser split it). Taking the parts, not a pmv_series, lets
   baseline entries be matched too. Thread safety: reentrant. */
int pmv_sel_term_match(const pmv_sel_term *t, const char *name, const char *base,
                       const pmv_label *labels);

/* 1 if t's base part (name or glob) matches base, labels aside: what a
   near-miss message ("the name exists, not those labels") needs. */
int pmv_sel_term_match_base(const pmv_sel_term *t, const char *base);

/* A copy of t whose base has suffix appended (gate's N.cpu_user of a rule
   on N); its labels are copied. Free with pmv_sel_term_free. */
void pmv_sel_term_suffixed(const pmv_sel_term *t, const char *suffix, pmv_sel_term *out);

/* Adds one term to sel. 0, or -1 with the reason in err (sel unchanged). */
int pmv_selector_add(pmv_selector *sel, const char *text, char *err, size_t errlen);

/* Parses n texts into sel (zeroed first). 0, or -1 with the first bad
   term's reason in err and sel empty. Thread safety: reentrant. */
int pmv_selector_compile(pmv_selector *sel, const char *const *texts, ptrdiff_t n,
                         char *err, size_t errlen);

void pmv_selector_free(pmv_selector *sel);

/* 1 if sel selects s (always, when sel has no terms). */
int pmv_selector_match(const pmv_selector *sel, const pmv_series *s);

/* What a selector picked from one snapshot. */
typedef struct pmv_selection {
    const pmv_series **series; /* stb_ds array of pointers into the snapshot, its order */
    size_t *hits;              /* stb_ds array: series each term matched */
    const char **unmatched;    /* stb_ds array: text of every term that matched nothing */
} pmv_selection;

/* Fills out (zeroed first) from snap. The commands name each unmatched
   term ("nothing matched 'x'") and exit 2 when nothing at all matched. */
void pmv_selector_filter(const pmv_selector *sel, const pmv_snapshot *snap, pmv_selection *out);

void pmv_selection_free(pmv_selection *sel);

/* Drops from snap every series sel does not select (the snapshot then
   holds the selection: writers of whole snapshots need no change). Each
   term that matched nothing is appended to *unmatched (stb_ds array of
   term texts, owned by sel), when unmatched is not NULL. */
void pmv_selector_keep(const pmv_selector *sel, pmv_snapshot *snap, const char ***unmatched);

#endif
