import Foundation

extension PostgresStore {
    @discardableResult
    public func appendChatMessages(_ messages: [ChatRecord]) async throws -> [ChatRecord] {
        guard !messages.isEmpty else { return [] }
        return try await write { s in
            var next: [String: Int] = [:]
            var stored: [ChatRecord] = []
            for var m in messages {
                if next[m.conversation] == nil {
                    let last = try await s.value(Int.self, "SELECT max(seq) FROM chat_messages WHERE conversation = ?", [m.conversation]) ?? 0
                    next[m.conversation] = last + 1
                }
                m.seq = next[m.conversation]!
                next[m.conversation] = m.seq + 1
                try await s.execute("""
                    INSERT INTO chat_messages (conversation, seq, ts, role, content, meta) VALUES (?, ?, ?, ?, ?, ?)
                    """, [m.conversation, m.seq, m.ts, m.role, m.content, m.meta])
                stored.append(m)
            }
            return stored
        }
    }

    public func chatMessages(conversation: String, limit: Int) async throws -> [ChatRecord] {
        try await read { s in
            var out: [ChatRecord] = []
            for row in try await s.rows("""
                SELECT * FROM (SELECT * FROM chat_messages WHERE conversation = ? ORDER BY seq DESC LIMIT ?) AS recent ORDER BY seq
                """, [conversation, max(0, limit)]) {
                out.append(ChatRecord(conversation: try row["conversation"], seq: try row["seq"], ts: try row["ts"], role: try row["role"],
                                      content: try row["content"], meta: try row["meta"]))
            }
            return out
        }
    }
}
