import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func users() async throws -> [VigilUser] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map(Self.user(from:)) }
    }

    public func user(named name: String) async throws -> VigilUser? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(Self.user(from:)) }
    }

    public func resolveUser(osUser: String, now: Int64) async throws -> VigilUser {
        if let known = try await user(named: osUser) { return known }
        return try await pool.write { db in
            if let known = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [osUser]).map(Self.user(from:)) { return known }
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM users") ?? 0
            guard count == 0 else { return VigilUser(name: osUser, role: .viewer, createdAt: now) }
            try db.execute(sql: "INSERT INTO users (name, role, created_at) VALUES (?, 'admin', ?)", arguments: [osUser, now])
            _ = try SQLiteAudit.append(db, ts: now, actor: osUser, action: "user.bootstrap", target: osUser,
                                       detail: "first user of a new store becomes its admin")
            return VigilUser(name: osUser, role: .admin, createdAt: now)
        }
    }

    public func addUser(_ name: String, role: UserRole, now: Int64, actor: String) async throws -> VigilUser {
        guard VigilUser.isValidName(name) else { throw StoreError("user name '\(name)' must match [A-Za-z_][A-Za-z0-9._-]{0,63}") }
        return try await pool.write { db in
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM users WHERE name = ?", arguments: [name]) ?? 0 > 0 {
                throw StoreError("user '\(name)' exists; change the role with: vigil user set-role \(name) ROLE")
            }
            try db.execute(sql: "INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)", arguments: [name, role.rawValue, now])
            _ = try SQLiteAudit.append(db, ts: now, actor: actor, action: "user.add", target: name, detail: "role \(role.rawValue)")
            return VigilUser(name: name, role: role, createdAt: now)
        }
    }

    public func setRole(of name: String, to role: UserRole, now: Int64, actor: String) async throws -> VigilUser {
        try await pool.write { db in
            guard let old = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(Self.user(from:)) else {
                throw StoreError("no user '\(name)'; add it with: vigil user add \(name) --role \(role.rawValue)")
            }
            if old.role == .admin && role != .admin {
                let admins = try Int.fetchOne(db, sql: "SELECT count(*) FROM users WHERE role = 'admin'") ?? 0
                if admins <= 1 { throw StoreError("'\(name)' is the last admin; make another user admin first") }
            }
            try db.execute(sql: "UPDATE users SET role = ? WHERE name = ?", arguments: [role.rawValue, name])
            _ = try SQLiteAudit.append(db, ts: now, actor: actor, action: "user.set_role", target: name,
                                       detail: "\(old.role.rawValue) -> \(role.rawValue)")
            return VigilUser(name: name, role: role, createdAt: old.createdAt)
        }
    }

    public func audit(actor: String, action: String, target: String, detail: String, now: Int64) async throws -> AuditEntry {
        try await pool.write { db in try SQLiteAudit.append(db, ts: now, actor: actor, action: action, target: target, detail: detail) }
    }

    public func auditEntries(_ filter: AuditFilter) async throws -> [AuditEntry] {
        try await pool.read { db in
            var conditions: [String] = []
            var args: [any DatabaseValueConvertible] = []
            if let actor = filter.actor { conditions.append("actor = ?"); args.append(actor) }
            if let action = filter.action {
                if action.hasSuffix(".") { conditions.append("substr(action, 1, ?) = ?"); args.append(action.count); args.append(action) }
                else { conditions.append("action = ?"); args.append(action) }
            }
            if let since = filter.since { conditions.append("ts >= ?"); args.append(since) }
            if let until = filter.until { conditions.append("ts <= ?"); args.append(until) }
            var sql = "SELECT * FROM (SELECT * FROM audit_log"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY id DESC LIMIT ?) ORDER BY id"
            args.append(filter.limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(SQLiteAudit.entry(from:))
        }
    }

    public func auditHead() async throws -> (count: Int64, hash: String)? {
        try await pool.read { db in
            // Ids run 1, 2, 3, … with the chain, so the last id is the count (no scan of the whole log every 5 s);
            // a log with gaps fails verification anyway.
            guard let r = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1") else { return nil }
            return (r["id"], r["hash"])
        }
    }

    public func allAuditEntries() async throws -> [AuditEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY id").map(SQLiteAudit.entry(from:))
        }
    }

    public func verifyAudit() async throws -> AuditChain.Verification {
        try await pool.read { db in
            AuditChain.verify(try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY id").map(SQLiteAudit.entry(from:)))
        }
    }

    static func user(from r: Row) -> VigilUser {
        VigilUser(name: r["name"], role: UserRole(rawValue: r["role"]) ?? .viewer, createdAt: r["created_at"])
    }
}

/// Appending to the audit chain inside the caller's transaction, so an action and its record commit together.
enum SQLiteAudit {
    static func append(_ db: Database, ts: Int64, actor: String, action: String, target: String, detail: String) throws -> AuditEntry {
        let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
        let id: Int64 = (last?["id"] ?? 0) + 1
        let prev: String = last?["hash"] ?? AuditChain.genesis
        let hash = AuditChain.hash(id: id, ts: ts, actor: actor, action: action, target: target, detail: detail, prevHash: prev)
        try db.execute(sql: "INSERT INTO audit_log (id, ts, actor, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       arguments: [id, ts, actor, action, target, detail, prev, hash])
        return AuditEntry(id: id, ts: ts, actor: actor, action: action, target: target, detail: detail, prevHash: prev, hash: hash)
    }

    static func entry(from r: Row) -> AuditEntry {
        AuditEntry(id: r["id"], ts: r["ts"], actor: r["actor"], action: r["action"], target: r["target"], detail: r["detail"],
                   prevHash: r["prev_hash"], hash: r["hash"])
    }
}
