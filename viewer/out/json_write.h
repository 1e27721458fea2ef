/* json_write.h - writing JSON strings and numbers (json.h is the reader) */
#ifndef PMV_JSON_WRITE_H
#define PMV_JSON_WRITE_H

#include <stdio.h>

/* A quoted JSON string: " and \ escaped, control characters (C0, DEL, C1,
   bidi controls) as \uXXXX,
   invalid UTF-8 bytes as \ufffd, so the output is always valid UTF-8.
   Thread safety: as safe as writing to f. */
void pmv_json_str(FILE *f, const char *s);

/* Like pmv_json_str, but bytes >= 0x80 pass through unchanged: the reader
   gets the very same bytes back, which matters for names that are matched
   byte for byte (baselines). The output is valid UTF-8 only if s is. */
void pmv_json_str_bytes(FILE *f, const char *s);

/* A JSON number: whole values below 9e15 exactly ("12"), others with
   `digits` significant digits (%.*g), non-finite values as null. */
void pmv_json_num(FILE *f, double v, int digits);

/* A figure of the one series schema (out/series_out.h): pmv_fmt_fixed's
   digits, null for NAN. */
void pmv_json_fixed(FILE *f, double v);

#endif
