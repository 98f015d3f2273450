import GRDB

extension SQLiteStore {
    public func searchLogs(_ query: LogQuery, limit: Int, scanLimit: Int) async throws -> LogSearchResult {
        try await LogSearch.run(query, limit: limit, scanLimit: scanLimit, dialect: .sqlite, hosts: {
            try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT id, name, labels FROM hosts").map {
                    LogSearch.Host(id: $0["id"], name: $0["name"], labels: LabelsCodec.decode($0["labels"]))
                }
            }
        }, page: { [pool] sql, before, limit in
            try await pool.read { db in
                var conditions = sql.conditions
                var args: [any DatabaseValueConvertible] = sql.args.map {
                    switch $0 {
                    case .int(let v): v
                    case .text(let v): v
                    }
                }
                if let before {
                    conditions.append("(l.ts < ? OR (l.ts = ? AND l.id < ?))")
                    args += [before.ts, before.ts, before.id]
                }
                var text = "SELECT l.id, l.ts, l.source, l.level, l.message, h.name AS host FROM logs l JOIN hosts h ON h.id = l.host_id"
                if !conditions.isEmpty { text += " WHERE " + conditions.joined(separator: " AND ") }
                text += " ORDER BY l.ts DESC, l.id DESC LIMIT ?"
                args.append(limit)
                return try Row.fetchAll(db, sql: text, arguments: StatementArguments(args)).map { Self.log(from: $0, host: $0["host"]) }
            }
        })
    }
}
