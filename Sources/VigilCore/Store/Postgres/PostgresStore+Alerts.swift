import Foundation
import VigilWire

extension PostgresStore {
    public func recordAlerts(_ updates: [AlertUpdate], now: Int64) async throws {
        guard !updates.isEmpty else { return }
        try await write { s in
            try await self.checkFence(s)
            try await Self.bumpAlertsVersion(s, now: now)
            // Alerts that are pending or firing (the bulk of a big evaluation) go in multi-row statements: a round
            // trip per statement per alert held the write lock, and every engine's ingest behind it, for seconds
            // when tens of thousands fired at once. The rest (resolutions, cleared pendings) one by one.
            var active: [AlertUpdate] = []
            var rest: [AlertUpdate] = []
            var fingerprints = Set<String>()
            for u in updates {
                switch u.state {
                case .pending, .firing:
                    if fingerprints.insert(u.instance.fingerprint).inserted { active.append(u) } else { rest.append(u) }
                default:
                    rest.append(u)
                }
            }
            var start = 0
            while start < active.count {
                let end = min(start + Self.alertRowsPerStatement, active.count)
                try await Self.upsertActive(s, active[start..<end], now: now)
                start = end
            }
            for u in rest {
                let i = u.instance
                var stateName: String
                var activeSince: Int64 = now
                var firedAt: Int64?
                var resolvedAt: Int64?
                if case .inactive = u.state {
                    // A pending alert that cleared before `for` passed never fired: as in Prometheus it leaves
                    // nothing behind, unless an earlier instance fired (then it goes back to that resolved state).
                    let lastResolved = try await s.value(Int64.self, "SELECT max(ts) FROM alert_events WHERE fingerprint = ? AND kind IN ('resolved', 'manual_resolve')",
                                                         [i.fingerprint])
                    if let lastResolved {
                        // Back to the last instance that fired: its start, firing and resolution times.
                        let firedAt = try await s.value(Int64.self, "SELECT max(ts) FROM alert_events WHERE fingerprint = ? AND kind = 'firing' AND ts <= ?",
                                                        [i.fingerprint, lastResolved])
                        var pendingAt: Int64?
                        if let firedAt {
                            pendingAt = try await s.value(Int64.self, """
                                SELECT max(ts) FROM alert_events WHERE fingerprint = ? AND kind = 'pending' AND ts <= ?
                                  AND ts > coalesce((SELECT max(ts) FROM alert_events WHERE fingerprint = ? AND kind IN ('resolved', 'manual_resolve') AND ts < ?), 0)
                                """, [i.fingerprint, firedAt, i.fingerprint, firedAt])
                        }
                        try await s.execute("""
                            UPDATE alerts SET state = 'resolved', resolved_at = ?, fired_at = ?::bigint,
                                active_since = coalesce(?::bigint, ?::bigint, active_since), last_eval = ?
                            WHERE fingerprint = ?
                            """, [lastResolved, firedAt, pendingAt, firedAt, now, i.fingerprint])
                        for e in u.events where e.timeline.kind != "cleared" {
                            try await s.execute("INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, ?, 'system', '')",
                                                [i.fingerprint, e.timeline.at, e.timeline.kind])
                        }
                    } else {
                        try await s.execute("DELETE FROM alerts WHERE fingerprint = ?", [i.fingerprint])
                        try await s.execute("DELETE FROM alert_events WHERE fingerprint = ?", [i.fingerprint])
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
                let existing = try await s.row("SELECT state, active_since, fired_at FROM alerts WHERE fingerprint = ?", [i.fingerprint])
                let existingState: String? = try existing.map { try $0["state"] as String }
                let wasActive = existingState.map { $0 != "resolved" } ?? false
                if case .firing = u.state, wasActive, let ex = existing { activeSince = try ex["active_since"] }
                if case .resolved = u.state, let ex = existing {
                    activeSince = try ex["active_since"]
                    firedAt = try ex["fired_at"]
                }
                let reopened = !wasActive && (stateName == "pending" || stateName == "firing")
                try await s.execute("""
                    INSERT INTO alerts (fingerprint, rule, severity, labels, annotations, state, value, active_since, fired_at, resolved_at,
                                        last_eval, flapping, source, metric, series_labels)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'vigil', ?, ?)
                    ON CONFLICT (fingerprint) DO UPDATE SET
                        rule = excluded.rule, severity = excluded.severity, labels = excluded.labels, annotations = excluded.annotations,
                        state = excluded.state, value = excluded.value, active_since = excluded.active_since,
                        fired_at = excluded.fired_at, resolved_at = excluded.resolved_at, last_eval = excluded.last_eval,
                        flapping = excluded.flapping, metric = excluded.metric, series_labels = excluded.series_labels,
                        acked_by = CASE WHEN ? = 1 THEN NULL ELSE alerts.acked_by END,
                        acked_at = CASE WHEN ? = 1 THEN NULL ELSE alerts.acked_at END,
                        ack_note = CASE WHEN ? = 1 THEN NULL ELSE alerts.ack_note END
                    """, [i.fingerprint, i.alertName, i.severity.rawValue, LabelsCodec.encode(i.labels), LabelsCodec.encode(u.annotations),
                          stateName, i.value, activeSince, firedAt, resolvedAt, now, u.flapping, u.metric,
                          LabelsCodec.encode(u.seriesLabels), reopened, reopened, reopened])
                for e in u.events {
                    let (kind, at) = e.timeline
                    try await s.execute("INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, ?, 'system', ?)",
                                        [i.fingerprint, at, kind, kind == "firing" || kind == "pending" ? "value \(i.value)" : ""])
                }
                if case .resolved(let at) = u.state, wasActive, firedAt != nil {
                    try await PGIncidents.remember(fingerprint: i.fingerprint, at: at, s)
                }
            }
        }
    }

    /// Alerts per multi-row statement (13 parameters each).
    static let alertRowsPerStatement = 500

    /// Upserts pending and firing alerts (distinct fingerprints) and appends their events, a statement for all. The
    /// same rules as the row-by-row path: an alert that was active keeps when it became active as it fires; one that
    /// was resolved starts again, unacknowledged.
    static func upsertActive(_ s: PGSession, _ updates: ArraySlice<AlertUpdate>, now: Int64) async throws {
        var args: [any PGValue] = []
        args.reserveCapacity(updates.count * 13)
        var events: [any PGValue] = []
        var eventRows = 0
        for u in updates {
            let i = u.instance
            let (state, since): (String, Int64) = switch u.state {
            case .pending(let since): ("pending", since)
            case .firing(let since): ("firing", since)
            default: preconditionFailure("upsertActive takes pending and firing alerts")
            }
            let firedAt: Int64? = state == "firing" ? since : nil
            args += [i.fingerprint, i.alertName, i.severity.rawValue, LabelsCodec.encode(i.labels), LabelsCodec.encode(u.annotations),
                     state, i.value, since, firedAt, now, u.flapping, u.metric, LabelsCodec.encode(u.seriesLabels)] as [any PGValue]
            for e in u.events {
                let (kind, at) = e.timeline
                events += [i.fingerprint, at, kind, kind == "firing" || kind == "pending" ? "value \(i.value)" : ""] as [any PGValue]
                eventRows += 1
            }
        }
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 'vigil', ?, ?)"
        _ = try await s.execute("""
            INSERT INTO alerts (fingerprint, rule, severity, labels, annotations, state, value, active_since, fired_at, resolved_at,
                                last_eval, flapping, source, metric, series_labels)
            VALUES \(Array(repeating: row, count: updates.count).joined(separator: ", "))
            ON CONFLICT (fingerprint) DO UPDATE SET
                rule = excluded.rule, severity = excluded.severity, labels = excluded.labels, annotations = excluded.annotations,
                state = excluded.state, value = excluded.value,
                active_since = CASE WHEN excluded.state = 'firing' AND alerts.state <> 'resolved' THEN alerts.active_since
                                    ELSE excluded.active_since END,
                fired_at = excluded.fired_at, resolved_at = NULL, last_eval = excluded.last_eval,
                flapping = excluded.flapping, metric = excluded.metric, series_labels = excluded.series_labels,
                acked_by = CASE WHEN alerts.state = 'resolved' THEN NULL ELSE alerts.acked_by END,
                acked_at = CASE WHEN alerts.state = 'resolved' THEN NULL ELSE alerts.acked_at END,
                ack_note = CASE WHEN alerts.state = 'resolved' THEN NULL ELSE alerts.ack_note END
            """, args)
        var done = 0
        while done < eventRows {
            let n = min(1000, eventRows - done)
            _ = try await s.execute("INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES "
                                    + Array(repeating: "(?, ?, ?, 'system', ?)", count: n).joined(separator: ", "),
                                    Array(events[(done * 4)..<((done + n) * 4)]))
            done += n
        }
    }

    public func alerts(states: Set<String>?, limit: Int) async throws -> [StoredAlert] {
        try await read { s in
            var sql = "SELECT * FROM alerts"
            var args: [any PGValue] = []
            if let states, !states.isEmpty {
                sql += " WHERE state IN (\(states.map { _ in "?" }.joined(separator: ",")))"
                for st in states.sorted() { args.append(st) }
            }
            sql += """
                 ORDER BY CASE state WHEN 'firing' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END,
                 CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, active_since, fingerprint COLLATE "C" LIMIT ?
                """
            args.append(limit)
            var out: [StoredAlert] = []
            for r in try await s.rows(sql, args) { out.append(try Self.alert(from: r)) }
            return out
        }
    }

    public func alert(fingerprint: String) async throws -> StoredAlert? {
        try await read { s in
            try await s.row("SELECT * FROM alerts WHERE fingerprint = ?", [fingerprint]).map(Self.alert(from:))
        }
    }

    public func setMutes(_ mutes: [String: String?]) async throws {
        guard !mutes.isEmpty else { return }
        try await write { s in
            var changed = 0
            for (fp, why) in mutes {
                changed += try await s.execute("UPDATE alerts SET muted_by = ?1::text WHERE fingerprint = ?2 AND muted_by IS DISTINCT FROM ?1::text", [why, fp])
            }
            if changed > 0 { try await Self.bumpAlertsVersion(s, now: WallClock.nowMs()) }
        }
    }

    public func alertTimeline(fingerprint: String) async throws -> [AlertTimelineEntry] {
        try await read { s in
            var out: [AlertTimelineEntry] = []
            for r in try await s.rows("SELECT * FROM alert_events WHERE fingerprint = ? ORDER BY ts, id", [fingerprint]) {
                out.append(AlertTimelineEntry(id: try r["id"], fingerprint: try r["fingerprint"], ts: try r["ts"], kind: try r["kind"],
                                              actor: try r["actor"], detail: try r["detail"]))
            }
            return out
        }
    }

    public func alertAction(_ kind: AlertAction, fingerprint: String, detail: String, actor: String, now: Int64) async throws -> StoredAlert {
        try await write { s in
            guard let current = try await s.row("SELECT * FROM alerts WHERE fingerprint = ?", [fingerprint]).map(Self.alert(from:)) else {
                throw StoreError("no alert with fingerprint '\(fingerprint)'")
            }
            switch kind {
            case .ack:
                try await s.execute("UPDATE alerts SET acked_by = ?, acked_at = ?, ack_note = ? WHERE fingerprint = ?", [actor, now, detail, fingerprint])
            case .unack:
                try await s.execute("UPDATE alerts SET acked_by = NULL, acked_at = NULL, ack_note = NULL WHERE fingerprint = ?", [fingerprint])
            case .note:
                guard !detail.isEmpty else { throw StoreError("a note needs text") }
            case .assign:
                let assignee: String? = detail.isEmpty ? nil : detail
                try await s.execute("UPDATE alerts SET assignee = ? WHERE fingerprint = ?", [assignee, fingerprint])
            case .manualResolve:
                guard current.isActive else { throw StoreError("alert \(current.rule) is already resolved") }
                try await s.execute("UPDATE alerts SET state = 'resolved', resolved_at = ? WHERE fingerprint = ?", [now, fingerprint])
                if current.firedAt != nil { try await PGIncidents.remember(fingerprint: fingerprint, at: now, s) }
            }
            try await s.execute("INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, ?, ?, ?)",
                                [fingerprint, now, kind.rawValue, actor, detail])
            try await Self.bumpAlertsVersion(s, now: now)
            _ = try await PGAudit.append(s, ts: now, actor: actor, action: "alert.\(kind.rawValue)", target: fingerprint,
                                         detail: "\(current.rule) \(current.labels["host"].map { "on \($0)" } ?? "")\(detail.isEmpty ? "" : ": \(detail)")")
            guard let updated = try await s.row("SELECT * FROM alerts WHERE fingerprint = ?", [fingerprint]) else {
                throw StoreError("no alert with fingerprint '\(fingerprint)'")
            }
            return try Self.alert(from: updated)
        }
    }

    // MARK: silences

    public func createSilence(matchers: [LabelMatcher], startsAt: Int64, endsAt: Int64, comment: String, actor: String, now: Int64) async throws -> Silence {
        guard !matchers.isEmpty else { throw StoreError("a silence needs at least one matcher (e.g. host=web-1)") }
        guard endsAt > startsAt else { throw StoreError("a silence must end after it starts") }
        let silence = Silence(id: RandomID.make(prefix: "sil_", bytes: 4), matchers: matchers,
                              startsAt: startsAt, endsAt: endsAt, createdBy: actor, comment: comment, createdAt: now)
        let text = matchers.map(\.description)
        try await write { s in
            try await s.execute("INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                [silence.id, SQLiteStore.encodeList(text), startsAt, endsAt, actor, comment, now])
            _ = try await PGAudit.append(s, ts: now, actor: actor, action: "silence.create", target: silence.id,
                                         detail: "\(text.joined(separator: ", ")) until \(endsAt)\(comment.isEmpty ? "" : ": \(comment)")")
        }
        return silence
    }

    public func silences(includeExpired: Bool, now: Int64) async throws -> [Silence] {
        try await read { s in
            let sql = includeExpired ? "SELECT * FROM silences ORDER BY created_at"
                : "SELECT * FROM silences WHERE ends_at > ? AND (expired_at IS NULL OR expired_at > ?) ORDER BY created_at"
            let args: [any PGValue] = includeExpired ? [] : [now, now]
            var out: [Silence] = []
            for r in try await s.rows(sql, args) {
                if let silence = try Self.silence(from: r) { out.append(silence) }
            }
            return out
        }
    }

    public func expireSilence(id: String, actor: String, now: Int64) async throws -> Bool {
        try await write { s in
            let changed = try await s.execute("UPDATE silences SET expired_at = ? WHERE id = ? AND expired_at IS NULL", [now, id])
            guard changed > 0 else { return false }
            _ = try await PGAudit.append(s, ts: now, actor: actor, action: "silence.expire", target: id, detail: "")
            return true
        }
    }

    static func alert(from r: PGRow) throws -> StoredAlert {
        let seriesLabels: String? = try r["series_labels"]
        return StoredAlert(fingerprint: try r["fingerprint"], rule: try r["rule"], severity: AlertSeverity(rawValue: try r["severity"]) ?? .warning,
                           labels: LabelsCodec.decode(try r["labels"]), annotations: LabelsCodec.decode(try r["annotations"]), state: try r["state"],
                           value: try r["value"], activeSince: try r["active_since"], firedAt: try r["fired_at"], resolvedAt: try r["resolved_at"],
                           lastEvaluated: try r["last_eval"], ackedBy: try r["acked_by"], ackedAt: try r["acked_at"], ackNote: try r["ack_note"],
                           assignee: try r["assignee"], flapping: try r["flapping"], source: try r["source"], generatorURL: try r["generator_url"],
                           mutedBy: try r["muted_by"], metric: try r["metric"], seriesLabels: LabelsCodec.decode(seriesLabels ?? "{}"))
    }

    static func silence(from r: PGRow) throws -> Silence? {
        var matchers: [LabelMatcher] = []
        for text in SQLiteStore.decodeList(try r["matchers"]) {
            guard case .success(let m) = LabelMatcher.parse(text) else { return nil }
            matchers.append(m)
        }
        return Silence(id: try r["id"], matchers: matchers, startsAt: try r["starts_at"], endsAt: try r["ends_at"], createdBy: try r["created_by"],
                       comment: try r["comment"], createdAt: try r["created_at"], expiredAt: try r["expired_at"])
    }
}

extension PostgresStore {
    public func recordPushedAlerts(_ alerts: [PushedAlert], now: Int64) async throws -> Int {
        try await write { s in
            if !alerts.isEmpty { try await Self.bumpAlertsVersion(s, now: now) }
            var created = 0
            for a in alerts {
                var labels = a.labels
                labels["alertname"] = nil
                let fp = a.fingerprint
                let resolved = a.endsAt.map { $0 <= now } ?? false
                let existing = try await s.row("SELECT state FROM alerts WHERE fingerprint = ?", [fp])
                let existingState: String? = try existing.map { try $0["state"] as String }
                let wasActive = existingState.map { $0 != "resolved" } ?? false
                if resolved {
                    guard wasActive else { continue }
                    try await s.execute("UPDATE alerts SET state = 'resolved', resolved_at = GREATEST(?, active_since), last_eval = ? WHERE fingerprint = ?",
                                        [a.endsAt ?? now, now, fp])
                    try await s.execute("INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, 'resolved', 'prometheus', '')",
                                        [fp, a.endsAt ?? now])
                    try await PGIncidents.remember(fingerprint: fp, at: a.endsAt ?? now, s)
                    continue
                }
                let start = a.startsAt ?? now
                try await s.execute("""
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
                    """, [fp, a.name, a.severity.rawValue, LabelsCodec.encode(labels), LabelsCodec.encode(a.annotations), start, start, now, a.generatorURL])
                if !wasActive {
                    created += 1
                    try await s.execute("INSERT INTO alert_events (fingerprint, ts, kind, actor, detail) VALUES (?, ?, 'firing', 'prometheus', ?)",
                                        [fp, start, a.generatorURL ?? ""])
                }
            }
            return created
        }
    }
}

extension PostgresStore {
    /// Counts a change to the alerts table in the setting `AlertsVersion.key`, in the writer's transaction, so a
    /// console re-reads the alerts only when it moved.
    static func bumpAlertsVersion(_ s: PGSession, now: Int64) async throws {
        _ = try await s.execute(AlertsVersion.bump, [AlertsVersion.key, now])
    }
}
