import GRDB

extension SQLiteStore {
    @discardableResult
    public func appendChatMessages(_ messages: [ChatRecord]) async throws -> [ChatRecord] {
        guard !messages.isEmpty else { return [] }
        return try await pool.write { db in
            var next: [String: Int] = [:]
            var stored: [ChatRecord] = []
            for var m in messages {
                if next[m.conversation] == nil {
                    let last = try Int.fetchOne(db, sql: "SELECT max(seq) FROM chat_messages WHERE conversation = ?",
                                                arguments: [m.conversation]) ?? 0
                    next[m.conversation] = last + 1
                }
                m.seq = next[m.conversation]!
                next[m.conversation] = m.seq + 1
                try db.execute(sql: """
                    INSERT INTO chat_messages (conversation, seq, ts, role, content, meta) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [m.conversation, m.seq, m.ts, m.role, m.content, m.meta])
                stored.append(m)
            }
            return stored
        }
    }

    public func chatMessages(conversation: String, limit: Int) async throws -> [ChatRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM (SELECT * FROM chat_messages WHERE conversation = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq
                """, arguments: [conversation, max(0, limit)]).map { row in
                ChatRecord(conversation: row["conversation"], seq: row["seq"], ts: row["ts"], role: row["role"], content: row["content"],
                           meta: row["meta"])
            }
        }
    }
}
