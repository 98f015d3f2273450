import VigilCore
import VigilTheme

/// The PostgreSQL servers the agents watch (`:db`): one row per server with its connections against
/// `max_connections`, transactions and rows per second, cache hit ratio, size, the longest query and transaction,
/// waiting locks and replication lag, with 30-minute sparklines of transactions and connections. `Enter` shows the
/// server's long-running and slow queries (`DatabaseQueriesPane`).
final class DatabasesPane: Pane {
    let table: TableView<DatabaseRow>
    private(set) var snapshot: DatabasesSnapshot?
    private var lastError: String?

    init() {
        table = TableView(columns: DatabasesPane.columns(), sortColumn: 0,
                          emptyMessage: "no databases: add a databases: entry to an agent's config (deploy/agent.example.yaml)") { row in
            [row.host, row.db, row.role]
        }
    }

    var title: String { "databases" }
    var rowNoun: String { "database" }
    var filterText: String { table.filterText }
    var knownHosts: [String] { Array(Set(table.rows.map(\.host))).sorted() }

    var pollInterest: PollInterest {
        var p = PollInterest()
        p.databases = true
        return p
    }

    var keyMap: KeyMap {
        let section = "Databases"
        let own = [
            KeyAction([.enter, .char("l"), .right], "queries", section: section) { [self] in
                guard let row = table.selected else { return .message("no database selected", isError: false) }
                return .push(DatabaseQueriesPane(row: row))
            },
            KeyAction([.char("g")], "graph TPS", section: section) { [self] in
                guard let row = table.selected else { return .message("no database selected", isError: false) }
                return .push(MetricPane(metric: "pg.tps", hosts: [row.host]))
            },
        ]
        return KeyMap(own).merged(over: KeyMap(table.keyActions(section: section)))
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        (try table.setFilter(text), table.rows.count)
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .databases(let s):
            snapshot = s
            lastError = nil
            table.setRows(s.rows, now: now)
            return true
        case .databasesError(let text):
            lastError = text
            return true
        default:
            return false
        }
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 3 else { return }
        var title = "PostgreSQL"
        if let rows = snapshot?.rows {
            let down = rows.filter { !$0.isUp }.count
            title += table.filterText.isEmpty ? " (\(rows.count)\(down > 0 ? ", \(down) down" : ""))" : table.countTitle
        }
        canvas.box(rect, title: title, role: context.focused ? .borderFocus : .border)
        table.render(orWaiting: snapshot != nil, error: lastError, into: &canvas, in: rect.inset(1), focused: context.focused, now: context.now)
    }

    // MARK: Columns

    static func number(_ row: DatabaseRow, _ metric: String, _ format: (Double) -> String) -> String {
        row.value(metric).map(format) ?? "-"
    }

    static func columns() -> [TableColumn<DatabaseRow>] {
        func by(_ metric: String) -> (DatabaseRow, DatabaseRow) -> Bool { { ($0.value(metric) ?? -1) < ($1.value(metric) ?? -1) } }
        func spark(_ title: String, _ history: KeyPath<DatabaseRow, [Double?]>, priority: Int) -> TableColumn<DatabaseRow> {
            TableColumn(title, width: 12, priority: priority) { row, ctx in
                [Span(Sparkline.render(row[keyPath: history], width: ctx.width, unicode: ctx.glyphs.isUnicode), .sparkline)]
            }
        }
        return [
            .text("HOST", width: 12, flexible: true, maxWidth: 24, priority: 100, ascending: { ($0.host, $0.db) < ($1.host, $1.db) }) { $0.host },
            .text("DB", width: 8, flexible: true, maxWidth: 16, priority: 100, ascending: { $0.db < $1.db }) { $0.db },
            .text("ROLE", width: 7, priority: 90, role: { !$0.isUp ? .critical : $0.isReplica ? .info : .text },
                  ascending: { $0.role < $1.role }) { $0.role },
            .text("CONN", width: 9, alignRight: true, priority: 85, role: { connectionRole($0) }, ascending: by("pg.connections.used_percent"),
                  descendingFirst: true) { row in
                guard let used = row.value("pg.connections.total"), let max = row.value("pg.connections.max") else { return "-" }
                return "\(Int(used))/\(Int(max))"
            },
            spark("CONNECTIONS", \.connectionHistory, priority: 35),
            .text("TPS", width: 7, alignRight: true, priority: 95, ascending: by("pg.tps"), descendingFirst: true) { number($0, "pg.tps", rate) },
            spark("TPS 30m", \.tpsHistory, priority: 45),
            .text("ROWS/s", width: 7, alignRight: true, priority: 55, ascending: by("pg.rows_per_sec"), descendingFirst: true) {
                number($0, "pg.rows_per_sec", rate)
            },
            .text("CACHE", width: 6, alignRight: true, priority: 65, role: { ($0.value("pg.cache.hit_percent") ?? 100) < 90 ? .warning : .text },
                  ascending: by("pg.cache.hit_percent")) { number($0, "pg.cache.hit_percent") { String(format: "%.1f%%", $0) } },
            .text("SIZE", width: 8, alignRight: true, priority: 50, ascending: by("pg.size_bytes"), descendingFirst: true) {
                number($0, "pg.size_bytes", Format.bytes)
            },
            .text("QUERY", width: 7, alignRight: true, priority: 75, role: { ($0.value("pg.queries.long") ?? 0) > 0 ? .warning : .text },
                  ascending: by("pg.query.longest_seconds"), descendingFirst: true) { number($0, "pg.query.longest_seconds", duration) },
            .text("XACT", width: 7, alignRight: true, priority: 70, role: { ($0.value("pg.transaction.longest_seconds") ?? 0) > 900 ? .warning : .text },
                  ascending: by("pg.transaction.longest_seconds"), descendingFirst: true) { number($0, "pg.transaction.longest_seconds", duration) },
            .text("LOCKS", width: 5, alignRight: true, priority: 80, role: { ($0.value("pg.locks.waiting") ?? 0) > 0 ? .warning : .text },
                  ascending: by("pg.locks.waiting"), descendingFirst: true) { number($0, "pg.locks.waiting", Format.number) },
            .text("LAG", width: 7, alignRight: true, priority: 60, role: { ($0.value("pg.replication.lag_seconds") ?? 0) > 60 ? .warning : .text },
                  ascending: by("pg.replication.lag_seconds"), descendingFirst: true) { row in
                // A replica that has caught up shows 0s, not the "-" of no figure.
                row.isReplica ? number(row, "pg.replication.lag_seconds") { $0 < 0.5 ? "0s" : Format.duration(seconds: $0) }
                    : "\(Int(row.value("pg.replicas") ?? 0)) repl"
            },
            TableColumn("SEEN", width: 5, alignRight: true, priority: 40, ascending: { $0.lastSeen > $1.lastSeen }) { row, ctx in
                [Span(row.lastSeen > 0 ? Format.coarseAge(max(0, ctx.now - row.lastSeen)) : "-", .muted)]
            },
        ]
    }

    /// A rate: one decimal below 10 (`0.4`, `9.9`), then whole (`42`, `1.2k`).
    static func rate(_ v: Double) -> String { v < 10 ? String(format: "%.1f", v) : Format.number(v.rounded()) }

    /// A duration in seconds, 0 as `-`.
    static func duration(_ seconds: Double) -> String { seconds < 0.5 ? "-" : Format.duration(seconds: seconds) }

    static func connectionRole(_ row: DatabaseRow) -> Role {
        let used = row.value("pg.connections.used_percent") ?? 0
        return used >= 85 ? .critical : used >= 70 ? .warning : .text
    }
}
