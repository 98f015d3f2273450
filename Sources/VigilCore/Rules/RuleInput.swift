import VigilWire

/// The plain values rules are evaluated over. The engine fills in what its rules' kinds need
/// (`RuleKind.metric`, `RuleKind.lookback`); the evaluator does no I/O.
public struct RuleInput: Sendable {
    /// Each metric's series and their points (threshold, forecast, rate): the engine's head, or a plain dictionary.
    public var points: any SeriesWindows
    /// Labels of each known host (for matchers on host labels).
    public var hostLabels: [String: [String: String]]
    /// Online CPUs per host (threshold with `per_cpu`).
    public var hostCPUs: [String: Int]
    /// Newest data of any kind per host, Unix ms (host_stale).
    public var hostLastSeen: [String: Int64]
    /// Newest point per series, Unix ms (series_absent).
    public var seriesLastSeen: [SeriesKey: Int64]
    /// Recent check results per host, any order (check_failed).
    public var checkResults: [String: [CheckResult]]
    /// Lines matching the rule within its window, per host (log_match; see `RuleEvaluator.countLogMatches`).
    public var logCounts: [String: Int]
    /// Newest anomaly score (0…1) per series (anomaly).
    public var anomalyScores: [SeriesKey: Double]
    /// Recently first-seen log templates, per host (new_log_pattern; see `Store.newLogPatterns`).
    public var newLogPatterns: [NewLogPattern]
    /// Every check result of the longest `slo_burn` window (and a little before), per host, any order
    /// (`Store.checkHistory`).
    public var checkHistory: [String: [CheckResult]] = [:]
    /// The services `topology.yaml` defines (`slo_burn` with `service:`).
    public var services: [ServiceDefinition] = []
    /// The services' timelines over `checkHistory`, built once for every rule that reads them (a new cache with each
    /// new history).
    public var serviceTimelines = ServiceTimelineCache()

    public init(points: any SeriesWindows = [SeriesKey: [SeriesPoint]](), hostLabels: [String: [String: String]] = [:], hostCPUs: [String: Int] = [:],
                hostLastSeen: [String: Int64] = [:], seriesLastSeen: [SeriesKey: Int64] = [:], checkResults: [String: [CheckResult]] = [:],
                logCounts: [String: Int] = [:], anomalyScores: [SeriesKey: Double] = [:], newLogPatterns: [NewLogPattern] = []) {
        self.points = points
        self.hostLabels = hostLabels
        self.hostCPUs = hostCPUs
        self.hostLastSeen = hostLastSeen
        self.seriesLastSeen = seriesLastSeen
        self.checkResults = checkResults
        self.logCounts = logCounts
        self.anomalyScores = anomalyScores
        self.newLogPatterns = newLogPatterns
    }
}
