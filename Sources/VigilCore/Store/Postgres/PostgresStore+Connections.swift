import VigilWire

extension PostgresStore {
    public func connections(since: Int64) async throws -> [ObservedConnection] {
        try await read { s in
            var out: [ObservedConnection] = []
            for r in try await s.rows("""
                SELECT h.name AS host, c.* FROM connections c JOIN hosts h ON h.id = c.host_id
                WHERE c.last_seen >= ? ORDER BY h.name, c.direction, c.remote_addr, c.remote_port, c.local_port, c.process
                """, [since]) {
                let record = ConnectionRecord(direction: ConnectionRecord.Direction(rawValue: try r["direction"]) ?? .outbound, process: try r["process"],
                                              localAddr: try r["local_addr"], localPort: Int(try r["local_port"] as Int64),
                                              remoteAddr: try r["remote_addr"], remotePort: Int(try r["remote_port"] as Int64),
                                              count: Int(try r["count"] as Int64))
                out.append(ObservedConnection(host: try r["host"], record: record, firstSeen: try r["first_seen"], lastSeen: try r["last_seen"],
                                              seen: Int(try r["seen"] as Int64)))
            }
            return out
        }
    }
}
