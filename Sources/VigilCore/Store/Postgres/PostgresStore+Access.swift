import Foundation
import VigilWire

extension PostgresStore {
    public func createAgentToken(host: String?, expiresAt: Int64?, comment: String, now: Int64, actor: String) async throws -> (AgentToken, String) {
        let secret = AgentTokenSecret.generate()
        let token = AgentToken(id: AgentTokenSecret.generateID(), host: host, createdAt: now, expiresAt: expiresAt,
                               revokedAt: nil, lastUsedAt: nil, comment: comment)
        try await write { s in
            try await s.execute("INSERT INTO agent_tokens (id, hash, host, created_at, expires_at, comment) VALUES (?, ?, ?, ?, ?, ?)",
                                [token.id, AgentTokenSecret.hash(secret), host, now, expiresAt, comment])
            var detail = host.map { "host \($0)" } ?? "fleet"
            if let expiresAt { detail += ", expires \(expiresAt)" }
            if !comment.isEmpty { detail += ", comment: \(comment)" }
            _ = try await PGAudit.append(s, ts: now, actor: actor, action: "token.create", target: token.id, detail: detail)
        }
        return (token, secret)
    }

    public func createUserToken(user: String, expiresAt: Int64?, comment: String, now: Int64, actor: String) async throws -> (AgentToken, String) {
        guard VigilUser.isValidName(user) else { throw StoreError("user name '\(user)' must match [A-Za-z_][A-Za-z0-9._-]{0,63}") }
        let secret = AgentTokenSecret.generate()
        let token = AgentToken(id: AgentTokenSecret.generateID(), host: nil, createdAt: now, expiresAt: expiresAt,
                               revokedAt: nil, lastUsedAt: nil, comment: comment, user: user)
        try await write { s in
            try await s.execute("INSERT INTO agent_tokens (id, hash, host, created_at, expires_at, comment, \"user\") VALUES (?, ?, NULL, ?, ?, ?, ?)",
                                [token.id, AgentTokenSecret.hash(secret), now, expiresAt, comment, user])
            _ = try await PGAudit.append(s, ts: now, actor: actor, action: "token.create", target: token.id, detail: "API token for user \(user)")
        }
        return (token, secret)
    }

    public func agentTokens() async throws -> [AgentToken] {
        try await read { s in
            var out: [AgentToken] = []
            for r in try await s.rows("SELECT * FROM agent_tokens ORDER BY created_at, id COLLATE \"C\"") {
                out.append(try Self.token(from: r))
            }
            return out
        }
    }

    public func revokeAgentToken(id: String, now: Int64, actor: String) async throws -> Bool {
        try await write { s in
            let changed = try await s.execute("UPDATE agent_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?", [now, id])
            guard changed > 0 else { return false }
            _ = try await PGAudit.append(s, ts: now, actor: actor, action: "token.revoke", target: id, detail: "")
            return true
        }
    }

    public func agentToken(secret: String) async throws -> AgentToken? {
        let hash = AgentTokenSecret.hash(secret)
        return try await read { s in
            guard let r = try await s.row("SELECT * FROM agent_tokens WHERE hash = ?", [hash]) else { return nil }
            return try Self.token(from: r)
        }
    }

    public func touchAgentToken(id: String, now: Int64) async throws {
        try await write { s in
            try await s.execute("UPDATE agent_tokens SET last_used_at = ? WHERE id = ?", [now, id])
        }
    }

    static func token(from r: PGRow) throws -> AgentToken {
        AgentToken(id: try r["id"], host: try r["host"], createdAt: try r["created_at"], expiresAt: try r["expires_at"],
                   revokedAt: try r["revoked_at"], lastUsedAt: try r["last_used_at"], comment: try r["comment"], user: try r["user"])
    }

    // MARK: lease

    /// Also keeps `generation`: + 1 whenever the lease passes to another holder (a fencing token), kept on renewal.
    public func acquireLease(_ lease: EngineLease, now: Int64) async throws -> EngineLease {
        try await write(locked: false) { s in
            try await s.execute("""
                INSERT INTO engine_lease (id, holder, pid, hostname, listen, expires_at, generation) VALUES (1, ?, ?, ?, ?, ?, 1)
                ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, hostname = excluded.hostname,
                    listen = excluded.listen, expires_at = excluded.expires_at,
                    generation = CASE WHEN engine_lease.holder = excluded.holder THEN engine_lease.generation
                                      ELSE engine_lease.generation + 1 END
                WHERE engine_lease.holder = excluded.holder OR engine_lease.expires_at < ?
                """, [lease.holder, lease.pid, lease.hostname, lease.listen, lease.expiresAt, now])
            guard let r = try await s.row("SELECT * FROM engine_lease WHERE id = 1") else {
                throw StoreError("postgres: the engine lease row is missing after acquiring it")
            }
            let current = try Self.lease(from: r)
            // Lost to another holder: the old fence stays, and refuses the holder's writes until the lease comes back.
            fence.withLock { $0 = current.holder == lease.holder ? EngineFence(holder: current.holder, generation: current.generation) : $0 }
            return current
        }
    }

    /// Throws unless this store's engine still holds the lease it acquired (no-op for a store that never held it).
    func checkFence(_ s: PGSession) async throws {
        guard let f = fence.withLock({ $0 }) else { return }
        // FOR SHARE: the lease cannot change hands until this write commits (a takeover waits for it).
        let r = try await s.row("SELECT holder, generation FROM engine_lease WHERE id = 1 FOR SHARE")
        try f.check(holder: try r?["holder"], generation: try r?["generation"])
    }

    /// Expires the holder's lease instead of deleting the row, so its `generation` survives for the next holder
    /// (everything else sees no lease, exactly as after a delete).
    public func releaseLease(holder: String) async throws {
        fence.withLock { $0 = nil }
        try await write(locked: false) { s in
            try await s.execute("UPDATE engine_lease SET expires_at = ? WHERE holder = ?", [Int64.min, holder])
        }
    }

    public func currentLease(now: Int64) async throws -> EngineLease? {
        try await read { s in
            guard let r = try await s.row("SELECT * FROM engine_lease WHERE id = 1 AND expires_at >= ?", [now]) else { return nil }
            return try Self.lease(from: r)
        }
    }

    static func lease(from r: PGRow) throws -> EngineLease {
        EngineLease(holder: try r["holder"], pid: try r["pid"], hostname: try r["hostname"], listen: try r["listen"],
                    expiresAt: try r["expires_at"], generation: try r["generation"])
    }
}
