import VigilCore
import VigilTheme
import VigilWire

/// Availability objectives (`:sla`, `:slo`): one row per check with its time-weighted availability over the window,
/// how much of the window is known, the objective (from the `slo_burn` rule that covers the check, else 99.9 %), the
/// error budget left, the burn over the last hour and six hours, and a trend of 24 slots. `t` / `]` / `[` change the
/// window (24h, 7d, 30d); `/` filters.
final class SLAPane: Pane {
    private(set) var window = SLAWindow.d7
    let table: TableView<SLAReport.Row>
    private(set) var snapshot: SLASnapshot?
    private var lastError: String?

    init() {
        table = TableView(columns: SLAPane.columns(), sortColumn: nil,
                          emptyMessage: "no check results in this window: add checks: to an agent (deploy/agent.example.yaml)") { row in
            [row.check, row.rule ?? ""]
        }
    }

    var title: String { "sla" }
    var rowNoun: String { "check" }
    var filterText: String { table.filterText }

    var pollInterest: PollInterest {
        var p = PollInterest()
        p.sla = window
        return p
    }

    var keyMap: KeyMap {
        let section = "SLA"
        let own = KeyAction.rangeCycle(section: section, title: "window") { [self] in window = window.cycled($0) }
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
            table.setRows(s.report.rows, now: now)
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
            let missed = s.report.rows.filter { $0.budget.isMet == false }.count
            let low = s.report.rows.filter { ($0.budget.remaining ?? 1) < 0.25 }.count
            let wide = top.width >= 120
            let n = s.report.rows.count
            let checks = "\(n) check\(n == 1 ? "" : "s")"
            var line = wide ? "\(checks) · \(missed) missing \(missed == 1 ? "its" : "their") objective · \(low) with under 25% of the budget left"
                : "\(checks) · \(missed) missed · \(low) under 25% budget"
            line += " · measured \(Format.age(max(0, context.now - s.takenAt))) ago"
            if s.truncated { line += " · read limit reached: later time counts as unknown" }
            canvas.put(line, x: x + 2, y: top.y, role: missed > 0 ? .warning : .muted, maxWidth: top.x + top.width - x - 3)
        }
        var boxTitle = "Availability · last \(window.label)"
        if snapshot != nil, !table.filterText.isEmpty { boxTitle += table.countTitle }
        canvas.box(rest, title: boxTitle, role: context.focused ? .borderFocus : .border)
        table.render(orWaiting: snapshot?.window == window, error: lastError, into: &canvas, in: rest.inset(1), focused: context.focused, now: context.now)
    }

    static func columns() -> [TableColumn<SLAReport.Row>] {
        func burnRole(_ v: Double?) -> Role { (v ?? 0) >= 14.4 ? .critical : (v ?? 0) >= 6 ? .warning : .text }
        func burn(_ v: Double?) -> String { v.map { String(format: "%.1f×", $0) } ?? "-" }
        return [
            .text("CHECK", width: 12, flexible: true, maxWidth: 30, priority: 100, ascending: { $0.check < $1.check }) { $0.check },
            .text("HOSTS", width: 5, alignRight: true, priority: 40) { String($0.hosts) },
            .text("OBJECTIVE", width: 9, alignRight: true, priority: 80, role: { $0.rule == nil ? .muted : .text }) {
                ErrorBudget.percentText($0.budget.objective)
            },
            .text("AVAILABLE", width: 9, alignRight: true, priority: 95, role: { $0.budget.isMet == false ? .critical : .ok },
                  ascending: { ($0.budget.tally.availability ?? 2) < ($1.budget.tally.availability ?? 2) }) { SLAReport.percent($0.budget.tally.availability) },
            .text("KNOWN", width: 6, alignRight: true, priority: 50, role: { $0.budget.tally.coverage < 0.9 ? .warning : .muted }) {
                String(format: "%.0f%%", $0.budget.tally.coverage * 100)
            },
            .text("BUDGET", width: 7, alignRight: true, priority: 90,
                  role: { ($0.budget.remaining ?? 1) < 0 ? .critical : ($0.budget.remaining ?? 1) < 0.25 ? .warning : .text },
                  ascending: { ($0.budget.remaining ?? 2) < ($1.budget.remaining ?? 2) }) { row in
                row.budget.remaining.map { String(format: "%.0f%%", $0 * 100) } ?? "-"
            },
            .text("BURN 1h", width: 7, alignRight: true, priority: 70, role: { burnRole($0.burn1h) },
                  ascending: { ($0.burn1h ?? 0) < ($1.burn1h ?? 0) }, descendingFirst: true) { burn($0.burn1h) },
            .text("BURN 6h", width: 7, alignRight: true, priority: 60, role: { burnRole($0.burn6h) }) { burn($0.burn6h) },
            TableColumn("TREND", width: 12, priority: 45) { row, ctx in
                // From ten times the allowed error ratio below 100 % (99 % for 99.9 %) to 100 %: a dip that matters shows.
                let floor = max(0, 1 - 10 * row.budget.allowedErrorRatio)
                return [Span(Sparkline.render(row.trend.map { $0.map { max(floor, $0) } }, width: ctx.width, unicode: ctx.glyphs.isUnicode,
                                              range: floor...1), .sparkline)]
            },
            .text("DOWN", width: 6, alignRight: true, priority: 55) { $0.budget.tally.downMs < 1000 ? "0s" : DurationText.short(ms: $0.budget.tally.downMs) },
            .text("RULE", width: 8, flexible: true, maxWidth: 30, priority: 30, role: { _ in .muted }) { $0.rule ?? "(default 99.9%)" },
        ]
    }
}
