/* The terminal: the only code that talks to curses (htop's CRT). Colours are
 * named by purpose; with --no-color, NO_COLOR or a monochrome terminal the same
 * purposes map to plain attributes (bold, reverse), so nothing is lost. */
#ifndef CAPMON_TERM_H
#define CAPMON_TERM_H

#include <stddef.h>
#include <stdio.h>

typedef enum TermColor {
        TC_NORMAL,
        TC_TITLE,  /* bars: header, pane titles */
        TC_LABEL,  /* field names */
        TC_DIM,    /* secondary text, empty gauge cells */
        TC_OK,     /* gauge under its limits */
        TC_WARN,   /* warning level */
        TC_CRIT,   /* critical level (tags, banners) */
        TC_BAD,    /* critical level as a foreground (gauge bars) */
        TC_MARK,   /* marked rows: unidentified, over quota */
        TC_KEY,    /* key names in the footer and help */
        TC_SELECT, /* the filter being typed, the help box */
        TC_ATTN,   /* a warning inside a title bar (feed paused, lagging) */
        TC_COUNT
} TermColor;

/* Keys beyond Unicode (Term_read_key returns a code point otherwise). */
enum {
        TK_NONE = -1,
        TK_UP = 0x110000,
        TK_DOWN,
        TK_PGUP,
        TK_PGDN,
        TK_HOME,
        TK_END,
        TK_ESC,
        TK_ENTER,
        TK_BACKSPACE,
        TK_TAB,
        TK_RESIZE,
        TK_OTHER, /* a function key we do not use */
};

typedef struct TermOpts {
        int no_color;        /* also when NO_COLOR is set and not empty */
        FILE *out;           /* NULL: standard output */
        FILE *in;            /* NULL: standard input, or /dev/tty when it is not a terminal */
        const char *logpath; /* standard error goes here while curses is up; NULL: /dev/null */
} TermOpts;

/* Take the terminal: UTF-8 locale, cbreak, no echo, keypad, non-blocking input,
 * hidden cursor, colours; fatal signals and exit() restore the terminal first.
 * 0, or -1 with a message in err (nothing changed). */
int Term_init(const TermOpts *o, char *err, size_t errlen);
/* Give the terminal back (idempotent; safe when never initialised). */
void Term_done(void);
int Term_active(void);
int Term_input_fd(void);
int Term_has_color(void);

/* The next key, or TK_NONE when none is waiting. */
int Term_read_key(void);
/* Adopt the terminal's current size (after SIGWINCH). */
void Term_resize(void);
void Term_size(int *rows, int *cols);

/* Drawing, into the back buffer until Term_flush. Text is UTF-8, clipped to maxcols
 * columns and to the screen; control characters are never written. Returns the
 * columns used. */
void Term_erase(void);
void Term_clear_all(void); /* repaint everything on the next flush */
int Term_put(int y, int x, const char *utf8, int maxcols, TermColor c);
int Term_put_bold(int y, int x, const char *utf8, int maxcols, TermColor c);
void Term_fill(int y, int x, int n, TermColor c);                      /* spaces */
void Term_repeat(int y, int x, const char *glyph, int n, TermColor c); /* one-column glyph */
void Term_flush(void);
/* While on, everything drawn takes the dim colour and no bold: figures that are no
 * longer live (the caller also says so in words, for monochrome terminals). */
void Term_fade(int on);
int Term_fading(void);

#endif
