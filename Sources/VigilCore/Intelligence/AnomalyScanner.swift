import VigilWire

/// The anomaly scanner's state: one `AnomalyDetector` per scanned series, fed each point once, in time order.
/// Pure (no I/O): `AnomalyScanService` reads the points and stores the scores.
///
/// - **Which series**: every series of a host's core metrics (`coreMetrics`: CPU, memory, swap, disk use and
///   I/O, load, network, TCP states, and the error-log rate `LogRateService` writes), whether or not a rule names them, and those of the metrics that
///   `anomaly` rules name; at most `maxSeries` (a detector holds under 17 KB); series beyond the cap are not
///   scanned (`refused`).
/// - **Each point once**: a series' cursor is the time of the newest point fed; points at or before it are
///   skipped (late arrivals are not scored: scores are causal).
/// - **At most one point per `minSpacingMs`**: a point less than that after the last one fed is skipped, so a
///   series sent every second (or a flood of them) costs what one sent every 5 s does. The agent's default interval
///   (10 s) and slower ones are fed whole; the detector's windows count points, so they cover at least 500 × 5 s.
/// - **Restart**: a series seen for the first time is restored by replaying its newest `restorePoints`
///   points of the last `restoreWindowMs`; only scores of points after `scoredUntil` (the newest stored
///   score) are new.
/// - **Score for the rules**: per series, the highest score among the points fed by the latest feed that
///   brought points (the detector reports an incident once, at its onset, so a feed of several points must
///   not hide it behind the later zeros); and while the incident goes on (each later point's raw score at
///   least `sustainLevel`), its onset score, so a rule with `for:` fires on a sustained anomaly and not on a
///   lone spike.
/// - **What is stored**: the scores above 0 (onsets and escalations) and, so a restart knows where scoring
///   stopped, one score per `watermarkMs` of each series otherwise.
public struct AnomalyScanner: Sendable {
    /// The derived series the scores are stored as: `anomaly.score{metric=<name>, <the series' labels>}`.
    public static let scoreMetric = "anomaly.score"
    /// The label of `scoreMetric` naming the scored metric.
    public static let metricLabel = "metric"
    public static let defaultMaxSeries = 100_000
    /// Series of the core metrics scanned per host unless set otherwise (`vigil serve --anomaly-series-per-host`): a
    /// host has 20 to 60 (a mount, disk and interface each add a few); one with hundreds (a node's overlay mounts
    /// and virtual interfaces) must not take the scanner from the rest of the fleet. Metrics that `anomaly` rules
    /// name are not limited per host.
    public static let defaultCoreSeriesPerHost = 64
    /// The metrics scanned on every host without a rule naming them.
    public static let coreMetrics: Set<String> = [
        "cpu.usage_percent", "cpu.iowait_percent", "cpu.steal_percent", "mem.used_percent", "swap.used_percent",
        "disk.used_percent", "disk.inodes_used_percent", "disk.read_bytes_per_s", "disk.write_bytes_per_s",
        "load.1", "net.rx_bytes_per_s", "net.tx_bytes_per_s", "net.errors_per_s", "net.drops_per_s",
        "tcp.established", "tcp.time_wait", "tcp.close_wait", LogRateService.metric,
    ]
    /// An incident goes on while each new point's raw score is at least this.
    public static let sustainLevel = 0.5
    /// A series whose scores are all 0 stores one of them this often.
    public static let watermarkMs: Int64 = 10 * 60_000
    public static let restoreWindowMs: Int64 = 7 * 86_400_000
    public static let restorePoints = 8640
    public static let minSpacingMs: Int64 = 5_000
    /// Scores at or above this are marked on sparklines.
    public static let markThreshold = 0.9

    struct Tracked: Sendable {
        var detector = AnomalyDetector()
        var cursor = Int64.min
        var score = 0.0
        /// The onset score of the incident going on (0: none).
        var incident = 0.0
        /// The time of the newest score stored (or known stored).
        var stored = Int64.min

        /// Scores one point: its reported score, and whether to store it.
        mutating func feed(_ p: SeriesPoint) -> (score: Double, store: Bool) {
            let s = detector.score(timestampMs: p.ts, value: p.value)
            cursor = p.ts
            if s > 0 {
                incident = max(incident, s)
            } else if detector.lastRawScore < AnomalyScanner.sustainLevel {
                incident = 0
            }
            let store = s > 0 || stored == .min || p.ts - stored >= AnomalyScanner.watermarkMs
            if store { stored = max(stored, p.ts) }
            return (s, store)
        }
    }

    /// Whether a point at `ts` is fed after one at `last` (`.min`: none yet): later, and by at least `minSpacingMs`.
    static func takes(_ ts: Int64, after last: Int64) -> Bool {
        ts > last && (last == .min || ts - last >= minSpacingMs)
    }

    public let maxSeries: Int
    /// Where each scanned series' state is in `tracked`. The states are kept in an array, not as a dictionary's
    /// values: a dictionary leaves a quarter to over half of its buckets empty, and a bucket would hold a whole
    /// detector's inline state (about 460 bytes).
    private var index: [SeriesKey: Int] = [:]
    private var tracked: [Tracked] = []
    /// Points fed by `feed` so far (restores not counted).
    public private(set) var fed = 0
    /// Series that the cap kept out.
    public private(set) var refused: Set<SeriesKey> = []

    public init(maxSeries: Int = AnomalyScanner.defaultMaxSeries) {
        self.maxSeries = maxSeries
    }

    /// Number of series scanned.
    public var count: Int { tracked.count }

    /// Bytes held by the scanned series' detectors and entries (keys' label text not counted).
    public var stateBytes: Int {
        tracked.reduce(0) { $0 + $1.detector.stateBytes } + index.count * (MemoryLayout<SeriesKey>.stride + MemoryLayout<Int>.stride)
            + tracked.count * MemoryLayout<Tracked>.stride
    }

    /// Whether `key` is scanned.
    public func isTracked(_ key: SeriesKey) -> Bool { index[key] != nil }

    /// The time of the newest point fed for each scanned series.
    public var cursors: [SeriesKey: Int64] { index.mapValues { tracked[$0].cursor } }

    /// The score per scanned series that the `anomaly` rules read.
    public var scores: [SeriesKey: Double] { index.mapValues { tracked[$0].score } }

    /// Stops scanning series whose metric is not in `metrics` (a rule was removed), freeing their memory.
    public mutating func retain(metrics: Set<String>) {
        var keptIndex: [SeriesKey: Int] = [:]
        var kept: [Tracked] = []
        for (key, i) in index where metrics.contains(key.name) {
            keptIndex[key] = kept.count
            kept.append(tracked[i])
        }
        index = keptIndex
        tracked = kept
        refused = refused.filter { metrics.contains($0.name) }
    }

    /// Starts scanning `key` by replaying `history` (oldest first; only its newest `restorePoints` are used).
    /// Returns the scores to store of the points after `scoredUntil` (nil: none stored yet), which are new; the
    /// rules' score is the highest of those at or after `alertFrom`. Returns nil when the cap is reached.
    public mutating func restore(_ key: SeriesKey, history: [SeriesPoint], scoredUntil: Int64?, alertFrom: Int64) -> [SeriesPoint]? {
        if index[key] != nil { return [] }
        guard tracked.count < maxSeries else {
            refused.insert(key)
            return nil
        }
        refused.remove(key)
        var t = Tracked()
        t.stored = scoredUntil ?? .min
        var fresh: [SeriesPoint] = []
        // The points `feed` would have taken, then the newest `restorePoints` of them.
        var spaced: [SeriesPoint] = []
        var last = Int64.min
        for p in history where Self.takes(p.ts, after: last) {
            spaced.append(p)
            last = p.ts
        }
        for p in spaced.suffix(Self.restorePoints) {
            // Points up to `scoredUntil` only rebuild the detector (`stored` starts there, so they are not stored).
            let (s, store) = t.feed(p)
            guard p.ts > scoredUntil ?? .min else { continue }
            if store { fresh.append(SeriesPoint(ts: p.ts, value: s)) }
            if p.ts >= alertFrom { t.score = max(t.score, s) }
        }
        // An incident still going on at the newest point holds its onset's score, as `feed` would (only when that
        // point is recent: an old one does not alert).
        if t.incident > 0 && t.cursor >= alertFrom { t.score = max(t.score, t.incident) }
        index[key] = tracked.count
        tracked.append(t)
        return fresh
    }

    /// Feeds the points of `key` newer than its cursor, in time order; returns the scores to store (empty when
    /// nothing was new, or the series is not scanned).
    public mutating func feed(_ key: SeriesKey, points: [SeriesPoint]) -> [SeriesPoint] {
        guard let i = index[key] else { return [] }
        let ordered = points.sorted { $0.ts < $1.ts }
        var out: [SeriesPoint] = []
        var best = 0.0
        var anyFed = false
        // Fed in place in the array, so the detector's buffers are not copied.
        for p in ordered where Self.takes(p.ts, after: tracked[i].cursor) {
            let (s, store) = tracked[i].feed(p)
            anyFed = true
            fed += 1
            best = max(best, s)
            if store { out.append(SeriesPoint(ts: p.ts, value: s)) }
        }
        if anyFed { tracked[i].score = max(best, tracked[i].incident) }
        return out
    }

    /// The key of the derived series that stores `key`'s scores.
    public static func scoreKey(of key: SeriesKey) -> SeriesKey {
        var labels = key.labels
        labels[metricLabel] = key.name
        return SeriesKey(host: key.host, name: scoreMetric, labels: labels)
    }
}
