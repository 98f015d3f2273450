import VigilWire

/// Slow statements from `pg_stat_statements`: the counters of the 200 statements with the most total time, and the ones
/// whose calls since the previous look averaged at least the threshold. Pure apart from the SQL it names.
public struct PostgresStatements: Sendable, Equatable {
    public struct Counter: Sendable, Equatable {
        public var calls: Double
        public var totalMs: Double
        public var query: String
        public var datname: String
        public var user: String
    }

    /// Keyed by `queryid/dbid/userid`.
    public var counters: [String: Counter] = [:]

    public init() {}

    /// The query for the server's major version (`total_exec_time` since 13, `total_time` before).
    public static func sql(majorVersion: Int) -> String {
        let total = majorVersion >= 13 ? "total_exec_time" : "total_time"
        return """
            SELECT s.queryid::text || '/' || s.dbid::text || '/' || s.userid::text AS key, s.calls, s.\(total) AS total_ms,
              COALESCE(d.datname, '') AS datname, COALESCE(u.usename, '') AS usename, left(s.query, 1024) AS query
              FROM pg_stat_statements s
              LEFT JOIN pg_database d ON d.oid = s.dbid LEFT JOIN pg_user u ON u.usesysid = s.userid
              WHERE s.queryid IS NOT NULL
              ORDER BY s.\(total) DESC LIMIT 200
            """
    }

    public static func parse(_ result: PostgresResult) -> PostgresStatements {
        var s = PostgresStatements()
        for row in result.rows {
            guard let key = result.value(row, "key") else { continue }
            s.counters[key] = Counter(calls: Double(result.value(row, "calls") ?? "") ?? 0,
                                      totalMs: Double(result.value(row, "total_ms") ?? "") ?? 0,
                                      query: result.value(row, "query") ?? "", datname: result.value(row, "datname") ?? "",
                                      user: result.value(row, "usename") ?? "")
        }
        return s
    }

    /// Statements called since `previous` whose calls averaged at least `slowMs`: the 10 with the most time. A statement
    /// not in `previous` is new (or new among the 200), and all its calls count.
    public func slow(since previous: PostgresStatements, name: String, slowMs: Int64, nowMs: Int64) -> [DatabaseQuery] {
        var out: [DatabaseQuery] = []
        for (key, now) in counters {
            let before = previous.counters[key]
            let calls = now.calls - (before?.calls ?? 0)
            let total = now.totalMs - (before?.totalMs ?? 0)
            guard calls > 0, total >= 0, total / calls >= Double(slowMs) else { continue }
            out.append(DatabaseQuery(database: name, kind: .statement, datname: now.datname, user: now.user,
                                     durationMs: (total / calls * 10).rounded() / 10, calls: Int64(calls),
                                     totalMs: total.rounded(), query: PostgresReading.clipped(now.query), ts: nowMs))
        }
        return Array(out.sorted { $0.totalMs > $1.totalMs }.prefix(10))
    }
}
