/* csv.c - RFC 4180 fields, safe for spreadsheets and terminals */
#include "out/csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "out/escape.h"

void pmv_csv_text(FILE *f, const char *s)
{
    size_t n = strlen(s);
    char stack[512];
    char *clean = n < sizeof stack ? stack : malloc(n + 1);
    if (!clean) abort();
    pmv_printable(s, clean, n + 1);
    int formula = strchr("=+-@\t\r", clean[0]) != NULL && clean[0] != '\0';
    int quote = formula || strpbrk(clean, ",\"\r\n") != NULL || clean[0] == ' ' ||
                (n > 0 && clean[strlen(clean) - 1] == ' ');
    if (!quote) {
        fputs(clean, f);
    } else {
        fputc('"', f);
        if (formula) fputc('\'', f);
        for (const char *p = clean; *p; p++) {
            if (*p == '"') fputc('"', f);
            fputc(*p, f);
        }
        fputc('"', f);
    }
    if (clean != stack) free(clean);
}

void pmv_csv_num(FILE *f, double v)
{
    char buf[64];
    if (isfinite(v)) fputs(pmv_fmt_fixed(v, buf, sizeof buf), f);
}

void pmv_csv_u64(FILE *f, uint64_t v) { fprintf(f, "%llu", (unsigned long long)v); }

void pmv_csv_i64(FILE *f, int64_t v) { fprintf(f, "%lld", (long long)v); }
