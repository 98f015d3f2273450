import Foundation
import Testing
import VigilHTTP
import VigilCore
import VigilWire

private let tmuxPath: String? = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// The real `vigil` binary in a real terminal (tmux), read back with capture-pane, driven with send-keys.
@Suite(.serialized, .enabled(if: tmuxPath != nil, "tmux is not installed: the console end-to-end test is skipped (apt-get install tmux; .ci/run installs it)"))
struct ConsoleTmuxTests {
    final class Session: @unchecked Sendable {
        let socket = "vigil-test-\(UUID().uuidString.prefix(8))"
        let name = "console"

        @discardableResult
        func tmux(_ args: [String]) throws -> String {
            try spawnAndWait([tmuxPath!, "-L", socket] + args).output
        }

        func screen() -> String { (try? tmux(["capture-pane", "-p", "-t", name])) ?? "" }
        func keys(_ k: String...) throws { try tmux(["send-keys", "-t", name] + k) }
        var alive: Bool {
            ((try? spawnAndWait([tmuxPath!, "-L", socket, "has-session", "-t", name]))?.status ?? 1) == 0
        }

        deinit { _ = try? tmux(["kill-server"]) }
    }

    func waitFor(_ s: Session, _ seconds: Double = 20, _ what: (String) -> Bool) async -> Bool {
        await eventually(seconds) { what(s.screen()) }
    }

    @Test func dashboardFilterHelpAndQuit() async throws {
        let dir = TempDir()
        let db = dir.file("demo.db")
        let demo = try Child(Binaries.path("vigil"), ["demo", "--db", db, "--hosts", "20", "--days", "1"])
        await demo.finished()
        #expect(demo.process.terminationStatus == 0, "\(demo.text)")

        let s = Session()
        let command = "LANG=C.UTF-8 TERM=xterm-256color \(Binaries.path("vigil")) --db \(db) --listen 127.0.0.1:0 --no-local-collector"
        try s.tmux(["new-session", "-d", "-x", "160", "-y", "48", "-s", s.name, command])
        #expect(await waitFor(s) { $0.contains("web-1") && $0.contains("db-2") }, "screen:\n\(s.screen())")
        let first = s.screen()
        #expect(first.contains("20 hosts"), "fleet summary line:\n\(first)")
        #expect(first.contains("(demo)"), "the status line says it is a demo:\n\(first)")
        #expect(first.contains("web-3"))
        #expect(first.contains("sqlite \(db)"), "status line names the store")

        // `/` filter to one host.
        try s.keys("/")
        try s.keys("-l", "web-3")
        try s.keys("Enter")
        #expect(await waitFor(s, 5) { $0.contains("web-3") && !$0.contains("web-1 ") && !$0.contains("db-2") }, "filtered:\n\(s.screen())")

        // `?` help lists the keys.
        try s.keys("Escape")
        try s.keys("?")
        #expect(await waitFor(s, 5) { $0.lowercased().contains("help") && $0.contains("quit") && $0.contains("filter") }, "help:\n\(s.screen())")
        try s.keys("Escape")
        #expect(await waitFor(s, 5) { $0.contains("db-2") }, "back to the full table:\n\(s.screen())")

        // `q` quits and the session ends with the process.
        try s.keys("q")
        #expect(await eventually(10) { !s.alive }, "vigil did not exit on q:\n\(s.screen())")
    }

    /// The README's two-command demo, left alone for two minutes: the engine keeps the demo hosts reporting and
    /// the planted incidents unfold one after another.
    @Test func demoStaysAliveAndItsIncidentsUnfold() async throws {
        let dir = TempDir()
        let db = dir.file("demo.db")
        let demo = try Child(Binaries.path("vigil"), ["demo", "--db", db, "--days", "1"])
        await demo.finished()
        #expect(demo.process.terminationStatus == 0, "\(demo.text)")
        let s = Session()
        try s.tmux(["new-session", "-d", "-x", "160", "-y", "48", "-s", s.name,
                    "LANG=C.UTF-8 TERM=xterm-256color \(Binaries.path("vigil")) --db \(db) --listen 127.0.0.1:0"])
        #expect(await waitFor(s) { $0.contains("web-3") }, "screen:\n\(s.screen())")
        try await Task.sleep(for: .seconds(125))
        let dashboard = s.screen()
        let summary = try #require(dashboard.firstMatch(of: /(\d+) hosts\s+(\d+) up/), "summary line:\n\(dashboard)")
        let (total, up) = (Int(summary.1)!, Int(summary.2)!)
        #expect(total >= 24 && up >= total - 3, "most hosts keep reporting:\n\(dashboard)")
        try s.keys("A")
        #expect(await waitFor(s, 10) { $0.contains("› alerts") }, "alerts:\n\(s.screen())")
        let planted = ["web-3", "worker-4", "db-2", "worker-2", "cache-1", "api-2", "lb-2"]
        func active(_ screen: String) -> [String] {
            planted.filter { host in
                screen.split(separator: "\n").contains { $0.contains(host) && ($0.contains("firing") || $0.contains("pending")) }
            }
        }
        _ = await waitFor(s, 30) { active($0).count >= 5 }
        let alerts = s.screen()
        let active = active(alerts)
        #expect(active.count >= 5, "at least five planted incidents firing or pending after two minutes, got \(active):\n\(alerts)")
        try s.keys("q")
        try s.keys("q")
    }

    /// The console installed by deploy/install.sh, run far from the source tree with an empty HOME: it renders with
    /// its built-in theme, and the other built-in themes are there too.
    @Test func installedConsoleRendersWithItsBuiltInTheme() async throws {
        let dir = TempDir()
        let stage = dir.file("stage")
        let install = try await InstallTests.install(into: stage)
        #expect(install.status == 0, "\(install.text)")
        let env = InstallTests.bareEnvironment(dir)
        let empty = dir.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        for theme in ["default", "light"] {
            let s = Session()
            let vars = env.map { "\($0.key)='\($0.value)'" }.sorted().joined(separator: " ")
            try s.tmux(["new-session", "-d", "-x", "120", "-y", "30", "-s", s.name, "-c", empty,
                        "env \(vars) LANG=C.UTF-8 TERM=xterm-256color \(stage)/usr/bin/vigil --db \(dir.file("v.db")) --listen 127.0.0.1:0 --theme \(theme)"])
            #expect(await waitFor(s) { $0.contains("Hosts (") && $0.contains("(admin)") }, "console (\(theme)):\n\(s.screen())")
            let screen = s.screen()
            #expect(!screen.contains("theme"), "no theme error on the status line (\(theme)):\n\(screen)")
            #expect(!screen.contains("warning"), "no rule warning: the built-in rules are in force:\n\(screen)")
            try s.keys("q")
            #expect(await eventually(10) { !s.alive }, "vigil did not exit on q:\n\(s.screen())")
        }
    }

    @Test func remediateAFiringAlertOnTheLocalHostWithADryRun() async throws {
        let dir = TempDir()
        // A rule that fires at once on this machine's own disk, which the console collects and runs jobs for.
        let rules = dir.file("rules")
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        try """
        groups:
          - name: test
            interval: 1s
            rules:
              - alert: DiskSpaceLow
                kind: threshold
                expr:
                  metric: disk.used_percent
                  op: ">"
                  threshold: 0
                severity: warning
                annotations:
                  summary: disk filling up
        """.write(toFile: rules + "/disk.yaml", atomically: true, encoding: .utf8)
        let s = Session()
        let command = "LANG=C.UTF-8 TERM=xterm-256color VIGIL_RUNBOOKS=\(dir.file("none")) \(Binaries.path("vigil")) --db \(dir.file("v.db")) "
            + "--listen 127.0.0.1:0 --rules \(rules)"
        try s.tmux(["new-session", "-d", "-x", "160", "-y", "48", "-s", s.name, command])
        try await Task.sleep(for: .seconds(1))
        try s.keys("A")
        #expect(await waitFor(s, 30) { $0.contains("DiskSpaceLow") && $0.contains("firing") }, "alerts:\n\(s.screen())")

        // r: diagnosis, the proposed runbook with its parameters, every safety check, the exact steps.
        try s.keys("r")
        #expect(await waitFor(s) { $0.contains("Safety · allowed") && $0.contains("vigil-step disk-usage --path") }, "plan:\n\(s.screen())")
        let plan = s.screen()
        for part in ["Diagnosis · heuristic", "Runbook disk_cleanup · medium risk", "older_than_days", "reachable", "cooldown", "3. verify",
                     "d dry run"] {
            #expect(plan.contains(part), "missing '\(part)':\n\(plan)")
        }

        // d: a dry run on the host's agent (the console's own): its output streams in, nothing changes.
        try s.keys("d")
        #expect(await waitFor(s, 60) { $0.contains("Dry-run output · succeeded") }, "dry run:\n\(s.screen())")
        let out = s.screen()
        // The output follows its tail (the cleanup step may list many files under /tmp): look at the last steps.
        for part in ["disk-cleanup: would remove", "✓ exit 0", "= succeeded: dry run", "dry run: nothing was changed", "recorded in the audit log"] {
            #expect(out.contains(part), "missing '\(part)':\n\(out)")
        }

        // Esc goes back to the alerts.
        try s.keys("Escape")
        #expect(await waitFor(s, 5) { $0.split(separator: "\n").first?.contains("› remediate") == false && $0.contains("DiskSpaceLow") }, "back:\n\(s.screen())")
        try s.keys("q")
        try s.keys("q")
        #expect(await eventually(10) { !s.alive }, "vigil did not exit:\n\(s.screen())")
    }

    /// `:db` in the real binary at 160×48 and 80×24: a probed PostgreSQL server's row, then its queries.
    @Test func databasesPaneAndAServersQueries() async throws {
        let dir = TempDir()
        let db = dir.file("v.db")
        do {
            let store = try SQLiteStore(path: db)
            let now = WallClock.nowMs()
            for i in 0..<6 {
                let ts = now - Int64(5 - i) * 20_000
                let values: [String: Double] = ["pg.up": 1, "pg.in_recovery": 0, "pg.replicas": 0, "pg.connections.total": 181,
                                                "pg.connections.max": 200, "pg.connections.used_percent": 90.5, "pg.tps": 510,
                                                "pg.cache.hit_percent": 99.2, "pg.locks.waiting": 1, "pg.query.longest_seconds": 45]
                var b = IngestBatch(host: "db-1", samples: values.map { Sample(name: $0.key, value: $0.value, ts: ts, labels: ["db": "main"]) })
                if i == 5 {
                    b.dbQueries = [DatabaseQuery(database: "main", kind: .active, datname: "shop", user: "web", pid: 4242, state: "active",
                                                 wait: "Lock:relation, blocked by 4100", durationMs: 45_000, transactionMs: 45_500,
                                                 query: "UPDATE stock SET n = n - 1 WHERE sku = 'A-17'", ts: ts)]
                }
                _ = try await store.ingest(b, receivedAt: ts)
            }
        }
        for (width, height) in [(160, 48), (80, 24)] {
            let s = Session()
            let command = "LANG=C.UTF-8 TERM=xterm-256color \(Binaries.path("vigil")) --db \(db) --listen 127.0.0.1:0 --no-local-collector"
            try s.tmux(["new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", s.name, command])
            #expect(await waitFor(s) { $0.contains("db-1") }, "console:\n\(s.screen())")
            try s.keys(":")
            try s.keys("-l", "db")
            try s.keys("Enter")
            #expect(await waitFor(s, 10) { $0.contains("PostgreSQL (1)") && $0.contains("181/200") && $0.contains("510") },
                    "\(width)×\(height) databases:\n\(s.screen())")
            try s.keys("Enter")
            #expect(await waitFor(s, 10) { $0.contains("1 running long now") && $0.contains("UPDATE stock") && $0.contains("blocked by 4100") },
                    "\(width)×\(height) queries:\n\(s.screen())")
            try s.keys("Escape")
            #expect(await waitFor(s, 5) { $0.contains("PostgreSQL (1)") }, "Esc goes back:\n\(s.screen())")
            try s.keys("Escape")
            #expect(await waitFor(s, 5) { $0.contains("HEALTH") }, "and back to the hosts:\n\(s.screen())")
            try s.keys("q")
            #expect(await eventually(10) { !s.alive }, "vigil did not exit on q:\n\(s.screen())")
        }
    }

    /// `:sla` in the real binary: a check that failed, its availability, budget and burn; `t` for the next window.
    @Test func slaPaneShowsAvailabilityAndBudgets() async throws {
        let dir = TempDir()
        let db = dir.file("v.db")
        do {
            let store = try SQLiteStore(path: db)
            let now = WallClock.nowMs()
            let checks = (0..<120).map { i -> CheckResult in
                let ts = now - Int64(119 - i) * 60_000
                return CheckResult(name: "checkout", kind: .http, target: "http://x", ok: !(ts >= now - 20 * 60_000 && ts < now - 10 * 60_000),
                                   latencyMs: 3, detail: "", ts: ts)
            }
            _ = try await store.ingest(IngestBatch(host: "web-1", checks: checks), receivedAt: now)
        }
        let s = Session()
        let command = "LANG=C.UTF-8 TERM=xterm-256color \(Binaries.path("vigil")) --db \(db) --listen 127.0.0.1:0 --no-local-collector"
        try s.tmux(["new-session", "-d", "-x", "120", "-y", "30", "-s", s.name, command])
        #expect(await waitFor(s) { $0.contains("web-1") }, "console:\n\(s.screen())")
        try s.keys(":")
        try s.keys("-l", "sla")
        try s.keys("Enter")
        // 10 of 119 known minutes down: 91.597 %, rising a little as the seconds since the last check count as known (a
        // slow run, under the sanitizer, measures a minute or two later); the last hour 10 of 60: a burn of 166.7× at 99.9 %.
        let availability = #"91\.(59\d|[67]\d\d)%"#
        #expect(await waitFor(s, 10) { $0.contains("checks over 7d") && $0.contains("checkout") && $0.range(of: availability, options: .regularExpression) != nil
                                        && $0.contains("166.7×") && $0.contains("1 check · 1 missing its objective") },
                "sla:\n\(s.screen())")
        try s.keys("t")
        #expect(await waitFor(s, 10) { $0.contains("checks over 30d") && $0.range(of: availability, options: .regularExpression) != nil }, "30d:\n\(s.screen())")
        try s.keys("Escape")
        #expect(await waitFor(s, 5) { $0.contains("HEALTH") }, "back to the hosts:\n\(s.screen())")
        try s.keys("q")
        #expect(await eventually(10) { !s.alive }, "vigil did not exit on q:\n\(s.screen())")
    }

    /// `:topology` (and `T`) in the real binary at 160×48 and 80×24: hosts found from their agents' connections, drawn
    /// as boxes with arrows; a node moved with `m` and the arrows stays where it was put after a restart (the pin is in
    /// the user's state directory).
    @Test func topologyPaneDrawsMovesAndPins() async throws {
        let dir = TempDir()
        let db = dir.file("v.db")
        do {
            let store = try SQLiteStore(path: db)
            let now = WallClock.nowMs()
            var web = IngestBatch(host: "web-1", labels: ["address": "10.0.0.5"])
            web.connections = [ConnectionRecord(direction: .outbound, process: "php-fpm", localAddr: "10.0.0.5", remoteAddr: "10.0.0.7", remotePort: 5432)]
            var db1 = IngestBatch(host: "db-1", labels: ["address": "10.0.0.7"])
            db1.connections = [ConnectionRecord(direction: .inbound, process: "postgres", localAddr: "10.0.0.7", localPort: 5432, remoteAddr: "10.0.0.5")]
            for t in [now - 60_000, now] {
                _ = try await store.ingest(web, receivedAt: t)
                _ = try await store.ingest(db1, receivedAt: t)
            }
            _ = try await store.ingest(IngestBatch(host: "lb-1", samples: [Sample(name: "up", value: 1, ts: now)]), receivedAt: now)
        }
        for (width, height) in [(160, 48), (80, 24)] {
            let state = dir.file("state-\(width)")
            func start() throws -> Session {
                let s = Session()
                let command = "LANG=C.UTF-8 TERM=xterm-256color XDG_STATE_HOME=\(state) \(Binaries.path("vigil")) --db \(db) --listen 127.0.0.1:0 --no-local-collector"
                try s.tmux(["new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", s.name, command])
                return s
            }
            var s = try start()
            #expect(await waitFor(s) { $0.contains("web-1") }, "console:\n\(s.screen())")
            try s.keys("T")
            #expect(await waitFor(s, 10) { $0.contains("Topology · layered") && $0.contains("3 nodes · 1 link") && $0.contains("▼") },
                    "\(width)×\(height) topology:\n\(s.screen())")
            // db-1 is selected first (the first by name), with a heavy border.
            func place(_ screen: String) -> (row: Int, column: Int)? {
                let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
                guard let row = lines.firstIndex(where: { $0.contains("┃ db-1 ┃") }), let r = lines[row].range(of: "┃ db-1 ┃") else { return nil }
                return (row, lines[row].distance(from: lines[row].startIndex, to: r.lowerBound))
            }
            let before = try #require(place(s.screen()), "db-1 selected with a heavy border:\n\(s.screen())")
            try s.keys("m")
            #expect(await waitFor(s, 5) { $0.contains("MOVING") }, "\(s.screen())")
            for _ in 0..<3 { try s.keys("l") }
            try s.keys("Enter")
            #expect(await waitFor(s, 5) { !$0.contains("MOVING") && $0.contains("pinned") }, "\(s.screen())")
            let after = try #require(place(s.screen()), "\(s.screen())")
            #expect(after.row == before.row && after.column == before.column + 6, "moved six columns right:\n\(s.screen())")
            let pins = try String(contentsOfFile: state + "/vigil/topology-pins.json", encoding: .utf8)
            #expect(pins.contains("db-1"), "\(pins)")
            try s.keys("q")
            try s.keys("q")
            #expect(await eventually(10) { !s.alive }, "vigil did not exit:\n\(s.screen())")
            // Again: the pin holds.
            s = try start()
            #expect(await waitFor(s) { $0.contains("web-1") })
            try s.keys(":")
            try s.keys("-l", "topology")
            try s.keys("Enter")
            #expect(await waitFor(s, 10) { screen in place(screen).map { $0 == after } == true && screen.contains("pinned") },
                    "after a restart:\n\(s.screen())")
            try s.keys("q")
            try s.keys("q")
            #expect(await eventually(10) { !s.alive })
        }
    }

    @Test func tooSmallTerminalSaysSo() async throws {
        let dir = TempDir()
        let s = Session()
        let command = "LANG=C.UTF-8 \(Binaries.path("vigil")) --db \(dir.file("v.db")) --listen 127.0.0.1:0 --no-local-collector"
        try s.tmux(["new-session", "-d", "-x", "40", "-y", "8", "-s", s.name, command])
        #expect(await waitFor(s) { $0.contains("too small") }, "screen:\n\(s.screen())")
        let resized = try s.tmux(["resize-window", "-t", s.name, "-x", "150", "-y", "40"])
        #expect(await waitFor(s, 10) { !$0.contains("too small") && $0.contains("hosts") }, "after resize (\(resized)):\n\(s.screen())")
        try s.keys("q")
        #expect(await eventually(10) { !s.alive })
    }

    @Test func attachesWhenServeHoldsTheStoreAndReadsConfig() async throws {
        let dir = TempDir()
        let db = dir.file("v.db")
        let port = freePort()
        let serve = try await startServe(db: db, port: port)
        defer { serve.stopInBackground() }
        // The lease is taken within a moment of the listener starting (a loaded machine may take longer).
        let store = try SQLiteStore(path: db)
        #expect(await eventually(30) { (try? await store.currentLease(now: WallClock.nowMs()))?.pid == Int(serve.process.processIdentifier) })
        let config = dir.file("config.yaml")
        try "db: \(db)\ntheme: high-contrast\nlocal_collector: false\n".write(toFile: config, atomically: true, encoding: .utf8)
        let s = Session()
        try s.tmux(["new-session", "-d", "-x", "160", "-y", "40", "-s", s.name, "LANG=C.UTF-8 \(Binaries.path("vigil")) --config \(config)"])
        #expect(await waitFor(s) { $0.contains("attached to engine pid \(serve.process.processIdentifier)") }, "screen:\n\(s.screen())")
        #expect(s.screen().contains("sqlite \(db)"), "the store comes from the config file")
        try s.keys("q")
        #expect(await eventually(10) { !s.alive })
    }

    /// `vigil serve` stops while a console is attached to it: the console takes over the engine (the lease, the
    /// listener on the same address, the rules) once the lease has been free for 10 s, instead of showing a fleet nobody
    /// evaluates. SIGKILL leaves the lease to expire (15 s) and then goes the same way; SIGTERM releases it at once.
    @Test func anAttachedConsoleTakesOverWhenServeStops() async throws {
        let dir = TempDir()
        let db = dir.file("v.db")
        let port = freePort()
        let serve = try await startServe(db: db, port: port)
        defer { serve.stopInBackground() }
        let store = try SQLiteStore(path: db)
        #expect(await eventually(10) { (try? await store.currentLease(now: WallClock.nowMs()))?.pid == Int(serve.process.processIdentifier) })
        let s = Session()
        try s.tmux(["new-session", "-d", "-x", "160", "-y", "40", "-s", s.name,
                    "LANG=C.UTF-8 \(Binaries.path("vigil")) --db \(db) --listen 127.0.0.1:\(port) --no-local-collector --refresh 0.5"])
        #expect(await waitFor(s) { $0.contains("attached to engine pid \(serve.process.processIdentifier)") }, "screen:\n\(s.screen())")
        await serve.stopped()
        // Once the lease has been free for 10 s (no other serve took it).
        #expect(await waitFor(s, 45) { $0.contains("listening 127.0.0.1:\(port)") }, "screen:\n\(s.screen())")
        let lease = try #require(try await store.currentLease(now: WallClock.nowMs()), "the console holds the lease")
        #expect(lease.pid != Int(serve.process.processIdentifier) && lease.listen == "127.0.0.1:\(port)")
        // Agents reach it at the address they had, and the rules pane shows this engine leading.
        let health = try await offPool { try HTTPClient().perform(HTTPRequest(url: "http://127.0.0.1:\(port)/healthz", timeoutMs: 30_000)) }
        #expect(health.status == 200)
        try s.keys(":", "rules", "Enter")
        #expect(await waitFor(s) { $0.contains("leader") && !$0.contains("rules are evaluated by the engine that holds the store") }, "screen:\n\(s.screen())")
        try s.keys("Escape")
        try await Task.sleep(for: .milliseconds(200))
        try s.keys("q")
        #expect(await eventually(10) { !s.alive })
        #expect(await eventually(10) { (try? await store.currentLease(now: WallClock.nowMs())) == nil }, "the console gave the lease back on quit")
    }

    @Test func aTakenPortStillCollectsAndEvaluates() async throws {
        let dir = TempDir()
        let squatter = RawServer { c in close(c) }
        let s = Session()
        let command = "LANG=C.UTF-8 \(Binaries.path("vigil")) --db \(dir.file("v.db")) --listen 127.0.0.1:\(squatter.port)"
        try s.tmux(["new-session", "-d", "-x", "160", "-y", "30", "-s", s.name, command])
        #expect(await waitFor(s) { $0.contains("listener off") && $0.contains("address in use") }, "screen:\n\(s.screen())")
        // The built-in collector still runs: this machine shows up with a CPU figure.
        #expect(await waitFor(s) { $0.contains("1 host ") && $0.contains("role=ops-box") }, "screen:\n\(s.screen())")
        try s.keys("q")
        #expect(await eventually(10) { !s.alive })
    }
}
