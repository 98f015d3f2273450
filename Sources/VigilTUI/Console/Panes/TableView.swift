/// A generic table: columns, sorting, `/` filter, selection that follows a row's identity across refreshes and
/// re-sorts (without jumping on screen) once the user has moved it off the first row, paging, and brief highlighting
/// of rows that changed. Panes own tables and render them into a canvas; the table never calls curses.
final class TableView<Row: Identifiable> {
    var columns: [TableColumn<Row>]
    /// The strings `/` matches for a row (e.g. name and `k=v` labels).
    var searchStrings: (Row) -> [String]
    /// A row's value that, when different from the previous refresh, highlights it briefly; nil disables it.
    var changeSignature: ((Row) -> String)?
    /// How long a changed row stays highlighted (ms).
    var changeHighlightMs: Int64 = 3000
    /// What an empty table says.
    var emptyMessage: String

    private(set) var rows: [Row] = []
    /// The rows after filter and sort, in display order.
    private(set) var visible: [Row] = []
    private(set) var sortColumn: Int?
    private(set) var sortDescending = false
    private(set) var filter: RowFilter?
    private(set) var selectedID: Row.ID?
    /// The first visible row shown.
    private(set) var offset = 0
    /// Body rows shown by the last render (page size for PgUp/PgDn).
    private(set) var pageSize = 10
    private var changedAt: [Row.ID: Int64] = [:]
    /// Until the user moves the selection off the first row, it stays on whatever row sorts first, with the view at
    /// the top (as htop's cursor does). Following the first row's identity instead hid the worst hosts: the console's
    /// first frame, drawn before the figures arrive, sorts by name; when they arrived the selected first host kept
    /// its place on screen and the hosts that now sorted above it scrolled out of view.
    private var pinnedToTop = true
    private var signatures: [Row.ID: String] = [:]

    init(columns: [TableColumn<Row>], sortColumn: Int? = nil, sortDescending: Bool = false, emptyMessage: String = "nothing to show",
         searchStrings: @escaping (Row) -> [String]) {
        self.columns = columns
        self.sortColumn = sortColumn
        self.sortDescending = sortDescending
        self.emptyMessage = emptyMessage
        self.searchStrings = searchStrings
    }

    /// The selected row, if any.
    var selected: Row? {
        guard let selectedID else { return nil }
        return visible.first { $0.id == selectedID }
    }

    /// Index of the selected row in `visible`.
    var selectedIndex: Int? {
        guard let selectedID else { return nil }
        return visible.firstIndex { $0.id == selectedID }
    }

    /// Replaces the rows (a refresh). Selection keeps following the same row, at the same screen position when
    /// possible; a vanished row hands the selection to its neighbour.
    func setRows(_ newRows: [Row], now: Int64 = 0) {
        if let changeSignature {
            var seen: [Row.ID: String] = [:]
            for row in newRows {
                let sig = changeSignature(row)
                if let old = signatures[row.id], old != sig { changedAt[row.id] = now }
                seen[row.id] = sig
            }
            signatures = seen
            changedAt = changedAt.filter { seen[$0.key] != nil && now - $0.value < changeHighlightMs }
        }
        rows = newRows
        rebuild()
    }

    /// Whether `row` changed within the highlight window before `now`.
    func isRecentlyChanged(_ id: Row.ID, now: Int64) -> Bool {
        guard let t = changedAt[id] else { return false }
        return now - t < changeHighlightMs
    }

    /// The earliest time a change highlight expires (so the loop can redraw then), if any.
    func nextHighlightExpiry(now: Int64) -> Int64? {
        changedAt.values.map { $0 + changeHighlightMs }.filter { $0 > now }.min()
    }

    /// Sets the `/` filter; an empty text clears it. Returns how many rows match.
    @discardableResult
    func setFilter(_ text: String) throws(CommandError) -> Int {
        filter = try RowFilter(text)
        // A new filter that hides the selected row starts the selection at the first match.
        if let filter, let row = selected, !filter.matches(searchStrings(row)) {
            selectedID = nil
            offset = 0
        }
        rebuild()
        return visible.count
    }

    /// The filter text, or "" when none.
    var filterText: String { filter?.text ?? "" }

    /// What a pane's title adds: ` (12)`, or ` (3 of 12) /web` while filtered.
    var countTitle: String {
        filter == nil ? " (\(rows.count))" : " (\(visible.count) of \(rows.count)) /\(filterText)"
    }

    /// Draws the table, or until the first data arrives, the error or "waiting for the first refresh…".
    func render(orWaiting hasData: Bool, error: String?, into canvas: inout Canvas, in inner: Rect, focused: Bool, now: Int64) {
        guard hasData else {
            canvas.put(error.map { "error: \($0)" } ?? "waiting for the first refresh…", x: inner.x + 1, y: inner.y,
                       role: error == nil ? .muted : .error, maxWidth: inner.width - 1)
            return
        }
        render(into: &canvas, in: inner, focused: focused, now: now)
    }

    /// Sorts by column `index`; the same column again flips the direction.
    func sort(by index: Int, descending: Bool? = nil) {
        guard columns.indices.contains(index), columns[index].ascending != nil else { return }
        if let descending {
            sortDescending = descending
        } else if sortColumn == index {
            sortDescending.toggle()
        } else {
            sortDescending = columns[index].descendingFirst
        }
        sortColumn = index
        rebuild()
    }

    /// Moves the sort to the next (or previous) sortable column, in that column's first direction.
    func cycleSort(forward: Bool = true) {
        let sortable = columns.indices.filter { columns[$0].ascending != nil }
        guard !sortable.isEmpty else { return }
        let current = sortColumn.flatMap { sortable.firstIndex(of: $0) }
        let next: Int
        if let current {
            next = (current + (forward ? 1 : sortable.count - 1)) % sortable.count
        } else {
            next = forward ? 0 : sortable.count - 1
        }
        sortColumn = sortable[next]
        sortDescending = columns[sortable[next]].descendingFirst
        rebuild()
    }

    /// Flips the sort direction.
    func reverseSort() {
        guard sortColumn != nil else { return }
        sortDescending.toggle()
        rebuild()
    }

    /// Selects the row with `id` if visible.
    func select(id: Row.ID) {
        guard let i = visible.firstIndex(where: { $0.id == id }) else { return }
        selectedID = id
        pinnedToTop = i == 0
        scrollToSelection(index: i)
    }

    /// Moves the selection by `delta` rows (clamped).
    func moveSelection(by delta: Int) {
        guard !visible.isEmpty else { return }
        let current = selectedIndex ?? 0
        let i = min(max(0, current + delta), visible.count - 1)
        selectedID = visible[i].id
        pinnedToTop = i == 0
        scrollToSelection(index: i)
    }

    func selectFirst() { moveSelection(by: -visible.count) }
    func selectLast() { moveSelection(by: visible.count) }
    func pageDown() { moveSelection(by: max(1, pageSize - 1)) }
    func pageUp() { moveSelection(by: -max(1, pageSize - 1)) }

    private func scrollToSelection(index i: Int) {
        if i < offset { offset = i }
        if i >= offset + pageSize { offset = i - pageSize + 1 }
        offset = max(0, min(offset, max(0, visible.count - pageSize)))
    }

    private func rebuild() {
        let oldIndex = selectedIndex
        let oldScreenRow = oldIndex.map { $0 - offset }
        var filtered: [(Int, Row)] = Array(rows.enumerated())
        if let filter {
            filtered = filtered.filter { filter.matches(searchStrings($0.1)) }
        }
        if let sortColumn, let less = columns[sortColumn].ascending {
            let descending = sortDescending
            filtered.sort { a, b in
                if less(a.1, b.1) { return !descending }
                if less(b.1, a.1) { return descending }
                return a.0 < b.0
            }
        }
        visible = filtered.map(\.1)
        guard !visible.isEmpty else {
            offset = 0
            return
        }
        if pinnedToTop {
            selectedID = visible[0].id
            offset = 0
            return
        }
        if let id = selectedID, let i = visible.firstIndex(where: { $0.id == id }) {
            // Same row, same place on screen when possible: no jumping under the cursor.
            offset = max(0, min(i - (oldScreenRow ?? 0), max(0, visible.count - pageSize)))
            if i < offset || i >= offset + pageSize { scrollToSelection(index: i) }
        } else {
            let i = min(oldIndex ?? 0, visible.count - 1)
            selectedID = visible[i].id
            offset = max(0, min(offset, max(0, visible.count - pageSize)))
            scrollToSelection(index: i)
        }
    }

    /// The key actions every table has: moving the selection and sorting.
    func keyActions(section: String) -> [KeyAction] {
        [
            KeyAction([.char("j"), .down], "down", section: section, shownInHints: false) { self.moveSelection(by: 1); return .redraw },
            KeyAction([.char("k"), .up], "up", section: section, shownInHints: false) { self.moveSelection(by: -1); return .redraw },
            KeyAction([.pageDown, .ctrl("f")], "page down", section: section, shownInHints: false) { self.pageDown(); return .redraw },
            KeyAction([.pageUp, .ctrl("b")], "page up", section: section, shownInHints: false) { self.pageUp(); return .redraw },
            KeyAction([.char("g"), .home], "first row", section: section, shownInHints: false) { self.selectFirst(); return .redraw },
            KeyAction([.char("G"), .end], "last row", section: section, shownInHints: false) { self.selectLast(); return .redraw },
            KeyAction([.char("s"), .char(">")], "sort", section: section) { self.cycleSort(forward: true); return .redraw },
            KeyAction([.char("<")], "sort previous column", section: section, shownInHints: false) {
                self.cycleSort(forward: false); return .redraw
            },
            KeyAction([.char("S")], "reverse sort", section: section, shownInHints: false) { self.reverseSort(); return .redraw },
        ]
    }

    /// Column placements for a given width: (column index, x offset, width). Low-priority columns are dropped
    /// when the width is short; flexible columns share the spare width.
    func layout(width: Int) -> [(index: Int, x: Int, width: Int)] {
        var included = Array(columns.indices)
        // A sortable column is wide enough for its title plus the sort indicator.
        let minimum = columns.map { c in c.ascending == nil ? c.width : max(c.width, TextWidth.of(c.title) + 1) }
        func needed(_ set: [Int]) -> Int { set.reduce(0) { $0 + minimum[$1] } + max(0, set.count - 1) }
        while included.count > 1 && needed(included) > width {
            let drop = included.min { columns[$0].priority < columns[$1].priority }!
            included.removeAll { $0 == drop }
        }
        var widths = Dictionary(uniqueKeysWithValues: included.map { ($0, minimum[$0]) })
        var spare = width - needed(included)
        let flex = included.filter { columns[$0].flexible }
        var growing = flex
        while spare > 0 && !growing.isEmpty {
            let share = max(1, spare / growing.count)
            for i in growing where spare > 0 {
                let cap = columns[i].maxWidth.map { max($0, minimum[i]) } ?? Int.max
                let add = min(share, cap - widths[i]!, spare)
                widths[i]! += add
                spare -= add
            }
            growing = growing.filter { i in widths[i]! < (columns[i].maxWidth.map { max($0, minimum[i]) } ?? Int.max) }
        }
        var x = 0
        return included.map { i in
            defer { x += widths[i]! + 1 }
            return (i, x, min(widths[i]!, max(0, width - x)))
        }
    }

    /// Draws the header row and as many body rows as fit into `rect`.
    /// The screen row of the row `id` when the table is drawn in `rect`, if it is in view.
    func rowY(id: Row.ID, in rect: Rect) -> Int? {
        guard let i = visible.firstIndex(where: { $0.id == id }), i >= offset, i < offset + rect.height - 1 else { return nil }
        return rect.y + 1 + i - offset
    }

    func render(into canvas: inout Canvas, in rect: Rect, focused: Bool, now: Int64) {
        guard rect.height > 0, rect.width > 0 else { return }
        pageSize = max(1, rect.height - 1)
        if let i = selectedIndex { scrollToSelection(index: i) }
        let placement = layout(width: rect.width - 1)
        let glyphs = canvas.glyphs
        // Header.
        canvas.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), role: .header)
        for (i, x, w) in placement {
            var title = columns[i].title
            if sortColumn == i { title += sortDescending ? glyphs.sortDescending : glyphs.sortAscending }
            let text = TextWidth.fit(title, to: w, alignRight: columns[i].alignRight, ellipsis: glyphs.ellipsis)
            canvas.put(text, x: rect.x + 1 + x, y: rect.y, role: .header, attributes: [.bold])
        }
        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        guard !visible.isEmpty else {
            if body.height > 0 {
                let message = filter == nil ? emptyMessage : "no row matches /\(filterText)"
                canvas.put(message, x: body.x + 1, y: body.y, role: .muted, maxWidth: body.width - 1)
            }
            return
        }
        let end = min(visible.count, offset + body.height)
        for (line, index) in (offset..<end).enumerated() {
            let row = visible[index]
            let y = body.y + line
            let isSelected = row.id == selectedID
            let changed = isRecentlyChanged(row.id, now: now)
            for (i, x, w) in placement where w > 0 {
                let spans = columns[i].cell(row, CellContext(width: w, glyphs: glyphs, now: now))
                let total = spans.reduce(0) { $0 + $1.width }
                var startX = rect.x + 1 + x
                if columns[i].alignRight && total < w { startX += w - total }
                if total > w, spans.count == 1 {
                    let cut = TextWidth.truncate(spans[0].text, to: w, ellipsis: glyphs.ellipsis)
                    canvas.put(cut, x: startX, y: y, role: spans[0].role, attributes: spans[0].attributes)
                } else {
                    canvas.put(spans, x: startX, y: y, maxWidth: w)
                }
                if changed && i == placement.first?.index {
                    canvas.restyle(Rect(x: rect.x + 1 + x, y: y, width: w, height: 1), role: .changed)
                }
            }
            if isSelected {
                canvas.put(glyphs.selectionMarker, x: rect.x, y: y, role: focused ? .selection : .muted)
                if focused { canvas.restyle(Rect(x: rect.x, y: y, width: rect.width, height: 1), role: .selection) }
            }
        }
    }
}
