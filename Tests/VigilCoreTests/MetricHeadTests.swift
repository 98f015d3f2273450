import Foundation
import Logging
import Testing
import VigilWire
@testable import VigilCore

@Suite struct MetricHeadTests {
    let cpu = SeriesKey(host: "web-1", name: "cpu.usage_percent")

    @Test func keepsPointsInOrderAcrossSealedChunksAndDropsWhatLeftTheWindow() {
        var head = MetricHead(windows: ["cpu.usage_percent": 600_000])
        for i in 0..<200 { head.append(cpu, ts: Int64(i) * 10_000, value: Double(i) / 4) }
        let all = head.points(metrics: ["cpu.usage_percent"], from: 0, to: .max)[cpu] ?? []
        // 10-minute window, 32-sample chunks: chunks wholly before 1,990 s - 600 s are gone, the rest are exact.
        #expect(all.last == SeriesPoint(ts: 1_990_000, value: 49.75))
        #expect(all.first!.ts <= 1_390_000 && all.first!.ts > 1_390_000 - 32 * 10_000)
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.ts + 10_000 == $1.ts })
        let window = head.points(metrics: ["cpu.usage_percent"], from: 1_500_000, to: 1_600_000)[cpu] ?? []
        #expect(window.map(\.ts) == Array(stride(from: 1_500_000, through: 1_600_000, by: 10_000)))
        // A range that ends before it starts holds nothing (and must not trap).
        #expect(head.points(metrics: ["cpu.usage_percent"], from: 1_600_000, to: 1_500_000).isEmpty)
        #expect(head.footprint.bytes < 200 * 16)
    }

    @Test func givesTheRulesEachSeriesWindowAsAPlainDictionaryWould() {
        var head = MetricHead(windows: ["cpu.usage_percent": 600_000, "mem.used_percent": 600_000])
        var plain: [SeriesKey: [SeriesPoint]] = [:]
        let keys = [cpu, SeriesKey(host: "web-2", name: "cpu.usage_percent"), SeriesKey(host: "web-1", name: "mem.used_percent"),
                    SeriesKey(host: "web-3", name: "cpu.usage_percent")]
        for (n, key) in keys.enumerated() {
            for i in 0..<100 {
                // A NaN now and then, in sealed chunks and in the tail alike.
                let v = i % 17 == 5 ? Double.nan : Double(i * (n + 1))
                head.append(key, ts: Int64(i) * 10_000, value: v)
                plain[key, default: []].append(SeriesPoint(ts: Int64(i) * 10_000, value: v))
            }
        }
        func visit(_ w: some SeriesWindows, after: Int64, through: Int64) -> [SeriesKey: [SeriesPoint]] {
            var seen: [SeriesKey: [SeriesPoint]] = [:]
            w.forEachSeries(of: "cpu.usage_percent", after: after, through: through, where: { $0.host != "web-3" }) { key, points in
                #expect(seen[key] == nil, "each series once")
                seen[key] = points
            }
            return seen
        }
        // (after, through]: the edges fall inside sealed chunks, on a sample and between two.
        for (after, through) in [(400_000 as Int64, 990_000 as Int64), (405_000, 655_000), (980_000, 2_000_000), (2_000_000, 3_000_000)] {
            let fromHead = visit(head, after: after, through: through)
            #expect(fromHead == visit(plain, after: after, through: through))
            #expect(fromHead.values.allSatisfy { $0.allSatisfy { $0.ts > after && $0.ts <= through && $0.value.isFinite } })
        }
        #expect(visit(head, after: 400_000, through: 990_000)[keys[0]]?.count == 59 - 3)
        #expect(Set(visit(head, after: 400_000, through: 990_000).keys) == [keys[0], keys[1]], "web-3's is not asked for, mem is another metric")
        #expect(visit(head, after: 2_000_000, through: 3_000_000).isEmpty, "a series with no point in the range is skipped")
    }

    @Test func replacesASampleAtTheSameTimeAndRefusesOnesOlderThanTheTail() {
        var head = MetricHead(windows: ["cpu.usage_percent": 600_000])
        head.append(cpu, ts: 1_000, value: 1)
        head.append(cpu, ts: 3_000, value: 3)
        head.append(cpu, ts: 2_000, value: 2)
        head.append(cpu, ts: 3_000, value: 30)
        let tooOld = head.append(cpu, ts: 500, value: 0)
        #expect(!tooOld)
        #expect(head.points(metrics: ["cpu.usage_percent"], from: 0, to: .max)[cpu] == [
            SeriesPoint(ts: 1_000, value: 1), SeriesPoint(ts: 2_000, value: 2), SeriesPoint(ts: 3_000, value: 30)])
        #expect(head.outOfOrder == 1)
        #expect(head.lastSeen(metrics: ["cpu.usage_percent"])[cpu] == 3_000)
    }

    @Test func holdsOnlyTheMetricsAskedForAndAskForThePastWhenAWindowGrows() {
        var head = MetricHead(windows: ["cpu.usage_percent": 60_000])
        let unheld = head.append(SeriesKey(host: "a", name: "mem.used_percent"), ts: 1, value: 1)
        #expect(!unheld)
        let same = head.setWindows(["cpu.usage_percent": 60_000])
        #expect(!same)
        let longer = head.setWindows(["cpu.usage_percent": 6 * 3_600_000])
        #expect(longer)
        head.append(cpu, ts: 1, value: 1)
        let other = head.setWindows(["disk.used_percent": 60_000])
        #expect(other)
        #expect(head.footprint.series == 0)
    }

    // MARK: the feeder, against a real store

    func batch(_ host: String, _ ts: Int64, _ value: Double) -> IngestBatch {
        IngestBatch(host: host, samples: [Sample(name: "cpu.usage_percent", value: value, ts: ts),
                                          Sample(name: "disk.used_percent", value: value, ts: ts, labels: ["mount": "/"])])
    }

    /// Segments are decoded into the wanted metrics' samples, in order; unknown ids are resolved once, and the table
    /// remembers them (and ids with no series) for later reads; ids past the id table's range (sparse ids) work the same.
    @Test func segmentsDecodeOnlyTheWantedMetricsWhateverTheIds() async throws {
        let cpu = SeriesKey(host: "a", name: "cpu", labels: [:]), mem = SeriesKey(host: "a", name: "mem", labels: [:])
        let far: Int64 = 5_000_000_000
        var keys = HeadKeyTable(metrics: ["cpu"])
        for (id, key) in [(Int64(1), cpu), (2, mem), (far, cpu)] { keys.learn(id, key) }
        let data = HeadSegmentData(segments: [
            (10, SegmentCodec.encode([(1, [(100, 1)]), (2, [(100, 2)]), (far, [(100, 3)]), (7, [(100, 4)])])),
            (11, SegmentCodec.encode([(7, [(110, 5)]), (1, [(110, 6)]), (far, [(110, 7)]), (2, [(110, 8)])])),
        ], more: true, gap: false)
        var resolved: [Set<Int64>] = []
        let store: [Int64: SeriesKey] = [7: SeriesKey(host: "b", name: "cpu", labels: ["core": "0"]), 9: SeriesKey(host: "b", name: "mem")]
        let resolve: (Set<Int64>) async throws -> [Int64: SeriesKey] = { ids in
            resolved.append(ids)
            return store.filter { ids.contains($0.key) }
        }
        let got = try await HeadSegments.decode(data, after: 9, table: &keys, resolve: resolve)
        #expect(got.cursor == 11 && got.more && resolved == [[7]])
        #expect(got.runs.map(\.key.host) == ["a", "a", "b"], "series the table knew, in first-seen order, then the resolved one")
        #expect(got.runs.map { $0.points.map(\.value) } == [[1, 6], [3, 7], [4, 5]], "each series' samples in commit order")
        #expect(got.runs.allSatisfy { $0.key.name == "cpu" } && got.sampleCount == 6)
        // The next read: 7 is known now; 8 has no series and 9 is not wanted, each asked once.
        let next = HeadSegmentData(segments: [(12, SegmentCodec.encode([(8, [(120, 9)]), (7, [(120, 10)]), (9, [(120, 11)])])),
                                              (13, SegmentCodec.encode([(8, [(130, 12)]), (9, [(130, 13)]), (1, [(130, 14)])]))],
                                   more: false, gap: false)
        let second = try await HeadSegments.decode(next, after: 11, table: &keys, resolve: resolve)
        #expect(resolved == [[7], [8, 9]])
        #expect(second.cursor == 13 && !second.more && second.runs.map { $0.points.map(\.value) } == [[10], [14]])
        let third = try await HeadSegments.decode(next, after: 11, table: &keys, resolve: resolve)
        #expect(resolved.count == 2 && third.sampleCount == 2)
        var table = DenseIDTable()
        for id: Int64 in [0, 1, 999_999, 1 << 20, far, -1] {
            #expect(table[id] == DenseIDTable.unknown)
            table[id] = 3
            #expect(table[id] == 3)
        }
    }

    @Test func theFeederSeesEveryWritersCommitsAndRebuildsAfterAGap() async throws {
        let dir = TempDir()
        let path = dir.file("v.db")
        let store = try SQLiteStore(path: path)
        let other = try SQLiteStore(path: path)   // a second writer on the same file, as another process would be
        let now = WallClock.nowMs()
        let windows: [String: Int64] = ["cpu.usage_percent": 3_600_000]
        for i in 0..<5 { _ = try await store.ingest(batch("web-1", now - 300_000 + Int64(i) * 10_000, Double(i)), receivedAt: now) }
        let feeder = HeadFeeder(store: store, logger: Logger(label: "test"), batchSegments: 2)
        try await feeder.update(windows: windows, now: now)
        #expect(feeder.stats.rebuilds == 1)
        #expect(feeder.read { $0.points(metrics: ["cpu.usage_percent"], from: 0, to: .max) }.values.first?.count == 5)

        // New commits from both writers arrive through the segment log, not a rebuild; other metrics stay out.
        _ = try await store.ingest(batch("web-1", now - 200_000, 5), receivedAt: now)
        _ = try await other.ingest(batch("web-2", now - 200_000, 7), receivedAt: now)
        _ = try await other.ingest(batch("web-2", now - 190_000, 8), receivedAt: now)
        try await feeder.update(windows: windows, now: now)
        #expect(feeder.stats.rebuilds == 1)
        var points = feeder.read { $0.points(metrics: ["cpu.usage_percent", "disk.used_percent"], from: 0, to: .max) }
        #expect(points[SeriesKey(host: "web-1", name: "cpu.usage_percent")]?.map(\.value) == [0, 1, 2, 3, 4, 5])
        #expect(points[SeriesKey(host: "web-2", name: "cpu.usage_percent")]?.map(\.value) == [7, 8])
        #expect(points.count == 2)

        // The head equals what the store itself reads back.
        let fromStore = try await store.points([SeriesKey(host: "web-2", name: "cpu.usage_percent")], from: 0, to: .max)
        #expect(points[SeriesKey(host: "web-2", name: "cpu.usage_percent")] == fromStore.values.first)

        // Segments compacted away before the feeder read them: it notices and rebuilds, losing nothing.
        _ = try await other.ingest(batch("web-3", now - 100_000, 9), receivedAt: now)
        _ = try await other.ingest(batch("web-3", now - 90_000, 10), receivedAt: now)
        _ = try await store.compact(olderThan: now + 1)
        #expect(try await store.stats().headSegments == 1)
        try await feeder.update(windows: windows, now: now)
        points = feeder.read { $0.points(metrics: ["cpu.usage_percent"], from: 0, to: .max) }
        #expect(points[SeriesKey(host: "web-3", name: "cpu.usage_percent")]?.map(\.value) == [9, 10])
        #expect(feeder.stats.rebuilds == 2)

        // A longer window asks for the past.
        try await feeder.update(windows: ["cpu.usage_percent": 7_200_000, "disk.used_percent": 60_000], now: now)
        #expect(feeder.stats.rebuilds == 3)
        #expect(feeder.read { $0.points(metrics: ["disk.used_percent"], from: now - 60_000, to: .max) }.isEmpty)
    }

    /// The tap: the feeder's reads hand the wanted series' samples over (and only theirs; a metric the head does not
    /// hold, and with no rules at all), in commit order, once; a rebuild says segments were skipped.
    @Test func theTapHandsOverTheWantedSeriesAndSaysWhenSegmentsWereSkipped() async throws {
        let dir = TempDir()
        let path = dir.file("v.db")
        let store = try SQLiteStore(path: path)
        let other = try SQLiteStore(path: path)
        let now = WallClock.nowMs()
        let disk1 = SeriesKey(host: "web-1", name: "disk.used_percent", labels: ["mount": "/"])
        let disk2 = SeriesKey(host: "web-2", name: "disk.used_percent", labels: ["mount": "/"])
        let feeder = HeadFeeder(store: store, logger: Logger(label: "test"), batchSegments: 2)
        let windows: [String: Int64] = ["cpu.usage_percent": 3_600_000]
        feeder.want(metrics: ["disk.used_percent"], series: [disk1])
        try await feeder.update(windows: windows, now: now)
        var tap = feeder.drainTap()
        #expect(tap.gap && tap.points.isEmpty, "the first update builds the head from a snapshot")

        _ = try await store.ingest(batch("web-1", now - 20_000, 1), receivedAt: now)
        _ = try await other.ingest(batch("web-2", now - 20_000, 2), receivedAt: now)
        _ = try await other.ingest(batch("web-1", now - 10_000, 3), receivedAt: now)
        try await feeder.update(windows: windows, now: now)
        #expect(feeder.tapPoints == 2)
        tap = feeder.drainTap()
        #expect(!tap.gap && tap.points == [disk1: [SeriesPoint(ts: now - 20_000, value: 1), SeriesPoint(ts: now - 10_000, value: 3)]])
        #expect(feeder.drainTap().points.isEmpty && feeder.tapPoints == 0, "handed over once")
        #expect(feeder.read { $0.points(metrics: ["cpu.usage_percent", "disk.used_percent"], from: 0, to: .max) }.keys.allSatisfy { $0.name == "cpu.usage_percent" },
                "the head holds only what the rules read")

        // Another series wanted from now on; no rules at all: the segments are still read for the tap.
        feeder.want(metrics: ["disk.used_percent"], series: [disk1, disk2])
        _ = try await other.ingest(batch("web-2", now - 5_000, 4), receivedAt: now)
        _ = try await store.ingest(batch("web-1", now - 5_000, 5), receivedAt: now)
        try await feeder.update(windows: [:], now: now)
        tap = feeder.drainTap()
        #expect(tap.points[disk2]?.map(\.value) == [4] && tap.points[disk1]?.map(\.value) == [5], "\(tap.points)")
        #expect(tap.points.count == 2)

        // A rebuild (a window grew) skips the segments up to its snapshot: the tap says so.
        _ = try await store.ingest(batch("web-1", now - 1_000, 6), receivedAt: now)
        try await feeder.update(windows: ["cpu.usage_percent": 7_200_000], now: now)
        tap = feeder.drainTap()
        #expect(tap.gap && tap.points[disk1] == nil)
        // Wanting nothing stops the handing over.
        feeder.want(metrics: [], series: [])
        _ = try await store.ingest(batch("web-1", now, 7), receivedAt: now)
        try await feeder.update(windows: ["cpu.usage_percent": 7_200_000], now: now)
        #expect(feeder.drainTap().points.isEmpty)
    }
}
