/// The detector's two short windows: the last `capacity` inputs (view 0) and the last `capacity` means of
/// `meanLength` inputs (view 1), each ranked, for ranks and quantiles. Values must not be NaN.
///
/// The inputs are stored once, at single precision (`Float`), in arrival order, with the `meanLength − 1` inputs
/// before the window's oldest, so every mean in the window can be computed again, bit for bit, from the inputs it was
/// made of; the means themselves are not stored. Each view's sorted order is a list of 16-bit slots of that storage
/// (equal values ordered oldest first). So windows of 500 take about 4.0 KB for both views (505 inputs at 4 bytes,
/// two orders at 2 bytes a value), where storing each view's values took 6.0 KB.
///
/// A mean is `Float(sum / k)` of the last `k = min(meanLength, inputs so far)` inputs, summed oldest first in
/// `Double`: `meanIncluding(_:)` before an input is inserted and `insert(_:)` after it compute the same value.
/// Insertion and eviction are each a binary search plus a memmove; a view-1 comparison sums `meanLength` inputs.
struct ShortWindows: Sendable {
    let capacity: Int
    let meanLength: Int
    /// The newest `capacity + meanLength − 1` inputs, each in a fixed slot while it is kept.
    private var values: RingBuffer<Float>
    /// Per view: slots of `values` ordered by that view's value there (view 1: the mean ending at that input).
    private var order: ([UInt16], [UInt16]) = ([], [])

    init(capacity: Int, meanLength: Int) {
        precondition(capacity >= 1 && meanLength >= 1 && capacity + meanLength - 1 <= Int(UInt16.max) + 1,
                     "ShortWindows: capacity + meanLength - 1 must be 1...65536")
        self.capacity = capacity
        self.meanLength = meanLength
        values = RingBuffer(capacity: capacity + meanLength - 1)
        order.0.reserveCapacity(capacity)
        order.1.reserveCapacity(capacity)
    }

    /// Values in each view's window.
    var count: Int { order.0.count }
    /// Heap bytes held by the inputs and the two orders.
    var heapBytes: Int { values.heapBytes + (order.0.capacity + order.1.capacity) * MemoryLayout<UInt16>.stride }

    /// The mean that `insert(x)` will rank in view 1: of `x` (rounded to a `Float`, as it will be stored) and the
    /// `meanLength − 1` inputs before it.
    func meanIncluding(_ x: Double) -> Double {
        let x = Double(Float(x))
        let k = min(meanLength, values.count + 1)
        var sum = 0.0
        for i in (values.count - (k - 1))..<values.count { sum += Double(values[i]) }
        sum += x
        return Double(Float(sum / Double(k)))
    }

    /// View `view`'s value for the input in `slot`.
    @inline(__always)
    private func value(_ view: Int, slot: Int) -> Double {
        if view == 0 { return Double(values.element(atSlot: slot)) }
        // Until the storage is full, slot i holds the i-th input ever, whose mean has min(meanLength, i + 1) terms;
        // once full, every input in the window has `meanLength − 1` inputs before it in the storage.
        let n = values.capacity
        let k = values.isFull ? meanLength : min(meanLength, slot + 1)
        var sum = 0.0
        var s = slot - (k - 1)
        if s < 0 { s += n }
        for _ in 0..<k {
            sum += Double(values.element(atSlot: s))
            s += 1
            if s == n { s = 0 }
        }
        return Double(Float(sum / Double(k)))
    }

    @inline(__always)
    private func sortedSlot(_ view: Int, _ i: Int) -> Int { Int(view == 0 ? order.0[i] : order.1[i]) }

    /// Values in `view`'s order (the two differ only inside `insert`).
    @inline(__always)
    private func ordered(_ view: Int) -> Int { view == 0 ? order.0.count : order.1.count }

    /// The `i`-th smallest value of `view`. Precondition: `i < count`.
    func smallest(_ view: Int, _ i: Int) -> Double { value(view, slot: sortedSlot(view, i)) }

    /// The `i`-th newest value of `view` (0 = the newest). Precondition: `i < count`.
    func newestValue(_ view: Int, _ i: Int) -> Double { value(view, slot: values.slot(at: values.count - 1 - i)) }

    /// The newest `k` values of `view`, newest first. Precondition: `k <= count`.
    func newest(_ view: Int, _ k: Int) -> [Double] { (0..<k).map { newestValue(view, $0) } }

    /// Adds input `x`, rounded to a `Float` (the detector passes values a `Float` holds exactly), to view 0 and its
    /// mean to view 1, evicting the oldest of each when the windows are full.
    mutating func insert(_ x: Double) {
        let x = Double(Float(x))
        if count == capacity {
            // The oldest input in the windows; the storage still holds the inputs its mean was made of. Equal values
            // are ordered oldest first and the oldest of all leaves, so it is the first of its run.
            let leaving = values.slot(at: values.count - capacity)
            for view in 0...1 {
                let at = lowerBound(view, value(view, slot: leaving))
                assert(sortedSlot(view, at) == leaving, "ShortWindows: the leaving value is not first among its equals")
                if view == 0 { order.0.remove(at: at) } else { order.1.remove(at: at) }
            }
        }
        let mean = meanIncluding(x)
        let slot = values.nextSlot
        values.append(Float(x))
        let s = UInt16(truncatingIfNeeded: slot)
        order.0.insert(s, at: upperBound(0, x))
        order.1.insert(s, at: upperBound(1, mean))
        assert(value(1, slot: slot) == mean, "ShortWindows: a mean computed again differs")
    }

    /// Number of `view`'s values `< v`.
    func lowerBound(_ view: Int, _ v: Double) -> Int {
        var lo = 0
        var hi = ordered(view)
        while lo < hi {
            let mid = (lo + hi) >> 1
            if smallest(view, mid) < v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Number of `view`'s values `<= v`.
    func upperBound(_ view: Int, _ v: Double) -> Int {
        var lo = 0
        var hi = ordered(view)
        while lo < hi {
            let mid = (lo + hi) >> 1
            if smallest(view, mid) <= v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The `q` quantile (0...1) of `view` with linear interpolation between order statistics (numpy's default).
    /// Precondition: not empty.
    func quantile(_ view: Int, _ q: Double) -> Double {
        let n = count
        let pos = q * Double(n - 1)
        let i = Int(pos.rounded(.down))
        if i + 1 >= n { return smallest(view, n - 1) }
        let a = smallest(view, i)
        let b = smallest(view, i + 1)
        return a + (b - a) * (pos - Double(i))
    }
}
