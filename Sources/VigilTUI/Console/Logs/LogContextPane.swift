import VigilCore

/// The lines around one log line (`Enter` on a line in the logs pane): up to `before` older and `after` newer lines
/// from the same host and source, oldest first, the line itself marked and selected. `Enter` on another line
/// centres on it; `Esc` goes back.
final class LogContextPane: Pane {
    static let before = 50
    static let after = 50

    private(set) var line: StoredLog
    let table: TableView<LogLineRow>
    private(set) var snapshot: LogContextSnapshot?
    private var lastError: String?
    /// The highlight of the search the line came from, if any.
    let query: LogQuery?

    init(line: StoredLog, query: LogQuery? = nil) {
        self.line = line
        self.query = query
        table = TableView(columns: LogsPane.lineColumns(showHost: false, showValues: false), sortColumn: 0, sortDescending: false,
                          emptyMessage: "no lines around it") { row in
            [row.log.message, row.log.level.rawValue]
        }
        // Oldest first, like a file; AGE and SOURCE say nothing here (one source, close in time).
        table.columns.removeAll { $0.title == "AGE" || $0.title == "SOURCE" }
    }

    var title: String { "context" }
    var knownHosts: [String] { [line.host] }
    var rowNoun: String { "line" }
    var filterText: String { table.filterText }

    var pollInterest: PollInterest {
        var interest = PollInterest()
        interest.logContext = line
        return interest
    }

    var keyMap: KeyMap {
        let section = "Log context"
        var own = [
            KeyAction([.enter], "centre on this line", section: section) { [self] in
                guard let row = table.selected, row.log != line else { return .ignored }
                line = row.log
                snapshot = nil
                return .refreshNow
            },
        ]
        own += table.keyActions(section: section).filter { !$0.keys.contains(.char("s")) && !$0.keys.contains(.char(">")) && !$0.keys.contains(.char("<")) && !$0.keys.contains(.char("S")) }
        return KeyMap(own)
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        (try table.setFilter(text), table.rows.count)
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        guard case .logs(let update) = message else { return false }
        switch update {
        case .context(let s):
            guard s.line == line else { return false }
            let first = snapshot == nil
            snapshot = s
            lastError = nil
            table.setRows(s.lines.map { LogLineRow(log: $0, template: nil, query: query) }, now: now)
            if first, let i = s.index { table.select(id: s.lines[i].id) }
            return true
        case .error(let text):
            lastError = text
            return true
        default:
            return false
        }
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        let separator = canvas.glyphs.isUnicode ? " · " : " | "
        var title = [line.host, line.source, "around " + LogsFormat.dateTime(line.ts, seconds: true)].joined(separator: separator)
        if let s = snapshot {
            let older = s.index ?? s.lines.filter { $0.ts < line.ts }.count
            title += " (\(older) before, \(s.lines.count - older - (s.index == nil ? 0 : 1)) after)"
            if s.index == nil { title += separator + "the line itself is no longer stored" }
        }
        canvas.box(rect, title: title, role: context.focused ? .borderFocus : .border)
        let inner = rect.inset(1)
        guard snapshot != nil else {
            canvas.put(lastError.map { "error: \($0)" } ?? "reading the lines around it…", x: inner.x + 1, y: inner.y,
                       role: lastError == nil ? .muted : .error, maxWidth: inner.width - 1)
            return
        }
        table.render(into: &canvas, in: inner, focused: context.focused, now: context.now)
        // Mark the line itself in the margin, wherever the selection is.
        if let s = snapshot, let i = s.index, let y = table.rowY(id: s.lines[i].id, in: inner) {
            canvas.put(canvas.glyphs.isUnicode ? "▸" : ">", x: inner.x, y: y, role: .warning)
        }
    }
}
