/// Which way a line runs into its last cell (where the arrowhead goes).
public enum TopologyDirection: Sendable, Equatable {
    case up, down, left, right
}

/// The cells a route passes, as corners: from the cell next to the source box to the cell next to the target box,
/// where the arrowhead goes. Every step between two corners is straight (same row or same column).
public struct TopologyRoute: Sendable, Equatable {
    public var points: [TopologyPoint]
    /// The direction of the last segment (the arrowhead's).
    public var arrow: TopologyDirection
    /// Which way the route leaves the source box (the first cell is next to that side of it).
    public var leave: TopologyDirection
    /// Cells inside boxes the route could not avoid.
    public var blocked: Int
}

extension TopologyRoute {
    func leaving(_ d: TopologyDirection) -> TopologyRoute {
        var r = self
        r.leave = d
        return r
    }
}

/// Which cells of an area boxes cover, for routing. Cells outside the area count as free.
public struct TopologyObstacles: Sendable {
    public let x: Int
    public let y: Int
    public let width: Int
    public let height: Int
    private var covered: [Bool]

    /// `boxes` over the area at (x, y) of `width` × `height`.
    public init(x: Int, y: Int, width: Int, height: Int, boxes: some Sequence<TopologyBox>) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
        covered = [Bool](repeating: false, count: self.width * self.height)
        for b in boxes {
            let x0 = max(b.x, x), x1 = min(b.maxX, x + self.width)
            let y0 = max(b.y, y), y1 = min(b.maxY, y + self.height)
            guard x0 < x1, y0 < y1 else { continue }
            for row in y0..<y1 {
                let base = (row - y) * self.width - x
                for col in x0..<x1 { covered[base + col] = true }
            }
        }
    }

    @inline(__always)
    public func isCovered(_ px: Int, _ py: Int) -> Bool {
        let cx = px - x, cy = py - y
        guard cx >= 0, cy >= 0, cx < width, cy < height else { return false }
        return covered[cy * width + cx]
    }
}

/// Orthogonal routes between boxes: out of the side facing the target, in at the side facing the source, with at most
/// four bends, choosing among candidate turning rows and columns the route that enters the fewest box cells, then the
/// shortest, then the one with fewer bends. Deterministic; pure.
public enum TopologyRouter {
    /// Candidate turning columns (or rows) tried per route, nearest the middle first.
    static let maxDetours = 16

    public static func route(from a: TopologyBox, to b: TopologyBox, obstacles: TopologyObstacles) -> TopologyRoute? {
        if b.y >= a.maxY + 1 {
            return vertical(TopologyPoint(x: a.centerX, y: a.maxY), TopologyPoint(x: b.centerX, y: b.y - 1), arrow: .down, a, b, obstacles)
                .leaving(.down)
        }
        if b.maxY <= a.y - 1 {
            return vertical(TopologyPoint(x: a.centerX, y: a.y - 1), TopologyPoint(x: b.centerX, y: b.maxY), arrow: .up, a, b, obstacles)
                .leaving(.up)
        }
        if b.x >= a.maxX + 1 {
            return horizontal(TopologyPoint(x: a.maxX, y: a.centerY), TopologyPoint(x: b.x - 1, y: b.centerY), arrow: .right, a, b, obstacles)
                .leaving(.right)
        }
        if b.maxX <= a.x - 1 {
            return horizontal(TopologyPoint(x: a.x - 1, y: a.centerY), TopologyPoint(x: b.maxX, y: b.centerY), arrow: .left, a, b, obstacles)
                .leaving(.left)
        }
        return nil  // touching boxes: nothing to draw between them
    }

    private static func vertical(_ s: TopologyPoint, _ e: TopologyPoint, arrow: TopologyDirection, _ a: TopologyBox, _ b: TopologyBox,
                                 _ o: TopologyObstacles) -> TopologyRoute {
        var candidates: [[TopologyPoint]] = []
        // Down, across at a row between, down again.
        for r in stride(from: s.y, through: e.y, by: s.y <= e.y ? 1 : -1) {
            candidates.append([s, TopologyPoint(x: s.x, y: r), TopologyPoint(x: e.x, y: r), e])
        }
        // Across under the source, down a free column, across over the target.
        for c in detourColumns(s, e, a, b, o) {
            candidates.append([s, TopologyPoint(x: c, y: s.y), TopologyPoint(x: c, y: e.y), e])
        }
        return best(candidates, arrow: arrow, o)
    }

    private static func horizontal(_ s: TopologyPoint, _ e: TopologyPoint, arrow: TopologyDirection, _ a: TopologyBox, _ b: TopologyBox,
                                   _ o: TopologyObstacles) -> TopologyRoute {
        var candidates: [[TopologyPoint]] = []
        for c in stride(from: s.x, through: e.x, by: s.x <= e.x ? 1 : -1) {
            candidates.append([s, TopologyPoint(x: c, y: s.y), TopologyPoint(x: c, y: e.y), e])
        }
        // Around: over or under both boxes.
        for r in [min(a.y, b.y) - 1, max(a.maxY, b.maxY)] {
            candidates.append([s, TopologyPoint(x: s.x, y: r), TopologyPoint(x: e.x, y: r), e])
        }
        return best(candidates, arrow: arrow, o)
    }

    /// Columns beside the boxes the straight way would cross, and beside the two ends, nearest the middle first.
    private static func detourColumns(_ s: TopologyPoint, _ e: TopologyPoint, _ a: TopologyBox, _ b: TopologyBox, _ o: TopologyObstacles) -> [Int] {
        var columns = Set([a.x - 2, a.maxX + 1, b.x - 2, b.maxX + 1])
        let lo = min(s.y, e.y), hi = max(s.y, e.y)
        // Edges of covered runs along the rows in between, at the ends' columns.
        for x in [s.x, e.x] {
            for y in lo...hi where o.isCovered(x, y) {
                var left = x, right = x
                while o.isCovered(left, y) { left -= 1 }
                while o.isCovered(right, y) { right += 1 }
                columns.insert(left - 1)
                columns.insert(right + 1)
                if columns.count > maxDetours * 2 { break }
            }
        }
        let middle = (s.x + e.x) / 2
        return columns.sorted { (abs($0 - middle), $0) < (abs($1 - middle), $1) }.prefix(maxDetours).map { $0 }
    }

    private static func best(_ candidates: [[TopologyPoint]], arrow: TopologyDirection, _ o: TopologyObstacles) -> TopologyRoute {
        var bestScore = Int.max
        var bestPoints = candidates[0]
        var bestBlocked = 0
        for raw in candidates {
            let points = simplified(raw)
            let (blocked, length) = measure(points, o, stopAbove: bestScore)
            let score = blocked * 10_000 + length + (points.count - 2) * 2
            if score < bestScore {
                bestScore = score
                bestPoints = points
                bestBlocked = blocked
            }
        }
        return TopologyRoute(points: bestPoints, arrow: arrow, leave: arrow, blocked: bestBlocked)
    }

    /// Without repeated corners and corners in the middle of a straight run.
    static func simplified(_ points: [TopologyPoint]) -> [TopologyPoint] {
        var out: [TopologyPoint] = []
        for p in points where out.last != p {
            if out.count >= 2 {
                let a = out[out.count - 2], b = out[out.count - 1]
                if (a.x == b.x && b.x == p.x) || (a.y == b.y && b.y == p.y) { out.removeLast() }
            }
            out.append(p)
        }
        return out
    }

    /// Covered cells entered and cells passed, stopping early once the score cannot beat `stopAbove`.
    private static func measure(_ points: [TopologyPoint], _ o: TopologyObstacles, stopAbove: Int) -> (blocked: Int, length: Int) {
        var blocked = 0, length = 1
        if o.isCovered(points[0].x, points[0].y) { blocked += 1 }
        for i in 1..<points.count {
            let p = points[i - 1], q = points[i]
            let sx = (q.x - p.x).signum(), sy = (q.y - p.y).signum()
            var x = p.x, y = p.y
            while x != q.x || y != q.y {
                x += sx
                y += sy
                length += 1
                if o.isCovered(x, y) {
                    blocked += 1
                    if blocked * 10_000 > stopAbove { return (blocked, length) }
                }
            }
        }
        return (blocked, length)
    }
}
