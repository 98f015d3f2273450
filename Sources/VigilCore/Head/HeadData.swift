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
        /// The series' place in the feeder's `HeadKeyTable` (what its samples are for: the head, the tap or both).
        var slot: Int32
    }

    /// The last segment read; pass it back for the next ones.
    public var cursor: Int64
    /// Whether more segments are waiting (the read stopped at its limit).
    public var more: Bool
    /// Segments after the cursor are gone (compacted before they were read, or the log restarted): rebuild.
    public var gap: Bool
    /// Per run, its series, in the order the series first appear (ids the store knew, then ids resolved).
    private var keys: [SeriesKey] = []
    /// Per run, its series' slot in the key table.
    private var slots: [Int32] = []
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

    public func run(_ i: Int) -> Run {
        Run(key: keys[i], points: points[starts[i]..<starts[i + 1]], slot: slots[i])
    }
    public var runs: [Run] { (0..<keys.count).map(run) }

    /// Groups samples given as (run, time, value) in commit order: a counting sort by run, stable.
    mutating func group(keys: [SeriesKey], slots: [Int32], samples: [(run: Int32, ts: Int64, value: Double)]) {
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
        self.slots = slots
        points = out
    }
}

/// Segments as the store keeps them (`SegmentCodec`), committed after a cursor, in commit order.
public struct HeadSegmentData: Sendable {
    public var segments: [(id: Int64, data: [UInt8])]
    /// Whether more segments are waiting (the read stopped at its limit).
    public var more: Bool
    /// Segments after the cursor are gone (compacted before they were read, or the log restarted): rebuild.
    public var gap: Bool

    public init(segments: [(id: Int64, data: [UInt8])], more: Bool, gap: Bool) {
        self.segments = segments
        self.more = more
        self.gap = gap
    }

    /// No segment after the cursor.
    public static let caughtUp = HeadSegmentData(segments: [], more: false, gap: false)
    /// Segments after the cursor are gone: the head must be rebuilt.
    public static let gone = HeadSegmentData(segments: [], more: false, gap: true)
}

/// What the head does with each series id's samples, learned once per id and kept from read to read by the feeder:
/// keep them (the series' key, when the head holds its metric or the tap may want it) or skip them. Without it each
/// read looked every series it met up by id and by metric name again: at 100,000 series that was most of the cost of
/// a read, so reads had to be large (and their decoded samples a large part of the engine's peak memory).
///
/// A series of a tapped metric has a slot whether or not the tap wants it now (`HeadTap.series` changes as the
/// scanner takes series on); `uses` says per slot who wants its samples, so a read decodes only those.
struct HeadKeyTable: Sendable {
    /// The metrics the head holds.
    let metrics: Set<String>
    /// The metrics the tap reads series of.
    let tapMetrics: Set<String>
    /// Series id → index in `keys`, `DenseIDTable.unwanted`, or `DenseIDTable.unknown` (not learned yet).
    private(set) var slots = DenseIDTable()
    /// The kept series' keys.
    private(set) var keys: [SeriesKey] = []
    /// Per slot: `held` (the head holds its metric) and `tapped` (the tap wants the series), as bits.
    private(set) var uses: [UInt8] = []
    /// The tap's series as of `tapVersion` (whose `uses` are set from them).
    private var tapSeries: Set<SeriesKey> = []
    private(set) var tapVersion = -1
    static let held: UInt8 = 1
    static let tapped: UInt8 = 2

    init(metrics: Set<String>, tapMetrics: Set<String> = []) {
        self.metrics = metrics
        self.tapMetrics = tapMetrics
    }

    /// Whether no sample is wanted at all (no metric held or tapped).
    var isEmpty: Bool { metrics.isEmpty && tapMetrics.isEmpty }

    /// Returns the table and leaves an empty one (for the same metrics) in its place.
    mutating func take() -> HeadKeyTable {
        let taken = self
        self = HeadKeyTable(metrics: metrics, tapMetrics: tapMetrics)
        return taken
    }

    /// Records what `key` (nil: no such series) means for series `id`.
    mutating func learn(_ id: Int64, _ key: SeriesKey?) {
        if let key, metrics.contains(key.name) || tapMetrics.contains(key.name) {
            slots[id] = Int32(keys.count)
            keys.append(key)
            uses.append(use(of: key))
        } else {
            slots[id] = DenseIDTable.unwanted
        }
    }

    /// Takes the tap's series (when they changed since `version`): each tapped metric's slot is wanted or not again.
    mutating func setTap(_ series: Set<SeriesKey>, version: Int) {
        guard version != tapVersion else { return }
        tapSeries = series
        tapVersion = version
        for i in keys.indices where tapMetrics.contains(keys[i].name) { uses[i] = use(of: keys[i]) }
    }

    private func use(of key: SeriesKey) -> UInt8 {
        (metrics.contains(key.name) ? Self.held : 0) | (tapMetrics.contains(key.name) && tapSeries.contains(key) ? Self.tapped : 0)
    }
}

extension HeadSegments {
    /// The samples of `data` (after `cursor`, in commit order) that the table's head or tap wants, for either store.
    /// One pass: samples of ids the table knows are kept or skipped at once (two array lookups); the others wait for
    /// one `resolve` of all their ids, which the table then remembers.
    static func decode(_ data: HeadSegmentData, after cursor: Int64, table: inout HeadKeyTable,
                       resolve: (Set<Int64>) async throws -> [Int64: SeriesKey]) async throws -> HeadSegments {
        // A head that holds no metric and taps none only moves its cursor: decoding every sample was a tenth of ingest.
        guard !table.isEmpty else { return HeadSegments(cursor: data.segments.last?.id ?? cursor, more: data.more, gap: false) }
        var keys: [SeriesKey] = []
        var slots: [Int32] = []
        var samples: [(run: Int32, ts: Int64, value: Double)] = []
        var pending: [(sid: Int64, ts: Int64, value: Double)] = []
        var last = cursor
        // Per kept series (by its index in the table): its run in this read, or -1.
        var runOf = [Int32](repeating: -1, count: table.keys.count)
        func run(_ slot: Int32) -> Int32 {
            let r = runOf[Int(slot)]
            if r >= 0 { return r }
            runOf[Int(slot)] = Int32(keys.count)
            keys.append(table.keys[Int(slot)])
            slots.append(slot)
            return Int32(keys.count - 1)
        }
        for (id, bytes) in data.segments {
            try SegmentCodec.scan(bytes) { sid, ts, v in
                switch table.slots[sid] {
                case DenseIDTable.unwanted: break
                case DenseIDTable.unknown: pending.append((sid, ts, v))
                case let slot: if table.uses[Int(slot)] != 0 { samples.append((run(slot), ts, v)) }
                }
            }
            last = id
        }
        if !pending.isEmpty {
            let ids = Set(pending.map(\.sid))
            let resolved = try await resolve(ids)
            for id in ids { table.learn(id, resolved[id]) }
            runOf.append(contentsOf: repeatElement(-1, count: table.keys.count - runOf.count))
            for p in pending {
                let slot = table.slots[p.sid]
                if slot >= 0 && table.uses[Int(slot)] != 0 { samples.append((run(slot), p.ts, p.value)) }
            }
        }
        var out = HeadSegments(cursor: last, more: data.more, gap: false)
        out.group(keys: keys, slots: slots, samples: samples)
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
