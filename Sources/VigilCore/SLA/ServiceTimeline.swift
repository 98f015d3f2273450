import VigilWire

/// One service's check results as good/bad series per (host, check), for one indicator: availability (a result is
/// good when it passed) or latency (good when it passed within the objective's threshold). Tallied like
/// `CheckSeries` (each result stands for the time until the next, at most twice the series' interval there; the rest
/// is unknown) and cut into violations. Pure.
public struct ServiceTimeline: Sendable {
    struct Series: Sendable {
        var points: [(ts: Int64, ok: Bool)]
        var interval: Int64
    }

    /// Bad stretches closer than this are one violation (a flapping check is one outage, not twenty).
    public static let joinGap: Int64 = 300_000

    let series: [Series]

    /// `history` per host (any order), `hostLabels` for the service's label selector.
    public init(_ history: [String: [CheckResult]], service: ServiceDefinition, sli: ServiceSLI, hostLabels: [String: [String: String]]) {
        let threshold = service.objective?.latency?.thresholdMs ?? .infinity
        var out: [Series] = []
        // Membership is decided once per host and the check names looked up in a set: this runs over every result
        // of the window, per service and indicator.
        let checks = Set(service.checkNames)
        let anyHost = service.hosts.isEmpty && service.match.isEmpty
        for (host, results) in history {
            guard anyHost || service.includes(host: host, labels: hostLabels[host] ?? [:]) else { continue }
            var byCheck: [String: [(ts: Int64, ok: Bool)]] = [:]
            for r in results where checks.contains(r.name) {
                let ok = sli == .availability ? r.ok : r.ok && r.latencyMs <= threshold
                byCheck[r.name, default: []].append((r.ts, ok))
            }
            for (_, points) in byCheck.sorted(by: { $0.key < $1.key }) {
                let sorted = points.sorted { $0.ts < $1.ts }
                out.append(Series(points: sorted, interval: CheckAvailability.usualInterval(sorted.map(\.ts)) ?? 60_000))
            }
        }
        series = out
    }

    /// How many (host, check) series the service has in the history.
    public var seriesCount: Int { series.count }

    /// Every series' time over `[from, to)`, summed.
    public func tally(from: Int64, to: Int64) -> AvailabilityTally {
        series.reduce(AvailabilityTally()) { $0 + CheckAvailability.tally($1.points, from: from, to: to, interval: $1.interval) }
    }

    /// A stretch of `[from, to)` in which some series was bad, stretches closer than `joinGap` joined. `end` is nil
    /// when it still goes on at `to` (a series' newest result is bad and still stands). `badMs` sums every series'
    /// bad time in it (two hosts down for a minute: two minutes).
    public struct Stretch: Sendable, Equatable {
        public var start: Int64
        public var end: Int64?
        public var badMs: Int64
    }

    public func violations(from: Int64, to: Int64) -> [Stretch] {
        var bad: [(start: Int64, end: Int64, open: Bool)] = []
        for s in series {
            for (i, r) in s.points.enumerated() where !r.ok && r.ts < to {
                var end = r.ts + CheckAvailability.maxCover(s.points, i, interval: s.interval)
                let last = i + 1 == s.points.count
                if !last { end = min(end, s.points[i + 1].ts) }
                let start = max(r.ts, from)
                // Still standing at `to`: the series' newest result is bad and covers it.
                let open = (last || s.points[i + 1].ts >= to) && end >= to
                end = min(end, to)
                if end > start { bad.append((start, end, open)) }
            }
        }
        bad.sort { $0.start < $1.start }
        var out: [Stretch] = []
        var current: (start: Int64, end: Int64, open: Bool, ms: Int64)?
        for b in bad {
            if var c = current, b.start <= c.end + Self.joinGap {
                c.end = max(c.end, b.end)
                c.open = c.open || b.open
                c.ms += b.end - b.start
                current = c
            } else {
                if let c = current { out.append(Stretch(start: c.start, end: c.open ? nil : c.end, badMs: c.ms)) }
                current = (b.start, b.end, b.open, b.end - b.start)
            }
        }
        if let c = current { out.append(Stretch(start: c.start, end: c.open ? nil : c.end, badMs: c.ms)) }
        return out
    }
}
