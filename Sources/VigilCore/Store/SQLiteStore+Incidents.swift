import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    /// The incidents most like `alert` (full-text over rule, host, labels, diagnosis, runbook, notes, patterns),
    /// best first. The alert's own current episode is not among them.
    public func similarIncidents(to alert: StoredAlert, limit: Int) async throws -> [IncidentRecord] {
        guard let q = IncidentMemory.query(for: alert) else { return [] }
        let since = alert.firedAt ?? alert.activeSince
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.* FROM incidents_fts f JOIN incidents i ON i.rowid = f.rowid
                WHERE incidents_fts MATCH ? AND NOT (i.fingerprint = ? AND i.started_at >= ?)
                ORDER BY bm25(incidents_fts, 10.0, 3.0, 2.0, 1.0, 1.0, 1.0, 1.0), i.resolved_at DESC
                LIMIT ?
                """, arguments: [q, alert.fingerprint, since, limit]).map(SQLiteIncidents.record(from:))
        }
    }

    /// Recent incidents, newest first.
    public func incidents(limit: Int) async throws -> [IncidentRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM incidents ORDER BY resolved_at DESC LIMIT ?", arguments: [limit]).map(SQLiteIncidents.record(from:))
        }
    }
}

/// Writes incidents inside the transaction that resolves an alert.
enum SQLiteIncidents {
    /// Remembers the alert `fingerprint` as it is now (just resolved at `at`).
    static func remember(fingerprint: String, at: Int64, _ db: Database) throws {
        guard let a = try Row.fetchOne(db, sql: "SELECT * FROM alerts WHERE fingerprint = ?", arguments: [fingerprint]).map(SQLiteStore.alert(from:)) else { return }
        let started = a.firedAt ?? a.activeSince
        let run = try Row.fetchOne(db, sql: """
            SELECT runbook, state, diagnosis FROM remediation_runs WHERE alert_fingerprint = ? AND dry_run = 0 AND created_at >= ?
            ORDER BY created_at DESC LIMIT 1
            """, arguments: [fingerprint, started])
        let diagnosisCause: String = {
            guard let text: String = run?["diagnosis"], let d: Diagnosis = SQLiteStore.decodeJSON(text) else { return "" }
            return d.cause
        }()
        var notes = try String.fetchAll(db, sql: """
            SELECT detail FROM alert_events WHERE fingerprint = ? AND kind IN ('ack', 'note') AND detail != '' AND ts >= ? ORDER BY ts, id
            """, arguments: [fingerprint, started])
        if notes.isEmpty, let n = a.ackNote, !n.isEmpty { notes = [n] }
        var patterns: [String] = []
        if let host = a.host {
            patterns = try String.fetchAll(db, sql: """
                SELECT coalesce(t.template, l.message) AS p FROM logs l
                LEFT JOIN log_templates t ON t.id = l.template_id
                WHERE l.host_id = (SELECT id FROM hosts WHERE name = ?) AND l.ts BETWEEN ? AND ? AND l.level >= ?
                GROUP BY p ORDER BY count(*) DESC LIMIT 3
                """, arguments: [host, started - 300_000, at, LogLevel.warning.rank]).map { String($0.prefix(200)) }
        }
        let id = RandomID.make(prefix: "inc_", bytes: 6)
        let labels = LabelsCodec.encode(a.labels)
        let values: [(any DatabaseValueConvertible)?] = [id, fingerprint, a.rule, a.host, a.severity.rawValue, labels, started, at, diagnosisCause,
                                                         run?["runbook"] as String?, run?["state"] as String?, notes.joined(separator: "\n"),
                                                         patterns.joined(separator: "\n")]
        try db.execute(sql: """
            INSERT INTO incidents (id, fingerprint, rule, host, severity, labels, started_at, resolved_at, diagnosis, runbook, outcome, notes, patterns)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: StatementArguments(values))
        let rowid = db.lastInsertedRowID
        let searchable = a.labels.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: " ")
        try db.execute(sql: """
            INSERT INTO incidents_fts (rowid, rule, host, labels, diagnosis, runbook, notes, patterns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [rowid, a.rule, a.host ?? "", searchable, diagnosisCause, run?["runbook"] as String? ?? "",
                             notes.joined(separator: "\n"), patterns.joined(separator: "\n")])
    }

    static func record(from r: Row) -> IncidentRecord {
        let patterns: String = r["patterns"]
        return IncidentRecord(id: r["id"], fingerprint: r["fingerprint"], rule: r["rule"], host: r["host"], severity: r["severity"],
                              labels: LabelsCodec.decode(r["labels"]), startedAt: r["started_at"], resolvedAt: r["resolved_at"],
                              diagnosis: r["diagnosis"], runbook: r["runbook"], outcome: r["outcome"], notes: r["notes"],
                              patterns: patterns.isEmpty ? [] : patterns.split(separator: "\n").map(String.init))
    }
}
