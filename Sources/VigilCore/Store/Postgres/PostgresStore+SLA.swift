import VigilWire

extension PostgresStore {
    public func saveSLADaily(_ rows: [SLADailyTally]) async throws {
        guard !rows.isEmpty else { return }
        try await write { s in
            for r in rows {
                try await s.execute("""
                    INSERT INTO sla_daily (service, sli, day, fingerprint, up_ms, down_ms, unknown_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (service, sli, day) DO UPDATE SET fingerprint = excluded.fingerprint, up_ms = excluded.up_ms,
                        down_ms = excluded.down_ms, unknown_ms = excluded.unknown_ms
                    """, [r.service, r.sli.rawValue, r.day, r.fingerprint, r.tally.upMs, r.tally.downMs, r.tally.unknownMs])
            }
        }
    }

    public func slaDaily(from: Int64, to: Int64) async throws -> [SLADailyTally] {
        try await read { s in
            var out: [SLADailyTally] = []
            for r in try await s.rows("SELECT * FROM sla_daily WHERE day >= ? AND day < ? ORDER BY service, sli, day", [from, to]) {
                guard let sli = ServiceSLI(rawValue: try r["sli"]) else { continue }
                out.append(SLADailyTally(service: try r["service"], sli: sli, day: try r["day"], fingerprint: try r["fingerprint"],
                                         tally: AvailabilityTally(upMs: try r["up_ms"], downMs: try r["down_ms"], unknownMs: try r["unknown_ms"])))
            }
            return out
        }
    }

    public func saveSLAViolations(_ violations: [SLAViolation]) async throws {
        guard !violations.isEmpty else { return }
        try await write { s in
            for v in violations {
                try await s.execute("""
                    INSERT INTO sla_violations (service, sli, started_at, ended_at, bad_ms, budget_spent, objective, window_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (service, sli, started_at) DO UPDATE SET ended_at = excluded.ended_at, bad_ms = excluded.bad_ms,
                        budget_spent = excluded.budget_spent, objective = excluded.objective, window_ms = excluded.window_ms
                    """, [v.service, v.sli.rawValue, v.start, v.end, v.badMs, v.budgetSpent, v.objective, v.window])
            }
        }
    }

    public func slaViolations(from: Int64, to: Int64, limit: Int) async throws -> [SLAViolation] {
        try await read { s in
            var out: [SLAViolation] = []
            for r in try await s.rows("""
                SELECT * FROM sla_violations WHERE started_at < ? AND (ended_at IS NULL OR ended_at >= ?)
                ORDER BY started_at DESC, service, sli LIMIT ?
                """, [to, from, limit]) {
                guard let sli = ServiceSLI(rawValue: try r["sli"]) else { continue }
                out.append(SLAViolation(service: try r["service"], sli: sli, start: try r["started_at"], end: try r["ended_at"],
                                        badMs: try r["bad_ms"], budgetSpent: try r["budget_spent"], objective: try r["objective"],
                                        window: try r["window_ms"]))
            }
            return out
        }
    }
}
