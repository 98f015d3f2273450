import Foundation

extension PostgresStore {
    public func seriesCatalog() async throws -> [(id: Int64, name: String)] {
        try await read { s in
            try await s.rows("SELECT id, name FROM series ORDER BY id").map { (id: try $0["id"], name: try $0["name"]) }
        }
    }

    public func seriesIDs(_ keys: [SeriesKey]) async throws -> [SeriesKey: Int64] {
        guard !keys.isEmpty else { return [:] }
        return try await read { s in
            var out: [SeriesKey: Int64] = [:]
            for key in keys {
                if let id = try await s.value(Int64.self, "SELECT s.id FROM series s JOIN hosts h ON h.id = s.host_id WHERE h.name = ? AND s.name = ? AND s.labels = ?",
                                              [key.host, key.name, LabelsCodec.encode(key.labels)]) {
                    out[key] = id
                }
            }
            return out
        }
    }

    public func oldestChunkTime() async throws -> Int64? {
        try await read { s in try await s.value(Int64.self, "SELECT min(start_ts) FROM sample_chunks") }
    }

    public func rawPoints(series: [Int64], from: Int64, to: Int64, source: PointSource) async throws -> [Int64: [SeriesPoint]] {
        guard !series.isEmpty else { return [:] }
        return try await read { s in try await PostgresCompactor.readPoints(s, ids: Set(series), from: from, to: to, source: source) }
    }

    public func rollups(series: [Int64], step: Int64, from: Int64, to: Int64) async throws -> [Int64: [Rollup]] {
        guard !series.isEmpty else { return [:] }
        return try await read { s in
            var out: [Int64: [Rollup]] = [:]
            let list = series.map(String.init).joined(separator: ",")
            for row in try await s.rows("""
                SELECT series_id, data FROM sample_rollups WHERE series_id IN (\(list)) AND step = ? AND end_ts >= ? AND start_ts <= ?
                ORDER BY series_id, start_ts
                """, [step, from, to]) {
                let kept = try RollupCodec.decode(try row["data"] as [UInt8]).filter { $0.ts >= from && $0.ts <= to }
                if !kept.isEmpty { out[try row["series_id"] as Int64, default: []] += kept }
            }
            return out
        }
    }

    public func writeRollups(_ rollups: [Int64: [Rollup]], step: Int64, blockSpan: Int64) async throws {
        guard !rollups.isEmpty else { return }
        try await write { s in
            var blocks: [(sid: Int64, start: Int64, rollups: [Rollup])] = []
            for (sid, list) in rollups {
                for (start, new) in RollupBlocks.split(list, span: blockSpan) { blocks.append((sid, start, new)) }
            }
            // The blocks already stored, in one read per 1,000, then one multi-row upsert per 1,000.
            for slice in stride(from: 0, to: blocks.count, by: 1000) {
                let part = blocks[slice..<min(slice + 1000, blocks.count)]
                var existing: [String: [UInt8]] = [:]
                let pairs = part.map { "(\($0.sid),\($0.start))" }.joined(separator: ",")
                for row in try await s.rows("SELECT series_id, start_ts, data FROM sample_rollups WHERE step = ? AND (series_id, start_ts) IN (\(pairs))", [step]) {
                    existing["\(try row["series_id"] as Int64)/\(try row["start_ts"] as Int64)"] = try row["data"]
                }
                var args: [any PGValue] = []
                for b in part {
                    var merged = b.rollups
                    if let old = existing["\(b.sid)/\(b.start)"] { merged = Rollup.overlay(try RollupCodec.decode(old), with: b.rollups) }
                    args += [b.sid, step, b.start, merged[merged.count - 1].ts, merged.count, RollupCodec.encode(merged)] as [any PGValue]
                }
                try await s.execute("""
                    INSERT INTO sample_rollups (series_id, step, start_ts, end_ts, count, data) VALUES \(PostgresWriter.rows(part.count, columns: 6))
                    ON CONFLICT (series_id, step, start_ts) DO UPDATE SET end_ts = excluded.end_ts, count = excluded.count, data = excluded.data
                    """, args)
            }
        }
    }

    public func deleteChunks(series: [Int64], endingBefore cutoff: Int64) async throws -> Int {
        guard !series.isEmpty else { return 0 }
        return try await write { s in
            try await s.execute("DELETE FROM sample_chunks WHERE series_id IN (\(series.map(String.init).joined(separator: ","))) AND start_ts < ? AND end_ts < ?",
                                [cutoff, cutoff])
        }
    }

    public func deleteRollups(series: [Int64], step: Int64, endingBefore cutoff: Int64) async throws -> Int {
        guard !series.isEmpty else { return 0 }
        return try await write { s in
            try await s.execute("DELETE FROM sample_rollups WHERE series_id IN (\(series.map(String.init).joined(separator: ","))) AND step = ? AND start_ts < ? AND end_ts < ?",
                                [step, cutoff, cutoff])
        }
    }

    public func deleteAged(_ table: AgedTable, before cutoff: Int64, limit: Int) async throws -> Int {
        try await write { s in
            switch table {
            case .logs:
                return try await s.execute("DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE ts < ? ORDER BY ts LIMIT ?)", [cutoff, limit])
            case .checkResults:
                return try await s.execute("DELETE FROM check_results WHERE id IN (SELECT id FROM check_results WHERE ts < ? ORDER BY ts LIMIT ?)", [cutoff, limit])
            case .chat:
                return try await s.execute("""
                    DELETE FROM chat_messages WHERE conversation IN (
                        SELECT conversation FROM chat_messages GROUP BY conversation HAVING max(ts) < ? LIMIT ?)
                    """, [cutoff, limit])
            case .aiCalls:
                return try await s.execute("DELETE FROM ai_calls WHERE id IN (SELECT id FROM ai_calls WHERE ts < ? ORDER BY ts LIMIT ?)", [cutoff, limit])
            case .reports:
                return try await s.execute("DELETE FROM reports WHERE id IN (SELECT id FROM reports WHERE created_at < ? ORDER BY created_at LIMIT ?)", [cutoff, limit])
            case .processes:
                return try await s.execute("DELETE FROM process_samples WHERE id IN (SELECT id FROM process_samples WHERE ts < ? ORDER BY ts LIMIT ?)", [cutoff, limit])
            case .dbQueries:
                return try await s.execute("DELETE FROM db_queries WHERE id IN (SELECT id FROM db_queries WHERE ts < ? ORDER BY ts LIMIT ?)", [cutoff, limit])
            case .connections:
                return try await s.execute("DELETE FROM connections WHERE id IN (SELECT id FROM connections WHERE last_seen < ? ORDER BY last_seen LIMIT ?)",
                                           [cutoff, limit])
            case .sla:
                let days = try await s.execute("""
                    DELETE FROM sla_daily WHERE ctid IN (SELECT ctid FROM sla_daily WHERE day < ? ORDER BY day LIMIT ?)
                    """, [cutoff, limit])
                return days + (try await s.execute("""
                    DELETE FROM sla_violations WHERE ctid IN (
                        SELECT ctid FROM sla_violations WHERE ended_at IS NOT NULL AND ended_at < ? ORDER BY started_at LIMIT ?)
                    """, [cutoff, limit]))
            }
        }
    }

    public func logFootprint() async throws -> (lines: Int64, bytes: Int64) {
        try await read { s in
            let row = try await s.row("SELECT count(*) AS n, coalesce(sum(octet_length(message)), 0) AS bytes FROM logs")
            return (try row?["n"] ?? 0, try row?["bytes"] ?? 0)
        }
    }

    public func deleteOldestLogs(count: Int) async throws -> Int {
        try await write { s in
            try await s.execute("DELETE FROM logs WHERE id IN (SELECT id FROM logs ORDER BY ts, id LIMIT ?)", [count])
        }
    }

    public func rollupStats() async throws -> [Int64: (blocks: Int64, buckets: Int64, bytes: Int64)] {
        try await read { s in
            var out: [Int64: (blocks: Int64, buckets: Int64, bytes: Int64)] = [:]
            for row in try await s.rows("SELECT step, count(*) AS n, sum(count)::BIGINT AS buckets, sum(octet_length(data))::BIGINT AS bytes FROM sample_rollups GROUP BY step") {
                out[try row["step"]] = (try row["n"], try row["buckets"], try row["bytes"])
            }
            return out
        }
    }
}
