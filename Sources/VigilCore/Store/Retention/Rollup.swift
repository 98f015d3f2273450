/// One bucket of a series at a coarser resolution: what a 5-minute or 1-hour rollup keeps of the raw samples
/// (min, max, sum, count and the last value), so averages, extremes and "last" stay exact after raw is gone.
public struct Rollup: Sendable, Equatable {
    /// The bucket's start (a multiple of its step).
    public var ts: Int64
    public var min: Double
    public var max: Double
    public var sum: Double
    public var count: Int
    public var last: Double

    public init(ts: Int64, min: Double, max: Double, sum: Double, count: Int, last: Double) {
        self.ts = ts
        self.min = min
        self.max = max
        self.sum = sum
        self.count = count
        self.last = last
    }

    /// A bucket of one sample (raw data shown through the same type).
    public init(point: SeriesPoint) {
        self.init(ts: point.ts, min: point.value, max: point.value, sum: point.value, count: 1, last: point.value)
    }

    public var avg: Double { count > 0 ? sum / Double(count) : .nan }

    /// The start of the bucket of `step` ms that holds `ts` (floor division, so times before 1970 work too).
    public static func bucketStart(_ ts: Int64, step: Int64) -> Int64 {
        let q = ts / step
        return (ts % step < 0 ? q - 1 : q) * step
    }

    /// Buckets of `step` ms from points in time order.
    public static func buckets(_ points: [SeriesPoint], step: Int64) -> [Rollup] {
        merge(points.map(Rollup.init(point:)), step: step)
    }

    /// Coarser buckets from finer ones (or from single points), in time order; an input may already be at `step`.
    public static func merge(_ finer: [Rollup], step: Int64) -> [Rollup] {
        var out: [Rollup] = []
        for r in finer {
            let b = bucketStart(r.ts, step: step)
            if let i = out.indices.last, out[i].ts == b {
                out[i].min = Swift.min(out[i].min, r.min)
                out[i].max = Swift.max(out[i].max, r.max)
                out[i].sum += r.sum
                out[i].count += r.count
                out[i].last = r.last
            } else {
                var first = r
                first.ts = b
                out.append(first)
            }
        }
        return out
    }

    /// `new` laid over `old` (both in time order): a bucket in `new` replaces the one with the same start.
    static func overlay(_ old: [Rollup], with new: [Rollup]) -> [Rollup] {
        guard !old.isEmpty else { return new }
        let replaced = Set(new.map(\.ts))
        return (old.filter { !replaced.contains($0.ts) } + new).sorted { $0.ts < $1.ts }
    }
}

/// The stored form of a run of rollups: five `ChunkCodec` columns (min, max, sum, count, last) over the same
/// timestamps, each length-prefixed. The timestamps repeat, at one bit a bucket when the steps are regular.
public enum RollupCodec {
    public static func encode(_ rollups: [Rollup]) -> [UInt8] {
        var out: [UInt8] = [0x52]
        Varint.put(UInt64(rollups.count), into: &out)
        let columns: [(Rollup) -> Double] = [\.min, \.max, \.sum, { Double($0.count) }, \.last]
        for column in columns {
            let bytes = ChunkCodec.encode(rollups.map { (ts: $0.ts, value: column($0)) })
            Varint.put(UInt64(bytes.count), into: &out)
            out += bytes
        }
        return out
    }

    public static func decode(_ data: [UInt8]) throws(ChunkCodec.DecodeError) -> [Rollup] {
        var r = ByteReader(data)
        guard r.byte() == 0x52, let n = r.varint(), n < 1_000_000 else { throw .corrupt }
        var columns: [[(ts: Int64, value: Double)]] = []
        for _ in 0..<5 {
            guard let len = r.varint(), len <= UInt64(data.count - r.pos) else { throw .corrupt }
            let bytes = Array(data[r.pos..<(r.pos + Int(len))])
            _ = r.skip(Int(len))
            let column = try ChunkCodec.decode(bytes)
            guard column.count == Int(n) else { throw .corrupt }
            columns.append(column)
        }
        var out: [Rollup] = []
        out.reserveCapacity(Int(n))
        for i in 0..<Int(n) {
            let count = columns[3][i].value
            guard count >= 1, count < 1e15 else { throw .corrupt }
            out.append(Rollup(ts: columns[0][i].ts, min: columns[0][i].value, max: columns[1][i].value,
                              sum: columns[2][i].value, count: Int(count), last: columns[4][i].value))
        }
        return out
    }
}
