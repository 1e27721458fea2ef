/* table.h - plain-text tables with columns sized to their content */
#ifndef PMV_TABLE_H
#define PMV_TABLE_H

#include <stdio.h>

typedef struct pmv_table {
    int ncols;
    const char **heads;
    const char *align;  /* per column: 'l' or 'r' */
    char ***rows;       /* stb_ds array of rows, each ncols malloc'd strings */
} pmv_table;

void pmv_table_init(pmv_table *t, int ncols, const char **heads, const char *align);
/* Appends a row; cells are copied. NULL prints as "-". */
void pmv_table_add(pmv_table *t, const char **cells);
/* Prints with two spaces between columns; bold header if asked. The last
   column is not padded, so lines carry no trailing blanks. */
void pmv_table_print(const pmv_table *t, FILE *f, int bold);
void pmv_table_free(pmv_table *t);

#endif
