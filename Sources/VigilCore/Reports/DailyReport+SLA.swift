import VigilWire

extension DailyReport {
    /// One service objective in the report: over its own window ending at the report's end (availability, budget
    /// left), and within the report's range (availability, violations, the budget they spent).
    public struct SLALine: Sendable, Equatable {
        public var service: String
        public var sli: ServiceSLI
        /// Percent, and the latency threshold for a latency objective.
        public var objective: Double
        public var latencyBelowMs: Double?
        public var window: Int64
        public var windowAvailability: Double?
        public var budgetRemaining: Double?
        public var rangeAvailability: Double?
        /// Violations overlapping the range, whether one was still going on at its end, and the budget they spent.
        public var violations: Int
        public var ongoing: Bool
        public var budgetSpent: Double

        /// From a measure ending at the report's end (`ServiceSLAReport.measure`), for `[from, to)`. `head` is the tally of
        /// `[from, the next day's start)` when `from` is not a day's start (read from the results: the measure's days are
        /// whole UTC days but the last).
        public init(_ s: ServiceSLA, from: Int64, to: Int64, head: AvailabilityTally = AvailabilityTally()) {
            service = s.service
            sli = s.sli
            objective = s.budget.objective
            latencyBelowMs = s.sli == .latency ? s.objective.latency?.thresholdMs : nil
            window = s.objective.window
            windowAvailability = s.budget.tally.availability
            budgetRemaining = s.budget.remaining
            // The measure's days from the first day starting in the range: whole days, then the last up to `to`.
            let firstWhole = DailyReport.nextDayStart(from)
            var tally = head
            var day = SLADailyTally.dayStart(to - s.objective.window)
            for d in s.days {
                if day >= firstWhole && day < to { tally = tally + d }
                day += SLADailyTally.dayMs
            }
            rangeAvailability = tally.availability
            let inRange = s.violations.filter { $0.start < to && ($0.end ?? .max) >= from }
            violations = inRange.count
            ongoing = inRange.contains { $0.end == nil }
            budgetSpent = inRange.reduce(0) { $0 + $1.budgetSpent }
        }
    }

    /// The services' objectives at the report's end, read from `topology.yaml` at `path` (a file that does not parse
    /// is a note, not a failure of the report).
    static func gatherSLA(store: any Store, path: String?, from: Int64, to: Int64, notes: inout [String]) async throws -> [SLALine] {
        guard let path else { return [] }
        let services: [ServiceDefinition]
        do {
            services = try TopologyConfig.load(path: path).services
        } catch {
            notes.append("SLA left out: \(error.description)")
            return []
        }
        guard services.contains(where: { $0.objective != nil }) else { return [] }
        let labels = Dictionary(try await store.hostInventory(now: to).map { ($0.name, $0.labels) }, uniquingKeysWith: { a, _ in a })
        // The range's first, partial day, from the results (10 minutes before: the result before stands for its start).
        let headEnd = min(to, nextDayStart(from))
        let headHistory = headEnd > from
            ? try await store.checkHistory(from: from - 600_000, to: headEnd, limit: ServiceSLAReport.resultLimit) : [:]
        let byName = Dictionary(services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return try await ServiceSLAReport.measure(store: store, services: services, hostLabels: labels, now: to)
            .map { m in
                let head = byName[m.service].map {
                    ServiceTimeline(headHistory, service: $0, sli: m.sli, hostLabels: labels).tally(from: from, to: headEnd)
                } ?? AvailabilityTally()
                return SLALine(m, from: from, to: to, head: head)
            }
            .sorted { ($0.budgetRemaining ?? 2, $0.service, $0.sli) < ($1.budgetRemaining ?? 2, $1.service, $1.sli) }
    }

    /// The start of the first UTC day that starts at or after `t`.
    static func nextDayStart(_ t: Int64) -> Int64 {
        let d = SLADailyTally.dayStart(t)
        return d == t ? t : d + SLADailyTally.dayMs
    }

    /// The text section.
    var slaText: [String] {
        guard !sla.isEmpty else { return [] }
        var out = ["", "SLA  (services' objectives over their windows; violations and budget spent in this report's range)"]
        out += Self.table(["  service", "sli", "objective", "window", "available", "budget left", "in range", "violations", "spent"], sla.map { l in
            var objective = String(format: "%g%%", l.objective)
            if let b = l.latencyBelowMs { objective += " <" + ServiceObjective.Latency.text(ms: b) }
            return ["  " + l.service, l.sli.rawValue, objective, DurationText.short(ms: l.window),
                    l.windowAvailability.map { String(format: "%.3f%%", $0 * 100) } ?? "-",
                    l.budgetRemaining.map { "\(Int(($0 * 100).rounded()))%" } ?? "-",
                    l.rangeAvailability.map { String(format: "%.3f%%", $0 * 100) } ?? "-",
                    "\(l.violations)" + (l.ongoing ? " (ongoing)" : ""), String(format: "%.1f%%", l.budgetSpent * 100)]
        })
        return out
    }

    var slaJSON: JSONValue {
        .array(sla.map { l in
            .object(["service": .string(l.service), "sli": .string(l.sli.rawValue), "objective": .number(l.objective),
                     "latency_below_ms": .optional(l.latencyBelowMs), "window_ms": .int64(l.window),
                     "window_availability": .optional(l.windowAvailability), "budget_remaining": .optional(l.budgetRemaining),
                     "range_availability": .optional(l.rangeAvailability), "violations": .int(l.violations), "ongoing": .bool(l.ongoing),
                     "budget_spent": .number(l.budgetSpent)])
        })
    }
}
