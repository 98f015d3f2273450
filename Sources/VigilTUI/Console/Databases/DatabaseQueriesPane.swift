import VigilCore
import VigilTheme
import VigilWire

/// One database's queries (`Enter` on a row of `:db`): what runs long now (pid, user, state, what it waits for, how long
/// the query and its transaction have run) and the hour's slow statements from `pg_stat_statements` (calls, mean and
/// total time). The header repeats the server's figures; the selected query is shown in full below the table.
final class DatabaseQueriesPane: Pane {
    private(set) var row: DatabaseRow
    let table: TableView<DatabaseQueryRow>
    private(set) var snapshot: DatabaseQueriesSnapshot?
    private var lastError: String?

    init(row: DatabaseRow) {
        self.row = row
        table = TableView(columns: DatabaseQueriesPane.columns(), sortColumn: nil,
                          emptyMessage: "no long-running or slow queries in the last hour") { r in
            [r.query.query, r.query.user, r.query.datname, r.query.wait, r.query.state]
        }
    }

    var title: String { "\(row.db)@\(row.host)" }
    var rowNoun: String { "query" }
    var filterText: String { table.filterText }

    var pollInterest: PollInterest {
        var p = PollInterest()
        p.databases = true
        p.databaseQueries = DatabaseQueriesInterest(host: row.host, db: row.db)
        return p
    }

    var keyMap: KeyMap { KeyMap(table.keyActions(section: "Queries")) }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        (try table.setFilter(text), table.rows.count)
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .databases(let s):
            guard let fresh = s.rows.first(where: { $0.id == row.id }) else { return false }
            row = fresh
            rebuild(now: now)
            return true
        case .databaseQueries(let s) where s.interest == DatabaseQueriesInterest(host: row.host, db: row.db):
            snapshot = s
            lastError = nil
            rebuild(now: now)
            return true
        case .databasesError(let text):
            lastError = text
            return true
        default:
            return false
        }
    }

    private func rebuild(now: Int64) {
        guard let s = snapshot else { return }
        let running = s.runningNow(lastLook: row.lastSeen).map { DatabaseQueryRow(query: $0, section: .running) }
        let earlier = s.earlier(lastLook: row.lastSeen).map { DatabaseQueryRow(query: $0, section: .earlier) }
        let slow = s.slowStatements.map { DatabaseQueryRow(query: $0, section: .slow) }
        table.setRows(running + slow + earlier, now: now)
    }

    // MARK: Rendering

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 5 else { return }
        let (top, rest) = rect.splitTop(3)
        canvas.put(headline, x: top.x + 1, y: top.y, role: row.isUp ? .text : .critical, maxWidth: top.width - 2)
        canvas.put(breakdown, x: top.x + 1, y: top.y + 1, role: .muted, maxWidth: top.width - 2)
        var title = "Queries · last hour"
        if let s = snapshot {
            let slow = s.slowStatements.count
            title += " · \(s.runningNow(lastLook: row.lastSeen).count) running long now · \(slow) slow statement\(slow == 1 ? "" : "s")"
        }
        canvas.box(rest, title: title, role: context.focused ? .borderFocus : .border)
        let inner = rest.inset(1)
        var tableRect = inner
        if inner.height >= 10, let selected = table.selected {
            let q = selected.query
            let text = q.query.replacingOccurrences(of: "\n", with: " ")
            let lines = LogsFormat.wrap([Span(text, .text)], width: inner.width - 2, maxLines: min(6, inner.height / 3), ellipsis: canvas.glyphs.ellipsis)
            let (upper, detail) = inner.splitBottom(lines.count + 2)
            tableRect = upper
            canvas.fill(Rect(x: detail.x, y: detail.y, width: detail.width, height: 1), canvas.glyphs.horizontal, role: .border)
            canvas.put(Self.describe(q), x: detail.x + 1, y: detail.y + 1, role: .muted, maxWidth: detail.width - 2)
            for (i, line) in lines.enumerated() { _ = canvas.put(line, x: detail.x + 1, y: detail.y + 2 + i, maxWidth: detail.width - 2) }
        }
        table.render(orWaiting: snapshot != nil, error: lastError, into: &canvas, in: tableRect, focused: context.focused, now: context.now)
    }

    /// The server's figures on one line.
    var headline: String {
        guard row.isUp else { return "\(row.db) on \(row.host): DOWN (the agent cannot reach it; its log says why)" }
        var parts = ["\(row.db) on \(row.host) · \(row.role)"]
        if let used = row.value("pg.connections.total"), let max = row.value("pg.connections.max") {
            parts.append("connections \(Int(used))/\(Int(max))")
        }
        if let tps = row.value("pg.tps") { parts.append("\(DatabasesPane.rate(tps)) tps") }
        if let hit = row.value("pg.cache.hit_percent") { parts.append(String(format: "cache %.1f%%", hit)) }
        if let size = row.value("pg.size_bytes") { parts.append(Format.bytes(size)) }
        if let locks = row.value("pg.locks.waiting"), locks > 0 { parts.append("\(Int(locks)) waiting for locks") }
        if row.isReplica, let lag = row.value("pg.replication.lag_seconds") { parts.append("lag \(Format.duration(seconds: lag))") }
        return parts.joined(separator: " · ")
    }

    /// Sessions by state and the databases' sizes, largest first.
    var breakdown: String {
        var parts: [String] = []
        if !row.connectionsByState.isEmpty {
            parts.append("sessions: " + row.connectionsByState.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                .map { "\($0.key.replacingOccurrences(of: "_", with: " ")) \(Int($0.value))" }.joined(separator: ", "))
        }
        if !row.databaseSizes.isEmpty {
            parts.append("databases: " + row.databaseSizes.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                .map { "\($0.key) \(Format.bytes($0.value))" }.joined(separator: ", "))
        }
        return parts.joined(separator: " · ")
    }

    /// The selected query's facts.
    static func describe(_ q: DatabaseQuery) -> String {
        switch q.kind {
        case .active:
            var s = "pid \(q.pid) · \(q.user)@\(q.datname) · \(q.state)"
            if !q.wait.isEmpty { s += " · waiting on \(q.wait)" }
            if q.wait.contains("blocked by") { return s + " · query \(Format.duration(seconds: q.durationMs / 1000))" }
            s += " · query \(Format.duration(seconds: q.durationMs / 1000)) · transaction \(Format.duration(seconds: q.transactionMs / 1000))"
            s += " · seen at \(Format.clock(q.ts))"
            return s + (q.pid > 0 ? " · end it: SELECT pg_cancel_backend(\(q.pid))" : "")
        case .statement:
            return "\(q.user)@\(q.datname) · \(q.calls) call\(q.calls == 1 ? "" : "s") in the hour · mean \(Format.milliseconds(q.durationMs)) · total \(Format.milliseconds(q.totalMs))"
        }
    }

    static func columns() -> [TableColumn<DatabaseQueryRow>] {
        [
            .text("WHAT", width: 7, priority: 100, role: { $0.section == .running ? .warning : $0.section == .slow ? .info : .muted }) {
                switch $0.section {
                case .running: "running"
                case .slow: "slow"
                case .earlier: "earlier"
                }
            },
            .text("PID", width: 7, alignRight: true, priority: 70) { $0.query.pid > 0 ? String($0.query.pid) : "" },
            .text("USER", width: 8, maxWidth: 16, priority: 60) { $0.query.user },
            .text("DB", width: 8, maxWidth: 16, priority: 55) { $0.query.datname },
            .text("STATE / WAIT", width: 14, flexible: true, maxWidth: 34, priority: 80, role: { $0.query.wait.hasPrefix("Lock") ? .critical : .text }) { r in
                r.section == .slow ? "" : r.query.wait.isEmpty ? r.query.state : r.query.wait
            },
            .text("TIME", width: 8, alignRight: true, priority: 95, ascending: { $0.sortTime < $1.sortTime }, descendingFirst: true) { r in
                r.section != .slow ? Format.duration(seconds: max(r.query.durationMs, r.query.transactionMs) / 1000)
                    : Format.milliseconds(r.query.durationMs)
            },
            .text("CALLS", width: 6, alignRight: true, priority: 50) { $0.section == .slow ? Format.number(Double($0.query.calls)) : "" },
            .text("QUERY", width: 20, flexible: true, priority: 90) { $0.query.query.replacingOccurrences(of: "\n", with: " ") },
        ]
    }
}

/// A row of the queries table: a query running long now, or a slow statement of the hour.
struct DatabaseQueryRow: Identifiable, Equatable {
    /// Running long now, a slow statement of the hour, or a query that ran long earlier in the hour.
    enum Section: Equatable { case running, slow, earlier }
    var query: DatabaseQuery
    var section: Section
    var id: String {
        switch section {
        case .running: "r\(query.pid)/\(query.query)"
        case .earlier: "e\(query.pid)/\(query.query)"
        case .slow: "s\(query.datname)/\(query.user)/\(query.query)"
        }
    }
    var sortTime: Double { section != .slow ? max(query.durationMs, query.transactionMs) : query.durationMs }
}
