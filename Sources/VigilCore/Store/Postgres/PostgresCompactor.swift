import Foundation

/// `SQLiteCompactor` on PostgreSQL: the same three steps (collect in a read, merge slices of series in short writes,
/// delete the segments), the same chunk format and the same de-duplication of equal timestamps.
enum PostgresCompactor {
    /// The newest segment always stays (see `SQLiteCompactor.collect`).
    static func collect(_ s: PGSession, receivedBefore cutoff: Int64) async throws -> SQLiteCompactor.Collected {
        var c = SQLiteCompactor.Collected()
        let rows = try await s.rows("SELECT id, data FROM sample_segments WHERE received_at < ? AND id < (SELECT max(id) FROM sample_segments) ORDER BY id",
                                    [cutoff])
        for row in rows {
            let data: [UInt8] = try row["data"]
            try SegmentCodec.scan(data, wanted: nil) { sid, ts, v in
                c.perSeries[sid, default: []].append((ts, v))
                c.samples += 1
            }
            c.segments += 1
            c.lastID = try row["id"]
        }
        return c
    }

    /// Folds `series` into their open chunks and new chunks; returns the chunks written.
    static func merge(_ s: PGSession, series: ArraySlice<(key: Int64, value: [(ts: Int64, value: Double)])>) async throws -> Int {
        var written = 0
        for (sid, var points) in series {
            points = SQLiteCompactor.normalize(points)
            if let open = try await s.row("SELECT start_ts, count, data FROM sample_chunks WHERE series_id = ? ORDER BY start_ts DESC LIMIT 1", [sid]) {
                let start: Int64 = try open["start_ts"]
                let count: Int = try open["count"]
                if count < ChunkCodec.maxSamplesPerChunk, let first = points.first, first.ts >= start {
                    let existing = try ChunkCodec.decode(try open["data"] as [UInt8])
                    try await s.execute("DELETE FROM sample_chunks WHERE series_id = ? AND start_ts = ?", [sid, start])
                    points = SQLiteCompactor.normalize(existing + points)
                }
            }
            written += try await writeChunks(s, series: sid, points: points)
        }
        return written
    }

    private static func writeChunks(_ s: PGSession, series: Int64, points: [(ts: Int64, value: Double)]) async throws -> Int {
        var written = 0
        var i = 0
        while i < points.count {
            var run = Array(points[i..<min(i + ChunkCodec.maxSamplesPerChunk, points.count)])
            i += run.count
            // A chunk already starting at the same instant (out-of-order arrival): merge into it.
            if let existing = try await s.value([UInt8].self, "SELECT data FROM sample_chunks WHERE series_id = ? AND start_ts = ?", [series, run[0].ts]) {
                run = SQLiteCompactor.normalize(try ChunkCodec.decode(existing) + run)
            }
            try await s.execute("""
                INSERT INTO sample_chunks (series_id, start_ts, end_ts, count, data) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (series_id, start_ts) DO UPDATE SET end_ts = excluded.end_ts, count = excluded.count, data = excluded.data
                """, [series, run[0].ts, run[run.count - 1].ts, run.count, ChunkCodec.encode(run)])
            written += 1
        }
        return written
    }

    /// Every point of `ids` in `[from, to]`, from chunks and from the head, sorted and de-duplicated.
    static func readPoints(_ s: PGSession, ids: Set<Int64>, from: Int64, to: Int64) async throws -> [Int64: [SeriesPoint]] {
        guard !ids.isEmpty else { return [:] }
        var acc: [Int64: [(ts: Int64, value: Double)]] = [:]
        let list = ids.map(String.init).joined(separator: ",")
        for row in try await s.rows("SELECT series_id, data FROM sample_chunks WHERE series_id IN (\(list)) AND end_ts >= ? AND start_ts <= ?", [from, to]) {
            let sid: Int64 = try row["series_id"]
            for p in try ChunkCodec.decode(try row["data"] as [UInt8]) where p.ts >= from && p.ts <= to {
                acc[sid, default: []].append(p)
            }
        }
        for row in try await s.rows("SELECT data FROM sample_segments WHERE max_ts >= ? AND min_ts <= ? ORDER BY id", [from, to]) {
            try SegmentCodec.scan(try row["data"] as [UInt8], wanted: ids) { sid, ts, v in
                if ts >= from && ts <= to { acc[sid, default: []].append((ts, v)) }
            }
        }
        var out: [Int64: [SeriesPoint]] = [:]
        for (sid, pts) in acc {
            out[sid] = SQLiteCompactor.normalize(pts).map { SeriesPoint(ts: $0.ts, value: $0.value) }
        }
        return out
    }
}
