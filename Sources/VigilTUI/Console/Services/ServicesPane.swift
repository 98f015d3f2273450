import VigilCore
import VigilTheme
import VigilWire

/// Services (`:services`, `:svc`): those `topology.yaml` names, then one per check, then links' ends that are not
/// hosts. One row each: STATUS, hosts up, checks failing, a 24-hour latency trend and the last latency, UPTIME (time
/// weighted over 24 h; unknown time does not count as up), its objectives (`slo:` in topology.yaml: availability,
/// and latency when it has one) and the lower budget left of them over the objective's window (without one: of 99.9 % over the day, muted), firing alerts, OWNER and where it
/// comes from. `Enter` shows its hosts, checks, objectives, violations, alerts and neighbours.
final class ServicesPane: Pane {
    static let objective = 99.9
    let table: TableView<ServiceSummary>
    private(set) var snapshot: ServicesSnapshot?
    private var lastError: String?

    init() {
        table = TableView(columns: ServicesPane.columns(), sortColumn: nil,
                          emptyMessage: "no services: name them in topology.yaml (services:), or add checks: to an agent (deploy/agent.example.yaml)") { s in
            [s.name, s.definition?.owner ?? "", s.status.rawValue] + s.hosts + (s.definition?.group.map { ["group=\($0)"] } ?? [])
        }
    }

    var title: String { "services" }
    var rowNoun: String { "service" }
    var filterText: String { table.filterText }

    var pollInterest: PollInterest {
        var p = PollInterest()
        p.services = true
        return p
    }

    var keyMap: KeyMap {
        let section = "Services"
        let own = [
            KeyAction([.enter, .char("l"), .right], "detail", section: section) { [self] in
                guard let s = table.selected, let snapshot else { return .message("no service selected", isError: false) }
                return .push(ServiceDetailPane(service: s, graph: snapshot.graph))
            },
        ]
        return KeyMap(own).merged(over: KeyMap(table.keyActions(section: section)))
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        (try table.setFilter(text), table.rows.count)
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .services(let s):
            snapshot = s
            lastError = nil
            table.setRows(s.services, now: now)
            return true
        case .servicesError(let text):
            lastError = text
            return true
        default:
            return false
        }
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 4 else { return }
        let (top, rest) = rect.splitTop(1)
        if let s = snapshot {
            let down = s.services.filter { $0.status == .down }.count, degraded = s.services.filter { $0.status == .degraded }.count
            var line = "\(s.services.count) service\(s.services.count == 1 ? "" : "s") · \(down) down · \(degraded) degraded · last 24h"
            line += " · measured \(Format.age(max(0, context.now - s.takenAt))) ago"
            if let e = s.configError { line += " · topology.yaml: \(e)" }
            if s.truncated { line += " · read limit reached" }
            canvas.put(line, x: top.x + 1, y: top.y, role: down > 0 || s.configError != nil ? .warning : .muted, maxWidth: top.width - 2)
        }
        var title = "Services"
        if snapshot != nil, !table.filterText.isEmpty { title += table.countTitle }
        canvas.box(rest, title: title, role: context.focused ? .borderFocus : .border)
        table.render(orWaiting: snapshot != nil, error: lastError, into: &canvas, in: rest.inset(1), focused: context.focused, now: context.now)
    }

    /// The budget left of the service's objectives over their window, the lower of availability's and latency's; without
    /// one, of 99.9 % over 24 h.
    static func budget(_ s: ServiceSummary) -> ErrorBudget {
        s.sla.map(\.budget).min { ($0.remaining ?? 2) < ($1.remaining ?? 2) } ?? ErrorBudget(objective: objective, tally: s.tally)
    }

    /// `99.9% 30d`, or with a latency objective `99.9/99 30d` (availability, then latency, in percent).
    static func objectiveText(_ s: ServiceSummary) -> String {
        guard let a = s.sla.first?.objective else { return "-" }
        let window = DurationText.short(ms: a.window)
        guard let l = a.latency else { return "\(ErrorBudget.percentText(a.availability)) \(window)" }
        let percent = { (v: Double) in ErrorBudget.percentText(v).replacingOccurrences(of: "%", with: "") }
        return "\(percent(a.availability))/\(percent(l.objective)) \(window)"
    }

    static func statusRole(_ s: ServiceSummary.Status) -> Role {
        switch s {
        case .down: .critical
        case .degraded: .warning
        case .unknown: .muted
        case .ok: .ok
        }
    }

    static func columns() -> [TableColumn<ServiceSummary>] {
        [
            .text("SERVICE", width: 10, flexible: true, maxWidth: 28, priority: 100, ascending: { $0.name < $1.name }) { $0.name },
            .text("STATUS", width: 8, priority: 98, role: { statusRole($0.status) }, ascending: { $0.status < $1.status }) { $0.status.rawValue },
            .text("HOSTS", width: 5, alignRight: true, priority: 80, role: { $0.hostsUp < $0.hosts.count ? .warning : .text }) {
                $0.hosts.isEmpty ? "-" : "\($0.hostsUp)/\($0.hosts.count)"
            },
            .text("CHECKS", width: 6, alignRight: true, priority: 90,
                  role: { $0.failing > 0 ? .critical : !$0.missingChecks.isEmpty ? .warning : $0.results > 0 ? .ok : .muted }) {
                $0.results == 0 ? ($0.missingChecks.isEmpty ? "-" : "none") : Format.passing(failing: $0.failing, of: $0.results)
            },
            TableColumn("LATENCY 24h", width: 14, priority: 50) { s, ctx in
                [Span(Sparkline.render(s.latency, width: ctx.width, unicode: ctx.glyphs.isUnicode), .sparkline)]
            },
            .text("LAST", width: 7, alignRight: true, priority: 60) { $0.lastLatency.map { String(format: "%.0f ms", $0) } ?? "-" },
            .text("UPTIME", width: 8, alignRight: true, priority: 85, role: { ($0.tally.availability ?? 1) * 100 < objective ? .critical : .ok },
                  ascending: { ($0.tally.availability ?? 2) < ($1.tally.availability ?? 2) }) { SLAReport.percent($0.tally.availability) },
            .text("SLO", width: 10, flexible: true, maxWidth: 14, alignRight: true, priority: 72, role: { s in
                s.sla.contains { $0.openViolation != nil } ? .critical : s.sla.isEmpty ? .muted : .text
            }) { objectiveText($0) },
            .text("BUDGET", width: 6, alignRight: true, priority: 70, role: { s in
                let b = budget(s)
                return s.sla.isEmpty ? .muted : SLAPane.budgetRole(b)
            }) { s in SLAPane.budgetText(budget(s)) },
            TableColumn("ALERTS", width: 10, priority: 75) { s, _ in
                guard let first = s.alerts.first else { return [Span("-", .muted)] }
                let role: Role = s.severity == .critical ? .critical : s.severity == .warning ? .warning : .info
                return [Span(first + (s.alerts.count > 1 ? " +\(s.alerts.count - 1)" : ""), role)]
            },
            .text("OWNER", width: 8, flexible: true, maxWidth: 20, priority: 40, role: { _ in .muted }) { $0.definition?.owner ?? "" },
            .text("FROM", width: 10, priority: 30, role: { _ in .muted }) { $0.origin.rawValue },
        ]
    }
}
