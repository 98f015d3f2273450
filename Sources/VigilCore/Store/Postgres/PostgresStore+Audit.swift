import Foundation
import VigilWire

extension PostgresStore {
    public func users() async throws -> [VigilUser] {
        try await read { s in
            var out: [VigilUser] = []
            for r in try await s.rows("SELECT * FROM users ORDER BY name COLLATE \"C\"") { out.append(try Self.user(from: r)) }
            return out
        }
    }

    public func user(named name: String) async throws -> VigilUser? {
        try await read { s in
            guard let r = try await s.row("SELECT * FROM users WHERE name = ?", [name]) else { return nil }
            return try Self.user(from: r)
        }
    }

    /// The check and the bootstrap insert run under the write lock, so two processes cannot both bootstrap an admin.
    public func resolveUser(osUser: String, now: Int64) async throws -> VigilUser {
        if let known = try await user(named: osUser) { return known }
        return try await write { s in
            if let r = try await s.row("SELECT * FROM users WHERE name = ?", [osUser]) { return try Self.user(from: r) }
            let count = try await s.value(Int.self, "SELECT count(*) FROM users") ?? 0
            guard count == 0 else { return VigilUser(name: osUser, role: .viewer, createdAt: now) }
            try await s.execute("INSERT INTO users (name, role, created_at) VALUES (?, 'admin', ?)", [osUser, now])
            _ = try await PGAudit.append(s, ts: now, actor: osUser, action: "user.bootstrap", target: osUser,
                                         detail: "first user of a new store becomes its admin")
            return VigilUser(name: osUser, role: .admin, createdAt: now)
        }
    }

    public func addUser(_ name: String, role: UserRole, now: Int64, actor: String) async throws -> VigilUser {
        guard VigilUser.isValidName(name) else { throw StoreError("user name '\(name)' must match [A-Za-z_][A-Za-z0-9._-]{0,63}") }
        return try await write { s in
            if try await s.value(Int.self, "SELECT count(*) FROM users WHERE name = ?", [name]) ?? 0 > 0 {
                throw StoreError("user '\(name)' exists; change the role with: vigil user set-role \(name) ROLE")
            }
            try await s.execute("INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)", [name, role.rawValue, now])
            _ = try await PGAudit.append(s, ts: now, actor: actor, action: "user.add", target: name, detail: "role \(role.rawValue)")
            return VigilUser(name: name, role: role, createdAt: now)
        }
    }

    public func setRole(of name: String, to role: UserRole, now: Int64, actor: String) async throws -> VigilUser {
        try await write { s in
            guard let r = try await s.row("SELECT * FROM users WHERE name = ?", [name]) else {
                throw StoreError("no user '\(name)'; add it with: vigil user add \(name) --role \(role.rawValue)")
            }
            let old = try Self.user(from: r)
            if old.role == .admin && role != .admin {
                let admins = try await s.value(Int.self, "SELECT count(*) FROM users WHERE role = 'admin'") ?? 0
                if admins <= 1 { throw StoreError("'\(name)' is the last admin; make another user admin first") }
            }
            try await s.execute("UPDATE users SET role = ? WHERE name = ?", [role.rawValue, name])
            _ = try await PGAudit.append(s, ts: now, actor: actor, action: "user.set_role", target: name,
                                         detail: "\(old.role.rawValue) -> \(role.rawValue)")
            return VigilUser(name: name, role: role, createdAt: old.createdAt)
        }
    }

    public func audit(actor: String, action: String, target: String, detail: String, now: Int64) async throws -> AuditEntry {
        try await write { s in try await PGAudit.append(s, ts: now, actor: actor, action: action, target: target, detail: detail) }
    }

    public func auditEntries(_ filter: AuditFilter) async throws -> [AuditEntry] {
        try await read { s in
            var conditions: [String] = []
            var args: [any PGValue] = []
            if let actor = filter.actor { conditions.append("actor = ?"); args.append(actor) }
            if let action = filter.action {
                if action.hasSuffix(".") { conditions.append("substr(action, 1, ?::integer) = ?"); args.append(action.count); args.append(action) }
                else { conditions.append("action = ?"); args.append(action) }
            }
            if let since = filter.since { conditions.append("ts >= ?"); args.append(since) }
            if let until = filter.until { conditions.append("ts <= ?"); args.append(until) }
            var sql = "SELECT * FROM (SELECT * FROM audit_log"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY id DESC LIMIT ?) AS recent ORDER BY id"
            args.append(filter.limit < 0 ? nil : filter.limit as Int?)  // SQLite: a negative LIMIT means none
            var out: [AuditEntry] = []
            for r in try await s.rows(sql, args) { out.append(try PGAudit.entry(from: r)) }
            return out
        }
    }

    public func auditHead() async throws -> (count: Int64, hash: String)? {
        try await read { s in
            // Ids run 1, 2, 3, … with the chain, so the last id is the count; a log with gaps fails verification anyway.
            guard let r = try await s.row("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1") else { return nil }
            let id: Int64 = try r["id"]
            let hash: String = try r["hash"]
            return (id, hash)
        }
    }

    public func allAuditEntries() async throws -> [AuditEntry] {
        try await read { s in
            var out: [AuditEntry] = []
            for r in try await s.rows("SELECT * FROM audit_log ORDER BY id") { out.append(try PGAudit.entry(from: r)) }
            return out
        }
    }

    public func verifyAudit() async throws -> AuditChain.Verification {
        let entries = try await allAuditEntries()
        return AuditChain.verify(entries)
    }

    static func user(from r: PGRow) throws -> VigilUser {
        VigilUser(name: try r["name"], role: UserRole(rawValue: try r["role"]) ?? .viewer, createdAt: try r["created_at"])
    }
}
