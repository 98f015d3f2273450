import Foundation

extension PostgresStore {
    public func alertEvents(from: Int64, to: Int64, limit: Int) async throws -> [ReportAlertEvent] {
        try await read { s in
            var out: [ReportAlertEvent] = []
            for r in try await s.rows("""
                SELECT e.fingerprint, e.ts, e.kind, a.rule, a.labels, a.severity,
                       CASE WHEN e.kind IN ('resolved', 'manual_resolve') THEN
                           (SELECT max(f.ts) FROM alert_events f WHERE f.fingerprint = e.fingerprint AND f.kind = 'firing' AND f.ts <= e.ts)
                       END AS fired_at
                FROM alert_events e JOIN alerts a ON a.fingerprint = e.fingerprint
                WHERE e.ts >= ? AND e.ts < ? AND e.kind IN ('firing', 'resolved', 'manual_resolve')
                ORDER BY e.ts, e.id
                LIMIT ?
                """, [from, to, limit]) {
                let labels = LabelsCodec.decode(try r["labels"])
                out.append(ReportAlertEvent(fingerprint: try r["fingerprint"], rule: try r["rule"], host: labels["host"], severity: try r["severity"],
                                            kind: try r["kind"], ts: try r["ts"], firedAt: try r["fired_at"]))
            }
            return out
        }
    }

    public func incidents(resolvedFrom from: Int64, to: Int64, limit: Int) async throws -> [IncidentRecord] {
        try await read { s in
            var out: [IncidentRecord] = []
            for r in try await s.rows("SELECT * FROM incidents WHERE resolved_at >= ? AND resolved_at < ? ORDER BY resolved_at DESC LIMIT ?", [from, to, limit]) {
                out.append(try PGIncidents.record(from: r))
            }
            return out
        }
    }

    @discardableResult
    public func saveReport(_ report: StoredReport) async throws -> StoredReport {
        try await write { s in
            guard let id = try await s.value(Int64.self, "INSERT INTO reports (kind, from_ts, to_ts, created_at, text, json) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                                             [report.kind, report.from, report.to, report.createdAt, report.text, report.json]) else {
                throw StoreError("could not store the \(report.kind) report")
            }
            var stored = report
            stored.id = id
            return stored
        }
    }

    public func reports(kind: String?, limit: Int) async throws -> [StoredReport] {
        try await read { s in
            let rows: [PGRow]
            if let kind {
                rows = try await s.rows("SELECT * FROM reports WHERE kind = ? ORDER BY created_at DESC, id DESC LIMIT ?", [kind, limit])
            } else {
                rows = try await s.rows("SELECT * FROM reports ORDER BY created_at DESC, id DESC LIMIT ?", [limit])
            }
            var out: [StoredReport] = []
            for r in rows { out.append(try Self.report(from: r)) }
            return out
        }
    }

    public func report(id: Int64) async throws -> StoredReport? {
        try await read { s in
            guard let r = try await s.row("SELECT * FROM reports WHERE id = ?", [id]) else { return nil }
            return try Self.report(from: r)
        }
    }

    static func report(from r: PGRow) throws -> StoredReport {
        StoredReport(id: try r["id"], kind: try r["kind"], from: try r["from_ts"], to: try r["to_ts"], createdAt: try r["created_at"],
                     text: try r["text"], json: try r["json"])
    }
}
