import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func createAgentToken(host: String?, expiresAt: Int64?, comment: String, now: Int64, actor: String) async throws -> (AgentToken, String) {
        let secret = AgentTokenSecret.generate()
        let token = AgentToken(id: AgentTokenSecret.generateID(), host: host, createdAt: now, expiresAt: expiresAt,
                               revokedAt: nil, lastUsedAt: nil, comment: comment)
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO agent_tokens (id, hash, host, created_at, expires_at, comment) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [token.id, AgentTokenSecret.hash(secret), host, now, expiresAt, comment])
            var detail = host.map { "host \($0)" } ?? "fleet"
            if let expiresAt { detail += ", expires \(expiresAt)" }
            if !comment.isEmpty { detail += ", comment: \(comment)" }
            _ = try SQLiteAudit.append(db, ts: now, actor: actor, action: "token.create", target: token.id, detail: detail)
        }
        return (token, secret)
    }

    public func createUserToken(user: String, expiresAt: Int64?, comment: String, now: Int64, actor: String) async throws -> (AgentToken, String) {
        guard VigilUser.isValidName(user) else { throw StoreError("user name '\(user)' must match [A-Za-z_][A-Za-z0-9._-]{0,63}") }
        let secret = AgentTokenSecret.generate()
        let token = AgentToken(id: AgentTokenSecret.generateID(), host: nil, createdAt: now, expiresAt: expiresAt,
                               revokedAt: nil, lastUsedAt: nil, comment: comment, user: user)
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO agent_tokens (id, hash, host, created_at, expires_at, comment, user) VALUES (?, ?, NULL, ?, ?, ?, ?)",
                           arguments: [token.id, AgentTokenSecret.hash(secret), now, expiresAt, comment, user])
            _ = try SQLiteAudit.append(db, ts: now, actor: actor, action: "token.create", target: token.id, detail: "API token for user \(user)")
        }
        return (token, secret)
    }

    public func agentTokens() async throws -> [AgentToken] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM agent_tokens ORDER BY created_at, id").map(Self.token(from:))
        }
    }

    public func revokeAgentToken(id: String, now: Int64, actor: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE agent_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?", arguments: [now, id])
            guard db.changesCount > 0 else { return false }
            _ = try SQLiteAudit.append(db, ts: now, actor: actor, action: "token.revoke", target: id, detail: "")
            return true
        }
    }

    public func agentToken(secret: String) async throws -> AgentToken? {
        let hash = AgentTokenSecret.hash(secret)
        return try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM agent_tokens WHERE hash = ?", arguments: [hash]).map(Self.token(from:))
        }
    }

    public func touchAgentToken(id: String, now: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE agent_tokens SET last_used_at = ? WHERE id = ?", arguments: [now, id])
        }
    }

    static func token(from r: Row) -> AgentToken {
        AgentToken(id: r["id"], host: r["host"], createdAt: r["created_at"], expiresAt: r["expires_at"],
                   revokedAt: r["revoked_at"], lastUsedAt: r["last_used_at"], comment: r["comment"], user: r["user"])
    }

    // MARK: lease

    public func acquireLease(_ lease: EngineLease, now: Int64) async throws -> EngineLease {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO engine_lease (id, holder, pid, hostname, listen, expires_at, generation) VALUES (1, ?, ?, ?, ?, ?, 1)
                ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, hostname = excluded.hostname,
                    listen = excluded.listen, expires_at = excluded.expires_at,
                    generation = CASE WHEN engine_lease.holder = excluded.holder THEN engine_lease.generation ELSE engine_lease.generation + 1 END
                WHERE engine_lease.holder = excluded.holder OR engine_lease.expires_at < ?
                """, arguments: [lease.holder, lease.pid, lease.hostname, lease.listen, lease.expiresAt, now])
            let r = try Row.fetchOne(db, sql: "SELECT * FROM engine_lease WHERE id = 1")!
            let current = EngineLease(holder: r["holder"], pid: r["pid"], hostname: r["hostname"], listen: r["listen"], expiresAt: r["expires_at"],
                                      generation: r["generation"])
            // Lost to another holder: the old fence stays, and refuses the holder's writes until the lease comes back.
            fence.withLock { $0 = current.holder == lease.holder ? EngineFence(holder: current.holder, generation: current.generation) : $0 }
            return current
        }
    }

    /// Expires the lease rather than deleting it, so the next holder's generation is higher still.
    public func releaseLease(holder: String) async throws {
        fence.withLock { $0 = nil }
        try await pool.write { db in
            try db.execute(sql: "UPDATE engine_lease SET expires_at = ? WHERE holder = ?", arguments: [Int64.min, holder])
        }
    }

    /// Throws unless this store's engine still holds the lease it acquired (no-op for a store that never held it).
    func checkFence(_ db: Database) throws {
        guard let f = fence.withLock({ $0 }) else { return }
        let r = try Row.fetchOne(db, sql: "SELECT holder, generation FROM engine_lease WHERE id = 1")
        try f.check(holder: r?["holder"], generation: r?["generation"])
    }

    public func currentLease(now: Int64) async throws -> EngineLease? {
        try await pool.read { db in
            guard let r = try Row.fetchOne(db, sql: "SELECT * FROM engine_lease WHERE id = 1 AND expires_at >= ?", arguments: [now]) else { return nil }
            return EngineLease(holder: r["holder"], pid: r["pid"], hostname: r["hostname"], listen: r["listen"], expiresAt: r["expires_at"],
                               generation: r["generation"])
        }
    }
}

/// Agent token secrets: random, shown once, stored only as SHA-256.
public enum AgentTokenSecret {
    /// `vgl_` followed by 40 hex digits (160 random bits).
    public static func generate() -> String {
        RandomID.make(prefix: "vgl_", bytes: 20)
    }

    public static func generateID() -> String {
        RandomID.make(prefix: "tok_", bytes: 4)
    }

    public static func hash(_ secret: String) -> String {
        SHA256.hash(Array(secret.utf8)).hexString
    }
}
