/* screen.h - one frame of text, built in memory and written at once

   Lines are clipped to a width counted in terminal columns (UTF-8 aware:
   continuation bytes take no column). In terminal mode each line ends by
   clearing the rest of it and the frame starts at the home position, so a
   frame overwrites the last one with no flicker; in plain mode there are
   no escape sequences at all. Colour (SGR) is emitted only when enabled. */
#ifndef PMV_SCREEN_H
#define PMV_SCREEN_H

#include <stddef.h>

typedef struct pmv_screen {
    char *buf;      /* stb_ds array */
    int width;      /* columns; <= 0: unlimited */
    int tty;        /* cursor and erase sequences */
    int color;      /* SGR sequences */
    int col;        /* columns used on the current line */
    int lines;      /* lines finished */
    int rows;       /* tty: lines that fit; text past them is dropped and
                       the last one gets no newline (no scrolling); 0: any */
} pmv_screen;

void pmv_scr_begin(pmv_screen *s, int width, int tty, int color);
/* Appends text, clipped at the width. */
void pmv_scr_put(pmv_screen *s, const char *text);
void pmv_scr_printf(pmv_screen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text padded or cut to exactly w columns ('l' or 'r' aligned); a cut
   string ends in "~". */
void pmv_scr_cell(pmv_screen *s, const char *text, int w, char align);
/* Spaces up to column c. */
void pmv_scr_pad_to(pmv_screen *s, int c);
/* SGR attributes, e.g. "1" bold, "7" reverse, "31" red; "0" resets. */
void pmv_scr_sgr(pmv_screen *s, const char *attr);
void pmv_scr_eol(pmv_screen *s);
/* Ends the frame: in a terminal, clears the rest of the current line and
   everything below (so the last line needs no newline: the screen does not
   scroll); in plain mode ends an unfinished line. Returns the bytes. */
const char *pmv_scr_end(pmv_screen *s, size_t *len);
void pmv_scr_free(pmv_screen *s);

/* Terminal columns of a UTF-8 string. */
int pmv_text_cols(const char *s);

#endif
