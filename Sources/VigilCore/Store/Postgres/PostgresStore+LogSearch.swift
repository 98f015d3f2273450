extension PostgresStore {
    public func searchLogs(_ query: LogQuery, limit: Int, scanLimit: Int) async throws -> LogSearchResult {
        try await LogSearch.run(query, limit: limit, scanLimit: scanLimit, dialect: .postgres, hosts: {
            try await read { s in
                var out: [LogSearch.Host] = []
                for r in try await s.rows("SELECT id, name, labels FROM hosts") {
                    out.append(LogSearch.Host(id: try r["id"], name: try r["name"], labels: LabelsCodec.decode(try r["labels"])))
                }
                return out
            }
        }, page: { sql, before, limit in
            try await self.read { s in
                var conditions = sql.conditions
                var args: [any PGValue] = sql.args.map {
                    switch $0 {
                    case .int(let v): v
                    case .text(let v): v
                    }
                }
                if let before {
                    conditions.append("(l.ts, l.id) < (?, ?)")
                    args += [before.ts, before.id]
                }
                var text = "SELECT l.id, l.ts, l.source, l.level, l.message, h.name AS host FROM logs l JOIN hosts h ON h.id = l.host_id"
                if !conditions.isEmpty { text += " WHERE " + conditions.joined(separator: " AND ") }
                text += " ORDER BY l.ts DESC, l.id DESC LIMIT ?"
                args.append(limit)
                var out: [StoredLog] = []
                for r in try await s.rows(text, args) { out.append(try Self.log(from: r, host: try r["host"])) }
                return out
            }
        })
    }
}
