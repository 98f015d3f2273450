/// The last `capacity` values of a stream, kept both in arrival order (to know which one leaves) and sorted
/// (for ranks and quantiles). Insertion and eviction are each a binary search plus a memmove: O(log n + n) with a
/// tiny constant, about a microsecond for a few thousand values. Values must not be NaN.
///
/// Values are stored once, at single precision (`Float`), in arrival order: callers pass values that a `Float`
/// holds exactly (`AnomalyDetector` rounds its inputs), so nothing is lost and comparisons are as with `Double`s.
/// The sorted order is a list of 16-bit positions in that storage, not a second copy of the values: 6 bytes a value
/// in all, where two copies took 8.
struct SortedWindow: Sendable {
    /// The values in arrival order, each in a fixed slot of the ring's storage while it is kept.
    private var values: RingBuffer<Float>
    /// Slots of `values`, ordered by their value; equal values by age, oldest first.
    private var order: [UInt16] = []

    init(capacity: Int) {
        precondition(capacity >= 1 && capacity <= Int(UInt16.max) + 1, "SortedWindow capacity must be 1...65536")
        values = RingBuffer(capacity: capacity)
        order.reserveCapacity(capacity)
    }

    var count: Int { values.count }
    /// Heap bytes held by the values and their order.
    var heapBytes: Int { values.heapBytes + order.capacity * MemoryLayout<UInt16>.stride }

    @inline(__always)
    private func sortedValue(_ i: Int) -> Float { values.element(atSlot: Int(order[i])) }

    /// The `i`-th smallest value. Precondition: `i < count`.
    func smallest(_ i: Int) -> Double { Double(sortedValue(i)) }

    /// Adds `value`, evicting the oldest value when the window is full.
    mutating func insert(_ value: Double) {
        let f = Float(value)
        let slot = values.nextSlot
        if values.isFull {
            // Equal values are ordered oldest first and the oldest of all leaves, so it is the first of its run.
            let at = lowerBound(Double(values[0]))
            assert(Int(order[at]) == slot, "SortedWindow: the leaving value is not first among its equals")
            order.remove(at: at)
        }
        values.append(f)
        order.insert(UInt16(truncatingIfNeeded: slot), at: upperBound(Double(f)))
    }

    /// The `i`-th newest value (0 = the newest). Precondition: `i < count`.
    func newestValue(_ i: Int) -> Double { Double(values[values.count - 1 - i]) }

    /// The newest `k` values, newest first. Precondition: `k <= count`.
    func newest(_ k: Int) -> [Double] { (0..<k).map(newestValue) }

    /// Number of stored values `< value`.
    func lowerBound(_ value: Double) -> Int {
        var lo = 0
        var hi = order.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if Double(sortedValue(mid)) < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Number of stored values `<= value`.
    func upperBound(_ value: Double) -> Int {
        var lo = 0
        var hi = order.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if Double(sortedValue(mid)) <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The `q` quantile (0...1) with linear interpolation between order statistics (numpy's default).
    /// Precondition: not empty.
    func quantile(_ q: Double) -> Double {
        let n = order.count
        let pos = q * Double(n - 1)
        let i = Int(pos.rounded(.down))
        if i + 1 >= n { return Double(sortedValue(n - 1)) }
        let a = Double(sortedValue(i))
        let b = Double(sortedValue(i + 1))
        return a + (b - a) * (pos - Double(i))
    }
}
