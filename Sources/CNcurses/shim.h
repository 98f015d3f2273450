#ifndef VIGIL_CNCURSES_SHIM_H
#define VIGIL_CNCURSES_SHIM_H
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <wchar.h>
#include <ncurses.h>

static inline WINDOW *vigil_stdscr(void) { return stdscr; }
static inline int vigil_lines(void) { return LINES; }
static inline int vigil_cols(void) { return COLS; }
static inline int vigil_colors(void) { return COLORS; }
static inline int vigil_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t vigil_a_bold(void) { return A_BOLD; }
static inline attr_t vigil_a_dim(void) { return A_DIM; }
static inline attr_t vigil_a_reverse(void) { return A_REVERSE; }
static inline attr_t vigil_a_underline(void) { return A_UNDERLINE; }
static inline attr_t vigil_a_normal(void) { return A_NORMAL; }
static inline int vigil_key_resize(void) { return KEY_RESIZE; }

/// Writes one wide character with attributes and colour pair at (y, x) of stdscr.
static inline int vigil_put_wch(int y, int x, wchar_t ch, attr_t attrs, short pair) {
    cchar_t cc;
    wchar_t wstr[2] = { ch, L'\0' };
    setcchar(&cc, wstr, attrs, pair, NULL);
    return mvwadd_wch(stdscr, y, x, &cc);
}

/// Writes a NUL-terminated wide string with attributes and colour pair at (y, x) of stdscr.
static inline int vigil_put_wstr(int y, int x, const wchar_t *s, attr_t attrs, short pair) {
    attr_set(attrs, pair, NULL);
    int rc = mvwaddwstr(stdscr, y, x, s);
    attr_set(A_NORMAL, 0, NULL);
    return rc;
}

static inline int vigil_get_wch(wint_t *out) { return wget_wch(stdscr, out); }
#endif
