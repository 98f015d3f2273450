import GRDB
import VigilWire

extension SQLiteStore {
    public func processSamples(host: String, from: Int64, to: Int64, limit: Int) async throws -> [ProcessSample] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM (SELECT p.ts, p.pid, p.user, p.command, p.cpu_percent, p.rss_bytes, p.state, p.started_at, p.id
                FROM process_samples p JOIN hosts h ON h.id = p.host_id
                WHERE h.name = ? AND p.ts >= ? AND p.ts <= ? ORDER BY p.ts DESC, p.id DESC LIMIT ?) ORDER BY ts, id
                """, arguments: [host, from, to, limit]).map {
                ProcessSample(pid: $0["pid"], user: $0["user"], command: $0["command"], cpuPercent: $0["cpu_percent"],
                              rssBytes: $0["rss_bytes"], state: $0["state"], startedAt: $0["started_at"], ts: $0["ts"])
            }
        }
    }
}
