import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func alertEvents(from: Int64, to: Int64, limit: Int) async throws -> [ReportAlertEvent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.fingerprint, e.ts, e.kind, a.rule, a.labels, a.severity,
                       CASE WHEN e.kind IN ('resolved', 'manual_resolve') THEN
                           (SELECT max(f.ts) FROM alert_events f WHERE f.fingerprint = e.fingerprint AND f.kind = 'firing' AND f.ts <= e.ts)
                       END AS fired_at
                FROM alert_events e JOIN alerts a ON a.fingerprint = e.fingerprint
                WHERE e.ts >= ? AND e.ts < ? AND e.kind IN ('firing', 'resolved', 'manual_resolve')
                ORDER BY e.ts, e.id
                LIMIT ?
                """, arguments: [from, to, limit]).map { r in
                let labels = LabelsCodec.decode(r["labels"])
                return ReportAlertEvent(fingerprint: r["fingerprint"], rule: r["rule"], host: labels["host"], severity: r["severity"],
                                        kind: r["kind"], ts: r["ts"], firedAt: r["fired_at"])
            }
        }
    }

    public func incidents(resolvedFrom from: Int64, to: Int64, limit: Int) async throws -> [IncidentRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM incidents WHERE resolved_at >= ? AND resolved_at < ? ORDER BY resolved_at DESC LIMIT ?",
                             arguments: [from, to, limit]).map(SQLiteIncidents.record(from:))
        }
    }

    @discardableResult
    public func saveReport(_ report: StoredReport) async throws -> StoredReport {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO reports (kind, from_ts, to_ts, created_at, text, json) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [report.kind, report.from, report.to, report.createdAt, report.text, report.json])
            var stored = report
            stored.id = db.lastInsertedRowID
            return stored
        }
    }

    public func reports(kind: String?, limit: Int) async throws -> [StoredReport] {
        try await pool.read { db in
            if let kind {
                return try Row.fetchAll(db, sql: "SELECT * FROM reports WHERE kind = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                                        arguments: [kind, limit]).map(Self.report(from:))
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM reports ORDER BY created_at DESC, id DESC LIMIT ?", arguments: [limit]).map(Self.report(from:))
        }
    }

    public func report(id: Int64) async throws -> StoredReport? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM reports WHERE id = ?", arguments: [id]).map(Self.report(from:))
        }
    }

    static func report(from r: Row) -> StoredReport {
        StoredReport(id: r["id"], kind: r["kind"], from: r["from_ts"], to: r["to_ts"], createdAt: r["created_at"], text: r["text"], json: r["json"])
    }
}
