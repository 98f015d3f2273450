import Foundation

extension PostgresStore {
    @discardableResult
    public func recordAICall(_ call: AICallRecord) async throws -> Int64 {
        try await write { s in
            guard let id = try await s.value(Int64.self, """
                INSERT INTO ai_calls (ts, feature, model, prompt_tokens, completion_tokens, latency_ms, outcome, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, [call.ts, call.feature, call.model, call.promptTokens, call.completionTokens, call.latencyMs,
                      call.outcome.rawValue, call.detail]) else {
                throw StoreError("postgres: inserting an AI call returned no id")
            }
            return id
        }
    }

    public func aiCalls(limit: Int) async throws -> [AICallRecord] {
        try await read { s in
            var out: [AICallRecord] = []
            for row in try await s.rows("SELECT * FROM ai_calls ORDER BY ts DESC, id DESC LIMIT ?", [max(0, limit)]) {
                let outcome: String? = try row["outcome"]
                out.append(AICallRecord(id: try row["id"], ts: try row["ts"], feature: try row["feature"], model: try row["model"],
                                        promptTokens: try row["prompt_tokens"], completionTokens: try row["completion_tokens"],
                                        latencyMs: try row["latency_ms"], outcome: AICallOutcome(rawValue: outcome ?? "") ?? .error,
                                        detail: try row["detail"]))
            }
            return out
        }
    }
}
