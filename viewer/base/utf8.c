/* utf8.c - validating one UTF-8 sequence */
#include "base/utf8.h"

#include <stdint.h>

int pmv_utf8_len(const unsigned char *s)
{
    int n;
    uint32_t cp;
    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) { n = 2; cp = s[0] & 0x1Fu; }
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) { n = 3; cp = s[0] & 0x0Fu; }
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) { n = 4; cp = s[0] & 0x07u; }
    else return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0u) != 0x80u) return 0; /* also stops at the NUL */
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    return n;
}

uint32_t pmv_utf8_decode(const unsigned char *p, int n)
{
    switch (n) {
    case 1: return p[0];
    case 2: return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
    case 3: return (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    default: return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
                    (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
    }
}
