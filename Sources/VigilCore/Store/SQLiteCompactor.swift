import Foundation
import GRDB

/// Moves head segments into per-series chunks of up to `ChunkCodec.maxSamplesPerChunk` samples.
///
/// In three steps, so that ingest never waits long for the writer: `collect` reads the segments (a read
/// transaction), `merge` folds a slice of the series into their chunks (one short write transaction per slice),
/// and `finish` deletes the segments. A crash between steps leaves points both in chunks and in segments; reads
/// and the next compaction de-duplicate equal timestamps, so nothing is lost or doubled.
enum SQLiteCompactor {
    /// The head segments received before `cutoff`, as points per series.
    struct Collected {
        var segments = 0
        var lastID: Int64 = 0
        var samples = 0
        var perSeries: [Int64: [(ts: Int64, value: Double)]] = [:]
    }

    /// How many series one write transaction folds.
    static let seriesPerTransaction = 2000

    /// The newest segment always stays (it is folded once a newer one exists): segment ids then never go back, and
    /// the head's feed (`headSegments`) can tell a segment it has not read from one it has.
    static func collect(db: Database, receivedBefore cutoff: Int64) throws -> Collected {
        var c = Collected()
        let rows = try Row.fetchCursor(db, sql: "SELECT id, data FROM sample_segments WHERE received_at < ? AND id < (SELECT max(id) FROM sample_segments) ORDER BY id", arguments: [cutoff])
        while let row = try rows.next() {
            let data: Data = row["data"]
            try SegmentCodec.scan([UInt8](data)) { sid, ts, v in
                c.perSeries[sid, default: []].append((ts, v))
                c.samples += 1
            }
            c.segments += 1
            c.lastID = row["id"]
        }
        return c
    }

    /// Deletes the segments `collect` read.
    static func finish(db: Database, _ c: Collected, receivedBefore cutoff: Int64) throws {
        try db.execute(sql: "DELETE FROM sample_segments WHERE id <= ? AND received_at < ?", arguments: [c.lastID, cutoff])
    }

    /// Folds `series` (a slice of `collect`'s) into their open chunks and new chunks; returns the chunks written.
    static func merge(db: Database, series: ArraySlice<(key: Int64, value: [(ts: Int64, value: Double)])>) throws -> Int {
        var written = 0
        let lastChunk = try db.cachedStatement(sql: "SELECT start_ts, count, data FROM sample_chunks WHERE series_id = ? ORDER BY start_ts DESC LIMIT 1")
        for (sid, var points) in series {
            points = normalize(points)
            if let open = try Row.fetchOne(lastChunk, arguments: [sid]) {
                let start: Int64 = open["start_ts"]
                let count: Int = open["count"]
                if count < ChunkCodec.maxSamplesPerChunk, let first = points.first, first.ts >= start {
                    let data: Data = open["data"]
                    let existing = try ChunkCodec.decode([UInt8](data))
                    try db.execute(sql: "DELETE FROM sample_chunks WHERE series_id = ? AND start_ts = ?", arguments: [sid, start])
                    points = normalize(existing + points)
                }
            }
            written += try writeChunks(db: db, series: sid, points: points)
        }
        return written
    }

    /// Sorted by time; for equal timestamps the later arrival wins.
    static func normalize(_ points: [(ts: Int64, value: Double)]) -> [(ts: Int64, value: Double)] {
        let sorted = points.enumerated().sorted { a, b in a.element.ts != b.element.ts ? a.element.ts < b.element.ts : a.offset < b.offset }
        var out: [(ts: Int64, value: Double)] = []
        out.reserveCapacity(sorted.count)
        for (_, p) in sorted {
            if let last = out.last, last.ts == p.ts { out[out.count - 1] = p } else { out.append(p) }
        }
        return out
    }

    private static func writeChunks(db: Database, series: Int64, points: [(ts: Int64, value: Double)]) throws -> Int {
        var written = 0
        var i = 0
        while i < points.count {
            var run = Array(points[i..<min(i + ChunkCodec.maxSamplesPerChunk, points.count)])
            i += run.count
            // A chunk already starting at the same instant (out-of-order arrival): merge into it.
            if let existing = try Data.fetchOne(db, sql: "SELECT data FROM sample_chunks WHERE series_id = ? AND start_ts = ?", arguments: [series, run[0].ts]) {
                run = normalize(try ChunkCodec.decode([UInt8](existing)) + run)
            }
            try db.execute(sql: "INSERT OR REPLACE INTO sample_chunks (series_id, start_ts, end_ts, count, data) VALUES (?, ?, ?, ?, ?)",
                           arguments: [series, run[0].ts, run[run.count - 1].ts, run.count, Data(ChunkCodec.encode(run))])
            written += 1
        }
        return written
    }

    /// Every point of `ids` in `[from, to]` from `source` (chunks, the head or both), sorted and de-duplicated.
    static func readPoints(db: Database, ids: Set<Int64>, from: Int64, to: Int64, source: PointSource = .all) throws -> [Int64: [SeriesPoint]] {
        guard !ids.isEmpty else { return [:] }
        var acc = PointAccumulator(ids: ids, from: from, to: to)
        if source != .segments {
            let list = ids.map(String.init).joined(separator: ",")
            let chunks = try Row.fetchCursor(db, sql: "SELECT series_id, data FROM sample_chunks WHERE series_id IN (\(list)) AND end_ts >= ? AND start_ts <= ?",
                                             arguments: [from, to])
            while let row = try chunks.next() {
                try acc.addChunk(series: row["series_id"], data: [UInt8](row["data"] as Data))
            }
        }
        guard source != .chunks else { return acc.result() }
        let segments = try Data.fetchCursor(db, sql: "SELECT data FROM sample_segments WHERE max_ts >= ? AND min_ts <= ? ORDER BY id", arguments: [from, to])
        while let data = try segments.next() { try acc.addSegment([UInt8](data)) }
        return acc.result()
    }
}
