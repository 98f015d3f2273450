import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// `vigil sla`: availability of each check over a window, from its stored results (time-weighted; time without
/// results is unknown, not up), against an objective: the error budget left and how fast it burns now.
struct SLACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sla",
        abstract: "Availability per check over a window against an objective: error budget left, burn rates (slo_burn rules alert on them).",
        discussion: """
            Each check result stands for the time until the next one, at most twice the check's usual interval; time no \
            result covers is unknown and left out of the availability (COVERAGE says how much was known). A check run \
            on several hosts counts each host's time. BURN 1h and BURN 6h are the error ratio over those windows divided \
            by the allowed one (1 spends the budget exactly over the window); an slo_burn rule alerts on them \
            (docs/rules.md).
            """
    )
    @OptionGroup var store: StoreOptions
    @Option(help: "The availability objective in percent.")
    var objective: Double = 99.9
    @Option(help: "The window of the objective: 7d, 30d, 90d.")
    var window: String = "30d"
    @Option(help: ArgumentHelp("Only checks whose name matches: a name, =~regex or !=name.", valueName: "MATCHER"))
    var check: String?
    @Flag(help: "One JSON object per check (availability and ratios 0 to 1, times in ms) instead of columns.")
    var json = false

    func validate() throws {
        guard objective > 0 && objective < 100 else { throw ValidationError("--objective must be above 0 and below 100 (e.g. 99.9)") }
        guard let ms = DurationText.milliseconds(window), ms >= 3_600_000, ms <= 366 * 86_400_000 else {
            throw ValidationError("--window '\(window)' must be a duration from 1h to 366d (7d, 30d, 90d)")
        }
    }

    func run() throws {
        var matcher: StringMatcher?
        if let check {
            switch StringMatcher.parse(check) {
            case .success(let m): matcher = m
            case .failure(let e): throw ValidationError("--check: \(e.message)")
            }
        }
        let now = WallClock.nowMs()
        let span = DurationText.milliseconds(window)!
        let store = try self.store.open()
        let history = try Blocking.run { try await store.checkHistory(from: now - span - 600_000, to: now, limit: 20_000_000) }
        let report = SLAReport.make(history, objective: objective, window: span, matcher: matcher, now: now)
        if json {
            for row in report.rows { print(row.json.jsonText) }
            return
        }
        guard !report.rows.isEmpty else {
            print(matcher == nil ? "no check results in the last \(window)" : "no check matching \(check!) has results in the last \(window)")
            return
        }
        print("objective \(ErrorBudget.percentText(objective)) over \(window), until \(TimeText.iso(now))")
        print(TimeText.table(header: SLAReport.header, rows: report.rows.map(\.cells)))
    }
}

/// The rows of `vigil sla` and the console's `:sla`, worst budget first. Pure.
struct SLAReport: Equatable, Sendable {
    struct Row: Equatable, Sendable, Identifiable {
        var check: String
        var hosts: Int
        var budget: ErrorBudget
        /// The `slo_burn` rule the objective comes from; nil for the default objective.
        var rule: String?
        var burn1h: Double?
        var burn6h: Double?
        /// Availability (0…1) per slot of the window, oldest first (nil: nothing known in it).
        var trend: [Double?] = []
        var id: String { check }

        var json: JSONValue {
            .object(["check": .string(check), "hosts": .number(Double(hosts)), "objective": .number(budget.objective),
                     "availability": budget.tally.availability.map(JSONValue.number) ?? .null, "coverage": .number(budget.tally.coverage),
                     "met": budget.isMet.map(JSONValue.bool) ?? .null, "budget_remaining": budget.remaining.map(JSONValue.number) ?? .null,
                     "burn_1h": burn1h.map(JSONValue.number) ?? .null, "burn_6h": burn6h.map(JSONValue.number) ?? .null,
                     "up_ms": .number(Double(budget.tally.upMs)), "down_ms": .number(Double(budget.tally.downMs)),
                     "unknown_ms": .number(Double(budget.tally.unknownMs))])
        }

        var cells: [String] {
            func burn(_ v: Double?) -> String { v.map { String(format: "%.1f×", $0) } ?? "-" }
            return [check, String(hosts), SLAReport.percent(budget.tally.availability), SLAReport.percent(budget.tally.coverage, 1),
                    budget.isMet == false ? "MISSED" : "met", budget.remaining.map { String(format: "%.0f%%", $0 * 100) } ?? "-",
                    burn(burn1h), burn(burn6h), budget.tally.downMs < 1000 ? "0s" : DurationText.short(ms: budget.tally.downMs)]
        }
    }

    static let header = ["CHECK", "HOSTS", "AVAILABILITY", "COVERAGE", "OBJECTIVE", "BUDGET LEFT", "BURN 1h", "BURN 6h", "DOWN"]

    var rows: [Row]

    static func percent(_ v: Double?, _ digits: Int = 3) -> String { v.map { String(format: "%.\(digits)f%%", $0 * 100) } ?? "-" }

    /// `objective(check)` gives each check's objective in percent and the rule it comes from (nil: a default).
    static func make(_ history: [String: [CheckResult]], window: Int64, matcher: StringMatcher?, now: Int64, trendSlots: Int = 0,
                     objective: (String) -> (Double, rule: String?)) -> SLAReport {
        let series = CheckSeries(history) { _, r in matcher?.matches(r.name) ?? true }
        let whole = series.tally(from: now - window, to: now)
        let hour = series.tally(from: now - 3_600_000, to: now)
        let six = series.tally(from: now - 6 * 3_600_000, to: now)
        let step = trendSlots > 0 ? window / Int64(trendSlots) : 0
        let slots = (0..<trendSlots).map { i in series.tally(from: now - window + Int64(i) * step, to: now - window + Int64(i + 1) * step) }
        let rows = whole.map { name, tally in
            let (target, rule) = objective(name)
            return Row(check: name, hosts: series.hosts[name]?.count ?? 0, budget: ErrorBudget(objective: target, tally: tally), rule: rule,
                       burn1h: hour[name].flatMap { ErrorBudget(objective: target, tally: $0).burnRate },
                       burn6h: six[name].flatMap { ErrorBudget(objective: target, tally: $0).burnRate },
                       trend: slots.map { $0[name]?.availability })
        }
        return SLAReport(rows: rows.sorted { ($0.budget.remaining ?? 2, $0.check) < ($1.budget.remaining ?? 2, $1.check) })
    }

    static func make(_ history: [String: [CheckResult]], objective: Double, window: Int64, matcher: StringMatcher?, now: Int64) -> SLAReport {
        make(history, window: window, matcher: matcher, now: now) { _ in (objective, nil) }
    }

    /// The objective of the first `slo_burn` rule whose check matcher takes `check` (a rule without one takes every
    /// check), else `fallback`.
    static func objective(for check: String, rules: [AlertRule], fallback: Double) -> (Double, rule: String?) {
        for rule in rules {
            if case .sloBurn(let e) = rule.kind, e.check?.matches(check) ?? true { return (e.objective, rule.name) }
        }
        return (fallback, nil)
    }
}
