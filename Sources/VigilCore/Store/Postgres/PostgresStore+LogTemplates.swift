import Foundation
import VigilWire

extension PostgresStore {
    public func topLogPatterns(host: String?, from: Int64, to: Int64, limit: Int) async throws -> [LogPatternStat] {
        guard to > from, limit > 0 else { return [] }
        return try await read { s in
            var hostID: Int64?
            if let host {
                guard let id = try await s.value(Int64.self, "SELECT id FROM hosts WHERE name = ?", [host]) else { return [] }
                hostID = id
            }
            let onHost = hostID.map { " AND host_id = \($0)" } ?? ""
            let top = try await s.rows("""
                SELECT template_id, count(*) AS n, max(level) AS lvl, max(ts) AS last FROM logs
                WHERE ts >= ? AND ts < ? AND template_id IS NOT NULL\(onHost)
                GROUP BY template_id ORDER BY n DESC, template_id LIMIT ?
                """, [from, to, limit])
            guard !top.isEmpty else { return [] }
            var ids: [Int64] = []
            for r in top { ids.append(try r["template_id"]) }
            let list = ids.map(String.init).joined(separator: ",")
            var meta: [Int64: PGRow] = [:]
            for r in try await s.rows("SELECT id, template, first_seen, max_level FROM log_templates WHERE id IN (\(list))") { meta[try r["id"]] = r }
            let slots = SQLiteStore.patternTrendSlots
            var trends: [Int64: [Int]] = [:]
            let span = to - from
            for r in try await s.rows("""
                SELECT template_id, (ts - ?1) * ?2 / ?3 AS slot, count(*) AS n FROM logs
                WHERE template_id IN (\(list)) AND ts >= ?1 AND ts < ?4\(onHost) GROUP BY template_id, slot
                """, [from, slots, span, to]) {
                let slot = min(slots - 1, max(0, try r["slot"] as Int))
                trends[try r["template_id"], default: Array(repeating: 0, count: slots)][slot] += try r["n"] as Int
            }
            var previous: [Int64: Int] = [:]
            for r in try await s.rows("""
                SELECT template_id, count(*) AS n FROM logs WHERE template_id IN (\(list)) AND ts >= ? AND ts < ?\(onHost) GROUP BY template_id
                """, [from - span, from]) { previous[try r["template_id"]] = try r["n"] }
            var out: [LogPatternStat] = []
            for r in top {
                let id: Int64 = try r["template_id"]
                guard let m = meta[id] else { continue }
                out.append(LogPatternStat(id: id, template: try m["template"], count: try r["n"], trend: trends[id] ?? Array(repeating: 0, count: slots),
                                          previousCount: previous[id] ?? 0, level: LogLevel(rank: try r["lvl"]) ?? .info,
                                          maxLevel: LogLevel(rank: try m["max_level"]) ?? .info, firstSeen: try m["first_seen"], lastSeen: try r["last"]))
            }
            return out
        }
    }

    public func newLogPatterns(since: Int64, minLevel: LogLevel) async throws -> [NewLogPattern] {
        try await read { s in
            var out: [NewLogPattern] = []
            for r in try await s.rows("""
                SELECT h.name AS host, t.id, t.template, t.first_seen, count(*) AS n, max(l.level) AS lvl
                FROM log_templates t JOIN logs l ON l.template_id = t.id JOIN hosts h ON h.id = l.host_id
                WHERE t.first_seen >= ? AND t.max_level >= ? AND l.level >= ?
                GROUP BY l.host_id, h.name, t.id, t.template, t.first_seen ORDER BY t.id, h.name COLLATE "C"
                """, [since, minLevel.rank, minLevel.rank]) {
                out.append(NewLogPattern(host: try r["host"], templateID: try r["id"], template: try r["template"], firstSeen: try r["first_seen"],
                                         count: try r["n"], level: LogLevel(rank: try r["lvl"]) ?? minLevel))
            }
            return out
        }
    }
}
