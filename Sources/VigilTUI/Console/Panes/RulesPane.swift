import Foundation
import VigilCore

/// The alerting rules of the engine this console runs: a header (how many rules from how many files, the last
/// evaluation's age and duration, active alerts, leader or standby), the rule-file errors of the latest load in
/// the critical colour (a bad file shows here instead of failing anything), then one row per rule with how many
/// of its alerts are firing or pending. `Enter` opens the alerts pane filtered to the rule; `R` reloads the rule
/// files (admin). Attached to another engine, the pane says where the rules are evaluated instead.
final class RulesPane: Pane {
    let title = "rules"
    let user: VigilUser
    /// Nil when this console runs the engine; else the text naming the engine that evaluates the rules.
    let attachedMessage: String?
    let table: TableView<RuleRow>
    private(set) var snapshot: RulesSnapshot?
    private(set) var active: [StoredAlert] = []
    private var lastNow: Int64 = 0

    /// Column indices, for tests and sorting.
    enum Column: Int, CaseIterable {
        case rule, kind, metric, severity, forDuration, state, summary
    }

    /// Most error lines shown above the table; the rest are counted.
    static let maxErrorLines = 5

    /// `attachedMessage`: nil when this console runs the engine, else what to say instead of the rules
    /// (`RulesFormat.attachedMessage`).
    init(user: VigilUser, attachedMessage: String? = nil) {
        self.user = user
        self.attachedMessage = attachedMessage
        table = TableView(columns: RulesPane.makeColumns(), sortColumn: Column.state.rawValue,
                          emptyMessage: "no rules loaded") { row in
            var strings = [row.rule.name, row.rule.kind.name, row.rule.severity.rawValue, "severity=\(row.rule.severity.rawValue)",
                           RulesFormat.summary(row.rule)]
            if let metric = row.rule.kind.metric { strings.append(metric) }
            if row.firing > 0 { strings.append("firing") }
            if row.pending > 0 { strings.append("pending") }
            strings += row.rule.labels.map { "\($0.key)=\($0.value)" }
            return strings
        }
        table.changeSignature = { "\($0.firing)|\($0.pending)" }
    }

    var keyMap: KeyMap {
        let section = "Rules"
        let own = [
            KeyAction([.enter, .char("l"), .right], "alerts of rule", section: section) { [self] in
                guard let row = table.selected else { return .message("no rule selected", isError: false) }
                return openAlerts(of: row)
            },
            KeyAction([.char("R")], "reload rules", section: section, dangerous: true) { .command(.reload) },
        ]
        return KeyMap(own).merged(over: KeyMap(table.keyActions(section: section)))
    }

    var filterText: String { table.filterText }
    var rowNoun: String { "rule" }
    var pollInterest: PollInterest { PollInterest(rules: attachedMessage == nil) }

    /// The alerts pane, filtered to `row`'s rule.
    func openAlerts(of row: RuleRow) -> Reaction {
        let pane = AlertsPane(user: user)
        let name = row.rule.name
        _ = try? pane.applyFilter("^" + NSRegularExpression.escapedPattern(for: name) + "$")
        if row.firing + row.pending == 0 {
            return .sequence([.push(pane), .message("\(name) has no firing or pending alerts (h: history)", isError: false)])
        }
        return .push(pane)
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .rules(let s):
            snapshot = s
            lastNow = now
            rebuild()
            return true
        case .alerts(let s):
            active = s.active
            lastNow = now
            rebuild()
            return true
        default:
            return false
        }
    }

    private func rebuild() {
        guard let snapshot else { return }
        table.setRows(RuleRow.rows(snapshot.rules, active: active), now: lastNow)
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        let n = try table.setFilter(text)
        return (n, table.rows.count)
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 3 else { return }
        let (headerRect, below) = rect.splitTop(1)
        var boxRect = below
        canvas.put(headerSpans(now: context.now), x: headerRect.x + 1, y: headerRect.y, maxWidth: headerRect.width - 2)
        // Rule-file errors, each on a line, leaving the table at least four rows.
        let errors = snapshot?.status.errors ?? []
        if !errors.isEmpty {
            let room = max(1, min(Self.maxErrorLines, boxRect.height - 6))
            let shown = errors.count > room ? room - 1 : errors.count
            var lines = errors.prefix(shown).map { [Span($0, .critical)] }
            if shown < errors.count {
                lines.append([Span("… and \(errors.count - shown) more (the engine's log has them all)", .critical)])
            }
            let (errorRect, rest) = boxRect.splitTop(min(lines.count, max(0, boxRect.height - 3)))
            for (i, line) in lines.prefix(errorRect.height).enumerated() {
                canvas.put(line, x: errorRect.x + 1, y: errorRect.y + i, maxWidth: errorRect.width - 2)
            }
            boxRect = rest
        }
        var title = "Rules"
        if snapshot != nil {
            title += table.countTitle
        }
        canvas.box(boxRect, title: title, role: context.focused ? .borderFocus : .border)
        let inner = boxRect.inset(1)
        if let attachedMessage {
            canvas.put(attachedMessage, x: inner.x + 1, y: inner.y, role: .muted, maxWidth: inner.width - 1)
            return
        }
        table.render(orWaiting: snapshot != nil, error: nil, into: &canvas, in: inner, focused: context.focused, now: context.now)
    }

    /// "12 rules from 3 files   1 rule file error   evaluated 4s ago in 12 ms   2 active alerts   leader".
    func headerSpans(now: Int64) -> [Span] {
        if attachedMessage != nil { return [Span("rules: evaluated by another engine", .muted)] }
        guard let s = snapshot?.status else { return [Span("rules: loading…", .muted)] }
        var spans = [Span(RulesFormat.counts(s), .text, [.bold]), Span("   ")]
        // Errors first: on a narrow terminal they are what must not be cut off.
        if !s.errors.isEmpty {
            spans += [Span("\(s.errors.count) rule file \(s.errors.count == 1 ? "error" : "errors")", .critical, [.bold]), Span("   ")]
        }
        if let last = s.lastEvaluation {
            var text = "evaluated \(Format.age(now - last)) ago"
            if let ms = s.lastDurationMs { text += " in " + Format.milliseconds(ms) }
            spans.append(Span(text, .muted))
        } else {
            spans.append(Span("not evaluated yet", .muted))
        }
        spans += [Span("   "), Span("\(s.activeAlerts) active \(s.activeAlerts == 1 ? "alert" : "alerts")", s.activeAlerts > 0 ? .warning : .muted)]
        spans += [Span("   "), s.holdsLease ? Span("leader", .ok) : Span("standby", .warning)]
        return spans
    }

    private static func makeColumns() -> [TableColumn<RuleRow>] {
        [
            .text("RULE", width: 12, flexible: true, maxWidth: 32, priority: 100,
                  role: { AlertFormat.role($0.rule.severity) }, ascending: { $0.rule.name < $1.rule.name }) { $0.rule.name },
            .text("KIND", width: 9, flexible: true, maxWidth: 13, priority: 70, role: { _ in .muted },
                  ascending: { ($0.rule.kind.name, $0.rule.name) < ($1.rule.kind.name, $1.rule.name) }) { RulesFormat.kind($0.rule) },
            .text("METRIC", width: 10, flexible: true, maxWidth: 32, priority: 60,
                  ascending: { ($0.rule.kind.metric ?? "", $0.rule.name) < ($1.rule.kind.metric ?? "", $1.rule.name) }) {
                $0.rule.kind.metric ?? "-"
            },
            .text("SEV", width: 4, priority: 90, role: { AlertFormat.role($0.rule.severity) },
                  ascending: { ($1.rule.severity, $0.rule.name) < ($0.rule.severity, $1.rule.name) }) { AlertFormat.short($0.rule.severity) },
            .text("FOR", width: 5, alignRight: true, priority: 50, role: { $0.rule.forDuration > 0 ? .text : .muted },
                  ascending: { ($0.rule.forDuration, $0.rule.name) < ($1.rule.forDuration, $1.rule.name) }) { RulesFormat.forDuration($0.rule) },
            TableColumn("STATE", width: 9, flexible: true, maxWidth: 18, priority: 95, ascending: RulesPane.stateOrder) { row, _ in
                RulesFormat.state(row)
            },
            .text("SUMMARY", width: 10, flexible: true, priority: 40) { RulesFormat.summary($0.rule) },
        ]
    }

    /// Rules with firing alerts first (most first), then pending, then by severity (worst first) and name.
    static func stateOrder(_ a: RuleRow, _ b: RuleRow) -> Bool {
        if a.firing != b.firing { return a.firing > b.firing }
        if a.pending != b.pending { return a.pending > b.pending }
        if a.rule.severity != b.rule.severity { return a.rule.severity > b.rule.severity }
        return a.rule.name < b.rule.name
    }
}
