import Testing
@testable import VigilCore

@Suite struct ChunkCodecTests {
    @Test func roundTripsIrregularSeries() throws {
        var rng = SplitMix64(seed: 7)
        var t: Int64 = 1_764_000_000_000
        var points: [(ts: Int64, value: Double)] = []
        for i in 0..<120 {
            t += i % 17 == 0 ? Int64(rng.next() % 100_000) : 10_000
            let v = i % 5 == 0 ? Double(i) : (rng.nextDouble() - 0.5) * 1e9
            points.append((t, i == 60 ? -0.0 : v))
        }
        let decoded = try ChunkCodec.decode(ChunkCodec.encode(points))
        #expect(decoded.count == points.count)
        for (a, b) in zip(decoded, points) {
            #expect(a.ts == b.ts)
            #expect(a.value.bitPattern == b.value.bitPattern)
        }
    }

    @Test func regularConstantSeriesCostAboutTwoBytesPerSample() {
        let points = (0..<120).map { (ts: Int64(1_764_000_000_000 + $0 * 10_000), value: 42.0) }
        let bytes = ChunkCodec.encode(points).count
        #expect(bytes <= 120 / 4 + 20, "\(bytes) bytes: one bit a sample for the time, one for the value")
    }

    @Test func decimalValuesRoundTripExactlyAndCostUnderTwoBytes() throws {
        // Noisy two-decimal percentages at a regular 10 s scrape, as the demo fleet and agents report them.
        var rng = SplitMix64(seed: 11)
        var level = 40.0
        let points = (0..<120).map { i -> (ts: Int64, value: Double) in
            level = min(100, max(0, level + (rng.nextDouble() - 0.5) * 4))
            return (Int64(1_764_000_000_000 + i * 10_000), (level * 100).rounded() / 100)
        }
        let bytes = ChunkCodec.encode(points)
        #expect(ChunkCodec.decimalPlaces(points) == 2)
        let decoded = try ChunkCodec.decode(bytes)
        #expect(decoded.map(\.ts) == points.map(\.ts))
        #expect(decoded.map(\.value.bitPattern) == points.map(\.value.bitPattern))
        #expect(Double(bytes.count) / 120 < 2, "\(bytes.count) bytes for 120 samples")
    }

    @Test func valuesThatAreNotShortDecimalsFallBackToXOR() throws {
        let points: [(ts: Int64, value: Double)] = [(1, 1.0 / 3), (2, .pi), (3, .infinity), (4, -.infinity), (5, .nan),
                                                    (6, -0.0), (7, 1e300), (8, .leastNonzeroMagnitude), (9, 1.0 / 3), (10, 0.1)]
        #expect(ChunkCodec.decimalPlaces(points) == nil)
        let decoded = try ChunkCodec.decode(ChunkCodec.encode(points))
        #expect(decoded.map(\.ts) == points.map(\.ts))
        #expect(decoded.map(\.value.bitPattern) == points.map(\.value.bitPattern))
    }

    @Test func extremeTimestampStepsRoundTrip() throws {
        let ts: [Int64] = [0, 1, 1_000, 1_000_000, 1_000_000_000_000, 1_000_000_000_001, -5, .max / 4, .min / 4, 0]
        let points = ts.map { (ts: $0, value: 12.5) }
        #expect(try ChunkCodec.decode(ChunkCodec.encode(points)).map(\.ts) == ts)
        #expect(try ChunkCodec.decode(ChunkCodec.encode([])).isEmpty)
    }

    @Test func chunksOfTheFirstVersionStillDecode() throws {
        // (1 ms, 1.5), (2 ms, 2.5) as version 1 wrote them: count, zigzag ts, then XOR control byte and bytes.
        let v1: [UInt8] = [0x02, 0x02, 0x06, 0x3F, 0xF8, 0x02, 0x06, 0x7F, 0xFC]
        let decoded = try ChunkCodec.decode(v1)
        #expect(decoded.map(\.ts) == [1, 2])
        #expect(decoded.map(\.value) == [1.5, 2.5])
    }

    @Test func chunksKeptBackToBackDecodeEachWithinItsOwnBytes() throws {
        // As the head keeps a series' sealed chunks: both versions in one array, each read by its range.
        let a = ChunkCodec.encode([(1_000, 1.5), (2_000, 2.5), (3_000, 9.75)])
        let v1: [UInt8] = [0x02, 0x02, 0x06, 0x3F, 0xF8, 0x02, 0x06, 0x7F, 0xFC]
        let b = ChunkCodec.encode((0..<32).map { (ts: Int64(10_000 + $0 * 1_000), value: Double($0).squareRoot()) })
        let all = a + v1 + b
        #expect(try ChunkCodec.decode(all, in: 0..<a.count).map(\.value) == [1.5, 2.5, 9.75])
        #expect(try ChunkCodec.decode(all, in: a.count..<(a.count + v1.count)).map(\.ts) == [1, 2])
        let last = try ChunkCodec.decode(all, in: (a.count + v1.count)..<all.count)
        #expect(last.count == 32 && last[31].value == Double(31).squareRoot())
        // A range cut short is corrupt, not a read into the next chunk's bytes.
        for cut in 0..<a.count {
            #expect(throws: ChunkCodec.DecodeError.self) { try ChunkCodec.decode(all, in: 0..<cut) }
        }
        #expect(throws: ChunkCodec.DecodeError.self) { try ChunkCodec.decode(all, in: 0..<(all.count + 1)) }
    }

    @Test func corruptDataIsAnErrorNotACrash() {
        let good = ChunkCodec.encode([(1, 1.5), (2, 2.5), (3, 9.75)])
        for cut in 0..<good.count {
            #expect(throws: ChunkCodec.DecodeError.self) { try ChunkCodec.decode(Array(good.prefix(cut))) }
        }
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var rng = SplitMix64(seed: 3)
        var decodedSome = 0
        for _ in 0..<5_000 {
            var bytes: [UInt8] = [0x00, 0x02, UInt8(rng.next() % 130)]
            for _ in 0..<Int(rng.next() % 64) { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            if let points = try? ChunkCodec.decode(bytes) { decodedSome += points.isEmpty ? 0 : 1 }
        }
        #expect(decodedSome < 5_000)
    }

    @Test func segmentsScanOnlyWantedSeries() throws {
        let blob = SegmentCodec.encode([(1, [(100, 1.0), (110, 2.0)]), (2, [(100, 5.0)]), (3, [(90, 7.0), (95, 8.0)])])
        var got: [(Int64, Int64, Double)] = []
        let slots = SeriesSlots([3, 1])
        try SegmentCodec.scan(blob, slots: slots) { got.append((slots.ids[$0], $1, $2)) }
        #expect(got.map(\.0) == [1, 1, 3, 3])
        #expect(got.map(\.1) == [100, 110, 90, 95])
        #expect(got.map(\.2) == [1, 2, 7, 8])
        var all: [Int64] = []
        try SegmentCodec.scan(blob) { sid, _, _ in all.append(sid) }
        #expect(all == [1, 1, 2, 3, 3])
    }

    /// A batch's samples in arrival order come out grouped by series (ids ascending), each series' samples in the
    /// order they arrived (equal timestamps included: the later one must stay later), bytes as `encode` writes them.
    @Test func aSegmentBuilderGroupsBySeriesAndKeepsArrivalOrder() throws {
        var b = SegmentBuilder(capacity: 8)
        let input: [(Int64, Int64, Double)] = [(7, 100, 1), (2, 100, 2), (7, 90, 3), (-1, 50, 4), (2, 100, 5), (9, 300, 6), (7, 95, 7)]
        for (id, ts, v) in input { b.add(series: id, ts: ts, value: v) }
        #expect(b.count == 7 && b.minTs == 50 && b.maxTs == 300)
        var got: [(Int64, Int64, Double)] = []
        try SegmentCodec.scan(b.encode()) { got.append(($0, $1, $2)) }
        #expect(got.map(\.0) == [-1, 2, 2, 7, 7, 7, 9])
        #expect(got.map(\.1) == [50, 100, 100, 100, 90, 95, 300])
        #expect(got.map(\.2) == [4, 2, 5, 1, 3, 7, 6])
        #expect(b.encode() == SegmentCodec.encode([(-1, [(50, 4)]), (2, [(100, 2), (100, 5)]), (7, [(100, 1), (90, 3), (95, 7)]), (9, [(300, 6)])]))
        #expect(SegmentBuilder(capacity: 0).encode().isEmpty)
        // Already in id order (the usual batch; equal ids next to each other): the same bytes as the sorted path.
        var inOrder = SegmentBuilder(capacity: 8)
        for (id, ts, v) in [(-1, 50, 4), (2, 100, 2), (2, 100, 5), (7, 100, 1), (7, 90, 3), (7, 95, 7), (9, 300, 6)] as [(Int64, Int64, Double)] {
            inOrder.add(series: id, ts: ts, value: v)
        }
        #expect(inOrder.encode() == b.encode())
    }

    /// Reads merge chunks and segments per series: sorted by time, one point per timestamp, the later arrival
    /// winning; a series already in order comes back as it is.
    @Test func aReadSortsAndDeduplicatesOnlyWhatNeedsIt() throws {
        var acc = PointAccumulator(ids: [1, 2], from: 0, to: 1_000)
        try acc.addChunk(series: 1, data: ChunkCodec.encode([(100, 1), (200, 2)]))
        try acc.addSegment(SegmentCodec.encode([(1, [(150, 3), (200, 4), (5_000, 9)]), (2, [(10, 5), (20, 6)]), (3, [(10, 7)])]))
        try acc.addSegment(SegmentCodec.encode([(2, [(30, 8)])]))
        let got = acc.result()
        #expect(got.keys.sorted() == [1, 2])
        #expect(got[1]?.map(\.ts) == [100, 150, 200] && got[1]?.map(\.value) == [1, 3, 4])
        #expect(got[2]?.map(\.ts) == [10, 20, 30] && got[2]?.map(\.value) == [5, 6, 8])
    }

    /// Slots come from a table over a dense range of ids and from a dictionary over a sparse one; both answer alike.
    @Test(arguments: [[Int64](arrayLiteral: 5, 1, 9, 2, 5), [1, 4_000_000_000, 70_000, -3], [.min, .max, 0]])
    func seriesSlotsFindEveryIdAndNoOther(ids: [Int64]) {
        let slots = SeriesSlots(ids)
        #expect(slots.ids == Array(Set(ids)).sorted())
        for (slot, id) in slots.ids.enumerated() { #expect(slots.slot(of: id) == slot) }
        for other: Int64 in [0, 3, 8, 10, 69_999, 4_000_000_001, -4, .max, .min] where !ids.contains(other) {
            #expect(slots.slot(of: other) == nil, "\(other)")
        }
        #expect(SeriesSlots([Int64]()).slot(of: 1) == nil)
    }
}

@Suite struct HealthScoreTests {
    @Test func healthyHostScoresFull() {
        #expect(HealthScore(status: .up, cpu: 40, memory: 60, disk: 50, load1: 1, cpus: 4, checksFailing: 0, recentErrors: 0).score == 100)
    }

    @Test func penaltiesAddUpAndClamp() {
        // cpu 95 → 22.5, disk 92 → 30, one failing check → 15: 100 - 67.5 = 32.5 → 33 (rounded)
        let s = HealthScore(status: .up, cpu: 95, memory: 50, disk: 92, load1: 1, cpus: 4, checksFailing: 1, recentErrors: 0)
        #expect(s.score == 33)
        #expect(HealthScore(status: .up, cpu: 100, memory: 100, disk: 100, load1: 99, cpus: 1, checksFailing: 5, recentErrors: 50).score == 0)
    }

    @Test func staleCapsAndDownZeroes() {
        #expect(HealthScore(status: .stale, cpu: 10, memory: 10, disk: 10, load1: 0, cpus: 1, checksFailing: 0, recentErrors: 0).score == 50)
        #expect(HealthScore(status: .down, cpu: 10, memory: 10, disk: 10, load1: 0, cpus: 1, checksFailing: 0, recentErrors: 0).score == 0)
    }

    @Test func statusFromLastSeen() {
        #expect(HealthScore.status(lastSeen: 1_000_000, now: 1_029_000) == .up)
        #expect(HealthScore.status(lastSeen: 1_000_000, now: 1_031_000) == .stale)
        #expect(HealthScore.status(lastSeen: 1_000_000, now: 1_300_000) == .down)
    }
}
