extension TopologyGraph {
    /// The fleet's graph: a node per host (health from its firing alerts, down when it stopped reporting), a node per
    /// service or outside system a link names, and the links from every source merged: configured ones, discovered
    /// ones (`ConnectionLinker`), and accepted suggestions (`depends_on` suggestions become `depends_on` links;
    /// `monitors` and `same_group` ones are not dependencies and are left out).
    public static func build(hosts: [HostSummary], firing: [StoredAlert], configured: [TopologyLink], discovered: [TopologyLink],
                             accepted: [TopologyEdge]) -> TopologyGraph {
        var alertsByHost: [String: [StoredAlert]] = [:]
        for a in firing where a.state == "firing" {
            if let h = a.labels["host"] { alertsByHost[h, default: []].append(a) }
        }
        var nodes: [TopologyNode] = hosts.map { h in
            let alerts = (alertsByHost[h.name] ?? []).sorted { ($0.severity.rank, $1.rule) > ($1.severity.rank, $0.rule) }
            return TopologyNode(id: h.name, kind: .host, group: h.labels["group"].flatMap { $0.isEmpty ? nil : $0 },
                                severity: alerts.first?.severity, alerts: alerts.map(\.rule), isDown: h.status == .down)
        }
        var links = configured + discovered
        for e in accepted where e.state == .accepted && e.kind == .dependsOn {
            let what = [e.fromService, e.toService].filter { !$0.isEmpty }.joined(separator: " → ")
            links.append(TopologyLink(from: e.fromHost, to: e.toHost, kind: .dependsOn, sources: [.suggested],
                                      details: ["accepted suggestion #\(e.id)" + (what.isEmpty ? "" : " (\(what))")]))
        }
        let known = Set(nodes.map(\.id))
        var services = Set<String>()
        for l in links {
            for end in [l.from, l.to] where !known.contains(end) { services.insert(end) }
        }
        for s in services.sorted() {
            // A service's alerts: those labelled service=NAME.
            let alerts = firing.filter { $0.state == "firing" && $0.labels["service"] == s }
                .sorted { ($0.severity.rank, $1.rule) > ($1.severity.rank, $0.rule) }
            nodes.append(TopologyNode(id: s, kind: .service, severity: alerts.first?.severity, alerts: alerts.map(\.rule)))
        }
        return TopologyGraph(nodes: nodes, links: links)
    }
}
