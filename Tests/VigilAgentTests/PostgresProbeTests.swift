import Foundation
import Testing
import VigilWire
@testable import VigilAgentCore

/// The database probe against the real PostgreSQL server `.ci/run` starts (`VIGIL_TEST_POSTGRES_URL`, a superuser
/// over trust, `pg_hba.conf` asking `vigil_scram`, `vigil_md5` and `vigil_plain` for passwords, `pg_stat_statements`
/// preloaded): each login method, real load, a real long-running query, a real lock wait, real slow statements.
@Suite(.serialized, .enabled(if: TestDatabase.url != nil, "VIGIL_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)"))
struct PostgresProbeTests {
    static let url = TestDatabase.url

    static func admin() throws -> PostgresConnection {
        try PostgresConnection(target: try PostgresTarget.parse(url!), timeoutMs: 10_000)
    }

    static func target(user: String? = nil, password: String? = nil) throws -> PostgresTarget {
        var t = try PostgresTarget.parse(url!)
        if let user { t.user = user }
        t.password = password
        return t
    }

    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { s in s.name == name && labels.allSatisfy { k, v in s.labels[k] == v } }?.value
    }

    @Test func logsInWithScramMD5AndCleartextAndRefusesAWrongPassword() async throws {
        try await offPool { checks in
            let admin = try Self.admin()
            _ = try admin.query("""
                DROP ROLE IF EXISTS vigil_scram; DROP ROLE IF EXISTS vigil_md5; DROP ROLE IF EXISTS vigil_plain;
                SET password_encryption = 'scram-sha-256'; CREATE ROLE vigil_scram LOGIN PASSWORD 'sc-pass' IN ROLE pg_monitor;
                CREATE ROLE vigil_plain LOGIN PASSWORD 'pl-pass';
                SET password_encryption = 'md5'; CREATE ROLE vigil_md5 LOGIN PASSWORD 'md-pass'
                """)
            let stored = try admin.query("SELECT rolname, left(rolpassword, 6) AS kind FROM pg_authid WHERE rolname IN ('vigil_scram', 'vigil_md5') ORDER BY 1")
            let kinds = stored.first?.rows.map { $0[1] ?? "" } ?? []
            checks.expect(kinds.count == 2 && kinds[0].hasPrefix("md5") && kinds[1] == "SCRAM-", "vigil_md5 holds an MD5 hash, vigil_scram a SCRAM verifier: \(kinds)")
            for (user, password) in [("vigil_scram", "sc-pass"), ("vigil_md5", "md-pass"), ("vigil_plain", "pl-pass")] {
                let c = try PostgresConnection(target: try Self.target(user: user, password: password))
                checks.expect(try c.query("SELECT current_user").first?.rows.first?.first == user, "\(user)")
                do {
                    _ = try PostgresConnection(target: try Self.target(user: user, password: "wrong"))
                    checks.fail("\(user) logged in with a wrong password: pg_hba.conf must ask \(user) for a password (see .ci/run)")
                } catch let e as AgentError {
                    checks.expect(e.message.contains("password authentication failed"), "\(user): \(e.message)")
                    checks.expect(!e.message.contains("wrong"))
                }
            }
            do {
                _ = try PostgresConnection(target: try Self.target(user: "vigil_scram", password: nil))
                checks.fail("logged in without a password")
            } catch let e as AgentError {
                checks.expect(e.message.contains("the server wants a password (scram-sha-256) and none is configured"), "\(e.message)")
            }
            // The probe's monitoring queries work for a pg_monitor role that is not a superuser.
            let probe = PostgresProbe(config: DatabaseConfig(name: "main"), target: try Self.target(user: "vigil_scram", password: "sc-pass"))
            let r = probe.collect(nowMs: 1)
            checks.expect(Self.value(r.samples, "pg.up") == 1, "\(probe.lastError ?? "")")
            checks.expect((Self.value(r.samples, "pg.size_bytes") ?? 0) > 1_000_000)
        }
    }

    @Test func realLoadShowsAsTransactionsRowsAndConnections() async throws {
        try await offPool { checks in
            let admin = try Self.admin()
            _ = try admin.query("DROP TABLE IF EXISTS probe_load; CREATE TABLE probe_load (id serial PRIMARY KEY, v text)")
            let probe = PostgresProbe(config: DatabaseConfig(name: "main"), target: try Self.target())
            let first = probe.collect(nowMs: 1)
            checks.expect(Self.value(first.samples, "pg.up") == 1, "\(probe.lastError ?? "")")
            checks.expect(Self.value(first.samples, "pg.tps") == nil)   // rates need two readings
            // Four more sessions, counted while they wait; then 200 committed inserts of 50 rows each, and reads.
            var extra = try (0..<4).map { _ in try Self.admin() }
            let during = probe.collect(nowMs: 2).samples
            let total = Self.value(during, "pg.connections.total") ?? 0
            let max = Self.value(during, "pg.connections.max") ?? 0
            checks.expect(total >= 6, "admin, the probe and four loaders: \(total)")
            checks.expect(max >= 20 && abs((Self.value(during, "pg.connections.used_percent") ?? 0) - total / max * 100) < 1e-9)
            checks.expect((Self.value(during, "pg.connections", ["state": "idle"]) ?? 0) >= 4)
            checks.expect(Self.value(during, "pg.in_recovery") == 0 && Self.value(during, "pg.replicas") != nil, "a primary counts its replicas")
            checks.expect((Self.value(during, "pg.database.size_bytes", ["database": "vigil_test"]) ?? 0) > 0)
            checks.expect((Self.value(during, "pg.probe_ms") ?? -1) >= 0)
            for i in 0..<200 { _ = try extra[i % 4].query("INSERT INTO probe_load (v) SELECT md5(g::text) FROM generate_series(1, 50) g") }
            for c in extra { _ = try c.query("SELECT count(*) FROM probe_load") }
            // A backend flushes its statistics at most once a second while it lives (or every 10 s when idle), and always
            // when it exits; a loaded machine may take a while to end the loaders. All of their work comes after the
            // reading above, so a later reading's rates show it: read again until one does, at most 30 s.
            extra.removeAll()
            var s: [Sample] = []
            var reading: Int64 = 3
            _ = JobFixture.eventually {
                s = probe.collect(nowMs: reading).samples
                reading += 1
                return (Self.value(s, "pg.rows.inserted_per_sec") ?? 0) > 0
            }
            checks.expect((Self.value(s, "pg.tps") ?? 0) > 0)
            checks.expect((Self.value(s, "pg.rows.inserted_per_sec") ?? 0) > 0, "the loaders' 10,000 rows never showed in a rate")
            checks.expect((Self.value(s, "pg.rows_per_sec") ?? 0) >= (Self.value(s, "pg.rows.inserted_per_sec") ?? 0))
            let hit = Self.value(s, "pg.cache.hit_percent") ?? -1
            checks.expect(hit > 0 && hit <= 100)
            _ = try admin.query("DROP TABLE probe_load")
        }
    }

    @Test func aLongQueryAnOpenTransactionAndALockWaitAreReported() async throws {
        try await offPool { checks in
            let admin = try Self.admin()
            _ = try admin.query("DROP TABLE IF EXISTS probe_lock; CREATE TABLE probe_lock (id int); INSERT INTO probe_lock VALUES (1)")
            let holder = try Self.admin()
            let waiter = try Self.admin()
            let sleeper = try Self.admin()
            let holderPid = try holder.query("SELECT pg_backend_pid()").first?.rows.first?.first ?? nil
            _ = try holder.query("BEGIN; LOCK TABLE probe_lock IN ACCESS EXCLUSIVE MODE")
            try waiter.start("SELECT count(*) AS n FROM probe_lock /* waits for the lock */")
            try sleeper.start("SELECT pg_sleep(120) /* the long one */")
            // Until both have run a second on the server (a loaded machine may start them late), at most 60 s; the long
            // one is cancelled after the checks.
            let probe = PostgresProbe(config: DatabaseConfig(name: "main", longQueryMs: 1000), target: try Self.target())
            var r = (samples: [Sample](), queries: [DatabaseQuery]())
            _ = JobFixture.eventually(60) {
                r = probe.collect(nowMs: 42)
                return r.queries.contains { $0.query.contains("waits for the lock") } && r.queries.contains { $0.query.contains("pg_sleep(120)") }
            }
            checks.expect((Self.value(r.samples, "pg.locks.waiting") ?? 0) >= 1)
            checks.expect((Self.value(r.samples, "pg.query.longest_seconds") ?? 0) >= 1)
            checks.expect((Self.value(r.samples, "pg.transaction.longest_seconds") ?? 0) >= 1)
            checks.expect((Self.value(r.samples, "pg.queries.long") ?? 0) >= 2)
            let waiting = r.queries.first { $0.query.contains("waits for the lock") }
            checks.expect(waiting?.wait == "Lock:relation, blocked by \(holderPid ?? "?")", "\(r.queries)")
            checks.expect(waiting?.state == "active" && (waiting?.durationMs ?? 0) >= 1000 && waiting?.kind == .active && waiting?.ts == 42)
            checks.expect(r.queries.contains { $0.query.contains("pg_sleep(120)") && $0.durationMs >= 1000 })
            let open = r.queries.first { $0.state == "idle in transaction" && $0.query.contains("probe_lock") }
            checks.expect(open?.query.contains("LOCK TABLE probe_lock") == true && (open?.transactionMs ?? 0) >= 1000)
            _ = try holder.query("COMMIT")
            checks.expect(try waiter.results().first?.rows.first?.first == "1")
            _ = try admin.query("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%the long one%' AND pid <> pg_backend_pid()")
            _ = try? sleeper.results()
            let after = probe.collect(nowMs: 43)
            // (Other suites share the server, so waiting locks elsewhere may remain: the lock's own queries are gone.)
            checks.expect(!after.queries.contains { $0.query.contains("probe_lock") })
            _ = try admin.query("DROP TABLE probe_lock")
        }
    }

    @Test func slowStatementsComeFromPgStatStatements() async throws {
        try await offPool { checks in
            let admin = try Self.admin()
            do {
                _ = try admin.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT count(*) FROM pg_stat_statements")
            } catch {
                checks.fail("pg_stat_statements is not available (\(error)): start PostgreSQL with shared_preload_libraries=pg_stat_statements, as .ci/run does")
                return
            }
            let probe = PostgresProbe(config: DatabaseConfig(name: "main", slowQueryMs: 200), target: try Self.target())
            _ = probe.collect(nowMs: 1)
            let worker = try Self.admin()
            _ = try worker.query("SELECT pg_sleep(0.3), 'vigil-slow-statement'")
            _ = try worker.query("SELECT pg_sleep(0.3), 'vigil-slow-statement'")
            _ = try worker.query("SELECT 'vigil-fast-statement'")
            let r = probe.collect(nowMs: 2)
            let slow = r.queries.filter { $0.kind == .statement }
            let s = slow.first { $0.query.contains("pg_sleep") }
            checks.expect(s != nil, "\(slow)")
            checks.expect(s?.calls == 2 && (s?.durationMs ?? 0) >= 300 && (s?.totalMs ?? 0) >= 600 && s?.datname == "vigil_test")
            checks.expect(!slow.contains { $0.query.contains("fast") })
        }
    }

    @Test func anUnreachableServerIsDownAndSaidOnce() async throws {
        try await offPool { checks in
            let lines = LogCapture()
            let log = lines.log
            let probe = PostgresProbe(config: DatabaseConfig(name: "gone", timeoutMs: 500),
                                      target: PostgresTarget(host: "127.0.0.1", port: 1, user: "x"), log: log)
            for i in 0..<3 {
                let r = probe.collect(nowMs: Int64(i))
                checks.expect(r.samples == [Sample(name: "pg.up", value: 0, ts: Int64(i), labels: ["db": "gone"])])
            }
            checks.expect(lines.lines.count == 1)

            // A server that accepts and never answers costs the timeout once, then nothing for 30 s.
            let (fd, port) = TestSocket.listen()
            defer { close(fd) }
            let silent = PostgresProbe(config: DatabaseConfig(name: "silent", timeoutMs: 500),
                                       target: PostgresTarget(host: "127.0.0.1", port: port, user: "x"), log: .silent)
            let t0 = WallClock.monotonicNs()
            _ = silent.collect(nowMs: 1)
            let first = Double(WallClock.monotonicNs() - t0) / 1e6
            checks.expect(first >= 450, "the first look waits for the timeout: \(first) ms")
            checks.expect(silent.lastError?.contains("no answer within 500 ms") == true, silent.lastError ?? "")
            let t1 = WallClock.monotonicNs()
            for i in 0..<3 { checks.expect(silent.collect(nowMs: Int64(i)).samples.first?.value == 0) }
            let next = Double(WallClock.monotonicNs() - t1) / 1e6
            checks.expect(next < 400, "the next looks do not try again: \(next) ms for three")
            checks.expect(lines.lines.first?.contains("database gone: cannot connect to PostgreSQL at 127.0.0.1:1") == true, "\(lines.lines)")
        }
    }

    /// The agent binary as deployed: `--print` with a `databases:` entry carries the pg.* metrics.
    @Test func theAgentPrintsDatabaseMetrics() async throws {
        try await offPool { checks in
            let dir = TempDir()
            let config = dir.path + "/agent.yaml"
            try "databases:\n  - name: main\n    url_env: VIGIL_TEST_DB\n".write(toFile: config, atomically: true, encoding: .utf8)
            let agent = try Agent(config: try AgentConfig.load(path: config, explicit: true), log: .silent, persistent: false,
                                  environment: ["VIGIL_TEST_DB": Self.url!])
            let batch = agent.makeBatch()
            checks.expect(batch.samples.contains { $0.name == "pg.up" && $0.value == 1 && $0.labels["db"] == "main" })
            let decoded = try IngestDecoder().decode(Array(batch.json().utf8), nowMs: WallClock.nowMs())
            checks.expect(decoded.samples.filter { $0.name.hasPrefix("pg.") }.count == batch.samples.filter { $0.name.hasPrefix("pg.") }.count)
            do {
                _ = try Agent(config: try AgentConfig.load(path: config, explicit: true), log: .silent, persistent: false)
                checks.fail("an agent started without the database's url")
            } catch {
                checks.expect("\(error)" == "database main: url_env names VIGIL_TEST_DB, which is not set", "\(error)")
            }
        }
    }
}

/// The server `.ci/run` starts, and its streaming replica, when they are set.
enum TestDatabase {
    static let url: String? = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let replicaURL: String? = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_REPLICA_URL"].flatMap { $0.isEmpty ? nil : $0 }
}

/// A real streaming replica (`.ci/run` makes one with `pg_basebackup -R`): the probe says it is one, and its lag grows
/// while replay is paused and writes go on at the primary.
@Suite(.serialized, .enabled(if: TestDatabase.url != nil && TestDatabase.replicaURL != nil,
                             "VIGIL_TEST_POSTGRES_REPLICA_URL is not set (.ci/run starts a replica of the test server and sets it)"))
struct PostgresReplicaTests {
    @Test func aReplicaReportsItsLagAndThePrimaryItsReplicas() async throws {
        try await offPool { checks in
            let primaryTarget = try PostgresTarget.parse(TestDatabase.url!)
            let replicaTarget = try PostgresTarget.parse(TestDatabase.replicaURL!)
            let primary = PostgresProbe(config: DatabaseConfig(name: "primary"), target: primaryTarget, log: .silent)
            let replica = PostgresProbe(config: DatabaseConfig(name: "replica"), target: replicaTarget, log: .silent)
            let p = primary.collect(nowMs: 1).samples
            checks.expect(PostgresProbeTests.value(p, "pg.in_recovery") == 0 && (PostgresProbeTests.value(p, "pg.replicas") ?? 0) >= 1, "\(p)")
            checks.expect(PostgresProbeTests.value(p, "pg.replication.lag_seconds") == nil)
            let r = replica.collect(nowMs: 1).samples
            checks.expect(PostgresProbeTests.value(r, "pg.up") == 1 && PostgresProbeTests.value(r, "pg.in_recovery") == 1, "\(replica.lastError ?? "") \(r)")
            checks.expect(PostgresProbeTests.value(r, "pg.replicas") == nil)

            // A transaction replayed first (a replica that has replayed none since it started has no replay time), then
            // replay paused on the replica and writes at the primary: what arrives is not replayed, and the lag grows.
            let admin = try PostgresConnection(target: replicaTarget)
            let writer = try PostgresConnection(target: primaryTarget)
            _ = try writer.query("CREATE TABLE IF NOT EXISTS probe_lag (ts timestamptz); INSERT INTO probe_lag VALUES (now())")
            _ = JobFixture.eventually {
                (try? admin.query("SELECT pg_last_xact_replay_timestamp() IS NOT NULL").first?.rows.first?.first) == "t"
            }
            _ = try admin.query("SELECT pg_wal_replay_pause()")
            defer { _ = try? admin.query("SELECT pg_wal_replay_resume()") }
            _ = try writer.query("INSERT INTO probe_lag VALUES (now())")
            usleep(1_500_000)
            _ = try writer.query("INSERT INTO probe_lag VALUES (now())")
            usleep(1_000_000)
            let lagging = replica.collect(nowMs: 2).samples
            let lag = PostgresProbeTests.value(lagging, "pg.replication.lag_seconds") ?? -1
            checks.expect(lag >= 1, "lag while replay is paused: \(lag)")
            _ = try admin.query("SELECT pg_wal_replay_resume()")
            // Replay catches up within moments; a loaded machine gets up to 30 s.
            var caughtUp = -1.0
            _ = JobFixture.eventually {
                caughtUp = PostgresProbeTests.value(replica.collect(nowMs: 3).samples, "pg.replication.lag_seconds") ?? -1
                return caughtUp >= 0 && caughtUp < lag
            }
            checks.expect(caughtUp >= 0 && caughtUp < lag, "lag after replay resumed: \(caughtUp)")
            _ = try writer.query("DROP TABLE probe_lag")
        }
    }
}
