import Foundation
import VigilWire

extension PostgresStore {
    public func similarIncidents(to alert: StoredAlert, limit: Int) async throws -> [IncidentRecord] {
        guard let q = IncidentMemory.query(for: alert).flatMap(PGIncidents.anyWord) else { return [] }
        let since = alert.firedAt ?? alert.activeSince
        return try await read { s in
            var out: [IncidentRecord] = []
            for r in try await s.rows("""
                SELECT i.* FROM incidents i, to_tsquery('simple', ?) q
                WHERE i.search @@ q AND NOT (i.fingerprint = ? AND i.started_at >= ?)
                ORDER BY \(PGIncidents.rank) DESC, i.resolved_at DESC
                LIMIT ?
                """, [q, alert.fingerprint, since, limit]) { out.append(try PGIncidents.record(from: r)) }
            return out
        }
    }

    public func incidents(limit: Int) async throws -> [IncidentRecord] {
        try await read { s in
            var out: [IncidentRecord] = []
            for r in try await s.rows("SELECT * FROM incidents ORDER BY resolved_at DESC LIMIT ?", [limit]) { out.append(try PGIncidents.record(from: r)) }
            return out
        }
    }
}

/// Writes incidents inside the transaction that resolves an alert (PostgreSQL); `incidents.search` indexes them.
enum PGIncidents {
    static func remember(fingerprint: String, at: Int64, _ s: PGSession) async throws {
        guard let row = try await s.row("SELECT * FROM alerts WHERE fingerprint = ?", [fingerprint]) else { return }
        let a = try PostgresStore.alert(from: row)
        let started = a.firedAt ?? a.activeSince
        let run = try await s.row("""
            SELECT runbook, state, diagnosis FROM remediation_runs WHERE alert_fingerprint = ? AND dry_run = 0 AND created_at >= ?
            ORDER BY created_at DESC LIMIT 1
            """, [fingerprint, started])
        var diagnosisCause = ""
        var runbook: String?
        var outcome: String?
        if let run {
            runbook = try run["runbook"]
            outcome = try run["state"]
            let text: String? = try run["diagnosis"]
            if let d: Diagnosis = SQLiteStore.decodeJSON(text) { diagnosisCause = d.cause }
        }
        var notes: [String] = []
        for r in try await s.rows("""
            SELECT detail FROM alert_events WHERE fingerprint = ? AND kind IN ('ack', 'note') AND detail != '' AND ts >= ? ORDER BY ts, id
            """, [fingerprint, started]) { notes.append(try r["detail"]) }
        if notes.isEmpty, let n = a.ackNote, !n.isEmpty { notes = [n] }
        var patterns: [String] = []
        if let host = a.host {
            for r in try await s.rows("""
                SELECT coalesce(t.template, l.message) AS p FROM logs l
                LEFT JOIN log_templates t ON t.id = l.template_id
                WHERE l.host_id = (SELECT id FROM hosts WHERE name = ?) AND l.ts BETWEEN ? AND ? AND l.level >= ?
                GROUP BY p ORDER BY count(*) DESC, p LIMIT 3
                """, [host, started - 300_000, at, LogLevel.warning.rank]) { patterns.append(String((try r["p"] as String).prefix(200))) }
        }
        try await s.execute("""
            INSERT INTO incidents (id, fingerprint, rule, host, severity, labels, started_at, resolved_at, diagnosis, runbook, outcome, notes, patterns)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [RandomID.make(prefix: "inc_", bytes: 6), fingerprint, a.rule, a.host, a.severity.rawValue, LabelsCodec.encode(a.labels), started, at,
                  diagnosisCause, runbook, outcome, notes.joined(separator: "\n"), patterns.joined(separator: "\n")])
    }

    static func record(from r: PGRow) throws -> IncidentRecord {
        let patterns: String = try r["patterns"]
        return IncidentRecord(id: try r["id"], fingerprint: try r["fingerprint"], rule: try r["rule"], host: try r["host"], severity: try r["severity"],
                              labels: LabelsCodec.decode(try r["labels"]), startedAt: try r["started_at"], resolvedAt: try r["resolved_at"],
                              diagnosis: try r["diagnosis"], runbook: try r["runbook"], outcome: try r["outcome"], notes: try r["notes"],
                              patterns: patterns.isEmpty ? [] : patterns.split(separator: "\n").map(String.init))
    }

    /// The rank of an incident for the tsquery `q`: `incidents.search` weighs rule (A), host (B), labels (C) and the
    /// rest (D) 10 : 3 : 2 : 1, as SQLite's bm25 weights its columns (ts_rank's weights are listed D, C, B, A).
    static let rank = "ts_rank('{0.1, 0.2, 0.3, 1.0}', i.search, q)"

    /// An any-word FTS5 query (`"a" OR "b"`, as `IncidentMemory.query` writes it) as a tsquery (`a | b`). Words
    /// keep only letters, digits and `_` (none is tsquery syntax) and need a letter or digit; nil when none is left.
    static func anyWord(_ fts: String) -> String? {
        var words: [String] = []
        for (i, part) in fts.split(separator: "\"", omittingEmptySubsequences: false).enumerated() where i % 2 == 1 {
            guard part.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), part.contains(where: { $0.isLetter || $0.isNumber }) else { continue }
            words.append(String(part))
        }
        return words.isEmpty ? nil : words.joined(separator: " | ")
    }
}
