import Foundation
import GRDB
import Synchronization
import VigilWire

/// The write half of the SQLite store: resolves hosts and series (cached) and writes one batch.
/// Only ever called inside `pool.write`, which serializes it.
final class WriterState: Sendable {
    /// (host id, name \u{1} canonical labels) → series id.
    private let seriesIDs = Mutex<[SeriesCacheKey: Int64]>([:])

    struct SeriesCacheKey: Hashable {
        var host: Int64
        var name: String
        var labels: String
    }

    /// Drops cached ids (after a failed transaction rolled back rows they may point to).
    func forgetSeries() {
        seriesIDs.withLock { $0.removeAll() }
    }

    func write(_ batch: IngestBatch, receivedAt: Int64, db: Database) throws -> IngestCounts {
        let hostID = try upsertHost(batch, receivedAt: receivedAt, db: db)

        // Group samples by series, keeping arrival order within a series.
        var order: [Int64] = []
        var groups: [Int64: [(ts: Int64, value: Double)]] = [:]
        var minTs = Int64.max
        var maxTs = Int64.min
        if !batch.samples.isEmpty {
            try seriesIDs.withLock { cache in
                for s in batch.samples {
                    let key = SeriesCacheKey(host: hostID, name: s.name, labels: s.labels.isEmpty ? "{}" : LabelsCodec.encode(s.labels))
                    let id: Int64
                    if let known = cache[key] {
                        id = known
                    } else {
                        id = try resolveSeries(key, db: db)
                        cache[key] = id
                    }
                    if groups[id] == nil { order.append(id); groups[id] = [] }
                    groups[id]!.append((s.ts, s.value))
                    if s.ts < minTs { minTs = s.ts }
                    if s.ts > maxTs { maxTs = s.ts }
                }
            }
            let blob = SegmentCodec.encode(order.map { ($0, groups[$0]!) })
            let stmt = try db.cachedStatement(sql: "INSERT INTO sample_segments (received_at, min_ts, max_ts, count, data) VALUES (?, ?, ?, ?, ?)")
            try stmt.execute(arguments: [receivedAt, minTs, maxTs, batch.samples.count, Data(blob)])
        }

        if !batch.logs.isEmpty {
            let insert = try db.cachedStatement(sql: "INSERT INTO logs (host_id, ts, source, level, message) VALUES (?, ?, ?, ?, ?)")
            let fts = try db.cachedStatement(sql: "INSERT INTO logs_fts (rowid, message) VALUES (?, ?)")
            for l in batch.logs {
                try insert.execute(arguments: [hostID, l.ts, l.source, l.level.rank, l.message])
                try fts.execute(arguments: [db.lastInsertedRowID, l.message])
            }
        }

        if !batch.checks.isEmpty {
            let insert = try db.cachedStatement(sql: """
                INSERT INTO check_results (host_id, name, kind, target, ok, latency_ms, detail, ts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for c in batch.checks {
                try insert.execute(arguments: [hostID, c.name, c.kind.rawValue, c.target, c.ok, c.latencyMs, c.detail, c.ts == 0 ? receivedAt : c.ts])
            }
        }
        return IngestCounts(samples: batch.samples.count, logs: batch.logs.count, checks: batch.checks.count)
    }

    private func upsertHost(_ batch: IngestBatch, receivedAt: Int64, db: Database) throws -> Int64 {
        let labels: String? = batch.labels.isEmpty ? nil : LabelsCodec.encode(batch.labels)
        let a = batch.agent
        let stmt = try db.cachedStatement(sql: """
            INSERT INTO hosts (name, labels, agent_version, agent_os, agent_kernel, agent_arch, agent_cpus, agent_memory, first_seen, last_seen)
            VALUES (?, coalesce(?, '{}'), ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET
                labels = coalesce(?, labels),
                agent_version = coalesce(excluded.agent_version, agent_version),
                agent_os = coalesce(excluded.agent_os, agent_os),
                agent_kernel = coalesce(excluded.agent_kernel, agent_kernel),
                agent_arch = coalesce(excluded.agent_arch, agent_arch),
                agent_cpus = coalesce(excluded.agent_cpus, agent_cpus),
                agent_memory = coalesce(excluded.agent_memory, agent_memory),
                first_seen = min(first_seen, excluded.first_seen),
                last_seen = max(last_seen, excluded.last_seen)
            RETURNING id
            """)
        let id = try Int64.fetchOne(stmt, arguments: [batch.host, labels, a?.version, a?.os, a?.kernel, a?.arch, a?.cpus, a?.memory,
                                                      receivedAt, receivedAt, labels])
        guard let id else { throw StoreError("could not upsert host \(batch.host)") }
        return id
    }

    private func resolveSeries(_ key: SeriesCacheKey, db: Database) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO series (host_id, name, labels) VALUES (?, ?, ?)")
            .execute(arguments: [key.host, key.name, key.labels])
        guard let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM series WHERE host_id = ? AND name = ? AND labels = ?"),
                                          arguments: [key.host, key.name, key.labels]) else {
            throw StoreError("could not resolve series \(key.name)")
        }
        return id
    }
}
