import VigilTheme
import VigilCore
import VigilWire

/// One alert in depth: severity, state and times, ack and assignee, labels, annotations, the host's CPU and memory
/// around now, the same alert on other hosts, then the timeline of events (scrolls with `j` `k`).
final class AlertDetailPane: Pane {
    let user: VigilUser
    private(set) var alert: StoredAlert
    private(set) var timeline: [AlertTimelineEntry]?
    /// The alert's metric around its firing time, when it has one.
    private(set) var metricPoints: (points: [SeriesPoint], from: Int64, to: Int64)?
    private(set) var host: HostSummary?
    /// The same rule active on other hosts.
    private(set) var similar: [StoredAlert] = []
    /// Resolved incidents like this one (nil until fetched).
    private(set) var pastIncidents: [IncidentRecord]?
    private(set) var lastError: String?
    /// The fleet's hosts and the topology's links: what the alert's host needs and what needs it.
    private var fleetHosts: [HostSummary] = []
    private(set) var topology: TopologySnapshot?
    /// The host's dependencies and dependants, made when the fleet or the topology changes (not at every frame).
    private var neighbours: [Span]?
    private(set) var scroll = 0
    private var lastBodyHeight = 5

    init(alert: StoredAlert, user: VigilUser) {
        self.alert = alert
        self.user = user
    }

    var title: String { alert.rule }
    var knownHosts: [String] { alert.host.map { [$0] } ?? [] }
    var pollInterest: PollInterest {
        var p = PollInterest(resolvedAlerts: !alert.isActive, timeline: alert.fingerprint)
        p.topology = alert.host != nil
        return p
    }

    var keyMap: KeyMap {
        let section = "Alert detail"
        return KeyMap(AlertActions(user: user, section: section) { [weak self] in self?.alert }.actions + [
            KeyAction([.char("l")], "logs around it", section: section, shownInHints: false) { [self] in
                .push(LogsPane.around(alert, now: WallClock.nowMs()))
            },
            KeyAction([.char("j"), .down], "scroll the timeline down", section: section, shownInHints: false) { [self] in
                scroll = min(scroll + 1, max(0, (timeline?.count ?? 0) - lastBodyHeight))
                return .redraw
            },
            KeyAction([.char("k"), .up], "scroll the timeline up", section: section, shownInHints: false) { [self] in
                scroll = max(0, scroll - 1)
                return .redraw
            },
        ])
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .alerts(let s):
            lastError = nil
            if let fresh = s.active.first(where: { $0.fingerprint == alert.fingerprint })
                ?? s.resolved?.first(where: { $0.fingerprint == alert.fingerprint }) {
                alert = fresh
            }
            similar = s.active.filter { $0.rule == alert.rule && $0.fingerprint != alert.fingerprint && $0.host != alert.host }
            return true
        case .alertsError(let error):
            lastError = error
            return true
        case .alertMetric(let fingerprint, let points, let from, let to) where fingerprint == alert.fingerprint:
            metricPoints = (points, from, to)
            return true
        case .timeline(let fingerprint, let entries) where fingerprint == alert.fingerprint:
            timeline = entries.sorted { ($0.ts, $0.id) < ($1.ts, $1.id) }
            return true
        case .pastIncidents(let fingerprint, let incidents) where fingerprint == alert.fingerprint:
            let changed = pastIncidents != incidents
            pastIncidents = incidents
            return changed
        case .fleet(let snapshot):
            if Set(fleetHosts.map(\.name)) != Set(snapshot.hosts.map(\.name)) {
                fleetHosts = snapshot.hosts
                neighbours = neighbourLine()
            }
            guard let name = alert.host, let s = snapshot.hosts.first(where: { $0.name == name }) else { return false }
            host = s
            return true
        case .topology(let s):
            let changed = topology != s
            topology = s
            if changed { neighbours = neighbourLine() }
            return changed
        default:
            return false
        }
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 4 else { return }
        let lines = headerLines(now: context.now, glyphs: context.glyphs, width: rect.width - 4)
        let headerHeight = min(lines.count + 2, max(3, rect.height - 4))
        let (headerRect, rest) = rect.splitTop(headerHeight)
        canvas.box(headerRect, title: "\(AlertFormat.short(alert.severity)) \(AlertFormat.subject(alert)) · \(alert.state)",
                   role: .border, titleRole: AlertFormat.role(alert.severity))
        let inner = headerRect.inset(1)
        for (i, line) in lines.prefix(inner.height).enumerated() {
            canvas.put(line, x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 1)
        }
        guard rest.height >= 3 else { return }
        let entries = timeline ?? []
        canvas.box(rest, title: "Timeline (\(entries.count))", role: context.focused ? .borderFocus : .border)
        let body = rest.inset(1)
        lastBodyHeight = body.height
        guard let timeline else {
            canvas.put(lastError.map { "error: \($0)" } ?? "loading…", x: body.x + 1, y: body.y,
                       role: lastError == nil ? .muted : .error, maxWidth: body.width - 1)
            return
        }
        if timeline.isEmpty {
            canvas.put("no events", x: body.x + 1, y: body.y, role: .muted, maxWidth: body.width - 1)
            return
        }
        scroll = min(scroll, max(0, timeline.count - body.height))
        for (i, entry) in timeline.dropFirst(scroll).prefix(body.height).enumerated() {
            canvas.put(Self.timelineSpans(entry, now: context.now), x: body.x + 1, y: body.y + i, maxWidth: body.width - 2)
        }
    }

    /// `upstream (it needs): db-1 · downstream (needs it): web-1, lb-1`: the alert's host in the topology, when it has
    /// links (the services that feel this alert are downstream).
    func neighbourLine() -> [Span]? {
        guard let name = alert.host, let t = topology else { return nil }
        let graph = TopologyGraph.build(hosts: fleetHosts, firing: [], configured: t.configured, discovered: t.discovered, accepted: t.accepted)
        guard graph.node(name) != nil else { return nil }
        let needs = graph.dependencies(of: name), neededBy = graph.dependants(of: name)
        guard !needs.isEmpty || !neededBy.isEmpty else { return nil }
        func list(_ names: [String]) -> String {
            names.isEmpty ? "nothing known" : names.prefix(8).joined(separator: ", ") + (names.count > 8 ? " and \(names.count - 8) more" : "")
        }
        return [Span("upstream (it needs) ", .muted), Span(list(needs)), Span("  downstream (needs it) ", .muted),
                Span(list(neededBy), neededBy.isEmpty ? .text : .warning)]
    }

    /// The header: state and times, ack, labels, annotations, sparklines, the alert elsewhere.
    func headerLines(now: Int64, glyphs: Glyphs, width: Int) -> [[Span]] {
        var out: [[Span]] = []
        var first: [Span] = [
            Span("severity ", .muted), Span(alert.severity.rawValue, AlertFormat.role(alert.severity), [.bold]),
            Span("  state ", .muted), Span(alert.state, AlertFormat.stateRole(alert.state), [.bold]),
        ]
        if alert.flapping { first.append(Span(" (flapping)", .warning)) }
        if let v = alert.value { first += [Span("  value ", .muted), Span(Format.number(v))] }
        first += [Span("  rule ", .muted), Span(alert.rule), Span("  source ", .muted), Span(alert.source)]
        out.append(first)

        var times: [Span] = [Span("active since ", .muted), Span("\(Format.clock(alert.activeSince)) (\(Format.age(now - alert.activeSince)) ago)")]
        if let f = alert.firedAt { times += [Span("  fired ", .muted), Span("\(Format.clock(f)) (\(Format.age(now - f)) ago)")] }
        if let r = alert.resolvedAt { times += [Span("  resolved ", .muted), Span("\(Format.clock(r)) (\(Format.age(now - r)) ago)", .ok)] }
        out.append(times)

        var ack: [Span] = [Span("ack ", .muted)]
        if let who = alert.ackedBy {
            ack.append(Span("acked by \(who)", .ok))
            if let at = alert.ackedAt { ack.append(Span(" \(Format.age(now - at)) ago", .muted)) }
            if let note = alert.ackNote, !note.isEmpty { ack.append(Span(": \(note)")) }
        } else {
            ack.append(Span("not acknowledged", alert.isActive ? .warning : .muted))
        }
        ack += [Span("  assignee ", .muted), Span(alert.assignee ?? "none", alert.assignee == nil ? .muted : .text)]
        if let why = alert.mutedBy, alert.isActive { ack += [Span("  muted ", .muted), Span(why, .warning)] }
        out.append(ack)

        out.append([Span("labels ", .muted), Span(alert.labels.isEmpty ? "none" : Format.labels(alert.labels))])
        for key in ["summary", "description", "runbook"] {
            if let text = alert.annotations[key], !text.isEmpty { out.append([Span("\(key) ", .muted), Span(text)]) }
        }
        for (key, text) in alert.annotations.sorted(by: { $0.key < $1.key })
        where !["summary", "description", "runbook"].contains(key) && !text.isEmpty {
            out.append([Span("\(key) ", .muted), Span(text)])
        }
        if let url = alert.generatorURL, !url.isEmpty { out.append([Span("source url ", .muted), Span(url)]) }
        if let line = neighbours { out.append(line) }

        if let metric = alert.metric, let m = metricPoints, !m.points.isEmpty {
            let sparkWidth = max(10, min(60, width - 50))
            // Braille draws two values per cell.
            let perCell = glyphs.isUnicode ? 2 : 1
            let slots = VigilCore.Sparkline.slots(m.points, from: m.from, to: m.to, count: sparkWidth * perCell)
            let percent = metric.hasSuffix("_percent")
            let series = alert.seriesLabels.isEmpty ? "" : "{" + Format.labels(alert.seriesLabels) + "}"
            // Where the alert became active, as a column of the sparkline.
            let activeAt = Int(Double(alert.activeSince - m.from) / Double(max(1, m.to - m.from)) * Double(sparkWidth))
            let label = "\(metric)\(series) "
            out.append([
                Span(label, .muted),
                Span(Sparkline.render(slots, width: sparkWidth, unicode: glyphs.isUnicode, range: percent ? 0...100 : nil), .sparkline),
                Span(" " + (m.points.last.map { percent ? Format.percent($0.value) + "%" : String(format: "%.4g", $0.value) } ?? "-")),
                Span("  \(Format.clock(m.from))–\(Format.clock(m.to))", .muted),
            ])
            // A marker under the column where the alert became active.
            let column = label.count + max(0, min(sparkWidth - 1, activeAt))
            out.append([Span(String(repeating: " ", count: column)), Span(glyphs.isUnicode ? "▲" : "^", AlertFormat.role(alert.severity)),
                        Span(" \(alert.state == "pending" ? "pending" : "active") since \(Format.clock(alert.activeSince))", .muted)])
        }
        if let h = host {
            // 30 slots of history: 15 braille cells, 30 ASCII ones.
            let sparkWidth = glyphs.isUnicode ? 15 : max(8, min(30, (width - 40) / 2))
            let unicode = glyphs.isUnicode
            out.append([
                Span("\(h.name) cpu ", .muted),
                Span(Sparkline.render(h.cpuHistory, width: sparkWidth, unicode: unicode, range: 0...100), .sparkline),
                Span(" " + Format.percent(h.cpu) + (h.cpu == nil ? "" : "%")),
                Span("   mem ", .muted),
                Span(Sparkline.render(h.memoryHistory, width: sparkWidth, unicode: unicode, range: 0...100), .sparkline),
                Span(" " + Format.percent(h.memory) + (h.memory == nil ? "" : "%")),
                Span("  (last 30m)", .muted),
            ])
        }
        if let past = pastIncidents, let summary = IncidentMemory.summary(past, now: now) {
            out.append([Span("seen before ", .muted), Span(summary, .info)])
            for i in past.prefix(2) {
                var line = "  \(Format.age(now - i.resolvedAt)) ago · \(i.rule) on \(i.host ?? "?") · lasted \(Format.age(i.durationMs))"
                if let rb = i.runbook { line += " · \(rb) \(i.outcome ?? "")" }
                if !i.diagnosis.isEmpty { line += " · \(i.diagnosis)" } else if let note = i.notes.split(separator: "\n").last { line += " · \(note)" }
                out.append([Span(line, .muted)])
            }
        }
        if !similar.isEmpty {
            let names = similar.prefix(8).map { "\($0.host ?? "?") (\($0.state))" }.joined(separator: ", ")
            out.append([Span("also on ", .muted), Span(names + (similar.count > 8 ? " +\(similar.count - 8) more" : ""))])
        }
        out.append([Span("fingerprint \(alert.fingerprint)", .muted)])
        if let lastError { out.append([Span("refresh failed: \(lastError)", .error)]) }
        return out
    }

    /// `09:41:12  3m ago  acked by alice: looking into it`.
    static func timelineSpans(_ e: AlertTimelineEntry, now: Int64) -> [Span] {
        let detail = e.detail.isEmpty ? "" : ": " + e.detail
        let (text, role): (String, Role) = switch e.kind {
        case "pending": ("pending" + detail, .warning)
        case "firing": ("firing" + detail, .critical)
        case "resolved": ("resolved" + detail, .ok)
        case "cleared": ("cleared" + detail, .muted)
        case "flapping_started": ("started flapping" + detail, .warning)
        case "flapping_stopped": ("stopped flapping" + detail, .muted)
        case "ack": ("acked by \(e.actor)" + detail, .ok)
        case "unack": ("unacked by \(e.actor)" + detail, .warning)
        case "note": ("note by \(e.actor)" + detail, .text)
        case "assign": (e.detail.isEmpty ? "unassigned by \(e.actor)" : "assigned to \(e.detail) by \(e.actor)", .text)
        case "manual_resolve": ("resolved by \(e.actor)" + detail, .ok)
        default: ("\(e.kind) by \(e.actor)" + detail, .text)
        }
        return [Span(Format.clock(e.ts), .muted), Span("  " + TextWidth.fit(Format.age(now - e.ts), to: 4, alignRight: true) + " ago  ", .muted),
                Span(text, role)]
    }
}
