import GRDB
import VigilWire

extension SQLiteStore {
    public func connections(since: Int64) async throws -> [ObservedConnection] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT h.name AS host, c.* FROM connections c JOIN hosts h ON h.id = c.host_id
                WHERE c.last_seen >= ? ORDER BY h.name, c.direction, c.remote_addr, c.remote_port, c.local_port, c.process
                """, arguments: [since]).map { r in
                ObservedConnection(host: r["host"],
                                   record: ConnectionRecord(direction: ConnectionRecord.Direction(rawValue: r["direction"]) ?? .outbound, process: r["process"],
                                                            localAddr: r["local_addr"], localPort: r["local_port"], remoteAddr: r["remote_addr"],
                                                            remotePort: r["remote_port"], count: r["count"]),
                                   firstSeen: r["first_seen"], lastSeen: r["last_seen"], seen: r["seen"])
            }
        }
    }
}
