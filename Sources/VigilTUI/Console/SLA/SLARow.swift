import VigilCore
import VigilWire

/// One row of the SLA pane: a service's indicator against its own objective and window (`ServiceSLA`, from
/// `topology.yaml`), or a check against the objective of the `slo_burn` rule that covers it over the pane's window.
struct SLARow: Equatable, Sendable, Identifiable {
    enum Kind: Equatable, Sendable {
        case service(ServiceSLA)
        case check
    }

    var kind: Kind
    var name: String
    /// `availability` or `latency` for a service, `check` for a check.
    var indicator: String
    var hosts: Int
    var budget: ErrorBudget
    var window: Int64
    var burn1h: Double?
    var burn6h: Double?
    /// The budget left after each slot, oldest first.
    var trend: [Double?]
    /// Violations recorded in the window, and whether one goes on.
    var violations: Int
    var violating: Bool
    /// Where the objective comes from: `topology.yaml`, a rule's name, or nil for the default.
    var source: String?

    var id: String { "\(isService ? "s" : "c")/\(name)/\(indicator)" }
    var isService: Bool { if case .service = kind { true } else { false } }

    /// `99.9%`, or `99% <300ms` for a latency objective.
    var objectiveText: String {
        var text = ErrorBudget.percentText(budget.objective)
        if case .service(let s) = kind, s.sli == .latency, let l = s.objective.latency { text += " <" + ServiceObjective.Latency.text(ms: l.thresholdMs) }
        return text
    }

    init(_ s: ServiceSLA) {
        kind = .service(s)
        name = s.service
        indicator = s.sli.rawValue
        hosts = s.series
        budget = s.budget
        window = s.objective.window
        burn1h = s.burn1h
        burn6h = s.burn6h
        trend = s.budgetTrend
        violations = s.violations.count
        violating = s.openViolation != nil
        source = "topology.yaml"
    }

    init(_ r: SLAReport.Row, window: Int64) {
        kind = .check
        name = r.check
        indicator = "check"
        hosts = r.hosts
        budget = r.budget
        self.window = window
        burn1h = r.burn1h
        burn6h = r.burn6h
        trend = r.trend
        violations = 0
        violating = false
        source = r.rule
    }

    /// Services first (least budget left first), then checks as the report orders them.
    static func rows(_ snapshot: SLASnapshot) -> [SLARow] {
        snapshot.services.map(SLARow.init) + snapshot.report.rows.map { SLARow($0, window: snapshot.window.milliseconds) }
    }
}
