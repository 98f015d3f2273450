/// The last `blocks × blockSize` values of a stream, kept as a few order statistics per block of `blockSize`
/// consecutive values rather than the values themselves: `ranks.count` `BFloat16`s per block (38 bytes for blocks of
/// 360) instead of `blockSize × 8` bytes. Each kept value is rounded outward to two bytes (down below the block's
/// middle, up above it; about 2.4 significant digits), so the window's extremes and spread are never understated.
///
/// Each completed block keeps its 1st, 2nd, 3rd, 5th, 9th, … smallest and largest values (ranks 0, 1, 2, 4, 8,
/// 16, 32, 64, 128 from each end) and its middle, so ranks near the window's extremes, the ones a tail p-value
/// needs, are exact or nearly so, and ranks in between are interpolated. The block being filled is not kept
/// here: its values are the newest ones the caller already holds (`rank` and `extremes` take them as a closure).
/// Quantiles of the completed blocks are computed once per completed block.
struct BlockWindow: Sendable {
    let blockSize: Int
    let maxBlocks: Int
    /// Ranks (0-based, ascending) kept per block.
    let ranks: [Int]
    /// `maxBlocks` summaries of `ranks.count` values each, a ring: block `i` (0 = oldest) starts at
    /// `((head + i) % maxBlocks) * ranks.count`.
    private var summaries: [BFloat16] = []
    private var head = 0
    private(set) var blockCount = 0
    /// q5, q50 and q95 of the completed blocks, as of the last completed block.
    private(set) var cachedQuantiles = (q5: 0.0, q50: 0.0, q95: 0.0)
    private(set) var completedMin = Double.infinity
    private(set) var completedMax = -Double.infinity

    /// `ranks` as `ranks(blockSize:)` makes them; pass one array to many windows and they share it.
    init(blockSize: Int, maxBlocks: Int, ranks: [Int]? = nil) {
        precondition(blockSize >= 8 && maxBlocks >= 1)
        self.blockSize = blockSize
        self.maxBlocks = maxBlocks
        self.ranks = ranks ?? Self.ranks(blockSize: blockSize)
        summaries.reserveCapacity(maxBlocks * self.ranks.count)
    }

    /// The ranks kept per block of `blockSize`: 0, 1, 2, 4, 8, … from each end, and the middle.
    static func ranks(blockSize: Int) -> [Int] {
        var low: [Int] = [0]
        var k = 1
        while k < blockSize / 2 - 1 {
            low.append(k)
            k *= 2
        }
        let high = low.reversed().map { blockSize - 1 - $0 }
        return low + [blockSize / 2] + high
    }

    /// Heap bytes held: the summaries (the rank list is shared by the detectors).
    var heapBytes: Int { summaries.capacity * MemoryLayout<BFloat16>.stride }

    /// Values in the completed blocks.
    var completedCount: Int { blockCount * blockSize }

    /// Adds a completed block (`values` holds exactly `blockSize` values, any order), dropping the oldest block
    /// when `maxBlocks` are kept.
    mutating func append(block values: [Double]) {
        precondition(values.count == blockSize)
        let sorted = values.sorted()
        let p = ranks.count
        if blockCount < maxBlocks {
            summaries.append(contentsOf: ranks.map { summary(sorted[$0], rank: $0) })
            blockCount += 1
        } else {
            for (j, r) in ranks.enumerated() { summaries[head * p + j] = summary(sorted[r], rank: r) }
            head = (head + 1) % maxBlocks
        }
        refreshCache()
    }

    /// A block's value at `rank`, rounded outward: down below the middle rank, up above it, to the nearest at it.
    private func summary(_ v: Double, rank: Int) -> BFloat16 {
        let middle = blockSize / 2
        return BFloat16(Float(v), rounding: rank < middle ? .down : rank > middle ? .up : .toNearestOrEven)
    }

    /// The summary points of stored block `b` (storage order, not age).
    @inline(__always)
    private func point(_ b: Int, _ j: Int) -> Double { Double(summaries[b * ranks.count + j].float) }

    /// Estimated number of completed values `<= v` (`inclusive`) or `< v`.
    func count(_ v: Double, inclusive: Bool) -> Double {
        var total = 0.0
        let p = ranks.count
        for b in 0..<blockCount {
            let first = point(b, 0)
            let last = point(b, p - 1)
            if inclusive ? v < first : v <= first { continue }
            if inclusive ? v >= last : v > last {
                total += Double(blockSize)
                continue
            }
            // j: the last point `<= v` (inclusive) or `< v`; points[j] < points[j+1] side of v.
            var lo = 0
            var hi = p - 1
            while hi - lo > 1 {
                let mid = (lo + hi) >> 1
                let m = point(b, mid)
                if inclusive ? m <= v : m < v { lo = mid } else { hi = mid }
            }
            let a = point(b, lo)
            let c = point(b, hi)
            let frac = c > a ? (v - a) / (c - a) : 1
            // Values at ranks[lo] and below are counted; those strictly between the two points by interpolation.
            total += Double(ranks[lo] + 1) + Double(ranks[hi] - ranks[lo] - 1) * min(1, max(0, frac))
        }
        return total
    }

    private mutating func refreshCache() {
        var lo = Double.infinity
        var hi = -Double.infinity
        var candidates: [Double] = []
        candidates.reserveCapacity(summaries.count)
        let p = ranks.count
        for b in 0..<blockCount {
            lo = min(lo, point(b, 0))
            hi = max(hi, point(b, p - 1))
            for j in 0..<p { candidates.append(point(b, j)) }
        }
        completedMin = lo
        completedMax = hi
        candidates.sort()
        cachedQuantiles = (quantile(0.05, candidates), quantile(0.5, candidates), quantile(0.95, candidates))
    }

    /// The smallest summary point whose estimated rank reaches `q` of the completed values.
    private func quantile(_ q: Double, _ candidates: [Double]) -> Double {
        let target = q * Double(completedCount - 1) + 1
        var lo = 0
        var hi = candidates.count - 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if count(candidates[mid], inclusive: true) >= target { hi = mid } else { lo = mid + 1 }
        }
        return candidates[lo]
    }
}
