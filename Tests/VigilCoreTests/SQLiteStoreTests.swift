import Foundation
import Testing
@testable import VigilCore
import VigilWire

@Suite struct SQLiteStoreTests {
    let now = WallClock.nowMs()

    @Test(arguments: Backend.available) func ingestThenReadFromHeadAndFromChunksAfterCompaction(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        for i in 0..<300 {
            let b = IngestBatch(host: "web-1", labels: ["role": "web"], samples: [
                Sample(name: "cpu.usage_percent", value: Double(i % 100), ts: now - Int64(300 - i) * 1000),
                Sample(name: "disk.used_percent", value: 50 + Double(i) / 10, ts: now - Int64(300 - i) * 1000, labels: ["mount": "/"]),
            ])
            _ = try await store.ingest(b, receivedAt: now - Int64(300 - i) * 1000)
        }
        let key = SeriesKey(host: "web-1", name: "disk.used_percent", labels: ["mount": "/"])
        let before = try await store.points(key, from: now - 400_000, to: now)
        #expect(before.count == 300)
        #expect(before.first?.value == 50)

        let report = try await store.compact(olderThan: now - 100_000)
        #expect(report.segments == 200)
        #expect(report.samples == 400)
        let after = try await store.points(key, from: now - 400_000, to: now)
        #expect(after == before)

        // The newest segment stays a segment (segment ids never go back; the head's feed relies on it).
        let all = try await store.compact(olderThan: now + 1)
        #expect(all.segments == 99)
        let stats = try await store.stats()
        #expect(stats.headSegments == 1)
        #expect(stats.samplesInChunks == 598)
        // 300 samples per series → chunks of at most 120: 3 per series.
        #expect(stats.chunks == 6)
        #expect(try await store.points(key, from: now - 400_000, to: now) == before)
        // A window in the middle.
        let mid = try await store.points(key, from: now - 200_000, to: now - 100_000)
        #expect(mid.count == 101)
        #expect(mid.allSatisfy { $0.ts >= now - 200_000 && $0.ts <= now - 100_000 })
    }

    @Test(arguments: Backend.available) func concurrentIngestsAreAllCommittedAndSurviveReopen(_ backend: Backend) async throws {
        let dir = TempDir()
        do {
            let store = try await backend.open(dir)
            try await withThrowingTaskGroup(of: IngestCounts.self) { group in
                for h in 0..<20 {
                    for k in 0..<10 {
                        group.addTask {
                            let samples = (0..<50).map { Sample(name: "m\($0 % 5)", value: Double(k), ts: self.now - Int64(k * 1000 + $0), labels: ["i": "\($0 % 2)"]) }
                            return try await store.ingest(IngestBatch(host: "h\(h)", samples: samples), receivedAt: self.now)
                        }
                    }
                }
                var total = 0
                for try await c in group { total += c.samples }
                #expect(total == 20 * 10 * 50)
            }
        }
        let reopened = try await backend.open(dir)
        let stats = try await reopened.stats()
        #expect(stats.hosts == 20)
        #expect(stats.series == 20 * 10)
        let pts = try await reopened.points(SeriesKey(host: "h7", name: "m3", labels: ["i": "1"]), from: 0, to: now)
        #expect(pts.count == 5 * 10)
    }

    /// The listener leaves plain label objects as the bytes the agent sent; the writer looks series up by those bytes.
    /// Other spellings of the same labels (key order, spacing) and escaped labels land in the same series, before and
    /// after the writer has cached them.
    @Test(arguments: Backend.available) func labelsLeftAsSentLandInTheirCanonicalSeries(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let decoder = IngestDecoder(keepsPlainLabelsRaw: true)
        let spellings = [#"{"mount":"/var","dev":"sda1"}"#, #"{ "dev" : "sda1", "mount" : "/var" }"#, #"{"dev":"sda1","mount":"\/var"}"#]
        var ts = now - 60_000
        for round in 0..<2 {
            for labels in spellings + [#"{"dev":"sda2","mount":"/var"}"#, #"{}"#] {
                ts += 1000
                let body = #"{"host":"db-1","samples":[{"name":"disk.used_percent","value":\#(round),"ts":\#(ts),"labels":\#(labels)}]}"#
                let batch = try decoder.decode(Array(body.utf8), nowMs: now)
                _ = try await store.ingest(batch, receivedAt: ts)
            }
        }
        let keys = try await store.seriesKeys(metrics: ["disk.used_percent"]).filter { $0.host == "db-1" }
        #expect(Set(keys) == [SeriesKey(host: "db-1", name: "disk.used_percent", labels: ["mount": "/var", "dev": "sda1"]),
                              SeriesKey(host: "db-1", name: "disk.used_percent", labels: ["mount": "/var", "dev": "sda2"]),
                              SeriesKey(host: "db-1", name: "disk.used_percent")])
        let sda1 = SeriesKey(host: "db-1", name: "disk.used_percent", labels: ["mount": "/var", "dev": "sda1"])
        #expect(try await store.points(sda1, from: 0, to: now).count == 6)
        #expect(try await store.points(SeriesKey(host: "db-1", name: "disk.used_percent"), from: 0, to: now).count == 2)
    }

    @Test(arguments: Backend.available) func laterArrivalWinsForTheSameTimestamp(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        _ = try await store.ingest(.simple(host: "a", at: now - 5000, cpu: 1), receivedAt: now - 5000)
        _ = try await store.ingest(.simple(host: "a", at: now - 5000, cpu: 2), receivedAt: now - 4000)
        _ = try await store.compact(olderThan: now)
        let pts = try await store.points(SeriesKey(host: "a", name: "cpu.usage_percent"), from: 0, to: now)
        #expect(pts == [SeriesPoint(ts: now - 5000, value: 2)])
    }

    /// The anomaly scanner's restore reads the chunks and the head segments apart (`PointSource`); merged they are
    /// what one read of both gives, a later arrival in a segment winning over the chunk's point.
    @Test(arguments: Backend.available) func pointsReadInTwoPartsMergeAsOneRead(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let key = SeriesKey(host: "a", name: "cpu.usage_percent")
        _ = try await store.ingest(.simple(host: "a", at: now - 9000, cpu: 1), receivedAt: now - 9000)
        _ = try await store.ingest(.simple(host: "a", at: now - 5000, cpu: 1), receivedAt: now - 5000)
        _ = try await store.ingest(.simple(host: "b", at: now - 4800, cpu: 7), receivedAt: now - 4800)
        _ = try await store.compact(olderThan: now)
        _ = try await store.ingest(.simple(host: "a", at: now - 5000, cpu: 2), receivedAt: now - 4000)
        _ = try await store.ingest(.simple(host: "a", at: now - 3000, cpu: 3), receivedAt: now - 3000)

        let read = { (source: PointSource) in try await store.points([key], from: 0, to: now, source: source)[key] ?? [] }
        let chunks = try await read(.chunks), segments = try await read(.segments), all = try await read(.all)
        #expect(chunks == [SeriesPoint(ts: now - 9000, value: 1), SeriesPoint(ts: now - 5000, value: 1)])
        #expect(segments == [SeriesPoint(ts: now - 5000, value: 2), SeriesPoint(ts: now - 3000, value: 3)])
        #expect(all == [SeriesPoint(ts: now - 9000, value: 1), SeriesPoint(ts: now - 5000, value: 2), SeriesPoint(ts: now - 3000, value: 3)])
        #expect(PointAccumulator.merge(chunks, segments) == all)
        #expect(PointAccumulator.merge([], segments) == segments)
        #expect(try await store.points([SeriesKey(host: "b", name: "cpu.usage_percent")], from: 0, to: now, source: .chunks).isEmpty)
    }

    /// The dashboard's latest check results follow results added after the first read (SQLite reads only those),
    /// new checks and new hosts included.
    @Test(arguments: Backend.available) func fleetChecksFollowNewResults(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        func report(_ host: String, _ checks: [(String, Bool)], at t: Int64) async throws {
            var b = IngestBatch.simple(host: host, at: t)
            b.checks = checks.map { CheckResult(name: $0.0, kind: .tcp, target: "x:1", ok: $0.1, latencyMs: 1, ts: t) }
            _ = try await store.ingest(b, receivedAt: t)
        }
        func failing() async throws -> [String: String] {
            Dictionary(uniqueKeysWithValues: try await store.fleetSnapshot(now: now, metrics: false).hosts.map { ($0.name, "\($0.checksFailing)/\($0.checksTotal)") })
        }
        try await report("db-1", [("pg", true), ("disk", true)], at: now - 5000)
        #expect(try await failing() == ["db-1": "0/2"])
        try await report("db-1", [("pg", false)], at: now - 4000)
        try await report("web-1", [("http", false)], at: now - 4000)
        #expect(try await failing() == ["db-1": "1/2", "web-1": "1/1"])
        try await report("db-1", [("pg", true), ("backup", false)], at: now - 3000)
        try await report("web-1", [("http", true)], at: now - 3000)
        #expect(try await failing() == ["db-1": "1/3", "web-1": "0/1"])
    }

    @Test(arguments: Backend.available) func fleetSnapshotAndHostDetail(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        var b = IngestBatch(host: "db-1", agent: AgentInfo(version: "0.1.0", os: "Debian", kernel: "6.1", arch: "x86_64", cpus: 4, memory: 1 << 34),
                            labels: ["role": "db"])
        b.samples = [
            Sample(name: "cpu.usage_percent", value: 95, ts: now - 1000),
            Sample(name: "mem.used_percent", value: 40, ts: now - 1000),
            Sample(name: "disk.used_percent", value: 60, ts: now - 1000, labels: ["mount": "/"]),
            Sample(name: "disk.used_percent", value: 92, ts: now - 1000, labels: ["mount": "/var/lib/postgresql"]),
            Sample(name: "load.1", value: 2, ts: now - 1000),
        ]
        b.checks = [CheckResult(name: "pg", kind: .tcp, target: "db-1:5432", ok: true, latencyMs: 1, ts: now - 3000),
                    CheckResult(name: "pg", kind: .tcp, target: "db-1:5432", ok: false, latencyMs: 1, detail: "refused", ts: now - 2000),
                    CheckResult(name: "pg", kind: .tcp, target: "db-1:5432", ok: false, latencyMs: 1, detail: "refused", ts: now - 1000)]
        b.logs = [LogEntry(ts: now - 500, source: "/var/log/postgresql.log", level: .error, message: "FATAL: too many connections for role app"),
                  LogEntry(ts: now - 400, source: "/var/log/syslog", level: .info, message: "cron started")]
        _ = try await store.ingest(b, receivedAt: now)
        _ = try await store.ingest(.simple(host: "web-1", at: now - 400_000), receivedAt: now - 400_000)

        let snap = try await store.fleetSnapshot(now: now)
        #expect(snap.hosts.map(\.name) == ["db-1", "web-1"])
        let db = snap.hosts[0]
        #expect(db.status == .up)
        #expect(db.cpu == 95)
        #expect(db.disk == 92)
        #expect(db.labels == ["role": "db"])
        #expect(db.checksTotal == 1 && db.checksFailing == 1)
        #expect(db.recentErrors == 1)
        #expect(db.health == HealthScore(status: .up, cpu: 95, memory: 40, disk: 92, load1: 2, cpus: 4, checksFailing: 1, recentErrors: 1).score)
        #expect(db.cpuHistory.count == 30 && db.cpuHistory.last! == 95)
        #expect(snap.hosts[1].status == .down && snap.hosts[1].health == 0)
        #expect(snap.upCount == 1 && snap.downCount == 1)

        let detail = try #require(try await store.hostDetail(name: "db-1", now: now))
        #expect(detail.series.count == 5)
        #expect(detail.series.contains { $0.name == "disk.used_percent" && $0.labels == ["mount": "/var/lib/postgresql"] && $0.latest == 92 })
        #expect(detail.checks.count == 1)
        #expect(detail.checks[0].failingFor == 2 && detail.checks[0].detail == "refused")
        #expect(detail.logs.map(\.message) == ["cron started", "FATAL: too many connections for role app"])
        #expect(try await store.hostDetail(name: "nope", now: now) == nil)
    }

    @Test(arguments: Backend.available) func logSearchIsFullTextAndSafe(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        var b = IngestBatch(host: "web-1")
        b.logs = [LogEntry(ts: now - 3, source: "a", level: .error, message: "upstream timed out while reading response"),
                  LogEntry(ts: now - 2, source: "a", level: .info, message: "GET /index.html 200"),
                  LogEntry(ts: now - 1, source: "a", level: .warning, message: "upstream is slow")]
        _ = try await store.ingest(b, receivedAt: now)
        #expect(try await store.logs(host: nil, query: "upstream", minLevel: nil, limit: 10).map(\.ts) == [now - 1, now - 3])
        #expect(try await store.logs(host: "web-1", query: "upstream timed", minLevel: nil, limit: 10).count == 1)
        #expect(try await store.logs(host: nil, query: nil, minLevel: .warning, limit: 10).count == 2)
        // Operators and quotes are searched as text, never parsed as FTS syntax.
        #expect(try await store.logs(host: nil, query: "\"OR( NEAR", minLevel: nil, limit: 10).isEmpty)
    }

    @Test(arguments: Backend.available) func tokensHashOnlyAndRevoke(_ backend: Backend) async throws {
        let dir = TempDir()
        let path = dir.file("v.db")
        let store = try await backend.open(dir)
        let (token, secret) = try await store.createAgentToken(host: "web-1", expiresAt: nil, comment: "rack 3", now: now, actor: "test")
        #expect(secret.hasPrefix("vgl_") && secret.count == 44)
        #expect(try await store.agentToken(secret: secret)?.id == token.id)
        #expect(try await store.agentToken(secret: secret + "x") == nil)
        // The secret itself is nowhere in the file.
        if let sqlite = store as? SQLiteStore {
            try await sqlite.checkpoint()
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(bytes.range(of: Data(secret.utf8)) == nil)
        } else if let pg = store as? PostgresStore {
            let found = try await pg.read { s in try await s.value(Int.self, "SELECT count(*) FROM agent_tokens WHERE hash = ? OR id = ? OR comment = ?", [secret, secret, secret]) }
            #expect(found == 0)
        }
        #expect(try await store.revokeAgentToken(id: token.id, now: now, actor: "test"))
        #expect(try await store.agentToken(secret: secret)?.revokedAt == now)
        #expect(try await !store.revokeAgentToken(id: "tok_missing", now: now, actor: "test"))
    }

    @Test(arguments: Backend.available) func leaseHasOneHolderAndExpires(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let a = EngineLease(holder: "a", pid: 1, hostname: "x", listen: "127.0.0.1:1", expiresAt: now + 15_000)
        let b = EngineLease(holder: "b", pid: 2, hostname: "x", listen: "127.0.0.1:2", expiresAt: now + 15_000)
        #expect(try await store.acquireLease(a, now: now).holder == "a")
        #expect(try await store.acquireLease(b, now: now + 1000).holder == "a")
        #expect(try await store.currentLease(now: now)?.holder == "a")
        // After expiry, b takes over.
        #expect(try await store.acquireLease(b, now: now + 16_000).holder == "b")
        try await store.releaseLease(holder: "b")
        #expect(try await store.currentLease(now: now) == nil)
    }

    @Test func unwritableLocationIsAClearError() {
        #expect {
            _ = try SQLiteStore(path: "/proc/vigil/nope.db")
        } throws: { error in
            "\(error)".contains("/proc/vigil/nope.db")
        }
    }
}

@Suite struct StoreLocationTests {
    @Test func precedence() {
        #expect(StoreLocation.resolve(flag: "/x.db", environment: ["VIGIL_DB": "/y.db"]) == .sqlite(path: "/x.db"))
        #expect(StoreLocation.resolve(flag: nil, environment: ["VIGIL_DB": "/y.db"]) == .sqlite(path: "/y.db"))
        #expect(StoreLocation.resolve(flag: nil, environment: ["XDG_DATA_HOME": "/d", "HOME": "/h"]) == .sqlite(path: "/d/vigil/vigil.db"))
        #expect(StoreLocation.resolve(flag: nil, environment: ["HOME": "/h"]) == .sqlite(path: "/h/.local/share/vigil/vigil.db"))
        #expect(StoreLocation.resolve(flag: "~/v.db", environment: ["HOME": "/h"]) == .sqlite(path: "/h/v.db"))
        #expect(StoreLocation.resolve(flag: "postgres://u:p@db:5432/vigil", environment: [:]) == .postgres(url: "postgres://u:p@db:5432/vigil"))
    }
}

@Suite struct DemoFleetTests {
    @Test func incidentsUnfoldOnAScheduleFromTheEpoch() {
        let epoch: Int64 = 1_800_000_000_000
        let fleet = DemoFleet(hostCount: 24, days: 1, now: epoch, epoch: epoch)
        let host = { (name: String) in fleet.hosts.first { $0.name == name }! }
        #expect(fleet.isReporting(host("cache-1"), at: epoch + 10_000))
        #expect(!fleet.isReporting(host("cache-1"), at: epoch + 30_000))
        #expect(!fleet.isReporting(host("cache-1"), at: epoch + 86_400_000), "cache-1 stays down")
        #expect(fleet.isReporting(host("lb-2"), at: epoch + 60_000))
        #expect(!fleet.isReporting(host("lb-2"), at: epoch + 200_000))
        #expect(fleet.isReporting(host("lb-2"), at: epoch + 400_000), "lb-2 comes back after three minutes")
        var rng = SplitMix64(seed: 1)
        func value(_ name: String, _ metric: String, _ t: Int64) -> Double {
            fleet.liveBatch(for: host(name), at: t, rng: &rng)!.samples.first { $0.name == metric }!.value
        }
        #expect(value("worker-2", "proc.zombies", epoch + 30_000) == 0)
        #expect(value("worker-2", "proc.zombies", epoch + 90_000) == 7)
        #expect(value("api-2", "mem.used_percent", epoch) < 90)
        #expect(value("api-2", "mem.used_percent", epoch + 10 * 60_000) > 93)
        #expect(value("web-3", "cpu.usage_percent", epoch) > 88)
        let check = { (t: Int64) in fleet.liveBatch(for: host("worker-4"), at: t, rng: &rng)!.checks.first!.ok }
        #expect(check(epoch + 10_000) && !check(epoch + 40_000))
    }

    @Test(arguments: Backend.available) func anEngineKeepsADemoStoreReportingAndBackfillsTheGap(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        // A demo seeded an hour ago whose last report was 30 minutes ago (nobody had it open since).
        try await DemoSettings(epoch: now - 3_600_000, hosts: 3, days: 1).save(to: store, now: now)
        try await store.setSetting(DemoSettings.lastKey, to: String(now - 1_800_000), now: now)
        #expect(await DemoSettings.load(from: store)?.hosts == 3)
        var options = VigilEngine.Options(listen: try ListenAddress.parse("127.0.0.1:0"), handleSignals: false, ruleDirectories: [])
        options.runListener = false
        let engine = VigilEngine(store: store, options: options)
        let task = Task { try await engine.run() }
        defer { task.cancel() }
        let key = SeriesKey(host: "lb-1", name: "cpu.usage_percent", labels: [:])
        let gapPoints: () async throws -> [SeriesPoint] = { try await store.points(key, from: now - 1_800_000 + 30_000, to: now - 60_000) }
        // The backfill comes first, a batch per host and minute: with hundreds of tests on two cores it has taken
        // more than 20 s, so wait for both (two minutes at most) and then say which is missing.
        let fresh = await eventually(120) {
            let snap = try? await store.fleetSnapshot(now: WallClock.nowMs())
            guard snap?.hosts.count == 3 && snap!.hosts.allSatisfy({ WallClock.nowMs() - $0.lastSeen < 15_000 }) else { return false }
            return ((try? await gapPoints().count) ?? 0) >= 25
        }
        #expect(fresh, "the engine reports for every demo host")
        let gap = try await gapPoints()
        #expect(gap.count >= 25, "the half hour nobody watched is filled at one-minute steps, got \(gap.count)")
        await engine.stop()
    }

    @Test(arguments: Backend.available) func seedsABusyFleetWithIncidents(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        // Seeded four minutes into its bad night.
        let fleet = DemoFleet(hostCount: 22, days: 1, now: now, epoch: now - 4 * 60_000)
        #expect(fleet.hosts.count == 22)
        #expect(Set(fleet.hosts.compactMap { $0.labels["group"] }).count >= 4)
        for host in fleet.hosts {
            for batch in fleet.batches(for: host) { _ = try await store.ingest(batch, receivedAt: batch.samples.last?.ts ?? now) }
        }
        _ = try await store.compact(olderThan: now - 120_000)
        let snap = try await store.fleetSnapshot(now: now)
        #expect(snap.hosts.count == 22)
        let byName = Dictionary(uniqueKeysWithValues: snap.hosts.map { ($0.name, $0) })
        #expect(byName["web-3"]!.cpu! > 85)
        #expect(byName["web-3"]!.recentErrors > 0)
        #expect(byName["cache-1"]!.status == .stale, "down since +20 s")
        #expect(byName["lb-2"]!.status == .stale, "quiet since +2½ min")
        #expect(byName["worker-4"]!.checksFailing == 1)
        #expect(byName["db-2"]!.disk! > 90)
        #expect(byName["api-2"]!.memory! > 89)
        #expect(byName["web-1"]!.health >= 80)
        #expect(byName["web-1"]!.cpuHistory.compactMap { $0 }.count >= 25)
    }
}

/// The demo's bounded store: data older than its days goes, the rest stays, and log search stays consistent.
@Suite struct PruneTests {
    @Test(arguments: Backend.available) func pruneDropsOldSamplesLogsAndChecksOnly(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        let old = now - 9 * 86_400_000
        // Samples are pruned a chunk at a time (a chunk spans up to 120 samples): an old series goes whole.
        for (host, ts, word) in [("old-1", old, "ancient"), ("web-1", now - 60_000, "recent")] {
            var b = IngestBatch.simple(host: host, at: ts)
            b.logs = [LogEntry(ts: ts, source: "/x", level: .error, message: "\(word) failure")]
            b.checks = [CheckResult(name: "c", kind: .tcp, target: "x:1", ok: true, latencyMs: 1, detail: "ok", ts: ts)]
            _ = try await store.ingest(b, receivedAt: ts)
        }
        _ = try await store.compact(olderThan: now)
        let deleted = try await store.prune(before: now - 7 * 86_400_000)
        #expect(deleted >= 3, "a chunk or segment, a log line and a check result")
        #expect(try await store.points(SeriesKey(host: "old-1", name: "cpu.usage_percent"), from: 0, to: now + 1).isEmpty)
        #expect(try await store.points(SeriesKey(host: "web-1", name: "cpu.usage_percent"), from: 0, to: now + 1).map(\.ts) == [now - 60_000])
        #expect(try await store.logs(host: nil, query: "ancient", minLevel: nil, limit: 10).isEmpty, "the full-text index forgot the line")
        #expect(try await store.logs(host: nil, query: "recent", minLevel: nil, limit: 10).count == 1)
    }
}
