import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    static let dashboardWindowMs = HostSummary.dashboardWindowMs
    static let dashboardSlots = HostSummary.dashboardSlots
    static let detailWindowMs: Int64 = 60 * 60_000
    static let detailSlots = 60

    public func fleetSnapshot(now: Int64) async throws -> FleetSnapshot {
        try await fleetSnapshot(now: now, metrics: true)
    }

    public func fleetSnapshot(now: Int64, metrics: Bool) async throws -> FleetSnapshot {
        try await pool.read { db in
            let checks = try self.latestChecks.current(db)
            return FleetSnapshot(takenAt: now, hosts: try Self.summaries(db, now: now, hostID: nil, metrics: metrics, checks: checks))
        }
    }

    /// Every host with its labels, agent and last report only: no metrics, checks or logs are read (the safety
    /// checks need nothing more, and they run for every remediation plan).
    public func hostInventory(now: Int64) async throws -> [HostSummary] {
        try await pool.read { db in try HostRow.fetchAll(db, sql: "SELECT \(HostRow.columns) FROM hosts ORDER BY name").map { $0.summary(now: now) } }
    }

    /// The dashboard's view of every host, or of one (`hostID`): latest key metrics, short histories, checks,
    /// recent errors and the health score.
    static func summaries(_ db: Database, now: Int64, hostID: Int64?, metrics: Bool = true,
                          checks latest: [Int64: [(name: String, ok: Bool)]]? = nil) throws -> [HostSummary] {
        let onlyHost = hostID.map { " AND host_id = \($0)" } ?? ""
        let hosts = try HostRow.fetchAll(db, sql: "SELECT \(HostRow.columns) FROM hosts\(hostID.map { " WHERE id = \($0)" } ?? "") ORDER BY name")
        let seriesRows = metrics ? try Row.fetchAll(db, sql: """
            SELECT id, host_id, name FROM series WHERE name IN ('cpu.usage_percent', 'mem.used_percent', 'disk.used_percent', 'load.1')\(onlyHost)
            """) : []
        var byHost: [Int64: [(id: Int64, name: String)]] = [:]
        for r in seriesRows { byHost[r["host_id"], default: []].append((r["id"], r["name"])) }
        let from = now - SQLiteStore.dashboardWindowMs
        let points = try SQLiteCompactor.readPoints(db: db, ids: Set(seriesRows.map { $0["id"] as Int64 }), from: from, to: now)
        let checks = try latest ?? latestChecks(db, hostID: hostID)
        // For the whole fleet, by the time index: without statistics SQLite walked all of `logs_by_host_ts` for
        // the GROUP BY instead (14 ms at 150,000 lines, every console refresh; 0.4 ms this way).
        let errors = try Dictionary(Row.fetchAll(db, sql: "SELECT host_id, count(*) AS n FROM logs\(hostID == nil ? " INDEXED BY logs_by_ts" : "") WHERE ts >= ? AND level >= ?\(onlyHost) GROUP BY host_id",
                                                 arguments: [now - 15 * 60_000, LogLevel.error.rank]).map { ($0["host_id"] as Int64, $0["n"] as Int) },
                                    uniquingKeysWith: { a, _ in a })
        var out: [HostSummary] = []
        for h in hosts {
            var s = h.summary(now: now)
            let hostChecks = checks[h.id] ?? []
            s.checksTotal = hostChecks.count
            s.checksFailing = hostChecks.filter { !$0.ok }.count
            s.recentErrors = errors[h.id] ?? 0
            s.applyDashboard((byHost[h.id] ?? []).map { (name: $0.name, points: points[$0.id] ?? []) }, now: now)
            out.append(s)
        }
        return out
    }

    public func hostDetail(name: String, now: Int64) async throws -> HostDetail? {
        try await pool.read { db in
            guard let hostID = try Int64.fetchOne(db, sql: "SELECT id FROM hosts WHERE name = ?", arguments: [name]),
                  let summary = try Self.summaries(db, now: now, hostID: hostID).first else { return nil }
            let seriesRows = try Row.fetchAll(db, sql: "SELECT id, name, labels FROM series WHERE host_id = ? ORDER BY name, labels", arguments: [hostID])
            let from = now - SQLiteStore.detailWindowMs
            let points = try SQLiteCompactor.readPoints(db: db, ids: Set(seriesRows.map { $0["id"] as Int64 }), from: from, to: now)
            // Anomaly scores (derived series) mark the points of the series they score instead of being listed.
            var scoreSeries: [String: Int64] = [:]
            for r in seriesRows where (r["name"] as String) == AnomalyScanner.scoreMetric {
                var labels = LabelsCodec.decode(r["labels"])
                guard let metric = labels.removeValue(forKey: AnomalyScanner.metricLabel) else { continue }
                scoreSeries[metric + "\u{0}" + LabelsCodec.encode(labels)] = r["id"]
            }
            let series = seriesRows.compactMap { r -> SeriesSummary? in
                let name: String = r["name"]
                if name == AnomalyScanner.scoreMetric { return nil }
                let labels = LabelsCodec.decode(r["labels"])
                let pts = points[r["id"]] ?? []
                var marks: [Bool] = []
                if let sid = scoreSeries[name + "\u{0}" + LabelsCodec.encode(labels)] {
                    marks = Sparkline.marks(points[sid] ?? [], from: from, to: now, count: SQLiteStore.detailSlots, atLeast: AnomalyScanner.markThreshold)
                }
                return SeriesSummary(name: name, labels: labels, latest: pts.last?.value, latestTs: pts.last?.ts,
                                     history: Sparkline.slots(pts, from: from, to: now, count: SQLiteStore.detailSlots), anomalies: marks)
            }
            let checks = try checkStatuses(db, hostID: hostID)
            let logs = try Row.fetchAll(db, sql: "SELECT id, ts, source, level, message FROM logs WHERE host_id = ? ORDER BY ts DESC, id DESC LIMIT 200",
                                        arguments: [hostID]).map { Self.log(from: $0, host: name) }
            return HostDetail(summary: summary, series: series, checks: checks, logs: logs)
        }
    }

    public func points(_ key: SeriesKey, from: Int64, to: Int64) async throws -> [SeriesPoint] {
        try await pool.read { db in
            guard let sid = try Int64.fetchOne(db, sql: """
                SELECT s.id FROM series s JOIN hosts h ON h.id = s.host_id WHERE h.name = ? AND s.name = ? AND s.labels = ?
                """, arguments: [key.host, key.name, LabelsCodec.encode(key.labels)]) else { return [] }
            return try SQLiteCompactor.readPoints(db: db, ids: [sid], from: from, to: to)[sid] ?? []
        }
    }

    public func logs(host: String?, query: String?, minLevel: LogLevel?, limit: Int) async throws -> [StoredLog] {
        try await pool.read { db in
            var sql = "SELECT l.id, l.ts, l.source, l.level, l.message, h.name AS host FROM logs l JOIN hosts h ON h.id = l.host_id"
            var conditions: [String] = []
            var args: [any DatabaseValueConvertible] = []
            if let query, !query.isEmpty {
                conditions.append("l.id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?)")
                args.append(Self.ftsQuery(query))
            }
            if let host { conditions.append("h.name = ?"); args.append(host) }
            if let minLevel { conditions.append("l.level >= ?"); args.append(minLevel.rank) }
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY l.ts DESC, l.id DESC LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { Self.log(from: $0, host: $0["host"]) }
        }
    }

    /// Turns what an operator types into a safe FTS5 query: every word quoted, all required.
    static func ftsQuery(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" })
            .map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            .joined(separator: " ")
    }

    static func log(from r: Row, host: String) -> StoredLog {
        let rank: Int = r["level"]
        return StoredLog(id: r["id"], host: host, ts: r["ts"], source: r["source"],
                         level: LogLevel(rank: rank) ?? .info, message: r["message"])
    }

    static func latestChecks(_ db: Database, hostID: Int64?) throws -> [Int64: [(name: String, ok: Bool)]] {
        var out: [Int64: [(name: String, ok: Bool)]] = [:]
        let rows = try Row.fetchAll(db, sql: hostID.map(CheckQueries.latestChecks(host:)) ?? CheckQueries.latestChecks)
        for r in rows { out[r["host_id"], default: []].append((r["name"], r["ok"])) }
        return out
    }

    private func checkStatuses(_ db: Database, hostID: Int64) throws -> [CheckStatus] {
        let names = try String.fetchAll(db, sql: "SELECT DISTINCT name FROM check_results WHERE host_id = ? ORDER BY name", arguments: [hostID])
        return try names.compactMap { name -> CheckStatus? in
            let recent = try Row.fetchAll(db, sql: """
                SELECT kind, target, ok, latency_ms, detail, ts FROM check_results WHERE host_id = ? AND name = ? ORDER BY id DESC LIMIT 50
                """, arguments: [hostID, name])
            guard let latest = recent.first else { return nil }
            let failing = recent.prefix { !($0["ok"] as Bool) }.count
            return CheckStatus(name: name, kind: CheckKind(rawValue: latest["kind"]) ?? .http, target: latest["target"], ok: latest["ok"],
                               latencyMs: latest["latency_ms"], detail: latest["detail"], ts: latest["ts"], failingFor: failing)
        }
    }
}

/// A row of `hosts`.
struct HostRow: FetchableRecord {
    var id: Int64
    var name: String
    var labels: [String: String]
    var agent: AgentInfo?
    var agentCpus: Int?
    var firstSeen: Int64
    var lastSeen: Int64

    /// The columns `init(row:)` reads, in its order (by position: a lookup by name per column per host was a
    /// tenth of a 1,000-host console's idle work).
    static let columns = "id, name, labels, agent_version, agent_os, agent_kernel, agent_arch, agent_cpus, agent_memory, first_seen, last_seen"

    init(row: Row) {
        id = row[0]
        name = row[1]
        labels = LabelsCodec.decode(row[2])
        agentCpus = row[7]
        if let version: String = row[3] {
            agent = AgentInfo(version: version, os: row[4] ?? "", kernel: row[5] ?? "", arch: row[6] ?? "",
                              cpus: row[7] ?? 0, memory: row[8] ?? 0)
        }
        firstSeen = row[9]
        lastSeen = row[10]
    }

    func summary(now: Int64) -> HostSummary {
        HostSummary(name: name, labels: labels, agent: agent, firstSeen: firstSeen, lastSeen: lastSeen,
                    status: HealthScore.status(lastSeen: lastSeen, now: now), cpus: agentCpus)
    }
}
