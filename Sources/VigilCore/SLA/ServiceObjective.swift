import Foundation

/// A service's objectives (`slo:` of a service in `topology.yaml`): availability in percent over a window, and
/// optionally a latency objective: the share of time its checks answered, and answered within a threshold.
///
/// ```yaml
/// slo:
///   availability: 99.9        # percent of the window its checks pass
///   window: 30d               # 7d, 30d or 90d (any 1d to 90d)
///   latency:                  # optional
///     below: 300ms            # a passing result slower than this counts against the latency objective
///     objective: 99           # percent (default: the availability objective)
/// ```
public struct ServiceObjective: Sendable, Equatable {
    public struct Latency: Sendable, Equatable {
        public var thresholdMs: Double
        /// Percent.
        public var objective: Double

        public init(thresholdMs: Double, objective: Double) {
            self.thresholdMs = thresholdMs
            self.objective = objective
        }

        /// `300ms`, `1.5s`.
        public static func text(ms: Double) -> String {
            if ms < 1000 { return "\(Int(ms.rounded()))ms" }
            let s = ms / 1000
            return s == s.rounded() ? "\(Int(s))s" : String(format: "%.1fs", s)
        }
    }

    /// Percent, above 0 and below 100.
    public var availability: Double
    public var window: Int64
    public var latency: Latency?

    public static let defaultWindow: Int64 = 30 * 86_400_000
    public static let longestWindow: Int64 = 90 * 86_400_000

    public init(availability: Double, window: Int64 = Self.defaultWindow, latency: Latency? = nil) {
        self.availability = availability
        self.window = window
        self.latency = latency
    }

    /// The objective of `sli` in percent (nil: the service has no latency objective).
    public func objective(_ sli: ServiceSLI) -> Double? {
        switch sli {
        case .availability: availability
        case .latency: latency?.objective
        }
    }

    /// The indicators the objective covers.
    public var indicators: [ServiceSLI] { latency == nil ? [.availability] : [.availability, .latency] }
}

/// What a service's objective measures: whether its checks pass (availability), or pass within the latency
/// threshold (latency).
public enum ServiceSLI: String, Sendable, Equatable, CaseIterable, Comparable {
    case availability, latency

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}
