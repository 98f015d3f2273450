import Foundation
import VigilWire

extension PostgresStore {
    public func fleetSnapshot(now: Int64) async throws -> FleetSnapshot {
        try await fleetSnapshot(now: now, metrics: true)
    }

    public func fleetSnapshot(now: Int64, metrics: Bool) async throws -> FleetSnapshot {
        try await read { s in
            FleetSnapshot(takenAt: now, hosts: try await Self.summaries(s, now: now, hostID: nil, metrics: metrics))
        }
    }

    /// Every host with its labels, agent and last report only (no metrics, checks or logs).
    public func hostInventory(now: Int64) async throws -> [HostSummary] {
        try await read { s in
            var out: [HostSummary] = []
            for r in try await s.rows("SELECT * FROM hosts ORDER BY name COLLATE \"C\"") { out.append(try HostRow(r).summary(now: now)) }
            return out
        }
    }

    /// The dashboard's view of every host, or of one (`hostID`): latest key metrics, short histories, checks,
    /// recent errors and the health score.
    static func summaries(_ s: PGSession, now: Int64, hostID: Int64?, metrics: Bool = true) async throws -> [HostSummary] {
        let onlyHost = hostID.map { " AND host_id = \($0)" } ?? ""
        var hosts: [HostRow] = []
        for r in try await s.rows("SELECT * FROM hosts\(hostID.map { " WHERE id = \($0)" } ?? "") ORDER BY name COLLATE \"C\"") {
            hosts.append(try HostRow(r))
        }
        let seriesRows = metrics ? try await s.rows("""
            SELECT id, host_id, name FROM series WHERE name IN ('cpu.usage_percent', 'mem.used_percent', 'disk.used_percent', 'load.1')\(onlyHost)
            """) : []
        var byHost: [Int64: [(id: Int64, name: String)]] = [:]
        var ids = Set<Int64>()
        for r in seriesRows {
            let id: Int64 = try r["id"]
            let host: Int64 = try r["host_id"]
            let name: String = try r["name"]
            byHost[host, default: []].append((id: id, name: name))
            ids.insert(id)
        }
        let from = now - SQLiteStore.dashboardWindowMs
        let points = try await PostgresCompactor.readPoints(s, ids: ids, from: from, to: now)
        let checks = try await fleetLatestChecks(s, hostID: hostID)
        var errors: [Int64: Int] = [:]
        for r in try await s.rows("SELECT host_id, count(*) AS n FROM logs WHERE ts >= ? AND level >= ?\(onlyHost) GROUP BY host_id",
                                  [now - 15 * 60_000, LogLevel.error.rank]) {
            let host: Int64 = try r["host_id"]
            let n: Int = try r["n"]
            if errors[host] == nil { errors[host] = n }
        }
        var out: [HostSummary] = []
        for h in hosts {
            var sum = h.summary(now: now)
            let hostChecks = checks[h.id] ?? []
            sum.checksTotal = hostChecks.count
            sum.checksFailing = hostChecks.filter { !$0.ok }.count
            sum.recentErrors = errors[h.id] ?? 0
            sum.applyDashboard((byHost[h.id] ?? []).map { (name: $0.name, points: points[$0.id] ?? []) }, now: now)
            out.append(sum)
        }
        return out
    }

    public func hostDetail(name: String, now: Int64) async throws -> HostDetail? {
        try await read { s in
            guard let hostID = try await s.value(Int64.self, "SELECT id FROM hosts WHERE name = ?", [name]),
                  let summary = try await Self.summaries(s, now: now, hostID: hostID).first else { return nil }
            let seriesRows = try await s.rows("SELECT id, name, labels FROM series WHERE host_id = ? ORDER BY name COLLATE \"C\", labels COLLATE \"C\"",
                                              [hostID])
            var ids = Set<Int64>()
            for r in seriesRows { ids.insert(try r["id"]) }
            let from = now - SQLiteStore.detailWindowMs
            let points = try await PostgresCompactor.readPoints(s, ids: ids, from: from, to: now)
            // Anomaly scores (derived series) mark the points of the series they score instead of being listed.
            var scoreSeries: [String: Int64] = [:]
            for r in seriesRows {
                let name: String = try r["name"]
                guard name == AnomalyScanner.scoreMetric else { continue }
                var labels = LabelsCodec.decode(try r["labels"])
                guard let metric = labels.removeValue(forKey: AnomalyScanner.metricLabel) else { continue }
                let id: Int64 = try r["id"]
                scoreSeries[metric + "\u{0}" + LabelsCodec.encode(labels)] = id
            }
            var series: [SeriesSummary] = []
            for r in seriesRows {
                let name: String = try r["name"]
                if name == AnomalyScanner.scoreMetric { continue }
                let labels = LabelsCodec.decode(try r["labels"])
                let id: Int64 = try r["id"]
                let pts = points[id] ?? []
                var marks: [Bool] = []
                if let sid = scoreSeries[name + "\u{0}" + LabelsCodec.encode(labels)] {
                    marks = Sparkline.marks(points[sid] ?? [], from: from, to: now, count: SQLiteStore.detailSlots, atLeast: AnomalyScanner.markThreshold)
                }
                series.append(SeriesSummary(name: name, labels: labels, latest: pts.last?.value, latestTs: pts.last?.ts,
                                            history: Sparkline.slots(pts, from: from, to: now, count: SQLiteStore.detailSlots), anomalies: marks))
            }
            let checks = try await Self.fleetCheckStatuses(s, hostID: hostID)
            var logs: [StoredLog] = []
            for r in try await s.rows("SELECT id, ts, source, level, message FROM logs WHERE host_id = ? ORDER BY ts DESC, id DESC LIMIT 200", [hostID]) {
                logs.append(try Self.log(from: r, host: name))
            }
            return HostDetail(summary: summary, series: series, checks: checks, logs: logs)
        }
    }

    public func points(_ key: SeriesKey, from: Int64, to: Int64) async throws -> [SeriesPoint] {
        try await read { s in
            guard let sid = try await s.value(Int64.self, """
                SELECT s.id FROM series s JOIN hosts h ON h.id = s.host_id WHERE h.name = ? AND s.name = ? AND s.labels = ?
                """, [key.host, key.name, LabelsCodec.encode(key.labels)]) else { return [] }
            return try await PostgresCompactor.readPoints(s, ids: [sid], from: from, to: to)[sid] ?? []
        }
    }

    public func logs(host: String?, query: String?, minLevel: LogLevel?, limit: Int) async throws -> [StoredLog] {
        try await read { s in
            var sql = "SELECT l.id, l.ts, l.source, l.level, l.message, h.name AS host FROM logs l JOIN hosts h ON h.id = l.host_id"
            var conditions: [String] = []
            var args: [any PGValue] = []
            if let query, !query.isEmpty {
                // Text with no word to search for (only punctuation) matches nothing, as in FTS5.
                guard let q = Self.tsQuery(query) else { return [] }
                conditions.append("to_tsvector('simple', l.message) @@ to_tsquery('simple', ?)")
                args.append(q)
            }
            if let host { conditions.append("h.name = ?"); args.append(host) }
            if let minLevel { conditions.append("l.level >= ?"); args.append(minLevel.rank) }
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY l.ts DESC, l.id DESC LIMIT ?"
            args.append(limit)
            var out: [StoredLog] = []
            for r in try await s.rows(sql, args) { out.append(try Self.log(from: r, host: try r["host"])) }
            return out
        }
    }

    /// What an operator types as a safe `to_tsquery('simple', ?)` text with `SQLiteStore.ftsQuery`'s meaning: every
    /// word (split at spaces and tabs) must match, no prefix matching, operators and quotes are plain text. A word
    /// with punctuation inside is a phrase of its parts (`x=db-1` → `(x <-> db-1)`), as FTS5 tokenizes a quoted
    /// word. Parts keep letters, digits, marks and `_ - . / @`, so PostgreSQL's parser splits them as it splits the
    /// indexed message (`db-1` → `'db' <-> '-1'`, `10.0.0.5` one lexeme). nil when no word has a letter or digit.
    static func tsQuery(_ text: String) -> String? {
        var words: [String] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            var parts: [String] = []
            var part = ""
            var searchable = false
            for u in word.unicodeScalars {
                if tsQueryKeeps(u) {
                    part.unicodeScalars.append(u)
                    if tsQuerySearchable(u) { searchable = true }
                } else {
                    if searchable { parts.append(part) }
                    part = ""
                    searchable = false
                }
            }
            if searchable { parts.append(part) }
            guard !parts.isEmpty else { continue }
            words.append(parts.count == 1 ? parts[0] : "(" + parts.joined(separator: " <-> ") + ")")
        }
        return words.isEmpty ? nil : words.joined(separator: " & ")
    }

    /// A character kept inside a tsquery operand: none of them is tsquery syntax.
    private static func tsQueryKeeps(_ u: Unicode.Scalar) -> Bool {
        if tsQuerySearchable(u) { return true }
        switch u.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return u == "_" || u == "-" || u == "." || u == "/" || u == "@"
        }
    }

    /// A letter or digit (a part without one yields no lexeme).
    private static func tsQuerySearchable(_ u: Unicode.Scalar) -> Bool {
        if u.properties.isAlphabetic { return true }
        switch u.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func log(from r: PGRow, host: String) throws -> StoredLog {
        let rank: Int = try r["level"]
        return StoredLog(id: try r["id"], host: host, ts: try r["ts"], source: try r["source"],
                         level: LogLevel(rank: rank) ?? .info, message: try r["message"])
    }

    private static func fleetLatestChecks(_ s: PGSession, hostID: Int64?) async throws -> [Int64: [(name: String, ok: Bool)]] {
        var out: [Int64: [(name: String, ok: Bool)]] = [:]
        let rows = try await s.rows(hostID.map(CheckQueries.latestChecks(host:)) ?? CheckQueries.latestChecks)
        for r in rows {
            let host: Int64 = try r["host_id"]
            let name: String = try r["name"]
            let ok: Bool = try r["ok"]
            out[host, default: []].append((name: name, ok: ok))
        }
        return out
    }

    private static func fleetCheckStatuses(_ s: PGSession, hostID: Int64) async throws -> [CheckStatus] {
        var names: [String] = []
        for r in try await s.rows("SELECT name FROM check_results WHERE host_id = ? GROUP BY name ORDER BY name COLLATE \"C\"", [hostID]) {
            names.append(try r["name"])
        }
        var out: [CheckStatus] = []
        for name in names {
            let recent = try await s.rows("""
                SELECT kind, target, ok, latency_ms, detail, ts FROM check_results WHERE host_id = ? AND name = ? ORDER BY id DESC LIMIT 50
                """, [hostID, name])
            guard let latest = recent.first else { continue }
            var failing = 0
            for r in recent {
                if try r["ok"] as Bool { break }
                failing += 1
            }
            out.append(CheckStatus(name: name, kind: CheckKind(rawValue: try latest["kind"]) ?? .http, target: try latest["target"], ok: try latest["ok"],
                                   latencyMs: try latest["latency_ms"], detail: try latest["detail"], ts: try latest["ts"], failingFor: failing))
        }
        return out
    }
}

extension HostRow {
    /// A row of `hosts` read from PostgreSQL.
    init(_ r: PGRow) throws {
        id = try r["id"]
        name = try r["name"]
        labels = LabelsCodec.decode(try r["labels"])
        agentCpus = try r["agent_cpus"]
        agent = nil
        if let version: String = try r["agent_version"] {
            let os: String? = try r["agent_os"]
            let kernel: String? = try r["agent_kernel"]
            let arch: String? = try r["agent_arch"]
            let cpus: Int? = try r["agent_cpus"]
            let memory: Int64? = try r["agent_memory"]
            agent = AgentInfo(version: version, os: os ?? "", kernel: kernel ?? "", arch: arch ?? "", cpus: cpus ?? 0, memory: memory ?? 0)
        }
        firstSeen = try r["first_seen"]
        lastSeen = try r["last_seen"]
    }
}
