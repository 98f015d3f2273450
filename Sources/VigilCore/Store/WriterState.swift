import Foundation
import GRDB
import Synchronization
import VigilWire

/// The write half of the SQLite store: resolves hosts and series (cached) and writes one batch.
/// Only ever called inside `pool.write`, which serializes it.
final class WriterState: Sendable {
    /// (host id, name, canonical labels) → series id, and beside it (host id, name, label bytes as sent) → series id for
    /// samples whose labels the listener left raw. Each bounded: past `maxCachedSeries` entries it starts over (ids are
    /// read back from `series` as they are needed again).
    private let seriesIDs = Locked(SeriesCaches())
    /// Series rows per host id, counted on first need and kept up to date by this writer.
    private let seriesCounts = Locked<[Int64: Int]>([:])
    /// The most series one host may have; a batch that would create more is refused whole (400 `series_limit`).
    let maxSeriesPerHost = Atomic<Int>(10_000)
    /// Whether the log template limit was reported (once per process).
    private let templateLimitReported = Atomic<Bool>(false)
    static let maxCachedSeries = 200_000

    /// The labels as decoded: hashing and comparing the dictionary costs less than encoding it canonically for every
    /// sample (the encoding was about a tenth of ingest), and it is encoded only when the series is not cached.
    struct SeriesCacheKey: Hashable {
        var host: Int64
        var name: String
        var labels: [String: String]

        /// The labels as the `series` table stores them (canonical JSON; `{}` for none).
        var encodedLabels: String { labels.isEmpty ? "{}" : LabelsCodec.encode(labels) }

        /// Labels hashed by `LabelHash` (not a SipHash per pair).
        func hash(into h: inout Hasher) {
            h.combine(host)
            h.combine(name)
            h.combine(LabelHash.mix(labels))
        }
    }

    struct SeriesCaches {
        var canonical: [SeriesCacheKey: Int64] = [:]
        var raw = RawSeriesCache(limit: WriterState.maxCachedSeries)
    }

    /// Log templates mined on ingest (`LogTemplateTracker`); nil until the first write with logs, which
    /// restores it from `log_templates`, and again after a rolled-back write (it may be ahead of the store).
    /// Its own lock: writes of samples never wait for it.
    private let templates = Locked<LogTemplateTracker?>(nil)

    /// Per-batch tally of one template's lines, added to its row once at the end of the batch.
    struct TemplateTally {
        var count = 0
        var firstTs = Int64.max
        var lastTs = Int64.min
        var maxLevel = 0

        mutating func add(ts: Int64, level: Int) {
            count += 1
            firstTs = min(firstTs, ts)
            lastTs = max(lastTs, ts)
            maxLevel = max(maxLevel, level)
        }

        mutating func absorb(_ o: TemplateTally) {
            count += o.count
            firstTs = min(firstTs, o.firstTs)
            lastTs = max(lastTs, o.lastTs)
            maxLevel = max(maxLevel, o.maxLevel)
        }
    }

    /// Drops cached ids and the template tracker (after a failed transaction rolled back rows they may point to).
    func forgetCaches() {
        seriesIDs.withLock { $0 = SeriesCaches() }
        seriesCounts.withLock { $0.removeAll() }
        templates.withLock { $0 = nil }
    }

    func write(_ batch: IngestBatch, receivedAt: Int64, db: Database) throws -> IngestCounts {
        if let id = batch.id {
            // A batch committed before (its answer was lost, the sender replays it) is acknowledged, not stored twice.
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO ingest_batches (host, batch, received_at, samples, logs, checks) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [batch.host, id, receivedAt, batch.samples.count, batch.logs.count, batch.checks.count])
            if db.changesCount == 0 {
                return IngestCounts(samples: batch.samples.count, logs: batch.logs.count, checks: batch.checks.count)
            }
        }
        let hostID = try upsertHost(batch, receivedAt: receivedAt, db: db)

        // One segment: samples grouped by series, arrival order kept within a series.
        var segment = SegmentBuilder(capacity: batch.samples.count)
        if !batch.samples.isEmpty {
            try (batch.body ?? []).withUnsafeBufferPointer { body in
                try seriesIDs.withLock { caches in
                    var order = caches.raw.order(of: hostID)
                    defer { caches.raw.keep(order, for: hostID) }
                    for (position, s) in batch.samples.enumerated() {
                        let id = try seriesID(of: s, at: position, in: batch, body: body, hostID: hostID, order: &order, caches: &caches, db: db)
                        segment.add(series: id, ts: s.ts, value: s.value)
                    }
                }
            }
            let blob = segment.encode()
            let stmt = try db.cachedStatement(sql: "INSERT INTO sample_segments (received_at, min_ts, max_ts, count, data) VALUES (?, ?, ?, ?, ?)")
            try stmt.execute(arguments: [receivedAt, segment.minTs, segment.maxTs, batch.samples.count, Data(blob)])
        }

        if !batch.logs.isEmpty {
            try writeLogs(batch.logs, hostID: hostID, receivedAt: receivedAt, db: db)
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
        if !batch.processes.isEmpty {
            let insert = try db.cachedStatement(sql: """
                INSERT INTO process_samples (host_id, ts, pid, user, command, cpu_percent, rss_bytes, state, started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for p in batch.processes {
                try insert.execute(arguments: [hostID, p.ts == 0 ? receivedAt : p.ts, p.pid, p.user, p.command, p.cpuPercent, p.rssBytes, p.state, p.startedAt])
            }
        }
        if !batch.dbQueries.isEmpty {
            let insert = try db.cachedStatement(sql: """
                INSERT INTO db_queries (host_id, ts, database, kind, datname, user, pid, state, wait, duration_ms, transaction_ms, calls, total_ms, query)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for q in batch.dbQueries {
                try insert.execute(arguments: [hostID, q.ts == 0 ? receivedAt : q.ts, q.database, q.kind.rawValue, q.datname, q.user, q.pid,
                                               q.state, q.wait, q.durationMs, q.transactionMs, q.calls, q.totalMs, q.query])
            }
        }
        if !batch.connections.isEmpty {
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO connections (host_id, direction, process, local_addr, local_port, remote_addr, remote_port, first_seen, last_seen, seen, count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
                ON CONFLICT (host_id, direction, process, local_addr, local_port, remote_addr, remote_port)
                DO UPDATE SET last_seen = excluded.last_seen, seen = connections.seen + 1, count = excluded.count
                """)
            for c in ObservedConnection.merged(batch.connections) {
                try upsert.execute(arguments: [hostID, c.direction.rawValue, c.process, c.localAddr, c.localPort, c.remoteAddr, c.remotePort,
                                               receivedAt, receivedAt, c.count])
            }
        }
        return IngestCounts(samples: batch.samples.count, logs: batch.logs.count, checks: batch.checks.count)
    }

    /// Inserts the lines with their template ids (one shared miner, under `templates`' lock) and adds each
    /// template's lines of the batch to its row.
    private func writeLogs(_ logs: [LogEntry], hostID: Int64, receivedAt: Int64, db: Database) throws {
        let insert = try db.cachedStatement(sql: "INSERT INTO logs (host_id, ts, source, level, message, template_id) VALUES (?, ?, ?, ?, ?, ?)")
        let fts = try db.cachedStatement(sql: "INSERT INTO logs_fts (rowid, message) VALUES (?, ?)")
        try templates.withLock { slot in
            var tracker: LogTemplateTracker
            var tallies: [Int64: TemplateTally] = [:]
            if slot != nil {
                tracker = slot!
                slot = nil  // `tracker` is now the only reference: mining mutates in place. Stays nil if we throw.
            } else {
                tracker = LogTemplateTracker()
                let rows = try Row.fetchAll(db, sql: "SELECT id, template FROM log_templates")
                    .map { (id: $0["id"] as Int64, text: $0["template"] as String) }
                for a in tracker.restore(rows: rows) {
                    try Self.apply(a, tracker: &tracker, tallies: &tallies, ts: logs[0].ts, db: db)
                }
            }
            for l in logs {
                let (m, actions) = tracker.observe(l.message, source: l.source)
                for a in actions {
                    try Self.apply(a, tracker: &tracker, tallies: &tallies, ts: l.ts, db: db)
                }
                guard let template = tracker.storedID(ofMiner: m) else {
                    throw StoreError("no stored log template for miner template \(m)")
                }
                try insert.execute(arguments: [hostID, l.ts, l.source, l.level.rank, l.message, template])
                try fts.execute(arguments: [db.lastInsertedRowID, l.message])
                tallies[template, default: TemplateTally()].add(ts: l.ts, level: l.level.rank)
            }
            let update = try db.cachedStatement(sql: """
                UPDATE log_templates SET count = count + ?, first_seen = min(first_seen, ?), last_seen = max(last_seen, ?),
                    max_level = max(max_level, ?) WHERE id = ?
                """)
            for (id, t) in tallies where t.count > 0 {
                try update.execute(arguments: [t.count, t.firstTs, t.lastTs, t.maxLevel, id])
            }
            // Said in the same transaction; the console shows warning.* settings. A source whose lines escape the
            // masker, or that reached its cap:
            for w in tracker.takeWarnings() {
                try Self.warn("warning.log_source.\(w.source)", w.message, at: receivedAt, db: db)
            }
            if tracker.miner.overflowed && !templateLimitReported.load(ordering: .relaxed) {
                // Once per process.
                templateLimitReported.store(true, ordering: .relaxed)
                try Self.warn("warning.log_templates", LogTemplateMiner.limitWarning(tracker.miner.options.maxTemplates), at: receivedAt, db: db)
            }
            slot = tracker
        }
    }

    /// Carries out one `LogTemplateTracker.Action`.
    private static func apply(_ action: LogTemplateTracker.Action, tracker: inout LogTemplateTracker, tallies: inout [Int64: TemplateTally],
                              ts: Int64, db: Database) throws {
        switch action {
        case .create(let miner, let text):
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO log_templates (template, first_seen, last_seen, count, max_level) VALUES (?, ?, ?, 0, 0)
                ON CONFLICT (template) DO UPDATE SET template = excluded.template RETURNING id
                """)
            guard let id = try Int64.fetchOne(stmt, arguments: [text, ts, ts]) else { throw StoreError("could not insert log template \(text)") }
            tracker.bind(miner: miner, stored: id, text: text)
        case .rename(let id, let text):
            try db.cachedStatement(sql: "UPDATE log_templates SET template = ? WHERE id = ?").execute(arguments: [text, id])
        case .fold(let from, let into):
            // Rare (the miner merges templates early in their life); uses the logs_by_template index.
            try db.cachedStatement(sql: "UPDATE logs SET template_id = ? WHERE template_id = ?").execute(arguments: [into, from])
            try db.cachedStatement(sql: """
                UPDATE log_templates SET
                    count = count + coalesce((SELECT count FROM log_templates WHERE id = ?1), 0),
                    first_seen = min(first_seen, coalesce((SELECT first_seen FROM log_templates WHERE id = ?1), first_seen)),
                    last_seen = max(last_seen, coalesce((SELECT last_seen FROM log_templates WHERE id = ?1), last_seen)),
                    max_level = max(max_level, coalesce((SELECT max_level FROM log_templates WHERE id = ?1), max_level))
                WHERE id = ?2
                """).execute(arguments: [from, into])
            try db.cachedStatement(sql: "DELETE FROM log_templates WHERE id = ?").execute(arguments: [from])
            if let t = tallies.removeValue(forKey: from) { tallies[into, default: TemplateTally()].absorb(t) }
        }
    }

    /// Sets the warning setting `key` (the console shows `warning.*` settings).
    private static func warn(_ key: String, _ message: String, at now: Int64, db: Database) throws {
        try db.execute(sql: """
            INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """, arguments: [key, message, now])
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

    /// The id of the series of the sample at `position` in `batch`, from the caches or else the store. Labels the
    /// listener left as the sender wrote them are decoded only for a spelling not seen before; `order` is the host's
    /// last batch (`RawSeriesCache.BatchOrder`).
    private func seriesID(of s: Sample, at position: Int, in batch: IngestBatch, body: UnsafeBufferPointer<UInt8>, hostID: Int64,
                          order: inout RawSeriesCache.BatchOrder, caches: inout SeriesCaches, db: Database) throws -> Int64 {
        if let r = s.plainLabels, !body.isEmpty {
            let labels = UnsafeBufferPointer(rebasing: body[r])
            if let known = caches.raw.find(host: hostID, name: s.name, labels: labels, at: position, in: &order) { return known }
            let id = try resolveSeries(SeriesCacheKey(host: hostID, name: s.name, labels: PlainLabels.decode(labels)), host: batch.host, db: db)
            caches.raw.insert(host: hostID, name: s.name, labels: labels, id: id, at: position, in: &order)
            return id
        }
        let key = SeriesCacheKey(host: hostID, name: s.name, labels: batch.labels(of: s))
        if let known = caches.canonical[key] { return known }
        let id = try resolveSeries(key, host: batch.host, db: db)
        if caches.canonical.count >= Self.maxCachedSeries { caches.canonical.removeAll(keepingCapacity: true) }
        caches.canonical[key] = id
        return id
    }

    /// The id of a series, creating it unless its host is at `maxSeriesPerHost`.
    private func resolveSeries(_ key: SeriesCacheKey, host: String, db: Database) throws -> Int64 {
        let labels = key.encodedLabels
        let find = try db.cachedStatement(sql: "SELECT id FROM series WHERE host_id = ? AND name = ? AND labels = ?")
        if let id = try Int64.fetchOne(find, arguments: [key.host, key.name, labels]) { return id }
        let limit = maxSeriesPerHost.load(ordering: .relaxed)
        try seriesCounts.withLock { counts in
            let count = try counts[key.host] ?? Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM series WHERE host_id = ?"),
                                                            arguments: [key.host]) ?? 0
            guard count < limit else {
                counts[key.host] = count
                throw WireError(status: 400, code: "series_limit",
                                message: "host '\(host)' has reached its limit of \(limit) series; the batch (with new series \(key.name)\(labels == "{}" ? "" : labels)) was refused. "
                                    + "A label with unbounded values (ids, timestamps) is the usual cause; raise the limit with vigil serve --max-series-per-host",
                                field: "samples")
            }
            counts[key.host] = count + 1
        }
        try db.cachedStatement(sql: "INSERT INTO series (host_id, name, labels) VALUES (?, ?, ?)").execute(arguments: [key.host, key.name, labels])
        return db.lastInsertedRowID
    }
}
