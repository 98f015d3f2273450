import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func evaluationData(checkDepth: Int, logsSince: Int64?, logLimit: Int) async throws -> EvaluationData {
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
            if checkDepth > 0 {
                let rows = try Row.fetchAll(db, sql: CheckQueries.recentChecks, arguments: [checkDepth])
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
