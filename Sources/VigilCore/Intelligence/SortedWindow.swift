/// The last `capacity` values of a stream, kept both in arrival order (to know which one leaves) and sorted
/// (for ranks and quantiles). Insertion and eviction are each a binary search plus a memmove: O(log n + n) with a
/// tiny constant, about a microsecond for a few thousand values. Values must not be NaN.
///
/// Values are stored at single precision (`Float`): callers pass values that a `Float` holds exactly
/// (`AnomalyDetector` rounds its inputs), so nothing is lost and comparisons are as with `Double`s, at half the memory.
struct SortedWindow: Sendable {
    private var arrival: RingBuffer<Float>
    private var sorted: [Float] = []

    init(capacity: Int) {
        arrival = RingBuffer(capacity: capacity)
        sorted.reserveCapacity(capacity)
    }

    var count: Int { sorted.count }
    /// Heap bytes held by both orders.
    var heapBytes: Int { arrival.heapBytes + sorted.capacity * MemoryLayout<Float>.stride }

    /// The `i`-th smallest value. Precondition: `i < count`.
    func smallest(_ i: Int) -> Double { Double(sorted[i]) }

    /// Adds `value`, evicting the oldest value when the window is full.
    mutating func insert(_ value: Double) {
        let f = Float(value)
        if let old = arrival.append(f) {
            sorted.remove(at: lowerBound(Double(old)))
        }
        sorted.insert(f, at: upperBound(Double(f)))
    }

    /// The `i`-th newest value (0 = the newest). Precondition: `i < count`.
    func newestValue(_ i: Int) -> Double { Double(arrival[arrival.count - 1 - i]) }

    /// The newest `k` values, newest first. Precondition: `k <= count`.
    func newest(_ k: Int) -> [Double] { (0..<k).map(newestValue) }

    /// Number of stored values `< value`.
    func lowerBound(_ value: Double) -> Int {
        var lo = 0
        var hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if Double(sorted[mid]) < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Number of stored values `<= value`.
    func upperBound(_ value: Double) -> Int {
        var lo = 0
        var hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if Double(sorted[mid]) <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The `q` quantile (0...1) with linear interpolation between order statistics (numpy's default).
    /// Precondition: not empty.
    func quantile(_ q: Double) -> Double {
        let n = sorted.count
        let pos = q * Double(n - 1)
        let i = Int(pos.rounded(.down))
        if i + 1 >= n { return Double(sorted[n - 1]) }
        let a = Double(sorted[i])
        let b = Double(sorted[i + 1])
        return a + (b - a) * (pos - Double(i))
    }
}
