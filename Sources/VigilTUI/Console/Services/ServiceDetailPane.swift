import VigilCore
import VigilTheme
import VigilWire

/// One service: owner, runbook and group; its hosts; its checks' last results; its firing alerts; what its hosts need
/// and what needs them. `Enter` opens the selected host.
final class ServiceDetailPane: Pane {
    let service: ServiceSummary
    let graph: TopologyGraph
    private var selected = 0

    init(service: ServiceSummary, graph: TopologyGraph) {
        self.service = service
        self.graph = graph
    }

    var title: String { service.name }
    var knownHosts: [String] { service.hosts }

    var keyMap: KeyMap {
        let section = "Service"
        return KeyMap([
            KeyAction([.char("j"), .down], "next host", section: section, shownInHints: false) { [self] in
                selected = min(selected + 1, max(0, service.hosts.count - 1))
                return .redraw
            },
            KeyAction([.char("k"), .up], "previous host", section: section, shownInHints: false) { [self] in
                selected = max(0, selected - 1)
                return .redraw
            },
            KeyAction([.enter], "open host", section: section) { [self] in
                guard service.hosts.indices.contains(selected) else { return .message("\(service.name) has no hosts", isError: false) }
                return .push(HostDetailPane(name: service.hosts[selected]))
            },
        ])
    }

    /// The lines: about, hosts (one per line, the selected marked), checks, alerts, neighbours.
    func lines(glyphs: Glyphs) -> [[Span]] {
        var out: [[Span]] = []
        var about: [Span] = [Span("status ", .muted), Span(service.status.rawValue, ServicesPane.statusRole(service.status), [.bold]),
                             Span("  from ", .muted), Span(service.origin.rawValue)]
        if let d = service.definition {
            if let o = d.owner { about += [Span("  owner ", .muted), Span(o)] }
            if let g = d.group { about += [Span("  group ", .muted), Span(g)] }
            if let r = d.runbook { about += [Span("  runbook ", .muted), Span(r)] }
        }
        about += [Span("  uptime 24h ", .muted), Span(SLAReport.percent(service.tally.availability))]
        out.append(about)
        out.append([])
        out.append([Span("HOSTS (\(service.hostsUp)/\(service.hosts.count) up)", .header, [.bold])])
        if service.hosts.isEmpty { out.append([Span("  none: not a monitored host (a link's end) or its checks run nowhere yet", .muted)]) }
        for (i, h) in service.hosts.enumerated() {
            out.append([Span(i == selected ? glyphs.selectionMarker + " " : "  ", .selection), Span(h, i == selected ? .selection : .text)])
        }
        out.append([])
        out.append([Span("CHECKS", .header, [.bold]), Span("  \(service.failing) of \(service.results) failing now", service.failing > 0 ? .critical : .muted)])
        out.append([Span("  " + (service.checks.isEmpty ? "none" : service.checks.joined(separator: ", ")))])
        if !service.missingChecks.isEmpty {
            out.append([Span("  no result in 24h: " + service.missingChecks.joined(separator: ", ") + " (check the names in topology.yaml)", .warning)])
        }
        if !service.sla.isEmpty {
            out.append([])
            out.append([Span("OBJECTIVES", .header, [.bold]), Span("  (:sla, Enter, for every violation)", .muted)])
            for s in service.sla {
                var objective = "\(ErrorBudget.percentText(s.budget.objective)) \(s.sli.rawValue)"
                if s.sli == .latency, let l = s.objective.latency { objective += " <\(ServiceObjective.Latency.text(ms: l.thresholdMs))" }
                out.append([Span("  " + objective + " over \(DurationText.short(ms: s.objective.window)): ", .muted),
                            Span(SLAReport.percent(s.budget.tally.availability), s.budget.isMet == false ? .critical : .ok),
                            Span("  budget left ", .muted), Span(SLAPane.budgetText(s.budget), SLAPane.budgetRole(s.budget)),
                            Span("  burn 1h ", .muted), Span(SLAPane.burnText(s.burn1h), SLAPane.burnRole(s.burn1h)),
                            Span("  \(s.violations.count) violation\(s.violations.count == 1 ? "" : "s")", s.openViolation != nil ? .critical : .muted)])
                for v in s.violations.prefix(3) {
                    let end = v.end.map { LogsFormat.dateTime($0) } ?? "going on"
                    out.append([Span("    \(LogsFormat.dateTime(v.start)) – \(end)", v.end == nil ? .critical : .text),
                                Span("  spent \(String(format: "%.1f%%", v.budgetSpent * 100)) of the budget", .muted)])
                }
            }
        }
        out.append([])
        out.append([Span("ALERTS", .header, [.bold])])
        out.append([Span("  " + (service.alerts.isEmpty ? "none firing" : service.alerts.joined(separator: ", ")),
                         service.alerts.isEmpty ? .muted : ServicesPane.statusRole(.degraded))])
        out.append([])
        let members = Set(service.hosts + [service.name])
        let needs = Set(graph.links.filter { members.contains($0.from) && !members.contains($0.to) }.map(\.to)).sorted()
        let neededBy = Set(graph.links.filter { members.contains($0.to) && !members.contains($0.from) }.map(\.from)).sorted()
        out.append([Span("NEIGHBOURS", .header, [.bold])])
        out.append([Span("  needs: ", .muted), Span(needs.isEmpty ? "nothing known" : needs.joined(separator: ", "))])
        out.append([Span("  needed by: ", .muted), Span(neededBy.isEmpty ? "nothing known" : neededBy.joined(separator: ", "))])
        return out
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 3 else { return }
        canvas.box(rect, title: "Service · \(service.name)", role: context.focused ? .borderFocus : .border)
        let inner = rect.inset(1)
        for (i, line) in lines(glyphs: context.glyphs).prefix(inner.height).enumerated() {
            canvas.put(line, x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 2)
        }
    }
}
