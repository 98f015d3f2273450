import GRDB

extension SQLiteStore {
    @discardableResult
    public func recordAICall(_ call: AICallRecord) async throws -> Int64 {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO ai_calls (ts, feature, model, prompt_tokens, completion_tokens, latency_ms, outcome, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [call.ts, call.feature, call.model, call.promptTokens, call.completionTokens, call.latencyMs,
                                 call.outcome.rawValue, call.detail])
            return db.lastInsertedRowID
        }
    }

    public func aiCalls(limit: Int) async throws -> [AICallRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ai_calls ORDER BY ts DESC, id DESC LIMIT ?", arguments: [max(0, limit)]).map { row in
                AICallRecord(id: row["id"], ts: row["ts"], feature: row["feature"], model: row["model"], promptTokens: row["prompt_tokens"],
                             completionTokens: row["completion_tokens"], latencyMs: row["latency_ms"],
                             outcome: AICallOutcome(rawValue: row["outcome"] ?? "") ?? .error, detail: row["detail"])
            }
        }
    }
}
