/* escape.h - bytes from an untrusted segment, made safe to show
   Every name, label and string a segment holds may come from someone else:
   it reaches a terminal or a file only through one of these. */
#ifndef PMV_ESCAPE_H
#define PMV_ESCAPE_H
#include <stddef.h>
#include <stdint.h>

/* Copies s into buf, valid UTF-8 as itself; '?' for invalid UTF-8, C0 and
   C1 controls, DEL, and the bidirectional controls (U+061C, U+200E/F,
   U+202A..U+202E, U+2066..U+2069) that would reorder what follows. Stops
   at whole characters when buf is full. Returns buf. */
char *pmv_printable(const char *s, char *buf, size_t len);

/* 1 for a character a terminal obeys rather than shows: C0, DEL, C1 and
   the bidi controls listed above. */
int pmv_control_char(uint32_t c);

/* Copies s into buf with every byte outside printable ASCII, and '\\',
   written as \xHH: for raw bytes a user must see exactly (a name the
   writer refused, a configuration value). Returns buf. */
char *pmv_escape(const char *s, char *buf, size_t len);

/* Columns a terminal gives the UTF-8 character at p (n bytes, as
   pmv_utf8_len measured it): 0 for combining marks, 2 for wide (East Asian,
   emoji) characters, else 1. */
int pmv_char_width(const unsigned char *p, int n);

/* Columns of a printable string (pmv_printable's output). */
int pmv_display_width(const char *s);

/* Bytes of the longest head of s that fits in cols columns (whole
   characters only). */
size_t pmv_head_bytes(const char *s, int cols);

/* The longest tail of s that fits in cols columns (whole characters). */
const char *pmv_tail(const char *s, int cols);

/* Sets a UTF-8 character type locale for pmv_char_width, whatever the
   environment says; call once at start. */
void pmv_escape_init(void);
#endif
