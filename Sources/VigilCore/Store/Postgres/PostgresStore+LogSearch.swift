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
        }, rows: logRows)
    }

    public func logContext(of line: StoredLog, before: Int, after: Int) async throws -> (lines: [StoredLog], index: Int?) {
        try await LogContext.run(line, before: before, after: after, rows: logRows)
    }

    /// Log rows of a `LogSearch.select` statement.
    @Sendable func logRows(_ sql: String, _ args: [LogQuerySQL.Arg]) async throws -> [StoredLog] {
        try await read { s in
            let values: [any PGValue] = args.map {
                switch $0 {
                case .int(let v): v
                case .text(let v): v
                }
            }
            var out: [StoredLog] = []
            for r in try await s.rows(sql, values) { out.append(try Self.log(from: r, host: try r["host"])) }
            return out
        }
    }
}
