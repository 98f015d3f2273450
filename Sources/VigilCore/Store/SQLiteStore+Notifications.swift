import Foundation
import GRDB

extension SQLiteStore {
    public func notifiableAlerts(resolvedSince: Int64, limit: Int) async throws -> [StoredAlert] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM alerts WHERE state = 'firing' OR (state = 'resolved' AND (resolved_at >= ? OR flapping = 1))
                ORDER BY active_since, fingerprint LIMIT ?
                """, arguments: [resolvedSince, limit]).map(Self.alert(from:))
        }
    }

    public func notificationGroups() async throws -> [NotificationDispatcher.GroupState] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT state FROM notification_groups ORDER BY key").compactMap {
                try? JSONDecoder().decode(NotificationDispatcher.GroupState.self, from: Data($0.utf8))
            }
        }
    }

    public func commitNotifications(_ notifications: [NewNotification], groups: [NotificationDispatcher.GroupState], removed: [String],
                                    now: Int64) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let groupRows = try groups.map { ($0.key, String(decoding: try encoder.encode($0), as: UTF8.self)) }
        let rows = try notifications.map { ($0, String(decoding: try encoder.encode($0.rendered), as: UTF8.self)) }
        try await pool.write { db in
            try self.checkFence(db)
            for (n, rendered) in rows {
                try db.execute(sql: """
                    INSERT INTO notification_outbox (channel, group_key, status, fingerprints, rendered, state, next_attempt_at, created_at)
                    VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)
                    """, arguments: [n.channel, n.groupKey, n.status, n.fingerprints.joined(separator: ","), rendered, n.notBefore, now])
            }
            for (key, state) in groupRows {
                try db.execute(sql: """
                    INSERT INTO notification_groups (key, state, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """, arguments: [key, state, now])
            }
            for key in removed { try db.execute(sql: "DELETE FROM notification_groups WHERE key = ?", arguments: [key]) }
        }
    }

    static func outboxEntry(_ row: Row) -> OutboxEntry {
        let rendered = (try? JSONDecoder().decode(RenderedNotification.self, from: Data((row["rendered"] as String).utf8)))
            ?? RenderedNotification(title: "", text: "")
        let fps: String = row["fingerprints"]
        let n = NewNotification(channel: row["channel"], groupKey: row["group_key"], status: row["status"],
                                fingerprints: fps.isEmpty ? [] : fps.split(separator: ",").map(String.init), rendered: rendered,
                                notBefore: row["next_attempt_at"])
        return OutboxEntry(id: row["id"], notification: n, state: OutboxEntry.State(rawValue: row["state"]) ?? .queued,
                           attempts: row["attempts"], nextAttemptAt: row["next_attempt_at"], createdAt: row["created_at"],
                           deliveredAt: row["delivered_at"], lastError: row["last_error"])
    }

    public func escalationsTaken(fingerprints: [String], since: [String: Int64]) async throws -> [String: Set<String>] {
        guard !fingerprints.isEmpty else { return [:] }
        return try await pool.read { db in
            var out: [String: Set<String>] = [:]
            for chunk in stride(from: 0, to: fingerprints.count, by: 500).map({ Array(fingerprints[$0..<min($0 + 500, fingerprints.count)]) }) {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT fingerprint, ts, detail FROM alert_events WHERE kind = 'escalated' AND fingerprint IN (\(chunk.map { _ in "?" }.joined(separator: ",")))
                    """, arguments: StatementArguments(chunk))
                for r in rows {
                    let fp: String = r["fingerprint"]
                    guard (r["ts"] as Int64) >= since[fp] ?? 0 else { continue }
                    // detail: EscalationPolicy.stepName, a colon, then what the step did.
                    let detail: String = r["detail"]
                    if let colon = detail.firstIndex(of: ":") { out[fp, default: []].insert(String(detail[..<colon])) }
                }
            }
            return out
        }
    }

    public func recordEscalation(fingerprint: String, policy: String, step: Int, detail: String, notifications: [NewNotification],
                                 now: Int64) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let rows = try notifications.map { ($0, String(decoding: try encoder.encode($0.rendered), as: UTF8.self)) }
        let text = "\(EscalationPolicy.stepName(policy, step)): \(detail)"
        try await pool.write { db in
            try self.checkFence(db)
            try db.execute(sql: "INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, 'escalated', 'system', ?)",
                           arguments: [fingerprint, now, text])
            _ = try SQLiteAudit.append(db, ts: now, actor: "system", action: "alert.escalate", target: fingerprint, detail: text)
            for (n, rendered) in rows {
                try db.execute(sql: """
                    INSERT INTO notification_outbox (channel, group_key, status, fingerprints, rendered, state, next_attempt_at, created_at)
                    VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)
                    """, arguments: [n.channel, n.groupKey, n.status, n.fingerprints.joined(separator: ","), rendered, n.notBefore, now])
            }
        }
    }

    public func dueNotifications(now: Int64, limit: Int) async throws -> [OutboxEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM notification_outbox WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                """, arguments: [now, limit]).map(Self.outboxEntry)
        }
    }

    public func beginDeliveryAttempt(outboxID: Int64, now: Int64) async throws -> Int64 {
        try await pool.write { db in
            try self.checkFence(db)
            try db.execute(sql: "INSERT INTO notification_attempts (outbox_id, started_at, outcome) VALUES (?, ?, 'sending')",
                           arguments: [outboxID, now])
            return db.lastInsertedRowID
        }
    }

    public func finishDeliveryAttempt(_ a: DeliveryAttempt, nextAttemptAt: Int64?) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE notification_attempts SET outcome = ?, status = ?, latency_ms = ?, error = ? WHERE id = ?",
                           arguments: [a.outcome.rawValue, a.status, a.latencyMs, a.error, a.id])
            switch a.outcome {
            case .delivered:
                try db.execute(sql: """
                    UPDATE notification_outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?
                    """, arguments: [a.startedAt + Int64(a.latencyMs ?? 0), a.outboxID])
            case .retry, .lost, .sending:
                try db.execute(sql: """
                    UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?
                    """, arguments: [nextAttemptAt ?? a.startedAt, a.error, a.outboxID])
            case .dead:
                try db.execute(sql: "UPDATE notification_outbox SET state = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?",
                               arguments: [a.error, a.outboxID])
            }
        }
    }

    public func recoverInterruptedDeliveries(now: Int64) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE notification_attempts SET outcome = 'lost', error = 'the process stopped before the answer came'
                WHERE outcome = 'sending'
                """)
            return db.changesCount
        }
    }

    public func notifications(states: [OutboxEntry.State]?, channel: String?, limit: Int) async throws -> [OutboxEntry] {
        try await pool.read { db in
            var sql = "SELECT * FROM notification_outbox WHERE 1 = 1"
            var args: [any DatabaseValueConvertible] = []
            if let states, !states.isEmpty {
                sql += " AND state IN (" + states.map { _ in "?" }.joined(separator: ",") + ")"
                args += states.map(\.rawValue)
            }
            if let channel { sql += " AND channel = ?"; args.append(channel) }
            sql += " ORDER BY id DESC LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Self.outboxEntry)
        }
    }

    public func deliveryAttempts(outboxID: Int64) async throws -> [DeliveryAttempt] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM notification_attempts WHERE outbox_id = ? ORDER BY id", arguments: [outboxID]).map { r in
                DeliveryAttempt(id: r["id"], outboxID: r["outbox_id"], startedAt: r["started_at"],
                                outcome: DeliveryAttempt.Outcome(rawValue: r["outcome"]) ?? .lost, status: r["status"],
                                latencyMs: r["latency_ms"], error: r["error"])
            }
        }
    }

    public func retryNotification(id: Int64, actor: String, now: Int64) async throws -> Bool {
        let found = try await pool.write { db -> Bool in
            try db.execute(sql: "UPDATE notification_outbox SET state = 'queued', next_attempt_at = ? WHERE id = ? AND state != 'delivered'",
                           arguments: [now, id])
            return db.changesCount > 0
        }
        if found { _ = try await audit(actor: actor, action: "notify.retry", target: "notification \(id)", detail: "", now: now) }
        return found
    }
}
