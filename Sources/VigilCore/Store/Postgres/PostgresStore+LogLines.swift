import Foundation
import VigilWire

extension PostgresStore {
    public func logs(templateID: Int64, host: String?, limit: Int) async throws -> [StoredLog] {
        guard limit > 0 else { return [] }
        return try await read { s in
            var sql = """
                SELECT l.id, l.ts, l.source, l.level, l.message, h.name AS host FROM logs l JOIN hosts h ON h.id = l.host_id
                WHERE l.template_id = ?
                """
            var args: [any PGValue] = [templateID]
            if let host {
                sql += " AND h.name = ?"
                args.append(host)
            }
            sql += " ORDER BY l.ts DESC, l.id DESC LIMIT ?"
            args.append(limit)
            var out: [StoredLog] = []
            for r in try await s.rows(sql, args) { out.append(try Self.log(from: r, host: try r["host"])) }
            return out
        }
    }

    public func logCountsByHost(from: Int64, to: Int64, minLevel: LogLevel) async throws -> [String: Int] {
        try await read { s in
            var out: [String: Int] = [:]
            for r in try await s.rows("""
                SELECT h.name AS host, c.n FROM (SELECT host_id, count(*) AS n FROM logs
                                                 WHERE ts >= ? AND ts < ? AND level >= ? GROUP BY host_id) c
                JOIN hosts h ON h.id = c.host_id
                """, [from, to, minLevel.rank]) {
                let host: String = try r["host"]
                let n: Int = try r["n"]
                out[host] = n
            }
            return out
        }
    }
}
