import Foundation

/// Appending to the audit chain inside the caller's write transaction (PostgreSQL), so an action and its record
/// commit together. Ids are the last id + 1: every write holds the store's write lock, so the chain has no gaps.
enum PGAudit {
    static func append(_ s: PGSession, ts: Int64, actor: String, action: String, target: String, detail: String) async throws -> AuditEntry {
        let last = try await s.row("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
        let id: Int64 = (try last.map { try $0["id"] as Int64 } ?? 0) + 1
        let prev: String = try last.map { try $0["hash"] as String } ?? AuditChain.genesis
        let hash = AuditChain.hash(id: id, ts: ts, actor: actor, action: action, target: target, detail: detail, prevHash: prev)
        try await s.execute("INSERT INTO audit_log (id, ts, actor, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [id, ts, actor, action, target, detail, prev, hash])
        return AuditEntry(id: id, ts: ts, actor: actor, action: action, target: target, detail: detail, prevHash: prev, hash: hash)
    }

    static func entry(from r: PGRow) throws -> AuditEntry {
        AuditEntry(id: try r["id"], ts: try r["ts"], actor: try r["actor"], action: try r["action"], target: try r["target"],
                   detail: try r["detail"], prevHash: try r["prev_hash"], hash: try r["hash"])
    }
}
