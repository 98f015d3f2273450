import Testing
import VigilWire
@testable import VigilAgentCore

/// The database probe's pure parts: URL parsing, SCRAM and MD5 against published vectors, message framing, and the
/// metrics two readings give.
@Suite struct PostgresWireTests {
    @Test func urlsParseAsLibpqReadsThem() throws {
        let t = try PostgresTarget.parse("postgres://mon:s%40cret@db-1.internal:6432/app?application_name=probe&sslmode=disable")
        #expect(t.host == "db-1.internal" && t.port == 6432 && t.user == "mon" && t.password == "s@cret")
        #expect(t.database == "app" && t.applicationName == "probe" && !t.isUnixSocket)
        let sock = try PostgresTarget.parse("postgresql://postgres@%2Fvar%2Frun%2Fpostgresql/postgres")
        #expect(sock.isUnixSocket && sock.socketPath == "/var/run/postgresql/.s.PGSQL.5432")
        let v6 = try PostgresTarget.parse("postgres://u@[::1]:5433")
        #expect(v6.host == "::1" && v6.port == 5433 && v6.database == "u" && v6.display == "[::1]:5433")
        let hostParam = try PostgresTarget.parse("postgres://u@/x?host=/tmp&port=55432")
        #expect(hostParam.socketPath == "/tmp/.s.PGSQL.55432")
    }

    @Test func badUrlsSayWhatIsWrongWithoutThePassword() {
        func message(_ url: String) -> String {
            do { _ = try PostgresTarget.parse(url); return "" } catch { return error.message }
        }
        #expect(message("mysql://u@h/db").contains("must start with postgres://"))
        #expect(message("postgres://h/db").contains("names no user"))
        #expect(message("postgres://u@h:99999/db").contains("port must be 1–65535"))
        #expect(message("postgres://u:topsecret@h/db?sslmode=require").contains("needs TLS"))
        #expect(!message("mysql://u:topsecret@h/db").contains("topsecret"))
        #expect(message("postgres://u@h/db?colour=red").contains("unknown parameter 'colour'"))
        #expect(PostgresTarget.redacted("postgres://u:topsecret@h/db") == "postgres://u:***@h/db")
    }

    /// RFC 7677's example exchange (user "user", password "pencil").
    @Test func scramMatchesTheRFC7677Example() throws {
        var c = SCRAMClient(password: "pencil", clientNonce: "rOprNGfwEbeRWgbNEkqO")
        #expect(c.firstMessage == "n,,n=,r=rOprNGfwEbeRWgbNEkqO")
        // The RFC's client-first names the user ("n=user"); PostgreSQL's has it empty. The AuthMessage differs, so the
        // proof is checked against one computed here from the RFC's formulas with "n=".
        let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        let final = try c.finalMessage(serverFirst: serverFirst)
        // With "n=user" the RFC's proof is dHzbZapW…; with "n=" (Python's hashlib and hmac agree) it is this one.
        #expect(final == "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=qvT2SWdEH5Q06albL+hjSYuUhCG7VndFyzIb7CK4n9k=")
        let salted = SCRAMClient.pbkdf2(password: Array("pencil".utf8), salt: Base64.decode("W22ZaJ0SNY7soEsUEjb6gQ==")!, iterations: 4096)
        // SaltedPassword from the RFC 7677 example, which does not depend on the user name.
        #expect(salted.hexString == "c4a49510323ab4f952cac1fa99441939e78ea74d6be81ddf7096e87513dc615d")
        let auth = Array("n=,r=rOprNGfwEbeRWgbNEkqO,\(serverFirst),c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".utf8)
        let serverKey = SHA256.hmac(key: salted, message: Array("Server Key".utf8))
        try c.verify(serverFinal: "v=" + Base64.encode(SHA256.hmac(key: serverKey, message: auth)))
        #expect(throws: AgentError.self) { try c.verify(serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=") }
        #expect(throws: AgentError.self) { try c.verify(serverFinal: "e=invalid-proof") }
        var other = SCRAMClient(password: "pencil", clientNonce: "abc")
        #expect(throws: AgentError.self) { _ = try other.finalMessage(serverFirst: "r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096") }
    }

    @Test func md5AndBase64MatchTheirVectors() {
        #expect(MD5.hash([]).hexString == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hash(Array("The quick brown fox jumps over the lazy dog".utf8)).hexString == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(MD5.hash(Array(String(repeating: "a", count: 1000).utf8)).hexString == "cabe45dcc9ae5b66ba86600cca6b8ba8")
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let e = Base64.encode(Array(s.utf8))
            #expect(Base64.decode(e) == Array(s.utf8))
        }
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy" && Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.decode("Zm9v!") == nil && Base64.decode("Zm9") == nil)
    }

    @Test func framesSplitAcrossReadsAndBadLengthsAreRefused() throws {
        var bytes: [UInt8] = []
        bytes += PostgresFrontend.message("T", [0, 1] + Array("n".utf8) + [0] + [UInt8](repeating: 0, count: 18))
        bytes += PostgresFrontend.message("D", [0, 2, 0, 0, 0, 2] + Array("42".utf8) + [0xFF, 0xFF, 0xFF, 0xFF])
        bytes += PostgresFrontend.message("E", Array("SERROR\0C42P01\0Mrelation \"x\" does not exist\0\0".utf8))
        var r = PostgresFrameReader()
        var got: [PostgresBackend] = []
        for b in bytes {
            r.append([b])
            while let m = try r.next() { got.append(m) }
        }
        #expect(got == [.rowDescription(columns: ["n"]), .dataRow(["42", nil]),
                        .error(PostgresServerError(severity: "ERROR", code: "42P01", message: "relation \"x\" does not exist"))])
        var bad = PostgresFrameReader()
        bad.append([UInt8(ascii: "D"), 0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: AgentError.self) { _ = try bad.next() }
        var truncated = PostgresFrameReader()
        truncated.append(PostgresFrontend.message("D", [0, 1, 0, 0, 0, 9, 65]))
        #expect(throws: AgentError.self) { _ = try truncated.next() }
    }

    @Test func twoReadingsGiveRatesRatiosAndLongQueries() {
        var a = PostgresReading()
        a.maxConnections = 100
        a.connections = ["active": 3, "idle": 5, "idle in transaction": 2]
        var db = PostgresReading.DatabaseCounters()
        db.commits = 1000; db.rollbacks = 10; db.inserted = 500; db.fetched = 2000; db.blocksHit = 900; db.blocksRead = 100
        db.sizeBytes = 8_000_000
        a.databases = ["app": db]
        a.monotonicNs = 1_000_000_000
        var b = a
        b.monotonicNs = 11_000_000_000
        b.databases["app"]!.commits = 1200
        b.databases["app"]!.rollbacks = 20
        b.databases["app"]!.inserted = 1500
        b.databases["app"]!.blocksHit = 1890
        b.databases["app"]!.blocksRead = 110
        b.databases["new"] = db   // appeared in between: no rate from it
        b.sessions = [.init(pid: 7, user: "app", datname: "app", state: "active", wait: "Lock:relation", queryMs: 45_000,
                            transactionMs: 46_000, query: "SELECT count(*) FROM orders"),
                      .init(pid: 8, user: "app", datname: "app", state: "idle in transaction", wait: "", queryMs: 0,
                            transactionMs: 700_000, query: "UPDATE t SET x = 1")]
        let s = b.samples(previous: a, name: "main", nowMs: 5, longQueryMs: 30_000)
        func v(_ n: String, _ labels: [String: String] = [:]) -> Double? {
            s.first { $0.name == n && $0.labels == labels.merging(["db": "main"]) { x, _ in x } }?.value
        }
        #expect(v("pg.connections.used_percent") == 10)
        #expect(v("pg.connections", ["state": "idle_in_transaction"]) == 2)
        #expect(v("pg.tps") == 21)
        #expect(v("pg.rows.inserted_per_sec") == 100)
        #expect(v("pg.cache.hit_percent") == 99)
        #expect(v("pg.size_bytes") == 16_000_000 && v("pg.database.size_bytes", ["database": "new"]) == 8_000_000)
        #expect(v("pg.query.longest_seconds") == 45 && v("pg.transaction.longest_seconds") == 700 && v("pg.queries.long") == 1)
        #expect(v("pg.replicas") == 0 && v("pg.replication.lag_seconds") == nil)
        // A statistics reset: no rates, the cumulative hit ratio.
        var reset = b
        reset.monotonicNs = 21_000_000_000
        reset.databases["app"]!.commits = 5
        let r = reset.samples(previous: b, name: "main", nowMs: 6, longQueryMs: 30_000)
        #expect(!r.contains { $0.name == "pg.tps" })
        #expect(r.contains { $0.name == "pg.cache.hit_percent" })
        let long = b.longQueries(name: "main", longQueryMs: 30_000, nowMs: 5)
        #expect(long.map(\.pid) == [8, 7])
        #expect(long[1].wait == "Lock:relation" && long[1].durationMs == 45_000 && long[0].state == "idle in transaction")
    }

    @Test func slowStatementsComeFromDeltas() {
        var before = PostgresStatements()
        before.counters["1/5/10"] = .init(calls: 100, totalMs: 1000, query: "SELECT fast", datname: "app", user: "u")
        before.counters["2/5/10"] = .init(calls: 10, totalMs: 10_000, query: "SELECT slow", datname: "app", user: "u")
        var now = before
        now.counters["1/5/10"]!.calls = 200; now.counters["1/5/10"]!.totalMs = 2000
        now.counters["2/5/10"]!.calls = 12; now.counters["2/5/10"]!.totalMs = 13_000
        now.counters["3/5/10"] = .init(calls: 1, totalMs: 90_000, query: "SELECT new", datname: "app", user: "u")
        let slow = now.slow(since: before, name: "main", slowMs: 500, nowMs: 1)
        #expect(slow.map(\.query) == ["SELECT new", "SELECT slow"])
        #expect(slow.last?.query == "SELECT slow" && slow.last?.calls == 2 && slow.last?.durationMs == 1500 && slow.last?.kind == .statement)
    }

    @Test func configEntriesAreCheckedWhereTheyAre() throws {
        let ok = try AgentConfig.parse("""
            databases:
              - name: main
                url: postgres://monitor@127.0.0.1:5432/postgres
                password_env: PGMON_PASSWORD
                long_query: 1m
              - name: replica
                url_env: REPLICA_URL
            """, file: "a.yaml")
        #expect(ok.databases.map(\.name) == ["main", "replica"] && ok.databases[0].longQueryMs == 60_000)
        #expect(ok.environmentNames.contains("PGMON_PASSWORD") && ok.environmentNames.contains("REPLICA_URL"))
        let t = try ok.databases[0].target(environment: ["PGMON_PASSWORD": "pw"])
        #expect(t.password == "pw" && t.user == "monitor")
        #expect(throws: AgentError("database replica: url_env names REPLICA_URL, which is not set")) {
            _ = try ok.databases[1].target(environment: [:])
        }
        func message(_ yaml: String) -> String {
            do { _ = try AgentConfig.parse(yaml, file: "a.yaml"); return "" } catch { return error.message }
        }
        #expect(message("databases:\n  - name: x\n    url: mysql://a@b/c\n").hasPrefix("a.yaml:3:10: a database url must start with postgres://"))
        #expect(message("databases:\n  - url: postgres://a@b/c\n").contains("needs a name"))
        #expect(message("databases:\n  - name: x\n").contains("exactly one of url and url_env"))
        #expect(message("databases:\n  - name: x\n    url: postgres://a@b/c\n  - name: x\n    url: postgres://a@b/c\n").contains("duplicate database name 'x'"))
        #expect(message("databases:\n  - name: x\n    url: postgres://a@b/c\n    colour: red\n").contains("unknown key 'colour' in a databases entry"))
    }
}
