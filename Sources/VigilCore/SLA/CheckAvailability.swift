import Foundation
import VigilWire

/// Time-weighted availability from check results: each result stands for the time until the next one, but never for
/// more than twice the check's interval at that point (the larger of its usual interval, the median gap between its
/// results, and the gap before the result, at most ten usual intervals: a check whose interval changed from 1 to 5
/// minutes is covered either way). Time no result stands for is unknown, not up: an agent that stopped reporting does
/// not make a service look healthy.
public struct AvailabilityTally: Sendable, Equatable {
    /// Milliseconds covered by passing results, by failing results, and by none.
    public var upMs: Int64 = 0
    public var downMs: Int64 = 0
    public var unknownMs: Int64 = 0

    public init(upMs: Int64 = 0, downMs: Int64 = 0, unknownMs: Int64 = 0) {
        self.upMs = upMs
        self.downMs = downMs
        self.unknownMs = unknownMs
    }

    public var knownMs: Int64 { upMs + downMs }

    /// Up time over known time, 0…1; nil when nothing is known.
    public var availability: Double? { knownMs > 0 ? Double(upMs) / Double(knownMs) : nil }

    /// Down time over known time (1 − availability); nil when nothing is known.
    public var errorRatio: Double? { knownMs > 0 ? Double(downMs) / Double(knownMs) : nil }

    /// Known time over all time, 0…1.
    public var coverage: Double {
        let all = knownMs + unknownMs
        return all > 0 ? Double(knownMs) / Double(all) : 0
    }

    public static func + (a: Self, b: Self) -> Self {
        Self(upMs: a.upMs + b.upMs, downMs: a.downMs + b.downMs, unknownMs: a.unknownMs + b.unknownMs)
    }
}

public enum CheckAvailability {
    /// The median gap between consecutive timestamps (sorted), at least 1 s; nil with fewer than two.
    public static func usualInterval(_ ts: [Int64]) -> Int64? {
        guard ts.count >= 2 else { return nil }
        var gaps: [Int64] = []
        gaps.reserveCapacity(ts.count - 1)
        for i in 1..<ts.count where ts[i] > ts[i - 1] { gaps.append(ts[i] - ts[i - 1]) }
        guard !gaps.isEmpty else { return nil }
        gaps.sort()
        return max(1000, gaps[gaps.count / 2])
    }

    /// How long result `i` of a sorted series can stand at most: twice the larger of the usual interval and the gap
    /// before it (after it, for the first), that gap counted up to ten intervals, so the first result after an outage
    /// does not cover another.
    @inline(__always)
    static func maxCover(_ results: [(ts: Int64, ok: Bool)], _ i: Int, interval: Int64) -> Int64 {
        let gap = i > 0 ? results[i].ts - results[i - 1].ts : i + 1 < results.count ? results[i + 1].ts - results[i].ts : 0
        return 2 * max(interval, min(gap, 10 * interval))
    }

    /// The tally of one series (one check on one host; results sorted by time, older ones may precede `from`) over
    /// `[from, to)`. `interval` is the check's usual interval (default: measured from the results; a lone result
    /// stands for 1 minute).
    public static func tally(_ results: [(ts: Int64, ok: Bool)], from: Int64, to: Int64, interval: Int64? = nil) -> AvailabilityTally {
        guard to > from else { return AvailabilityTally() }
        let span = to - from
        let step = interval ?? usualInterval(results.map(\.ts)) ?? 60_000
        var t = AvailabilityTally()
        // The first result that can reach the window: the last one before `from` (binary search), or the first.
        var lo = 0, hi = results.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if results[mid].ts < from { lo = mid + 1 } else { hi = mid }
        }
        for i in max(0, lo - 1)..<results.count {
            let r = results[i]
            guard r.ts < to else { break }
            var end = r.ts + maxCover(results, i, interval: step)
            if i + 1 < results.count { end = min(end, results[i + 1].ts) }
            let covered = min(end, to) - max(r.ts, from)
            guard covered > 0 else { continue }
            if r.ok { t.upMs += covered } else { t.downMs += covered }
        }
        t.unknownMs = max(0, span - t.knownMs)
        return t
    }

}

/// Check results grouped once by check name into per-host series (sorted, each with its usual interval), then tallied
/// over as many windows as wanted: a rule's two windows, `vigil sla`'s window, hour, six hours and trend slots.
public struct CheckSeries: Sendable {
    private struct Series: Sendable {
        var points: [(ts: Int64, ok: Bool)]
        var interval: Int64
    }

    private var series: [String: [Series]] = [:]
    /// The hosts each check ran on.
    public private(set) var hosts: [String: Set<String>] = [:]

    /// `results` is per host, in any order (`RuleInput.checkHistory`); `include` picks the results.
    public init(_ results: [String: [CheckResult]], include: (String, CheckResult) -> Bool = { _, _ in true }) {
        for (host, hostResults) in results {
            var byName: [String: [(ts: Int64, ok: Bool)]] = [:]
            for r in hostResults where include(host, r) { byName[r.name, default: []].append((r.ts, r.ok)) }
            for (name, points) in byName {
                let sorted = points.sorted { $0.ts < $1.ts }
                series[name, default: []].append(Series(points: sorted, interval: CheckAvailability.usualInterval(sorted.map(\.ts)) ?? 60_000))
                hosts[name, default: []].insert(host)
            }
        }
    }

    /// Per check name: the tallies of every host's series of it over `[from, to)`, summed (each host's time counts).
    public func tally(from: Int64, to: Int64) -> [String: AvailabilityTally] {
        series.mapValues { list in
            list.reduce(AvailabilityTally()) { $0 + CheckAvailability.tally($1.points, from: from, to: to, interval: $1.interval) }
        }
    }
}

/// An availability objective over a window and what is left of its error budget.
public struct ErrorBudget: Sendable, Equatable {
    /// The objective in percent (99.9).
    public var objective: Double
    public var tally: AvailabilityTally

    public init(objective: Double, tally: AvailabilityTally) {
        self.objective = objective
        self.tally = tally
    }

    /// The share of known time that may be down, 0…1 (0.001 for 99.9 %).
    public var allowedErrorRatio: Double { max(1e-9, 1 - objective / 100) }

    /// Down time the objective allows over the known time.
    public var allowedDownMs: Double { Double(tally.knownMs) * allowedErrorRatio }

    /// What is left of the budget: 1 untouched, 0 spent, negative overspent; nil when nothing is known.
    public var remaining: Double? {
        guard tally.knownMs > 0 else { return nil }
        return 1 - Double(tally.downMs) / allowedDownMs
    }

    /// How fast the budget burns: the error ratio over the allowed one (1 spends it exactly over the window).
    public var burnRate: Double? { tally.errorRatio.map { $0 / allowedErrorRatio } }

    /// `99.9%`, `99.95%`, `99%`.
    public static func percentText(_ value: Double) -> String {
        var s = String(format: "%.4f", value)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s + "%"
    }

    /// The budget left after each of `slots` (their down time added up in order) against what the whole tally allows:
    /// it only falls, and its slope is the burn. Nil throughout when nothing is known.
    public func leftAfter(_ slots: [Int64]) -> [Double?] {
        let allowed = allowedDownMs
        guard allowed > 0 else { return slots.map { _ in nil } }
        var down: Int64 = 0
        return slots.map { d in
            down += d
            return 1 - Double(down) / allowed
        }
    }

    /// Whether the objective is met so far.
    public var isMet: Bool? { tally.availability.map { $0 * 100 >= objective } }
}
