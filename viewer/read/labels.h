/* labels.h - split a series name into base name and Prometheus-style labels */
#ifndef PMV_LABELS_H
#define PMV_LABELS_H

#include <stddef.h>

typedef struct pmv_label {
    char *key;   /* malloc'd, NUL-terminated */
    char *value; /* malloc'd, escapes decoded */
} pmv_label;

/* Parses `base{k="v",k2="v2"}`. On success *base is the part before '{',
   *labels an stb_ds array of decoded pairs and *raw the text between the
   braces exactly as written (escapes kept). A name without '{' has no
   labels. Invalid label syntax is not an error: the whole name becomes the
   base and there are no labels (the name is still shown, just unsplit).
   Returns 1 if labels were parsed, 0 otherwise. All outputs are malloc'd. */
int pmv_labels_parse(const char *name, char **base, pmv_label **labels, char **raw);

/* The same, saying why: 1 labels parsed, 0 no '{' (no labels), -1 invalid
   label syntax with a one-line reason in why (outputs as for 0). The one
   parser of label text: series names and selectors both go through it.
   Thread safety: reentrant. */
int pmv_labels_parse_why(const char *name, char **base, pmv_label **labels, char **raw,
                         char *why, size_t whylen);

void pmv_labels_free(pmv_label *labels);

#endif
