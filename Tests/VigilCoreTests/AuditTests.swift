import Foundation
import GRDB
import Testing
@testable import VigilCore
import VigilWire

@Suite struct AuditTests {
    let now = WallClock.nowMs()

    @Test(arguments: Backend.available) func actionsAreChainedAndVerify(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let admin = try await store.resolveUser(osUser: "alice", now: now)
        #expect(admin.role == .admin, "the first user of a new store is its admin")
        let (token, _) = try await store.createAgentToken(host: "web-1", expiresAt: nil, comment: "rack 3", now: now + 1, actor: "alice")
        _ = try await store.revokeAgentToken(id: token.id, now: now + 2, actor: "alice")
        _ = try await store.addUser("bob", role: .operator, now: now + 3, actor: "alice")
        _ = try await store.setRole(of: "bob", to: .admin, now: now + 4, actor: "alice")
        let entries = try await store.auditEntries(AuditFilter())
        #expect(entries.map(\.action) == ["user.bootstrap", "token.create", "token.revoke", "user.add", "user.set_role"])
        #expect(entries[1].detail.contains("host web-1") && entries[1].target == token.id)
        #expect(entries[4].detail == "operator -> admin")
        #expect(entries.first?.prevHash == AuditChain.genesis)
        #expect(zip(entries.dropFirst(), entries).allSatisfy { $0.prevHash == $1.hash })
        #expect(try await store.verifyAudit().isIntact)
        // Filters.
        #expect(try await store.auditEntries(AuditFilter(action: "token.")).count == 2)
        #expect(try await store.auditEntries(AuditFilter(action: "user.add")).map(\.target) == ["bob"])
        #expect(try await store.auditEntries(AuditFilter(actor: "nobody")).isEmpty)
        #expect(try await store.auditEntries(AuditFilter(since: now + 3)).count == 2)
    }

    @Test(arguments: Backend.available) func theStoreRefusesToEditOrDeleteEntries(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        _ = try await store.audit(actor: "alice", action: "alert.ack", target: "abc", detail: "looking", now: now)
        if let pg = store as? PostgresStore {
            for statement in ["UPDATE audit_log SET detail = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
                await #expect(throws: (any Error).self) { try await pg.write { s in try await s.execute(statement) } }
            }
        } else {
            let q = try DatabaseQueue(path: dir.file("v.db"))
            #expect(throws: (any Error).self) { try q.write { try $0.execute(sql: "UPDATE audit_log SET detail = 'x'") } }
            #expect(throws: (any Error).self) { try q.write { try $0.execute(sql: "DELETE FROM audit_log") } }
        }
        #expect(try await store.verifyAudit().isIntact)
    }

    @Test func editedAndDeletedEntriesAreDetectedOnARealFile() async throws {
        let dir = TempDir()
        let path = dir.file("v.db")
        let store = try SQLiteStore(path: path)
        for i in 1...6 {
            _ = try await store.audit(actor: "alice", action: "alert.note", target: "a\(i)", detail: "note \(i)", now: now + Int64(i))
        }
        // Someone with the file and sqlite3: drops the guards, rewrites entry 2, deletes entry 5.
        let q = try DatabaseQueue(path: path)
        try await q.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete")
            try db.execute(sql: "UPDATE audit_log SET detail = 'nothing to see' WHERE id = 2")
            try db.execute(sql: "DELETE FROM audit_log WHERE id = 5")
        }
        let v = try await store.verifyAudit()
        #expect(!v.isIntact)
        #expect(v.problems.contains { $0.hasPrefix("entry 2: content does not match") })
        #expect(v.problems.contains { $0.hasPrefix("entry 6: chain broken") && $0.contains("5…5 are missing") })
        #expect(v.problems.count == 2)
    }

    @Test(arguments: Backend.available) func rolesAndRefusals(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        _ = try await store.resolveUser(osUser: "alice", now: now)
        let stranger = try await store.resolveUser(osUser: "mallory", now: now)
        #expect(stranger.role == .viewer)
        let stored = try await store.user(named: "mallory")
        #expect(stored == nil, "unknown users are viewers, not stored")
        #expect(stranger.refusal(.acknowledge)?.contains("needs operator") == true)
        #expect(stranger.refusal(.manageTokens)?.contains("vigil user set-role mallory admin") == true)
        let op = try await store.addUser("bob", role: .operator, now: now, actor: "alice")
        #expect(op.may(.acknowledge) && op.may(.silence) && !op.may(.manageUsers))
        await #expect(throws: StoreError.self) { _ = try await store.addUser("bob", role: .viewer, now: now, actor: "alice") }
        await #expect(throws: StoreError.self) { _ = try await store.addUser("bad name!", role: .viewer, now: now, actor: "alice") }
        await #expect(throws: StoreError.self) { _ = try await store.setRole(of: "alice", to: .viewer, now: now, actor: "alice") }
        await #expect(throws: StoreError.self) { _ = try await store.setRole(of: "ghost", to: .viewer, now: now, actor: "alice") }
    }

    /// Issue 15.7, as the attacker did it: triggers dropped, then the tail deleted, or the chain rewritten with
    /// every hash recomputed. The chain alone looks intact; the anchors outside the store do not agree.
    @Test func anchorsCatchADeletedTailAndARewrittenChain() async throws {
        for attack in ["delete the last entry", "delete every entry", "rewrite the chain"] {
            let dir = TempDir()
            let db = dir.file("v.db")
            for i in 0..<3 {
                let create = try Child(Binaries.path("vigil"), ["token", "create", "--fleet", "--db", db, "--comment", "t\(i)"])
                await create.finished()
                #expect(create.process.terminationStatus == 0, "\(create.text)")
            }
            let first = try Child(Binaries.path("vigil"), ["audit", "verify", "--db", db])
            await first.finished()
            #expect(first.process.terminationStatus == 0, "\(first.text)")
            #expect(FileManager.default.fileExists(atPath: db + ".audit-anchor"), "a successful verify anchors the head")
            let q = try DatabaseQueue(path: db)
            try await q.write { db in
                try db.execute(sql: "DROP TRIGGER audit_log_no_update")
                try db.execute(sql: "DROP TRIGGER audit_log_no_delete")
                switch attack {
                case "delete the last entry":
                    try db.execute(sql: "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)")
                case "delete every entry":
                    try db.execute(sql: "DELETE FROM audit_log")
                default:
                    // Change an actor and recompute every hash: the chain is self-consistent again.
                    try db.execute(sql: "UPDATE audit_log SET actor = 'someone-else' WHERE id = 1")
                    var prev = AuditChain.genesis
                    for r in try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY id") {
                        let id: Int64 = r["id"]
                        let h = AuditChain.hash(id: id, ts: r["ts"], actor: r["actor"], action: r["action"], target: r["target"],
                                                detail: r["detail"], prevHash: prev)
                        try db.execute(sql: "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", arguments: [prev, h, id])
                        prev = h
                    }
                }
            }
            #expect(AuditChain.verify(try await SQLiteStore(path: db).allAuditEntries()).isIntact, "\(attack): the chain alone cannot tell")
            let bad = try Child(Binaries.path("vigil"), ["audit", "verify", "--db", db])
            await bad.finished()
            #expect(bad.process.terminationStatus == 1, "\(attack): \(bad.text)")
            #expect(bad.text.contains("TAMPERED") && (bad.text.contains("deleted") || bad.text.contains("rewritten")), "\(attack): \(bad.text)")
        }
    }

    @Test func cliVerifyExitsNonZeroOnTampering() async throws {
        let dir = TempDir()
        let db = dir.file("v.db")
        let create = try Child(Binaries.path("vigil"), ["token", "create", "--fleet", "--db", db])
        await create.finished()
        #expect(create.process.terminationStatus == 0, "\(create.text)")
        let ok = try Child(Binaries.path("vigil"), ["audit", "verify", "--db", db])
        await ok.finished()
        #expect(ok.process.terminationStatus == 0 && ok.text.contains("intact: 2 entries"), "\(ok.text)")
        let q = try DatabaseQueue(path: db)
        try await q.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_update")
            try db.execute(sql: "UPDATE audit_log SET actor = 'someone-else' WHERE id = 2")
        }
        let bad = try Child(Binaries.path("vigil"), ["audit", "verify", "--db", db])
        await bad.finished()
        #expect(bad.process.terminationStatus == 1)
        #expect(bad.text.contains("TAMPERED: entry 2"), "\(bad.text)")
    }
}
