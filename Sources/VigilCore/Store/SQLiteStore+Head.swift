import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func headSnapshot(metrics: Set<String>, from: Int64) async throws -> HeadSnapshot {
        try await pool.read { db in
            let cursor = try Int64.fetchOne(db, sql: "SELECT max(id) FROM sample_segments") ?? 0
            guard !metrics.isEmpty else { return HeadSnapshot(cursor: cursor, points: [:], lastSeen: [:]) }
            let keys = try self.seriesKeys(db, metrics: metrics)
            var points: [SeriesKey: [SeriesPoint]] = [:]
            for (sid, pts) in try SQLiteCompactor.readPoints(db: db, ids: Set(keys.keys), from: from, to: .max) {
                if let key = keys[sid] { points[key] = pts }
            }
            var lastSeen: [SeriesKey: Int64] = [:]
            // Points run to the newest sample, so only series without any since `from` need their chunks' newest
            // time (asking it of every series read each one's whole history: 39 ms at 4,000 series).
            let quiet = keys.filter { points[$0.value] == nil }
            if !quiet.isEmpty {
                let list = quiet.keys.map(String.init).joined(separator: ",")
                for r in try Row.fetchAll(db, sql: "SELECT series_id, max(end_ts) AS ts FROM sample_chunks WHERE series_id IN (\(list)) GROUP BY series_id") {
                    if let key = keys[r["series_id"]] { lastSeen[key] = r["ts"] }
                }
            }
            for (key, pts) in points {
                if let last = pts.last?.ts, last > lastSeen[key] ?? .min { lastSeen[key] = last }
            }
            return HeadSnapshot(cursor: cursor, points: points, lastSeen: lastSeen)
        }
    }

    public func headSegments(after cursor: Int64, limit: Int) async throws -> HeadSegmentData {
        try await pool.read { db in
            // Segment ids never go back (the newest segment is never compacted) and are given in order, so every id
            // after the cursor up to the newest must still be there; one missing was folded away unread.
            guard let hi = try Int64.fetchOne(db, sql: "SELECT max(id) FROM sample_segments") else { return .caughtUp }
            if hi < cursor { return .gone }
            let after = try Int64.fetchOne(db, sql: "SELECT count(*) FROM sample_segments WHERE id > ?", arguments: [cursor]) ?? 0
            if after != hi - cursor { return .gone }
            // A cursor: the rows' blobs are copied once, not held twice.
            let rows = try Row.fetchCursor(db, sql: "SELECT id, data FROM sample_segments WHERE id > ? ORDER BY id LIMIT ?",
                                           arguments: [cursor, limit + 1])
            var out = HeadSegmentData(segments: [], more: false, gap: false)
            while let r = try rows.next() {
                guard out.segments.count < limit else { out.more = true; break }
                out.segments.append((r["id"], [UInt8](r["data"] as Data)))
            }
            return out
        }
    }

    public func seriesKeys(ids: Set<Int64>) async throws -> [Int64: SeriesKey] {
        try await pool.read { db in
            var out: [Int64: SeriesKey] = [:]
            let list = Array(ids)
            for part in stride(from: 0, to: list.count, by: 500) {
                out.merge(try self.seriesKeys(db, where: "s.id IN (\(list[part..<min(part + 500, list.count)].map(String.init).joined(separator: ",")))"),
                          uniquingKeysWith: { a, _ in a })
            }
            return out
        }
    }

    /// Series of these metrics by id, with their hosts' names.
    func seriesKeys(_ db: Database, metrics: Set<String>) throws -> [Int64: SeriesKey] {
        let names = metrics.sorted()
        return try self.seriesKeys(db, where: "s.name IN (\(names.map { _ in "?" }.joined(separator: ",")))", arguments: StatementArguments(names))
    }

    /// Series by id, with their hosts' names, for a condition on `series s`.
    func seriesKeys(_ db: Database, where condition: String, arguments: StatementArguments = []) throws -> [Int64: SeriesKey] {
        var keys: [Int64: SeriesKey] = [:]
        // A cursor, not `fetchAll`: the anomaly scan asks for every series of the core metrics at each scan (89,000
        // under the ingest bench), and all their rows at once were tens of MB beside the keys made from them.
        let rows = try Row.fetchCursor(db, sql: "SELECT s.id, h.name AS host, s.name, s.labels FROM series s JOIN hosts h ON h.id = s.host_id WHERE \(condition)",
                                       arguments: arguments)
        while let r = try rows.next() {
            keys[r["id"]] = keyPool.key(host: r["host"], name: r["name"], labelsText: r["labels"])
        }
        return keys
    }
}
