import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func evaluationData(metrics: Set<String>, lastSeenMetrics: Set<String>, from: Int64, to: Int64, checkDepth: Int,
                               logsSince: Int64?, logLimit: Int) async throws -> EvaluationData {
        try await pool.read { db in
            var input = RuleInput()
            var hostNames: [Int64: String] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT id, name, labels, agent_cpus, last_seen FROM hosts") {
                let name: String = r["name"]
                hostNames[r["id"]] = name
                input.hostLabels[name] = LabelsCodec.decode(r["labels"])
                if let cpus: Int = r["agent_cpus"] { input.hostCPUs[name] = cpus }
                input.hostLastSeen[name] = r["last_seen"]
            }
            if !metrics.isEmpty {
                let names = metrics.sorted()
                let rows = try Row.fetchAll(db, sql: "SELECT id, host_id, name, labels FROM series WHERE name IN (\(names.map { _ in "?" }.joined(separator: ",")))",
                                            arguments: StatementArguments(names))
                var keys: [Int64: SeriesKey] = [:]
                for r in rows {
                    guard let host = hostNames[r["host_id"]] else { continue }
                    keys[r["id"]] = SeriesKey(host: host, name: r["name"], labels: LabelsCodec.decode(r["labels"]))
                }
                let ids = Set(keys.keys)
                for (sid, pts) in try SQLiteCompactor.readPoints(db: db, ids: ids, from: from, to: to) {
                    if let key = keys[sid] { input.points[key] = pts }
                }
                // The newest point of each series, even when older than the window (series_absent only: it scans
                // the whole head, which is costly under heavy ingest).
                let absentIDs = Set(keys.filter { lastSeenMetrics.contains($0.value.name) }.keys)
                if !absentIDs.isEmpty {
                    let ids = absentIDs
                    let list = ids.map(String.init).joined(separator: ",")
                    for r in try Row.fetchAll(db, sql: "SELECT series_id, max(end_ts) AS ts FROM sample_chunks WHERE series_id IN (\(list)) GROUP BY series_id") {
                        if let key = keys[r["series_id"]] { input.seriesLastSeen[key] = r["ts"] }
                    }
                    let head = try Data.fetchAll(db, sql: "SELECT data FROM sample_segments ORDER BY id")
                    for data in head {
                        try SegmentCodec.scan([UInt8](data), wanted: ids) { sid, ts, _ in
                            if let key = keys[sid], ts > input.seriesLastSeen[key] ?? .min { input.seriesLastSeen[key] = ts }
                        }
                    }
                    for (key, pts) in input.points where lastSeenMetrics.contains(key.name) {
                        if let last = pts.last?.ts, last > input.seriesLastSeen[key] ?? .min { input.seriesLastSeen[key] = last }
                    }
                }
            }
            if checkDepth > 0 {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT host_id, name, kind, target, ok, latency_ms, detail, ts FROM (
                        SELECT *, row_number() OVER (PARTITION BY host_id, name ORDER BY id DESC) AS n FROM check_results
                    ) WHERE n <= ? ORDER BY id
                    """, arguments: [checkDepth])
                for r in rows {
                    guard let host = hostNames[r["host_id"]] else { continue }
                    input.checkResults[host, default: []].append(CheckResult(
                        name: r["name"], kind: CheckKind(rawValue: r["kind"]) ?? .http, target: r["target"], ok: r["ok"],
                        latencyMs: r["latency_ms"], detail: r["detail"], ts: r["ts"]))
                }
            }
            var logs: [String: [LogEntry]] = [:]
            if let logsSince {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT * FROM (SELECT host_id, ts, source, level, message, id FROM logs WHERE ts >= ? ORDER BY ts DESC, id DESC LIMIT ?) ORDER BY ts, id
                    """, arguments: [logsSince, logLimit])
                for r in rows {
                    guard let host = hostNames[r["host_id"]] else { continue }
                    let rank: Int = r["level"]
                    logs[host, default: []].append(LogEntry(ts: r["ts"], source: r["source"],
                                                            level: LogLevel(rank: rank) ?? .info, message: r["message"]))
                }
            }
            return EvaluationData(input: input, logs: logs)
        }
    }
}
