import Foundation
import GRDB
import Testing
@testable import VigilCore
import VigilWire

/// Log template mining on ingest: ids in `logs.template_id`, rows in `log_templates`, merges, restarts, top patterns.
@Suite struct LogTemplateIngestTests {
    static func line(_ message: String, at ts: Int64, level: LogLevel = .info) -> LogEntry {
        LogEntry(ts: ts, source: "/var/log/app.log", level: level, message: message)
    }

    /// (message, template id, template text) of every stored line, in insertion order.
    static func stored(_ store: any Store) async throws -> [(message: String, id: Int64, template: String)] {
        if let pg = store as? PostgresStore {
            return try await pg.read { s in
                var out: [(message: String, id: Int64, template: String)] = []
                for r in try await s.rows("SELECT l.message, l.template_id, t.template FROM logs l LEFT JOIN log_templates t ON t.id = l.template_id ORDER BY l.id") {
                    out.append((try r["message"], try r["template_id"] as Int64? ?? -1, try r["template"] as String? ?? "?"))
                }
                return out
            }
        }
        let store = store as! SQLiteStore
        return try await store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT l.message, l.template_id, t.template FROM logs l LEFT JOIN log_templates t ON t.id = l.template_id ORDER BY l.id")
                .map { ($0["message"], $0["template_id"] ?? -1, $0["template"] ?? "?") }
        }
    }

    static func templates(_ store: any Store) async throws -> [Int64: (template: String, count: Int, maxLevel: Int, firstSeen: Int64)] {
        if let pg = store as? PostgresStore {
            return try await pg.read { s in
                var out: [Int64: (template: String, count: Int, maxLevel: Int, firstSeen: Int64)] = [:]
                for r in try await s.rows("SELECT * FROM log_templates") {
                    out[try r["id"]] = (try r["template"], try r["count"], try r["max_level"], try r["first_seen"])
                }
                return out
            }
        }
        let store = store as! SQLiteStore
        return try await store.pool.read { db in
            var out: [Int64: (String, Int, Int, Int64)] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT * FROM log_templates") {
                out[r["id"]] = (r["template"], r["count"], r["max_level"], r["first_seen"])
            }
            return out
        }
    }

    @Test(arguments: Backend.available) func everyLineGetsATemplateAndMergesFoldRows(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        _ = try await store.ingest(IngestBatch(host: "web-1", logs: [
            Self.line("connection from 10.0.0.7:51234 accepted", at: now - 3000),
            Self.line("connection from 10.0.0.9:40000 accepted", at: now - 2000),
            Self.line("user root logged in", at: now - 1000),
            Self.line("user cyrus logged in", at: now - 900, level: .warning),
        ]), receivedAt: now)
        var lines = try await Self.stored(store)
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0.id > 0 })
        #expect(lines[0].id == lines[1].id && lines[0].template == "connection from <*> accepted")
        #expect(lines[2].id != lines[3].id, "two users are not yet a variable")
        let rootID = lines[2].id

        // A third user: the miner generalises the position; the rows fold into the oldest, lines follow it.
        _ = try await store.ingest(IngestBatch(host: "web-2", logs: [Self.line("user news logged in", at: now - 800)]), receivedAt: now)
        lines = try await Self.stored(store)
        #expect(Set(lines[2...4].map(\.id)) == [rootID])
        #expect(lines[2].template == "user <*> logged in")
        let rows = try await Self.templates(store)
        #expect(rows.count == 2)
        #expect(rows[rootID]?.count == 3 && rows[rootID]?.maxLevel == LogLevel.warning.rank && rows[rootID]?.firstSeen == now - 1000)
        #expect(rows[lines[0].id]?.count == 2)
    }

    @Test func templateIdsSurviveARestart() async throws {
        let dir = TempDir()
        let now = WallClock.nowMs()
        let messages = ["user root logged in", "user cyrus logged in", "user news logged in",
                        "disk /dev/sda1 at 91% (threshold 90%)", "worker 7 finished job 1234 in 52 ms", "cache warmed"]
        var before: [String: Int64] = [:]
        do {
            let store = try SQLiteStore(path: dir.file("vigil.db"))
            _ = try await store.ingest(IngestBatch(host: "a", logs: messages.enumerated().map { Self.line($1, at: now - 10_000 + Int64($0)) }), receivedAt: now)
            for l in try await Self.stored(store) { before[l.message] = l.id }
        }
        let rowsBefore = try await Self.templates(SQLiteStore(path: dir.file("vigil.db")))
        let store = try SQLiteStore(path: dir.file("vigil.db"))
        let again = ["user alice logged in", "disk /dev/sdb2 at 95% (threshold 90%)", "worker 3 finished job 99 in 7 ms", "cache warmed",
                     "something entirely new"]
        _ = try await store.ingest(IngestBatch(host: "a", logs: again.map { Self.line($0, at: now) }), receivedAt: now)
        let after = try await Self.stored(store)
        let newIDs = Dictionary(after.suffix(again.count).map { ($0.message, $0.id) }, uniquingKeysWith: { a, _ in a })
        #expect(newIDs["user alice logged in"] == before["user root logged in"])
        #expect(newIDs["disk /dev/sdb2 at 95% (threshold 90%)"] == before["disk /dev/sda1 at 91% (threshold 90%)"])
        #expect(newIDs["worker 3 finished job 99 in 7 ms"] == before["worker 7 finished job 1234 in 52 ms"])
        #expect(newIDs["cache warmed"] == before["cache warmed"])
        #expect(!Set(before.values).contains(newIDs["something entirely new"] ?? -1))
        // The old lines still point at their rows, whose texts did not change.
        #expect(after.prefix(messages.count).map(\.id) == messages.map { before[$0]! })
        let rowsAfter = try await Self.templates(store)
        for (id, row) in rowsBefore { #expect(rowsAfter[id]?.template == row.template) }
        #expect(rowsAfter.count == rowsBefore.count + 1)
    }

    @Test(arguments: Backend.available) func topPatternsCountTrendAndHostFilter(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        let hour: Int64 = 3_600_000
        var a = IngestBatch(host: "web-1")
        var b = IngestBatch(host: "web-2")
        // In the last hour: 30 timeouts on web-1 (all in the newest 5 minutes), 10 on web-2; 5 restarts on web-1.
        for i in 0..<30 { a.logs.append(Self.line("request \(i) timed out after \(100 + i) ms", at: now - 60_000 - Int64(i) * 1000, level: .error)) }
        for i in 0..<10 { b.logs.append(Self.line("request \(i) timed out after 30 ms", at: now - 31 * 60_000 - Int64(i), level: .warning)) }
        for i in 0..<5 { a.logs.append(Self.line("service restarted (pid \(4000 + i))", at: now - 10 * 60_000)) }
        // The hour before: 4 timeouts on web-1 only.
        for i in 0..<4 { a.logs.append(Self.line("request \(i) timed out after 9 ms", at: now - hour - 60_000, level: .error)) }
        _ = try await store.ingest(a, receivedAt: now)
        _ = try await store.ingest(b, receivedAt: now)

        let all = try await store.topLogPatterns(host: nil, from: now - hour, to: now, limit: 10)
        #expect(all.map(\.count) == [40, 5])
        let timeouts = try #require(all.first)
        #expect(timeouts.template == "request <*> timed out after <*>")
        #expect(timeouts.level == .error && timeouts.maxLevel == .error)
        #expect(timeouts.previousCount == 4)
        #expect(timeouts.trend.count == 12 && timeouts.trend.reduce(0, +) == 40)
        #expect(timeouts.trend.last == 30 && timeouts.trend[5] == 10, "\(timeouts.trend)")
        #expect(timeouts.firstSeen == now - hour - 60_000)
        #expect(all[1].template == "service restarted (pid <*>)" && all[1].level == .info)

        let web2 = try await store.topLogPatterns(host: "web-2", from: now - hour, to: now, limit: 10)
        #expect(web2.map(\.count) == [10] && web2[0].level == .warning && web2[0].previousCount == 0)
        #expect(try await store.topLogPatterns(host: "nope", from: now - hour, to: now, limit: 10).isEmpty)
        #expect(try await store.topLogPatterns(host: nil, from: now - hour, to: now, limit: 1).count == 1)
    }

    @Test(arguments: Backend.available) func newLogPatternsAreRecentTemplatesPerHost(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        _ = try await store.ingest(IngestBatch(host: "db-1", logs: [
            Self.line("checkpoint took 4 seconds", at: now - 2 * 3_600_000, level: .error),
            Self.line("checkpoint took 9 seconds", at: now - 1000, level: .error),
            Self.line("replica lag is 12 seconds behind primary", at: now - 500, level: .warning),
            Self.line("could not write block 77 of relation base/5/16384: No space left on device", at: now - 400, level: .critical),
        ]), receivedAt: now)
        let fresh = try await store.newLogPatterns(since: now - 15 * 60_000, minLevel: .error)
        #expect(fresh.map(\.host) == ["db-1"])
        #expect(fresh.first?.template.hasPrefix("could not write block <*> of relation") == true)
        #expect(fresh.first?.level == .critical && fresh.first?.count == 1)
        let warnings = try await store.newLogPatterns(since: now - 15 * 60_000, minLevel: .warning)
        #expect(warnings.count == 2)
    }
}

/// `LogTemplateTracker` without a store.
@Suite struct LogTemplateTrackerTests {
    /// Applies actions like the store would, with ids from 1.
    struct FakeRows {
        var rows: [Int64: String] = [:]
        var next: Int64 = 1
        var folds: [(Int64, Int64)] = []

        mutating func apply(_ actions: [LogTemplateTracker.Action], _ t: inout LogTemplateTracker) {
            for a in actions {
                switch a {
                case .create(let m, let text):
                    rows[next] = text
                    t.bind(miner: m, stored: next, text: text)
                    next += 1
                case .rename(let id, let text): rows[id] = text
                case .fold(let from, let into):
                    rows[from] = nil
                    folds.append((from, into))
                    _ = into
                }
            }
        }

        mutating func add(_ message: String, _ t: inout LogTemplateTracker) -> Int64 {
            let (m, actions) = t.observe(message)
            apply(actions, &t)
            return t.storedID(ofMiner: m)!
        }
    }

    @Test func restoreReplaysStoredTextsToTheSameRows() {
        var t = LogTemplateTracker()
        var rows = FakeRows()
        let messages = ["user root logged in", "user cyrus logged in", "user news logged in", "GET /api/v1/items/42 200 12ms",
                        "job=backup state=done took=42s", "failed to open (file 7)", "blk_123 blk_456 blk_789 replicated to node-4"]
        let ids = messages.map { rows.add($0, &t) }
        // The third user generalises the template: the second row folds into the first, which the third line gets.
        #expect(ids[0] != ids[1] && ids[2] == ids[0])
        #expect(rows.folds.map(\.0) == [ids[1]] && rows.folds.map(\.1) == [ids[0]])
        #expect(rows.rows[ids[0]] == "user <*> logged in")

        var restored = LogTemplateTracker()
        let actions = restored.restore(rows: rows.rows.map { (id: $0.key, text: $0.value) })
        #expect(actions.isEmpty, "\(actions)")
        #expect(restored.storedCount == rows.rows.count)
        var rows2 = rows
        let again = ["user alice logged in", "GET /api/v1/items/7 404 3ms", "job=index state=failed took=3s", "failed to open (file 9)",
                     "blk_1 replicated to node-9"]
        let expected = [ids[0], ids[3], ids[4], ids[5], ids[6]]
        #expect(again.map { rows2.add($0, &restored) } == expected)
        #expect(rows2.rows == rows.rows)
    }
}
