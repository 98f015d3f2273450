import VigilWire

extension PostgresStore {
    public func checkHistory(from: Int64, to: Int64, limit: Int) async throws -> [String: [CheckResult]] {
        try await read { s in
            var out: [String: [CheckResult]] = [:]
            for r in try await s.rows("""
                SELECT h.name AS host, c.name, c.kind, c.ok, c.latency_ms, c.ts FROM check_results c JOIN hosts h ON h.id = c.host_id
                WHERE c.ts >= ? AND c.ts <= ? ORDER BY c.ts DESC, c.id DESC LIMIT ?
                """, [from, to, limit]) {
                let host: String = try r["host"]
                out[host, default: []].append(CheckResult(name: try r["name"], kind: CheckKind(rawValue: try r["kind"]) ?? .http, target: "",
                                                          ok: try r["ok"], latencyMs: try r["latency_ms"], detail: "", ts: try r["ts"]))
            }
            // Read newest first, so that a read over `limit` loses the oldest results; oldest first per host.
            for host in out.keys { out[host]!.reverse() }
            return out
        }
    }
}
