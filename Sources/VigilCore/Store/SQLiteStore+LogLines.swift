import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func logs(templateID: Int64, host: String?, limit: Int) async throws -> [StoredLog] {
        guard limit > 0 else { return [] }
        return try await pool.read { db in
            var sql = """
                SELECT l.id, l.ts, l.source, l.level, l.message, h.name AS host FROM logs l JOIN hosts h ON h.id = l.host_id
                WHERE l.template_id = ?
                """
            var args: [any DatabaseValueConvertible] = [templateID]
            if let host {
                sql += " AND h.name = ?"
                args.append(host)
            }
            sql += " ORDER BY l.ts DESC, l.id DESC LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { Self.log(from: $0, host: $0["host"]) }
        }
    }

    public func logCountsByHost(from: Int64, to: Int64, minLevel: LogLevel) async throws -> [String: Int] {
        try await pool.read { db in
            // By the time index, as the fleet's error counts (SQLite would otherwise walk `logs_by_host_ts`).
            var out: [String: Int] = [:]
            for r in try Row.fetchAll(db, sql: """
                SELECT h.name AS host, c.n FROM (SELECT host_id, count(*) AS n FROM logs INDEXED BY logs_by_ts
                                                 WHERE ts >= ? AND ts < ? AND level >= ? GROUP BY host_id) c
                JOIN hosts h ON h.id = c.host_id
                """, arguments: [from, to, minLevel.rank]) {
                out[r["host"]] = r["n"]
            }
            return out
        }
    }
}
