import Foundation
import GRDB

extension SQLiteStore {
    public func setting(_ key: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key])
        }
    }

    public func settings(prefix: String) async throws -> [StoreSetting] {
        try await pool.read { db in
            // A range on the primary key rather than LIKE (no escaping of % and _ needed).
            try Row.fetchAll(db, sql: "SELECT key, value, updated_at FROM settings WHERE key >= ? AND key < ? ORDER BY key",
                             arguments: [prefix, prefix + "\u{10FFFF}"])
                .map { StoreSetting(key: $0["key"], value: $0["value"], updatedAt: $0["updated_at"]) }
        }
    }

    public func setSetting(_ key: String, to value: String?, now: Int64) async throws {
        try await pool.write { db in
            if let value {
                try db.execute(sql: """
                    INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """, arguments: [key, value, now])
            } else {
                try db.execute(sql: "DELETE FROM settings WHERE key = ?", arguments: [key])
            }
        }
    }

    public func prune(before: Int64) async throws -> Int {
        try await pool.write { db in
            var deleted = 0
            try db.execute(sql: "DELETE FROM sample_chunks WHERE end_ts < ?", arguments: [before])
            deleted += db.changesCount
            try db.execute(sql: "DELETE FROM sample_segments WHERE max_ts < ? AND id < (SELECT max(id) FROM sample_segments)", arguments: [before])
            deleted += db.changesCount
            // logs_fts is an external-content index: remove the old lines' entries before the lines.
            try db.execute(sql: """
                INSERT INTO logs_fts (logs_fts, rowid, message) SELECT 'delete', id, message FROM logs WHERE ts < ?
                """, arguments: [before])
            try db.execute(sql: "DELETE FROM logs WHERE ts < ?", arguments: [before])
            deleted += db.changesCount
            try db.execute(sql: "DELETE FROM check_results WHERE ts < ?", arguments: [before])
            deleted += db.changesCount
            return deleted
        }
    }
}
