/// The head encoding of one ingest batch: samples grouped by series, cheap to write and to scan.
///
/// Layout: repeated `[series id varint][count varint]` then `count` × `[ts zigzag delta varint][8-byte value]`.
public enum SegmentCodec {
    public static func encode(_ groups: [(series: Int64, points: [(ts: Int64, value: Double)])]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(groups.count * 16)
        for g in groups { appendGroup(series: g.series, g.points, into: &out) }
        return out
    }

    /// Appends one series' group: its id, its count, then its points.
    static func appendGroup(series: Int64, _ points: some Collection<(ts: Int64, value: Double)>, into out: inout [UInt8]) {
        Varint.put(UInt64(bitPattern: series), into: &out)
        Varint.put(UInt64(points.count), into: &out)
        var prev: Int64 = 0
        for p in points {
            Varint.put(Varint.zigzag(p.ts &- prev), into: &out)
            prev = p.ts
            withUnsafeBytes(of: p.value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
    }

    /// Calls `body` for every sample.
    public static func scan(_ data: [UInt8], _ body: (Int64, Int64, Double) -> Void) throws(ChunkCodec.DecodeError) {
        var r = ByteReader(data)
        while !r.atEnd {
            guard let sid = r.varint(), let n = r.varint() else { throw .corrupt }
            let series = Int64(bitPattern: sid)
            var prev: Int64 = 0
            for _ in 0..<n {
                guard let z = r.varint(), let bits = r.uint64le() else { throw .corrupt }
                prev = prev &+ Varint.unzigzag(z)
                body(series, prev, Double(bitPattern: bits))
            }
        }
    }

    /// Calls `body` with the slot, time and value of every sample of a series in `slots`; the others' values are
    /// skipped undecoded.
    static func scan(_ data: [UInt8], slots: SeriesSlots, _ body: (Int, Int64, Double) -> Void) throws(ChunkCodec.DecodeError) {
        var r = ByteReader(data)
        while !r.atEnd {
            guard let sid = r.varint(), let n = r.varint() else { throw .corrupt }
            let slot = slots.slot(of: Int64(bitPattern: sid))
            var prev: Int64 = 0
            for _ in 0..<n {
                guard let z = r.varint() else { throw .corrupt }
                prev = prev &+ Varint.unzigzag(z)
                if let slot {
                    guard let bits = r.uint64le() else { throw .corrupt }
                    body(slot, prev, Double(bitPattern: bits))
                } else {
                    guard r.skip(8) else { throw .corrupt }
                }
            }
        }
    }
}

/// Collects one batch's samples and encodes them as a segment, grouped by series (each series' samples in arrival
/// order; series in id order). Flat arrays and one sort instead of an array per series in a dictionary: a batch
/// mostly holds one sample per series, so that was a hash and an allocation per sample ingested.
struct SegmentBuilder {
    private var ids: [Int64] = []
    private var points: [(ts: Int64, value: Double)] = []
    private(set) var minTs = Int64.max
    private(set) var maxTs = Int64.min

    init(capacity: Int) {
        ids.reserveCapacity(capacity)
        points.reserveCapacity(capacity)
    }

    var count: Int { ids.count }

    mutating func add(series: Int64, ts: Int64, value: Double) {
        ids.append(series)
        points.append((ts, value))
        if ts < minTs { minTs = ts }
        if ts > maxTs { maxTs = ts }
    }

    func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 12)
        if zip(ids, ids.dropFirst()).allSatisfy({ $0 <= $1 }) {
            // Already in id order (an agent sends its series in the order they were first seen, so they were given
            // their ids in it): the groups are runs of the arrays as they are, no sort.
            var i = 0
            while i < ids.count {
                var end = i + 1
                while end < ids.count && ids[end] == ids[i] { end += 1 }
                SegmentCodec.appendGroup(series: ids[i], points[i..<end], into: &out)
                i = end
            }
            return out
        }
        // Stable: by series id, then arrival.
        let order = ids.indices.sorted { ids[$0] != ids[$1] ? ids[$0] < ids[$1] : $0 < $1 }
        var i = 0
        while i < order.count {
            let series = ids[order[i]]
            var end = i + 1
            while end < order.count && ids[order[end]] == series { end += 1 }
            SegmentCodec.appendGroup(series: series, order[i..<end].lazy.map { points[$0] }, into: &out)
            i = end
        }
        return out
    }
}
