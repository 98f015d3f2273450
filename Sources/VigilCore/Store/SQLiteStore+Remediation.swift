import Foundation
import GRDB
import VigilWire

/// Which runs to list.
public struct RunFilter: Sendable {
    public var host: String?
    public var states: Set<RunState>?
    public var alertFingerprint: String?
    public var since: Int64?
    public var limit: Int

    public init(host: String? = nil, states: Set<RunState>? = nil, alertFingerprint: String? = nil, since: Int64? = nil, limit: Int = 200) {
        self.host = host
        self.states = states
        self.alertFingerprint = alertFingerprint
        self.since = since
        self.limit = limit
    }
}

/// What the listener answers an agent that posted job events.
public enum JobEventsAnswer: Sendable, Equatable {
    case accepted(cancel: Bool)
    case unknownJob
    case finished
}

extension SQLiteStore {
    public func createRun(_ run: RemediationRun, actor: String, now: Int64) async throws {
        try await pool.write { db in
            if run.mode != nil { try self.checkFence(db) }   // started by a rule: the lease holder's work
            try Self.insert(run, db)
            _ = try SQLiteAudit.append(db, ts: now, actor: actor, action: "runbook.\(run.dryRun ? "dry_run" : "request")", target: run.id,
                                       detail: Self.auditDetail(run))
            try Self.timeline(run, db, now: now, actor: actor, text: "\(run.dryRun ? "dry run of " : "")\(run.runbook) \(run.state.rawValue.replacingOccurrences(of: "_", with: " ")): \(run.message)")
        }
    }

    public func run(id: String) async throws -> RemediationRun? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM remediation_runs WHERE id = ?", arguments: [id]).flatMap(Self.run(from:)) }
    }

    public func runs(_ filter: RunFilter) async throws -> [RemediationRun] {
        try await pool.read { db in
            var sql = "SELECT * FROM remediation_runs WHERE 1"
            var args: [any DatabaseValueConvertible] = []
            if let h = filter.host { sql += " AND host = ?"; args.append(h) }
            if let f = filter.alertFingerprint { sql += " AND alert_fingerprint = ?"; args.append(f) }
            if let s = filter.since { sql += " AND created_at >= ?"; args.append(s) }
            if let states = filter.states {
                sql += " AND state IN (\(states.map { _ in "?" }.joined(separator: ",")))"
                args += states.map(\.rawValue).sorted()
            }
            sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
            args.append(filter.limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).compactMap(Self.run(from:))
        }
    }

    /// Applies `change` (one of `RemediationRun`'s transitions) and records it in the audit log and, for runs of an
    /// alert, on the alert's timeline. `action` names it there (`approve`, `reject`, `cancel`, …).
    public func updateRun(id: String, action: String, actor: String, now: Int64,
                          _ change: @Sendable @escaping (inout RemediationRun) throws -> Void) async throws -> RemediationRun {
        try await pool.write { db in
            guard var run = try Row.fetchOne(db, sql: "SELECT * FROM remediation_runs WHERE id = ?", arguments: [id]).flatMap(Self.run(from:)) else {
                throw StoreError("no run with id '\(id)'")
            }
            try change(&run)
            try Self.update(run, db)
            _ = try SQLiteAudit.append(db, ts: now, actor: actor, action: "runbook.\(action)", target: run.id, detail: Self.auditDetail(run))
            try Self.timeline(run, db, now: now, actor: actor, text: "\(run.runbook) \(action): \(run.message)")
            return run
        }
    }

    /// Hands the host's queued runs to its agent (marking them dispatched) and expires stale ones.
    public func claimJobs(host: String, now: Int64) async throws -> [RemediationRun] {
        try await pool.write { db in
            let queued = try Row.fetchAll(db, sql: "SELECT * FROM remediation_runs WHERE host = ? AND state = 'queued' ORDER BY created_at",
                                          arguments: [host]).compactMap(Self.run(from:))
            var out: [RemediationRun] = []
            for var run in queued {
                if run.expireIfDue(now: now) {
                    try Self.update(run, db)
                    _ = try SQLiteAudit.append(db, ts: now, actor: "system", action: "runbook.expire", target: run.id, detail: Self.auditDetail(run))
                    try Self.timeline(run, db, now: now, actor: "system", text: "\(run.runbook) expired: \(run.message)")
                    continue
                }
                try run.dispatch(now: now)
                try Self.update(run, db)
                _ = try SQLiteAudit.append(db, ts: now, actor: "system", action: "runbook.dispatch", target: run.id, detail: Self.auditDetail(run))
                out.append(run)
            }
            return out
        }
    }

    /// True when `host` has a queued run (a cheap probe for the long-poll).
    public func hasQueuedJobs(host: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM remediation_runs WHERE host = ? AND state = 'queued')", arguments: [host]) ?? false
        }
    }

    /// Stores an agent's events for a run of `host` (duplicates by `seq` are ignored) and moves the run on.
    public func recordJobEvents(id: String, host: String, events: [JobEvent], now: Int64) async throws -> JobEventsAnswer {
        try await pool.write { db in
            guard var run = try Row.fetchOne(db, sql: "SELECT * FROM remediation_runs WHERE id = ?", arguments: [id]).flatMap(Self.run(from:)),
                  run.host == host else { return .unknownJob }
            guard run.state == .dispatched || run.state == .running else { return run.state.isFinal ? .finished : .unknownJob }
            let fresh = events.filter { $0.seq > run.lastSeq }.sorted { $0.seq < $1.seq }
            for e in fresh {
                try db.execute(sql: "INSERT OR IGNORE INTO remediation_events (run_id, seq, at, json) VALUES (?, ?, ?, ?)",
                               arguments: [id, e.seq, e.at, e.json()])
            }
            let before = run.state
            try run.record(fresh, now: now)
            try Self.update(run, db)
            if run.state != before && run.state.isFinal {
                _ = try SQLiteAudit.append(db, ts: now, actor: "agent:\(host)", action: "runbook.finish", target: run.id, detail: Self.auditDetail(run))
                try Self.timeline(run, db, now: now, actor: "agent:\(host)",
                                  text: "\(run.dryRun ? "dry run of " : "")\(run.runbook) \(run.state.rawValue.replacingOccurrences(of: "_", with: " ")): \(run.message)")
            }
            return .accepted(cancel: run.cancelRequested)
        }
    }

    /// The events of a run after `afterSeq`, in order.
    public func runEvents(id: String, afterSeq: Int) async throws -> [JobEvent] {
        let texts = try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT json FROM remediation_events WHERE run_id = ? AND seq > ? ORDER BY seq", arguments: [id, afterSeq])
        }
        guard !texts.isEmpty else { return [] }
        let batch = try JobEventBatch.decode(Array("{\"events\":[\(texts.joined(separator: ","))]}".utf8))
        return batch.events
    }

    // MARK: Rows

    static func auditDetail(_ run: RemediationRun) -> String {
        let params = run.parameters.sorted { $0.key < $1.key }.filter { !$0.value.isEmpty }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "\(run.runbook) on \(run.host)\(params.isEmpty ? "" : " (\(params))")\(run.dryRun ? " [dry run]" : ""): \(run.state.rawValue) — \(run.message)"
    }

    static func timeline(_ run: RemediationRun, _ db: Database, now: Int64, actor: String, text: String) throws {
        guard let fp = run.alertFingerprint else { return }
        try db.execute(sql: "INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, 'remediation', ?, ?)",
                       arguments: [fp, now, actor, "[\(run.id)] " + text])
    }

    static func columns(_ run: RemediationRun) -> [String: (any DatabaseValueConvertible)?] {
        [
            "id": run.id, "runbook": run.runbook, "runbook_hash": run.runbookHash, "host": run.host,
            "parameters": encodeJSON(run.parameters) ?? "{}", "alert_fingerprint": run.alertFingerprint, "alert_name": run.alertName,
            "mode": run.mode?.rawValue, "dry_run": run.dryRun, "state": run.state.rawValue, "message": run.message,
            "requested_by": run.requestedBy, "approved_by": run.approvedBy, "created_at": run.createdAt, "updated_at": run.updatedAt,
            "dispatched_at": run.dispatchedAt, "finished_at": run.finishedAt, "job": run.job.json(),
            "cancel_requested": run.cancelRequested, "verdict": run.verdict.flatMap(encodeJSON), "diagnosis": run.diagnosis.flatMap(encodeJSON),
            "last_seq": run.lastSeq,
        ]
    }

    static func insert(_ run: RemediationRun, _ db: Database) throws {
        let cols = columns(run).sorted { $0.key < $1.key }
        try db.execute(sql: "INSERT INTO remediation_runs (\(cols.map(\.key).joined(separator: ","))) VALUES (\(cols.map { _ in "?" }.joined(separator: ",")))",
                       arguments: StatementArguments(cols.map(\.value)))
    }

    static func update(_ run: RemediationRun, _ db: Database) throws {
        let cols = columns(run).filter { $0.key != "id" }.sorted { $0.key < $1.key }
        try db.execute(sql: "UPDATE remediation_runs SET \(cols.map { "\($0.key) = ?" }.joined(separator: ", ")) WHERE id = ?",
                       arguments: StatementArguments(cols.map(\.value) + [run.id]))
    }

    static func run(from r: Row) -> RemediationRun? {
        guard let jobText: String = r["job"], let job = try? JobSpec.decode(Array(jobText.utf8)),
              let state = RunState(rawValue: r["state"]) else { return nil }
        let params: [String: String] = decodeJSON(r["parameters"]) ?? [:]
        let stub = Runbook(name: job.runbook, description: "", risk: .low, role: .operator, parameters: [], matches: [], steps: [],
                           file: "", builtIn: false, hash: job.runbookHash)
        var run = RemediationRun(id: r["id"], runbook: stub, host: r["host"], parameters: params, steps: job.steps,
                                 alertFingerprint: r["alert_fingerprint"], alertName: r["alert_name"],
                                 mode: (r["mode"] as String?).flatMap(RemediationMode.init(rawValue:)), dryRun: r["dry_run"],
                                 requestedBy: r["requested_by"], now: r["created_at"])
        run.job = job
        run.state = state
        run.message = r["message"]
        run.approvedBy = r["approved_by"]
        run.updatedAt = r["updated_at"]
        run.dispatchedAt = r["dispatched_at"]
        run.finishedAt = r["finished_at"]
        run.cancelRequested = r["cancel_requested"]
        run.verdict = decodeJSON(r["verdict"])
        run.diagnosis = decodeJSON(r["diagnosis"])
        run.lastSeq = r["last_seq"]
        return run
    }

    static func encodeJSON<T: Encodable>(_ value: T) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) }
    }

    static func decodeJSON<T: Decodable>(_ text: String?) -> T? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
