import Foundation
import VigilWire

extension PostgresStore {
    public func evaluationData(checkDepth: Int, logsSince: Int64?, logLimit: Int) async throws -> EvaluationData {
        try await read { s in
            var input = RuleInput()
            var hostNames: [Int64: String] = [:]
            for r in try await s.rows("SELECT id, name, labels, agent_cpus, last_seen FROM hosts") {
                let id: Int64 = try r["id"]
                let name: String = try r["name"]
                hostNames[id] = name
                input.hostLabels[name] = LabelsCodec.decode(try r["labels"])
                if let cpus: Int = try r["agent_cpus"] { input.hostCPUs[name] = cpus }
                input.hostLastSeen[name] = try r["last_seen"] as Int64
            }
            if checkDepth > 0 {
                let rows = try await s.rows(CheckQueries.pairs + """
                    SELECT c.host_id, c.name, c.kind, c.target, c.ok, c.latency_ms, c.detail, c.ts
                    FROM pairs p CROSS JOIN LATERAL (
                        SELECT * FROM check_results x WHERE x.host_id = p.host_id AND x.name = p.name ORDER BY x.id DESC LIMIT ?
                    ) AS c ORDER BY c.id
                    """, [checkDepth])
                for r in rows {
                    let hostID: Int64 = try r["host_id"]
                    guard let host = hostNames[hostID] else { continue }
                    input.checkResults[host, default: []].append(CheckResult(
                        name: try r["name"], kind: CheckKind(rawValue: try r["kind"]) ?? .http, target: try r["target"], ok: try r["ok"],
                        latencyMs: try r["latency_ms"], detail: try r["detail"], ts: try r["ts"]))
                }
            }
            var logs: [String: [LogEntry]] = [:]
            if let logsSince {
                let rows = try await s.rows("""
                    SELECT * FROM (SELECT host_id, ts, source, level, message, id FROM logs WHERE ts >= ? ORDER BY ts DESC, id DESC LIMIT ?) AS l ORDER BY ts, id
                    """, [logsSince, logLimit])
                for r in rows {
                    let hostID: Int64 = try r["host_id"]
                    guard let host = hostNames[hostID] else { continue }
                    let rank: Int = try r["level"]
                    logs[host, default: []].append(LogEntry(ts: try r["ts"], source: try r["source"],
                                                            level: LogLevel(rank: rank) ?? .info, message: try r["message"]))
                }
            }
            return EvaluationData(input: input, logs: logs)
        }
    }
}
