import VigilTheme
import VigilCore

/// The fleet dashboard: a summary line and the hosts table.
final class DashboardPane: Pane {
    let title = "hosts"
    let table: TableView<HostSummary>
    private(set) var snapshot: FleetSnapshot?
    private(set) var alerts: AlertsSnapshot?
    private var summaryCache: [Span]?
    /// The worst firing severity per host, shared with the ALERT column.
    private let marks: AlertMarks

    /// Column indices, for tests and sort defaults.
    enum Column: Int, CaseIterable {
        case name, health, status, alert, cpu, memory, disk, load, cpuTrend, memoryTrend, checks, errors, lastSeen, labels
    }

    init() {
        let marks = AlertMarks()
        self.marks = marks
        table = TableView(columns: DashboardPane.makeColumns(marks: marks), sortColumn: Column.health.rawValue,
                          emptyMessage: "no hosts yet: start vigil-agent on a server, or run `vigil demo`") { host in
            [host.name] + host.labels.map { "\($0.key)=\($0.value)" } + host.groups.map { "group=\($0)" }
        }
        table.changeSignature = { [marks] in "\($0.health)|\($0.status.rawValue)|\($0.checksFailing)|\(marks.worst[$0.name]?.rawValue ?? "")" }
    }

    var keyMap: KeyMap {
        KeyMap([
            KeyAction([.enter, .char("l"), .right], "open host", section: "Hosts") { [self] in
                guard let host = table.selected else { return .message("no host selected", isError: false) }
                return .push(HostDetailPane(name: host.name, summary: host))
            },
            KeyAction([.tab], "alerts", section: "Hosts", shownInHints: false) { .command(.alerts) },
            KeyAction([.char("L")], "fleet logs", section: "Hosts") { .push(LogsPane()) },
        ] + table.keyActions(section: "Hosts"))
    }

    var filterText: String { table.filterText }
    var knownHosts: [String] { table.rows.map(\.name) }
    var rowNoun: String { "host" }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        if case .alerts(let alerts) = message {
            if let current = self.alerts, alerts.sameActive(as: current) { return false }
            self.alerts = alerts
            summaryCache = nil
            marks.worst = alerts.worstFiringByHost
            if let snapshot { table.setRows(snapshot.hosts, now: now) }
            return true
        }
        guard case .fleet(let snapshot) = message else { return false }
        self.snapshot = snapshot
        summaryCache = nil
        let longest = snapshot.hosts.map { TextWidth.of($0.name) }.max() ?? 0
        table.columns[Column.name.rawValue].maxWidth = max(10, longest + 1)
        table.setRows(snapshot.hosts, now: now)
        return true
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        let n = try table.setFilter(text)
        return (n, table.rows.count)
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 3 else { return }
        let (summaryRect, boxRect) = rect.splitTop(1)
        canvas.put(summarySpans(), x: summaryRect.x + 1, y: summaryRect.y, maxWidth: summaryRect.width - 2)
        let title = "Hosts" + (snapshot == nil ? "" : table.countTitle)
        canvas.box(boxRect, title: title, role: context.focused ? .borderFocus : .border)
        table.render(orWaiting: snapshot != nil, error: nil, into: &canvas, in: boxRect.inset(1), focused: context.focused, now: context.now)
    }

    /// "12 hosts  10 up  1 stale  1 down  mean health 87  worst db-2 (34)", made when the fleet or the alerts
    /// arrive rather than at every frame (at 1,000 hosts its counting was a twentieth of an idle console's work).
    func summarySpans() -> [Span] {
        if let summaryCache { return summaryCache }
        let spans = makeSummarySpans()
        summaryCache = spans
        return spans
    }

    private func makeSummarySpans() -> [Span] {
        guard let s = snapshot else { return [Span("fleet: loading…", .muted)] }
        var spans = [
            Span(s.hosts.count == 1 ? "1 host" : "\(s.hosts.count) hosts", .title, [.bold]), Span("  "),
            Span("\(s.upCount) up", s.upCount > 0 ? .ok : .muted), Span("  "),
            Span("\(s.staleCount) stale", s.staleCount > 0 ? .warning : .muted), Span("  "),
            Span("\(s.downCount) down", s.downCount > 0 ? .critical : .muted), Span("   "),
            Span("mean health ", .muted), Span("\(s.meanHealth)", Format.healthRole(s.meanHealth), [.bold]),
        ]
        if let worst = s.hosts.min(by: { ($0.health, $0.name) < ($1.health, $1.name) }) {
            spans += [Span("   worst ", .muted), Span(worst.name), Span(" (\(worst.health))", Format.healthRole(worst.health))]
        }
        let failing = s.hosts.reduce(0) { $0 + $1.checksFailing }
        if failing > 0 { spans += [Span("   "), Span("\(failing) check\(failing == 1 ? "" : "s") failing", .critical)] }
        if let alerts, let worst = alerts.counts.worstFiring {
            let firing = alerts.counts.firing
            spans += [Span("   "), Span("\(firing)\(alerts.capped ? "+" : "") alert\(firing == 1 ? "" : "s") firing", AlertFormat.role(worst), [.bold])]
        }
        return spans
    }

    static func statusRole(_ status: HostStatus) -> Role {
        switch status {
        case .up: .ok
        case .stale: .warning
        case .down: .critical
        }
    }

    static func statusRank(_ status: HostStatus) -> Int {
        switch status {
        case .down: 0
        case .stale: 1
        case .up: 2
        }
    }

    private static func makeColumns(marks: AlertMarks) -> [TableColumn<HostSummary>] {
        func optionalLess(_ a: Double?, _ b: Double?) -> Bool { (a ?? -1) < (b ?? -1) }
        func spark(_ history: KeyPath<HostSummary, [Double?]>) -> (HostSummary, CellContext) -> [Span] {
            { host, ctx in
                [Span(Sparkline.render(host[keyPath: history], width: ctx.width, unicode: ctx.glyphs.isUnicode, range: 0...100), .sparkline)]
            }
        }
        return [
            .text("NAME", width: 10, flexible: true, maxWidth: 24, priority: 100, ascending: { $0.name < $1.name }) { $0.name },
            .text("HEALTH", width: 6, alignRight: true, priority: 95, role: { Format.healthRole($0.health) },
                  ascending: { $0.health < $1.health }) { "\($0.health)" },
            .text("STATUS", width: 6, priority: 80, role: { statusRole($0.status) },
                  ascending: { statusRank($0.status) < statusRank($1.status) }) { $0.status.rawValue },
            TableColumn("ALERT", width: 5, priority: 90, ascending: { (marks.worst[$0.name]?.rank ?? -1) < (marks.worst[$1.name]?.rank ?? -1) },
                        descendingFirst: true) { host, _ in
                guard let severity = marks.worst[host.name] else { return [Span("-", .muted)] }
                return [Span(AlertFormat.short(severity), AlertFormat.role(severity), severity == .critical ? [.bold] : [])]
            },
            .text("CPU%", width: 5, alignRight: true, priority: 70, ascending: { optionalLess($0.cpu, $1.cpu) },
                  descendingFirst: true) { Format.percent($0.cpu) },
            .text("MEM%", width: 5, alignRight: true, priority: 69, ascending: { optionalLess($0.memory, $1.memory) },
                  descendingFirst: true) { Format.percent($0.memory) },
            .text("DISK%", width: 5, alignRight: true, priority: 68, role: { ($0.disk ?? 0) >= 90 ? .critical : (($0.disk ?? 0) >= 80 ? .warning : .text) },
                  ascending: { optionalLess($0.disk, $1.disk) }, descendingFirst: true) { Format.percent($0.disk) },
            .text("LOAD", width: 5, alignRight: true, priority: 55, ascending: { optionalLess($0.load1, $1.load1) },
                  descendingFirst: true) { Format.load($0.load1) },
            TableColumn("CPU", width: 16, priority: 40, cell: spark(\.cpuHistory)),
            TableColumn("MEM", width: 16, priority: 35, cell: spark(\.memoryHistory)),
            .checks(failing: \.checksFailing, total: \.checksTotal),
            .text("ERRS", width: 4, alignRight: true, priority: 30, role: { $0.recentErrors > 0 ? .warning : .muted },
                  ascending: { $0.recentErrors < $1.recentErrors }, descendingFirst: true) { "\($0.recentErrors)" },
            TableColumn("LAST SEEN", width: 9, alignRight: true, priority: 75, ascending: { $0.lastSeen > $1.lastSeen },
                        descendingFirst: true) { host, ctx in
                [Span(Format.coarseAge(ctx.now - host.lastSeen), host.status == .up ? .muted : statusRole(host.status))]
            },
            .text("LABELS", width: 6, flexible: true, priority: 10, role: { _ in .muted }) { Format.labels($0.labels) },
        ]
    }
}

/// The worst firing alert severity per host, shared between the dashboard and its ALERT column.
final class AlertMarks {
    var worst: [String: AlertSeverity] = [:]
}
