import VigilCore
import VigilWire

/// One PostgreSQL server an agent's probe watches (`databases:` in its config): its newest figures and the last
/// 30 minutes of transactions and connections, from the `pg.*` series.
struct DatabaseRow: Identifiable, Equatable, Sendable {
    var host: String
    /// The probe's name (the `db` label).
    var db: String
    var id: String { host + "/" + db }
    /// The newest value of each `pg.*` metric (without extra labels).
    var latest: [String: Double]
    /// When the probe last reported.
    var lastSeen: Int64
    var tpsHistory: [Double?]
    var connectionHistory: [Double?]
    /// The newest size of each database on the server (`pg.database.size_bytes` by `database`).
    var databaseSizes: [String: Double] = [:]
    /// The newest count of client sessions by state (`pg.connections` by `state`).
    var connectionsByState: [String: Double] = [:]

    /// Whether the probe reached the server at its last look.
    var isUp: Bool { latest["pg.up"] == 1 }
    var isReplica: Bool { latest["pg.in_recovery"] == 1 }
    var role: String { !isUp ? "down" : isReplica ? "replica" : "primary" }

    func value(_ metric: String) -> Double? { latest[metric] }
}

/// The rows of the Databases pane.
struct DatabasesSnapshot: Equatable, Sendable {
    var takenAt: Int64
    var rows: [DatabaseRow]
}

/// Reads the `pg.*` series of the last 30 minutes and makes one row per (host, db).
enum DatabaseFetcher {
    /// Series with a second label besides `db`: per database and per session state.
    static let detailMetrics: Set<String> = ["pg.database.size_bytes", "pg.connections"]

    /// The series the pane shows.
    static let metrics: Set<String> = [
        "pg.up", "pg.in_recovery", "pg.connections.total", "pg.connections.max", "pg.connections.used_percent", "pg.tps",
        "pg.rows_per_sec", "pg.cache.hit_percent", "pg.size_bytes", "pg.query.longest_seconds", "pg.transaction.longest_seconds",
        "pg.queries.long", "pg.locks.waiting", "pg.replication.lag_seconds", "pg.replicas",
    ]
    static let span: Int64 = 30 * 60_000
    /// Sparkline slots (two per cell in a 12-cell column).
    static let slots = 24

    static func fetch(_ store: any Store, now: Int64) async -> ConsoleMessage {
        do {
            // One read: the row's series (only a `db` label) and the breakdowns (a second label), whose newest values count.
            let keys = try await store.seriesKeys(metrics: metrics.union(detailMetrics)).filter { key in
                key.labels["db"] != nil && key.labels.count == (detailMetrics.contains(key.name) ? 2 : 1)
            }
            let all = try await store.points(keys, from: now - span, to: now)
            let details = all.filter { detailMetrics.contains($0.key.name) }
            let points = all.filter { !detailMetrics.contains($0.key.name) }
            return .databases(DatabasesSnapshot(takenAt: now, rows: rows(points, details: details, from: now - span, to: now)))
        } catch {
            return .databasesError(String(describing: error))
        }
    }

    /// One row per (host, db label) that has points, sorted by host then db.
    static func rows(_ points: [SeriesKey: [SeriesPoint]], details: [SeriesKey: [SeriesPoint]] = [:], from: Int64, to: Int64) -> [DatabaseRow] {
        var grouped: [String: DatabaseRow] = [:]
        for (key, series) in points {
            guard let db = key.labels["db"], let last = series.last else { continue }
            let id = key.host + "/" + db
            var row = grouped[id] ?? DatabaseRow(host: key.host, db: db, latest: [:], lastSeen: 0, tpsHistory: [], connectionHistory: [])
            row.latest[key.name] = last.value
            row.lastSeen = max(row.lastSeen, last.ts)
            if key.name == "pg.tps" { row.tpsHistory = VigilCore.Sparkline.slots(series, from: from, to: to, count: slots) }
            if key.name == "pg.connections.total" { row.connectionHistory = VigilCore.Sparkline.slots(series, from: from, to: to, count: slots) }
            grouped[id] = row
        }
        // Only the breakdown of the server's newest look: a state with no session then is not sent, so older points of
        // it would linger.
        for (key, series) in details {
            guard let db = key.labels["db"], let last = series.last, var row = grouped[key.host + "/" + db], last.ts >= row.lastSeen else { continue }
            if key.name == "pg.database.size_bytes", let name = key.labels["database"] { row.databaseSizes[name] = last.value }
            if key.name == "pg.connections", let state = key.labels["state"] { row.connectionsByState[state] = last.value }
            grouped[row.id] = row
        }
        // `pg.up` is the newest word: while a server is down its other figures are the last ones before the outage.
        return grouped.values.sorted { ($0.host, $0.db) < ($1.host, $1.db) }
    }
}

/// What the queries view of one database wants read.
struct DatabaseQueriesInterest: Equatable, Sendable {
    var host: String
    var db: String
}

/// The long-running and slow queries of one database over the last hour, newest first.
struct DatabaseQueriesSnapshot: Equatable, Sendable {
    var interest: DatabaseQueriesInterest
    var takenAt: Int64
    var queries: [DatabaseQuery]

    static let span: Int64 = 3_600_000
    static let limit = 2_000

    /// What runs long now: the active records of the probe's last look (`lastLook`, the newest `pg.*` sample: a look
    /// that found nothing long leaves no record), longest first.
    func runningNow(lastLook: Int64) -> [DatabaseQuery] {
        let active = queries.filter { $0.kind == .active }
        guard let newest = active.map(\.ts).max(), newest >= lastLook, takenAt - newest < 120_000 else { return [] }
        return active.filter { $0.ts == newest }.sorted(by: Self.longestFirst)
    }

    /// What ran long earlier in the hour: each (pid, query) once, at its longest, longest first.
    func earlier(lastLook: Int64) -> [DatabaseQuery] {
        let now = Set(runningNow(lastLook: lastLook).map { "\($0.pid)\u{0}\($0.query)" })
        var merged: [String: DatabaseQuery] = [:]
        for q in queries where q.kind == .active {
            let key = "\(q.pid)\u{0}\(q.query)"
            guard !now.contains(key) else { continue }
            if let m = merged[key], max(m.durationMs, m.transactionMs) >= max(q.durationMs, q.transactionMs) { continue }
            merged[key] = q
        }
        return merged.values.sorted(by: Self.longestFirst)
    }

    static func longestFirst(_ a: DatabaseQuery, _ b: DatabaseQuery) -> Bool {
        (max(a.durationMs, a.transactionMs), -a.pid) > (max(b.durationMs, b.transactionMs), -b.pid)
    }

    /// Slow statements of the hour, merged by text: calls and time summed, most total time first.
    var slowStatements: [DatabaseQuery] {
        var merged: [String: DatabaseQuery] = [:]
        var order: [String] = []
        for q in queries where q.kind == .statement {
            let key = q.datname + "\u{0}" + q.user + "\u{0}" + q.query
            if var m = merged[key] {
                m.calls += q.calls
                m.totalMs += q.totalMs
                m.durationMs = m.calls > 0 ? m.totalMs / Double(m.calls) : m.durationMs
                m.ts = max(m.ts, q.ts)
                merged[key] = m
            } else {
                merged[key] = q
                order.append(key)
            }
        }
        return order.compactMap { merged[$0] }.sorted { $0.totalMs > $1.totalMs }
    }

    static func fetch(_ store: any Store, _ wanted: DatabaseQueriesInterest, now: Int64) async -> ConsoleMessage {
        do {
            let q = try await store.databaseQueries(host: wanted.host, database: wanted.db, from: now - span, to: now + 60_000, limit: limit)
            return .databaseQueries(DatabaseQueriesSnapshot(interest: wanted, takenAt: now, queries: q))
        } catch {
            return .databasesError(String(describing: error))
        }
    }
}
