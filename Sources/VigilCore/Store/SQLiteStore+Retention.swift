import Foundation
import GRDB

extension SQLiteStore {
    public func seriesCatalog() async throws -> [(id: Int64, name: String)] {
        // Through a cursor: 100,000 rows copied out by `fetchAll` were 20 MB of heap, every retention pass.
        try await pool.read { db in
            var out: [(id: Int64, name: String)] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT id, name FROM series ORDER BY id")
            while let row = try rows.next() { out.append((id: row["id"], name: row["name"])) }
            return out
        }
    }

    public func seriesIDs(_ keys: [SeriesKey]) async throws -> [SeriesKey: Int64] {
        guard !keys.isEmpty else { return [:] }
        return try await pool.read { db in
            let lookup = try db.cachedStatement(sql: "SELECT s.id FROM series s JOIN hosts h ON h.id = s.host_id WHERE h.name = ? AND s.name = ? AND s.labels = ?")
            var out: [SeriesKey: Int64] = [:]
            for key in keys {
                if let id = try Int64.fetchOne(lookup, arguments: [key.host, key.name, LabelsCodec.encode(key.labels)]) { out[key] = id }
            }
            return out
        }
    }

    public func oldestChunkTime() async throws -> Int64? {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT min(start_ts) FROM sample_chunks") }
    }

    public func rawPoints(series: [Int64], from: Int64, to: Int64, source: PointSource) async throws -> [Int64: [SeriesPoint]] {
        guard !series.isEmpty else { return [:] }
        return try await pool.read { db in try SQLiteCompactor.readPoints(db: db, ids: Set(series), from: from, to: to, source: source) }
    }

    public func rollups(series: [Int64], step: Int64, from: Int64, to: Int64) async throws -> [Int64: [Rollup]] {
        guard !series.isEmpty else { return [:] }
        return try await pool.read { db in
            var out: [Int64: [Rollup]] = [:]
            let list = series.map(String.init).joined(separator: ",")
            let rows = try Row.fetchCursor(db, sql: """
                SELECT series_id, data FROM sample_rollups WHERE series_id IN (\(list)) AND step = ? AND end_ts >= ? AND start_ts <= ?
                ORDER BY series_id, start_ts
                """, arguments: [step, from, to])
            while let row = try rows.next() {
                let data: Data = row["data"]
                let kept = try RollupCodec.decode([UInt8](data)).filter { $0.ts >= from && $0.ts <= to }
                if !kept.isEmpty { out[row["series_id"], default: []] += kept }
            }
            return out
        }
    }

    public func writeRollups(_ rollups: [Int64: [Rollup]], step: Int64, blockSpan: Int64) async throws {
        guard !rollups.isEmpty else { return }
        try await pool.write { db in
            let existing = try db.cachedStatement(sql: "SELECT data FROM sample_rollups WHERE series_id = ? AND step = ? AND start_ts = ?")
            let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO sample_rollups (series_id, step, start_ts, end_ts, count, data) VALUES (?, ?, ?, ?, ?, ?)")
            for (sid, list) in rollups {
                for (block, new) in RollupBlocks.split(list, span: blockSpan) {
                    var merged = new
                    if let old = try Data.fetchOne(existing, arguments: [sid, step, block]) {
                        merged = Rollup.overlay(try RollupCodec.decode([UInt8](old)), with: new)
                    }
                    try upsert.execute(arguments: [sid, step, block, merged[merged.count - 1].ts, merged.count, Data(RollupCodec.encode(merged))])
                }
            }
        }
    }

    public func deleteChunks(series: [Int64], endingBefore cutoff: Int64) async throws -> Int {
        guard !series.isEmpty else { return 0 }
        return try await pool.write { db in
            // start_ts < cutoff keeps the search on the primary key's prefix.
            try db.execute(sql: "DELETE FROM sample_chunks WHERE series_id IN (\(series.map(String.init).joined(separator: ","))) AND start_ts < ? AND end_ts < ?",
                           arguments: [cutoff, cutoff])
            return db.changesCount
        }
    }

    public func deleteRollups(series: [Int64], step: Int64, endingBefore cutoff: Int64) async throws -> Int {
        guard !series.isEmpty else { return 0 }
        return try await pool.write { db in
            try db.execute(sql: "DELETE FROM sample_rollups WHERE series_id IN (\(series.map(String.init).joined(separator: ","))) AND step = ? AND start_ts < ? AND end_ts < ?",
                           arguments: [step, cutoff, cutoff])
            return db.changesCount
        }
    }

    public func deleteAged(_ table: AgedTable, before cutoff: Int64, limit: Int) async throws -> Int {
        try await pool.write { db in
            switch table {
            case .logs:
                let ids = try Int64.fetchAll(db, sql: "SELECT id FROM logs WHERE ts < ? ORDER BY ts LIMIT ?", arguments: [cutoff, limit])
                try Self.deleteLogs(db, ids: ids)
                return ids.count
            case .checkResults:
                try db.execute(sql: "DELETE FROM check_results WHERE id IN (SELECT id FROM check_results WHERE ts < ? ORDER BY ts LIMIT ?)", arguments: [cutoff, limit])
            case .chat:
                try db.execute(sql: """
                    DELETE FROM chat_messages WHERE conversation IN (
                        SELECT conversation FROM chat_messages GROUP BY conversation HAVING max(ts) < ? LIMIT ?)
                    """, arguments: [cutoff, limit])
            case .aiCalls:
                try db.execute(sql: "DELETE FROM ai_calls WHERE id IN (SELECT id FROM ai_calls WHERE ts < ? ORDER BY ts LIMIT ?)", arguments: [cutoff, limit])
            case .reports:
                try db.execute(sql: "DELETE FROM reports WHERE id IN (SELECT id FROM reports WHERE created_at < ? ORDER BY created_at LIMIT ?)", arguments: [cutoff, limit])
            case .processes:
                try db.execute(sql: "DELETE FROM process_samples WHERE id IN (SELECT id FROM process_samples WHERE ts < ? ORDER BY ts LIMIT ?)", arguments: [cutoff, limit])
            case .dbQueries:
                try db.execute(sql: "DELETE FROM db_queries WHERE id IN (SELECT id FROM db_queries WHERE ts < ? ORDER BY ts LIMIT ?)", arguments: [cutoff, limit])
            case .connections:
                try db.execute(sql: "DELETE FROM connections WHERE id IN (SELECT id FROM connections WHERE last_seen < ? ORDER BY last_seen LIMIT ?)",
                               arguments: [cutoff, limit])
            case .sla:
                try db.execute(sql: """
                    DELETE FROM sla_daily WHERE rowid IN (SELECT rowid FROM sla_daily WHERE day < ? ORDER BY day LIMIT ?)
                    """, arguments: [cutoff, limit])
                let days = db.changesCount
                try db.execute(sql: """
                    DELETE FROM sla_violations WHERE rowid IN (
                        SELECT rowid FROM sla_violations WHERE ended_at IS NOT NULL AND ended_at < ? ORDER BY started_at LIMIT ?)
                    """, arguments: [cutoff, limit])
                return days + db.changesCount
            }
            return db.changesCount
        }
    }

    public func logFootprint() async throws -> (lines: Int64, bytes: Int64) {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(length(CAST(message AS BLOB))), 0) FROM logs")
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }

    public func deleteOldestLogs(count: Int) async throws -> Int {
        try await pool.write { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM logs ORDER BY ts, id LIMIT ?", arguments: [count])
            try Self.deleteLogs(db, ids: ids)
            return ids.count
        }
    }

    public func rollupStats() async throws -> [Int64: (blocks: Int64, buckets: Int64, bytes: Int64)] {
        try await pool.read { db in
            var out: [Int64: (blocks: Int64, buckets: Int64, bytes: Int64)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT step, count(*), sum(count), sum(length(data)) FROM sample_rollups GROUP BY step") {
                out[row[0]] = (row[1], row[2], row[3])
            }
            return out
        }
    }

    /// Deletes log lines and their full-text entries (logs_fts is an external-content index).
    static func deleteLogs(_ db: Database, ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        let list = ids.map(String.init).joined(separator: ",")
        try db.execute(sql: "INSERT INTO logs_fts (logs_fts, rowid, message) SELECT 'delete', id, message FROM logs WHERE id IN (\(list))")
        try db.execute(sql: "DELETE FROM logs WHERE id IN (\(list))")
    }
}

/// Rollups cut into the stored blocks of a tier.
enum RollupBlocks {
    static func split(_ rollups: [Rollup], span: Int64) -> [(start: Int64, rollups: [Rollup])] {
        var out: [(start: Int64, rollups: [Rollup])] = []
        for r in rollups {
            let b = Rollup.bucketStart(r.ts, step: span)
            if let last = out.indices.last, out[last].start == b { out[last].rollups.append(r) } else { out.append((b, [r])) }
        }
        return out
    }
}
