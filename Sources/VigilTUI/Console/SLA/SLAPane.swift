import VigilCore
import VigilTheme
import VigilWire

/// Objectives (`:sla`, `:slo`). First the services of `topology.yaml` with an objective, each indicator over its own
/// window (availability, and latency when it has a latency objective): time-weighted availability, how much of the
/// window is known, the error budget left and its trend over the window, the burn over the last hour and six hours,
/// and the violations recorded. Then one row per check against the objective of the `slo_burn` rule that covers it
/// (else 99.9 %) over the pane's window, which `t` / `]` / `[` change (24h, 7d, 30d). `Enter` on a service shows its
/// violations; `/` filters.
final class SLAPane: Pane {
    private(set) var window = SLAWindow.d7
    let table: TableView<SLARow>
    private(set) var snapshot: SLASnapshot?
    private var lastError: String?

    init() {
        table = TableView(columns: SLAPane.columns(), sortColumn: nil,
                          emptyMessage: "no check results in this window: add checks: to an agent (deploy/agent.example.yaml)") { row in
            [row.name, row.indicator, row.source ?? ""]
        }
    }

    var title: String { "sla" }
    var rowNoun: String { "objective" }
    var filterText: String { table.filterText }

    var pollInterest: PollInterest {
        var p = PollInterest()
        p.sla = window
        return p
    }

    var keyMap: KeyMap {
        let section = "SLA"
        let own = KeyAction.rangeCycle(section: section, title: "window") { [self] in window = window.cycled($0) } + [
            KeyAction([.enter], "service's violations", section: section) { [self] in
                guard let row = table.selected else { return .message("nothing selected", isError: false) }
                guard case .service(let s) = row.kind else {
                    return .message("\(row.name) is a check: give its service an slo: in topology.yaml for violations", isError: false)
                }
                return .push(SLAServicePane(sla: s))
            },
        ]
        return KeyMap(own).merged(over: KeyMap(table.keyActions(section: section)))
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        (try table.setFilter(text), table.rows.count)
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .sla(let s) where s.window == window:
            snapshot = s
            lastError = nil
            table.setRows(SLARow.rows(s), now: now)
            return true
        case .slaError(let text):
            lastError = text
            return true
        default:
            return false
        }
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 4 else { return }
        let (top, rest) = rect.splitTop(2)
        var x = top.x + 1
        for w in SLAWindow.allCases {
            let text = " \(w.label) "
            canvas.put(text, x: x, y: top.y, role: w == window ? .selection : .muted)
            x += TextWidth.of(text) + 1
        }
        if let s = snapshot, s.window == window {
            let rows = SLARow.rows(s)
            let missed = rows.filter { $0.budget.isMet == false }.count
            let low = rows.filter { ($0.budget.remaining ?? 1) < 0.25 }.count
            let violating = Set(s.services.filter { $0.openViolation != nil }.map(\.service)).count
            let wide = top.width >= 120
            let services = Set(s.services.map(\.service)).count, n = s.report.rows.count
            var parts: [String] = []
            if services > 0 { parts.append("\(services) service\(services == 1 ? "" : "s")") }
            parts.append("\(n) check\(n == 1 ? "" : "s")")
            var line = parts.joined(separator: ", ")
            line += wide ? " · \(missed) missing \(missed == 1 ? "its" : "their") objective · \(low) with under 25% of the budget left"
                : " · \(missed) missed · \(low) under 25% budget"
            if violating > 0 { line += " · \(violating) violating now" }
            line += " · measured \(Format.age(max(0, context.now - s.takenAt))) ago"
            if let e = s.configError { line += " · topology.yaml: \(e)" }
            if s.truncated { line += " · read limit reached: later time counts as unknown" }
            canvas.put(line, x: x + 2, y: top.y, role: missed > 0 || violating > 0 || s.configError != nil ? .warning : .muted,
                       maxWidth: top.x + top.width - x - 3)
        }
        var boxTitle = "Objectives · services over their windows, checks over \(window.label)"
        if top.width < 100 { boxTitle = "Objectives · checks over \(window.label)" }
        if snapshot != nil, !table.filterText.isEmpty { boxTitle += table.countTitle }
        canvas.box(rest, title: boxTitle, role: context.focused ? .borderFocus : .border)
        table.render(orWaiting: snapshot?.window == window, error: lastError, into: &canvas, in: rest.inset(1), focused: context.focused, now: context.now)
    }

    static func burnRole(_ v: Double?) -> Role { (v ?? 0) >= 14.4 ? .critical : (v ?? 0) >= 6 ? .warning : .text }
    static func burnText(_ v: Double?) -> String { v.map { String(format: "%.1f×", $0) } ?? "-" }
    static func budgetRole(_ b: ErrorBudget) -> Role { (b.remaining ?? 1) < 0 ? .critical : (b.remaining ?? 1) < 0.25 ? .warning : .text }
    static func budgetText(_ b: ErrorBudget) -> String { b.remaining.map { String(format: "%.0f%%", $0 * 100) } ?? "-" }

    static func columns() -> [TableColumn<SLARow>] {
        [
            .text("NAME", width: 12, flexible: true, maxWidth: 30, priority: 100, ascending: { $0.name < $1.name }) { $0.name },
            .text("SLI", width: 12, priority: 85, role: { $0.isService ? .text : .muted }) { $0.indicator },
            .text("OBJECTIVE", width: 9, flexible: true, maxWidth: 16, alignRight: true, priority: 80, role: { $0.source == nil ? .muted : .text }) {
                $0.objectiveText
            },
            .text("WINDOW", width: 6, alignRight: true, priority: 75) { DurationText.short(ms: $0.window) },
            .text("AVAILABLE", width: 9, alignRight: true, priority: 95, role: { $0.budget.isMet == false ? .critical : .ok },
                  ascending: { ($0.budget.tally.availability ?? 2) < ($1.budget.tally.availability ?? 2) }) { SLAReport.percent($0.budget.tally.availability) },
            .text("KNOWN", width: 6, alignRight: true, priority: 50, role: { $0.budget.tally.coverage < 0.9 ? .warning : .muted }) {
                String(format: "%.0f%%", $0.budget.tally.coverage * 100)
            },
            .text("BUDGET", width: 7, alignRight: true, priority: 90, role: { budgetRole($0.budget) },
                  ascending: { ($0.budget.remaining ?? 2) < ($1.budget.remaining ?? 2) }) { budgetText($0.budget) },
            TableColumn("BUDGET TREND", width: 12, priority: 45) { row, ctx in
                [Span(Sparkline.render(row.trend.map { $0.map { min(1, max(0, $0)) } }, width: ctx.width, unicode: ctx.glyphs.isUnicode,
                                       range: 0...1), .sparkline)]
            },
            .text("BURN 1h", width: 7, alignRight: true, priority: 70, role: { burnRole($0.burn1h) },
                  ascending: { ($0.burn1h ?? 0) < ($1.burn1h ?? 0) }, descendingFirst: true) { burnText($0.burn1h) },
            .text("BURN 6h", width: 7, alignRight: true, priority: 60, role: { burnRole($0.burn6h) }) { burnText($0.burn6h) },
            .text("VIOL", width: 5, alignRight: true, priority: 65, role: { $0.violating ? .critical : $0.violations > 0 ? .warning : .muted }) {
                $0.isService ? ($0.violating ? "\($0.violations)!" : String($0.violations)) : "-"
            },
            .text("DOWN", width: 6, alignRight: true, priority: 55) { $0.budget.tally.downMs < 1000 ? "0s" : DurationText.short(ms: $0.budget.tally.downMs) },
            .text("FROM", width: 8, flexible: true, maxWidth: 30, priority: 30, role: { _ in .muted }) { $0.source ?? "(default 99.9%)" },
        ]
    }
}
