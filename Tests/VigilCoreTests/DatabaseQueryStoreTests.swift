import Foundation
import Testing
import VigilWire
@testable import VigilCore

/// The long-running and slow queries the agents' database probes report: decoded from a pushed batch, stored, read back
/// per host and database, deleted by age, on both backends.
@Suite struct DatabaseQueryStoreTests {
    @Test(arguments: Backend.available) func queriesAreStoredReadAndAged(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        var b = IngestBatch(host: "db-1")
        b.dbQueries = [
            DatabaseQuery(database: "main", kind: .active, datname: "app", user: "web", pid: 4242, state: "active",
                          wait: "Lock:relation", durationMs: 45_000, transactionMs: 46_000, query: "SELECT count(*) FROM orders", ts: now - 1000),
            DatabaseQuery(database: "main", kind: .statement, datname: "app", user: "web", durationMs: 812.5, calls: 14,
                          totalMs: 11_375, query: "UPDATE stock SET n = n - $1 WHERE id = $2", ts: 0),
            DatabaseQuery(database: "replica", kind: .active, query: "SELECT 1", ts: now),
        ]
        // Through the wire format, as the listener receives it.
        let decoded = try IngestDecoder().decode(Array(b.json().utf8), nowMs: now)
        #expect(decoded.dbQueries == b.dbQueries)
        _ = try await store.ingest(decoded, receivedAt: now)
        var old = IngestBatch(host: "db-1")
        old.dbQueries = [DatabaseQuery(database: "main", kind: .active, query: "VACUUM FULL", ts: now - 40 * 86_400_000)]
        _ = try await store.ingest(old, receivedAt: now)

        let main = try await store.databaseQueries(host: "db-1", database: "main", from: now - 3_600_000, to: now, limit: 100)
        #expect(main.count == 2, "\(main)")
        #expect(main.first?.kind == .statement && main.first?.ts == now, "newest first; ts 0 is the receive time")
        #expect(main.first?.calls == 14 && main.first?.durationMs == 812.5 && main.first?.totalMs == 11_375)
        #expect(main.last == b.dbQueries[0])
        #expect(try await store.databaseQueries(host: "db-1", database: "main", from: 0, to: now, limit: 1).count == 1)
        #expect(try await store.databaseQueries(host: "web-1", database: "main", from: 0, to: now, limit: 10).isEmpty)
        let deleted = try await store.deleteAged(.dbQueries, before: now - RetentionPolicy().dbQueries, limit: 100)
        #expect(deleted == 1)
        #expect(try await store.databaseQueries(host: "db-1", database: "main", from: 0, to: now, limit: 100).count == 2)
    }

    @Test func badRecordsAreRefusedWithTheirField() {
        func message(_ json: String) -> String {
            do { _ = try IngestDecoder().decode(Array(json.utf8), nowMs: WallClock.nowMs()); return "" } catch { return "\(error)" }
        }
        #expect(message(#"{"host":"h","db_queries":[{"kind":"active","query":"x"}]}"#).contains("db_queries[0].database"))
        #expect(message(#"{"host":"h","db_queries":[{"database":"m","kind":"sleepy","query":"x"}]}"#).contains("must be active or statement"))
        #expect(message(#"{"host":"h","db_queries":[{"database":"m","kind":"active","query":"x","duration_ms":-1}]}"#).contains("db_queries[0].duration_ms"))
        #expect(message(#"{"host":"h","db_queries":[{"database":"m","kind":"active"}]}"#).contains("'query'"))
    }
}
