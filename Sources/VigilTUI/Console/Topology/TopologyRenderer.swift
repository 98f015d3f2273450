import VigilCore
import VigilTheme

/// How the Topology pane looks at its layout: zoom, pan, what is selected and what stands out.
struct TopologyView: Equatable {
    static let zooms: [Double] = [0.5, 0.75, 1, 1.5, 2]

    var zoomIndex = 2
    /// Top-left corner of the view, in screen cells of the zoomed picture.
    var panX = 0
    var panY = 0
    var selected: String?
    /// Nodes and links drawn as the blast radius (nodes with firing alerts and what depends on them).
    var radius: Set<String> = []
    var radiusLinks: Set<String> = []
    /// Nodes `/` found.
    var found: Set<String> = []
    var pinned: Set<String> = []
    /// The node being moved (`m`).
    var moving: String?

    var zoom: Double { Self.zooms[zoomIndex] }

    /// A box of the layout on the screen, relative to the pane's top-left corner (may lie outside it).
    func screenBox(_ b: TopologyBox) -> TopologyBox {
        let z = zoom
        let x = Int((Double(b.x) * z).rounded()) - panX
        let y = Int((Double(b.y) * z).rounded()) - panY
        if z >= 1 { return TopologyBox(x: x, y: y, width: b.width, height: b.height) }
        return TopologyBox(x: x, y: y, width: max(3, Int((Double(b.width) * z).rounded())), height: 1)
    }
}

/// Draws a topology into a canvas: links first as orthogonal lines whose crossings and corners merge into box-drawing
/// junctions (`┼ ├ ┬ …`, `+` in ASCII) with an arrowhead at the target, then the boxes over them, each coloured by its
/// worst firing alert. Pure: layout, view and graph in, cells out.
enum TopologyRenderer {
    static let up: UInt8 = 1, down: UInt8 = 2, left: UInt8 = 4, right: UInt8 = 8

    static func linkKey(_ l: TopologyLink) -> String { l.from + "\u{1F}" + l.to }

    /// Draws `graph` laid out as `layout` into `rect` as seen through `view`. Returns how many links were drawn.
    @discardableResult
    static func draw(_ graph: TopologyGraph, layout: TopologyLayout, view: TopologyView, into canvas: inout Canvas, in rect: Rect) -> Int {
        guard rect.width > 2, rect.height > 2 else { return 0 }
        var boxes: [String: TopologyBox] = [:]
        for n in graph.nodes {
            guard let b = layout.boxes[n.id] else { continue }
            boxes[n.id] = view.screenBox(b)
        }
        let viewBox = TopologyBox(x: 0, y: 0, width: rect.width, height: rect.height)
        let obstacles = TopologyObstacles(x: 0, y: 0, width: rect.width, height: rect.height,
                                          boxes: boxes.values.filter { $0.intersects(viewBox, margin: 1) })
        var bits = [UInt8](repeating: 0, count: rect.width * rect.height)
        var roles = [Role?](repeating: nil, count: rect.width * rect.height)
        var arrows: [(x: Int, y: Int, TopologyDirection, Role)] = []
        var drawn = 0
        var ticks: [(TopologyPoint, TopologyDirection)] = []
        let selectedLinks = view.selected.map { s in Set(graph.links.filter { $0.from == s || $0.to == s }.map(linkKey)) } ?? []
        for l in graph.links {
            guard let a = boxes[l.from], let b = boxes[l.to] else { continue }
            // Only links that can show: the rectangle spanning both ends meets the view.
            let span = TopologyBox(x: min(a.x, b.x) - 2, y: min(a.y, b.y) - 2, width: max(a.maxX, b.maxX) - min(a.x, b.x) + 4,
                                   height: max(a.maxY, b.maxY) - min(a.y, b.y) + 4)
            guard span.intersects(viewBox), let route = TopologyRouter.route(from: a, to: b, obstacles: obstacles) else { continue }
            let key = linkKey(l)
            let role: Role = view.radiusLinks.contains(key) ? .critical : selectedLinks.contains(key) ? .title
                : l.sources == [.discovered] ? .muted : .border
            trace(route.points, leave: route.leave, role: role, width: rect.width, height: rect.height, bits: &bits, roles: &roles)
            if let last = route.points.last { arrows.append((last.x, last.y, route.arrow, role)) }
            ticks.append((route.points[0], route.leave))
            drawn += 1
        }
        let g = canvas.glyphs
        for y in 0..<rect.height {
            for x in 0..<rect.width {
                let i = y * rect.width + x
                guard bits[i] != 0 else { continue }
                canvas.put(String(glyph(bits[i], unicode: g.isUnicode)), x: rect.x + x, y: rect.y + y, role: roles[i] ?? .border)
            }
        }
        for (x, y, d, role) in arrows where x >= 0 && y >= 0 && x < rect.width && y < rect.height {
            canvas.put(arrow(d, unicode: g.isUnicode), x: rect.x + x, y: rect.y + y, role: role == .muted ? .border : role)
        }
        // Boxes over the lines.
        for n in graph.nodes {
            guard let b = boxes[n.id], b.intersects(viewBox) else { continue }
            drawBox(n, b, view: view, into: &canvas, in: rect)
        }
        // Where a line leaves a box, a tick on its border: ┬ under it, ┴ over it, ├ right of it, ┤ left of it.
        for (p, leave) in ticks {
            let (x, y, tick): (Int, Int, Character) = switch leave {
            case .down: (p.x, p.y - 1, g.isUnicode ? "┬" : "+")
            case .up: (p.x, p.y + 1, g.isUnicode ? "┴" : "+")
            case .right: (p.x - 1, p.y, g.isUnicode ? "├" : "+")
            case .left: (p.x + 1, p.y, g.isUnicode ? "┤" : "+")
            }
            guard x >= 0, y >= 0, x < rect.width, y < rect.height, boxes.values.contains(where: { $0.height >= 3 && $0.contains(x: x, y: y) }) else { continue }
            let cell = canvas[rect.x + x, rect.y + y]
            let heavy = "━┃=#".contains(cell.character)
            guard heavy || "─│-|".contains(cell.character) else { continue }
            let t: Character = heavy && g.isUnicode ? (tick == "┬" ? "┳" : tick == "┴" ? "┻" : tick == "├" ? "┣" : "┫") : heavy ? "#" : tick
            canvas.put(String(t), x: rect.x + x, y: rect.y + y, role: cell.role)
        }
        return drawn
    }

    /// Sets the line bits of every cell along `points` (the first cell also reaches back toward its box).
    static func trace(_ points: [TopologyPoint], leave: TopologyDirection, role: Role, width: Int, height: Int, bits: inout [UInt8], roles: inout [Role?]) {
        func mark(_ x: Int, _ y: Int, _ b: UInt8) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = y * width + x
            bits[i] |= b
            if let old = roles[i], rank(old) >= rank(role) { return }
            roles[i] = role
        }
        guard points.count >= 2 else { return }
        // The first cell connects back to the box it leaves.
        let p0 = points[0]
        switch leave {
        case .down: mark(p0.x, p0.y, up)
        case .up: mark(p0.x, p0.y, down)
        case .right: mark(p0.x, p0.y, left)
        case .left: mark(p0.x, p0.y, right)
        }
        for i in 1..<points.count {
            let p = points[i - 1], q = points[i]
            let sx = (q.x - p.x).signum(), sy = (q.y - p.y).signum()
            let forward: UInt8 = sx > 0 ? right : sx < 0 ? left : sy > 0 ? down : up
            let back: UInt8 = sx > 0 ? left : sx < 0 ? right : sy > 0 ? up : down
            var x = p.x, y = p.y
            while x != q.x || y != q.y {
                mark(x, y, forward)
                x += sx
                y += sy
                mark(x, y, back)
            }
        }
    }

    static func rank(_ r: Role) -> Int {
        switch r {
        case .critical: 3
        case .title: 2
        case .border: 1
        default: 0
        }
    }

    static func glyph(_ b: UInt8, unicode: Bool) -> Character {
        let vertical = b & (up | down) != 0, horizontal = b & (left | right) != 0
        guard unicode else { return vertical && horizontal ? "+" : vertical ? "|" : "-" }
        switch b {
        case up, down, up | down: return "│"
        case left, right, left | right: return "─"
        case down | right: return "┌"
        case down | left: return "┐"
        case up | right: return "└"
        case up | left: return "┘"
        case up | down | right: return "├"
        case up | down | left: return "┤"
        case down | left | right: return "┬"
        case up | left | right: return "┴"
        default: return "┼"
        }
    }

    static func arrow(_ d: TopologyDirection, unicode: Bool) -> String {
        switch d {
        case .down: unicode ? "▼" : "v"
        case .up: unicode ? "▲" : "^"
        case .right: unicode ? "▶" : ">"
        case .left: unicode ? "◀" : "<"
        }
    }

    static func role(of n: TopologyNode) -> Role {
        switch n.severity {
        case .critical?: .critical
        case .warning?: .warning
        case .info?: .info
        case nil: n.isDown ? .critical : .ok
        }
    }

    static func drawBox(_ n: TopologyNode, _ b: TopologyBox, view: TopologyView, into canvas: inout Canvas, in rect: Rect) {
        let g = canvas.glyphs
        let selected = view.selected == n.id
        let role = role(of: n)
        var label = n.label
        if n.kind == .group { label = (g.isUnicode ? "▸ " : "+ ") + label }
        if n.kind == .service { label = "(" + label + ")" }
        let x = rect.x + b.x, y = rect.y + b.y
        // Clip to the pane: a box half outside is drawn in the part that shows.
        var local = Canvas(width: b.width, height: b.height, glyphs: g)
        if b.height >= 3 {
            local.box(Rect(x: 0, y: 0, width: b.width, height: b.height), role: selected ? .borderFocus : role)
            if selected {
                // A heavy border: the selection shows without colour too.
                let (h, v, tl, tr, bl, br): (String, String, String, String, String, String) = g.isUnicode
                    ? ("━", "┃", "┏", "┓", "┗", "┛") : ("=", "#", "#", "#", "#", "#")
                for x in 1..<(b.width - 1) {
                    local.put(h, x: x, y: 0, role: .borderFocus)
                    local.put(h, x: x, y: b.height - 1, role: .borderFocus)
                }
                for y in 1..<(b.height - 1) {
                    local.put(v, x: 0, y: y, role: .borderFocus)
                    local.put(v, x: b.width - 1, y: y, role: .borderFocus)
                }
                local.put(tl, x: 0, y: 0, role: .borderFocus)
                local.put(tr, x: b.width - 1, y: 0, role: .borderFocus)
                local.put(bl, x: 0, y: b.height - 1, role: .borderFocus)
                local.put(br, x: b.width - 1, y: b.height - 1, role: .borderFocus)
            }
            let text = TextWidth.truncate(label, to: b.width - 2, ellipsis: g.ellipsis)
            let lx = 1 + max(0, (b.width - 2 - TextWidth.of(text)) / 2)
            local.put(text, x: lx, y: b.height / 2, role: selected ? .selection : role == .ok ? .text : role,
                      attributes: selected || n.severity != nil ? [.bold] : [])
            if view.pinned.contains(n.id) { local.put(g.isUnicode ? "•" : "*", x: b.width - 2, y: 0, role: .title) }
            if view.moving == n.id { local.put(g.isUnicode ? "✥" : "#", x: 1, y: 0, role: .title) }
        } else {
            let text = "[" + TextWidth.truncate(label, to: b.width - 2, ellipsis: g.ellipsis) + "]"
            local.put(text, x: 0, y: 0, role: selected ? .selection : role == .ok ? .text : role)
        }
        if view.found.contains(n.id), !selected { local.restyle(Rect(x: 0, y: 0, width: b.width, height: 1), role: .changed) }
        for ly in 0..<local.height {
            let cy = y + ly
            guard cy >= rect.y, cy < rect.maxY else { continue }
            for lx in 0..<local.width {
                let cx = x + lx
                guard cx >= rect.x, cx < rect.maxX else { continue }
                let cell = local[lx, ly]
                if cell.isContinuation { continue }
                canvas[cx, cy] = cell
            }
        }
    }
}
