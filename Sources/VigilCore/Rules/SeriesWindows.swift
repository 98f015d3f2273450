/// Where the metric kinds (threshold, forecast, rate) read their windows: each series of a metric with its points
/// in a time range, one series at a time.
///
/// The engine passes its head (`MetricHead`, read in place: each series' chunks are decoded into one reused buffer,
/// so an evaluation holds one series' window at a time, not every window of every rule's metric at once); tests and
/// `vigil rules bench` pass a plain `[SeriesKey: [SeriesPoint]]`.
public protocol SeriesWindows: Sendable {
    /// Calls `body` with each series of `metric` that `include` accepts (asked before its points are read) and its
    /// finite points with `after < ts <= through`, oldest first; series with none there are skipped. The order of
    /// the series is unspecified. The array may be a buffer reused for the next series: keeping it costs a copy.
    func forEachSeries(of metric: String, after: Int64, through: Int64, where include: (SeriesKey) -> Bool,
                       _ body: (SeriesKey, [SeriesPoint]) -> Void)
}

extension Dictionary: SeriesWindows where Key == SeriesKey, Value == [SeriesPoint] {
    public func forEachSeries(of metric: String, after: Int64, through: Int64, where include: (SeriesKey) -> Bool,
                              _ body: (SeriesKey, [SeriesPoint]) -> Void) {
        for (key, points) in self where key.name == metric && include(key) {
            let window = points.filter { $0.ts > after && $0.ts <= through && $0.value.isFinite }.sorted { $0.ts < $1.ts }
            if !window.isEmpty { body(key, window) }
        }
    }
}
