/* The terminal wrapper (see term.h). The curses screen is process-wide state, so
 * this file keeps it in module globals, as htop's CRT.c does. */
#include "term.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "util.h"

#define TERM_LINE_MAX 1024 /* wide characters drawn by one Term_put */

static SCREEN *term_screen;
static FILE *term_in;        /* input stream given to newterm */
static int term_in_owned;    /* term_in was opened here (/dev/tty) */
static int term_out_fd = -1; /* for TIOCGWINSZ */
static int term_saved_stderr = -1;
static int term_color;
static int term_atexit_done;
static attr_t term_attr_of[TC_COUNT];
static int term_faded; /* Term_fade: every colour drawn as TC_DIM, never bold */
static const int TERM_FATAL[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
static struct sigaction term_old_fatal[sizeof TERM_FATAL / sizeof TERM_FATAL[0]];

static void term_fatal(int sig)
{
        Term_done(); /* not async-signal-safe, like htop's: the process is dying anyway */
        signal(sig, SIG_DFL);
        raise(sig);
}

static int utf8_locale(void)
{
        const char *cs = nl_langinfo(CODESET);
        return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

static void term_colors(int no_color)
{
        static const struct {
                short fg, bg;
                attr_t extra;
                attr_t mono;
        } scheme[TC_COUNT] = {
            [TC_NORMAL] = {-1, -1, 0, 0},
            [TC_TITLE] = {COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE},
            [TC_LABEL] = {COLOR_CYAN, -1, 0, 0},
            [TC_DIM] = {COLOR_BLUE, -1, 0, A_DIM},
            [TC_OK] = {COLOR_GREEN, -1, 0, 0},
            [TC_WARN] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
            [TC_CRIT] = {COLOR_WHITE, COLOR_RED, A_BOLD, A_BOLD | A_REVERSE},
            [TC_BAD] = {COLOR_RED, -1, A_BOLD, A_BOLD},
            [TC_MARK] = {COLOR_MAGENTA, -1, A_BOLD, A_UNDERLINE},
            [TC_KEY] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
            [TC_SELECT] = {COLOR_BLACK, COLOR_YELLOW, 0, A_REVERSE},
            [TC_ATTN] = {COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_BOLD | A_REVERSE},
        };
        term_color = !no_color && has_colors();
        if (term_color) {
                start_color();
                use_default_colors();
        }
        for (int i = 0; i < TC_COUNT; i++) {
                if (term_color && i != TC_NORMAL) {
                        init_pair((short)i, scheme[i].fg, scheme[i].bg);
                        term_attr_of[i] = (attr_t)COLOR_PAIR(i) | scheme[i].extra;
                } else {
                        term_attr_of[i] = scheme[i].mono;
                }
        }
}

int Term_init(const TermOpts *o, char *err, size_t errlen)
{
        if (term_screen)
                return 0;
        setlocale(LC_ALL, "");
        if (!utf8_locale())
                setlocale(LC_CTYPE, "C.UTF-8");
        FILE *out = o->out ? o->out : stdout;
        term_in = o->in;
        term_in_owned = 0;
        if (!term_in) {
                if (isatty(STDIN_FILENO)) {
                        term_in = stdin;
                } else {
                        term_in = fopen("/dev/tty", "re");
                        if (!term_in) {
                                snprintf(err, errlen, "/dev/tty: %s", strerror(errno));
                                return -1;
                        }
                        term_in_owned = 1;
                }
        }
        const char *termname = getenv("TERM");
        if (!termname || !*termname)
                termname = "xterm";
        term_screen = newterm(termname, out, term_in);
        if (!term_screen) {
                snprintf(err, errlen, "cannot start the terminal \"%s\"", termname);
                if (term_in_owned)
                        fclose(term_in);
                term_in = NULL;
                return -1;
        }
        set_term(term_screen);
        const char *cup = tigetstr("cup");
        if (!cup || cup == (const char *)-1) {
                snprintf(err, errlen, "the terminal \"%s\" cannot move the cursor", termname);
                endwin();
                delscreen(term_screen);
                term_screen = NULL;
                if (term_in_owned)
                        fclose(term_in);
                term_in = NULL;
                return -1;
        }
        term_out_fd = fileno(out);
        const char *nc = getenv("NO_COLOR");
        term_colors(o->no_color || (nc && *nc));
        cbreak();
        noecho();
        nonl();
        keypad(stdscr, TRUE);
        nodelay(stdscr, TRUE);
        set_escdelay(25);
        curs_set(0);
        leaveok(stdscr, TRUE);

        /* Nothing else may reach the terminal while curses owns it. */
        fflush(stderr);
        int fd = open(o->logpath ? o->logpath : "/dev/null",
                      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
                term_saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
                dup2(fd, STDERR_FILENO);
                close(fd);
        }
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = term_fatal;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof TERM_FATAL / sizeof TERM_FATAL[0]; i++)
                sigaction(TERM_FATAL[i], &sa, &term_old_fatal[i]);
        if (!term_atexit_done) {
                atexit(Term_done);
                term_atexit_done = 1;
        }
        return 0;
}

void Term_done(void)
{
        if (!term_screen)
                return;
        for (size_t i = 0; i < sizeof TERM_FATAL / sizeof TERM_FATAL[0]; i++)
                sigaction(TERM_FATAL[i], &term_old_fatal[i], NULL);
        curs_set(1);
        endwin();
        delscreen(term_screen);
        term_screen = NULL;
        if (term_in_owned)
                fclose(term_in);
        term_in = NULL;
        if (term_saved_stderr >= 0) {
                dup2(term_saved_stderr, STDERR_FILENO);
                close(term_saved_stderr);
                term_saved_stderr = -1;
        }
}

int Term_active(void)
{
        return term_screen != NULL;
}

int Term_input_fd(void)
{
        return term_in ? fileno(term_in) : -1;
}

int Term_has_color(void)
{
        return term_color;
}

int Term_read_key(void)
{
        if (!term_screen)
                return TK_NONE;
        wint_t ch;
        int r = wget_wch(stdscr, &ch);
        if (r == ERR)
                return TK_NONE;
        if (r == KEY_CODE_YES) {
                switch (ch) {
                case KEY_UP:
                        return TK_UP;
                case KEY_DOWN:
                        return TK_DOWN;
                case KEY_PPAGE:
                        return TK_PGUP;
                case KEY_NPAGE:
                        return TK_PGDN;
                case KEY_HOME:
                        return TK_HOME;
                case KEY_END:
                        return TK_END;
                case KEY_ENTER:
                        return TK_ENTER;
                case KEY_BACKSPACE:
                        return TK_BACKSPACE;
                case KEY_RESIZE:
                        return TK_RESIZE;
                default:
                        return TK_OTHER;
                }
        }
        switch (ch) {
        case 27:
                return TK_ESC;
        case '\r':
        case '\n':
                return TK_ENTER;
        case '\t':
                return TK_TAB;
        case 8:
        case 127:
                return TK_BACKSPACE;
        default:
                return ch < 0x110000 ? (int)ch : TK_OTHER;
        }
}

void Term_resize(void)
{
        if (!term_screen)
                return;
        struct winsize ws;
        if (ioctl(term_out_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
                resizeterm(ws.ws_row, ws.ws_col);
        clearok(curscr, TRUE);
}

void Term_size(int *rows, int *cols)
{
        if (!term_screen) {
                *rows = *cols = 0;
                return;
        }
        getmaxyx(stdscr, *rows, *cols);
}

void Term_erase(void)
{
        if (term_screen)
                werase(stdscr);
}

void Term_clear_all(void)
{
        if (term_screen)
                clearok(curscr, TRUE);
}

static int term_put_attr(int y, int x, const char *s, int maxcols, attr_t attr)
{
        if (!term_screen || !s)
                return 0;
        int rows, cols;
        getmaxyx(stdscr, rows, cols);
        if (y < 0 || y >= rows || x < 0 || x >= cols)
                return 0;
        if (maxcols > cols - x)
                maxcols = cols - x;
        wchar_t buf[TERM_LINE_MAX];
        int n = 0, used = 0;
        size_t len = strlen(s);
        for (size_t i = 0; i < len && n < TERM_LINE_MAX - 1;) {
                size_t cl;
                int32_t cp = utf8_next((const unsigned char *)s + i, len - i, &cl);
                i += cl;
                if (cp < 0)
                        cp = '?';
                if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
                        continue; /* control characters never reach the terminal */
                int w = wcwidth((wchar_t)cp);
                if (w < 0) {
                        cp = '?';
                        w = 1;
                }
                if (used + w > maxcols)
                        break;
                buf[n++] = (wchar_t)cp;
                used += w;
        }
        buf[n] = 0;
        attrset(attr);
        mvaddnwstr(y, x, buf, n);
        attrset(A_NORMAL);
        return used;
}

void Term_fade(int on)
{
        term_faded = on;
}

int Term_fading(void)
{
        return term_faded;
}

static attr_t term_attr(TermColor c, attr_t extra)
{
        return term_faded ? term_attr_of[TC_DIM] : term_attr_of[c] | extra;
}

int Term_put(int y, int x, const char *utf8, int maxcols, TermColor c)
{
        return term_put_attr(y, x, utf8, maxcols, term_attr(c, 0));
}

int Term_put_bold(int y, int x, const char *utf8, int maxcols, TermColor c)
{
        return term_put_attr(y, x, utf8, maxcols, term_attr(c, A_BOLD));
}

void Term_fill(int y, int x, int n, TermColor c)
{
        if (!term_screen || n <= 0)
                return;
        int rows, cols;
        getmaxyx(stdscr, rows, cols);
        if (y < 0 || y >= rows || x < 0 || x >= cols)
                return;
        if (n > cols - x)
                n = cols - x;
        attrset(term_attr(c, 0));
        mvhline(y, x, ' ', n);
        attrset(A_NORMAL);
}

void Term_repeat(int y, int x, const char *glyph, int n, TermColor c)
{
        char buf[TERM_LINE_MAX];
        size_t gl = strlen(glyph), off = 0;
        if (gl == 0 || n <= 0)
                return;
        for (int i = 0; i < n && off + gl < sizeof buf; i++) {
                memcpy(buf + off, glyph, gl);
                off += gl;
        }
        buf[off] = 0;
        Term_put(y, x, buf, n, c);
}

void Term_flush(void)
{
        if (!term_screen)
                return;
        wnoutrefresh(stdscr);
        doupdate();
}
