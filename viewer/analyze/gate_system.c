/* gate_system.c - gate rules on the machine's figures */
#include "analyze/gate_system.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <stb_ds.h>

#include "out/escape.h"

static pmv_lunit lunit_of(pmv_sys_unit u)
{
    switch (u) {
    case PMV_SU_PERCENT: return PMV_LU_PERCENT;
    case PMV_SU_BYTES: return PMV_LU_BYTES;
    case PMV_SU_BYTES_PER_S: return PMV_LU_BYTES_PER_SECOND;
    default: return PMV_LU_NONE;
    }
}

/* 1 if rule term t selects figure x: its exact name, or its base with
   labels that include the rule's. */
static int selects(const pmv_rule *r, const pmv_sys_figure *x)
{
    if (strcmp(x->def->name, r->term.base) != 0) return 0;
    if (!r->term.braces && arrlen(r->term.labels) == 0) {
        /* a bare name: its unlabelled figure when there is one (the CPU total) */
        if (r->system->label == NULL) return x->def->label == NULL;
        return x->def == r->system;
    }
    if (x->def != r->system || !x->def->label) return 0;
    pmv_label one = { (char *)x->def->label, (char *)x->label };
    pmv_label *labels = NULL;
    arrput(labels, one);
    int hit = pmv_sel_term_match(&r->term, x->name, x->def->name, labels);
    arrfree(labels);
    return hit;
}

int pmv_gate_measure_system(const pmv_rule *r, const pmv_sys_figure *f, int n, pmv_measure *m)
{
    memset(m, 0, sizeof *m);
    m->unit = lunit_of(r->system->unit);
    double v = NAN;
    int unknown = 0;
    for (int i = 0; i < n; i++) {
        if (!selects(r, &f[i])) continue;
        m->nmatch++;
        if (isnan(f[i].value)) { unknown++; continue; }
        if (isnan(v)) v = f[i].value;
        else v = r->system->summed ? v + f[i].value : fmax(v, f[i].value);
    }
    if (m->nmatch && !unknown) {
        m->ok = 1;
        m->value = v;
        return 1;
    }
    /* name what the machine has, so a typo in a mount or device shows */
    char have[200] = "";
    int shown = 0;
    for (int i = 0; i < n && r->system->label; i++) {
        if (f[i].def != r->system) continue;
        if (shown++ == 5) { strncat(have, ", ...", sizeof have - strlen(have) - 1); break; }
        char label[PMV_SYS_LABEL_MAX];   /* names from the system: shown safely */
        pmv_printable(f[i].label, label, sizeof label);
        snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", shown > 1 ? ", " : "", label);
    }
    if (m->nmatch)
        snprintf(m->why, sizeof m->why, "'%s' could not be measured over this run (%s)", r->selector,
                 r->system->level ? "the machine does not tell"
                                  : "a run shorter than a clock tick of /proc shows no time spent");
    else if (have[0])
        snprintf(m->why, sizeof m->why, "'%s' is not available on this machine (%s here: %s)", r->selector,
                 r->system->label, have);
    else
        snprintf(m->why, sizeof m->why, "'%s' is not available on this machine%s", r->selector,
                 strncmp(r->system->name, "system.gpu.", 11) == 0 ? " (no GPU: NVML did not load)" : "");
    return 0;
}
