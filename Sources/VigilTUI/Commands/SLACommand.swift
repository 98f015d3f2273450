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

            Services of topology.yaml with an slo: come first, each over its own window and objective (availability, \
            and latency when it has one), with the violations the engine recorded; --violations lists those.
            """
    )
    @OptionGroup var store: StoreOptions
    @Option(help: "The availability objective in percent.")
    var objective: Double = 99.9
    @Option(help: "The window of the objective: 7d, 30d, 90d.")
    var window: String = "30d"
    @Option(help: ArgumentHelp("Only checks whose name matches: a name, =~regex or !=name.", valueName: "MATCHER"))
    var check: String?
    @Flag(help: "One JSON object per service objective and per check (availability and ratios 0 to 1, times in ms) instead of columns.")
    var json = false
    @Flag(help: "List the services' recorded violations in their windows instead.")
    var violations = false
    @Option(help: ArgumentHelp("The topology file with the services (default: $VIGIL_TOPOLOGY, ~/.config/vigil/topology.yaml, /etc/vigil/topology.yaml).",
                               valueName: "PATH"))
    var topology: String?

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
        var services: [ServiceDefinition] = []
        if let path = topology ?? TopologyConfig.defaultPath() {
            do {
                services = try TopologyConfig.load(path: path).services
            } catch {
                throw ValidationError(error.description)
            }
        }
        var measured: [ServiceSLA] = []
        if services.contains(where: { $0.objective != nil }) {
            let defined = services
            measured = try Blocking.run {
                let labels = Dictionary(try await store.hostInventory(now: now).map { ($0.name, $0.labels) }, uniquingKeysWith: { a, _ in a })
                return try await ServiceSLAReport.measure(store: store, services: defined, hostLabels: labels, now: now)
            }
        }
        if violations {
            printViolations(measured, now: now)
            return
        }
        let history = try Blocking.run { try await store.checkHistory(from: now - span - 600_000, to: now, limit: 20_000_000) }
        let report = SLAReport.make(history, objective: objective, window: span, matcher: matcher, now: now)
        if json {
            for s in measured { print(Self.json(s).jsonText) }
            for row in report.rows { print(row.json.jsonText) }
            return
        }
        if !measured.isEmpty {
            print("services, each over its own objective and window")
            print(TimeText.table(header: Self.serviceHeader, rows: measured.map { Self.cells($0) }))
            print("")
        }
        guard !report.rows.isEmpty else {
            print(matcher == nil ? "no check results in the last \(window)" : "no check matching \(check!) has results in the last \(window)")
            return
        }
        print("checks: objective \(ErrorBudget.percentText(objective)) over \(window), until \(TimeText.iso(now))")
        print(TimeText.table(header: SLAReport.header, rows: report.rows.map(\.cells)))
    }

    static let serviceHeader = ["SERVICE", "SLI", "OBJECTIVE", "WINDOW", "AVAILABILITY", "COVERAGE", "BUDGET LEFT", "BURN 1h", "BURN 6h", "VIOLATIONS"]

    static func cells(_ s: ServiceSLA) -> [String] {
        func burn(_ v: Double?) -> String { v.map { String(format: "%.1f×", $0) } ?? "-" }
        var objective = ErrorBudget.percentText(s.budget.objective)
        if s.sli == .latency, let l = s.objective.latency { objective += " <" + ServiceObjective.Latency.text(ms: l.thresholdMs) }
        let violations = "\(s.violations.count)" + (s.openViolation != nil ? " (one now)" : "")
        return [s.service, s.sli.rawValue, objective, DurationText.short(ms: s.objective.window), SLAReport.percent(s.budget.tally.availability),
                SLAReport.percent(s.budget.tally.coverage, 1), s.budget.remaining.map { String(format: "%.0f%%", $0 * 100) } ?? "-",
                burn(s.burn1h), burn(s.burn6h), violations]
    }

    static func json(_ s: ServiceSLA) -> JSONValue {
        .object(["service": .string(s.service), "sli": .string(s.sli.rawValue), "objective": .number(s.budget.objective),
                 "window_ms": .number(Double(s.objective.window)),
                 "latency_below_ms": s.objective.latency.map { .number($0.thresholdMs) } ?? .null,
                 "availability": s.budget.tally.availability.map(JSONValue.number) ?? .null, "coverage": .number(s.budget.tally.coverage),
                 "met": s.budget.isMet.map(JSONValue.bool) ?? .null, "budget_remaining": s.budget.remaining.map(JSONValue.number) ?? .null,
                 "burn_1h": s.burn1h.map(JSONValue.number) ?? .null, "burn_6h": s.burn6h.map(JSONValue.number) ?? .null,
                 "up_ms": .number(Double(s.budget.tally.upMs)), "down_ms": .number(Double(s.budget.tally.downMs)),
                 "unknown_ms": .number(Double(s.budget.tally.unknownMs)), "violations": .number(Double(s.violations.count)),
                 "rolled_up_days": .number(Double(s.rolledUpDays))])
    }

    func printViolations(_ measured: [ServiceSLA], now: Int64) {
        let all = measured.flatMap(\.violations).sorted { $0.start > $1.start }
        if json {
            for v in all {
                print(JSONValue.object(["service": .string(v.service), "sli": .string(v.sli.rawValue), "start": .number(Double(v.start)),
                                        "end": v.end.map { .number(Double($0)) } ?? .null, "bad_ms": .number(Double(v.badMs)),
                                        "budget_spent": .number(v.budgetSpent), "objective": .number(v.objective),
                                        "window_ms": .number(Double(v.window))]).jsonText)
            }
            return
        }
        guard !measured.isEmpty else {
            print("no service has an objective: add slo: to a service in topology.yaml (docs/console.md, SLA)")
            return
        }
        guard !all.isEmpty else {
            print("no violations recorded in the services' windows (the engine records them every 5 minutes while it runs: vigil serve, or the console)")
            return
        }
        print(TimeText.table(header: ["SERVICE", "SLI", "STARTED", "ENDED", "LASTED", "BAD TIME", "BUDGET SPENT"], rows: all.map { v in
            [v.service, v.sli.rawValue, TimeText.iso(v.start), v.end.map(TimeText.iso) ?? "going on", DurationText.short(ms: max(1000, v.duration(now: now))),
             DurationText.short(ms: max(1000, v.badMs)), String(format: "%.1f%%", v.budgetSpent * 100)]
        }))
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
        /// The budget left after each slot of the window, oldest first (`ServiceSLA.budgetTrend`'s way).
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
            let budget = ErrorBudget(objective: target, tally: tally)
            let trend = budget.leftAfter(slots.map { $0[name]?.downMs ?? 0 })
            return Row(check: name, hosts: series.hosts[name]?.count ?? 0, budget: budget, rule: rule,
                       burn1h: hour[name].flatMap { ErrorBudget(objective: target, tally: $0).burnRate },
                       burn6h: six[name].flatMap { ErrorBudget(objective: target, tally: $0).burnRate },
                       trend: trend)
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
            if case .sloBurn(let e) = rule.kind, e.service == nil, let objective = e.objective, e.check?.matches(check) ?? true {
                return (objective, rule.name)
            }
        }
        return (fallback, nil)
    }
}
