import VigilWire

/// The anomaly scanner's state: one `AnomalyDetector` per scanned series, fed each point once, in time order.
/// Pure (no I/O): `AnomalyScanService` reads the points and stores the scores.
///
/// - **Which series**: only those of the metrics that `anomaly` rules name (a detector holds ~0.5 MB once its
///   long window fills), at most `maxSeries` of them; series beyond the cap are not scanned (`refused`).
/// - **Each point once**: a series' cursor is the time of the newest point fed; points at or before it are
///   skipped (late arrivals are not scored: scores are causal).
/// - **Restart**: a series seen for the first time is restored by replaying its newest `restorePoints`
///   points of the last `restoreWindowMs`; only scores of points after `scoredUntil` (the newest stored
///   score) are new.
/// - **Score for the rules**: per series, the highest score among the points fed by the latest feed that
///   brought points (the detector reports an incident once, at its onset, so a feed of several points must
///   not hide it behind the later zeros).
public struct AnomalyScanner: Sendable {
    /// The derived series the scores are stored as: `anomaly.score{metric=<name>, <the series' labels>}`.
    public static let scoreMetric = "anomaly.score"
    /// The label of `scoreMetric` naming the scored metric.
    public static let metricLabel = "metric"
    public static let defaultMaxSeries = 2000
    public static let restoreWindowMs: Int64 = 7 * 86_400_000
    public static let restorePoints = 8640
    /// Scores at or above this are marked on sparklines.
    public static let markThreshold = 0.9

    struct Tracked: Sendable {
        var detector = AnomalyDetector()
        var cursor = Int64.min
        var score = 0.0
    }

    public let maxSeries: Int
    private var series: [SeriesKey: Tracked] = [:]
    /// Series that the cap kept out.
    public private(set) var refused: Set<SeriesKey> = []

    public init(maxSeries: Int = AnomalyScanner.defaultMaxSeries) {
        self.maxSeries = maxSeries
    }

    /// Number of series scanned.
    public var count: Int { series.count }

    /// Whether `key` is scanned.
    public func isTracked(_ key: SeriesKey) -> Bool { series[key] != nil }

    /// The time of the newest point fed for each scanned series.
    public var cursors: [SeriesKey: Int64] { series.mapValues(\.cursor) }

    /// The score per scanned series that the `anomaly` rules read.
    public var scores: [SeriesKey: Double] { series.mapValues(\.score) }

    /// Stops scanning series whose metric is not in `metrics` (a rule was removed), freeing their memory.
    public mutating func retain(metrics: Set<String>) {
        series = series.filter { metrics.contains($0.key.name) }
        refused = refused.filter { metrics.contains($0.name) }
    }

    /// Starts scanning `key` by replaying `history` (oldest first; only its newest `restorePoints` are used).
    /// Returns the scores of the points after `scoredUntil` (nil: none stored yet), which are new; the rules'
    /// score is the highest of those at or after `alertFrom`. Returns nil when the cap is reached.
    public mutating func restore(_ key: SeriesKey, history: [SeriesPoint], scoredUntil: Int64?, alertFrom: Int64) -> [SeriesPoint]? {
        if series[key] != nil { return [] }
        guard series.count < maxSeries else {
            refused.insert(key)
            return nil
        }
        refused.remove(key)
        var t = Tracked()
        var fresh: [SeriesPoint] = []
        for p in history.suffix(Self.restorePoints) where p.ts > t.cursor {
            let s = t.detector.score(timestampMs: p.ts, value: p.value)
            t.cursor = p.ts
            if p.ts > scoredUntil ?? .min {
                fresh.append(SeriesPoint(ts: p.ts, value: s))
                if p.ts >= alertFrom { t.score = max(t.score, s) }
            }
        }
        series[key] = t
        return fresh
    }

    /// Feeds the points of `key` newer than its cursor, in time order; returns their scores (empty when
    /// nothing was new, or the series is not scanned).
    public mutating func feed(_ key: SeriesKey, points: [SeriesPoint]) -> [SeriesPoint] {
        // Taken out of the dictionary while it is fed, so the detector's buffers are not copied.
        guard var t = series.removeValue(forKey: key) else { return [] }
        let ordered = points.sorted { $0.ts < $1.ts }
        var out: [SeriesPoint] = []
        var best = 0.0
        for p in ordered where p.ts > t.cursor {
            let s = t.detector.score(timestampMs: p.ts, value: p.value)
            t.cursor = p.ts
            best = max(best, s)
            out.append(SeriesPoint(ts: p.ts, value: s))
        }
        if !out.isEmpty { t.score = best }
        series[key] = t
        return out
    }

    /// The key of the derived series that stores `key`'s scores.
    public static func scoreKey(of key: SeriesKey) -> SeriesKey {
        var labels = key.labels
        labels[metricLabel] = key.name
        return SeriesKey(host: key.host, name: scoreMetric, labels: labels)
    }
}
