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
            try SegmentCodec.scan(data) { sid, ts, v in
                c.perSeries[sid, default: []].append((ts, v))
                c.samples += 1
            }
            c.segments += 1
            c.lastID = try row["id"]
        }
        return c
    }

    /// Folds `series` into their open chunks and new chunks; returns the chunks written. A handful of statements for
    /// the whole slice (round trips, not rows, are what cost here): the open chunks in one read, the rewritten ones
    /// deleted in one statement, chunks starting at the same instant read in one, and every chunk upserted in
    /// multi-row INSERTs.
    static func merge(_ s: PGSession, series: ArraySlice<(key: Int64, value: [(ts: Int64, value: Double)])>) async throws -> Int {
        guard !series.isEmpty else { return 0 }
        let list = series.map { String($0.key) }.joined(separator: ",")
        var open: [Int64: (start: Int64, count: Int, data: [UInt8])] = [:]
        for r in try await s.rows("""
            SELECT DISTINCT ON (series_id) series_id, start_ts, count, data FROM sample_chunks WHERE series_id IN (\(list))
            ORDER BY series_id, start_ts DESC
            """) {
            open[try r["series_id"]] = (try r["start_ts"], try r["count"], try r["data"])
        }
        var folded: [(Int64, Int64)] = []
        var runs: [(sid: Int64, points: [(ts: Int64, value: Double)])] = []
        for (sid, raw) in series {
            var points = SQLiteCompactor.normalize(raw)
            if let o = open[sid], o.count < ChunkCodec.maxSamplesPerChunk, let first = points.first, first.ts >= o.start {
                points = SQLiteCompactor.normalize(try ChunkCodec.decode(o.data) + points)
                folded.append((sid, o.start))
            }
            var i = 0
            while i < points.count {
                let run = Array(points[i..<min(i + ChunkCodec.maxSamplesPerChunk, points.count)])
                i += run.count
                runs.append((sid, run))
            }
        }
        for part in stride(from: 0, to: folded.count, by: 1000) {
            let slice = folded[part..<min(part + 1000, folded.count)]
            var args: [any PGValue] = []
            for (sid, start) in slice { args += [sid, start] as [any PGValue] }
            try await s.execute("DELETE FROM sample_chunks WHERE (series_id, start_ts) IN (VALUES \(PostgresWriter.rows(slice.count, columns: 2, types: ["bigint", "bigint"])))",
                                args)
        }
        // A chunk already starting at the same instant (out-of-order arrival): merge into it.
        var existing: [String: [UInt8]] = [:]
        for part in stride(from: 0, to: runs.count, by: 1000) {
            let slice = runs[part..<min(part + 1000, runs.count)]
            var args: [any PGValue] = []
            for r in slice { args += [r.sid, r.points[0].ts] as [any PGValue] }
            for r in try await s.rows("""
                SELECT series_id, start_ts, data FROM sample_chunks
                WHERE (series_id, start_ts) IN (VALUES \(PostgresWriter.rows(slice.count, columns: 2, types: ["bigint", "bigint"])))
                """, args) {
                existing["\(try r["series_id"] as Int64)/\(try r["start_ts"] as Int64)"] = try r["data"]
            }
        }
        for part in stride(from: 0, to: runs.count, by: 1000) {
            let slice = runs[part..<min(part + 1000, runs.count)]
            var args: [any PGValue] = []
            for r in slice {
                var points = r.points
                if let data = existing["\(r.sid)/\(points[0].ts)"] { points = SQLiteCompactor.normalize(try ChunkCodec.decode(data) + points) }
                args += [r.sid, points[0].ts, points[points.count - 1].ts, points.count, ChunkCodec.encode(points)] as [any PGValue]
            }
            try await s.execute("""
                INSERT INTO sample_chunks (series_id, start_ts, end_ts, count, data) VALUES \(PostgresWriter.rows(slice.count, columns: 5))
                ON CONFLICT (series_id, start_ts) DO UPDATE SET end_ts = excluded.end_ts, count = excluded.count, data = excluded.data
                """, args)
        }
        return runs.count
    }

    /// Every point of `ids` in `[from, to]` from `source` (chunks, the head or both), sorted and de-duplicated.
    static func readPoints(_ s: PGSession, ids: Set<Int64>, from: Int64, to: Int64, source: PointSource = .all) async throws -> [Int64: [SeriesPoint]] {
        guard !ids.isEmpty else { return [:] }
        var acc = PointAccumulator(ids: ids, from: from, to: to)
        if source != .segments {
            let list = ids.map(String.init).joined(separator: ",")
            for row in try await s.rows("SELECT series_id, data FROM sample_chunks WHERE series_id IN (\(list)) AND end_ts >= ? AND start_ts <= ?", [from, to]) {
                try acc.addChunk(series: try row["series_id"], data: try row["data"])
            }
        }
        guard source != .chunks else { return acc.result() }
        for row in try await s.rows("SELECT data FROM sample_segments WHERE max_ts >= ? AND min_ts <= ? ORDER BY id", [from, to]) {
            try acc.addSegment(try row["data"])
        }
        return acc.result()
    }
}
