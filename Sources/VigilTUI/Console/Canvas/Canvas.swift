import VigilTheme

/// A grid of cells that panes draw into. Panes never call curses; the presenter copies a canvas to the terminal.
struct Canvas: Equatable, Sendable {
    let width: Int
    let height: Int
    private(set) var cells: [Cell]
    /// Box-drawing and sparkline glyphs for the terminal's character set.
    let glyphs: Glyphs

    init(width: Int, height: Int, glyphs: Glyphs = .unicode) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.cells = Array(repeating: .blank, count: self.width * self.height)
        self.glyphs = glyphs
    }

    /// The whole canvas as a rectangle.
    var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Resets every cell to a blank `text` cell.
    mutating func clear() {
        for i in cells.indices { cells[i] = .blank }
    }

    /// Fills `rect` with `character` in `role`.
    mutating func fill(_ rect: Rect, _ character: Character = " ", role: Role = .text, attributes: TextAttributes = []) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        let y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            for x in x0..<x1 {
                self[x, y] = Cell(character, role: role, attributes: attributes)
            }
        }
    }

    /// Changes the role (and optionally attributes) of the cells of `rect`, keeping the characters.
    mutating func restyle(_ rect: Rect, role: Role, attributes: TextAttributes? = nil) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        let y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            for x in x0..<x1 {
                self[x, y].role = role
                if let attributes { self[x, y].attributes = attributes }
            }
        }
    }

    /// Writes `text` at (x, y), clipped to `maxWidth` columns and to the canvas. Returns the columns written.
    @discardableResult
    mutating func put(_ text: String, x: Int, y: Int, role: Role = .text, attributes: TextAttributes = [], maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height else { return 0 }
        let limit = min(width, x + (maxWidth ?? Int.max / 2))
        var col = x
        for ch in text {
            let w = TextWidth.of(ch)
            if w == 0 { continue }
            if col + w > limit { break }
            if col >= 0 {
                self[col, y] = Cell(ch, role: role, attributes: attributes)
                if w == 2 { self[col + 1, y] = Cell(" ", role: role, attributes: attributes, isContinuation: true) }
            }
            col += w
        }
        return max(0, col - x)
    }

    /// Writes styled spans one after the other from (x, y). Returns the columns written.
    @discardableResult
    mutating func put(_ spans: [Span], x: Int, y: Int, maxWidth: Int) -> Int {
        var used = 0
        for span in spans where used < maxWidth {
            used += put(span.text, x: x + used, y: y, role: span.role, attributes: span.attributes, maxWidth: maxWidth - used)
        }
        return used
    }

    /// Draws a box border around `rect` with an optional title in the top edge.
    mutating func box(_ rect: Rect, title: String? = nil, role: Role = .border, titleRole: Role = .title) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let g = glyphs
        for x in (rect.x + 1)..<(rect.maxX - 1) {
            put(String(g.horizontal), x: x, y: rect.y, role: role)
            put(String(g.horizontal), x: x, y: rect.maxY - 1, role: role)
        }
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            put(String(g.vertical), x: rect.x, y: y, role: role)
            put(String(g.vertical), x: rect.maxX - 1, y: y, role: role)
        }
        put(String(g.topLeft), x: rect.x, y: rect.y, role: role)
        put(String(g.topRight), x: rect.maxX - 1, y: rect.y, role: role)
        put(String(g.bottomLeft), x: rect.x, y: rect.maxY - 1, role: role)
        put(String(g.bottomRight), x: rect.maxX - 1, y: rect.maxY - 1, role: role)
        if let title, rect.width > 6 {
            let text = " " + TextWidth.truncate(title, to: rect.width - 6, ellipsis: g.ellipsis) + " "
            put(text, x: rect.x + 2, y: rect.y, role: titleRole, attributes: [.bold])
        }
    }

    /// Every row as a string, trailing spaces kept (each exactly `width` columns of content).
    func lines() -> [String] {
        (0..<height).map { y in
            var s = ""
            for x in 0..<width where !self[x, y].isContinuation {
                s.append(self[x, y].character)
            }
            return s
        }
    }

    /// The whole canvas as text, trailing spaces trimmed per line; handy in test failure messages.
    var text: String {
        lines().map { line in
            var l = Substring(line)
            while l.last == " " { l = l.dropLast() }
            return String(l)
        }.joined(separator: "\n")
    }

    /// The roles of row `y`, one per column; handy in tests.
    func roles(row y: Int) -> [Role] {
        (0..<width).map { self[$0, y].role }
    }
}

/// A run of text drawn in one role.
struct Span: Equatable, Sendable {
    var text: String
    var role: Role
    var attributes: TextAttributes

    init(_ text: String, _ role: Role = .text, _ attributes: TextAttributes = []) {
        self.text = text
        self.role = role
        self.attributes = attributes
    }

    /// Display width of the text.
    var width: Int { TextWidth.of(text) }
}
