import Foundation
import Testing
@testable import VigilCore
import VigilWire

/// The anomaly scanner: pure state, then in the engine with `anomaly` and `new_log_pattern` rules on real data.
@Suite struct AnomalyScannerTests {
    static let key = SeriesKey(host: "web-1", name: "cpu.usage_percent")

    /// 300 minutes of a quiet series around 20 (±1), oldest first, ending one minute before `end`.
    static func quiet(until end: Int64, count: Int = 300) -> [SeriesPoint] {
        (0..<count).map { i in SeriesPoint(ts: end - Int64(count - i) * 60_000, value: 20 + Double((i * 7) % 5) * 0.5 - 1) }
    }

    @Test func levelShiftScoresHighOnceAndEachPointIsFedOnce() {
        let now: Int64 = 1_800_000_000_000
        var scanner = AnomalyScanner()
        let restored = scanner.restore(Self.key, history: Self.quiet(until: now), scoredUntil: nil, alertFrom: now - 300_000)
        #expect(restored?.count == 300)
        #expect(scanner.scores[Self.key] == 0, "nothing in the last 5 minutes")
        let shift = scanner.feed(Self.key, points: [SeriesPoint(ts: now, value: 60), SeriesPoint(ts: now + 60_000, value: 61)])
        #expect(shift.count == 2)
        #expect(shift[0].value >= 0.9, "\(shift)")
        #expect(scanner.scores[Self.key] ?? 0 >= 0.9, "the onset is not hidden by the next point's hold")
        // The same points again (and older ones) are not fed twice.
        #expect(scanner.feed(Self.key, points: [SeriesPoint(ts: now, value: 60), SeriesPoint(ts: now - 1, value: 1)]).isEmpty)
        #expect(scanner.cursors[Self.key] == now + 60_000)
        // A restart that already stored scores up to some time: only later points are new.
        var again = AnomalyScanner()
        let history = Self.quiet(until: now) + [SeriesPoint(ts: now, value: 60)]
        let fresh = again.restore(Self.key, history: history, scoredUntil: now - 60_000, alertFrom: now - 300_000)
        #expect(fresh?.map(\.ts) == [now])
        #expect(again.scores[Self.key] ?? 0 >= 0.9)
    }

    @Test func capAndRetain() {
        var scanner = AnomalyScanner(maxSeries: 2)
        for host in ["a", "b", "c"] {
            _ = scanner.restore(SeriesKey(host: host, name: "m"), history: [], scoredUntil: nil, alertFrom: 0)
        }
        #expect(scanner.count == 2 && scanner.refused == [SeriesKey(host: "c", name: "m")])
        scanner.retain(metrics: ["other"])
        #expect(scanner.count == 0 && scanner.refused.isEmpty)
        #expect(AnomalyScanner.scoreKey(of: SeriesKey(host: "a", name: "disk.used_percent", labels: ["mount": "/"]))
                == SeriesKey(host: "a", name: "anomaly.score", labels: ["mount": "/", "metric": "disk.used_percent"]))
    }

    static let rules = """
        groups:
          - name: intelligence
            rules:
              - alert: UnusualCPU
                kind: anomaly
                expr: {metric: cpu.usage_percent, min_score: 0.9}
                severity: info
              - alert: NewErrorPattern
                kind: new_log_pattern
                expr: {level: error, within: 15m}
        """

    @Test func engineScoresFiresStoresAndMarks() async throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("rules"), withIntermediateDirectories: true)
        try Self.rules.write(toFile: dir.file("rules/intel.yaml"), atomically: true, encoding: .utf8)
        let e = try await RunningEngine.start(ruleDirectories: [dir.file("rules")], tickMs: 200)
        let now = WallClock.nowMs()
        let (_, secret) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: now, actor: "t")
        func post(_ b: IngestBatch) async throws {
            let r = try await e.post(Array(b.json().utf8), token: secret)
            #expect(r.status == 200, "\(r.text)")
        }
        func firing() async -> [StoredAlert] {
            (try? await e.store.alerts(states: ["firing"], limit: 100)) ?? []
        }
        // Five quiet hours of CPU on web-1 (db-1 has another metric, not scanned), and a known error pattern.
        try await post(IngestBatch(host: "web-1", samples: Self.quiet(until: now - 60_000).map { Sample(name: "cpu.usage_percent", value: $0.value, ts: $0.ts) },
                                   logs: [LogEntry(ts: now - 3_600_000, source: "app", level: .error, message: "upstream api-3 timed out after 30 s")]))
        try await post(IngestBatch(host: "db-1", samples: [Sample(name: "mem.used_percent", value: 50, ts: now)]))
        let tracked = await eventually(5) { e.engine.evaluator.anomalyScanner.scannedSeries == 1 }
        #expect(tracked)
        #expect(await firing().isEmpty)

        // The level shift, and the known error pattern again: only the shift alerts.
        let shiftTs = WallClock.nowMs()
        try await post(IngestBatch(host: "web-1", samples: [Sample(name: "cpu.usage_percent", value: 85, ts: shiftTs)],
                                   logs: [LogEntry(ts: shiftTs, source: "app", level: .error, message: "upstream api-7 timed out after 12 s")]))
        let fired = await eventually(5) { await firing().contains { $0.rule == "UnusualCPU" } }
        #expect(fired)
        let alert = try #require(await firing().first { $0.rule == "UnusualCPU" })
        #expect(alert.labels["host"] == "web-1" && (alert.value ?? 0) >= 0.9)
        #expect(!(await firing()).contains { $0.rule == "NewErrorPattern" })

        // The score is stored as anomaly.score{metric=cpu.usage_percent} and marked on the host detail's sparkline.
        let scores = try await e.store.points(AnomalyScanner.scoreKey(of: Self.key), from: now - 86_400_000, to: shiftTs + 1)
        #expect(scores.count == 301)
        #expect(scores.last?.ts == shiftTs && (scores.last?.value ?? 0) >= 0.9)
        let detail = try #require(try await e.store.hostDetail(name: "web-1", now: WallClock.nowMs()))
        #expect(!detail.series.contains { $0.name == AnomalyScanner.scoreMetric }, "scores mark series; they are not listed")
        let cpu = try #require(detail.series.first { $0.name == "cpu.usage_percent" })
        #expect(cpu.anomalies.count == cpu.history.count && cpu.anomalies.last == true && cpu.anomalies.filter { $0 }.count == 1)

        // A brand-new error pattern on web-1 alerts, labelled with host and pattern.
        try await post(IngestBatch(host: "web-1", logs: [
            LogEntry(ts: WallClock.nowMs(), source: "app", level: .error, message: "could not write block 77 of relation base/5/16384: No space left on device"),
        ]))
        let newPattern = await eventually(5) { await firing().contains { $0.rule == "NewErrorPattern" } }
        #expect(newPattern)
        let np = try #require(await firing().first { $0.rule == "NewErrorPattern" })
        #expect(np.labels["host"] == "web-1")
        #expect(np.labels["pattern"]?.hasPrefix("could not write block <*> of relation") == true, "\(np.labels)")
        #expect(await firing().filter { $0.rule == "NewErrorPattern" }.count == 1)
        await e.stop()
    }

    @Test(arguments: Backend.available) func scannerRestoresAfterARestartWithoutRewritingScores(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        _ = try await store.ingest(IngestBatch(host: "web-1", samples: Self.quiet(until: now).map { Sample(name: "cpu.usage_percent", value: $0.value, ts: $0.ts) }),
                                   receivedAt: now)
        let first = AnomalyScanService(store: store, logger: .init(label: "test"))
        _ = try await first.scan(metrics: ["cpu.usage_percent"], now: now)
        let stored = try await store.points(AnomalyScanner.scoreKey(of: Self.key), from: 0, to: now)
        #expect(stored.count == 300)
        // "Restart": a new scanner over the same store; one new point arrives.
        _ = try await store.ingest(IngestBatch(host: "web-1", samples: [Sample(name: "cpu.usage_percent", value: 90, ts: now)]), receivedAt: now)
        let second = AnomalyScanService(store: store, logger: .init(label: "test"))
        let scores = try await second.scan(metrics: ["cpu.usage_percent"], now: now + 1)
        #expect((scores[Self.key] ?? 0) >= 0.9)
        let after = try await store.points(AnomalyScanner.scoreKey(of: Self.key), from: 0, to: now)
        #expect(after.count == 301)
        let stats = try await store.stats()
        #expect(stats.series == 2)
    }
}
