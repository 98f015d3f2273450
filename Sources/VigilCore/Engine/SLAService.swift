import Logging
import ServiceLifecycle
import VigilWire

/// Keeps the services' SLA records while this engine holds the lease, every `every` (5 minutes; the first a minute
/// after start): rolls each UTC day of a service's window up once it has been over for an hour (`sla_daily`; at most
/// `daysPerRun` days with results read per run, newest first; a day without results is not rolled up and does not count), and records its violations (`sla_violations`) from the last 26 hours of check results (longer
/// while one is still open), closing and updating them as they change.
public struct SLAService: Service {
    let store: any Store
    let services: TopologyDirectory
    let every: Duration
    let isLeader: @Sendable () -> Bool
    let logger: Logger

    public static let daysPerRun = 7
    static let lookback: Int64 = 26 * 3_600_000

    public func run() async throws {
        var wait = min(every, .seconds(60))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await gracefulShutdownSleep(wait)
            wait = every
            guard isLeader(), !Task.isShuttingDownGracefully else { continue }
            let defined = services.services().filter { $0.objective != nil }
            guard !defined.isEmpty else { continue }
            do {
                let outcome = try await Self.update(store: store, services: defined, now: WallClock.nowMs())
                if outcome.days > 0 || outcome.opened > 0 {
                    logger.info("SLA: \(outcome.days) daily rollups written, \(outcome.opened) violations going on")
                }
                if outcome.tooLarge > 0 {
                    logger.warning("SLA: \(outcome.tooLarge) days not rolled up: an hour of them holds more than \(ServiceSLAReport.resultLimit) check results")
                }
            } catch {
                if Task.isCancelled { return }  // the engine is stopping: its store calls were cut short, nothing failed
                logger.error("the SLA records could not be updated (tried again in \(every)): \(error)")
            }
        }
    }

    /// One pass: rollups, then violations. Returns how many rollups were written, how many violations are open, and
    /// how many days could not be rolled up (an hour of them over the result limit).
    @discardableResult
    public static func update(store: any Store, services: [ServiceDefinition], now: Int64,
                              daysPerRun: Int = daysPerRun) async throws -> (days: Int, opened: Int, tooLarge: Int) {
        let hostLabels = Dictionary(try await store.hostInventory(now: now).map { ($0.name, $0.labels) }, uniquingKeysWith: { a, _ in a })
        let days = try await rollUp(store: store, services: services, hostLabels: hostLabels, now: now, limit: daysPerRun)
        let open = try await recordViolations(store: store, services: services, hostLabels: hostLabels, now: now)
        return (days.written, open, days.tooLarge)
    }

    /// Writes the rollups of finished days in each service's window that are missing or were made under another
    /// definition, reading one day of check results at a time (an hour at a time when a day holds more than
    /// `resultLimit`; a day with an hour over it is left out and counted in `tooLarge`).
    static func rollUp(store: any Store, services: [ServiceDefinition], hostLabels: [String: [String: String]], now: Int64, limit: Int,
                       resultLimit: Int = ServiceSLAReport.resultLimit) async throws -> (written: Int, tooLarge: Int) {
        let today = SLADailyTally.dayStart(now)
        guard let longest = services.compactMap({ $0.objective?.window }).max() else { return (0, 0) }
        let existing = try await store.slaDaily(from: SLADailyTally.dayStart(now - longest), to: today)
        var have: [String: SLADailyTally] = [:]
        for r in existing { have["\(r.service)\u{1F}\(r.sli.rawValue)\u{1F}\(r.day)"] = r }
        // Days that some service needs, newest first.
        var due: [Int64: [ServiceDefinition]] = [:]
        for s in services {
            guard let o = s.objective else { continue }
            var day = SLADailyTally.dayStart(now - o.window)
            if day < now - o.window { day += SLADailyTally.dayMs }
            // A day is rolled up once it has been over for an hour: agents' spools may still bring its last results.
            while day + SLADailyTally.dayMs + 3_600_000 <= now {
                let stale = o.indicators.contains { sli in have["\(s.name)\u{1F}\(sli.rawValue)\u{1F}\(day)"]?.fingerprint != s.sliFingerprint }
                if stale { due[day, default: []].append(s) }
                day += SLADailyTally.dayMs
            }
        }
        var written = 0
        var read = 0
        var tooLarge = 0
        for day in due.keys.sorted(by: >) where read < limit {
            guard let (tallies, results) = try await dayTallies(store: store, day: day, services: due[day]!, hostLabels: hostLabels,
                                                                resultLimit: resultLimit) else {
                tooLarge += 1
                read += 1
                continue
            }
            // A day without results (before the first, or gone with retention) stays due, but costs only an empty read:
            // it must not use up the run's days, or older days with results would never be rolled up.
            guard results > 0 else { continue }
            read += 1
            var rows: [SLADailyTally] = []
            for s in due[day]! {
                for sli in s.objective!.indicators {
                    // Nothing known that day (before the service's first result, or results gone with their retention):
                    // nothing to roll up; a measure counts the day unknown for each series it knows, and a rollup made
                    // earlier stays.
                    guard let tally = tallies[Self.key(s, sli)], tally.knownMs > 0 else { continue }
                    rows.append(SLADailyTally(service: s.name, sli: sli, day: day, fingerprint: s.sliFingerprint, tally: tally))
                }
            }
            try await store.saveSLADaily(rows)
            written += rows.count
        }
        return (written, tooLarge)
    }

    static func key(_ s: ServiceDefinition, _ sli: ServiceSLI) -> String { s.name + "\u{1F}" + sli.rawValue }

    /// The tally of each service and indicator over one UTC day, and how many results were read; nil when an hour of
    /// the day holds more than `resultLimit` results. The day is read whole, or an hour at a time when it holds more.
    static func dayTallies(store: any Store, day: Int64, services: [ServiceDefinition], hostLabels: [String: [String: String]],
                           resultLimit: Int) async throws -> ([String: AvailabilityTally], Int)? {
        let end = day + SLADailyTally.dayMs
        if let whole = try await tallies(store: store, from: day, to: end, services: services, hostLabels: hostLabels, resultLimit: resultLimit) {
            return whole
        }
        var sum: [String: AvailabilityTally] = [:]
        var results = 0
        for hour in stride(from: day, to: end, by: 3_600_000) {
            guard let (t, n) = try await tallies(store: store, from: hour, to: hour + 3_600_000, services: services, hostLabels: hostLabels,
                                                 resultLimit: resultLimit) else { return nil }
            sum.merge(t, uniquingKeysWith: +)
            results += n
        }
        return (sum, results)
    }

    /// The tally of each service and indicator over `[from, to)`, and how many results were read; nil when they reach
    /// `resultLimit` (the tallies would miss the oldest).
    private static func tallies(store: any Store, from: Int64, to: Int64, services: [ServiceDefinition], hostLabels: [String: [String: String]],
                                resultLimit: Int) async throws -> ([String: AvailabilityTally], Int)? {
        // 10 minutes before: the result before the range stands for its first minutes.
        let history = try await store.checkHistory(from: from - 600_000, to: to, limit: resultLimit)
        let n = history.values.reduce(0) { $0 + $1.count }
        guard n < resultLimit else { return nil }
        var out: [String: AvailabilityTally] = [:]
        for s in services {
            for sli in s.objective!.indicators {
                out[key(s, sli)] = ServiceTimeline(history, service: s, sli: sli, hostLabels: hostLabels).tally(from: from, to: to)
            }
        }
        return (out, n)
    }

    /// Records the violations of the last 26 hours (from an open one's start when earlier) and closes open ones the
    /// results no longer show. Returns how many are open.
    static func recordViolations(store: any Store, services: [ServiceDefinition], hostLabels: [String: [String: String]], now: Int64) async throws -> Int {
        let longest = services.compactMap { $0.objective?.window }.max() ?? lookback
        let stored = try await store.slaViolations(from: now - longest, to: now + 1, limit: 10_000)
        let open = stored.filter { $0.end == nil }
        var from = max(now - longest, min(now - lookback, (open.map(\.start).min() ?? .max) - 600_000))
        let history = try await store.checkHistory(from: from - 600_000, to: now + 60_000, limit: ServiceSLAReport.resultLimit)
        // A read over the limit lacks its oldest results: look at violations from where the results start (one that
        // began earlier and is open keeps its start, below).
        if history.values.reduce(0, { $0 + $1.count }) >= ServiceSLAReport.resultLimit, let oldest = history.values.compactMap({ $0.first?.ts }).min() {
            from = max(from, oldest + 600_000)
        }
        var found: [SLAViolation] = []
        for s in services {
            guard let o = s.objective else { continue }
            for sli in o.indicators {
                let timeline = ServiceTimeline(history, service: s, sli: sli, hostLabels: hostLabels)
                let allowed = Double(o.window) * Double(max(1, timeline.seriesCount)) * (1 - o.objective(sli)! / 100)
                for v in timeline.violations(from: from, to: now, allowedBadFraction: 1 - o.objective(sli)! / 100) {
                    var start = v.start, bad = v.badMs
                    if v.start <= from {
                        // Cut at `from`: it began earlier and was recorded under its own start. Only an open one that
                        // outlasted the window goes on under that start (its bad time as recorded, at least).
                        guard let earlier = open.first(where: { $0.service == s.name && $0.sli == sli && $0.start <= from }) else { continue }
                        start = earlier.start
                        bad = max(bad, earlier.badMs)
                    }
                    found.append(SLAViolation(service: s.name, sli: sli, start: start, end: v.end, badMs: bad,
                                              budgetSpent: allowed > 0 ? Double(bad) / allowed : 0, objective: o.objective(sli)!, window: o.window))
                }
            }
        }
        // An open one the results no longer show (its service or check changed, or late results moved its start): ended now.
        let seen = Set(found.map(\.id))
        let stale = open.filter { !seen.contains($0.id) }.map { v -> SLAViolation in
            var v = v
            v.end = max(v.start, now)
            return v
        }
        try await store.saveSLAViolations(found + stale)
        return found.filter { $0.end == nil }.count
    }
}
