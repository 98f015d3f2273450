import VigilWire

extension PostgresStore {
    public func processSamples(host: String, from: Int64, to: Int64, limit: Int) async throws -> [ProcessSample] {
        try await read { s in
            var out: [ProcessSample] = []
            for r in try await s.rows("""
                SELECT * FROM (SELECT p.ts, p.pid, p."user", p.command, p.cpu_percent, p.rss_bytes, p.state, p.started_at, p.id
                FROM process_samples p JOIN hosts h ON h.id = p.host_id
                WHERE h.name = ? AND p.ts >= ? AND p.ts <= ? ORDER BY p.ts DESC, p.id DESC LIMIT ?) q ORDER BY ts, id
                """, [host, from, to, limit]) {
                out.append(ProcessSample(pid: Int(try r["pid"] as Int64), user: try r["user"], command: try r["command"], cpuPercent: try r["cpu_percent"],
                                         rssBytes: try r["rss_bytes"], state: try r["state"], startedAt: try r["started_at"], ts: try r["ts"]))
            }
            return out
        }
    }
}
