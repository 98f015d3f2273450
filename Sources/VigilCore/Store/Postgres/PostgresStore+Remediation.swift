import Foundation
import VigilWire

// RunFilter and JobEventsAnswer are shared with SQLiteStore (SQLiteStore+Remediation.swift), as are the pure helpers
// SQLiteStore.auditDetail, encodeJSON and decodeJSON.

extension PostgresStore {
    public func createRun(_ run: RemediationRun, actor: String, now: Int64) async throws {
        try await write { s in
            if run.mode != nil { try await self.checkFence(s) }   // started by a rule: the lease holder's work
            try await Self.insert(run, s)
            _ = try await PGAudit.append(s, ts: now, actor: actor, action: "runbook.\(run.dryRun ? "dry_run" : "request")", target: run.id,
                                         detail: SQLiteStore.auditDetail(run))
            try await Self.timeline(run, s, now: now, actor: actor,
                                    text: "\(run.dryRun ? "dry run of " : "")\(run.runbook) \(run.state.rawValue.replacingOccurrences(of: "_", with: " ")): \(run.message)")
        }
    }

    public func run(id: String) async throws -> RemediationRun? {
        try await read { s in
            guard let r = try await s.row("SELECT * FROM remediation_runs WHERE id = ?", [id]) else { return nil }
            return try Self.run(from: r)
        }
    }

    public func runs(_ filter: RunFilter) async throws -> [RemediationRun] {
        try await read { s in
            var sql = "SELECT * FROM remediation_runs WHERE TRUE"
            var args: [any PGValue] = []
            if let h = filter.host { sql += " AND host = ?"; args.append(h) }
            if let f = filter.alertFingerprint { sql += " AND alert_fingerprint = ?"; args.append(f) }
            if let since = filter.since { sql += " AND created_at >= ?"; args.append(since) }
            if let states = filter.states {
                if states.isEmpty {
                    // SQLite accepts `IN ()` (nothing matches); PostgreSQL does not.
                    sql += " AND FALSE"
                } else {
                    sql += " AND state IN (\(states.map { _ in "?" }.joined(separator: ",")))"
                    for state in states.map(\.rawValue).sorted() { args.append(state) }
                }
            }
            sql += " ORDER BY created_at DESC, id COLLATE \"C\" DESC LIMIT ?"
            args.append(filter.limit < 0 ? nil : filter.limit as Int?)  // SQLite: a negative LIMIT means none
            var out: [RemediationRun] = []
            for r in try await s.rows(sql, args) {
                if let run = try Self.run(from: r) { out.append(run) }
            }
            return out
        }
    }

    /// Applies `change` and records it in the audit log and, for runs of an alert, on the alert's timeline.
    public func updateRun(id: String, action: String, actor: String, now: Int64,
                          _ change: @Sendable @escaping (inout RemediationRun) throws -> Void) async throws -> RemediationRun {
        try await write { s in
            guard let r = try await s.row("SELECT * FROM remediation_runs WHERE id = ?", [id]), var run = try Self.run(from: r) else {
                throw StoreError("no run with id '\(id)'")
            }
            try change(&run)
            try await Self.update(run, s)
            _ = try await PGAudit.append(s, ts: now, actor: actor, action: "runbook.\(action)", target: run.id, detail: SQLiteStore.auditDetail(run))
            try await Self.timeline(run, s, now: now, actor: actor, text: "\(run.runbook) \(action): \(run.message)")
            return run
        }
    }

    /// Hands the host's queued runs to its agent (marking them dispatched) and expires stale ones.
    public func claimJobs(host: String, now: Int64) async throws -> [RemediationRun] {
        try await write { s in
            var queued: [RemediationRun] = []
            for r in try await s.rows("SELECT * FROM remediation_runs WHERE host = ? AND state = 'queued' ORDER BY created_at", [host]) {
                if let run = try Self.run(from: r) { queued.append(run) }
            }
            var out: [RemediationRun] = []
            for var run in queued {
                if run.expireIfDue(now: now) {
                    try await Self.update(run, s)
                    _ = try await PGAudit.append(s, ts: now, actor: "system", action: "runbook.expire", target: run.id, detail: SQLiteStore.auditDetail(run))
                    try await Self.timeline(run, s, now: now, actor: "system", text: "\(run.runbook) expired: \(run.message)")
                    continue
                }
                try run.dispatch(now: now)
                try await Self.update(run, s)
                _ = try await PGAudit.append(s, ts: now, actor: "system", action: "runbook.dispatch", target: run.id, detail: SQLiteStore.auditDetail(run))
                out.append(run)
            }
            return out
        }
    }

    /// True when `host` has a queued run (a cheap probe for the long-poll).
    public func hasQueuedJobs(host: String) async throws -> Bool {
        try await read { s in
            try await s.value(Bool.self, "SELECT EXISTS (SELECT 1 FROM remediation_runs WHERE host = ? AND state = 'queued')", [host]) ?? false
        }
    }

    /// Stores an agent's events for a run of `host` (duplicates by `seq` are ignored) and moves the run on.
    public func recordJobEvents(id: String, host: String, events: [JobEvent], now: Int64) async throws -> JobEventsAnswer {
        try await write { s in
            guard let r = try await s.row("SELECT * FROM remediation_runs WHERE id = ?", [id]), var run = try Self.run(from: r),
                  run.host == host else { return .unknownJob }
            guard run.state == .dispatched || run.state == .running else { return run.state.isFinal ? .finished : .unknownJob }
            let fresh = events.filter { $0.seq > run.lastSeq }.sorted { $0.seq < $1.seq }
            for e in fresh {
                try await s.execute("INSERT INTO remediation_events (run_id, seq, at, json) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                    [id, e.seq, e.at, e.json()])
            }
            let before = run.state
            try run.record(fresh, now: now)
            try await Self.update(run, s)
            if run.state != before && run.state.isFinal {
                _ = try await PGAudit.append(s, ts: now, actor: "agent:\(host)", action: "runbook.finish", target: run.id,
                                             detail: SQLiteStore.auditDetail(run))
                try await Self.timeline(run, s, now: now, actor: "agent:\(host)",
                                        text: "\(run.dryRun ? "dry run of " : "")\(run.runbook) \(run.state.rawValue.replacingOccurrences(of: "_", with: " ")): \(run.message)")
            }
            return .accepted(cancel: run.cancelRequested)
        }
    }

    /// The events of a run after `afterSeq`, in order.
    public func runEvents(id: String, afterSeq: Int) async throws -> [JobEvent] {
        let texts = try await read { s in
            var out: [String] = []
            for r in try await s.rows("SELECT json FROM remediation_events WHERE run_id = ? AND seq > ? ORDER BY seq", [id, afterSeq]) {
                out.append(try r["json"])
            }
            return out
        }
        guard !texts.isEmpty else { return [] }
        let batch = try JobEventBatch.decode(Array("{\"events\":[\(texts.joined(separator: ","))]}".utf8))
        return batch.events
    }

    // MARK: Rows

    static func timeline(_ run: RemediationRun, _ s: PGSession, now: Int64, actor: String, text: String) async throws {
        guard let fp = run.alertFingerprint else { return }
        try await s.execute("INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, 'remediation', ?, ?)",
                            [fp, now, actor, "[\(run.id)] " + text])
    }

    /// The run's columns and values, sorted by column name (as SQLite's `columns(_:)` is used).
    static func columns(_ run: RemediationRun) -> [(String, any PGValue)] {
        let cols: [(String, any PGValue)] = [
            ("id", run.id), ("runbook", run.runbook), ("runbook_hash", run.runbookHash), ("host", run.host),
            ("parameters", SQLiteStore.encodeJSON(run.parameters) ?? "{}"), ("alert_fingerprint", run.alertFingerprint),
            ("alert_name", run.alertName), ("mode", run.mode?.rawValue), ("dry_run", run.dryRun), ("state", run.state.rawValue),
            ("message", run.message), ("requested_by", run.requestedBy), ("approved_by", run.approvedBy), ("created_at", run.createdAt),
            ("updated_at", run.updatedAt), ("dispatched_at", run.dispatchedAt), ("finished_at", run.finishedAt), ("job", run.job.json()),
            ("cancel_requested", run.cancelRequested), ("verdict", run.verdict.flatMap { SQLiteStore.encodeJSON($0) }),
            ("diagnosis", run.diagnosis.flatMap { SQLiteStore.encodeJSON($0) }), ("last_seq", run.lastSeq),
        ]
        return cols.sorted { $0.0 < $1.0 }
    }

    static func insert(_ run: RemediationRun, _ s: PGSession) async throws {
        let cols = columns(run)
        try await s.execute("INSERT INTO remediation_runs (\(cols.map { $0.0 }.joined(separator: ","))) VALUES (\(cols.map { _ in "?" }.joined(separator: ",")))",
                            cols.map { $0.1 })
    }

    static func update(_ run: RemediationRun, _ s: PGSession) async throws {
        let cols = columns(run).filter { $0.0 != "id" }
        var args: [any PGValue] = cols.map { $0.1 }
        args.append(run.id)
        try await s.execute("UPDATE remediation_runs SET \(cols.map { "\($0.0) = ?" }.joined(separator: ", ")) WHERE id = ?", args)
    }

    static func run(from r: PGRow) throws -> RemediationRun? {
        let jobText: String? = try r["job"]
        let stateText: String = try r["state"]
        guard let jobText, let job = try? JobSpec.decode(Array(jobText.utf8)), let state = RunState(rawValue: stateText) else { return nil }
        let params: [String: String] = SQLiteStore.decodeJSON(try r["parameters"] as String?) ?? [:]
        let stub = Runbook(name: job.runbook, description: "", risk: .low, role: .operator, parameters: [], matches: [], steps: [],
                           file: "", builtIn: false, hash: job.runbookHash)
        var run = RemediationRun(id: try r["id"], runbook: stub, host: try r["host"], parameters: params, steps: job.steps,
                                 alertFingerprint: try r["alert_fingerprint"], alertName: try r["alert_name"],
                                 mode: (try r["mode"] as String?).flatMap(RemediationMode.init(rawValue:)), dryRun: try r["dry_run"],
                                 requestedBy: try r["requested_by"], now: try r["created_at"])
        run.job = job
        run.state = state
        run.message = try r["message"]
        run.approvedBy = try r["approved_by"]
        run.updatedAt = try r["updated_at"]
        run.dispatchedAt = try r["dispatched_at"]
        run.finishedAt = try r["finished_at"]
        run.cancelRequested = try r["cancel_requested"]
        run.verdict = SQLiteStore.decodeJSON(try r["verdict"] as String?)
        run.diagnosis = SQLiteStore.decodeJSON(try r["diagnosis"] as String?)
        run.lastSeq = try r["last_seq"]
        return run
    }
}
