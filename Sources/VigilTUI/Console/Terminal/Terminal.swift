import VigilTheme
import CNcurses
import Foundation
import Glibc

/// The curses edge: starts and restores the terminal, reads keys, and presents canvases. Only the UI thread may
/// touch it (ncurses is not thread-safe).
final class Terminal {
    private var screen: OpaquePointer?
    private var output: UnsafeMutablePointer<FILE>?
    private var input: UnsafeMutablePointer<FILE>?
    private var cursorVisible = false
    private var defaultColors = false
    private var stopped = false

    /// Whether the locale's codeset is UTF-8 (braille and box drawing), decided before curses starts.
    let isUTF8: Bool
    let colorMode: ColorMode
    /// How many colour pairs the terminal has.
    let maxPairs: Int

    /// Starts curses on the controlling terminal: locale, raw keys, no echo, keypad, 25 ms Esc delay, hidden
    /// cursor, colours with the terminal's default background.
    init(environment: [String: String]) throws(ConsoleError) {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw ConsoleError("the console needs a terminal on stdin and stdout (use `vigil serve` to run headless)")
        }
        setlocale(LC_ALL, "")
        isUTF8 = Terminal.localeIsUTF8()
        output = fdopen(dup(STDOUT_FILENO), "w")
        input = fdopen(dup(STDIN_FILENO), "r")
        guard let output, let input, let screen = newterm(nil, output, input) else {
            let term = environment["TERM"] ?? "(unset)"
            throw ConsoleError("cannot start the console on TERM=\(term): is the terminal type known to terminfo?")
        }
        self.screen = screen
        _ = set_term(screen)
        raw()
        noecho()
        nonl()
        _ = keypad(vigil_stdscr(), true)
        _ = nodelay(vigil_stdscr(), true)
        _ = set_escdelay(25)
        _ = curs_set(0)
        if has_colors() {
            _ = start_color()
            defaultColors = use_default_colors() == OK
        }
        colorMode = ColorMode.detect(hasColors: has_colors(), colors: Int(vigil_colors()), environment: environment)
        maxPairs = Int(vigil_color_pairs())
    }

    deinit {
        stop()
    }

    /// Restores the terminal. Safe to call more than once.
    func stop() {
        guard !stopped else { return }
        stopped = true
        _ = curs_set(1)
        endwin()
        if let screen { delscreen(screen) }
        if let output { fclose(output) }
        if let input { fclose(input) }
        screen = nil
    }

    /// The terminal size in cells.
    var size: (width: Int, height: Int) {
        (Int(getmaxx(vigil_stdscr())), Int(getmaxy(vigil_stdscr())))
    }

    /// Defines the palette's colour pairs.
    func install(_ palette: Palette) {
        guard palette.mode != .monochrome else { return }
        for pair in palette.pairs {
            let fg = pair.fg < 0 && !defaultColors ? 7 : pair.fg
            let bg = pair.bg < 0 && !defaultColors ? 0 : pair.bg
            _ = init_pair(pair.number, Int16(fg), Int16(bg))
        }
    }

    /// Reads every pending key without blocking.
    func readKeys() -> [Key] {
        var keys: [Key] = []
        var value: wint_t = 0
        while keys.count < 256 {
            let rc = vigil_get_wch(&value)
            if rc == ERR { break }
            if rc == KEY_CODE_YES {
                if let key = Terminal.functionKey(Int32(value)) { keys.append(key) }
            } else if let key = Key.fromCharacter(UInt32(value)) {
                keys.append(key)
            }
        }
        return keys
    }

    /// Copies `canvas` to the screen: `erase` (or `clear` when `clearFirst`, for Ctrl-L), every cell, then
    /// `wnoutrefresh` + `doupdate`, so an unchanged screen sends no bytes.
    func present(_ canvas: Canvas, palette: Palette, cursor: (x: Int, y: Int)?, clearFirst: Bool) {
        let win = vigil_stdscr()
        if clearFirst { wclear(win) } else { werase(win) }
        let (w, h) = size
        let bold = vigil_a_bold(), dim = vigil_a_dim(), reverse = vigil_a_reverse(), underline = vigil_a_underline()
        for y in 0..<min(h, canvas.height) {
            for x in 0..<min(w, canvas.width) {
                let cell = canvas[x, y]
                if cell.isContinuation { continue }
                let entry = palette.entry(cell.role)
                let a = entry.attributes.union(cell.attributes)
                var attrs = vigil_a_normal()
                if a.contains(.bold) { attrs |= bold }
                if a.contains(.dim) { attrs |= dim }
                if a.contains(.reverse) { attrs |= reverse }
                if a.contains(.underline) { attrs |= underline }
                let scalar = cell.character.unicodeScalars.first?.value ?? 32
                _ = vigil_put_wch(Int32(y), Int32(x), wchar_t(bitPattern: scalar), attrs, entry.pair)
            }
        }
        if let cursor, cursor.x < w, cursor.y < h {
            if !cursorVisible { _ = curs_set(1); cursorVisible = true }
            wmove(win, Int32(cursor.y), Int32(cursor.x))
        } else if cursorVisible {
            _ = curs_set(0)
            cursorVisible = false
        }
        wnoutrefresh(win)
        doupdate()
    }

    /// Whether `nl_langinfo(nl_item(CODESET))` says UTF-8 (call after `setlocale`).
    static func localeIsUTF8() -> Bool {
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: codeset).uppercased().replacingOccurrences(of: "-", with: "")
        return name == "UTF8"
    }

    /// Maps a curses function-key code to a `Key`.
    static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_BACKSPACE: .backspace
        case KEY_DC: .delete
        case KEY_ENTER: .enter
        case KEY_BTAB: .backTab
        case KEY_RESIZE: .resize
        case KEY_F0 + 1...KEY_F0 + 12: .function(Int(code - KEY_F0))
        default: nil
        }
    }
}
