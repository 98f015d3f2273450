import VigilWire

/// One service's indicator against its objective over the objective's window: the tally (daily rollups for the days
/// `SLAService` has rolled up, check results for the rest), the error budget left, burn rates now, each day's tally
/// for the trend, and the violations recorded in the window.
public struct ServiceSLA: Sendable, Equatable, Identifiable {
    public var service: String
    public var sli: ServiceSLI
    public var objective: ServiceObjective
    public var owner: String?
    /// (host, check) series of the service seen in the check results read.
    public var series: Int
    public var budget: ErrorBudget
    public var burn1h: Double?
    public var burn6h: Double?
    /// Per UTC day of the window, oldest first (the first and last days partly).
    public var days: [AvailabilityTally]
    public var violations: [SLAViolation]
    /// Days read from rollups rather than check results.
    public var rolledUpDays: Int

    public var id: String { "\(service)/\(sli.rawValue)" }

    /// The budget left after each day of the window, oldest first: 1 − the down time so far over what the whole
    /// window's known time allows (it only falls; its slope is the burn).
    public var budgetTrend: [Double?] { budget.leftAfter(days.map(\.downMs)) }

    /// The violation still going on, if any.
    public var openViolation: SLAViolation? { violations.first { $0.end == nil } }
}

/// Measures every service that has an objective (`ServiceSLA`). The pure part takes what the store gave; `measure`
/// reads it.
public enum ServiceSLAReport {
    /// Check results a measure reads at most (the rest of the window counts as unknown).
    public static let resultLimit = 5_000_000

    /// Reads rollups, the check results the rollups do not cover (and the last 6 hours, for burn rates) and the
    /// violations, then measures. `services` without an objective are skipped.
    public static func measure(store: any Store, services: [ServiceDefinition], hostLabels: [String: [String: String]],
                               now: Int64) async throws -> [ServiceSLA] {
        let objectives = services.filter { $0.objective != nil }
        guard let longest = objectives.compactMap({ $0.objective?.window }).max() else { return [] }
        let rollups = try await store.slaDaily(from: SLADailyTally.dayStart(now - longest), to: now)
        let index = RollupIndex(rollups)
        var ranges: [(Int64, Int64)] = [(now - 6 * 3_600_000, now)]
        for s in objectives {
            for sli in s.objective!.indicators {
                ranges += rawRanges(service: s, sli: sli, index: index, now: now)
            }
        }
        var history: [String: [CheckResult]] = [:]
        var budget = resultLimit
        // Newest first: past the limit, the oldest ranges go without.
        for (from, to) in coalesce(ranges).reversed() where budget > 0 {
            // 10 minutes before: the result before a range stands for its first minutes.
            let part = try await store.checkHistory(from: from - 600_000, to: to, limit: budget)
            for (host, results) in part {
                history[host, default: []] += results
                budget -= results.count
            }
        }
        let violations = try await store.slaViolations(from: now - longest, to: now + 1, limit: 10_000)
        return make(services: objectives, history: history, rollups: rollups, violations: violations, hostLabels: hostLabels, now: now)
    }

    /// The measures from what was read. Pure.
    public static func make(services: [ServiceDefinition], history: [String: [CheckResult]], rollups: [SLADailyTally], violations: [SLAViolation],
                            hostLabels: [String: [String: String]], now: Int64) -> [ServiceSLA] {
        let index = RollupIndex(rollups)
        var out: [ServiceSLA] = []
        for s in services {
            guard let objective = s.objective else { continue }
            let from = now - objective.window
            for sli in objective.indicators {
                let target = objective.objective(sli)!
                let timeline = ServiceTimeline(history, service: s, sli: sli, hostLabels: hostLabels)
                var days: [AvailabilityTally] = []
                var rolled = 0
                var day = SLADailyTally.dayStart(from)
                while day < now {
                    let lo = max(day, from), hi = min(day + SLADailyTally.dayMs, now)
                    if lo == day, hi == day + SLADailyTally.dayMs, let r = index.tally(s, sli, day) {
                        days.append(r)
                        rolled += 1
                    } else {
                        days.append(timeline.tally(from: lo, to: hi))
                    }
                    day += SLADailyTally.dayMs
                }
                let tally = days.reduce(AvailabilityTally(), +)
                let own = violations.filter { $0.service == s.name && $0.sli == sli }.sorted { $0.start > $1.start }
                out.append(ServiceSLA(service: s.name, sli: sli, objective: objective, owner: s.owner, series: timeline.seriesCount,
                                      budget: ErrorBudget(objective: target, tally: tally),
                                      burn1h: ErrorBudget(objective: target, tally: timeline.tally(from: now - 3_600_000, to: now)).burnRate,
                                      burn6h: ErrorBudget(objective: target, tally: timeline.tally(from: now - 6 * 3_600_000, to: now)).burnRate,
                                      days: days, violations: own, rolledUpDays: rolled))
            }
        }
        return out.sorted { ($0.budget.remaining ?? 2, $0.service, $0.sli) < ($1.budget.remaining ?? 2, $1.service, $1.sli) }
    }

    /// The parts of the window the rollups do not cover: the first and the current (partial) day, and days not
    /// rolled up under the service's present definition.
    static func rawRanges(service: ServiceDefinition, sli: ServiceSLI, index: RollupIndex, now: Int64) -> [(Int64, Int64)] {
        guard let objective = service.objective else { return [] }
        let from = now - objective.window
        var out: [(Int64, Int64)] = []
        var day = SLADailyTally.dayStart(from)
        while day < now {
            let lo = max(day, from), hi = min(day + SLADailyTally.dayMs, now)
            if !(lo == day && hi == day + SLADailyTally.dayMs && index.tally(service, sli, day) != nil) { out.append((lo, hi)) }
            day += SLADailyTally.dayMs
        }
        return out
    }

    /// Sorted, overlapping or touching ranges merged.
    static func coalesce(_ ranges: [(Int64, Int64)]) -> [(Int64, Int64)] {
        var out: [(Int64, Int64)] = []
        for r in ranges.sorted(by: { $0.0 < $1.0 }) {
            if let last = out.last, r.0 <= last.1 {
                out[out.count - 1].1 = max(last.1, r.1)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// Rollups by service, indicator and day, kept only when made under the service's present definition.
    struct RollupIndex {
        private var byKey: [String: SLADailyTally] = [:]

        init(_ rollups: [SLADailyTally]) {
            for r in rollups { byKey["\(r.service)\u{1F}\(r.sli.rawValue)\u{1F}\(r.day)"] = r }
        }

        func tally(_ service: ServiceDefinition, _ sli: ServiceSLI, _ day: Int64) -> AvailabilityTally? {
            guard let r = byKey["\(service.name)\u{1F}\(sli.rawValue)\u{1F}\(day)"], r.fingerprint == service.sliFingerprint else { return nil }
            return r.tally
        }
    }
}
