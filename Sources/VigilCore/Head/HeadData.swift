/// What the head is rebuilt from: recent points of some metrics and where the store's segment log stood then.
public struct HeadSnapshot: Sendable {
    /// The newest committed segment the snapshot includes; feeding resumes after it.
    public var cursor: Int64
    public var points: [SeriesKey: [SeriesPoint]]
    /// The newest sample time of each series of the metrics, older than the window included.
    public var lastSeen: [SeriesKey: Int64]

    public init(cursor: Int64, points: [SeriesKey: [SeriesPoint]], lastSeen: [SeriesKey: Int64]) {
        self.cursor = cursor
        self.points = points
        self.lastSeen = lastSeen
    }
}

/// Samples of the segments committed after a cursor, grouped by series: each series' samples in commit order.
/// Stored flat (one array of points, runs as ranges of it): a run per series per update was an allocation or more
/// per series at every evaluation.
public struct HeadSegments: Sendable {
    /// One series' samples of the segments read, in commit order.
    public struct Run: Sendable {
        public var key: SeriesKey
        public var points: ArraySlice<SeriesPoint>
    }

    /// The last segment read; pass it back for the next ones.
    public var cursor: Int64
    /// Whether more segments are waiting (the read stopped at its limit).
    public var more: Bool
    /// Segments after the cursor are gone (compacted before they were read, or the log restarted): rebuild.
    public var gap: Bool
    /// Per run, its series, in the order the series first appear (ids the store knew, then ids resolved).
    private var keys: [SeriesKey] = []
    /// Run `i` is `points[starts[i]..<starts[i + 1]]`.
    private var starts: [Int] = [0]
    private var points: [SeriesPoint] = []

    public init(cursor: Int64, more: Bool, gap: Bool) {
        self.cursor = cursor
        self.more = more
        self.gap = gap
    }

    public var runCount: Int { keys.count }
    public var sampleCount: Int { points.count }

    public func run(_ i: Int) -> Run { Run(key: keys[i], points: points[starts[i]..<starts[i + 1]]) }
    public var runs: [Run] { (0..<keys.count).map(run) }

    /// Groups samples given as (run, time, value) in commit order: a counting sort by run, stable.
    mutating func group(keys: [SeriesKey], samples: [(run: Int32, ts: Int64, value: Double)]) {
        var counts = [Int](repeating: 0, count: keys.count + 1)
        for x in samples { counts[Int(x.run) + 1] += 1 }
        for i in 0..<keys.count { counts[i + 1] += counts[i] }
        starts = counts
        var next = counts
        var out = [SeriesPoint](repeating: SeriesPoint(ts: 0, value: 0), count: samples.count)
        for x in samples {
            out[next[Int(x.run)]] = SeriesPoint(ts: x.ts, value: x.value)
            next[Int(x.run)] += 1
        }
        self.keys = keys
        points = out
    }
}

extension HeadSegments {
    /// The samples of `segments` (after `cursor`, in commit order) whose metric is in `metrics`, for either store. One
    /// pass: samples of series the cache `known` has are kept or skipped at once; the others wait for one `resolve`
    /// of all their ids (which also fills the cache).
    static func decode(_ segments: [(id: Int64, data: [UInt8])], after cursor: Int64, more: Bool, metrics: Set<String>,
                       known: [Int64: SeriesKey?], resolve: (Set<Int64>) async throws -> [Int64: SeriesKey]) async throws -> HeadSegments {
        // A head that holds no metric (no rules) only moves its cursor: decoding every sample was a tenth of ingest.
        guard !metrics.isEmpty else { return HeadSegments(cursor: segments.last?.id ?? cursor, more: more, gap: false) }
        var keys: [SeriesKey] = []
        var samples: [(run: Int32, ts: Int64, value: Double)] = []
        var pending: [(sid: Int64, ts: Int64, value: Double)] = []
        var last = cursor
        // Per series, once: its run when the head wants its metric, else none (no key copied, no name hashed per
        // sample). Looked up by id in a table (ids are dense row ids), not hashed: this runs for every sample ingested.
        var wanted = DenseIDTable()
        for (id, data) in segments {
            try SegmentCodec.scan(data) { sid, ts, v in
                switch wanted[sid] {
                case DenseIDTable.unwanted: break
                case DenseIDTable.unknown:
                    if let k = known[sid] {
                        if let key = k, metrics.contains(key.name) {
                            wanted[sid] = Int32(keys.count)
                            samples.append((Int32(keys.count), ts, v))
                            keys.append(key)
                        } else {
                            wanted[sid] = DenseIDTable.unwanted
                        }
                    } else {
                        pending.append((sid, ts, v))
                    }
                case let run: samples.append((run, ts, v))
                }
            }
            last = id
        }
        if !pending.isEmpty {
            let resolved = try await resolve(Set(pending.map(\.sid)))
            var runs: [Int64: Int32] = [:]
            for p in pending {
                if let run = runs[p.sid] {
                    samples.append((run, p.ts, p.value))
                } else if let key = resolved[p.sid], metrics.contains(key.name) {
                    runs[p.sid] = Int32(keys.count)
                    samples.append((Int32(keys.count), p.ts, p.value))
                    keys.append(key)
                }
            }
        }
        var out = HeadSegments(cursor: last, more: more, gap: false)
        out.group(keys: keys, samples: samples)
        return out
    }
}

/// Small numbers per series id: an array over ids up to a million (row ids are dense from 1), a dictionary past it.
struct DenseIDTable {
    static let unknown: Int32 = -1
    static let unwanted: Int32 = -2
    static let tableLimit: Int64 = 1 << 20
    private var table: [Int32] = []
    private var overflow: [Int64: Int32] = [:]

    subscript(id: Int64) -> Int32 {
        get {
            if id >= 0 && id < Int64(table.count) { return table[Int(id)] }
            return id >= 0 && id < Self.tableLimit ? Self.unknown : overflow[id] ?? Self.unknown
        }
        set {
            if id >= 0 && id < Self.tableLimit {
                if id >= Int64(table.count) { table.append(contentsOf: repeatElement(Self.unknown, count: min(max(Int(id) + 1, table.count * 2), Int(Self.tableLimit)) - table.count)) }
                table[Int(id)] = newValue
            } else {
                overflow[id] = newValue
            }
        }
    }
}
