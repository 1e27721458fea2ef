/* term.h - a full-screen terminal with termios and plain ANSI sequences

   pmv_term_enter() puts the terminal in raw mode (no echo, no line
   buffering; Ctrl-C still raises SIGINT), switches to the alternate screen
   and hides the cursor. pmv_term_leave() undoes all of it, exactly once,
   and is safe to call from a signal handler. It is registered with atexit
   and run from handlers for SIGINT, SIGTERM, SIGHUP, SIGQUIT (which only
   set a flag: the caller's loop ends and leaves cleanly) and from the fatal
   signals SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT (restore, then die of
   the signal as before). Ctrl-Z leaves the screen before stopping and
   comes back on SIGCONT. */
#ifndef PMV_TERM_H
#define PMV_TERM_H

#include <stddef.h>

/* Keys as returned by pmv_term_read_keys: bytes 0..255 are themselves. */
enum {
    PMV_KEY_UP = 0x1000, PMV_KEY_DOWN, PMV_KEY_LEFT, PMV_KEY_RIGHT,
    PMV_KEY_PGUP, PMV_KEY_PGDN, PMV_KEY_HOME, PMV_KEY_END, PMV_KEY_ESC
};

/* Returns 0, or -1 if stdin/stdout is not a terminal or termios failed. */
int pmv_term_enter(void);
void pmv_term_leave(void);

/* Rows and columns of the terminal (falls back to 24x80). */
void pmv_term_size(int *rows, int *cols);

/* Waits up to timeout_ms for input or a signal. Returns 1 when input is
   ready, 0 on timeout, -1 when a signal came (check the flags below). */
int pmv_term_wait(int timeout_ms);

/* Reads what is available and decodes up to max keys. Returns how many. */
int pmv_term_read_keys(int *keys, int max);

/* 1 once SIGINT/SIGTERM/SIGHUP/SIGQUIT arrived. */
int pmv_term_quit_requested(void);

/* 1 if the size changed (SIGWINCH) or the screen must be redrawn whole
   (back from Ctrl-Z) since the last call; clears the flag. */
int pmv_term_take_redraw(void);

/* Writes all of buf to stdout: one write() call unless the kernel takes
   less. Returns 0 or -1. */
int pmv_term_write(const char *buf, size_t len);

#endif
