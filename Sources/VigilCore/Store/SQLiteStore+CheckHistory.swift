import GRDB
import VigilWire

extension SQLiteStore {
    public func checkHistory(from: Int64, to: Int64, limit: Int) async throws -> [String: [CheckResult]] {
        try await pool.read { db in
            var out: [String: [CheckResult]] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT h.name AS host, c.name, c.kind, c.ok, c.latency_ms, c.ts FROM check_results c JOIN hosts h ON h.id = c.host_id
                WHERE c.ts >= ? AND c.ts <= ? ORDER BY c.ts DESC, c.id DESC LIMIT ?
                """, arguments: [from, to, limit])
            while let r = try rows.next() {
                out[r["host"], default: []].append(CheckResult(name: r["name"], kind: CheckKind(rawValue: r["kind"]) ?? .http, target: "",
                                                               ok: r["ok"], latencyMs: r["latency_ms"], detail: "", ts: r["ts"]))
            }
            // Read newest first, so that a read over `limit` loses the oldest results; oldest first per host.
            for host in out.keys { out[host]!.reverse() }
            return out
        }
    }
}
