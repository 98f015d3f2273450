import VigilCore
import VigilTheme

/// The service topology (`:topology`, `T`): hosts and services as boxes coloured by their worst firing alert, links
/// as arrows from what needs to what is needed, the blast radius of every firing alert in red. Two layouts (`t`),
/// selection along the links (arrows, hjkl), zoom and pan, move-and-pin (`m`), isolate (`i`), alerts only (`a`),
/// find (`/`). Keys are in `TopologyPane+Keys`; what it shows is `TopologyModel`.
final class TopologyPane: Pane {
    var model: TopologyModel
    private(set) var hosts: [HostSummary]?
    private var firing: [StoredAlert] = []
    private(set) var snapshot: TopologySnapshot?
    private var lastError: String?
    /// Where pins are saved (nil: not saved, as in tests).
    let pinsPath: String?
    var pinsError: String?
    private var filter = ""

    init(pins: TopologyPins = TopologyPins(), pinsPath: String? = nil, kind: TopologyLayoutKind? = nil) {
        model = TopologyModel(pins: pins)
        model.kind = kind ?? pins.layout ?? .layered
        self.pinsPath = pinsPath
    }

    var title: String { "topology" }
    var rowNoun: String { "node" }
    var filterText: String { filter }
    var knownHosts: [String] { hosts?.map(\.name) ?? [] }

    var pollInterest: PollInterest {
        var p = PollInterest()
        p.topology = true
        return p
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        filter = text
        return (model.find(text), model.visible.nodes.count)
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .fleet(let s):
            guard hosts != s.hosts else { return false }
            hosts = s.hosts
        case .alerts(let a):
            let f = a.active.filter { $0.state == "firing" }
            guard f != firing else { return false }
            firing = f
        case .topology(let s):
            guard s != snapshot else { return false }
            snapshot = s
            lastError = nil
        case .topologyError(let text):
            lastError = text
            return true
        default:
            return false
        }
        rebuild()
        return true
    }

    func rebuild() {
        guard let hosts, let snapshot else { return }
        model.setGraph(TopologyGraph.build(hosts: hosts, firing: firing, configured: snapshot.configured, discovered: snapshot.discovered,
                                           accepted: snapshot.accepted))
        if !filter.isEmpty { model.marking(filter) }
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 6 else { return }
        let (top, rest) = rect.splitTop(1)
        let (body, bottom) = rest.splitBottom(2)
        renderHeader(into: &canvas, top, context: context)
        var title = "Topology · \(model.kind == .force ? "force" : "layered")"
        if model.alertsOnly { title += " · alerts only" }
        if let i = model.isolate { title += " · around \(i)" }
        if model.view.moving != nil { title += " · MOVING: arrows move, Enter or m to drop" }
        canvas.box(body, title: title, role: context.focused ? .borderFocus : .border)
        let inner = body.inset(1)
        let waiting = (hosts == nil || snapshot == nil) && model.full.nodes.isEmpty
        if let lastError, waiting {
            canvas.put(lastError, x: inner.x + 1, y: inner.y, role: .error, maxWidth: inner.width - 2)
        } else if waiting {
            canvas.put("reading the topology…", x: inner.x + 1, y: inner.y, role: .muted, maxWidth: inner.width - 2)
        } else if model.visible.nodes.isEmpty {
            let why = model.alertsOnly ? "no node has a firing alert (a shows everything)"
                : "no hosts yet: start an agent (deploy/agent.example.yaml); links come from topology.yaml, agents' connections and accepted suggestions"
            canvas.put(why, x: inner.x + 1, y: inner.y, role: .muted, maxWidth: inner.width - 2)
        } else {
            if model.needsScroll { model.scrollIntoView(width: inner.width, height: inner.height) }
            TopologyRenderer.draw(model.visible, layout: model.layout, view: model.view, into: &canvas, in: inner)
        }
        renderSelection(into: &canvas, bottom, context: context)
    }

    private func renderHeader(into canvas: inout Canvas, _ r: Rect, context: RenderContext) {
        let g = model.visible
        let sources = Set(g.links.flatMap(\.sources))
        var parts = ["\(g.nodes.count) node\(g.nodes.count == 1 ? "" : "s")", "\(g.links.count) link\(g.links.count == 1 ? "" : "s")"]
        if !sources.isEmpty { parts.append("from " + sources.sorted().map(\.rawValue).joined(separator: ", ")) }
        let folded = model.visible.nodes.filter { $0.kind == .group }.count
        if folded > 0 { parts.append("\(folded) group\(folded == 1 ? "" : "s") folded (Enter opens)") }
        if !model.view.radius.isEmpty {
            parts.append("blast radius: \(model.view.radius.count) node\(model.view.radius.count == 1 ? "" : "s")")
        }
        parts.append("zoom \(Int(model.view.zoom * 100))%")
        if let e = snapshot?.configError { parts.append("topology.yaml: \(e)") }
        if let e = pinsError { parts.append(e) }
        if let e = lastError, hosts != nil { parts.append(e) }
        let warn = snapshot?.configError != nil || pinsError != nil || lastError != nil
        canvas.put(parts.joined(separator: " · "), x: r.x + 1, y: r.y, role: warn ? .warning : .muted, maxWidth: r.width - 2)
    }

    /// The selected node's line: what it is, its alerts, what it needs and what needs it.
    private func renderSelection(into canvas: inout Canvas, _ r: Rect, context: RenderContext) {
        guard let n = model.selectedNode else { return }
        var spans = [Span(n.label, TopologyRenderer.role(of: n) == .ok ? .title : TopologyRenderer.role(of: n), [.bold])]
        switch n.kind {
        case .host: if let g = n.group { spans.append(Span(" · group \(g)", .muted)) }
        case .service: spans.append(Span(" · service", .muted))
        case .group: spans.append(Span(" · \(n.members.count) hosts, Enter opens", .muted))
        }
        if n.isDown { spans.append(Span(" · down", .critical)) }
        if !n.alerts.isEmpty { spans.append(Span(" · firing: " + n.alerts.prefix(3).joined(separator: ", "), TopologyRenderer.role(of: n))) }
        if model.view.pinned.contains(n.id) { spans.append(Span(" · pinned (u unpins)", .muted)) }
        canvas.put(spans, x: r.x + 1, y: r.y, maxWidth: r.width - 2)
        let g = model.visible
        // Short: the name and the port (or how it is linked); the full details are in `vigil topology links`.
        func short(_ l: TopologyLink, _ name: String) -> String {
            if let port = l.details.lazy.compactMap({ $0.split(separator: " ").first }).first(where: { $0.hasPrefix("tcp/") }) {
                return "\(name) \(port.hasSuffix(",") ? String(port.dropLast()) : String(port))"
            }
            return l.kind == .dependsOn ? name : "\(name) (\(l.kind.phrase))"
        }
        let needs = g.links.filter { $0.from == n.id }.map { short($0, $0.to) }
        let neededBy = g.links.filter { $0.to == n.id }.map(\.from)
        var line: [Span] = []
        line.append(Span("needs: ", .muted))
        line.append(Span(needs.isEmpty ? "nothing known" : needs.joined(separator: ", "), .text))
        line.append(Span(" · needed by: ", .muted))
        line.append(Span(neededBy.isEmpty ? "nothing known" : neededBy.joined(separator: ", "), .text))
        canvas.put(line, x: r.x + 1, y: r.y + 1, maxWidth: r.width - 2)
    }

    /// Saves the pins after a move or an unpin; a failure shows in the header, the pins stay for this session.
    func savePins() {
        guard let pinsPath else { return }
        do {
            try model.pins.save(path: pinsPath)
            pinsError = nil
        } catch {
            pinsError = "cannot save pins to \(pinsPath): \(error)"
        }
    }
}
