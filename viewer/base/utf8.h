/* utf8.h - validating one UTF-8 sequence, for writers of JSON and XML */
#ifndef PMV_UTF8_H
#define PMV_UTF8_H

#include <stdint.h>

/* Length (1-4) of the valid UTF-8 sequence at s, or 0 if it is invalid:
   overlong, a surrogate, above U+10FFFF or cut short (it stops at a NUL,
   so s need only be NUL-terminated). Thread safety: reentrant. */
int pmv_utf8_len(const unsigned char *s);

/* The code point of the valid n-byte sequence at s (n from pmv_utf8_len). */
uint32_t pmv_utf8_decode(const unsigned char *s, int n);

#endif
