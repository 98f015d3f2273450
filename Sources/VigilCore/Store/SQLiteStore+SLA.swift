import GRDB
import VigilWire

extension SQLiteStore {
    public func saveSLADaily(_ rows: [SLADailyTally]) async throws {
        guard !rows.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO sla_daily (service, sli, day, fingerprint, up_ms, down_ms, unknown_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (service, sli, day) DO UPDATE SET fingerprint = excluded.fingerprint, up_ms = excluded.up_ms,
                    down_ms = excluded.down_ms, unknown_ms = excluded.unknown_ms
                """)
            for r in rows {
                try statement.execute(arguments: [r.service, r.sli.rawValue, r.day, r.fingerprint, r.tally.upMs, r.tally.downMs, r.tally.unknownMs])
            }
        }
    }

    public func slaDaily(from: Int64, to: Int64) async throws -> [SLADailyTally] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sla_daily WHERE day >= ? AND day < ? ORDER BY service, sli, day", arguments: [from, to])
                .compactMap { r in
                    guard let sli = ServiceSLI(rawValue: r["sli"]) else { return nil }
                    return SLADailyTally(service: r["service"], sli: sli, day: r["day"], fingerprint: r["fingerprint"],
                                         tally: AvailabilityTally(upMs: r["up_ms"], downMs: r["down_ms"], unknownMs: r["unknown_ms"]))
                }
        }
    }

    public func saveSLAViolations(_ violations: [SLAViolation]) async throws {
        guard !violations.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO sla_violations (service, sli, started_at, ended_at, bad_ms, budget_spent, objective, window_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (service, sli, started_at) DO UPDATE SET ended_at = excluded.ended_at, bad_ms = excluded.bad_ms,
                    budget_spent = excluded.budget_spent, objective = excluded.objective, window_ms = excluded.window_ms
                """)
            for v in violations {
                try statement.execute(arguments: [v.service, v.sli.rawValue, v.start, v.end, v.badMs, v.budgetSpent, v.objective, v.window])
            }
        }
    }

    public func slaViolations(from: Int64, to: Int64, limit: Int) async throws -> [SLAViolation] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM sla_violations WHERE started_at < ? AND (ended_at IS NULL OR ended_at >= ?)
                ORDER BY started_at DESC, service, sli LIMIT ?
                """, arguments: [to, from, limit]).compactMap { r in
                guard let sli = ServiceSLI(rawValue: r["sli"]) else { return nil }
                return SLAViolation(service: r["service"], sli: sli, start: r["started_at"], end: r["ended_at"], badMs: r["bad_ms"],
                                    budgetSpent: r["budget_spent"], objective: r["objective"], window: r["window_ms"])
            }
        }
    }
}
