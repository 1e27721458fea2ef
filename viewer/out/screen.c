/* screen.c - frame buffer with column-aware clipping */
#include "out/screen.h"
#include "out/escape.h"
#include "base/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <stb_ds.h>

static void raw(pmv_screen *s, const char *p, size_t n)
{
    if (n == 0) return;
    size_t old = (size_t)arrlen(s->buf);
    arrsetlen(s->buf, old + n);
    memcpy(s->buf + old, p, n);
}

void pmv_scr_begin(pmv_screen *s, int width, int tty, int color)
{
    if (s->buf) stbds_header(s->buf)->length = 0; /* keep the capacity */
    s->width = width;
    s->tty = tty;
    s->color = color && tty;
    s->col = 0;
    s->lines = 0;
    s->rows = 0;
    if (tty) raw(s, "\033[H", 3);
}

int pmv_text_cols(const char *s)
{
    return pmv_display_width(s);
}

/* Bytes of the character at p: a valid UTF-8 sequence, else one byte. */
static int char_len(const char *p)
{
    int n = pmv_utf8_len((const unsigned char *)p);
    return n ? n : 1;
}

void pmv_scr_put(pmv_screen *s, const char *text)
{
    const char *p = text;
    if (s->rows > 0 && s->lines >= s->rows) return;
    while (*p) {
        int n = char_len(p);
        int w = pmv_char_width((const unsigned char *)p, n);
        if (s->width > 0 && s->col + w > s->width) return;
        raw(s, p, (size_t)n);
        s->col += w;
        p += n;
    }
}

void pmv_scr_printf(pmv_screen *s, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pmv_scr_put(s, line);
}

void pmv_scr_pad_to(pmv_screen *s, int c)
{
    if (s->rows > 0 && s->lines >= s->rows) return;  /* below the screen: put() writes nothing */
    while (s->col < c && (s->width <= 0 || s->col < s->width)) pmv_scr_put(s, " ");
}

void pmv_scr_cell(pmv_screen *s, const char *text, int w, char align)
{
    int n = pmv_text_cols(text);
    if (n > w) {
        /* copy w-1 columns, then the cut mark */
        char tmp[1024];
        size_t o = 0;
        int c = 0;
        for (const char *p = text; *p && o + 8 < sizeof tmp;) {
            int k = char_len(p);
            int cw = pmv_char_width((const unsigned char *)p, k);
            if (c + cw > w - 1) break;
            memcpy(tmp + o, p, (size_t)k);
            o += (size_t)k;
            p += k;
            c += cw;
        }
        if (w > 0) tmp[o++] = '~';
        tmp[o] = '\0';
        pmv_scr_put(s, tmp);
        return;
    }
    int start = s->col;
    if (align == 'r') pmv_scr_pad_to(s, start + w - n);
    pmv_scr_put(s, text);
    pmv_scr_pad_to(s, start + w);
}

void pmv_scr_sgr(pmv_screen *s, const char *attr)
{
    if (!s->color) return;
    raw(s, "\033[", 2);
    raw(s, attr, strlen(attr));
    raw(s, "m", 1);
}

void pmv_scr_eol(pmv_screen *s)
{
    if (s->rows > 0 && s->lines >= s->rows - 1) {
        /* the bottom line, or past it: no newline, the screen must not scroll */
        if (s->lines == s->rows - 1) raw(s, s->color ? "\033[0m\033[K" : "\033[K", s->color ? 7 : 3);
        s->col = 0;
        s->lines++;
        return;
    }
    if (s->color) raw(s, "\033[0m", 4);
    if (s->tty) raw(s, "\033[K\r\n", 5);
    else raw(s, "\n", 1);
    s->col = 0;
    s->lines++;
}

const char *pmv_scr_end(pmv_screen *s, size_t *len)
{
    if (s->tty) raw(s, s->color ? "\033[0m\033[K\033[J" : "\033[K\033[J", s->color ? 10 : 6);
    else if (s->col > 0) raw(s, "\n", 1);
    *len = (size_t)arrlen(s->buf);
    return s->buf;
}

void pmv_scr_free(pmv_screen *s)
{
    arrfree(s->buf);
    s->buf = NULL;
}
