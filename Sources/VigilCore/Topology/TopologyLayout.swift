/// A node's box on the character grid: top-left corner and size, in cells.
public struct TopologyBox: Sendable, Equatable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// One past the right column.
    public var maxX: Int { x + width }
    /// One past the bottom row.
    public var maxY: Int { y + height }
    public var centerX: Int { x + width / 2 }
    public var centerY: Int { y + height / 2 }

    /// Whether the boxes share a cell, or come closer than `margin` cells.
    public func intersects(_ o: TopologyBox, margin: Int = 0) -> Bool {
        x < o.maxX + margin && o.x < maxX + margin && y < o.maxY + margin && o.y < maxY + margin
    }

    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }
}

/// A cell position on the layout's grid (a pin).
public struct TopologyPoint: Sendable, Equatable, Hashable, Codable {
    public var x: Int
    public var y: Int

    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}

/// The two layouts of the Topology pane (`t` toggles).
public enum TopologyLayoutKind: String, Sendable, CaseIterable, Codable {
    /// Fruchterman–Reingold from a fixed spiral start, snapped to a grid of slots: related nodes end up close.
    case force
    /// Layers by dependency direction (a node above what it needs), crossings reduced by barycenter sweeps.
    case layered

    public var toggled: TopologyLayoutKind { self == .force ? .layered : .force }
}

/// Where every node of a graph goes: boxes that never overlap, on a grid whose origin is (0, 0). Deterministic: the
/// same graph, kind and pins give the same boxes. Pinned nodes keep their place; the others move out of their way.
public struct TopologyLayout: Sendable, Equatable {
    public var kind: TopologyLayoutKind
    /// Node id → box.
    public var boxes: [String: TopologyBox]
    /// The extent of the boxes (one past the right-most column and bottom row).
    public var width: Int
    public var height: Int

    public static let boxHeight = 3
    public static let minBoxWidth = 7
    public static let maxBoxWidth = 24
    /// Columns between boxes in a layer, rows between layers (three: leave, turn, arrive).
    public static let gapX = 3
    public static let gapY = 3

    /// A box wide enough for the label and a border with a space either side (at most `maxBoxWidth`).
    public static func boxWidth(_ label: String) -> Int { min(maxBoxWidth, max(minBoxWidth, label.count + 4)) }

    public init(kind: TopologyLayoutKind, boxes: [String: TopologyBox]) {
        self.kind = kind
        self.boxes = boxes
        width = boxes.values.map(\.maxX).max() ?? 0
        height = boxes.values.map(\.maxY).max() ?? 0
    }

    public static func make(_ graph: TopologyGraph, kind: TopologyLayoutKind, pins: [String: TopologyPoint] = [:]) -> TopologyLayout {
        let boxes: [TopologyBox]
        switch kind {
        case .layered: boxes = LayeredLayout.place(graph)
        case .force: boxes = ForceLayout.place(graph)
        }
        var out: [String: TopologyBox] = [:]
        for (i, n) in graph.nodes.enumerated() { out[n.id] = boxes[i] }
        return TopologyLayout(kind: kind, boxes: applying(pins, to: out, order: graph.nodes.map(\.id)))
    }

    /// Boxes of `widths` in rows from `top`, as wide as `atLeast` or a square's side (at least 40 columns).
    static func rows(_ widths: [Int], top: Int, atLeast: Int) -> [TopologyBox] {
        guard !widths.isEmpty else { return [] }
        let side = Int(Double(widths.count).squareRoot().rounded(.up)) * (widths.max()! + gapX) * 2
        let limit = max(atLeast, side, 40)
        var out: [TopologyBox] = []
        var x = 0, y = top
        for w in widths {
            if x > 0, x + w > limit {
                x = 0
                y += boxHeight + gapY
            }
            out.append(TopologyBox(x: x, y: y, width: w, height: boxHeight))
            x += w + gapX
        }
        return out
    }

    /// Pinned boxes go where their pins say; an unpinned box that would touch one moves down (then right) to the
    /// nearest free place. Boxes never end up overlapping.
    static func applying(_ pins: [String: TopologyPoint], to boxes: [String: TopologyBox], order: [String]) -> [String: TopologyBox] {
        let pinned = order.filter { pins[$0] != nil && boxes[$0] != nil }
        guard !pinned.isEmpty else { return boxes }
        var out = boxes
        var placed: [TopologyBox] = []
        for id in pinned {
            var b = out[id]!
            b.x = max(0, pins[id]!.x)
            b.y = max(0, pins[id]!.y)
            // Two pins on one place: the later one moves.
            b = free(b, among: placed)
            out[id] = b
            placed.append(b)
        }
        let pinnedSet = Set(pinned)
        for id in order where !pinnedSet.contains(id) {
            guard let b = out[id] else { continue }
            let moved = free(b, among: placed)
            out[id] = moved
            placed.append(moved)
        }
        return out
    }

    /// `b`, or the nearest place below or to the right of it that keeps a cell clear of every box in `placed`.
    static func free(_ b: TopologyBox, among placed: [TopologyBox]) -> TopologyBox {
        guard placed.contains(where: { $0.intersects(b, margin: 1) }) else { return b }
        let stepY = boxHeight + gapY
        for ring in 1...10_000 {
            for (dx, dy) in [(0, ring * stepY), (ring * (b.width + gapX), 0), (ring * (b.width + gapX), ring * stepY)] {
                var c = b
                c.x += dx
                c.y += dy
                if !placed.contains(where: { $0.intersects(c, margin: 1) }) { return c }
            }
        }
        return b
    }
}
