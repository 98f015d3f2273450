import Foundation
import VigilCore

/// What the Topology pane shows and where: the fleet's graph, narrowed by the view's modes (alerts only, isolate the
/// selection, groups folded), laid out by the chosen layout with the user's pins, plus the selection and the blast
/// radius. A plain struct: every change is a method, the pane only draws it and maps keys to it.
struct TopologyModel {
    /// More hosts than this and the graph opens with every group folded into one node (Enter opens one).
    static let collapseAbove = 40

    private(set) var full = TopologyGraph(nodes: [], links: [])
    private(set) var visible = TopologyGraph(nodes: [], links: [])
    private(set) var layout = TopologyLayout(kind: .force, boxes: [:])
    var kind: TopologyLayoutKind = .layered
    var pins: TopologyPins
    /// Groups folded into one node.
    private(set) var collapsed: Set<String> = []
    private var decidedCollapse = false
    /// Only this node and its neighbours (`i`).
    private(set) var isolate: String?
    /// Only nodes with firing alerts (`a`).
    private(set) var alertsOnly = false
    var view = TopologyView()
    /// The selection moved: the pane scrolls it into view at the next frame.
    var needsScroll = true
    private var structure: [String] = []

    init(pins: TopologyPins = TopologyPins()) {
        self.pins = pins
    }

    var selectedNode: TopologyNode? { view.selected.flatMap { visible.node($0) } }

    /// New data: the graph is rebuilt; the layout only when nodes or links changed (colours change in place).
    mutating func setGraph(_ g: TopologyGraph) {
        // The fleet arrives every 2 s with new figures but, most rounds, the same graph.
        guard g != full else { return }
        full = g
        if !decidedCollapse, !g.nodes.isEmpty {
            decidedCollapse = true
            if g.nodes.filter({ $0.kind == .host }).count > Self.collapseAbove { collapsed = Set(g.groups.map(\.name)) }
        }
        recompute()
    }

    mutating func recompute(forceLayout: Bool = false) {
        var g = full
        if alertsOnly { g = g.subgraph { $0.severity != nil || $0.isDown } }
        g = g.collapsing(groups: collapsed)
        if let isolate {
            if g.node(isolate) != nil { g = g.isolated(around: isolate) } else { self.isolate = nil }
        }
        visible = g
        let key = g.nodes.map { $0.id + "\u{1E}" + $0.label } + ["\u{1D}"] + g.links.map { $0.from + "\u{1F}" + $0.to } + [kind.rawValue]
        if forceLayout || key != structure || layout.kind != kind {
            structure = key
            layout = TopologyLayout.make(g, kind: kind, pins: pins.points(kind))
        }
        let radius = g.blastRadius()
        view.radius = radius.nodes
        view.radiusLinks = Set(radius.links.map(TopologyRenderer.linkKey))
        view.pinned = Set(pins.points(kind).keys).intersection(g.nodes.map(\.id))
        if view.selected.map({ g.node($0) == nil }) ?? true {
            // Keep the selection on the group a folded host went into, else the worst node, else the first.
            let folded = view.selected.flatMap { s in full.node(s)?.group.map { "group:" + $0 } }.flatMap { g.node($0)?.id }
            view.selected = folded ?? g.nodes.max { ($0.severity?.rank ?? -1, $1.id) < ($1.severity?.rank ?? -1, $0.id) }?.id
            needsScroll = true
        }
    }

    // MARK: modes

    mutating func toggleLayout() {
        kind = kind.toggled
        pins.layout = kind
        view.panX = 0
        view.panY = 0
        needsScroll = true
        recompute()
    }

    mutating func toggleAlertsOnly() {
        alertsOnly.toggle()
        recompute()
    }

    /// Isolates the selection and its neighbours, or shows everything again.
    mutating func toggleIsolate() {
        isolate = isolate == nil ? view.selected : nil
        needsScroll = true
        recompute()
    }

    /// Opens a folded group (its hosts come back, the first selected). Returns whether it was one.
    mutating func expand(_ id: String) -> Bool {
        guard let n = visible.node(id), n.kind == .group, let g = n.group else { return false }
        collapsed.remove(g)
        view.selected = n.members.sorted().first
        needsScroll = true
        recompute()
        return true
    }

    /// Every group open (the benchmark draws every node).
    mutating func expandAll() {
        decidedCollapse = true
        collapsed = []
        recompute()
    }

    /// Folds the selected host's group back into one node.
    mutating func collapseSelection() -> Bool {
        guard let n = selectedNode, n.kind == .host, let g = n.group else { return false }
        collapsed.insert(g)
        view.selected = "group:" + g
        recompute()
        return true
    }

    // MARK: selection

    /// Moves the selection to the linked node nearest in `direction`, else to any node that way. Returns whether it moved.
    mutating func select(toward direction: TopologyDirection) -> Bool {
        guard let s = view.selected, let from = layout.boxes[s] else {
            view.selected = visible.nodes.first?.id
            return view.selected != nil
        }
        func score(_ id: String) -> Int? {
            guard id != s, let b = layout.boxes[id] else { return nil }
            let dx = b.centerX - from.centerX, dy = (b.centerY - from.centerY) * 2  // rows are twice as tall
            let (along, across): (Int, Int)
            switch direction {
            case .up: (along, across) = (-dy, abs(dx))
            case .down: (along, across) = (dy, abs(dx))
            case .left: (along, across) = (-dx, abs(dy))
            case .right: (along, across) = (dx, abs(dy))
            }
            guard along > 0, across <= along else { return nil }
            return along + across * 2
        }
        func nearest(_ ids: [String]) -> String? {
            var best: (Int, String)?
            for id in ids {
                guard let sc = score(id) else { continue }
                if best.map({ (sc, id) < $0 }) ?? true { best = (sc, id) }
            }
            return best?.1
        }
        guard let id = nearest(visible.neighbours(of: s)) ?? nearest(visible.nodes.map(\.id)) else { return false }
        view.selected = id
        needsScroll = true
        return true
    }

    /// Selects the next node whose name contains `text` (after the selection), marking every match. Returns the matches.
    @discardableResult
    mutating func find(_ text: String) -> Int {
        let needle = text.lowercased()
        guard !needle.isEmpty else {
            view.found = []
            return 0
        }
        let matches = marking(text)
        if let next = matches.first(where: { $0 > (view.selected ?? "") }) ?? matches.first {
            view.selected = next
            needsScroll = true
        }
        return matches.count
    }

    /// Marks the nodes whose name (or a folded member's) contains `text`; returns them in id order.
    @discardableResult
    mutating func marking(_ text: String) -> [String] {
        let needle = text.lowercased()
        let matches = needle.isEmpty ? []
            : visible.nodes.filter { $0.label.lowercased().contains(needle) || $0.members.contains { $0.lowercased().contains(needle) } }.map(\.id)
        view.found = Set(matches)
        return matches
    }

    // MARK: moving and pins

    /// Moves the node being moved by (dx, dy) cells of the layout and pins it there.
    mutating func nudge(dx: Int, dy: Int) {
        guard let id = view.moving, var b = layout.boxes[id] else { return }
        b.x = max(0, b.x + dx)
        b.y = max(0, b.y + dy)
        // Not onto another box.
        if layout.boxes.contains(where: { $0.key != id && $0.value.intersects(b, margin: 1) }) {
            // Jump over it: keep going the same way until free, at most a screen away.
            for step in 2...80 {
                var c = layout.boxes[id]!
                c.x = max(0, c.x + dx * step)
                c.y = max(0, c.y + dy * step)
                if !layout.boxes.contains(where: { $0.key != id && $0.value.intersects(c, margin: 1) }) {
                    b = c
                    break
                }
            }
            if layout.boxes.contains(where: { $0.key != id && $0.value.intersects(b, margin: 1) }) { return }
        }
        layout.boxes[id] = b
        pins.set(id, TopologyPoint(x: b.x, y: b.y), kind: kind)
        view.pinned.insert(id)
        needsScroll = true
    }

    mutating func startMoving() -> Bool {
        guard let s = view.selected, layout.boxes[s] != nil else { return false }
        view.moving = s
        return true
    }

    mutating func stopMoving() { view.moving = nil }

    /// Unpins the selection: it goes back where the layout puts it.
    mutating func unpin() -> Bool {
        guard let s = view.selected, pins.remove(s, kind: kind) else { return false }
        recompute(forceLayout: true)
        return true
    }

    // MARK: view

    mutating func zoom(_ step: Int) -> Bool {
        let next = min(TopologyView.zooms.count - 1, max(0, view.zoomIndex + step))
        guard next != view.zoomIndex else { return false }
        view.zoomIndex = next
        needsScroll = true
        return true
    }

    mutating func pan(dx: Int, dy: Int) {
        view.panX += dx
        view.panY += dy
    }

    /// Pans so that the selection (or the node being moved) is inside a `width` × `height` view, with a margin.
    mutating func scrollIntoView(width: Int, height: Int) {
        needsScroll = false
        guard let id = view.moving ?? view.selected, let b = layout.boxes[id] else { return }
        var v = view
        v.panX = 0
        v.panY = 0
        let s = v.screenBox(b)
        if s.x - view.panX < 0 { view.panX = s.x - 1 }
        if s.maxX - view.panX > width { view.panX = s.maxX - width + 1 }
        if s.y - view.panY < 0 { view.panY = s.y }
        if s.maxY - view.panY > height { view.panY = s.maxY - height }
    }
}

/// Where the user pinned nodes, per layout, kept in `~/.local/state/vigil/topology-pins.json` (per user: the file
/// is the user's own).
struct TopologyPins: Codable, Equatable {
    var force: [String: TopologyPoint] = [:]
    var layered: [String: TopologyPoint] = [:]
    /// The layout last chosen (`t`), kept with the pins.
    var layout: TopologyLayoutKind?

    func points(_ kind: TopologyLayoutKind) -> [String: TopologyPoint] { kind == .force ? force : layered }

    mutating func set(_ id: String, _ p: TopologyPoint, kind: TopologyLayoutKind) {
        if kind == .force { force[id] = p } else { layered[id] = p }
    }

    mutating func remove(_ id: String, kind: TopologyLayoutKind) -> Bool {
        kind == .force ? force.removeValue(forKey: id) != nil : layered.removeValue(forKey: id) != nil
    }

    /// `$XDG_STATE_HOME/vigil/topology-pins.json`, or `~/.local/state/vigil/topology-pins.json`.
    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        return base + "/vigil/topology-pins.json"
    }

    /// The pins in `path`; none when there is no file. A file that does not parse is an error naming it.
    static func load(path: String) throws -> TopologyPins {
        guard let data = FileManager.default.contents(atPath: path) else { return TopologyPins() }
        do {
            return try JSONDecoder().decode(TopologyPins.self, from: data)
        } catch {
            throw ConsoleError("cannot read the topology pins in \(path): \(error) (delete the file to start again)")
        }
    }

    /// Writes the pins atomically, creating the directory.
    func save(path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
