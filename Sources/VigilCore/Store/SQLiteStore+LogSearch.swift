import GRDB

extension SQLiteStore {
    public func searchLogs(_ query: LogQuery, limit: Int, scanLimit: Int) async throws -> LogSearchResult {
        try await LogSearch.run(query, limit: limit, scanLimit: scanLimit, dialect: .sqlite, hosts: {
            try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT id, name, labels FROM hosts").map {
                    LogSearch.Host(id: $0["id"], name: $0["name"], labels: LabelsCodec.decode($0["labels"]))
                }
            }
        }, rows: logRows)
    }

    public func logContext(of line: StoredLog, before: Int, after: Int) async throws -> (lines: [StoredLog], index: Int?) {
        try await LogContext.run(line, before: before, after: after, rows: logRows)
    }

    /// Log rows of a `LogSearch.select` statement.
    @Sendable func logRows(_ sql: String, _ args: [LogQuerySQL.Arg]) async throws -> [StoredLog] {
        try await pool.read { db in
            let values: [any DatabaseValueConvertible] = args.map {
                switch $0 {
                case .int(let v): v
                case .text(let v): v
                }
            }
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(values)).map { Self.log(from: $0, host: $0["host"]) }
        }
    }
}
