import Foundation
import Testing
@testable import VigilTUI
import VigilCore
import VigilWire

/// The databases pane and a database's queries, on a real SQLite store fed batches shaped as the agent's probe sends
/// them: a primary under load with a lock wait, a replica lagging, a server that is down.
@Suite struct DatabasesPaneTests {
    static func batch(host: String, db: String, at ts: Int64, values: [String: Double], queries: [DatabaseQuery] = [],
                      extra: [(String, [String: String], Double)] = []) -> IngestBatch {
        var b = IngestBatch(host: host, samples: values.map { Sample(name: $0.key, value: $0.value, ts: ts, labels: ["db": db]) }
                            + extra.map { Sample(name: $0.0, value: $0.2, ts: ts, labels: $0.1.merging(["db": db]) { a, _ in a }) })
        b.dbQueries = queries
        return b
    }

    @Test func rowsFiguresAndQueries() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("vigil.db"))
        let now = WallClock.nowMs()
        for i in 0..<12 {
            let ts = now - Int64(11 - i) * 60_000
            _ = try await store.ingest(Self.batch(host: "db-1", db: "main", at: ts, values: [
                "pg.up": 1, "pg.in_recovery": 0, "pg.replicas": 1, "pg.connections.total": 170 + Double(i), "pg.connections.max": 200,
                "pg.connections.used_percent": (170 + Double(i)) / 2, "pg.tps": 400 + Double(i * 10), "pg.rows_per_sec": 12_000,
                "pg.cache.hit_percent": 99.2, "pg.size_bytes": 3 * 1_073_741_824, "pg.query.longest_seconds": 45,
                "pg.transaction.longest_seconds": 1_200, "pg.queries.long": 2, "pg.locks.waiting": 3,
            ], queries: i == 11 ? [
                DatabaseQuery(database: "main", kind: .active, datname: "shop", user: "web", pid: 4242, state: "active",
                              wait: "Lock:relation, blocked by 4100", durationMs: 45_000, transactionMs: 45_500,
                              query: "UPDATE stock SET n = n - 1 WHERE sku = 'A-17'", ts: ts),
                DatabaseQuery(database: "main", kind: .active, datname: "shop", user: "batch", pid: 4100, state: "idle in transaction",
                              durationMs: 0, transactionMs: 1_200_000, query: "LOCK TABLE stock", ts: ts),
                DatabaseQuery(database: "main", kind: .statement, datname: "shop", user: "web", durationMs: 812, calls: 14,
                              totalMs: 11_368, query: "SELECT * FROM orders WHERE customer = $1", ts: ts),
            ] : i == 5 ? [DatabaseQuery(database: "main", kind: .active, datname: "shop", user: "report", pid: 3000, state: "active",
                                        durationMs: 95_000, transactionMs: 95_000, query: "SELECT sum(total) FROM orders", ts: ts)] : [],
               extra: i == 11 ? [("pg.connections", ["state": "active"], 40), ("pg.connections", ["state": "idle"], 120),
                                 ("pg.connections", ["state": "idle_in_transaction"], 21),
                                 ("pg.database.size_bytes", ["database": "shop"], 3 * 1_073_741_824), ("pg.database.size_bytes", ["database": "postgres"], 8_388_608)]
                      : i == 5 ? [("pg.connections", ["state": "fastpath_function_call"], 3)] : []), receivedAt: ts)
            _ = try await store.ingest(Self.batch(host: "db-2", db: "replica", at: ts, values: [
                "pg.up": 1, "pg.in_recovery": 1, "pg.replication.lag_seconds": 150, "pg.connections.total": 10, "pg.connections.max": 100,
                "pg.connections.used_percent": 10, "pg.tps": 5,
            ]), receivedAt: ts)
        }
        _ = try await store.ingest(Self.batch(host: "db-3", db: "legacy", at: now - 30_000, values: ["pg.up": 0]), receivedAt: now)

        let pane = DatabasesPane()
        #expect(pane.pollInterest.databases)
        _ = pane.receive(await DatabaseFetcher.fetch(store, now: now), now: now)
        #expect(pane.table.rows.map(\.id) == ["db-1/main", "db-2/replica", "db-3/legacy"])
        #expect(pane.table.rows.map(\.role) == ["primary", "replica", "down"])
        pane.table.moveSelection(by: 1)   // the selected row is drawn in the selection colour
        var canvas = Fixtures.render(pane, width: 160, height: 20)
        let text = canvas.text
        #expect(text.contains("PostgreSQL (3, 1 down)"), "\(text)")
        let primary = try #require(canvas.lines().first { $0.contains("db-1") })
        #expect(primary.contains("181/200") && primary.contains("510") && primary.contains("99.2%") && primary.contains("3.0 GiB"), "\(primary)")
        #expect(primary.contains("45s") && primary.contains("20m 0s") && primary.contains("1 repl"), "\(primary)")
        let replica = try #require(canvas.lines().first { $0.contains("db-2") })
        #expect(replica.contains("replica") && replica.contains("2m 30s"), "the lag: \(replica)")
        // Colours: the saturated pool is critical (90.5%), the down server too.
        let conn = try #require(primary.range(of: "181/200").map { primary.distance(from: primary.startIndex, to: $0.lowerBound) })
        let y = try #require(canvas.lines().firstIndex { $0.contains("db-1") })
        #expect(canvas[conn, y].role == .critical)
        // 80 columns keep the essentials.
        canvas = Fixtures.render(pane, width: 80, height: 24)
        let narrow = try #require(canvas.lines().first { $0.contains("db-1") })
        #expect(narrow.contains("main") && narrow.contains("181/200") && narrow.contains("510"), "\(narrow)")

        // Enter: the queries of db-1/main.
        pane.table.moveSelection(by: -1)
        guard case .push(let next) = pane.keyMap.action(for: .enter)!.handler(), let queries = next as? DatabaseQueriesPane else {
            Issue.record("Enter opens the queries"); return
        }
        let interest = try #require(queries.pollInterest.databaseQueries)
        _ = queries.receive(await DatabaseQueriesSnapshot.fetch(store, interest, now: now), now: now)
        #expect(queries.table.rows.map(\.section) == [.running, .running, .slow, .earlier])
        #expect(queries.table.rows.map(\.query.pid) == [4100, 4242, 0, 3000], "longest first: the open transaction holds the lock")
        canvas = Fixtures.render(queries, width: 160, height: 30)
        #expect(canvas.text.contains("2 running long now · 1 slow statement"), "\(canvas.text)")
        #expect(canvas.text.contains("Lock:relation, blocked by 4100"))
        #expect(canvas.text.contains("connections 181/200 · 510 tps · cache 99.2% · 3.0 GiB · 3 waiting for locks"))
        #expect(canvas.text.contains("pid 4100 · batch@shop · idle in transaction"), "the selected query's facts")
        #expect(canvas.text.contains("sessions: idle 120, active 40, idle in transaction 21 · databases: shop 3.0 GiB, postgres 8.0 MiB"),
                "the newest look's breakdown only (no fastpath from an older look):\n\(canvas.text)")
        // A later look that finds nothing long: nothing runs long now; what ran is earlier.
        _ = try await store.ingest(Self.batch(host: "db-1", db: "main", at: now + 1000, values: ["pg.up": 1, "pg.queries.long": 0]), receivedAt: now + 1000)
        _ = queries.receive(await DatabaseFetcher.fetch(store, now: now + 1000), now: now + 1000)
        _ = queries.receive(await DatabaseQueriesSnapshot.fetch(store, interest, now: now + 1000), now: now + 1000)
        #expect(queries.table.rows.map(\.section) == [.slow, .earlier, .earlier, .earlier])
    }

    @Test func theCommandOpensIt() throws {
        #expect(try CommandParser.parse(":db") == .databases)
        #expect(try CommandParser.parse("pg") == .databases)
        #expect(throws: CommandError.self) { try CommandParser.parse("db main") }
    }
}
