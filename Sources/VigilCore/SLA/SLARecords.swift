/// A stretch in which a service failed its indicator (`ServiceTimeline.violations`), as stored in `sla_violations`
/// by the engine's `SLAService`: when it started and ended (nil: still going), the bad time (every host's counting)
/// and the share of the objective's error budget over its whole window that it spent.
public struct SLAViolation: Sendable, Equatable, Identifiable {
    public var service: String
    public var sli: ServiceSLI
    public var start: Int64
    public var end: Int64?
    public var badMs: Int64
    /// 0.25: a quarter of the window's budget.
    public var budgetSpent: Double
    /// The objective it was measured against, in percent, and over which window.
    public var objective: Double
    public var window: Int64

    public var id: String { "\(service)/\(sli.rawValue)/\(start)" }

    public init(service: String, sli: ServiceSLI, start: Int64, end: Int64?, badMs: Int64, budgetSpent: Double, objective: Double, window: Int64) {
        self.service = service
        self.sli = sli
        self.start = start
        self.end = end
        self.badMs = badMs
        self.budgetSpent = budgetSpent
        self.objective = objective
        self.window = window
    }

    /// How long it lasted, or has lasted by `now`.
    public func duration(now: Int64) -> Int64 { (end ?? now) - start }
}

/// One service's tally of one indicator over one UTC day, rolled up by `SLAService` once the day is over, so a 90-day
/// window reads ninety rows rather than every check result. `fingerprint` is the service's `sliFingerprint` when it
/// was made: a day rolled up under other hosts, checks or threshold is made again while its results are kept.
public struct SLADailyTally: Sendable, Equatable {
    public var service: String
    public var sli: ServiceSLI
    /// Unix ms of the day's 00:00 UTC.
    public var day: Int64
    public var fingerprint: String
    public var tally: AvailabilityTally

    public init(service: String, sli: ServiceSLI, day: Int64, fingerprint: String, tally: AvailabilityTally) {
        self.service = service
        self.sli = sli
        self.day = day
        self.fingerprint = fingerprint
        self.tally = tally
    }

    public static let dayMs: Int64 = 86_400_000

    /// The 00:00 UTC at or before `ts`.
    public static func dayStart(_ ts: Int64) -> Int64 { ts - ((ts % dayMs) + dayMs) % dayMs }
}
