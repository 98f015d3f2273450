import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func headSnapshot(metrics: Set<String>, from: Int64) async throws -> HeadSnapshot {
        try await pool.read { db in
            let cursor = try Int64.fetchOne(db, sql: "SELECT max(id) FROM sample_segments") ?? 0
            guard !metrics.isEmpty else { return HeadSnapshot(cursor: cursor, points: [:], lastSeen: [:]) }
            let keys = try Self.seriesKeys(db, metrics: metrics)
            var points: [SeriesKey: [SeriesPoint]] = [:]
            for (sid, pts) in try SQLiteCompactor.readPoints(db: db, ids: Set(keys.keys), from: from, to: .max) {
                if let key = keys[sid] { points[key] = pts }
            }
            var lastSeen: [SeriesKey: Int64] = [:]
            if !keys.isEmpty {
                let list = keys.keys.map(String.init).joined(separator: ",")
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

    public func headSegments(after cursor: Int64, metrics: Set<String>, limit: Int) async throws -> HeadSegments {
        let (rows, gap, more) = try await pool.read { db -> ([(Int64, Data)], Bool, Bool) in
            // Segment ids never go back (the newest segment is never compacted) and are given in order, so every id
            // after the cursor up to the newest must still be there; one missing was folded away unread.
            guard let hi = try Int64.fetchOne(db, sql: "SELECT max(id) FROM sample_segments") else { return ([], false, false) }
            if hi < cursor { return ([], true, false) }
            let after = try Int64.fetchOne(db, sql: "SELECT count(*) FROM sample_segments WHERE id > ?", arguments: [cursor]) ?? 0
            if after != hi - cursor { return ([], true, false) }
            let rows = try Row.fetchAll(db, sql: "SELECT id, data FROM sample_segments WHERE id > ? ORDER BY id LIMIT ?",
                                        arguments: [cursor, limit + 1])
            return (rows.prefix(limit).map { ($0["id"], $0["data"]) }, false, rows.count > limit)
        }
        guard !gap else { return HeadSegments(cursor: cursor, samples: [], more: false, gap: true) }
        var raw: [(sid: Int64, ts: Int64, value: Double)] = []
        var last = cursor
        for (id, data) in rows {
            try SegmentCodec.scan([UInt8](data), wanted: nil) { sid, ts, v in raw.append((sid, ts, v)) }
            last = id
        }
        let keys = try await headSeriesKeys(Set(raw.map(\.sid)), metrics: metrics)
        var samples: [HeadSegments.Sample] = []
        samples.reserveCapacity(raw.count)
        for r in raw {
            if let key = keys[r.sid] { samples.append(HeadSegments.Sample(key: key, ts: r.ts, value: r.value)) }
        }
        return HeadSegments(cursor: last, samples: samples, more: more, gap: false)
    }

    /// Keys of series ids, for the metrics the head holds; cached (series never change their key).
    private func headSeriesKeys(_ ids: Set<Int64>, metrics: Set<String>) async throws -> [Int64: SeriesKey] {
        var found: [Int64: SeriesKey?] = [:]
        let missing = headKeyCache.withLock { cache -> [Int64] in
            var missing: [Int64] = []
            for id in ids {
                if let k = cache[id] { found[id] = k } else { missing.append(id) }
            }
            return missing
        }
        if !missing.isEmpty {
            let loaded = try await pool.read { db -> [Int64: SeriesKey] in
                var out: [Int64: SeriesKey] = [:]
                for part in stride(from: 0, to: missing.count, by: 500) {
                    let list = missing[part..<min(part + 500, missing.count)].map(String.init).joined(separator: ",")
                    for r in try Row.fetchAll(db, sql: "SELECT s.id, h.name AS host, s.name, s.labels FROM series s JOIN hosts h ON h.id = s.host_id WHERE s.id IN (\(list))") {
                        out[r["id"]] = SeriesKey(host: r["host"], name: r["name"], labels: LabelsCodec.decode(r["labels"]))
                    }
                }
                return out
            }
            headKeyCache.withLock { cache in
                if cache.count > 400_000 { cache.removeAll() }
                for id in missing {
                    let k = loaded[id]
                    cache[id] = k.map { Optional($0) } ?? .some(nil)
                    found[id] = k
                }
            }
        }
        var out: [Int64: SeriesKey] = [:]
        for (id, k) in found {
            if let k = k ?? nil, metrics.contains(k.name) { out[id] = k }
        }
        return out
    }

    static func seriesKeys(_ db: Database, metrics: Set<String>) throws -> [Int64: SeriesKey] {
        let names = metrics.sorted()
        var keys: [Int64: SeriesKey] = [:]
        let rows = try Row.fetchAll(db, sql: """
            SELECT s.id, h.name AS host, s.name, s.labels FROM series s JOIN hosts h ON h.id = s.host_id
            WHERE s.name IN (\(names.map { _ in "?" }.joined(separator: ",")))
            """, arguments: StatementArguments(names))
        for r in rows {
            keys[r["id"]] = SeriesKey(host: r["host"], name: r["name"], labels: LabelsCodec.decode(r["labels"]))
        }
        return keys
    }
}
