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

    @Test func levelShiftScoresHighOnceAndEachPointIsFedOnce() throws {
        let now: Int64 = 1_800_000_000_000
        var scanner = AnomalyScanner()
        let quiet = Self.quiet(until: now)
        let result = scanner.restore(Self.key, history: quiet, scoredUntil: nil, alertFrom: now - 300_000)
        let restored = try #require(result)
        // Stored: the scores above 0, and one in ten minutes otherwise (the first point's among them).
        #expect(restored.first?.ts == quiet.first?.ts)
        let zeros = restored.filter { $0.value == 0 }.map(\.ts)
        #expect(zeros.count >= 29 && zeros.count <= 31 && zip(zeros, zeros.dropFirst()).allSatisfy { $1 - $0 >= AnomalyScanner.watermarkMs }, "\(zeros)")
        #expect(restored.count < 60, "\(restored.count) of 300 stored")
        #expect(scanner.scores[Self.key] == 0, "nothing in the last 5 minutes")
        let shift = scanner.feed(Self.key, points: [SeriesPoint(ts: now, value: 60), SeriesPoint(ts: now + 60_000, value: 61)])
        #expect(shift.count == 1, "the onset is stored, the next point (0, and not ten minutes later) is not: \(shift)")
        #expect(shift[0].ts == now && shift[0].value >= 0.9, "\(shift)")
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

    /// A series sent five times a second is fed one point per 5 s, live and when restored alike; one sent every
    /// 10 s (the agent's default) is fed whole.
    @Test func aFloodedSeriesIsFedOnePointPerFiveSeconds() {
        let start: Int64 = 1_800_000_000_000
        let flood = (0..<300).map { SeriesPoint(ts: start + Int64($0) * 200, value: 20 + Double($0 % 3)) }  // 60 s
        var live = AnomalyScanner()
        _ = live.restore(Self.key, history: [], scoredUntil: nil, alertFrom: 0)
        for batch in stride(from: 0, to: flood.count, by: 7) { _ = live.feed(Self.key, points: Array(flood[batch..<min(batch + 7, flood.count)])) }
        #expect(live.fed == 12, "0, 5, …, 55 s of 60")
        #expect(live.cursors[Self.key] == start + 55_000)
        var restored = AnomalyScanner()
        _ = restored.restore(Self.key, history: flood, scoredUntil: nil, alertFrom: 0)
        #expect(restored.cursors[Self.key] == start + 55_000)
        var agent = AnomalyScanner()
        _ = agent.restore(Self.key, history: [], scoredUntil: nil, alertFrom: 0)
        _ = agent.feed(Self.key, points: (0..<30).map { SeriesPoint(ts: start + Int64($0) * 10_000 + Int64($0 % 2) * 40, value: 20) })
        #expect(agent.fed == 30)
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

    @Test func retainKeepsEachKeptSeriesOwnState() {
        // Series of two metrics, each restored to a cursor of its own; dropping one metric must leave the others
        // with their own states, and the scanner must go on adding and feeding series.
        var scanner = AnomalyScanner()
        let keys = (0..<6).map { SeriesKey(host: "h\($0)", name: $0 % 2 == 0 ? "m" : "n") }
        for (k, key) in keys.enumerated() {
            let history = (0...k).map { SeriesPoint(ts: Int64($0) * 10_000, value: Double($0)) }
            _ = scanner.restore(key, history: history, scoredUntil: nil, alertFrom: 0)
        }
        scanner.retain(metrics: ["n"])
        #expect(scanner.count == 3)
        #expect(scanner.cursors == [keys[1]: 10_000, keys[3]: 30_000, keys[5]: 50_000])
        #expect(!scanner.isTracked(keys[0]) && scanner.isTracked(keys[5]))
        _ = scanner.feed(keys[3], points: [SeriesPoint(ts: 30_000, value: 1), SeriesPoint(ts: 40_000, value: 2)])
        #expect(scanner.fed == 1, "only the point after keys[3]'s own cursor")
        #expect(scanner.cursors == [keys[1]: 10_000, keys[3]: 40_000, keys[5]: 50_000])
        _ = scanner.restore(keys[0], history: [SeriesPoint(ts: 70_000, value: 1)], scoredUntil: nil, alertFrom: 0)
        #expect(scanner.cursors == [keys[0]: 70_000, keys[1]: 10_000, keys[3]: 40_000, keys[5]: 50_000])
        #expect(scanner.feed(keys[2], points: [SeriesPoint(ts: 90_000, value: 1)]).isEmpty, "not scanned any more")
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
        // Five quiet hours of CPU on web-1 (db-1 has a metric that is neither a core one nor named by a rule: not
        // scanned), and a known error pattern.
        try await post(IngestBatch(host: "web-1", samples: Self.quiet(until: now - 60_000).map { Sample(name: "cpu.usage_percent", value: $0.value, ts: $0.ts) },
                                   logs: [LogEntry(ts: now - 3_600_000, source: "app", level: .error, message: "upstream api-3 timed out after 30 s")]))
        try await post(IngestBatch(host: "db-1", samples: [Sample(name: "app.queue_depth", value: 50, ts: now)]))
        let tracked = await eventually(5) { e.engine.evaluator.anomalyScanner.scannedSeries == 1 }
        #expect(tracked)
        #expect(await firing().isEmpty)
        // /metrics says what the scanner holds.
        let metrics = try await e.get("/metrics").text
        #expect(metrics.contains("vigil_anomaly_series 1\n") && metrics.contains("vigil_anomaly_series_refused 0\n"), "\(metrics)")
        let stateLine = metrics.split(separator: "\n").first { $0.hasPrefix("vigil_anomaly_state_bytes ") }
        #expect(stateLine.flatMap { Int($0.split(separator: " ")[1]) }.map { $0 > 8_000 && $0 < 12_288 } == true, "\(String(describing: stateLine))")

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
        #expect(scores.count > 20 && scores.count < 100, "scores above 0 and one per ten minutes otherwise: \(scores.count)")
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
        #expect(stored.count > 20 && stored.count < 100)
        // "Restart": a new scanner over the same store; one new point arrives.
        _ = try await store.ingest(IngestBatch(host: "web-1", samples: [Sample(name: "cpu.usage_percent", value: 90, ts: now)]), receivedAt: now)
        let second = AnomalyScanService(store: store, logger: .init(label: "test"))
        let scores = try await second.scan(metrics: ["cpu.usage_percent"], now: now + 1)
        #expect((scores[Self.key] ?? 0) >= 0.9)
        let after = try await store.points(AnomalyScanner.scoreKey(of: Self.key), from: 0, to: now)
        #expect(after.count == stored.count + 1, "only the new point's score is added")
        let stats = try await store.stats()
        #expect(stats.series == 2)
    }

    /// After a restart the history is read in two parts (chunks per 50 series, head segments per block): here the
    /// history is in chunks and the stored scores and the newest point in segments, and the restore is as before.
    @Test(arguments: Backend.available) func restoreReadsHistoryFromChunksAndSegmentsApart(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        let history = Self.quiet(until: now)
        for half in [history.prefix(150), history.suffix(150)] {
            _ = try await store.ingest(IngestBatch(host: "web-1", samples: half.map { Sample(name: "cpu.usage_percent", value: $0.value, ts: $0.ts) }),
                                       receivedAt: now)
        }
        _ = try await AnomalyScanService(store: store, logger: .init(label: "test")).scan(metrics: ["cpu.usage_percent"], now: now)
        let stored = try await store.points(AnomalyScanner.scoreKey(of: Self.key), from: 0, to: now)
        #expect(stored.count > 20 && stored.count < 100)
        // The history into chunks; the scores' segment is the newest, so it stays a segment.
        _ = try await store.compact(olderThan: now + 1)
        let split = (try await store.points([Self.key], from: 0, to: now, source: .chunks)[Self.key]?.count,
                     try await store.points([AnomalyScanner.scoreKey(of: Self.key)], from: 0, to: now, source: .segments).count)
        #expect(split.0 == 300 && split.1 == 1)
        _ = try await store.ingest(IngestBatch(host: "web-1", samples: [Sample(name: "cpu.usage_percent", value: 90, ts: now)]), receivedAt: now)
        let second = AnomalyScanService(store: store, logger: .init(label: "test"))
        let scores = try await second.scan(metrics: ["cpu.usage_percent"], now: now + 1)
        #expect((scores[Self.key] ?? 0) >= 0.9, "the history in chunks was replayed: a jump from 20 to 90 stands out")
        let after = try await store.points(AnomalyScanner.scoreKey(of: Self.key), from: 0, to: now)
        #expect(after.count == stored.count + 1, "only the new point's score is added")
    }

    /// Core series are limited per host, the host's own (fewest labels) first and those already scanned kept;
    /// metrics a rule names, and other hosts, are not touched.
    @Test func coreSeriesAreLimitedPerHostTheHostsOwnFirst() {
        let cpu = SeriesKey(host: "a", name: "cpu.usage_percent"), mem = SeriesKey(host: "a", name: "mem.used_percent")
        let root = SeriesKey(host: "a", name: "disk.used_percent", labels: ["mount": "/"])
        let varMount = SeriesKey(host: "a", name: "disk.used_percent", labels: ["mount": "/var"])
        let other = SeriesKey(host: "b", name: "disk.used_percent", labels: ["mount": "/"])
        let named = (0..<5).map { SeriesKey(host: "a", name: "http.latency", labels: ["path": "/\($0)"]) }
        let keys = [varMount, cpu, root, mem, other] + named
        let core: Set<String> = ["cpu.usage_percent", "mem.used_percent", "disk.used_percent"]
        let kept = AnomalyScanService.limitPerHost(keys, metrics: core, to: 3, tracked: { _ in false })
        #expect(kept == [cpu, root, mem, other] + named, "the others in their order")
        let again = AnomalyScanService.limitPerHost(keys, metrics: core, to: 3, tracked: { $0 == varMount })
        #expect(Set(again) == Set([varMount, cpu, mem, other] + named), "a series already scanned keeps its place")
        let steady = AnomalyScanService.limitPerHost(keys, metrics: core, to: 3, tracked: { [cpu, mem, root].contains($0) })
        #expect(steady == [cpu, root, mem, other] + named, "with its limit scanned already, a host's others are left out")
        #expect(AnomalyScanService.limitPerHost(keys, metrics: [], to: 0, tracked: { _ in false }) == keys)
    }

    @Test(arguments: Backend.available) func theScannerFollowsAtMostItsLimitPerHost(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        let mounts = ["/", "/boot", "/data", "/var", "/srv"]
        _ = try await store.ingest(IngestBatch(host: "node-1", samples: mounts.map { Sample(name: "disk.used_percent", value: 40, ts: now, labels: ["mount": $0]) }
                                               + [Sample(name: "cpu.usage_percent", value: 10, ts: now)]), receivedAt: now)
        let scan = AnomalyScanService(store: store, seriesPerHost: 2, logger: .init(label: "test"))
        _ = try await scan.scan(metrics: ["disk.used_percent", "cpu.usage_percent"], perHostMetrics: ["disk.used_percent", "cpu.usage_percent"], now: now)
        #expect(scan.scannedSeries == 2)
        #expect(scan.stats.refused == 4)
        // Named by a rule (not limited per host): all six.
        _ = try await scan.scan(metrics: ["disk.used_percent", "cpu.usage_percent"], perHostMetrics: [], now: now + 1)
        #expect(scan.scannedSeries == 6 && scan.stats.refused == 0)
    }

    /// A scan reads the list of series again only when their number changed (series are never deleted): the scans
    /// in between keep what the last read found, and a series that appears later is scanned at the next scan.
    @Test(arguments: Backend.available) func aSeriesThatAppearsLaterIsScannedAtTheNextScan(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        let core: Set<String> = ["disk.used_percent", "cpu.usage_percent"]
        _ = try await store.ingest(IngestBatch(host: "node-1", samples: ["/", "/var", "/srv"].map { Sample(name: "disk.used_percent", value: 40, ts: now, labels: ["mount": $0]) }),
                                   receivedAt: now)
        let scan = AnomalyScanService(store: store, seriesPerHost: 2, logger: .init(label: "test"))
        _ = try await scan.scan(metrics: core, perHostMetrics: core, now: now)
        #expect(scan.scannedSeries == 2 && scan.stats.refused == 1)
        _ = try await scan.scan(metrics: core, perHostMetrics: core, now: now + 1)
        #expect(scan.scannedSeries == 2 && scan.stats.refused == 1, "nothing new: as found by the last read")
        // A new host, and a series of another metric (not scanned, so not a reason to read again).
        _ = try await store.ingest(IngestBatch(host: "node-2", samples: [Sample(name: "cpu.usage_percent", value: 10, ts: now + 2)]), receivedAt: now + 2)
        _ = try await store.ingest(IngestBatch(host: "node-1", samples: [Sample(name: "http.latency", value: 1, ts: now + 2)]), receivedAt: now + 2)
        #expect(try await store.seriesCount(metrics: core) == 4)
        _ = try await scan.scan(metrics: core, perHostMetrics: core, now: now + 3)
        #expect(scan.scannedSeries == 3 && scan.stats.refused == 1)
        #expect(scan.scores[SeriesKey(host: "node-2", name: "cpu.usage_percent")] != nil)
    }

    /// Scan after scan every new point is fed once, a late one (minutes behind, as the error-log rate is written)
    /// included, whether it is still in a segment or already folded into a chunk; nothing is fed twice.
    @Test(arguments: Backend.available) func scansFeedEachNewPointOnce(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        let late = SeriesKey(host: "web-2", name: "log.errors_per_min")
        for key in [Self.key, late] {
            _ = try await store.ingest(IngestBatch(host: key.host, samples: Self.quiet(until: now - 180_000).map { Sample(name: key.name, value: $0.value, ts: $0.ts) }),
                                       receivedAt: now - 180_000)
        }
        let scan = AnomalyScanService(store: store, logger: .init(label: "test"))
        _ = try await scan.scan(metrics: [Self.key.name, late.name], now: now)
        #expect(scan.scannedSeries == 2)
        let restored = scan.stats.scored
        // The CPU series gets two new points; the late series one point two minutes behind its writer's clock.
        _ = try await store.ingest(IngestBatch(host: "web-1", samples: [Sample(name: Self.key.name, value: 20, ts: now - 10_000),
                                                                       Sample(name: Self.key.name, value: 21, ts: now)]), receivedAt: now)
        _ = try await store.ingest(IngestBatch(host: "web-2", samples: [Sample(name: late.name, value: 20, ts: now - 120_000)]), receivedAt: now)
        _ = try await scan.scan(metrics: [Self.key.name, late.name], now: now + 1)
        #expect(scan.stats.scored == restored + 3)
        _ = try await scan.scan(metrics: [Self.key.name, late.name], now: now + 2)
        #expect(scan.stats.scored == restored + 3, "nothing is fed twice")
        // Compacted before the next scan read them: each point still once.
        _ = try await store.ingest(IngestBatch(host: "web-1", samples: [Sample(name: Self.key.name, value: 22, ts: now + 10_000)]), receivedAt: now + 10_000)
        _ = try await store.ingest(IngestBatch(host: "web-1", samples: [Sample(name: Self.key.name, value: 23, ts: now + 20_000)]), receivedAt: now + 20_000)
        _ = try await store.compact(olderThan: now + 60_000)
        _ = try await scan.scan(metrics: [Self.key.name, late.name], now: now + 30_000)
        #expect(scan.stats.scored == restored + 5)
        _ = try await store.ingest(IngestBatch(host: "web-1", samples: [Sample(name: Self.key.name, value: 24, ts: now + 40_000)]), receivedAt: now + 40_000)
        _ = try await scan.scan(metrics: [Self.key.name, late.name], now: now + 41_000)
        #expect(scan.stats.scored == restored + 6)
    }

    /// The rules' score stays up while an incident goes on (a level shift) and drops with the next normal point
    /// after a lone spike, so a rule with `for:` fires on the one and not the other.
    @Test func aSustainedShiftKeepsItsScoreALoneSpikeDoesNot() throws {
        let now: Int64 = 1_800_000_000_000
        var scanner = AnomalyScanner()
        _ = scanner.restore(Self.key, history: Self.quiet(until: now, count: 2000), scoredUntil: nil, alertFrom: now)
        // A spike, then back to normal.
        _ = scanner.feed(Self.key, points: [SeriesPoint(ts: now, value: 70)])
        #expect(scanner.scores[Self.key] ?? 0 >= 0.9)
        // Over once the smoothed view (the mean of the last 6 values) no longer holds it.
        var over = 0
        for i in 1...7 {
            _ = scanner.feed(Self.key, points: [SeriesPoint(ts: now + Int64(i) * 60_000, value: 20)])
            if scanner.scores[Self.key] == 0 {
                over = i
                break
            }
        }
        #expect(over >= 1 && over <= 6, "the spike is over after \(over) normal points")
        // (A second scanner for the shift: the detector reports nothing smaller than the spike within 150 points.)
        scanner = AnomalyScanner()
        _ = scanner.restore(Self.key, history: Self.quiet(until: now, count: 2000), scoredUntil: nil, alertFrom: now)
        let base = now - 60_000
        // A level shift to 60: the onset's score is held while the raw score stays high.
        var held = 0
        for i in 1..<60 {
            _ = scanner.feed(Self.key, points: [SeriesPoint(ts: base + Int64(i) * 60_000, value: 60 + Double(i % 3))])
            if scanner.scores[Self.key] ?? 0 >= 0.9 { held += 1 } else { break }
        }
        #expect(held >= 10, "held for \(held) points")
        #expect(held < 59, "and let go once the new level is usual")
    }

    /// Every host's core metrics are scanned with no rule naming them, under 32 KB per series.
    @Test func tenThousandSeriesStayUnder32KBEach() async throws {
        // A second of allocation and scoring on a thread of its own: on the cooperative pool it would hold up other
        // tests' timers.
        let (count, perSeries, empty, full) = try await offPool { () -> (Int, Int, Int, Int) in
            var scanner = AnomalyScanner()
            let now: Int64 = 1_800_000_000_000
            let metrics = AnomalyScanner.coreMetrics.sorted()
            for i in 0..<10_000 {
                let key = SeriesKey(host: "host-\(i / 10)", name: metrics[i % 10])
                _ = scanner.restore(key, history: [SeriesPoint(ts: now, value: Double(i))], scoredUntil: nil, alertFrom: now)
            }
            // Buffers are reserved in full at the start: a detector whose windows are full holds no more.
            var detector = AnomalyDetector()
            let empty = detector.stateBytes
            for i in 0..<10_000 { _ = detector.score(timestampMs: now + Int64(i) * 60_000, value: Double(i % 97)) }
            return (scanner.count, scanner.stateBytes / max(1, scanner.count), empty, detector.stateBytes)
        }
        #expect(count == 10_000)
        #expect(perSeries < 32 * 1024, "\(perSeries) bytes per series")
        // And about the 10 KB the docs state (the short windows' inputs once, the means not stored, with each view's
        // sorted order as 16-bit positions; the long windows' summaries and the seasonal ranges in two bytes a value).
        #expect(full == empty && empty < 10 * 1024, "\(empty) → \(full)")
    }

    static let anyMetricRule = """
        groups:
          - name: anomaly
            rules:
              - alert: SustainedAnomaly
                kind: anomaly
                expr: {min_score: 0.9}
                for: 2s
                severity: info
                annotations:
                  summary: '{{ $labels.metric }} on {{ $labels.host }} is unusual (score {{ printf "%.2f" $value }})'
        """

    /// An anomaly rule without a metric reads every scanned series (core metrics included): the alert names the
    /// metric, in a label and as the alert's metric (the detail view draws its sparkline).
    @Test func aRuleWithoutAMetricAlertsOnCoreMetrics() async throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("rules"), withIntermediateDirectories: true)
        try Self.anyMetricRule.write(toFile: dir.file("rules/anomaly.yaml"), atomically: true, encoding: .utf8)
        let e = try await RunningEngine.start(ruleDirectories: [dir.file("rules")], tickMs: 200)
        let now = WallClock.nowMs()
        let (_, secret) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: now, actor: "t")
        let history = Self.quiet(until: now - 120_000).map { Sample(name: "mem.used_percent", value: $0.value, ts: $0.ts) }
        #expect(try await e.post(Array(IngestBatch(host: "db-1", samples: history).json().utf8), token: secret).status == 200)
        #expect(await eventually(5) { e.engine.evaluator.anomalyScanner.scannedSeries == 1 })
        // Memory jumps and stays up: points every second so the incident outlasts `for`.
        let start = WallClock.nowMs()
        for i in 0..<8 {
            let b = IngestBatch(host: "db-1", samples: [Sample(name: "mem.used_percent", value: 90 + Double(i % 2), ts: start + Int64(i) * 1_000)])
            #expect(try await e.post(Array(b.json().utf8), token: secret).status == 200)
            try await Task.sleep(for: .milliseconds(600))
        }
        let fired = await eventually(5) { ((try? await e.store.alerts(states: ["firing"], limit: 10)) ?? []).contains { $0.rule == "SustainedAnomaly" } }
        #expect(fired)
        let alert = try #require(try await e.store.alerts(states: ["firing"], limit: 10).first { $0.rule == "SustainedAnomaly" })
        #expect(alert.labels["metric"] == "mem.used_percent" && alert.labels["host"] == "db-1")
        #expect(alert.metric == "mem.used_percent" && alert.seriesLabels.isEmpty, "\(String(describing: alert.metric)) \(alert.seriesLabels)")
        #expect(alert.annotations["summary"]?.hasPrefix("mem.used_percent on db-1 is unusual (score ") == true, "\(alert.annotations)")
        // The jump reached the scanner through the head's feeder, not a read of the store (at most one, after the
        // head's first build from a snapshot).
        #expect(e.engine.evaluator.anomalyScanner.stats.catchUps <= 1, "\(e.engine.evaluator.anomalyScanner.stats)")
        await e.stop()
    }
}
