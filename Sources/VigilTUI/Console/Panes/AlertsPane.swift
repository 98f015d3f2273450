import VigilCore

/// Firing and pending alerts: counts by severity and state, then a table sorted by severity then age, coloured by
/// severity. `h` adds resolved alerts (history), `m` keeps the ones acked by or assigned to the user.
final class AlertsPane: Pane {
    let title = "alerts"
    let user: VigilUser
    let table: TableView<StoredAlert>
    private(set) var snapshot: AlertsSnapshot?
    private(set) var resolved: [StoredAlert] = []
    private(set) var silences: [Silence] = []
    private(set) var showHistory = false
    private(set) var mineOnly = false
    private(set) var lastError: String?
    private var lastNow: Int64 = 0
    /// Active alerts acked by or assigned to the user, counted when the alerts arrive.
    private var mine = 0

    /// Column indices, for tests and sorting.
    enum Column: Int, CaseIterable {
        case severity, state, alert, host, value, age, ack, assignee, summary
    }

    init(user: VigilUser) {
        self.user = user
        let muted = MutedAlerts()
        self.muted = muted
        let groups = HostGroupLookup()
        self.groups = groups
        table = TableView(columns: AlertsPane.makeColumns(muted: muted), sortColumn: Column.severity.rawValue,
                          emptyMessage: "no firing or pending alerts") { a in
            var strings = [a.rule, a.state, a.severity.rawValue, "severity=\(a.severity.rawValue)", AlertFormat.summary(a)]
            strings += a.labels.map { "\($0.key)=\($0.value)" }
            if let host = a.labels["host"] { strings += groups.groups(of: host).map { "group=\($0)" } }
            if let who = a.ackedBy { strings += ["acked=\(who)"] }
            if let who = a.assignee { strings += ["assignee=\(who)"] }
            return strings
        }
        table.changeSignature = { "\($0.state)|\($0.ackedBy ?? "")|\($0.assignee ?? "")" }
    }

    /// The fingerprints a silence mutes, shared with the STATE column.
    private let muted: MutedAlerts
    /// Each host's server groups, from the fleet, for `/group=NAME`.
    private let groups: HostGroupLookup

    var keyMap: KeyMap {
        let section = "Alerts"
        let own = [
            KeyAction([.enter, .char("l"), .right], "open", section: section) { [self] in
                guard let alert = table.selected else { return .message("no alert selected", isError: false) }
                return .push(AlertDetailPane(alert: alert, user: user))
            },
        ] + AlertActions(user: user, section: section) { [weak self] in self?.table.selected }.actions + [
            KeyAction([.char("h")], showHistory ? "hide history" : "history", section: section) { [self] in
                showHistory.toggle()
                rebuild()
                return .message(showHistory ? "history: resolved alerts shown" : "history hidden", isError: false)
            },
            KeyAction([.char("m")], mineOnly ? "everyone's" : "mine", section: section) { [self] in
                mineOnly.toggle()
                rebuild()
                return .message(mineOnly ? "only alerts acked by or assigned to \(user.name)" : "all alerts", isError: false)
            },
            KeyAction([.tab], "hosts", section: section, shownInHints: false) { .command(.hosts) },
        ]
        return KeyMap(own).merged(over: KeyMap(table.keyActions(section: section)))
    }

    var filterText: String { table.filterText }
    var knownHosts: [String] { Array(Set(table.rows.compactMap(\.host))) }
    var rowNoun: String { "alert" }
    var pollInterest: PollInterest { PollInterest(resolvedAlerts: showHistory, silences: true) }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .alerts(let s):
            // The same active alerts, silences and history as shown: nothing to rebuild (at 10,000 alerts a rebuild
            // sorts them all).
            if let current = snapshot, s.sameActive(as: current), s.silences.map({ $0 == silences }) ?? true,
               s.resolved.map({ $0 == resolved }) ?? true, lastError == nil {
                return false
            }
            snapshot = s
            lastError = nil
            if let r = s.resolved { resolved = r }
            if let sil = s.silences { silences = sil }
            // The engine records why an alert is muted (silence, maintenance window, inhibition); a silence made
            // a moment ago counts before the next evaluation records it.
            muted.fingerprints = Set(s.active.filter { a in
                a.mutedBy != nil || silences.contains { $0.mutes(alertName: a.rule, labels: a.labels, at: s.takenAt) }
            }.map(\.fingerprint))
            mine = s.active.reduce(0) { isMine($1) ? $0 + 1 : $0 }
            lastNow = now
            rebuild()
            return true
        case .alertsError(let error):
            lastError = error
            return true
        case .fleet(let s):
            // Only the filter reads them: refilter when a host's groups changed under a group filter.
            guard groups.update(s), !table.filterText.isEmpty else { return false }
            rebuild()
            return true
        default:
            return false
        }
    }

    /// Whether `alert` is acked by or assigned to the user.
    func isMine(_ alert: StoredAlert) -> Bool {
        alert.ackedBy == user.name || alert.assignee == user.name
    }

    private func rebuild() {
        var rows = snapshot?.active ?? []
        if showHistory { rows += resolved.filter { !$0.isActive } }
        if mineOnly { rows = rows.filter(isMine) }
        table.emptyMessage = mineOnly ? "no alerts acked by or assigned to \(user.name)"
            : (showHistory ? "no alerts" : "no firing or pending alerts")
        table.setRows(rows, now: lastNow)
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        let n = try table.setFilter(text)
        return (n, table.rows.count)
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 3 else { return }
        let (summaryRect, boxRect) = rect.splitTop(1)
        canvas.put(summarySpans(), x: summaryRect.x + 1, y: summaryRect.y, maxWidth: summaryRect.width - 2)
        var title = "Alerts"
        if snapshot != nil {
            title += table.countTitle
        }
        if showHistory { title += " +history" }
        if mineOnly { title += " mine" }
        canvas.box(boxRect, title: title, role: context.focused ? .borderFocus : .border)
        let inner = boxRect.inset(1)
        table.render(orWaiting: snapshot != nil, error: lastError, into: &canvas, in: inner, focused: context.focused, now: context.now)
    }

    /// "3 firing  1 pending   2 critical  1 warning  1 info   1 acked  1 muted".
    func summarySpans() -> [Span] {
        guard let s = snapshot else {
            return [Span(lastError.map { "alerts: refresh failed: \($0)" } ?? "alerts: loading…", lastError == nil ? .muted : .error)]
        }
        let c = s.counts
        var spans = [Span("\(c.firing) firing", c.firing > 0 ? .critical : .muted, [.bold]), Span("  "),
                     Span("\(c.pending) pending", c.pending > 0 ? .warning : .muted), Span("  ")]
        for severity in AlertSeverity.allCases.reversed() {
            let n = c.bySeverity[severity] ?? 0
            spans += [Span("  "), Span("\(n) \(severity.rawValue)", n > 0 ? AlertFormat.role(severity) : .muted)]
        }
        spans += [Span("   "), Span("\(c.acked) acked", .muted)]
        if !muted.fingerprints.isEmpty { spans += [Span("  "), Span("\(muted.fingerprints.count) muted", .muted)] }
        if mine > 0 { spans += [Span("  "), Span("\(mine) mine", .info)] }
        if s.capped { spans += [Span("   "), Span("showing the first \(s.active.count) (most severe, oldest)", .warning)] }
        if let lastError { spans += [Span("   "), Span("refresh failed: \(lastError)", .error)] }
        return spans
    }

    private static func makeColumns(muted: MutedAlerts) -> [TableColumn<StoredAlert>] {
        [
            .text("SEV", width: 4, priority: 100, role: { AlertFormat.role($0.severity) }, ascending: AlertFormat.precedes) {
                AlertFormat.short($0.severity)
            },
            TableColumn("STATE", width: 8, priority: 90, ascending: { a, b in
                (AlertFormat.stateRank(a.state), AlertFormat.since(a)) < (AlertFormat.stateRank(b.state), AlertFormat.since(b))
            }) { a, _ in
                if a.isActive && muted.fingerprints.contains(a.fingerprint) { return [Span("muted", .muted)] }
                return [Span(a.flapping ? a.state + "~" : a.state, AlertFormat.stateRole(a.state))]
            },
            .text("ALERT", width: 12, flexible: true, maxWidth: 28, priority: 100, role: { AlertFormat.role($0.severity) },
                  ascending: { ($0.rule, $0.host ?? "") < ($1.rule, $1.host ?? "") }) { $0.rule },
            .text("HOST", width: 8, flexible: true, maxWidth: 20, priority: 85,
                  ascending: { ($0.host ?? "", $0.rule) < ($1.host ?? "", $1.rule) }) { $0.host ?? "-" },
            .text("VALUE", width: 7, alignRight: true, priority: 60,
                  ascending: { ($0.value ?? -.infinity) < ($1.value ?? -.infinity) }, descendingFirst: true) {
                $0.value.map(Format.number) ?? "-"
            },
            TableColumn("AGE", width: 5, alignRight: true, priority: 80,
                        ascending: { AlertFormat.since($0) > AlertFormat.since($1) }, descendingFirst: true) { a, ctx in
                [Span(Format.age(ctx.now - (a.isActive ? AlertFormat.since(a) : (a.resolvedAt ?? AlertFormat.since(a)))), .muted)]
            },
            .text("ACK", width: 8, priority: 70, role: { $0.ackedBy == nil ? .muted : .ok },
                  ascending: { ($0.ackedBy ?? "") < ($1.ackedBy ?? "") }) { $0.ackedBy ?? "-" },
            .text("ASSIGNEE", width: 8, priority: 50, role: { $0.assignee == nil ? .muted : .text },
                  ascending: { ($0.assignee ?? "") < ($1.assignee ?? "") }) { $0.assignee ?? "-" },
            .text("SUMMARY", width: 10, flexible: true, priority: 40, role: { $0.isActive ? .text : .muted }) { AlertFormat.summary($0) },
        ]
    }
}

/// Which alerts a silence currently mutes; a reference so the table's column closures see refreshes.
final class MutedAlerts {
    var fingerprints: Set<String> = []
}
