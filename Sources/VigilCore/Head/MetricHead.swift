/// Recent samples of the series the engine reads, in memory: the head block, as in Prometheus' TSDB.
///
/// Rule evaluation reads its windows here instead of from the store. Each series keeps a short uncompressed tail
/// and, behind it, sealed chunks in the store's own encoding (`ChunkCodec`: delta-of-delta timestamps, XOR values;
/// about 2-3 bytes a sample for agent metrics), back to back in one array per series. Chunks wholly older than the
/// metric's window are dropped as new ones are sealed. Samples arrive in time order per series; one older than the
/// tail's first sample is not kept (the store still has it) and is counted in `outOfOrder`, one at the same time as a
/// kept one replaces it.
///
/// A plain value: who owns it decides how it is shared. The engine feeds it from the segments the store commits,
/// so every writer's ingest reaches it (`HeadFeeder`).
public struct MetricHead: SeriesWindows {
    /// Samples per sealed chunk.
    public static let chunkSize = 32

    /// A sealed chunk: its time span, and where its bytes end in its series' `bytes` (they start at the previous
    /// chunk's end, or at 0).
    struct Chunk: Sendable {
        var minTs: Int64
        var maxTs: Int64
        var end: Int
    }

    struct Series: Sendable {
        var chunks: [Chunk] = []
        /// The sealed chunks' bytes, back to back: one array per series, not one per chunk (an array of its own
        /// cost a chunk about 73 bytes of headers and spare capacity beside its 50–250 bytes of samples).
        var bytes: [UInt8] = []
        var tail: [SeriesPoint] = []
        var lastTs: Int64 = .min

        /// Adds one sample in place; false when it is older than the tail.
        mutating func add(ts: Int64, value: Double, window: Int64) -> Bool {
            if ts > lastTs {
                tail.append(SeriesPoint(ts: ts, value: value))
                lastTs = ts
            } else if let first = tail.first, ts >= first.ts {
                let i = tail.lastIndex { $0.ts <= ts }!
                if tail[i].ts == ts {
                    tail[i].value = value
                } else {
                    tail.insert(SeriesPoint(ts: ts, value: value), at: i + 1)
                }
            } else {
                return false
            }
            if tail.count >= MetricHead.chunkSize { seal(window: window) }
            return true
        }

        /// Adds samples in order; returns how many were kept.
        mutating func add(_ points: ArraySlice<SeriesPoint>, window: Int64) -> Int {
            var kept = 0
            for p in points where add(ts: p.ts, value: p.value, window: window) { kept += 1 }
            return kept
        }

        /// As `add`, then remembers `lastSeen` (a sample older than the window) as the newest time.
        mutating func load(_ points: ArraySlice<SeriesPoint>, lastSeen: Int64?, window: Int64) -> Int {
            let kept = add(points, window: window)
            if let lastSeen, lastSeen > lastTs { lastTs = lastSeen }
            return kept
        }

        /// Appends the samples in `range` (finite ones only, or all), oldest first, to `out`, reserving for them
        /// once (a chunk holds at most `chunkSize` samples). Chunks are in time order (samples older than the
        /// tail's are refused), so those overlapping the range are one run of them.
        func collect(_ range: ClosedRange<Int64>, finiteOnly: Bool, into out: inout [SeriesPoint]) {
            let first = chunks.firstIndex { $0.maxTs >= range.lowerBound } ?? chunks.endIndex
            let overlapping = chunks[first...].prefix { $0.minTs <= range.upperBound }
            out.reserveCapacity(out.count + overlapping.count * MetricHead.chunkSize + tail.count)
            for i in overlapping.indices {
                let start = i == 0 ? 0 : chunks[i - 1].end
                guard let decoded = try? ChunkCodec.decode(bytes, in: start..<chunks[i].end) else { continue }
                for p in decoded where range.contains(p.ts) && (!finiteOnly || p.value.isFinite) {
                    out.append(SeriesPoint(ts: p.ts, value: p.value))
                }
            }
            for p in tail where range.contains(p.ts) && (!finiteOnly || p.value.isFinite) { out.append(p) }
        }

        /// Turns the tail into a chunk and drops chunks wholly older than `window` before the newest sample.
        private mutating func seal(window: Int64) {
            bytes.append(contentsOf: ChunkCodec.encode(tail.map { (ts: $0.ts, value: $0.value) }))
            chunks.append(Chunk(minTs: tail[0].ts, maxTs: tail[tail.count - 1].ts, end: bytes.count))
            tail = []  // not keepingCapacity: 32 × 16 bytes held per series between chunks (about half the head per series)
            let horizon = lastTs - window
            if let keep = chunks.firstIndex(where: { $0.maxTs >= horizon }), keep > 0 {
                let cut = chunks[keep - 1].end
                bytes.removeFirst(cut)
                chunks.removeFirst(keep)
                for i in chunks.indices { chunks[i].end -= cut }
            }
        }
    }

    /// How far back each metric is kept (ms): the metrics the head holds, and their windows.
    public private(set) var windows: [String: Int64]
    private var series: [String: [SeriesKey: Series]] = [:]
    public private(set) var outOfOrder = 0

    public init(windows: [String: Int64]) {
        self.windows = windows
    }

    /// Whether the head keeps `metric`.
    public func holds(_ metric: String) -> Bool { windows[metric] != nil }

    /// Sets the metrics to keep and their windows. Metrics no longer wanted are dropped; a metric that is new or
    /// whose window grew needs its past read from the store (the caller rebuilds).
    /// Returns whether a rebuild is needed.
    public mutating func setWindows(_ new: [String: Int64]) -> Bool {
        var needsPast = false
        for (metric, window) in new where window > (windows[metric] ?? -1) { needsPast = true }
        for metric in windows.keys where new[metric] == nil { series[metric] = nil }
        windows = new
        return needsPast
    }

    /// Adds one sample. Returns false when the head does not hold its metric or it was too old to keep.
    @discardableResult
    public mutating func append(_ key: SeriesKey, ts: Int64, value: Double) -> Bool {
        guard let window = windows[key.name] else { return false }
        // Mutated in place (no copy of the series' tail per sample).
        guard series[key.name, default: [:]][key, default: Series()].add(ts: ts, value: value, window: window) else {
            outOfOrder += 1
            return false
        }
        return true
    }

    /// Adds samples of one series in arrival order (a run of the segments fed): the series is looked up once, not
    /// per sample. Returns how many were kept.
    @discardableResult
    public mutating func append(_ key: SeriesKey, points: ArraySlice<SeriesPoint>) -> Int {
        guard let window = windows[key.name] else { return 0 }
        let kept = series[key.name, default: [:]][key, default: Series()].add(points, window: window)
        outOfOrder += points.count - kept
        return kept
    }

    /// Adds a run of samples of one series, in time order, as read from the store.
    /// The series is looked up once, not per sample (hashing a key per sample was most of a rebuild).
    public mutating func load(_ key: SeriesKey, points: [SeriesPoint], lastSeen: Int64?) {
        guard let window = windows[key.name] else { return }
        let kept = series[key.name, default: [:]][key, default: Series()].load(points[...], lastSeen: lastSeen, window: window)
        outOfOrder += points.count - kept
    }

    /// The points of every series of `metrics` with `from <= ts <= to`, in time order (the console's dashboard head).
    /// `hosts` limits it to those hosts' series (nil: every host).
    public func points(metrics: Set<String>, from: Int64, to: Int64, hosts: Set<String>? = nil) -> [SeriesKey: [SeriesPoint]] {
        var out: [SeriesKey: [SeriesPoint]] = [:]
        guard from <= to else { return out }
        if hosts == nil { out.reserveCapacity(metrics.reduce(0) { $0 + (series[$1]?.count ?? 0) }) }
        for metric in metrics {
            guard let bySeries = series[metric] else { continue }
            for (key, s) in bySeries where hosts?.contains(key.host) ?? true {
                var pts: [SeriesPoint] = []
                s.collect(from...to, finiteOnly: false, into: &pts)
                if !pts.isEmpty { out[key] = pts }
            }
        }
        return out
    }

    /// Visits each series of `metric` that `include` accepts with its finite points in `(after, through]`, decoded
    /// into one buffer that is reused from series to series (see `SeriesWindows`); the others are not decoded.
    public func forEachSeries(of metric: String, after: Int64, through: Int64, where include: (SeriesKey) -> Bool,
                              _ body: (SeriesKey, [SeriesPoint]) -> Void) {
        guard let bySeries = series[metric], after < through else { return }
        var buffer: [SeriesPoint] = []
        for (key, s) in bySeries where include(key) {
            buffer.removeAll(keepingCapacity: true)
            s.collect((after + 1)...through, finiteOnly: true, into: &buffer)
            if !buffer.isEmpty { body(key, buffer) }
        }
    }

    /// The newest sample time of every series of `metrics` the head has seen (older than the window included).
    public func lastSeen(metrics: Set<String>) -> [SeriesKey: Int64] {
        var out: [SeriesKey: Int64] = [:]
        for metric in metrics {
            for (key, s) in series[metric] ?? [:] where s.lastTs != .min { out[key] = s.lastTs }
        }
        return out
    }

    /// Series held, and bytes of sample data (sealed chunks plus tails at 16 bytes a sample).
    public var footprint: (series: Int, bytes: Int) {
        var n = 0
        var bytes = 0
        for bySeries in series.values {
            n += bySeries.count
            for s in bySeries.values { bytes += s.bytes.count + s.tail.count * 16 }
        }
        return (n, bytes)
    }
}
