import VigilTheme
import VigilCore
import VigilWire

/// One host in depth: a header (agent, labels, freshness, health) and three sections: series with sparklines,
/// checks, recent logs. `Tab` moves between sections; each scrolls on its own.
final class HostDetailPane: Pane {
    /// The sections, in `Tab` order.
    enum Section: Int, CaseIterable {
        case series, checks, logs, processes

        var title: String {
            switch self {
            case .series: "Series"
            case .checks: "Checks"
            case .processes: "Processes"
            case .logs: "Logs"
            }
        }
    }

    let name: String
    var title: String { name }
    private(set) var summary: HostSummary?
    private(set) var detail: HostDetail?
    /// The reader knows no such host.
    private(set) var isUnknown = false
    private(set) var lastError: String?
    private(set) var focus: Section = .series

    let series: TableView<SeriesSummary>
    let checks: TableView<CheckStatus>
    let logs: TableView<StoredLog>
    let processes: TableView<ProcessRow>
    /// The host's top processes as last read (the newest looks); the history view starts from them and reads the hour.
    private(set) var processHistory: [ProcessSample] = []

    init(name: String, summary: HostSummary? = nil) {
        self.name = name
        self.summary = summary
        series = TableView(columns: HostDetailPane.seriesColumns(), sortColumn: 0, emptyMessage: "no series") { s in
            [s.name] + s.labels.map { "\($0.key)=\($0.value)" }
        }
        checks = TableView(columns: HostDetailPane.checkColumns(), sortColumn: 1, emptyMessage: "no checks configured") { c in
            [c.name, c.kind.rawValue, c.target, c.detail]
        }
        logs = TableView(columns: HostDetailPane.logColumns(), sortColumn: 0, sortDescending: true,
                         emptyMessage: "no recent logs") { l in
            [l.source, l.level.rawValue, l.message]
        }
        processes = TableView(columns: HostDetailPane.processColumns(), sortColumn: 2, sortDescending: true,
                              emptyMessage: "no processes reported (vigil-agent reports its host's top processes)") { p in
            [p.sample.command, p.sample.user, p.sample.state, String(p.sample.pid)]
        }
    }

    var pollInterest: PollInterest {
        var p = PollInterest(host: name)
        p.processes = name
        return p
    }

    var subscribedHost: String? { name }
    var knownHosts: [String] { [name] }
    var filterText: String { focusedTableFilter }

    private var focusedTableFilter: String {
        switch focus {
        case .series: series.filterText
        case .checks: checks.filterText
        case .processes: processes.filterText
        case .logs: logs.filterText
        }
    }

    var keyMap: KeyMap {
        let section = "Host detail"
        let tableActions: [KeyAction]
        switch focus {
        case .series: tableActions = series.keyActions(section: section)
        case .checks: tableActions = checks.keyActions(section: section)
        case .processes: tableActions = processes.keyActions(section: section)
        case .logs: tableActions = logs.keyActions(section: section)
        }
        let next = KeyAction([.tab], "next section", section: section) { [self] in
            _ = focusNext()
            return .redraw
        }
        let chat = KeyAction([.char("c")], "chat", section: section) { [self] in .openChat(.host(name)) }
        let logs = KeyAction([.char("L")], "log patterns", section: section, shownInHints: false) { [self] in .push(LogsPane(host: name)) }
        var own = [next, chat, logs]
        if focus == .series {
            own.append(KeyAction([.enter], "chart", section: section) { [self] in
                guard let s = series.selected else { return .message("no series selected", isError: false) }
                return .push(MetricPane(metric: s.name, hosts: [name]))
            })
        }
        if focus == .processes {
            own.append(KeyAction([.enter], "history", section: section) { [self] in
                guard let p = processes.selected?.sample else { return .message("no process selected", isError: false) }
                return .push(ProcessHistoryPane(host: name, process: p, history: processHistory))
            })
        }
        return KeyMap(own + Section.allCases.map { s in
            KeyAction([.char(Character(String(s.rawValue + 1)))], "go to \(s.title.lowercased())", section: section,
                      shownInHints: false) { [self] in
                focus = s
                return .redraw
            }
        } + tableActions)
    }

    func focusNext() -> Bool {
        focus = Section(rawValue: (focus.rawValue + 1) % Section.allCases.count)!
        return true
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .fleet(let snapshot):
            guard let s = snapshot.hosts.first(where: { $0.name == name }) else { return false }
            summary = s
            return true
        case .detail(let host, let value) where host == name:
            lastError = nil
            guard let value else {
                isUnknown = true
                return true
            }
            isUnknown = false
            detail = value
            summary = value.summary
            series.setRows(value.series, now: now)
            checks.setRows(value.checks, now: now)
            logs.setRows(value.logs, now: now)
            return true
        case .detailError(let host, let error) where host == name:
            lastError = error
            return true
        case .processes(let host, let samples) where host == name:
            processHistory = samples
            let newest = samples.map { $0.ts }.max()
            processes.setRows(samples.filter { $0.ts == newest }.map(ProcessRow.init), now: now)
            return true
        default:
            return false
        }
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        switch focus {
        case .series: (try series.setFilter(text), series.rows.count)
        case .checks: (try checks.setFilter(text), checks.rows.count)
        case .processes: (try processes.setFilter(text), processes.rows.count)
        case .logs: (try logs.setFilter(text), logs.rows.count)
        }
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 4 else { return }
        let headerLines = headerSpans(now: context.now)
        let headerHeight = rect.height >= 20 ? headerLines.count + 2 : 3
        let (headerRect, rest) = rect.splitTop(headerHeight)
        var boxTitle = name
        if let s = summary { boxTitle += " · " + s.status.rawValue }
        canvas.box(headerRect, title: boxTitle, role: .border)
        let headerInner = headerRect.inset(1)
        for (i, line) in headerLines.prefix(headerInner.height).enumerated() {
            canvas.put(line, x: headerInner.x + 1, y: headerInner.y + i, maxWidth: headerInner.width - 1)
        }
        if isUnknown || (detail == nil && summary == nil) {
            return
        }
        // Sections.
        let checksWanted = max(4, min(checks.rows.count + 3, rest.height / 3))
        var heights: [Section: Int] = [:]
        if rest.height < 12 {
            heights[focus] = rest.height
        } else {
            heights[.checks] = checksWanted
            let remaining = rest.height - checksWanted
            if processes.rows.isEmpty {
                // No agent reports processes here: the box stays small (on a tall screen with room to say so under
                // its header), and on a short one (80×24) it only appears when Tab moves to it: the series and logs
                // need the rows more.
                let small = rest.height >= 30 ? 4 : (rest.height >= 20 || focus == .processes) ? 3 : 0
                heights[.processes] = small
                heights[.series] = (remaining - small) / 2
                heights[.logs] = remaining - small - (remaining - small) / 2
            } else {
                heights[.series] = remaining / 3
                heights[.processes] = remaining / 3
                heights[.logs] = remaining - 2 * (remaining / 3)
            }
        }
        var y = rest.y
        for section in Section.allCases {
            guard let h = heights[section], h >= 3 else { continue }
            let r = Rect(x: rest.x, y: y, width: rest.width, height: h)
            y += h
            let focused = context.focused && section == focus
            let (table, count): (Int, Int) = switch section {
            case .series: (series.visible.count, series.rows.count)
            case .checks: (checks.visible.count, checks.rows.count)
            case .processes: (processes.visible.count, processes.rows.count)
            case .logs: (logs.visible.count, logs.rows.count)
            }
            var title = "\(section.rawValue + 1) \(section.title) (\(count))"
            let filter: String = switch section {
            case .series: series.filterText
            case .checks: checks.filterText
            case .processes: processes.filterText
            case .logs: logs.filterText
            }
            if section == .processes, let at = processes.rows.first?.sample.ts { title += " at " + Format.clock(at) }
            if !filter.isEmpty { title = "\(section.rawValue + 1) \(section.title) (\(table) of \(count)) /\(filter)" }
            canvas.box(r, title: title, role: focused ? .borderFocus : .border)
            let inner = r.inset(1)
            if detail == nil {
                canvas.put(lastError.map { "error: \($0)" } ?? "loading…", x: inner.x + 1, y: inner.y,
                           role: lastError == nil ? .muted : .error, maxWidth: inner.width - 1)
                continue
            }
            switch section {
            case .series: series.render(into: &canvas, in: inner, focused: focused, now: context.now)
            case .checks: checks.render(into: &canvas, in: inner, focused: focused, now: context.now)
            case .processes: processes.render(into: &canvas, in: inner, focused: focused, now: context.now)
            case .logs: logs.render(into: &canvas, in: inner, focused: focused, now: context.now)
            }
        }
    }

    /// The header lines: health and freshness, agent, labels, key metrics.
    func headerSpans(now: Int64) -> [[Span]] {
        if isUnknown { return [[Span("unknown host \(name)", .error)]] }
        guard let s = summary else {
            return [[Span(lastError.map { "error: \($0)" } ?? "loading \(name)…", lastError == nil ? .muted : .error)]]
        }
        var first: [Span] = [
            Span("health ", .muted), Span("\(s.health)", Format.healthRole(s.health), [.bold]),
            Span("  status ", .muted), Span(s.status.rawValue, DashboardPane.statusRole(s.status)),
            Span("  last seen ", .muted), Span(Format.age(now - s.lastSeen) + " ago"),
            Span("  first seen ", .muted), Span(s.firstSeen > 0 ? Format.age(now - s.firstSeen) + " ago" : "-"),
            Span("  checks ", .muted),
            Span(s.checksTotal == 0 ? "none" : "\(s.checksFailing)/\(s.checksTotal) failing", s.checksFailing > 0 ? .critical : .ok),
            Span("  errors (15m) ", .muted), Span("\(s.recentErrors)", s.recentErrors > 0 ? .warning : .text),
        ]
        if let lastError { first += [Span("  "), Span("refresh failed: \(lastError)", .error)] }
        var agent: [Span] = [Span("agent ", .muted)]
        if let a = s.agent {
            var parts: [String] = []
            if !a.version.isEmpty { parts.append("v" + a.version) }
            if !a.os.isEmpty { parts.append(a.os) }
            if !a.kernel.isEmpty { parts.append("kernel " + a.kernel) }
            if !a.arch.isEmpty { parts.append(a.arch) }
            if a.cpus > 0 { parts.append("\(a.cpus) cpus") }
            if a.memory > 0 { parts.append(Format.bytes(Double(a.memory)) + " RAM") }
            agent.append(Span(parts.joined(separator: "  ")))
        } else {
            agent.append(Span("unknown", .muted))
        }
        let labels: [Span] = [Span("labels ", .muted), Span(s.labels.isEmpty ? "none" : Format.labels(s.labels))]
        let metrics: [Span] = [
            Span("cpu ", .muted), Span(Format.percent(s.cpu) + (s.cpu == nil ? "" : "%")),
            Span("  mem ", .muted), Span(Format.percent(s.memory) + (s.memory == nil ? "" : "%")),
            Span("  disk ", .muted), Span(Format.percent(s.disk) + (s.disk == nil ? "" : "%")),
            Span("  load ", .muted), Span(Format.load(s.load1)),
        ]
        return [first, agent, labels, metrics]
    }

    static func levelRole(_ level: LogLevel) -> Role {
        switch level {
        case .trace, .debug: .muted
        case .info, .notice: .info
        case .warning: .warning
        case .error, .critical: .critical
        }
    }

    static func levelLabel(_ level: LogLevel) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .notice: "NOTE"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "CRIT"
        }
    }

    private static func seriesColumns() -> [TableColumn<SeriesSummary>] {
        [
            .text("SERIES", width: 16, flexible: true, maxWidth: 30, priority: 100, ascending: { ($0.name, $0.id) < ($1.name, $1.id) }) { $0.name },
            .text("LABELS", width: 8, flexible: true, maxWidth: 30, priority: 20, role: { _ in .muted }) { Format.labels($0.labels) },
            .text("LATEST", width: 11, alignRight: true, priority: 90,
                  ascending: { ($0.latest ?? -.infinity) < ($1.latest ?? -.infinity) }, descendingFirst: true) {
                Format.seriesValue($0.latest, name: $0.name)
            },
            TableColumn("TREND", width: 24, priority: 60) { s, ctx in
                let range: ClosedRange<Double>? = Format.unit(ofSeries: s.name) == .percent ? 0...100 : nil
                // Points the anomaly scanner scored ≥ 0.9 are drawn in the warning role, underlined.
                return Sparkline.spans(s.history, marks: s.anomalies, width: ctx.width, unicode: ctx.glyphs.isUnicode, range: range)
            },
            TableColumn("AGE", width: 5, alignRight: true, priority: 50,
                        ascending: { ($0.latestTs ?? 0) > ($1.latestTs ?? 0) }) { s, ctx in
                [Span(s.latestTs.map { Format.age(ctx.now - $0) } ?? "-", .muted)]
            },
        ]
    }

    private static func checkColumns() -> [TableColumn<CheckStatus>] {
        [
            .text("CHECK", width: 10, flexible: true, maxWidth: 24, priority: 100, ascending: { $0.name < $1.name }) { $0.name },
            .text("STATE", width: 5, priority: 95, role: { $0.ok ? .ok : .critical },
                  ascending: { a, b in a.ok != b.ok ? !a.ok : a.name < b.name }) { $0.ok ? "ok" : "FAIL" },
            .text("KIND", width: 7, priority: 40, ascending: { $0.kind.rawValue < $1.kind.rawValue }) { $0.kind.rawValue },
            .text("TARGET", width: 10, flexible: true, maxWidth: 32, priority: 45) { $0.target },
            .text("LATENCY", width: 8, alignRight: true, priority: 70, ascending: { $0.latencyMs < $1.latencyMs },
                  descendingFirst: true) { Format.milliseconds($0.latencyMs) },
            .text("FAILING", width: 8, alignRight: true, priority: 80, role: { $0.failingFor > 0 ? .critical : .muted },
                  ascending: { $0.failingFor < $1.failingFor }, descendingFirst: true) {
                $0.failingFor > 0 ? "\($0.failingFor) run\($0.failingFor == 1 ? "" : "s")" : "-"
            },
            TableColumn("AGE", width: 5, alignRight: true, priority: 50) { c, ctx in [Span(Format.age(ctx.now - c.ts), .muted)] },
            .text("DETAIL", width: 10, flexible: true, priority: 30, role: { $0.ok ? .muted : .text }) { $0.detail },
        ]
    }

    private static func logColumns() -> [TableColumn<StoredLog>] {
        [
            .text("TIME", width: 8, priority: 90, role: { _ in .muted }, ascending: { ($0.ts, $0.id) < ($1.ts, $1.id) }) {
                Format.clock($0.ts)
            },
            .text("LEVEL", width: 5, priority: 95, role: { levelRole($0.level) }, ascending: { $0.level < $1.level },
                  descendingFirst: true) { levelLabel($0.level) },
            .text("SOURCE", width: 8, flexible: true, maxWidth: 20, priority: 40, role: { _ in .muted },
                  ascending: { $0.source < $1.source }) { $0.source },
            .text("MESSAGE", width: 20, flexible: true, priority: 100) { $0.message },
        ]
    }
}

/// A row of the host detail's processes table.
struct ProcessRow: Identifiable, Equatable {
    var sample: ProcessSample
    var id: Int { sample.pid }
}

extension HostDetailPane {
    static func processColumns() -> [TableColumn<ProcessRow>] {
        [
            .text("PID", width: 7, alignRight: true, priority: 60, ascending: { $0.sample.pid < $1.sample.pid }) { String($0.sample.pid) },
            .text("USER", width: 8, priority: 50, ascending: { $0.sample.user < $1.sample.user }) { $0.sample.user },
            .text("CPU%", width: 6, alignRight: true, priority: 100, ascending: { $0.sample.cpuPercent < $1.sample.cpuPercent },
                  descendingFirst: true) { String(format: "%.1f", $0.sample.cpuPercent) },
            .text("RSS", width: 9, alignRight: true, priority: 95, ascending: { $0.sample.rssBytes < $1.sample.rssBytes },
                  descendingFirst: true) { Format.bytes(Double($0.sample.rssBytes)) },
            .text("S", width: 1, priority: 40, role: { $0.sample.state == "Z" || $0.sample.state == "D" ? .warning : .muted },
                  ascending: { $0.sample.state < $1.sample.state }) { $0.sample.state },
            .text("STARTED", width: 11, priority: 30, role: { _ in .muted }, ascending: { $0.sample.startedAt < $1.sample.startedAt }) {
                LogsFormat.dateTime($0.sample.startedAt).dropFirst(5).description
            },
            .text("COMMAND", width: 20, flexible: true, priority: 90, ascending: { $0.sample.command < $1.sample.command }) { $0.sample.command },
        ]
    }
}
