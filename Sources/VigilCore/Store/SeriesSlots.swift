/// A set of series ids, each given a slot (an array index): a membership test and the slot cost one table read
/// instead of a hash. A segment scan tests every series of every segment it reads, and the anomaly scanner reads
/// the last seconds of segments for most series at every tick: hashing the ids there was a tenth of ingest's CPU.
///
/// Series ids are row ids, dense from 1, so the table spans the ids' range (4 bytes an id); a range much wider than
/// the set falls back to a dictionary.
public struct SeriesSlots: Sendable {
    /// The ids in slot order (ascending).
    public let ids: [Int64]
    private let base: Int64
    private let table: [Int32]
    private let sparse: [Int64: Int32]

    public init(_ ids: some Sequence<Int64>) {
        let sorted = Array(Set(ids)).sorted()
        self.ids = sorted
        guard let lo = sorted.first, let hi = sorted.last else {
            base = 0; table = []; sparse = [:]
            return
        }
        // Dense enough for a table: at most 16 entries of the range per id (64 bytes an id), or a small range.
        let (span, overflow) = hi.subtractingReportingOverflow(lo)
        if !overflow, span < max(65_536, Int64(sorted.count) * 16) {
            var t = [Int32](repeating: -1, count: Int(hi - lo) + 1)
            for (slot, id) in sorted.enumerated() { t[Int(id - lo)] = Int32(slot) }
            base = lo; table = t; sparse = [:]
        } else {
            var d: [Int64: Int32] = [:]
            d.reserveCapacity(sorted.count)
            for (slot, id) in sorted.enumerated() { d[id] = Int32(slot) }
            base = 0; table = []; sparse = d
        }
    }

    public var count: Int { ids.count }

    /// The slot of `id`, or nil when it is not in the set.
    @inline(__always) public func slot(of id: Int64) -> Int? {
        if !table.isEmpty {
            let i = id &- base
            guard i >= 0, i < Int64(table.count) else { return nil }
            let s = table[Int(i)]
            return s < 0 ? nil : Int(s)
        }
        return sparse[id].map(Int.init)
    }
}

/// Gathers the points of some series in `[from, to]` from their chunks and from the segments not yet folded into
/// chunks: what both backends' `readPoints` do once they have the rows.
struct PointAccumulator {
    let slots: SeriesSlots
    let from: Int64
    let to: Int64
    private var points: [[SeriesPoint]]

    init(ids: some Sequence<Int64>, from: Int64, to: Int64) {
        slots = SeriesSlots(ids)
        self.from = from
        self.to = to
        points = Array(repeating: [], count: slots.count)
    }

    mutating func addChunk(series: Int64, data: [UInt8]) throws {
        guard let slot = slots.slot(of: series) else { return }
        for p in try ChunkCodec.decode(data) where p.ts >= from && p.ts <= to { points[slot].append(SeriesPoint(ts: p.ts, value: p.value)) }
    }

    mutating func addSegment(_ data: [UInt8]) throws {
        let (from, to) = (self.from, self.to)
        try SegmentCodec.scan(data, slots: slots) { slot, ts, v in
            if ts >= from && ts <= to { points[slot].append(SeriesPoint(ts: ts, value: v)) }
        }
    }

    /// Per series with points: sorted by time, one point per timestamp (the later arrival wins).
    func result() -> [Int64: [SeriesPoint]] {
        var out: [Int64: [SeriesPoint]] = [:]
        for (slot, pts) in points.enumerated() where !pts.isEmpty {
            out[slots.ids[slot]] = Self.normalize(pts)
        }
        return out
    }

    /// The points of one series read in two parts (`PointSource.chunks`, then `.segments`) as one read of both
    /// gives them: in time order, one point per timestamp, the segment's winning.
    static func merge(_ chunks: [SeriesPoint], _ segments: [SeriesPoint]) -> [SeriesPoint] {
        if chunks.isEmpty { return segments }
        if segments.isEmpty { return chunks }
        return normalize(chunks + segments)
    }

    /// As `SQLiteCompactor.normalize`; points already in strictly ascending time (nearly always) are returned as
    /// they are, without a copy.
    static func normalize(_ points: [SeriesPoint]) -> [SeriesPoint] {
        var ascending = true
        for i in points.indices.dropFirst() where points[i].ts <= points[i - 1].ts {
            ascending = false
            break
        }
        if ascending { return points }
        return SQLiteCompactor.normalize(points.map { (ts: $0.ts, value: $0.value) }).map { SeriesPoint(ts: $0.ts, value: $0.value) }
    }
}
