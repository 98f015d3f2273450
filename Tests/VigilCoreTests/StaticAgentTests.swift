import Foundation
import Testing
@testable import VigilCore
import VigilAgentCore
import VigilWire

/// The agent an operator deploys: built in release mode with the static Swift standard library (as
/// `deploy/install.sh` and the README build it), it needs no Swift runtime on the target server.
@Suite(.serialized)
struct StaticAgentTests {
    /// A scratch path of its own, so the debug build the tests run from is left alone.
    static let scratch = InstallTests.repoRoot + "/.build-static"

    static func build() async throws -> String {
        let swift = ["/opt/swift/usr/bin/swift", "/usr/bin/swift", "/usr/local/bin/swift"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "swift"
        let args = ["build", "-c", "release", "--static-swift-stdlib", "--product", "vigil-agent", "--scratch-path", scratch,
                    "--package-path", InstallTests.repoRoot]
        let built = try await InstallTests.run(swift, args)
        guard built.status == 0 else {
            throw NSError(domain: "vigil-test", code: 1, userInfo: [NSLocalizedDescriptionKey: "static agent build failed:\n\(built.text.suffix(3000))"])
        }
        return scratch + "/release/vigil-agent"
    }

    /// The deployed agent probes PostgreSQL with its own client (no libpq, nothing more linked): `--print` with a
    /// `databases:` entry shows the server up, its connections and a long query running on it.
    @Test(.enabled(if: Backend.postgresURL != nil, "VIGIL_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)"))
    func theStaticAgentProbesPostgreSQL() async throws {
        let agent = try await Self.build()
        let dir = TempDir()
        let config = dir.file("agent.yaml")
        try "databases:\n  - name: main\n    url_env: STATIC_DB_URL\n    long_query: 1s\n".write(toFile: config, atomically: true, encoding: .utf8)
        // The replica when there is one: the other tests' sessions on the primary (lease waiters, lock tests) can
        // outlast this query and fill the ten longest the probe reports.
        let url = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_REPLICA_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Backend.postgresURL!
        // Long enough to outlast a slow agent start on a busy machine (under the thread sanitizer the suite runs
        // beside it); cancelled as soon as the agent has printed.
        let sleeper = Task.detached {
            try? await offPool {
                let c = try PostgresConnection(target: try PostgresTarget.parse(url), timeoutMs: 120_000)
                _ = try c.query("SELECT pg_sleep(90), 'static-agent-probe'")
            }
        }
        // Until the query has run 1.5 s on the server (a slow run starts it late), at most 15 s.
        let running = try await offPool { () -> Bool in
            let c = try PostgresConnection(target: try PostgresTarget.parse(url), timeoutMs: 10_000)
            for _ in 0..<60 {
                let rows = try c.query("""
                    SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%static-agent-probe%' AND pid <> pg_backend_pid()
                      AND state = 'active' AND clock_timestamp() - query_start > interval '1.5 seconds'
                    """)
                if rows.first?.rows.first?.first == "1" { return true }
                usleep(250_000)
            }
            return false
        }
        #expect(running, "the long query runs on the server")
        let printed = try await InstallTests.run(agent, ["--print", "--config", config], environment: ["STATIC_DB_URL": url])
        try await offPool {
            let c = try PostgresConnection(target: try PostgresTarget.parse(url), timeoutMs: 10_000)
            _ = try c.query("""
                SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                 WHERE query LIKE '%static-agent-probe%' AND pid <> pg_backend_pid()
                """)
        }
        await sleeper.value
        #expect(printed.status == 0, "\(printed.text)")
        // stdout and stderr together: the batch is the line that starts with "{".
        let json = try #require(printed.text.split(separator: "\n").first { $0.hasPrefix("{") })
        let batch = try IngestDecoder().decode(Array(json.utf8), nowMs: WallClock.nowMs())
        #expect(batch.samples.contains { $0.name == "pg.up" && $0.value == 1 && $0.labels["db"] == "main" }, "\(printed.text.prefix(2000))")
        #expect(batch.samples.contains { $0.name == "pg.connections.max" && $0.value > 0 })
        #expect(batch.dbQueries.contains { $0.query.contains("static-agent-probe") && $0.durationMs >= 1000 }, "\(batch.dbQueries)")
    }

    @Test func theStaticAgentLinksNoSwiftLibraryAndPushesToAListener() async throws {
        let agent = try await Self.build()
        let ldd = try await InstallTests.run("/usr/bin/ldd", [agent])
        #expect(ldd.status == 0, "\(ldd.text)")
        for forbidden in ["libswift", "libFoundation", "libdispatch", "libBlocksRuntime", "libicu"] {
            #expect(!ldd.text.contains(forbidden), "the static agent must not need \(forbidden):\n\(ldd.text)")
        }
        #expect(ldd.text.contains("libc.so"), "\(ldd.text)")

        // End to end against a real listener.
        let dir = TempDir()
        let db = dir.file("vigil.db")
        let store = try SQLiteStore(path: db)
        let (_, secret) = try await store.createAgentToken(host: "static-1", expiresAt: nil, comment: "static", now: WallClock.nowMs(), actor: "test")
        let port = freePort()
        let serve = try await startServe(db: db, port: port)
        defer { serve.stopInBackground() }
        let once = try await InstallTests.run(agent, ["--once", "--url", "http://127.0.0.1:\(port)", "--host", "static-1",
                                                      "--state-dir", dir.file("state"), "--no-remediation"],
                                              environment: ["VIGIL_TOKEN": secret])
        #expect(once.status == 0, "\(once.text)")
        let landed = await eventually(10) {
            let cpu = (try? await store.points(SeriesKey(host: "static-1", name: "mem.used_percent"), from: 0, to: WallClock.nowMs() + 60_000)) ?? []
            return !cpu.isEmpty
        }
        #expect(landed, "the static agent's batch is in the store: \(once.text)")
        let version = try await InstallTests.run(agent, ["--version"])
        #expect(version.text.contains(VigilVersion.current), "\(version.text)")
    }
}
