import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func recordAlerts(_ updates: [AlertUpdate], now: Int64) async throws {
        guard !updates.isEmpty else { return }
        try await pool.write { db in
            try self.checkFence(db)
            try Self.bumpAlertsVersion(db, now: now)
            for u in updates {
                let i = u.instance
                var stateName: String
                var activeSince: Int64 = now
                var firedAt: Int64?
                var resolvedAt: Int64?
                if case .inactive = u.state {
                    // A pending alert that cleared before `for` passed never fired: as in Prometheus it leaves
                    // nothing behind, unless an earlier instance fired (then it goes back to that resolved state).
                    let lastResolved = try Int64.fetchOne(db, sql: "SELECT max(ts) FROM alert_events WHERE fingerprint = ? AND kind IN ('resolved', 'manual_resolve')",
                                                          arguments: [i.fingerprint])
                    if let lastResolved {
                        // Back to the last instance that fired: its start, firing and resolution times.
                        let firedAt = try Int64.fetchOne(db, sql: "SELECT max(ts) FROM alert_events WHERE fingerprint = ? AND kind = 'firing' AND ts <= ?",
                                                         arguments: [i.fingerprint, lastResolved])
                        let pendingAt = try firedAt.flatMap {
                            try Int64.fetchOne(db, sql: """
                                SELECT max(ts) FROM alert_events WHERE fingerprint = ? AND kind = 'pending' AND ts <= ?
                                  AND ts > coalesce((SELECT max(ts) FROM alert_events WHERE fingerprint = ? AND kind IN ('resolved', 'manual_resolve') AND ts < ?), 0)
                                """, arguments: [i.fingerprint, $0, i.fingerprint, $0])
                        }
                        try db.execute(sql: """
                            UPDATE alerts SET state = 'resolved', resolved_at = ?, fired_at = ?, active_since = coalesce(?, ?, active_since), last_eval = ?
                            WHERE fingerprint = ?
                            """, arguments: [lastResolved, firedAt, pendingAt, firedAt, now, i.fingerprint])
                        for e in u.events where e.timeline.kind != "cleared" {
                            try db.execute(sql: "INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, ?, 'system', '')",
                                           arguments: [i.fingerprint, e.timeline.at, e.timeline.kind])
                        }
                    } else {
                        try db.execute(sql: "DELETE FROM alerts WHERE fingerprint = ?", arguments: [i.fingerprint])
                        try db.execute(sql: "DELETE FROM alert_events WHERE fingerprint = ?", arguments: [i.fingerprint])
                    }
                    continue
                }
                switch u.state {
                case .inactive:
                    continue
                case .pending(let since): stateName = "pending"; activeSince = since
                case .firing(let since): stateName = "firing"; firedAt = since; activeSince = since
                case .resolved(let at): stateName = "resolved"; resolvedAt = at
                }
                let existing = try Row.fetchOne(db, sql: "SELECT state, active_since, fired_at FROM alerts WHERE fingerprint = ?", arguments: [i.fingerprint])
                let wasActive = (existing?["state"] as String?).map { $0 != "resolved" } ?? false
                if case .firing = u.state, wasActive, let a: Int64 = existing?["active_since"] { activeSince = a }
                if case .resolved = u.state, let a: Int64 = existing?["active_since"] { activeSince = a; firedAt = existing?["fired_at"] }
                let reopened = !wasActive && (stateName == "pending" || stateName == "firing")
                try db.execute(sql: """
                    INSERT INTO alerts (fingerprint, rule, severity, labels, annotations, state, value, active_since, fired_at, resolved_at,
                                        last_eval, flapping, source, metric, series_labels)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'vigil', ?, ?)
                    ON CONFLICT (fingerprint) DO UPDATE SET
                        rule = excluded.rule, severity = excluded.severity, labels = excluded.labels, annotations = excluded.annotations,
                        state = excluded.state, value = excluded.value, active_since = excluded.active_since,
                        fired_at = excluded.fired_at, resolved_at = excluded.resolved_at, last_eval = excluded.last_eval,
                        flapping = excluded.flapping, metric = excluded.metric, series_labels = excluded.series_labels,
                        acked_by = CASE WHEN ? THEN NULL ELSE acked_by END,
                        acked_at = CASE WHEN ? THEN NULL ELSE acked_at END,
                        ack_note = CASE WHEN ? THEN NULL ELSE ack_note END
                    """, arguments: [i.fingerprint, i.alertName, i.severity.rawValue, LabelsCodec.encode(i.labels), LabelsCodec.encode(u.annotations),
                                     stateName, i.value, activeSince, firedAt, resolvedAt, now, u.flapping, u.metric,
                                     LabelsCodec.encode(u.seriesLabels), reopened, reopened, reopened])
                for e in u.events {
                    let (kind, at) = e.timeline
                    try db.execute(sql: "INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, ?, 'system', ?)",
                                   arguments: [i.fingerprint, at, kind, kind == "firing" || kind == "pending" ? "value \(i.value)" : ""])
                }
                if case .resolved(let at) = u.state, wasActive, firedAt != nil {
                    try SQLiteIncidents.remember(fingerprint: i.fingerprint, at: at, db)
                }
            }
        }
    }

    public func alerts(states: Set<String>?, limit: Int) async throws -> [StoredAlert] {
        try await pool.read { db in
            var sql = "SELECT * FROM alerts"
            var args: [any DatabaseValueConvertible] = []
            if let states, !states.isEmpty {
                sql += " WHERE state IN (\(states.map { _ in "?" }.joined(separator: ",")))"
                args += states.sorted().map { $0 as any DatabaseValueConvertible }
            }
            sql += """
                 ORDER BY CASE state WHEN 'firing' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END,
                 CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, active_since, fingerprint LIMIT ?
                """
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Self.alert(from:))
        }
    }

    public func alert(fingerprint: String) async throws -> StoredAlert? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM alerts WHERE fingerprint = ?", arguments: [fingerprint]).map(Self.alert(from:))
        }
    }

    public func setMutes(_ mutes: [String: String?]) async throws {
        guard !mutes.isEmpty else { return }
        try await pool.write { db in
            var changed = 0
            for (fp, why) in mutes {
                try db.execute(sql: "UPDATE alerts SET muted_by = ? WHERE fingerprint = ? AND muted_by IS NOT ?", arguments: [why, fp, why])
                changed += db.changesCount
            }
            if changed > 0 { try Self.bumpAlertsVersion(db, now: WallClock.nowMs()) }
        }
    }

    /// Counts a change to the alerts table in the setting `AlertsVersion.key`, in the writer's transaction, so a
    /// console re-reads the alerts only when it moved.
    static func bumpAlertsVersion(_ db: Database, now: Int64) throws {
        try db.execute(sql: AlertsVersion.bump, arguments: [AlertsVersion.key, now])
    }

    public func alertTimeline(fingerprint: String) async throws -> [AlertTimelineEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alert_events WHERE fingerprint = ? ORDER BY ts, id", arguments: [fingerprint]).map { r in
                AlertTimelineEntry(id: r["id"], fingerprint: r["fingerprint"], ts: r["ts"], kind: r["kind"], actor: r["actor"], detail: r["detail"])
            }
        }
    }

    public func alertAction(_ kind: AlertAction, fingerprint: String, detail: String, actor: String, now: Int64) async throws -> StoredAlert {
        try await pool.write { db in
            guard let current = try Row.fetchOne(db, sql: "SELECT * FROM alerts WHERE fingerprint = ?", arguments: [fingerprint]).map(Self.alert(from:)) else {
                throw StoreError("no alert with fingerprint '\(fingerprint)'")
            }
            switch kind {
            case .ack:
                try db.execute(sql: "UPDATE alerts SET acked_by = ?, acked_at = ?, ack_note = ? WHERE fingerprint = ?", arguments: [actor, now, detail, fingerprint])
            case .unack:
                try db.execute(sql: "UPDATE alerts SET acked_by = NULL, acked_at = NULL, ack_note = NULL WHERE fingerprint = ?", arguments: [fingerprint])
            case .note:
                guard !detail.isEmpty else { throw StoreError("a note needs text") }
            case .assign:
                try db.execute(sql: "UPDATE alerts SET assignee = ? WHERE fingerprint = ?", arguments: [detail.isEmpty ? nil : detail, fingerprint])
            case .manualResolve:
                guard current.isActive else { throw StoreError("alert \(current.rule) is already resolved") }
                try db.execute(sql: "UPDATE alerts SET state = 'resolved', resolved_at = ? WHERE fingerprint = ?", arguments: [now, fingerprint])
                if current.firedAt != nil { try SQLiteIncidents.remember(fingerprint: fingerprint, at: now, db) }
            }
            try db.execute(sql: "INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, ?, ?, ?)",
                           arguments: [fingerprint, now, kind.rawValue, actor, detail])
            try Self.bumpAlertsVersion(db, now: now)
            _ = try SQLiteAudit.append(db, ts: now, actor: actor, action: "alert.\(kind.rawValue)", target: fingerprint,
                                       detail: "\(current.rule) \(current.labels["host"].map { "on \($0)" } ?? "")\(detail.isEmpty ? "" : ": \(detail)")")
            return try Row.fetchOne(db, sql: "SELECT * FROM alerts WHERE fingerprint = ?", arguments: [fingerprint]).map(Self.alert(from:))!
        }
    }

    // MARK: silences

    public func createSilence(matchers: [LabelMatcher], startsAt: Int64, endsAt: Int64, comment: String, actor: String, now: Int64) async throws -> Silence {
        guard !matchers.isEmpty else { throw StoreError("a silence needs at least one matcher (e.g. host=web-1)") }
        guard endsAt > startsAt else { throw StoreError("a silence must end after it starts") }
        let silence = Silence(id: RandomID.make(prefix: "sil_", bytes: 4), matchers: matchers,
                              startsAt: startsAt, endsAt: endsAt, createdBy: actor, comment: comment, createdAt: now)
        let text = matchers.map(\.description)
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [silence.id, Self.encodeList(text), startsAt, endsAt, actor, comment, now])
            _ = try SQLiteAudit.append(db, ts: now, actor: actor, action: "silence.create", target: silence.id,
                                       detail: "\(text.joined(separator: ", ")) until \(endsAt)\(comment.isEmpty ? "" : ": \(comment)")")
        }
        return silence
    }

    public func silences(includeExpired: Bool, now: Int64) async throws -> [Silence] {
        try await pool.read { db in
            let sql = includeExpired ? "SELECT * FROM silences ORDER BY created_at"
                : "SELECT * FROM silences WHERE ends_at > ? AND (expired_at IS NULL OR expired_at > ?) ORDER BY created_at"
            return try Row.fetchAll(db, sql: sql, arguments: includeExpired ? [] : [now, now]).compactMap(Self.silence(from:))
        }
    }

    public func expireSilence(id: String, actor: String, now: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE silences SET expired_at = ? WHERE id = ? AND expired_at IS NULL", arguments: [now, id])
            guard db.changesCount > 0 else { return false }
            _ = try SQLiteAudit.append(db, ts: now, actor: actor, action: "silence.expire", target: id, detail: "")
            return true
        }
    }

    static func alert(from r: Row) -> StoredAlert {
        StoredAlert(fingerprint: r["fingerprint"], rule: r["rule"], severity: AlertSeverity(rawValue: r["severity"]) ?? .warning,
                    labels: LabelsCodec.decode(r["labels"]), annotations: LabelsCodec.decode(r["annotations"]), state: r["state"],
                    value: r["value"], activeSince: r["active_since"], firedAt: r["fired_at"], resolvedAt: r["resolved_at"],
                    lastEvaluated: r["last_eval"], ackedBy: r["acked_by"], ackedAt: r["acked_at"], ackNote: r["ack_note"],
                    assignee: r["assignee"], flapping: r["flapping"], source: r["source"], generatorURL: r["generator_url"],
                    mutedBy: r["muted_by"], metric: r["metric"], seriesLabels: LabelsCodec.decode(r["series_labels"] ?? "{}"))
    }

    static func silence(from r: Row) -> Silence? {
        var matchers: [LabelMatcher] = []
        for text in decodeList(r["matchers"]) {
            guard case .success(let m) = LabelMatcher.parse(text) else { return nil }
            matchers.append(m)
        }
        return Silence(id: r["id"], matchers: matchers, startsAt: r["starts_at"], endsAt: r["ends_at"], createdBy: r["created_by"],
                       comment: r["comment"], createdAt: r["created_at"], expiredAt: r["expired_at"])
    }

    /// A list of strings as JSON text.
    static func encodeList(_ items: [String]) -> String {
        var w = JSONWriter()
        w.beginArray()
        for i in items { w.string(i) }
        w.endArray()
        return w.result
    }

    static func decodeList(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buf -> [String] in
            var s = JSONScanner(buf)
            var out: [String] = []
            do throws(WireError) {
                if try s.beginArray(field: "") {
                    repeat { out.append(try s.string(field: "")) } while try s.nextMember(close: UInt8(ascii: "]"), field: "")
                }
            } catch {
                return []
            }
            return out
        }
    }
}

extension SQLiteStore {
    public func recordPushedAlerts(_ alerts: [PushedAlert], now: Int64) async throws -> Int {
        try await pool.write { db in
            if !alerts.isEmpty { try Self.bumpAlertsVersion(db, now: now) }
            var created = 0
            for a in alerts {
                var labels = a.labels
                labels["alertname"] = nil
                let fp = a.fingerprint
                let resolved = a.endsAt.map { $0 <= now } ?? false
                let existing = try Row.fetchOne(db, sql: "SELECT state FROM alerts WHERE fingerprint = ?", arguments: [fp])
                let wasActive = (existing?["state"] as String?).map { $0 != "resolved" } ?? false
                if resolved {
                    guard wasActive else { continue }
                    try db.execute(sql: "UPDATE alerts SET state = 'resolved', resolved_at = MAX(?, active_since), last_eval = ? WHERE fingerprint = ?",
                                   arguments: [a.endsAt ?? now, now, fp])
                    try db.execute(sql: "INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, 'resolved', 'prometheus', '')",
                                   arguments: [fp, a.endsAt ?? now])
                    try SQLiteIncidents.remember(fingerprint: fp, at: a.endsAt ?? now, db)
                    continue
                }
                let start = a.startsAt ?? now
                try db.execute(sql: """
                    INSERT INTO alerts (fingerprint, rule, severity, labels, annotations, state, value, active_since, fired_at, last_eval, source, generator_url)
                    VALUES (?, ?, ?, ?, ?, 'firing', NULL, ?, ?, ?, 'prometheus', ?)
                    ON CONFLICT (fingerprint) DO UPDATE SET
                        annotations = excluded.annotations, severity = excluded.severity, last_eval = excluded.last_eval,
                        generator_url = excluded.generator_url,
                        state = 'firing',
                        active_since = CASE WHEN alerts.state = 'resolved' THEN excluded.active_since ELSE alerts.active_since END,
                        fired_at = CASE WHEN alerts.state = 'resolved' THEN excluded.fired_at ELSE alerts.fired_at END,
                        resolved_at = NULL,
                        acked_by = CASE WHEN alerts.state = 'resolved' THEN NULL ELSE alerts.acked_by END,
                        acked_at = CASE WHEN alerts.state = 'resolved' THEN NULL ELSE alerts.acked_at END,
                        ack_note = CASE WHEN alerts.state = 'resolved' THEN NULL ELSE alerts.ack_note END
                    """, arguments: [fp, a.name, a.severity.rawValue, LabelsCodec.encode(labels), LabelsCodec.encode(a.annotations), start, start, now, a.generatorURL])
                if !wasActive {
                    created += 1
                    try db.execute(sql: "INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, 'firing', 'prometheus', ?)",
                                   arguments: [fp, start, a.generatorURL ?? ""])
                }
            }
            return created
        }
    }
}
