import VigilCore
import VigilTheme

/// `:notify`: who is on call, each channel's last result, escalations in progress, and the outbox (recent
/// notifications with their state, attempts and last error). `D` shows only dead letters; `R` sends the selected
/// one again (operators, after a confirmation).
final class NotificationsPane: Pane {
    let title = "notifications"
    let user: VigilUser
    let config: NotifyConfig?
    let table: TableView<OutboxEntry>
    private(set) var snapshot: NotifySnapshot?
    private(set) var deadOnly = false

    init(user: VigilUser, config: NotifyConfig?) {
        self.user = user
        self.config = config
        table = TableView(columns: NotificationsPane.columns, sortColumn: 0, sortDescending: true,
                          emptyMessage: config == nil ? "no notification config (~/.config/vigil/notify.yaml; docs/notifications.md)" : "nothing sent yet") { e in
            [e.notification.channel, e.notification.rendered.title, e.state.rawValue, e.lastError ?? ""]
        }
    }

    var keyMap: KeyMap {
        let section = "Notifications"
        let own = [
            KeyAction([.char("D")], deadOnly ? "all" : "dead letters", section: section) { [self] in
                deadOnly.toggle()
                refill(now: snapshot?.takenAt ?? 0)
                return .redraw
            },
            KeyAction([.char("R")], "retry", section: section, dangerous: true) { [self] in
                guard let e = table.selected else { return .message("no notification selected", isError: false) }
                if let why = user.refusal(.acknowledge) { return .message(why, isError: true) }
                guard e.state != .delivered else { return .message("notification \(e.id) was delivered; it is not sent again", isError: false) }
                return .confirm("send notification \(e.id) to \(e.notification.channel) again?", .perform(.retryNotification(id: e.id)))
            },
        ]
        return KeyMap(own).merged(over: KeyMap(table.keyActions(section: section)))
    }

    var filterText: String { table.filterText }
    var rowNoun: String { "notification" }
    var pollInterest: PollInterest {
        var p = PollInterest()
        p.notifications = true
        return p
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        guard case .notifications(let s) = message else { return false }
        snapshot = s
        refill(now: now)
        return true
    }

    private func refill(now: Int64) {
        guard let s = snapshot else { return }
        table.setRows(deadOnly ? s.recent.filter { $0.state == .dead } : s.recent, now: now)
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        let n = try table.setFilter(text)
        return (n, table.rows.count)
    }

    /// The lines above the table: on call, channels, escalations.
    func headerLines(now: Int64) -> [(String, Role)] {
        guard let config else { return [] }
        var lines: [(String, Role)] = []
        let oncall = NotifyFormat.onCallLines(config, at: now)
        if !oncall.isEmpty { lines.append(("On call  " + oncall.joined(separator: "   "), .text)) }
        for (text, role) in NotifyFormat.channelLines(config, recent: snapshot?.recent ?? [], now: now) { lines.append(("Channel  " + text, role)) }
        for e in snapshot?.escalating ?? [] {
            lines.append(("Escalating  \(e.alert.rule) on \(e.alert.host ?? "the fleet"): \(e.steps.sorted().joined(separator: ", ")) taken, not acknowledged", .warning))
        }
        return lines
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 3 else { return }
        var title = deadOnly ? "Notifications · dead letters" : "Notifications"
        if snapshot != nil { title += table.countTitle }
        canvas.box(rect, title: title, role: context.focused ? .borderFocus : .border)
        var inner = rect.inset(1)
        // The header takes at most a third of the pane; the outbox gets the rest.
        let header = Array(headerLines(now: context.now).prefix(max(1, inner.height / 3)))
        for (i, (text, role)) in header.enumerated() {
            _ = canvas.put(text, x: inner.x + 1, y: inner.y + i, role: role, maxWidth: inner.width - 2)
        }
        if !header.isEmpty {
            inner.y += header.count + 1
            inner.height -= header.count + 1
        }
        table.render(orWaiting: snapshot != nil || config == nil, error: nil, into: &canvas, in: inner, focused: context.focused, now: context.now)
    }

    static var columns: [TableColumn<OutboxEntry>] { [
        .text("ID", width: 5, alignRight: true, priority: 60, role: { _ in .muted }, ascending: { $0.id < $1.id }, descendingFirst: true) { String($0.id) },
        TableColumn("STATE", width: 9, priority: 100, ascending: { $0.state.rawValue < $1.state.rawValue }) { e, _ in
            [Span(e.state.rawValue, NotifyFormat.role(e.state))]
        },
        TableColumn("WHEN", width: 5, alignRight: true, priority: 90, ascending: { $0.createdAt < $1.createdAt }, descendingFirst: true) { e, ctx in
            [Span(Format.age(ctx.now - (e.deliveredAt ?? e.createdAt)), .muted)]
        },
        .text("CHANNEL", width: 8, maxWidth: 16, priority: 95, ascending: { $0.notification.channel < $1.notification.channel }) { $0.notification.channel },
        .text("KIND", width: 10, priority: 40) { $0.notification.status },
        .text("TRIES", width: 5, alignRight: true, priority: 70, ascending: { $0.attempts < $1.attempts }) { String($0.attempts) },
        .text("MESSAGE", width: 20, flexible: true, priority: 98) { $0.notification.rendered.title },
        .text("LAST ERROR", width: 12, flexible: true, maxWidth: 60, priority: 80, role: { _ in .error }) { e in
            e.state == .delivered ? "" : (e.lastError ?? "")
        },
    ] }
}
