import VigilWire

extension PostgresStore {
    public func databaseQueries(host: String, database: String, from: Int64, to: Int64, limit: Int) async throws -> [DatabaseQuery] {
        try await read { s in
            var out: [DatabaseQuery] = []
            for r in try await s.rows("""
                SELECT q.* FROM db_queries q JOIN hosts h ON h.id = q.host_id
                WHERE h.name = ? AND q.database = ? AND q.ts >= ? AND q.ts <= ? ORDER BY q.ts DESC, q.id DESC LIMIT ?
                """, [host, database, from, to, limit]) {
                out.append(DatabaseQuery(database: try r["database"], kind: DatabaseQuery.Kind(rawValue: try r["kind"]) ?? .active,
                                         datname: try r["datname"], user: try r["user"], pid: Int(try r["pid"] as Int64),
                                         state: try r["state"], wait: try r["wait"], durationMs: try r["duration_ms"],
                                         transactionMs: try r["transaction_ms"], calls: try r["calls"], totalMs: try r["total_ms"],
                                         query: try r["query"], ts: try r["ts"]))
            }
            return out
        }
    }
}
