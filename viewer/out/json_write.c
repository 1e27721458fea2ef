/* json_write.c - writing JSON strings and numbers */
#include "out/json_write.h"

#include <math.h>

#include "base/units.h"
#include "base/utf8.h"
#include "out/escape.h"

static void put_str(FILE *f, const char *str, int keep_bytes)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', f);
    while (*s) {
        if (*s == '"' || *s == '\\') { fprintf(f, "\\%c", *s++); continue; }
        if (*s < 0x20 || *s == 0x7f) { fprintf(f, "\\u%04x", *s++); continue; }
        int n = keep_bytes ? 1 : pmv_utf8_len(s);
        if (n == 0) { fputs("\\ufffd", f); s++; continue; }
        /* C1 and bidi controls as escapes: the same string to a parser,
           harmless to a terminal that shows the file */
        if (n > 1 && pmv_control_char(pmv_utf8_decode(s, n))) {
            fprintf(f, "\\u%04x", (unsigned)pmv_utf8_decode(s, n));
            s += n;
            continue;
        }
        fwrite(s, 1, (size_t)n, f);
        s += n;
    }
    fputc('"', f);
}

void pmv_json_str(FILE *f, const char *s) { put_str(f, s, 0); }

void pmv_json_str_bytes(FILE *f, const char *s) { put_str(f, s, 1); }

void pmv_json_num(FILE *f, double v, int digits)
{
    if (!isfinite(v)) fputs("null", f);
    else if (v == floor(v) && fabs(v) < 9e15) fprintf(f, "%.0f", v);
    else fprintf(f, "%.*g", digits, v);
}

void pmv_json_fixed(FILE *f, double v)
{
    char buf[64];
    fputs(isfinite(v) ? pmv_fmt_fixed(v, buf, sizeof buf) : "null", f);
}
