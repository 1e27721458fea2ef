/* escape.c - making untrusted bytes safe for terminals and files */
#define _XOPEN_SOURCE 700
#include "out/escape.h"
#include "base/utf8.h"

#include <locale.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

static int locale_ok;

void pmv_escape_init(void)
{
    /* only LC_CTYPE: numbers keep the C locale's '.' */
    locale_ok = setlocale(LC_CTYPE, "C.UTF-8") != NULL || setlocale(LC_CTYPE, "en_US.UTF-8") != NULL;
}

/* What a terminal would obey rather than show: C0, DEL, C1 (CSI among
   them), and the bidi controls that reorder the rest of the line. */
int pmv_control_char(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x061c || c == 0x200e || c == 0x200f ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

char *pmv_printable(const char *s, char *buf, size_t len)
{
    size_t o = 0;
    if (len == 0) return buf;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = pmv_utf8_len(p);
        if (n == 0 || pmv_control_char(pmv_utf8_decode(p, n))) {
            if (o + 1 >= len) break;
            buf[o++] = '?';
            p += n ? n : 1;
            continue;
        }
        if (o + (size_t)n >= len) break;
        memcpy(buf + o, p, (size_t)n);
        o += (size_t)n;
        p += n;
    }
    buf[o] = '\0';
    return buf;
}

char *pmv_escape(const char *s, char *buf, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (len == 0) return buf;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = *p >= 0x20 && *p < 0x7f && *p != '\\';
        if (o + (plain ? 1u : 4u) >= len) break;
        if (plain) { buf[o++] = (char)*p; continue; }
        buf[o++] = '\\';
        buf[o++] = 'x';
        buf[o++] = hex[*p >> 4];
        buf[o++] = hex[*p & 15];
    }
    buf[o] = '\0';
    return buf;
}

int pmv_char_width(const unsigned char *p, int n)
{
    if (n <= 1) return 1;
    if (!locale_ok) return 1;
    int w = wcwidth((wchar_t)pmv_utf8_decode(p, n));
    return w < 0 ? 1 : w;
}

int pmv_display_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = pmv_utf8_len(p);
        if (n == 0) n = 1;
        w += pmv_char_width(p, n);
        p += n;
    }
    return w;
}

size_t pmv_head_bytes(const char *s, int cols)
{
    const unsigned char *p = (const unsigned char *)s;
    int w = 0;
    while (*p) {
        int n = pmv_utf8_len(p);
        if (n == 0) n = 1;
        int cw = pmv_char_width(p, n);
        if (w + cw > cols) break;
        w += cw;
        p += n;
    }
    return (size_t)(p - (const unsigned char *)s);
}

const char *pmv_tail(const char *s, int cols)
{
    /* walk forward, dropping heads until the rest fits */
    const char *t = s;
    while (*t && pmv_display_width(t) > cols) {
        int n = pmv_utf8_len((const unsigned char *)t);
        t += n ? n : 1;
    }
    return t;
}
