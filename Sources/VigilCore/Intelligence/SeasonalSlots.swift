/// The range (lowest and highest value) of two views of a stream in each `slotMs` slot of time over the last
/// `capacity` slots, for "what did this series do at this time of day on the previous days".
///
/// Stored as `BFloat16` (two bytes, `Float`'s range, about 2.4 significant digits), the high end rounded up and the
/// low end down, so a stored range never shrinks (values beyond ±3.4e38 widen it to infinity). A slot of time with
/// no value is empty. Timestamps may arrive out of order within the kept span; older ones are ignored.
struct SeasonalSlots: Sendable {
    let slotMs: Int64
    let capacity: Int
    /// Per slot: hi view 0, hi view 1, lo view 0, lo view 1.
    private var ranges: [BFloat16]
    /// The newest slot number written (Int64.min: none).
    private var newest = Int64.min

    init(slotMs: Int64, capacity: Int) {
        precondition(slotMs > 0 && capacity >= 2)
        self.slotMs = slotMs
        self.capacity = capacity
        ranges = Array(repeating: BFloat16(bits: 0), count: capacity * 4)
        for i in 0..<capacity { clear(i) }
    }

    /// The slot of `ts` (floor division; any Int64 works, and slot numbers are small enough to add and subtract).
    static func slot(_ ts: Int64, _ slotMs: Int64) -> Int64 {
        ts / slotMs - (ts % slotMs < 0 ? 1 : 0)
    }

    /// How far into its slot `ts` lies, 0..<slotMs.
    static func offset(_ ts: Int64, _ slotMs: Int64) -> Int64 {
        let r = ts % slotMs
        return r < 0 ? r + slotMs : r
    }

    private func index(_ slot: Int64) -> Int { Int(((slot % Int64(capacity)) + Int64(capacity)) % Int64(capacity)) }

    private mutating func clear(_ i: Int) {
        ranges[i * 4] = .negativeInfinity
        ranges[i * 4 + 1] = .negativeInfinity
        ranges[i * 4 + 2] = .infinity
        ranges[i * 4 + 3] = .infinity
    }

    private static func up(_ x: Double) -> BFloat16 {
        let f = Float(x)
        return BFloat16(Double(f) < x ? f.nextUp : f, rounding: .up)
    }

    private static func down(_ x: Double) -> BFloat16 {
        let f = Float(x)
        return BFloat16(Double(f) > x ? f.nextDown : f, rounding: .down)
    }

    private static func higher(_ a: BFloat16, _ b: BFloat16) -> BFloat16 { a.float >= b.float ? a : b }
    private static func lower(_ a: BFloat16, _ b: BFloat16) -> BFloat16 { a.float <= b.float ? a : b }

    /// Heap bytes held.
    var heapBytes: Int { ranges.capacity * MemoryLayout<BFloat16>.stride }

    /// Records the two views' values at `ts`.
    mutating func record(ts: Int64, _ v0: Double, _ v1: Double) {
        let s = Self.slot(ts, slotMs)
        if newest == .min {
            newest = s
        } else if s > newest {
            // Slots passed over since the newest one are empty now (their old contents are `capacity` slots old).
            let steps = min(Int64(capacity), s - newest)
            for k in 1...steps { clear(index(newest + k)) }
            newest = s
        } else if newest - s >= Int64(capacity) {
            return
        }
        let i = index(s) * 4
        ranges[i] = Self.higher(ranges[i], Self.up(v0))
        ranges[i + 1] = Self.higher(ranges[i + 1], Self.up(v1))
        ranges[i + 2] = Self.lower(ranges[i + 2], Self.down(v0))
        ranges[i + 3] = Self.lower(ranges[i + 3], Self.down(v1))
    }

    /// Widens `hi`/`lo` by the ranges of the slots `from...to` that are kept.
    func widen(from: Int64, to: Int64, hi: inout (Double, Double), lo: inout (Double, Double)) {
        guard newest != .min else { return }
        let a = max(from, newest - Int64(capacity) + 1)
        let b = min(to, newest)
        guard a <= b else { return }
        for s in a...b {
            let i = index(s) * 4
            hi = (max(hi.0, Double(ranges[i].float)), max(hi.1, Double(ranges[i + 1].float)))
            lo = (min(lo.0, Double(ranges[i + 2].float)), min(lo.1, Double(ranges[i + 3].float)))
        }
    }
}
