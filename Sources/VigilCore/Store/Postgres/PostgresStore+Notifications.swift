import Foundation

extension PostgresStore {
    public func notifiableAlerts(resolvedSince: Int64, limit: Int) async throws -> [StoredAlert] {
        try await read { s in
            var out: [StoredAlert] = []
            for r in try await s.rows("""
                SELECT * FROM alerts WHERE state = 'firing' OR (state = 'resolved' AND (resolved_at >= ? OR flapping = 1))
                ORDER BY active_since, fingerprint COLLATE "C" LIMIT ?
                """, [resolvedSince, limit]) { out.append(try Self.alert(from: r)) }
            return out
        }
    }

    public func notificationGroups() async throws -> [NotificationDispatcher.GroupState] {
        try await read { s in
            var out: [NotificationDispatcher.GroupState] = []
            for r in try await s.rows("SELECT state FROM notification_groups ORDER BY key COLLATE \"C\"") {
                if let g = try? JSONDecoder().decode(NotificationDispatcher.GroupState.self, from: Data((try r["state"] as String).utf8)) { out.append(g) }
            }
            return out
        }
    }

    public func commitNotifications(_ notifications: [NewNotification], groups: [NotificationDispatcher.GroupState], removed: [String],
                                    now: Int64) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let groupRows = try groups.map { ($0.key, String(decoding: try encoder.encode($0), as: UTF8.self)) }
        let rows = try notifications.map { ($0, String(decoding: try encoder.encode($0.rendered), as: UTF8.self)) }
        try await write { s in
            try await self.checkFence(s)
            for (n, rendered) in rows { try await Self.enqueue(n, rendered: rendered, now: now, s) }
            for (key, state) in groupRows {
                try await s.execute("""
                    INSERT INTO notification_groups (key, state, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                    """, [key, state, now])
            }
            for key in removed { try await s.execute("DELETE FROM notification_groups WHERE key = ?", [key]) }
        }
    }

    private static func enqueue(_ n: NewNotification, rendered: String, now: Int64, _ s: PGSession) async throws {
        try await s.execute("""
            INSERT INTO notification_outbox (channel, group_key, status, fingerprints, rendered, state, next_attempt_at, created_at)
            VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)
            """, [n.channel, n.groupKey, n.status, n.fingerprints.joined(separator: ","), rendered, n.notBefore, now])
    }

    static func outboxEntry(_ row: PGRow) throws -> OutboxEntry {
        let rendered = (try? JSONDecoder().decode(RenderedNotification.self, from: Data((try row["rendered"] as String).utf8)))
            ?? RenderedNotification(title: "", text: "")
        let fps: String = try row["fingerprints"]
        let n = NewNotification(channel: try row["channel"], groupKey: try row["group_key"], status: try row["status"],
                                fingerprints: fps.isEmpty ? [] : fps.split(separator: ",").map(String.init), rendered: rendered,
                                notBefore: try row["next_attempt_at"])
        return OutboxEntry(id: try row["id"], notification: n, state: OutboxEntry.State(rawValue: try row["state"]) ?? .queued,
                           attempts: try row["attempts"], nextAttemptAt: try row["next_attempt_at"], createdAt: try row["created_at"],
                           deliveredAt: try row["delivered_at"], lastError: try row["last_error"])
    }

    public func escalationsTaken(fingerprints: [String], since: [String: Int64]) async throws -> [String: Set<String>] {
        guard !fingerprints.isEmpty else { return [:] }
        return try await read { s in
            var out: [String: Set<String>] = [:]
            for start in stride(from: 0, to: fingerprints.count, by: 500) {
                let chunk = Array(fingerprints[start..<min(start + 500, fingerprints.count)])
                let rows = try await s.rows("""
                    SELECT fingerprint, ts, detail FROM alert_events WHERE kind = 'escalated' AND fingerprint IN (\(chunk.map { _ in "?" }.joined(separator: ",")))
                    """, chunk)
                for r in rows {
                    let fp: String = try r["fingerprint"]
                    guard (try r["ts"] as Int64) >= since[fp] ?? 0 else { continue }
                    let detail: String = try r["detail"]
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
        try await write { s in
            try await self.checkFence(s)
            try await s.execute("INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, 'escalated', 'system', ?)",
                                [fingerprint, now, text])
            _ = try await PGAudit.append(s, ts: now, actor: "system", action: "alert.escalate", target: fingerprint, detail: text)
            for (n, rendered) in rows { try await Self.enqueue(n, rendered: rendered, now: now, s) }
        }
    }

    public func dueNotifications(now: Int64, limit: Int) async throws -> [OutboxEntry] {
        try await read { s in
            var out: [OutboxEntry] = []
            for r in try await s.rows("""
                SELECT * FROM notification_outbox WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                """, [now, limit]) { out.append(try Self.outboxEntry(r)) }
            return out
        }
    }

    public func beginDeliveryAttempt(outboxID: Int64, now: Int64) async throws -> Int64 {
        try await write { s in
            try await self.checkFence(s)
            guard let id = try await s.value(Int64.self, "INSERT INTO notification_attempts (outbox_id, started_at, outcome) VALUES (?, ?, 'sending') RETURNING id",
                                             [outboxID, now]) else { throw StoreError("could not record a delivery attempt of notification \(outboxID)") }
            return id
        }
    }

    public func finishDeliveryAttempt(_ a: DeliveryAttempt, nextAttemptAt: Int64?) async throws {
        try await write { s in
            try await s.execute("UPDATE notification_attempts SET outcome = ?, status = ?, latency_ms = ?, error = ? WHERE id = ?",
                                [a.outcome.rawValue, a.status, a.latencyMs, a.error, a.id])
            switch a.outcome {
            case .delivered:
                try await s.execute("""
                    UPDATE notification_outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?
                    """, [a.startedAt + Int64(a.latencyMs ?? 0), a.outboxID])
            case .retry, .lost, .sending:
                try await s.execute("UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                                    [nextAttemptAt ?? a.startedAt, a.error, a.outboxID])
            case .dead:
                try await s.execute("UPDATE notification_outbox SET state = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?",
                                    [a.error, a.outboxID])
            }
        }
    }

    public func recoverInterruptedDeliveries(now: Int64) async throws -> Int {
        try await write { s in
            try await s.execute("""
                UPDATE notification_attempts SET outcome = 'lost', error = 'the process stopped before the answer came' WHERE outcome = 'sending'
                """)
        }
    }

    public func notifications(states: [OutboxEntry.State]?, channel: String?, limit: Int) async throws -> [OutboxEntry] {
        try await read { s in
            var sql = "SELECT * FROM notification_outbox WHERE TRUE"
            var args: [any PGValue] = []
            if let states, !states.isEmpty {
                sql += " AND state IN (" + states.map { _ in "?" }.joined(separator: ",") + ")"
                for st in states { args.append(st.rawValue) }
            }
            if let channel { sql += " AND channel = ?"; args.append(channel) }
            sql += " ORDER BY id DESC LIMIT ?"
            args.append(limit)
            var out: [OutboxEntry] = []
            for r in try await s.rows(sql, args) { out.append(try Self.outboxEntry(r)) }
            return out
        }
    }

    public func deliveryAttempts(outboxID: Int64) async throws -> [DeliveryAttempt] {
        try await read { s in
            var out: [DeliveryAttempt] = []
            for r in try await s.rows("SELECT * FROM notification_attempts WHERE outbox_id = ? ORDER BY id", [outboxID]) {
                out.append(DeliveryAttempt(id: try r["id"], outboxID: try r["outbox_id"], startedAt: try r["started_at"],
                                           outcome: DeliveryAttempt.Outcome(rawValue: try r["outcome"]) ?? .lost, status: try r["status"],
                                           latencyMs: try r["latency_ms"], error: try r["error"]))
            }
            return out
        }
    }

    public func retryNotification(id: Int64, actor: String, now: Int64) async throws -> Bool {
        let found = try await write { s in
            try await s.execute("UPDATE notification_outbox SET state = 'queued', next_attempt_at = ? WHERE id = ? AND state != 'delivered'", [now, id]) > 0
        }
        if found { _ = try await audit(actor: actor, action: "notify.retry", target: "notification \(id)", detail: "", now: now) }
        return found
    }
}
