import GRDB
import VigilWire

extension SQLiteStore {
    public func databaseQueries(host: String, database: String, from: Int64, to: Int64, limit: Int) async throws -> [DatabaseQuery] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT q.* FROM db_queries q JOIN hosts h ON h.id = q.host_id
                WHERE h.name = ? AND q.database = ? AND q.ts >= ? AND q.ts <= ? ORDER BY q.ts DESC, q.id DESC LIMIT ?
                """, arguments: [host, database, from, to, limit]).map { r in
                DatabaseQuery(database: r["database"], kind: DatabaseQuery.Kind(rawValue: r["kind"]) ?? .active, datname: r["datname"],
                              user: r["user"], pid: r["pid"], state: r["state"], wait: r["wait"], durationMs: r["duration_ms"],
                              transactionMs: r["transaction_ms"], calls: r["calls"], totalMs: r["total_ms"], query: r["query"], ts: r["ts"])
            }
        }
    }
}
