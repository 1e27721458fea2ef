/* term.c - raw mode, alternate screen, signals, keys */
#include "out/term.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define ENTER_SEQ "\033[?1049h\033[?25l\033[H\033[2J"
#define LEAVE_SEQ "\033[0m\033[?25h\033[?1049l"

static struct termios saved;
static volatile sig_atomic_t active, quit_flag, redraw_flag;
static int handlers_installed;
static sigset_t blocked;      /* signals we handle: blocked outside waits */
static sigset_t wait_mask;    /* the mask while waiting: everything allowed */

static void write_all(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

/* async-signal-safe: write, tcsetattr */
void pmv_term_leave(void)
{
    if (!active) return;
    active = 0;
    int saved_errno = errno;
    write_all(LEAVE_SEQ, sizeof LEAVE_SEQ - 1);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    errno = saved_errno;
}

static int raw_on(void)
{
    struct termios raw = saved;
    raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR | IGNCR);
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | IEXTEN);
    raw.c_lflag |= ISIG;  /* Ctrl-C, Ctrl-Z and Ctrl-\ keep working */
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) return -1;
    active = 1;
    write_all(ENTER_SEQ, sizeof ENTER_SEQ - 1);
    return 0;
}

static void on_quit(int sig)
{
    (void)sig;
    quit_flag = 1;
}

static void on_winch(int sig)
{
    (void)sig;
    redraw_flag = 1;
}

static void on_fatal(int sig)
{
    pmv_term_leave();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_tstp(int sig)
{
    int was = active;
    pmv_term_leave();
    signal(sig, SIG_DFL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTSTP);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    raise(SIGTSTP);              /* stops here until SIGCONT */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tstp;
    sigaction(SIGTSTP, &sa, NULL);
    if (was) raw_on();
    redraw_flag = 1;
}

static void install(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a signal ends the wait */
    sigaction(sig, &sa, NULL);
}

static void leave_atexit(void) { pmv_term_leave(); }

int pmv_term_enter(void)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) return -1;
    if (tcgetattr(STDIN_FILENO, &saved) != 0) return -1;
    if (!handlers_installed) {
        handlers_installed = 1;
        atexit(leave_atexit);
        install(SIGINT, on_quit);
        install(SIGTERM, on_quit);
        install(SIGHUP, on_quit);
        install(SIGQUIT, on_quit);
        install(SIGWINCH, on_winch);
        install(SIGTSTP, on_tstp);
        install(SIGSEGV, on_fatal);
        install(SIGFPE, on_fatal);
        install(SIGILL, on_fatal);
        install(SIGABRT, on_fatal);
        /* SIGBUS: the segment reader guards its reads and restores the
           previous handler, ours, which then restores the terminal */
        install(SIGBUS, on_fatal);
        signal(SIGPIPE, SIG_IGN);
        /* block the flag-setting signals except while waiting, so none
           slips in between a flag check and the wait */
        sigemptyset(&blocked);
        sigaddset(&blocked, SIGINT);
        sigaddset(&blocked, SIGTERM);
        sigaddset(&blocked, SIGHUP);
        sigaddset(&blocked, SIGQUIT);
        sigaddset(&blocked, SIGWINCH);
        sigprocmask(SIG_BLOCK, &blocked, &wait_mask);
        sigdelset(&wait_mask, SIGINT);
        sigdelset(&wait_mask, SIGTERM);
        sigdelset(&wait_mask, SIGHUP);
        sigdelset(&wait_mask, SIGQUIT);
        sigdelset(&wait_mask, SIGWINCH);
    }
    return raw_on();
}

void pmv_term_size(int *rows, int *cols)
{
    struct winsize ws;
    *rows = 24;
    *cols = 80;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
    }
}

int pmv_term_wait(int timeout_ms)
{
    if (quit_flag || redraw_flag) return -1;
    struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN, .revents = 0 };
    struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
    int r = ppoll(&p, 1, timeout_ms < 0 ? NULL : &ts, &wait_mask);
    if (r < 0) return errno == EINTR ? -1 : 0;
    if (r > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
        quit_flag = 1; /* the terminal went away */
        return -1;
    }
    return r > 0;
}

int pmv_term_read_keys(int *keys, int max)
{
    unsigned char b[256];
    ssize_t n = read(STDIN_FILENO, b, sizeof b);
    int k = 0;
    for (ssize_t i = 0; i < n && k < max; i++) {
        if (b[i] != 0x1b) {
            keys[k++] = b[i];
            continue;
        }
        /* ESC [ x, ESC O x, ESC [ n ~ ; a lone ESC is the Escape key */
        if (i + 2 < n && (b[i + 1] == '[' || b[i + 1] == 'O')) {
            unsigned char c = b[i + 2];
            int key = 0;
            ssize_t used = 2;
            switch (c) {
            case 'A': key = PMV_KEY_UP; break;
            case 'B': key = PMV_KEY_DOWN; break;
            case 'C': key = PMV_KEY_RIGHT; break;
            case 'D': key = PMV_KEY_LEFT; break;
            case 'H': key = PMV_KEY_HOME; break;
            case 'F': key = PMV_KEY_END; break;
            default:
                if (c >= '0' && c <= '9') {
                    ssize_t j = i + 2;
                    int num = 0;
                    while (j < n && b[j] >= '0' && b[j] <= '9') num = num * 10 + (b[j++] - '0');
                    while (j < n && b[j] == ';') { j++; while (j < n && b[j] >= '0' && b[j] <= '9') j++; }
                    if (j < n && b[j] == '~') {
                        key = num == 5 ? PMV_KEY_PGUP : num == 6 ? PMV_KEY_PGDN
                            : (num == 1 || num == 7) ? PMV_KEY_HOME
                            : (num == 4 || num == 8) ? PMV_KEY_END : -1;
                        used = j - i;
                    }
                }
            }
            if (key) {
                if (key > 0) keys[k++] = key;
                i += used;
                continue;
            }
        }
        keys[k++] = PMV_KEY_ESC;
    }
    return k;
}

int pmv_term_quit_requested(void) { return quit_flag; }

int pmv_term_take_redraw(void)
{
    int r = redraw_flag;
    redraw_flag = 0;
    return r;
}

int pmv_term_write(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDOUT_FILENO, buf, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}
