import VigilCore
import VigilWire

/// Stored reports (`:reports`), newest first: daily and weekly, made by `vigil report`, by the lease holder each
/// week, or by a `reports:` schedule. `Enter` reads one (`ReportViewPane`); `d` / `w` show only daily or weekly ones.
final class ReportsPane: Pane {
    static let limit = 200

    let table: TableView<ReportRow>
    private(set) var kind: String?
    private(set) var loaded = false
    private var lastError: String?

    init() {
        table = TableView(columns: ReportsPane.columns(), sortColumn: 0, sortDescending: true,
                          emptyMessage: "no reports yet (vigil report daily, vigil report weekly; the engine writes one each Monday)") { row in
            [row.report.kind, row.headline]
        }
    }

    var title: String { "reports" }
    var rowNoun: String { "report" }
    var filterText: String { table.filterText }

    var pollInterest: PollInterest {
        var p = PollInterest()
        p.reports = true
        return p
    }

    var keyMap: KeyMap {
        let section = "Reports"
        let own = [
            KeyAction([.enter, .char("l"), .right], "read", section: section) { [self] in
                guard let row = table.selected else { return .message("no report selected", isError: false) }
                return .push(ReportViewPane(report: row.report))
            },
            KeyAction([.char("d")], kind == "daily" ? "all kinds" : "daily only", section: section) { [self] in
                kind = kind == "daily" ? nil : "daily"
                return .refreshNow
            },
            KeyAction([.char("w")], kind == "weekly" ? "all kinds" : "weekly only", section: section) { [self] in
                kind = kind == "weekly" ? nil : "weekly"
                return .refreshNow
            },
        ]
        return KeyMap(own).merged(over: KeyMap(table.keyActions(section: section)))
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        (try table.setFilter(text), table.rows.count)
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .reports(let reports):
            let shown = kind.map { k in reports.filter { $0.kind == k } } ?? reports
            loaded = true
            lastError = nil
            // Stored reports do not change: rows already made keep their headline (read from the JSON once).
            let made = Dictionary(table.rows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            table.setRows(shown.map { made[$0.id] ?? ReportRow($0) }, now: now)
            return true
        case .reportsError(let text):
            lastError = text
            return true
        default:
            return false
        }
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        var title = "Reports" + (kind.map { " · \($0) only" } ?? "")
        if loaded { title += table.filterText.isEmpty ? " (\(table.rows.count))" : table.countTitle }
        canvas.box(rect, title: title, role: context.focused ? .borderFocus : .border)
        table.render(orWaiting: loaded, error: lastError, into: &canvas, in: rect.inset(1), focused: context.focused, now: context.now)
    }

    static func columns() -> [TableColumn<ReportRow>] {
        [
            .text("ID", width: 4, alignRight: true, priority: 40, ascending: { $0.report.id < $1.report.id }) { String($0.report.id) },
            .text("KIND", width: 6, priority: 90, ascending: { $0.report.kind < $1.report.kind }) { $0.report.kind },
            .text("PERIOD", width: 36, priority: 95, ascending: { $0.report.from < $1.report.from }) {
                LogsFormat.dateTime($0.report.from) + " to " + LogsFormat.dateTime($0.report.to)
            },
            .text("WRITTEN", width: 16, priority: 50, role: { _ in .muted }, ascending: { $0.report.createdAt < $1.report.createdAt }) {
                LogsFormat.dateTime($0.report.createdAt)
            },
            .text("HEADLINE", width: 20, flexible: true, priority: 100) { $0.headline },
        ]
    }
}

/// A row of the reports table, with the insight's headline read from its JSON.
struct ReportRow: Identifiable, Equatable {
    var report: StoredReport
    var headline: String
    var id: Int64 { report.id }

    init(_ report: StoredReport) {
        self.report = report
        headline = (try? JSONValue.parse(report.json))?["insight"]?["headline"]?.stringValue ?? ""
    }
}

/// One stored report, as it was written (its text), scrolled with `j` `k`, `PgDn` `PgUp`, `g` `G`.
final class ReportViewPane: Pane {
    let report: StoredReport
    private let lines: [String]
    private(set) var top = 0
    private var height = 10

    init(report: StoredReport) {
        self.report = report
        lines = report.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    var title: String { "report \(report.id)" }

    var keyMap: KeyMap {
        let section = "Report"
        return KeyMap([
            KeyAction([.char("j"), .down], "down", section: section, shownInHints: false) { [self] in scroll(1) },
            KeyAction([.char("k"), .up], "up", section: section, shownInHints: false) { [self] in scroll(-1) },
            KeyAction([.pageDown, .ctrl("f"), .char(" ")], "page down", section: section) { [self] in scroll(max(1, height - 1)) },
            KeyAction([.pageUp, .ctrl("b")], "page up", section: section) { [self] in scroll(-max(1, height - 1)) },
            KeyAction([.char("g"), .home], "top", section: section, shownInHints: false) { [self] in scroll(-lines.count) },
            KeyAction([.char("G"), .end], "bottom", section: section, shownInHints: false) { [self] in scroll(lines.count) },
        ])
    }

    func scroll(_ delta: Int) -> Reaction {
        top = max(0, min(top + delta, max(0, lines.count - height)))
        return .redraw
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        let span = "\(LogsFormat.dateTime(report.from)) to \(LogsFormat.dateTime(report.to))"
        var title = "\(report.kind.capitalized) report \(report.id) · \(span)"
        let inner = rect.inset(1)
        height = max(1, inner.height)
        top = max(0, min(top, max(0, lines.count - height)))
        if lines.count > height { title += " · lines \(top + 1)–\(min(lines.count, top + height)) of \(lines.count)" }
        canvas.box(rect, title: title, role: context.focused ? .borderFocus : .border)
        for (i, line) in lines.dropFirst(top).prefix(height).enumerated() {
            let heading = !line.hasPrefix(" ") && line.uppercased() == line && line.contains(where: \.isLetter)
            canvas.put(line, x: inner.x + 1, y: inner.y + i, role: heading ? .title : .text, attributes: heading ? [.bold] : [],
                       maxWidth: inner.width - 1)
        }
    }
}
