import VigilCore

/// Active (and upcoming) silences: id, matchers, when they end, how many active alerts each mutes, who made them
/// and why. `x` (or `d`) expires the selected one after a confirmation; `c` (or `n`) creates one.
final class SilencesPane: Pane {
    let title = "silences"
    let user: VigilUser
    let table: TableView<Silence>
    private(set) var snapshot: AlertsSnapshot?
    private(set) var silences: [Silence]?
    private(set) var lastError: String?
    /// Active alerts, for the MUTES column.
    private let alerts: AlertsBox

    init(user: VigilUser) {
        self.user = user
        let box = AlertsBox()
        alerts = box
        table = TableView(columns: SilencesPane.makeColumns(alerts: box), sortColumn: 2,
                          emptyMessage: "no active silences: press c to create one") { s in
            [s.id, s.createdBy, s.comment] + s.matchers.map(\.description)
        }
    }

    var keyMap: KeyMap {
        let section = "Silences"
        let expire: () -> Reaction = { [self] in
            guard let s = table.selected else { return .message("no silence selected", isError: false) }
            if let why = user.refusal(.silence) { return .message(why, isError: true) }
            let matchers = s.matchers.map(\.description).joined(separator: " ")
            return .confirm("expire silence \(s.id) (\(matchers))?", .perform(.expireSilence(id: s.id)))
        }
        let own = [
            KeyAction([.char("x"), .char("d")], "expire", section: section, dangerous: true, handler: expire),
            KeyAction([.char("c"), .char("n")], "new silence", section: section, dangerous: true) { [self] in
                if let why = user.refusal(.silence) { return .message(why, isError: true) }
                return .push(SilenceFormPane(user: user, matchers: ""))
            },
        ]
        return KeyMap(own).merged(over: KeyMap(table.keyActions(section: section)))
    }

    var filterText: String { table.filterText }
    var rowNoun: String { "silence" }
    var pollInterest: PollInterest { PollInterest(silences: true) }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .alerts(let s):
            snapshot = s
            lastError = nil
            alerts.active = s.active
            alerts.at = s.takenAt
            if let sil = s.silences {
                silences = sil
                alerts.count(silences: sil)
                table.setRows(sil.filter { $0.expiredAt == nil || $0.isActive(at: s.takenAt) }, now: now)
            }
            return true
        case .alertsError(let error):
            lastError = error
            return true
        default:
            return false
        }
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        let n = try table.setFilter(text)
        return (n, table.rows.count)
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 3 else { return }
        var title = "Silences"
        if silences != nil {
            title += table.countTitle
        }
        canvas.box(rect, title: title, role: context.focused ? .borderFocus : .border)
        let inner = rect.inset(1)
        table.render(orWaiting: silences != nil, error: lastError, into: &canvas, in: inner, focused: context.focused, now: context.now)
    }

    private static func makeColumns(alerts: AlertsBox) -> [TableColumn<Silence>] {
        [
            .text("ID", width: 12, priority: 90, role: { _ in .muted }, ascending: { $0.id < $1.id }) { $0.id },
            .text("MATCHERS", width: 16, flexible: true, maxWidth: 48, priority: 100,
                  ascending: { $0.matchers.map(\.description).joined() < $1.matchers.map(\.description).joined() }) {
                $0.matchers.map(\.description).joined(separator: " ")
            },
            TableColumn("ENDS IN", width: 8, alignRight: true, priority: 95, ascending: { ($0.endsAt, $0.id) < ($1.endsAt, $1.id) }) { s, ctx in
                if s.startsAt > ctx.now { return [Span("starts " + Format.age(s.startsAt - ctx.now), .info)] }
                return [Span(Format.age(s.endsAt - ctx.now), s.endsAt - ctx.now < 15 * 60_000 ? .warning : .text)]
            },
            TableColumn("MUTES", width: 5, alignRight: true, priority: 70) { s, _ in
                let n = alerts.mutedBy[s.id] ?? 0
                return [Span("\(n)", n > 0 ? .info : .muted)]
            },
            .text("BY", width: 8, priority: 80, ascending: { $0.createdBy < $1.createdBy }) { $0.createdBy },
            .text("COMMENT", width: 10, flexible: true, priority: 60, role: { _ in .muted }) { $0.comment },
        ]
    }
}

/// The latest active alerts, shared with the MUTES column, and how many each silence mutes (counted when the
/// alerts or silences arrive, not at every frame: at 10,000 alerts that is a matcher run per alert per silence).
final class AlertsBox {
    var active: [StoredAlert] = []
    var at: Int64 = 0
    private(set) var mutedBy: [String: Int] = [:]

    func count(silences: [Silence]) {
        var counts: [String: Int] = [:]
        for silence in silences {
            counts[silence.id] = active.reduce(0) { silence.mutes(alertName: $1.rule, labels: $1.labels, at: at) ? $0 + 1 : $0 }
        }
        mutedBy = counts
    }
}
