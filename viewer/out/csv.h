/* csv.h - RFC 4180 fields: one writer for every CSV the viewer prints

   Text fields are quoted when they hold a comma, a quote, CR, LF or edge
   spaces; text that a spreadsheet would run as a formula (a first
   character of = + - @, TAB or CR) is quoted and led by a single quote
   (OWASP's advice); control characters and invalid UTF-8 from a segment
   are written as '?' (out/escape.h). Numbers are never altered. */
#ifndef PMV_CSV_H
#define PMV_CSV_H

#include <stdint.h>
#include <stdio.h>

/* One text field (no separator). */
void pmv_csv_text(FILE *f, const char *s);

/* One number field: pmv_fmt_fixed's digits; empty for NAN. */
void pmv_csv_num(FILE *f, double v);

void pmv_csv_u64(FILE *f, uint64_t v);
void pmv_csv_i64(FILE *f, int64_t v);

#endif
