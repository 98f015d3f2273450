import Foundation
import VigilWire

/// The write half of the PostgreSQL store (`WriterState` on PostgreSQL): resolves hosts and series (cached) and
/// writes one batch. Called only by the store's single drainer inside a write transaction, which holds the write
/// lock: one batch at a time per database.
final class PostgresWriter: Sendable {
    private let seriesIDs = Locked<[WriterState.SeriesCacheKey: Int64]>([:])
    private let seriesCounts = Locked<[Int64: Int]>([:])
    let maxSeriesPerHost = Locked<Int>(10_000)
    private let templateLimitReported = Locked<Bool>(false)
    /// Taken out while a batch mines (then nil), put back after: a failed batch leaves it nil, restored next time.
    private let templates = Locked<LogTemplateTracker?>(nil)

    func forgetCaches() {
        seriesIDs.withLock { $0.removeAll() }
        seriesCounts.withLock { $0.removeAll() }
        templates.withLock { $0 = nil }
    }

    func write(_ batch: IngestBatch, receivedAt: Int64, session s: PGSession) async throws -> IngestCounts {
        let counts = IngestCounts(samples: batch.samples.count, logs: batch.logs.count, checks: batch.checks.count)
        if let id = batch.id {
            // A batch committed before (its answer was lost, the sender replays it) is acknowledged, not stored twice.
            let inserted = try await s.execute("""
                INSERT INTO ingest_batches (host, batch, received_at, samples, logs, checks) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """, [batch.host, id, receivedAt, batch.samples.count, batch.logs.count, batch.checks.count])
            if inserted == 0 { return counts }
        }
        let hostID = try await upsertHost(batch, receivedAt: receivedAt, s)
        if !batch.samples.isEmpty {
            try await writeSamples(batch, hostID: hostID, receivedAt: receivedAt, s)
        }
        if !batch.logs.isEmpty {
            try await writeLogs(batch.logs, hostID: hostID, receivedAt: receivedAt, s)
        }
        // Rows in multi-row INSERTs (≤1,000 rows a statement): a round trip costs more than a row.
        for part in stride(from: 0, to: batch.checks.count, by: 1000) {
            let slice = batch.checks[part..<min(part + 1000, batch.checks.count)]
            var args: [any PGValue] = []
            args.reserveCapacity(slice.count * 8)
            for c in slice {
                args += [hostID, c.name, c.kind.rawValue, c.target, c.ok, c.latencyMs, c.detail, c.ts == 0 ? receivedAt : c.ts] as [any PGValue]
            }
            try await s.execute("INSERT INTO check_results (host_id, name, kind, target, ok, latency_ms, detail, ts) VALUES "
                                + Self.rows(slice.count, columns: 8), args)
        }
        if !batch.processes.isEmpty {
            var args: [any PGValue] = []
            for p in batch.processes {
                args += [hostID, p.ts == 0 ? receivedAt : p.ts, p.pid, p.user, p.command, p.cpuPercent, p.rssBytes, p.state, p.startedAt] as [any PGValue]
            }
            try await s.execute("INSERT INTO process_samples (host_id, ts, pid, \"user\", command, cpu_percent, rss_bytes, state, started_at) VALUES "
                                + Self.rows(batch.processes.count, columns: 9), args)
        }
        if !batch.dbQueries.isEmpty {
            var args: [any PGValue] = []
            for q in batch.dbQueries {
                args += [hostID, q.ts == 0 ? receivedAt : q.ts, q.database, q.kind.rawValue, q.datname, q.user, q.pid, q.state, q.wait,
                         q.durationMs, q.transactionMs, q.calls, q.totalMs, q.query] as [any PGValue]
            }
            try await s.execute("INSERT INTO db_queries (host_id, ts, database, kind, datname, \"user\", pid, state, wait, duration_ms, transaction_ms, calls, total_ms, query) VALUES "
                                + Self.rows(batch.dbQueries.count, columns: 14), args)
        }
        if !batch.connections.isEmpty {
            // One row per key (ON CONFLICT may not touch a row twice in one statement).
            let records = ObservedConnection.merged(batch.connections)
            var args: [any PGValue] = []
            for c in records {
                args += [hostID, c.direction.rawValue, c.process, c.localAddr, c.localPort, c.remoteAddr, c.remotePort, receivedAt, receivedAt,
                         Int64(1), c.count] as [any PGValue]
            }
            try await s.execute("""
                INSERT INTO connections (host_id, direction, process, local_addr, local_port, remote_addr, remote_port, first_seen, last_seen, seen, count)
                VALUES \(Self.rows(records.count, columns: 11))
                ON CONFLICT (host_id, direction, process, local_addr, local_port, remote_addr, remote_port)
                DO UPDATE SET last_seen = excluded.last_seen, seen = connections.seen + 1, count = excluded.count
                """, args)
        }
        return counts
    }

    /// One head segment for the batch (grouped by series); its id is the last + 1 (no gaps, see the schema).
    private func writeSamples(_ batch: IngestBatch, hostID: Int64, receivedAt: Int64, _ s: PGSession) async throws {
        let keys = batch.samples.map {
            WriterState.SeriesCacheKey(host: hostID, name: $0.name, labels: batch.labels(of: $0))
        }
        var resolved: [WriterState.SeriesCacheKey: Int64] = [:]
        var missing: [WriterState.SeriesCacheKey] = []
        seriesIDs.withLock { cache in
            var seen = Set<WriterState.SeriesCacheKey>()
            for key in keys where seen.insert(key).inserted {
                if let id = cache[key] { resolved[key] = id } else { missing.append(key) }
            }
        }
        let created = try await resolveSeries(missing, hostID: hostID, host: batch.host, s)
        resolved.merge(created, uniquingKeysWith: { _, b in b })
        if !created.isEmpty {
            seriesIDs.withLock { cache in
                if cache.count + created.count >= WriterState.maxCachedSeries { cache.removeAll(keepingCapacity: true) }
                cache.merge(created, uniquingKeysWith: { _, b in b })
            }
        }
        var segment = SegmentBuilder(capacity: batch.samples.count)
        for (i, sample) in batch.samples.enumerated() {
            segment.add(series: resolved[keys[i]]!, ts: sample.ts, value: sample.value)
        }
        let blob = segment.encode()
        try await s.execute("""
            INSERT INTO sample_segments (id, received_at, min_ts, max_ts, count, data)
            VALUES ((SELECT coalesce(max(id), 0) + 1 FROM sample_segments), ?, ?, ?, ?, ?)
            """, [receivedAt, segment.minTs, segment.maxTs, batch.samples.count, blob])
    }

    /// Inserts the lines with their template ids and adds each template's lines of the batch to its row.
    private func writeLogs(_ logs: [LogEntry], hostID: Int64, receivedAt: Int64, _ s: PGSession) async throws {
        var tallies: [Int64: WriterState.TemplateTally] = [:]
        var tracker: LogTemplateTracker
        if let kept = templates.withLock({ slot -> LogTemplateTracker? in defer { slot = nil }; return slot }) {
            tracker = kept
        } else {
            tracker = LogTemplateTracker()
            var rows: [(id: Int64, text: String)] = []
            for r in try await s.rows("SELECT id, template FROM log_templates") { rows.append((try r["id"], try r["template"])) }
            for a in tracker.restore(rows: rows) {
                try await Self.apply(a, tracker: &tracker, tallies: &tallies, ts: logs[0].ts, s)
            }
        }
        var pending: [any PGValue] = []
        var pendingRows = 0
        for l in logs {
            let (m, actions) = tracker.observe(l.message, source: l.source)
            if !actions.isEmpty {
                // A fold rewrites stored lines' template ids: the lines mined so far go in first.
                try await flushLogs(&pending, rows: &pendingRows, s)
                for a in actions {
                    try await Self.apply(a, tracker: &tracker, tallies: &tallies, ts: l.ts, s)
                }
            }
            guard let template = tracker.storedID(ofMiner: m) else {
                throw StoreError("no stored log template for miner template \(m)")
            }
            pending += [hostID, l.ts, l.source, l.level.rank, l.message, template] as [any PGValue]
            pendingRows += 1
            if pendingRows == 1000 { try await flushLogs(&pending, rows: &pendingRows, s) }
            tallies[template, default: WriterState.TemplateTally()].add(ts: l.ts, level: l.level.rank)
        }
        try await flushLogs(&pending, rows: &pendingRows, s)
        let counted = tallies.filter { $0.value.count > 0 }.sorted { $0.key < $1.key }
        if !counted.isEmpty {
            var args: [any PGValue] = []
            for (id, t) in counted { args += [id, t.count, t.firstTs, t.lastTs, t.maxLevel] as [any PGValue] }
            try await s.execute("""
                UPDATE log_templates t SET count = t.count + v.n, first_seen = LEAST(t.first_seen, v.first), last_seen = GREATEST(t.last_seen, v.last),
                    max_level = GREATEST(t.max_level, v.lvl)
                FROM (VALUES \(Self.rows(counted.count, columns: 5, types: ["bigint", "bigint", "bigint", "bigint", "bigint"])))
                    AS v (id, n, first, last, lvl)
                WHERE t.id = v.id
                """, args)
        }
        // The console shows warning.* settings. A source whose lines escape the masker, or that reached its cap:
        var warnings = tracker.takeWarnings().map { (key: "warning.log_source.\($0.source)", message: $0.message) }
        // The template limit, once per process.
        if tracker.miner.overflowed && templateLimitReported.withLock({ reported in defer { reported = true }; return !reported }) {
            warnings.append(("warning.log_templates", LogTemplateMiner.limitWarning(tracker.miner.options.maxTemplates)))
        }
        for w in warnings {
            try await s.execute("""
                INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """, [w.key, w.message, receivedAt])
        }
        let done = tracker
        templates.withLock { $0 = done }
    }

    private func flushLogs(_ args: inout [any PGValue], rows: inout Int, _ s: PGSession) async throws {
        guard rows > 0 else { return }
        try await s.execute("INSERT INTO logs (host_id, ts, source, level, message, template_id) VALUES " + Self.rows(rows, columns: 6), args)
        args.removeAll(keepingCapacity: true)
        rows = 0
    }

    /// `(?, ?), (?, ?)`: `count` rows of `columns` placeholders, cast to `types` when given (VALUES lists outside an
    /// INSERT need their types).
    static func rows(_ count: Int, columns: Int, types: [String]? = nil) -> String {
        let one = "(" + (0..<columns).map { i in types.map { "?::" + $0[i] } ?? "?" }.joined(separator: ", ") + ")"
        return Array(repeating: one, count: count).joined(separator: ", ")
    }

    /// Carries out one `LogTemplateTracker.Action`.
    private static func apply(_ action: LogTemplateTracker.Action, tracker: inout LogTemplateTracker,
                              tallies: inout [Int64: WriterState.TemplateTally], ts: Int64, _ s: PGSession) async throws {
        switch action {
        case .create(let miner, let text):
            guard let id = try await s.value(Int64.self, """
                INSERT INTO log_templates (template, first_seen, last_seen, count, max_level) VALUES (?, ?, ?, 0, 0)
                ON CONFLICT (template) DO UPDATE SET template = excluded.template RETURNING id
                """, [text, ts, ts]) else { throw StoreError("could not insert log template \(text)") }
            tracker.bind(miner: miner, stored: id, text: text)
        case .rename(let id, let text):
            try await s.execute("UPDATE log_templates SET template = ? WHERE id = ?", [text, id])
        case .fold(let from, let into):
            try await s.execute("UPDATE logs SET template_id = ? WHERE template_id = ?", [into, from])
            try await s.execute("""
                UPDATE log_templates t SET
                    count = t.count + f.count, first_seen = LEAST(t.first_seen, f.first_seen),
                    last_seen = GREATEST(t.last_seen, f.last_seen), max_level = GREATEST(t.max_level, f.max_level)
                FROM log_templates f WHERE f.id = ?1 AND t.id = ?2
                """, [from, into])
            try await s.execute("DELETE FROM log_templates WHERE id = ?", [from])
            if let t = tallies.removeValue(forKey: from) { tallies[into, default: WriterState.TemplateTally()].absorb(t) }
        }
    }

    private func upsertHost(_ batch: IngestBatch, receivedAt: Int64, _ s: PGSession) async throws -> Int64 {
        let labels: String? = batch.labels.isEmpty ? nil : LabelsCodec.encode(batch.labels)
        let a = batch.agent
        let id = try await s.value(Int64.self, """
            INSERT INTO hosts (name, labels, agent_version, agent_os, agent_kernel, agent_arch, agent_cpus, agent_memory, first_seen, last_seen)
            VALUES (?1, coalesce(?2::text, '{}'), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
            ON CONFLICT (name) DO UPDATE SET
                labels = coalesce(?2::text, hosts.labels),
                agent_version = coalesce(excluded.agent_version, hosts.agent_version),
                agent_os = coalesce(excluded.agent_os, hosts.agent_os),
                agent_kernel = coalesce(excluded.agent_kernel, hosts.agent_kernel),
                agent_arch = coalesce(excluded.agent_arch, hosts.agent_arch),
                agent_cpus = coalesce(excluded.agent_cpus, hosts.agent_cpus),
                agent_memory = coalesce(excluded.agent_memory, hosts.agent_memory),
                first_seen = LEAST(hosts.first_seen, excluded.first_seen),
                last_seen = GREATEST(hosts.last_seen, excluded.last_seen)
            RETURNING id
            """, [batch.host, labels, a?.version, a?.os, a?.kernel, a?.arch, a?.cpus, a?.memory, receivedAt])
        guard let id else { throw StoreError("could not upsert host \(batch.host)") }
        return id
    }

    /// The ids of series of one host (all of `keys`), creating those that do not exist yet unless that would take the
    /// host past `maxSeriesPerHost`: one read and one multi-row insert per 1,000 keys, whatever the batch's size.
    private func resolveSeries(_ keys: [WriterState.SeriesCacheKey], hostID: Int64, host: String, _ s: PGSession) async throws
        -> [WriterState.SeriesCacheKey: Int64] {
        var out: [WriterState.SeriesCacheKey: Int64] = [:]
        guard !keys.isEmpty else { return out }
        for part in stride(from: 0, to: keys.count, by: 1000) {
            let slice = keys[part..<min(part + 1000, keys.count)]
            var args: [any PGValue] = [hostID]
            for k in slice { args += [k.name, k.encodedLabels] as [any PGValue] }
            for r in try await s.rows("""
                SELECT id, name, labels FROM series WHERE host_id = ? AND (name, labels) IN (VALUES \(Self.rows(slice.count, columns: 2, types: ["text", "text"])))
                """, args) {
                out[WriterState.SeriesCacheKey(host: hostID, name: try r["name"], labels: LabelsCodec.decode(try r["labels"]))] = try r["id"]
            }
        }
        let new = keys.filter { out[$0] == nil }
        guard !new.isEmpty else { return out }
        let limit = maxSeriesPerHost.withLock { $0 }
        var count = seriesCounts.withLock { $0[hostID] }
        if count == nil {
            count = try await s.value(Int.self, "SELECT count(*) FROM series WHERE host_id = ?", [hostID]) ?? 0
        }
        guard count! + new.count <= limit else {
            let first = new[0]
            seriesCounts.withLock { $0[hostID] = count! }
            throw WireError(status: 400, code: "series_limit",
                            message: "host '\(host)' has reached its limit of \(limit) series; the batch (with new series \(first.name)\(first.labels.isEmpty ? "" : first.encodedLabels)) was refused. "
                                + "A label with unbounded values (ids, timestamps) is the usual cause; raise the limit with vigil serve --max-series-per-host",
                            field: "samples")
        }
        seriesCounts.withLock { $0[hostID] = count! + new.count }
        for part in stride(from: 0, to: new.count, by: 1000) {
            let slice = new[part..<min(part + 1000, new.count)]
            var args: [any PGValue] = []
            for k in slice { args += [hostID, k.name, k.encodedLabels] as [any PGValue] }
            for r in try await s.rows("INSERT INTO series (host_id, name, labels) VALUES \(Self.rows(slice.count, columns: 3)) RETURNING id, name, labels", args) {
                out[WriterState.SeriesCacheKey(host: hostID, name: try r["name"], labels: LabelsCodec.decode(try r["labels"]))] = try r["id"]
            }
        }
        return out
    }
}
