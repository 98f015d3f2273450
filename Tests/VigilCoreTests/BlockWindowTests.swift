import Testing
@testable import VigilCore

/// The detector's windows (short, compact long) and seasonal ranges against the exact answers.
struct BlockWindowTests {
    @Test func countsAreExactAtTheExtremesAndCloseBetween() {
        var w = BlockWindow(blockSize: 360, maxBlocks: 24)
        var all: [Double] = []
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<30 {
            let block = (0..<360).map { _ in Double.random(in: 0..<1000, using: &rng).rounded() }
            w.append(block: block)
            all = Array((all + block).suffix(24 * 360))
        }
        #expect(w.blockCount == 24 && w.completedCount == 8640)
        // Summaries are kept as `BFloat16`s rounded outward (a step of 4 between 512 and 1024): the extremes are
        // the true ones or one step beyond.
        #expect(w.completedMin <= all.min()! && w.completedMin >= all.min()! - 4)
        #expect(w.completedMax >= all.max()! && w.completedMax <= all.max()! + 4)
        let sorted = all.sorted()
        // Beyond the extremes and at them: exact.
        #expect(w.count(-1, inclusive: true) == 0 && w.count(2000, inclusive: false) == 8640)
        #expect(w.count(sorted[0], inclusive: false) == 0)
        // Each block keeps its 9 smallest and largest, rounded outward by at most one step (4 between 512 and 1024,
        // 1 below 256), so the tails are within a value per block and the values within a step of the probe.
        for v in [sorted[2], sorted[30], sorted[8600], sorted[8637]] {
            let exact = Double(sorted.filter { $0 <= v }.count)
            let nearby = Double(sorted.filter { abs($0 - v) <= 4 }.count)
            #expect(abs(w.count(v, inclusive: true) - exact) <= 24 + nearby, "\(v): \(w.count(v, inclusive: true)) vs \(exact)")
        }
        // In the middle: interpolated, within 3 %.
        let mid = sorted[4320]
        let exact = Double(sorted.filter { $0 <= mid }.count)
        #expect(abs(w.count(mid, inclusive: true) - exact) < 0.03 * 8640)
        let q = w.cachedQuantiles
        #expect(abs(q.q50 - sorted[4320]) < 30 && abs(q.q5 - sorted[432]) < 30 && abs(q.q95 - sorted[8207]) < 30, "\(q)")
    }

    @Test func theShortWindowsAnswerAsTheSortedLastValuesAndMeansWould() {
        // Few distinct values (long runs of equals, zeros of both signs) and many, before and after the windows and
        // the storage fill; means of 1, 3 and 6 inputs (the first ones of fewer).
        var rng = SystemRandomNumberGenerator()
        for (distinct, meanLength) in [(1, 6), (3, 3), (1000, 6), (1000, 1), (7, 6)] {
            var w = ShortWindows(capacity: 50, meanLength: meanLength)
            var inputs: [Double] = []
            var means: [Double] = []
            for step in 0..<400 {
                var v = Double(Int.random(in: 0..<distinct, using: &rng)) - Double(distinct / 2)
                if distinct > 100 { v += 0.1 }  // means a Float rounds
                if v == 0 && Bool.random(using: &rng) { v = -0.0 }
                // Inputs are stored as `Float`s (the detector rounds them first): compare with the rounded ones.
                if Bool.random(using: &rng) { v = Double(Float(v)) }
                let expectedMean = w.meanIncluding(v)
                inputs.append(Double(Float(v)))
                // The mean as the detector made it before: the last inputs summed oldest first, rounded to a Float.
                let last = inputs.suffix(meanLength)
                let mean = Double(Float(last.reduce(0.0, +) / Double(last.count)))
                #expect(expectedMean == mean, "step \(step)")
                means.append(mean)
                w.insert(v)
                for (view, all) in [(0, inputs), (1, means)] {
                    let kept = Array(all.suffix(50))
                    let sorted = kept.sorted()
                    #expect(w.count == kept.count)
                    #expect((0..<kept.count).map { w.smallest(view, $0) } == sorted, "step \(step), view \(view)")
                    #expect(w.newest(view, kept.count) == kept.reversed(), "step \(step), view \(view)")
                    let probe = Double(Int.random(in: -distinct...distinct, using: &rng)) / 2
                    #expect(w.lowerBound(view, probe) == sorted.filter { $0 < probe }.count)
                    #expect(w.upperBound(view, probe) == sorted.filter { $0 <= probe }.count)
                    #expect(w.quantile(view, 0) == sorted[0] && w.quantile(view, 1) == sorted[kept.count - 1])
                }
            }
            let sorted = means.suffix(50).sorted()
            #expect(w.quantile(1, 0.5) == sorted[24] + (sorted[25] - sorted[24]) * 0.5)
        }
    }

    @Test func seasonalSlotsKeepSevenDaysAndForgetOlder() {
        let slot: Int64 = 30 * 60_000
        var s = SeasonalSlots(slotMs: slot, capacity: 338)
        let t0: Int64 = 1_700_000_000_000 / slot * slot
        s.record(ts: t0, 5, 50)
        s.record(ts: t0 + 60_000, 7, 70)
        var hi = (-Double.infinity, -Double.infinity)
        var lo = (Double.infinity, Double.infinity)
        s.widen(from: SeasonalSlots.slot(t0, slot), to: SeasonalSlots.slot(t0, slot), hi: &hi, lo: &lo)
        #expect(hi == (7, 70) && lo == (5, 50))
        // 338 slots later the slot is reused and its old range gone.
        s.record(ts: t0 + 338 * slot, 1, 1)
        var hi2 = (-Double.infinity, -Double.infinity)
        var lo2 = (Double.infinity, Double.infinity)
        s.widen(from: SeasonalSlots.slot(t0, slot), to: SeasonalSlots.slot(t0, slot), hi: &hi2, lo: &lo2)
        #expect(hi2.0 == -.infinity && lo2.0 == .infinity)
        // A value Float cannot hold exactly widens the range, never narrows it.
        s.record(ts: t0 + 338 * slot, 0.1, -0.1)
        var hi3 = (-Double.infinity, -Double.infinity)
        var lo3 = (Double.infinity, Double.infinity)
        let now = SeasonalSlots.slot(t0 + 338 * slot, slot)
        s.widen(from: now, to: now, hi: &hi3, lo: &lo3)
        #expect(hi3.0 >= 1 && lo3.0 <= 0.1 && lo3.1 <= -0.1 && hi3.1 >= 1)
        // Negative times and the extremes of Int64 do not trap.
        #expect(SeasonalSlots.slot(-1, slot) == -1 && SeasonalSlots.offset(-1, slot) == slot - 1)
        _ = SeasonalSlots.slot(.min, slot)
        _ = SeasonalSlots.offset(.max, slot)
    }
}
