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

    /// A stretch of `[from, to)` in which the service was below its objective: the share of its series known to be
    /// bad exceeded `allowedBadFraction` of those known then (1 − objective; with 0, any bad series), stretches closer
    /// than `joinGap` joined. `end` is nil when it still goes on at `to` (a series' newest result is bad and still
    /// stands). `badMs` sums every series' bad time in it (two hosts down for a minute: two minutes).
    public struct Stretch: Sendable, Equatable {
        public var start: Int64
        public var end: Int64?
        public var badMs: Int64
    }

    /// The violations of `[from, to)` (see `Stretch`). One worker of 950 failing is not a violation of a 99.5 %
    /// objective (0.1 % of the service is bad); it is of 99.95 %.
    public func violations(from: Int64, to: Int64, allowedBadFraction: Double = 0) -> [Stretch] {
        // Sweep over the times where a series' known or bad state changes.
        var events: [(t: Int64, known: Int32, bad: Int32)] = []
        var openBad: Int64 = .max  // the earliest start of a bad stretch that still stands at `to`
        for s in series {
            var run: (start: Int64, end: Int64)?
            for (i, r) in s.points.enumerated() where r.ts < to {
                var end = r.ts + CheckAvailability.maxCover(s.points, i, interval: s.interval)
                let last = i + 1 == s.points.count
                if !last { end = min(end, s.points[i + 1].ts) }
                let stands = (last || s.points[i + 1].ts >= to) && end >= to
                let start = max(r.ts, from)
                end = min(end, to)
                guard end > start else { continue }
                if !r.ok {
                    events.append((start, 0, 1))
                    events.append((end, 0, -1))
                    if stands { openBad = min(openBad, start) }
                }
                // Known time, consecutive covers joined into one run.
                if let c = run, c.end == start {
                    run = (c.start, end)
                } else {
                    if let c = run { events.append((c.start, 1, 0)); events.append((c.end, -1, 0)) }
                    run = (start, end)
                }
            }
            if let c = run { events.append((c.start, 1, 0)); events.append((c.end, -1, 0)) }
        }
        events.sort { $0.t < $1.t }
        var out: [Stretch] = []
        var current: (start: Int64, end: Int64, ms: Int64)?
        var known: Int32 = 0, bad: Int32 = 0
        var i = 0
        while i < events.count {
            let t = events[i].t
            while i < events.count && events[i].t == t {
                known += events[i].known
                bad += events[i].bad
                i += 1
            }
            guard i < events.count else { break }
            let next = events[i].t
            guard bad > 0, Double(bad) > allowedBadFraction * Double(max(known, bad)) else { continue }
            let ms = Int64(bad) * (next - t)
            if var c = current, t <= c.end + Self.joinGap {
                c.end = next
                c.ms += ms
                current = c
            } else {
                if let c = current { out.append(Stretch(start: c.start, end: c.end, badMs: c.ms)) }
                current = (t, next, ms)
            }
        }
        if let c = current {
            // Going on: it reaches `to` while a bad result that still stands is part of it.
            let open = c.end >= to && openBad < to
            out.append(Stretch(start: c.start, end: open ? nil : c.end, badMs: c.ms))
        }
        return out
    }
}
