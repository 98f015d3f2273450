import VigilCore
import VigilWire

/// What the metric view wants read: a metric's series on some hosts (all hosts with it when empty) over the `span`
/// ending at `end` (nil: now, following) in about `points` buckets.
struct MetricInterest: Equatable, Sendable {
    var metric: String
    var hosts: [String]
    var span: Int64
    var end: Int64?
    var points: Int

    /// `[from, to]` at `now`.
    func window(now: Int64) -> (from: Int64, to: Int64) {
        let to = end ?? now
        return (to - span, to)
    }
}

/// The series read for a `MetricInterest`, with the thresholds of the rules on the metric and the anomaly marks.
struct MetricSnapshot: Equatable, Sendable {
    struct Series: Equatable, Sendable {
        var key: SeriesKey
        var rollups: [Rollup]
    }

    struct Threshold: Equatable, Sendable {
        var rule: String
        var op: String
        var value: Double
        var severity: AlertSeverity
    }

    var interest: MetricInterest
    var from: Int64
    var to: Int64
    var series: [Series]
    /// Series of the metric on the hosts asked for, before the first `MetricFetcher.maxSeries` were kept.
    var seriesAvailable: Int
    /// The bucket size (0: raw samples) and the stored resolution read.
    var step: Int64
    var tier: Int64
    var thresholds: [Threshold]
    /// Bucket starts where the anomaly score of one of the series reached its rule's minimum.
    var anomalies: [Int64]
    /// Whether the rules were known (this console runs the engine); when not, no threshold is drawn.
    var rulesKnown: Bool
}

/// Reads a metric view's series (`RangeQuery`, as `vigil db query` does).
enum MetricFetcher {
    /// The most series one view draws.
    static let maxSeries = 8

    static func fetch(_ store: any Store, _ wanted: MetricInterest, rules: [AlertRule]?, now: Int64) async -> ConsoleMessage {
        do {
            var keys = try await store.seriesKeys(metrics: [wanted.metric])
            if !wanted.hosts.isEmpty { keys = keys.filter { wanted.hosts.contains($0.host) } }
            keys.sort { ($0.host, LabelsCodec.encode($0.labels)) < ($1.host, LabelsCodec.encode($1.labels)) }
            let available = keys.count
            keys = Array(keys.prefix(maxSeries))
            let policy = try await RetentionPolicy.load(from: store)
            let (from, to) = wanted.window(now: now)
            let result = try await RangeQuery.run(store, keys: keys, from: from, to: to, maxPoints: wanted.points, now: now, policy: policy)
            var thresholds: [MetricSnapshot.Threshold] = []
            var minScore: Double?
            for rule in rules ?? [] where rule.kind.metric == wanted.metric {
                switch rule.kind {
                case .threshold(let t):
                    thresholds.append(.init(rule: rule.name, op: t.op.rawValue, value: t.threshold, severity: rule.severity))
                case .anomaly(let a):
                    minScore = min(minScore ?? a.minScore, a.minScore)
                default:
                    break
                }
            }
            var anomalies: [Int64] = []
            if let minScore {
                let scoreKeys = keys.map { SeriesKey(host: $0.host, name: "anomaly.score", labels: $0.labels.merging(["metric": wanted.metric]) { a, _ in a }) }
                let scores = try await RangeQuery.run(store, keys: scoreKeys, from: from, to: to, maxPoints: wanted.points, now: now, policy: policy)
                anomalies = Array(Set(scores.series.values.flatMap { $0.filter { $0.max >= minScore }.map(\.ts) })).sorted()
            }
            let series = keys.compactMap { k in result.series[k].map { MetricSnapshot.Series(key: k, rollups: $0) } }
            return .metric(MetricSnapshot(interest: wanted, from: from, to: to, series: series, seriesAvailable: available, step: result.step, tier: result.tier, thresholds: thresholds,
                                          anomalies: anomalies, rulesKnown: rules != nil))
        } catch {
            return .metricError(String(describing: error))
        }
    }
}
