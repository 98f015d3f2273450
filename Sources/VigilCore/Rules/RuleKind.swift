import VigilWire

/// What a rule watches, and the condition under which it breaches. Written in rule files as
/// `kind:` plus an `expr:` mapping whose keys depend on the kind (see docs/rules.md).
public enum RuleKind: Sendable, Equatable {
    case threshold(Threshold)
    case forecast(Forecast)
    case rate(Rate)
    case hostStale(HostStale)
    case seriesAbsent(SeriesAbsent)
    case checkFailed(CheckFailed)
    case logMatch(LogMatch)
    case anomaly(Anomaly)
    case newLogPattern(NewLogPattern)
    case sloBurn(SLOBurn)

    /// Every kind's name as written in `kind:`, in documentation order.
    public static let names = ["threshold", "forecast", "rate", "host_stale", "series_absent", "check_failed", "log_match", "anomaly",
                               "new_log_pattern", "slo_burn"]

    /// The name written in `kind:`.
    public var name: String {
        switch self {
        case .threshold: "threshold"
        case .forecast: "forecast"
        case .rate: "rate"
        case .hostStale: "host_stale"
        case .seriesAbsent: "series_absent"
        case .checkFailed: "check_failed"
        case .logMatch: "log_match"
        case .anomaly: "anomaly"
        case .newLogPattern: "new_log_pattern"
        case .sloBurn: "slo_burn"
        }
    }

    /// The metric a metric-based kind reads, nil for the others.
    public var metric: String? {
        switch self {
        case .threshold(let e): e.metric
        case .forecast(let e): e.metric
        case .rate(let e): e.metric
        case .seriesAbsent(let e): e.metric
        case .anomaly(let e): e.metric
        case .hostStale, .checkFailed, .logMatch, .newLogPattern, .sloBurn: nil
        }
    }

    /// Whether this is an `anomaly` rule (it reads scores from the anomaly scanner, not points).
    public var isAnomaly: Bool {
        if case .anomaly = self { return true }
        return false
    }

    /// How far back (ms) the evaluator needs points or lines; nil when it needs none.
    public var lookback: Int64? {
        switch self {
        case .threshold(let e): e.window
        case .forecast(let e): e.window
        case .rate(let e): e.window
        case .logMatch(let e): e.window
        case .hostStale, .seriesAbsent, .checkFailed, .anomaly, .newLogPattern, .sloBurn: nil
        }
    }

    /// `metric OP threshold` after aggregating each matching series over `window`.
    public struct Threshold: Sendable, Equatable {
        public var metric: String
        public var matchers: [LabelMatcher]
        public var aggregation: Aggregation
        /// Milliseconds.
        public var window: Int64
        public var op: ComparisonOp
        public var threshold: Double
        /// Divide the aggregate by the host's online CPU count before comparing (load per core).
        public var perCPU: Bool

        public init(metric: String, matchers: [LabelMatcher] = [], aggregation: Aggregation = .last, window: Int64 = 300_000,
                    op: ComparisonOp, threshold: Double, perCPU: Bool = false) {
            self.metric = metric
            self.matchers = matchers
            self.aggregation = aggregation
            self.window = window
            self.op = op
            self.threshold = threshold
            self.perCPU = perCPU
        }
    }

    /// "Reaches `threshold` within `within`": a least-squares line through the points of `window`,
    /// extrapolated. `op` says which side counts as reached (`>=` for "fills up", `<=` for "runs out").
    public struct Forecast: Sendable, Equatable {
        public var metric: String
        public var matchers: [LabelMatcher]
        /// Milliseconds of history the line is fitted to.
        public var window: Int64
        public var op: ComparisonOp
        public var threshold: Double
        /// Milliseconds ahead of now.
        public var within: Int64
        /// Fewer points than this in the window: no forecast.
        public var minPoints: Int

        public init(metric: String, matchers: [LabelMatcher] = [], window: Int64, op: ComparisonOp = .greaterOrEqual,
                    threshold: Double, within: Int64, minPoints: Int = 3) {
            self.metric = metric
            self.matchers = matchers
            self.window = window
            self.op = op
            self.threshold = threshold
            self.within = within
            self.minPoints = minPoints
        }
    }

    /// The per-second rate of change over `window` (newest minus oldest point, divided by the time
    /// between them) compared with `threshold`.
    public struct Rate: Sendable, Equatable {
        public var metric: String
        public var matchers: [LabelMatcher]
        /// Milliseconds.
        public var window: Int64
        public var op: ComparisonOp
        /// Units per second.
        public var threshold: Double

        public init(metric: String, matchers: [LabelMatcher] = [], window: Int64, op: ComparisonOp, threshold: Double) {
            self.metric = metric
            self.matchers = matchers
            self.window = window
            self.op = op
            self.threshold = threshold
        }
    }

    /// No data at all from a host for longer than `after`.
    public struct HostStale: Sendable, Equatable {
        /// On `host` and host labels.
        public var matchers: [LabelMatcher]
        /// Milliseconds.
        public var after: Int64

        public init(matchers: [LabelMatcher] = [], after: Int64) {
            self.matchers = matchers
            self.after = after
        }
    }

    /// A series of `metric` that matches and whose newest point is older than `after`.
    public struct SeriesAbsent: Sendable, Equatable {
        public var metric: String
        public var matchers: [LabelMatcher]
        /// Milliseconds.
        public var after: Int64

        public init(metric: String, matchers: [LabelMatcher] = [], after: Int64) {
            self.metric = metric
            self.matchers = matchers
            self.after = after
        }
    }

    /// A check whose newest `consecutive` results all failed.
    public struct CheckFailed: Sendable, Equatable {
        /// On the check's name; nil = any check.
        public var check: StringMatcher?
        /// nil = any kind.
        public var checkKind: CheckKind?
        /// On `host` and host labels.
        public var matchers: [LabelMatcher]
        public var consecutive: Int

        public init(check: StringMatcher? = nil, checkKind: CheckKind? = nil, matchers: [LabelMatcher] = [], consecutive: Int = 1) {
            self.check = check
            self.checkKind = checkKind
            self.matchers = matchers
            self.consecutive = consecutive
        }
    }

    /// An availability objective whose error budget burns too fast: the checks' time-weighted error ratio
    /// (`CheckAvailability`) over both `longWindow` and `shortWindow`, divided by the allowed ratio (1 − objective),
    /// at least `factor` (the multi-window burn-rate alert of the Google SRE workbook: 1 h and 5 m at 14.4 pages,
    /// 6 h and 30 m at 6 opens a ticket). One instance per check name, over every matching host.
    public struct SLOBurn: Sendable, Equatable {
        public var check: StringMatcher?
        public var checkKind: CheckKind?
        /// On `host` and host labels.
        public var matchers: [LabelMatcher]
        /// Percent, e.g. 99.9. Nil with `service`: each service's own objectives.
        public var objective: Double?
        /// Services of `topology.yaml` with an objective (`slo:`) whose name matches; nil: check names.
        public var service: StringMatcher?
        /// Milliseconds.
        public var longWindow: Int64
        public var shortWindow: Int64
        public var factor: Double

        public init(check: StringMatcher? = nil, checkKind: CheckKind? = nil, matchers: [LabelMatcher] = [], objective: Double?,
                    longWindow: Int64 = 3_600_000, shortWindow: Int64 = 300_000, factor: Double = 14.4, service: StringMatcher? = nil) {
            self.service = service
            self.check = check
            self.checkKind = checkKind
            self.matchers = matchers
            self.objective = objective
            self.longWindow = longWindow
            self.shortWindow = shortWindow
            self.factor = factor
        }
    }

    /// At least `minCount` log lines of a host matching within `window`.
    public struct LogMatch: Sendable, Equatable {
        public var pattern: LogPattern
        /// Lines below this level do not count; nil = any level.
        public var minLevel: LogLevel?
        /// On the line's source (the tailed file); nil = any source.
        public var source: StringMatcher?
        /// On `host` and host labels.
        public var matchers: [LabelMatcher]
        /// Milliseconds.
        public var window: Int64
        public var minCount: Int

        public init(pattern: LogPattern, minLevel: LogLevel? = nil, source: StringMatcher? = nil, matchers: [LabelMatcher] = [],
                    window: Int64, minCount: Int = 1) {
            self.pattern = pattern
            self.minLevel = minLevel
            self.source = source
            self.matchers = matchers
            self.window = window
            self.minCount = minCount
        }

        /// Whether one line counts (level, source and text; not its time or host).
        public func matches(_ entry: LogEntry) -> Bool {
            if let minLevel, entry.level < minLevel { return false }
            if let source, !source.matches(entry.source) { return false }
            return pattern.matches(entry.message)
        }
    }

    /// What a log line's text must contain.
    public enum LogPattern: Sendable, Equatable {
        /// Everything: only level, source and count matter.
        case any
        /// A case-sensitive substring.
        case contains(String)
        /// A regular expression found anywhere in the line (use `(?i)` for case-insensitive).
        case regex(RegexPattern)

        /// Whether `message` matches.
        public func matches(_ message: String) -> Bool {
            switch self {
            case .any: true
            case .contains(let s): message.contains(s)
            case .regex(let r): r.matches(message)
            }
        }
    }

    /// An anomaly score (0…1, from the anomaly scanner) of at least `minScore` on a matching series of `metric`,
    /// or of any series the scanner scans when `metric` is nil (the instance then has a `metric` label).
    public struct Anomaly: Sendable, Equatable {
        public var metric: String?
        public var matchers: [LabelMatcher]
        public var minScore: Double

        public init(metric: String?, matchers: [LabelMatcher] = [], minScore: Double) {
            self.metric = metric
            self.matchers = matchers
            self.minScore = minScore
        }
    }

    /// A log template (see `LogTemplateMiner`) first seen within `within` whose lines reach `minLevel`: a kind
    /// of error never logged before. One instance per host and template.
    public struct NewLogPattern: Sendable, Equatable {
        /// Lines below this level do not count.
        public var minLevel: LogLevel
        /// Milliseconds: how recent the template's first line must be.
        public var within: Int64
        /// On `host` and host labels.
        public var matchers: [LabelMatcher]

        public init(minLevel: LogLevel = .error, within: Int64 = 900_000, matchers: [LabelMatcher] = []) {
            self.minLevel = minLevel
            self.within = within
            self.matchers = matchers
        }
    }
}
