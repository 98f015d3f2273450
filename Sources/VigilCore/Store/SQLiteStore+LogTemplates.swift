import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    /// Slices of a `LogPatternStat.trend`.
    static let patternTrendSlots = 12

    public func topLogPatterns(host: String?, from: Int64, to: Int64, limit: Int) async throws -> [LogPatternStat] {
        guard to > from, limit > 0 else { return [] }
        return try await pool.read { db in
            var hostID: Int64?
            if let host {
                guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM hosts WHERE name = ?", arguments: [host]) else { return [] }
                hostID = id
            }
            let onHost = hostID == nil ? "" : " AND host_id = \(hostID!)"
            let top = try Row.fetchAll(db, sql: """
                SELECT template_id, count(*) AS n, max(level) AS lvl, max(ts) AS last FROM logs
                WHERE ts >= ? AND ts < ? AND template_id IS NOT NULL\(onHost)
                GROUP BY template_id ORDER BY n DESC, template_id LIMIT ?
                """, arguments: [from, to, limit])
            guard !top.isEmpty else { return [] }
            let ids = top.map { $0["template_id"] as Int64 }
            let list = ids.map(String.init).joined(separator: ",")
            var meta: [Int64: Row] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT id, template, first_seen, max_level FROM log_templates WHERE id IN (\(list))") {
                meta[r["id"]] = r
            }
            let slots = Self.patternTrendSlots
            var trends: [Int64: [Int]] = [:]
            let span = to - from
            for r in try Row.fetchAll(db, sql: """
                SELECT template_id, (ts - ?1) * ?2 / ?3 AS slot, count(*) AS n FROM logs
                WHERE template_id IN (\(list)) AND ts >= ?1 AND ts < ?4\(onHost) GROUP BY template_id, slot
                """, arguments: [from, slots, span, to]) {
                let slot = min(slots - 1, max(0, r["slot"] as Int))
                trends[r["template_id"], default: Array(repeating: 0, count: slots)][slot] += r["n"] as Int
            }
            var previous: [Int64: Int] = [:]
            for r in try Row.fetchAll(db, sql: """
                SELECT template_id, count(*) AS n FROM logs WHERE template_id IN (\(list)) AND ts >= ? AND ts < ?\(onHost) GROUP BY template_id
                """, arguments: [from - span, from]) {
                previous[r["template_id"]] = r["n"]
            }
            return top.compactMap { r -> LogPatternStat? in
                let id: Int64 = r["template_id"]
                guard let m = meta[id] else { return nil }
                return LogPatternStat(id: id, template: m["template"], count: r["n"], trend: trends[id] ?? Array(repeating: 0, count: slots),
                                      previousCount: previous[id] ?? 0, level: LogLevel(rank: r["lvl"]) ?? .info,
                                      maxLevel: LogLevel(rank: m["max_level"]) ?? .info, firstSeen: m["first_seen"], lastSeen: r["last"])
            }
        }
    }

    /// Runs on every evaluation: CROSS JOIN makes SQLite start from the (few) recent templates and reach their
    /// lines through `logs_by_template`, instead of scanning every log line.
    public func newLogPatterns(since: Int64, minLevel: LogLevel) async throws -> [NewLogPattern] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT h.name AS host, t.id, t.template, t.first_seen, count(*) AS n, max(l.level) AS lvl
                FROM log_templates t CROSS JOIN logs l ON l.template_id = t.id JOIN hosts h ON h.id = l.host_id
                WHERE t.first_seen >= ? AND t.max_level >= ? AND l.level >= ?
                GROUP BY l.host_id, t.id ORDER BY t.id, h.name
                """, arguments: [since, minLevel.rank, minLevel.rank]).map { r in
                NewLogPattern(host: r["host"], templateID: r["id"], template: r["template"], firstSeen: r["first_seen"], count: r["n"],
                              level: LogLevel(rank: r["lvl"]) ?? minLevel)
            }
        }
    }
}
