import Foundation
import GRDB
import VigilWire

extension SQLiteStore: FleetToolQueries {
    public func searchIncidents(query: String, limit: Int) async throws -> [IncidentRecord] {
        guard let q = Self.anyWordQuery(query) else { return [] }
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.* FROM incidents_fts f JOIN incidents i ON i.rowid = f.rowid
                WHERE incidents_fts MATCH ?
                ORDER BY bm25(incidents_fts, 10.0, 3.0, 2.0, 1.0, 1.0, 1.0, 1.0), i.resolved_at DESC
                LIMIT ?
                """, arguments: [q, limit]).map(SQLiteIncidents.record(from:))
        }
    }

    public func latestCheckTargets() async throws -> [ObservedCheck] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT h.name AS host, c.name, c.kind, c.target, c.ok FROM check_results c
                JOIN (SELECT max(id) AS id FROM check_results GROUP BY host_id, name) latest ON latest.id = c.id
                JOIN hosts h ON h.id = c.host_id
                ORDER BY h.name, c.name
                """).compactMap { r -> ObservedCheck? in
                guard let kind = CheckKind(rawValue: r["kind"]) else { return nil }
                return ObservedCheck(host: r["host"], name: r["name"], kind: kind, target: r["target"], ok: r["ok"])
            }
        }
    }

    /// Words as an FTS5 query matching any of them (bm25 ranks the rows sharing more first). Every token is quoted,
    /// so nothing typed can change the query's syntax; nil when there is no word.
    static func anyWordQuery(_ text: String) -> String? {
        var seen = Set<String>()
        var tokens: [String] = []
        for t in text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }) where t.count >= 2 {
            let token = t.lowercased()
            if seen.insert(token).inserted { tokens.append("\"\(token)\"") }
        }
        return tokens.isEmpty ? nil : tokens.prefix(24).joined(separator: " OR ")
    }
}
