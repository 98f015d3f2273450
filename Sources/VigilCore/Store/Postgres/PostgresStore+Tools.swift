import Foundation
import VigilWire

extension PostgresStore: FleetToolQueries {
    public func searchIncidents(query: String, limit: Int) async throws -> [IncidentRecord] {
        guard let q = Self.anyWordQuery(query) else { return [] }
        return try await read { s in
            var out: [IncidentRecord] = []
            for r in try await s.rows("""
                SELECT i.* FROM incidents i, to_tsquery('simple', ?) q
                WHERE i.search @@ q
                ORDER BY \(PGIncidents.rank) DESC, i.resolved_at DESC
                LIMIT ?
                """, [q, limit]) { out.append(try PGIncidents.record(from: r)) }
            return out
        }
    }

    public func latestCheckTargets() async throws -> [ObservedCheck] {
        try await read { s in
            var out: [ObservedCheck] = []
            for r in try await s.rows("""
                SELECT h.name AS host, c.name, c.kind, c.target, c.ok FROM check_results c
                JOIN (SELECT max(id) AS id FROM check_results GROUP BY host_id, name) latest ON latest.id = c.id
                JOIN hosts h ON h.id = c.host_id
                ORDER BY h.name COLLATE "C", c.name COLLATE "C"
                """) {
                guard let kind = CheckKind(rawValue: try r["kind"]) else { continue }
                out.append(ObservedCheck(host: try r["host"], name: try r["name"], kind: kind, target: try r["target"], ok: try r["ok"]))
            }
            return out
        }
    }

    /// Words as a `to_tsquery('simple', ?)` text matching any of them (`a | b`; ts_rank ranks the rows sharing more
    /// first). Words are the runs of letters, digits and `_` (none is tsquery syntax) of two characters or more, with
    /// a letter or digit, lowercased, the first 24 distinct; nil when there is none.
    static func anyWordQuery(_ text: String) -> String? {
        var seen = Set<String>()
        var tokens: [String] = []
        for t in text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }) where t.count >= 2 {
            guard t.contains(where: { $0.isLetter || $0.isNumber }) else { continue }
            let token = t.lowercased()
            if seen.insert(token).inserted { tokens.append(token) }
        }
        return tokens.isEmpty ? nil : tokens.prefix(24).joined(separator: " | ")
    }
}
