import Foundation

extension PostgresStore {
    public func setting(_ key: String) async throws -> String? {
        try await read { s in try await s.value(String.self, "SELECT value FROM settings WHERE key = ?", [key]) }
    }

    public func settings(prefix: String) async throws -> [StoreSetting] {
        try await read { s in
            var out: [StoreSetting] = []
            for r in try await s.rows("SELECT key, value, updated_at FROM settings WHERE starts_with(key, ?) ORDER BY key COLLATE \"C\"",
                                      [prefix]) {
                out.append(StoreSetting(key: try r["key"], value: try r["value"], updatedAt: try r["updated_at"]))
            }
            return out
        }
    }

    public func setSetting(_ key: String, to value: String?, now: Int64) async throws {
        try await write { s in
            if let value {
                try await s.execute("""
                    INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """, [key, value, now])
            } else {
                try await s.execute("DELETE FROM settings WHERE key = ?", [key])
            }
        }
    }

    public func prune(before: Int64) async throws -> Int {
        try await write { s in
            var deleted = try await s.execute("DELETE FROM sample_chunks WHERE end_ts < ?", [before])
            deleted += try await s.execute("DELETE FROM sample_segments WHERE max_ts < ? AND id < (SELECT max(id) FROM sample_segments)", [before])
            deleted += try await s.execute("DELETE FROM logs WHERE ts < ?", [before])
            deleted += try await s.execute("DELETE FROM check_results WHERE ts < ?", [before])
            return deleted
        }
    }
}
