import Foundation
import Testing
import VigilAgentCore
@testable import VigilCore
import VigilWire

/// The real binaries: `vigil-agent` with a `databases:` entry for the PostgreSQL server `.ci/run` starts, pushing to a
/// real `vigil serve`; a real long query on that server reaches the store as a record, and the probe's series too.
@Suite(.serialized, .enabled(if: Backend.postgresURL != nil, "VIGIL_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)"))
struct DatabaseProbeEndToEndTests {
    @Test func aLongQueryReachesTheStoreThroughTheAgent() async throws {
        let dir = TempDir()
        let db = dir.file("vigil.db")
        let store = try SQLiteStore(path: db)
        let (_, secret) = try await store.createAgentToken(host: nil, expiresAt: nil, comment: "fleet", now: WallClock.nowMs(), actor: "test")
        let port = freePort()
        let serve = try await startServe(db: db, port: port)
        defer { serve.stopInBackground() }
        let config = dir.file("agent.yaml")
        try """
            url: http://127.0.0.1:\(port)
            host: pg-e2e
            interval: 1s
            state_dir: \(dir.file("state"))
            databases:
              - name: main
                url_env: E2E_DATABASE_URL
                long_query: 1s
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let agent = try Child(Binaries.path("vigil-agent"), ["--config", config],
                              environment: ["VIGIL_TOKEN": secret, "E2E_DATABASE_URL": Backend.postgresURL!])
        defer { agent.stopInBackground() }

        let marker = "vigil-e2e-\(UInt32.random(in: 0...UInt32.max))"
        let url = Backend.postgresURL!
        // The query runs until the agent has reported it (a loaded machine may start the agent late), then is cancelled.
        let sleeper = Task.detached {
            try await offPool {
                let c = try PostgresConnection(target: try PostgresTarget.parse(url), timeoutMs: 200_000)
                _ = try? c.query("SELECT pg_sleep(180), '\(marker)'")
            }
        }
        let seen = await eventually(60) {
            let q = (try? await store.databaseQueries(host: "pg-e2e", database: "main", from: 0, to: WallClock.nowMs() + 60_000, limit: 100)) ?? []
            return q.contains { $0.kind == .active && $0.query.contains(marker) && $0.durationMs >= 1000 }
        }
        #expect(seen, "agent output: \(agent.text)")
        try await offPool {
            let admin = try PostgresConnection(target: try PostgresTarget.parse(url), timeoutMs: 20_000)
            _ = try admin.query("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%\(marker)%' AND pid <> pg_backend_pid()")
        }
        try await sleeper.value
        let up = try await store.points(SeriesKey(host: "pg-e2e", name: "pg.up", labels: ["db": "main"]), from: 0, to: WallClock.nowMs() + 60_000)
        #expect(up.contains { $0.value == 1 })
        let long = try await store.points(SeriesKey(host: "pg-e2e", name: "pg.query.longest_seconds", labels: ["db": "main"]),
                                          from: 0, to: WallClock.nowMs() + 60_000)
        #expect(long.contains { $0.value >= 1 }, "\(long)")
        #expect(agent.text.contains("1 database,"), "\(agent.text)")
    }
}
