import Foundation
import VigilWire

extension PostgresStore {
    public func headSnapshot(metrics: Set<String>, from: Int64) async throws -> HeadSnapshot {
        try await read { s in
            let cursor = try await s.value(Int64.self, "SELECT max(id) FROM sample_segments") ?? 0
            guard !metrics.isEmpty else { return HeadSnapshot(cursor: cursor, points: [:], lastSeen: [:]) }
            let keys = try await self.seriesKeys(s, metrics: metrics)
            var points: [SeriesKey: [SeriesPoint]] = [:]
            for (sid, pts) in try await PostgresCompactor.readPoints(s, ids: Set(keys.keys), from: from, to: .max) {
                if let key = keys[sid] { points[key] = pts }
            }
            var lastSeen: [SeriesKey: Int64] = [:]
            // Points run to the newest sample: only series without any since `from` need their chunks' newest time.
            let quiet = keys.filter { points[$0.value] == nil }
            if !quiet.isEmpty {
                let list = quiet.keys.map(String.init).joined(separator: ",")
                for r in try await s.rows("SELECT series_id, max(end_ts) AS ts FROM sample_chunks WHERE series_id IN (\(list)) GROUP BY series_id") {
                    if let key = keys[try r["series_id"]] { lastSeen[key] = try r["ts"] }
                }
            }
            for (key, pts) in points {
                if let last = pts.last?.ts, last > lastSeen[key] ?? .min { lastSeen[key] = last }
            }
            return HeadSnapshot(cursor: cursor, points: points, lastSeen: lastSeen)
        }
    }

    public func headSegments(after cursor: Int64, limit: Int) async throws -> HeadSegmentData {
        try await read { s in
            // Segment ids are given without gaps under the write lock and the newest segment is never compacted, so
            // every id after the cursor up to the newest must still be there; one missing was folded away unread.
            guard let hi = try await s.value(Int64.self, "SELECT max(id) FROM sample_segments") else { return .caughtUp }
            if hi < cursor { return .gone }
            let after = try await s.value(Int64.self, "SELECT count(*) FROM sample_segments WHERE id > ?", [cursor]) ?? 0
            if after != hi - cursor { return .gone }
            let rows = try await s.rows("SELECT id, data FROM sample_segments WHERE id > ? ORDER BY id LIMIT ?", [cursor, limit + 1])
            var out = HeadSegmentData(segments: [], more: rows.count > limit, gap: false)
            for r in rows.prefix(limit) { out.segments.append((try r["id"], try r["data"])) }
            return out
        }
    }

    public func seriesKeys(ids: Set<Int64>) async throws -> [Int64: SeriesKey] {
        try await read { s in
            var out: [Int64: SeriesKey] = [:]
            let list = Array(ids)
            for part in stride(from: 0, to: list.count, by: 500) {
                let slice = list[part..<min(part + 500, list.count)].map(String.init).joined(separator: ",")
                out.merge(try await self.seriesKeys(s, where: "s.id IN (\(slice))"), uniquingKeysWith: { a, _ in a })
            }
            return out
        }
    }

    /// Series of these metrics by id, with their hosts' names.
    func seriesKeys(_ s: PGSession, metrics: Set<String>) async throws -> [Int64: SeriesKey] {
        let names = metrics.sorted()
        guard !names.isEmpty else { return [:] }
        return try await self.seriesKeys(s, where: "s.name IN (\(names.map { _ in "?" }.joined(separator: ",")))", arguments: names)
    }

    /// Series by id, with their hosts' names, for a condition on `series s`.
    func seriesKeys(_ s: PGSession, where condition: String, arguments: [any PGValue] = []) async throws -> [Int64: SeriesKey] {
        var keys: [Int64: SeriesKey] = [:]
        let rows = try await s.rows("SELECT s.id, h.name AS host, s.name, s.labels FROM series s JOIN hosts h ON h.id = s.host_id WHERE \(condition)",
                                    arguments)
        for r in rows {
            keys[try r["id"]] = keyPool.key(host: try r["host"], name: try r["name"], labelsText: try r["labels"])
        }
        return keys
    }
}
