import Foundation

/// The force-directed layout (Fruchterman–Reingold): nodes start on a golden-angle spiral in id order (no random
/// numbers, so the same graph gives the same picture), linked nodes attract, all nodes repel (past 300 nodes only
/// those within two edge lengths, found through a grid), a weak pull to the centre keeps unlinked parts near, and the
/// temperature falls linearly. The result is snapped to a grid of slots, most-linked nodes first, each to the
/// nearest free slot: boxes never overlap and line up for the edges between them. Pure.
enum ForceLayout {
    /// All pairs repel up to this many nodes; beyond, only near ones (grid cells of two edge lengths).
    static let allPairsUpTo = 300

    static func iterations(_ n: Int) -> Int { n <= 100 ? 300 : n <= 300 ? 150 : 80 }

    /// One box per node of `graph`, in the order of `graph.nodes`.
    static func place(_ graph: TopologyGraph) -> [TopologyBox] {
        let n = graph.nodes.count
        guard n > 0 else { return [] }
        var edges: [(Int, Int)] = []
        var degree = [Int](repeating: 0, count: n)
        for l in graph.links {
            guard let u = graph.index[l.from], let v = graph.index[l.to] else { continue }
            edges.append((u, v))
            degree[u] += 1
            degree[v] += 1
        }
        let widths = graph.nodes.map { TopologyLayout.boxWidth($0.label) }
        // Only linked nodes feel the forces (an unlinked one would drift to the edge of the picture); the others go in
        // rows under it, as in the layered layout.
        let linked = (0..<n).filter { degree[$0] > 0 }
        var boxes = [TopologyBox](repeating: TopologyBox(x: 0, y: 0, width: 0, height: 0), count: n)
        var bottom = 0, widest = 0
        if !linked.isEmpty {
            var local = [Int](repeating: -1, count: n)
            for (i, v) in linked.enumerated() { local[v] = i }
            let (px, py) = positions(n: linked.count, edges: edges.map { (local[$0.0], local[$0.1]) })
            let placed = snap(px: px, py: py, degree: linked.map { degree[$0] }, widths: linked.map { widths[$0] })
            for (i, v) in linked.enumerated() {
                boxes[v] = placed[i]
                bottom = max(bottom, placed[i].maxY)
                widest = max(widest, placed[i].maxX)
            }
        }
        let loose = (0..<n).filter { degree[$0] == 0 }
        let rows = TopologyLayout.rows(loose.map { widths[$0] }, top: linked.isEmpty ? 0 : bottom + TopologyLayout.gapY, atLeast: widest)
        for (i, v) in loose.enumerated() { boxes[v] = rows[i] }
        return boxes
    }

    /// Positions with an ideal edge length of 1.
    static func positions(n: Int, edges: [(Int, Int)]) -> ([Double], [Double]) {
        var x = [Double](repeating: 0, count: n)
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let r = (Double(i) + 0.5).squareRoot()
            let a = Double(i) * 2.399963229728653
            x[i] = r * cos(a)
            y[i] = r * sin(a)
        }
        guard n > 1 else { return (x, y) }
        let rounds = iterations(n)
        var dx = [Double](repeating: 0, count: n)
        var dy = [Double](repeating: 0, count: n)
        let startTemperature = max(1.0, Double(n).squareRoot() / 2)
        let cutoff = 2.0
        for round in 0..<rounds {
            for i in 0..<n {
                dx[i] = -0.05 * x[i]
                dy[i] = -0.05 * y[i]
            }
            if n <= allPairsUpTo {
                for i in 0..<n {
                    for j in (i + 1)..<n { repel(i, j, &x, &y, &dx, &dy) }
                }
            } else {
                // Grid of cutoff-sized cells; each pair of nodes in neighbouring cells repels.
                var cells: [Int64: [Int]] = [:]
                func key(_ cx: Int, _ cy: Int) -> Int64 { Int64(cx) << 32 | Int64(UInt32(bitPattern: Int32(cy))) }
                for i in 0..<n { cells[key(Int((x[i] / cutoff).rounded(.down)), Int((y[i] / cutoff).rounded(.down))), default: []].append(i) }
                for i in 0..<n {
                    let cx = Int((x[i] / cutoff).rounded(.down)), cy = Int((y[i] / cutoff).rounded(.down))
                    for ox in -1...1 {
                        for oy in -1...1 {
                            for j in cells[key(cx + ox, cy + oy)] ?? [] where j > i { repel(i, j, &x, &y, &dx, &dy) }
                        }
                    }
                }
            }
            for (u, v) in edges {
                let ex = x[u] - x[v], ey = y[u] - y[v]
                let d = max(0.01, (ex * ex + ey * ey).squareRoot())
                let f = d  // d² / k with k = 1, divided by d for the unit vector
                dx[u] -= ex * f
                dy[u] -= ey * f
                dx[v] += ex * f
                dy[v] += ey * f
            }
            let t = startTemperature * (1 - Double(round) / Double(rounds)) + 0.01
            for i in 0..<n {
                let d = max(0.0001, (dx[i] * dx[i] + dy[i] * dy[i]).squareRoot())
                let step = min(d, t)
                x[i] += dx[i] / d * step
                y[i] += dy[i] / d * step
            }
        }
        return (x, y)
    }

    @inline(__always)
    static func repel(_ i: Int, _ j: Int, _ x: inout [Double], _ y: inout [Double], _ dx: inout [Double], _ dy: inout [Double]) {
        var ex = x[i] - x[j], ey = y[i] - y[j]
        var d2 = ex * ex + ey * ey
        if d2 < 0.0001 {
            // Two nodes on one point: push apart along a direction fixed by their indices.
            ex = 0.01 * Double((i * 7 + j * 13) % 5 + 1)
            ey = 0.01 * Double((i * 11 + j * 3) % 5 - 2)
            d2 = ex * ex + ey * ey
        }
        let f = 1 / d2  // k² / d, divided by d for the unit vector
        dx[i] += ex * f
        dy[i] += ey * f
        dx[j] -= ex * f
        dy[j] -= ey * f
    }

    /// Positions onto slots as wide as the widest box plus a gap and as tall as a box plus three rows, scaled so the
    /// grid has about 1.5 slots per node; most-linked first, each to the nearest free slot.
    static func snap(px: [Double], py: [Double], degree: [Int], widths: [Int]) -> [TopologyBox] {
        let n = px.count
        let slotW = (widths.max() ?? TopologyLayout.minBoxWidth) + TopologyLayout.gapX
        let slotH = TopologyLayout.boxHeight + TopologyLayout.gapY
        let minX = px.min()!, maxX = px.max()!, minY = py.min()!, maxY = py.max()!
        let spanX = max(maxX - minX, 1), spanY = max(maxY - minY, 1)
        // Slots per unit of x (y takes cells twice as tall as wide into account): about 1.5 slots per node.
        let scale = (3 * Double(n) * Double(slotH) / (spanX * spanY * Double(slotW))).squareRoot()
        let cols = Int(spanX * scale) + 1
        var taken = Set<Int64>()
        func key(_ c: Int, _ r: Int) -> Int64 { Int64(c) << 32 | Int64(UInt32(bitPattern: Int32(r))) }
        var slot = [(Int, Int)](repeating: (0, 0), count: n)
        let byDegree = (0..<n).sorted { (degree[$0], -$0) > (degree[$1], -$1) }
        for i in byDegree {
            let c0 = Int(((px[i] - minX) * scale).rounded())
            let r0 = Int(((py[i] - minY) * scale * Double(slotW) / Double(slotH) / 2).rounded())
            var found: (Int, Int)?
            search: for ring in 0... {
                // The ring's slots, nearest first along each side, in a fixed order.
                var candidates: [(Int, Int)] = []
                if ring == 0 {
                    candidates = [(c0, r0)]
                } else {
                    for d in -ring...ring {
                        candidates.append((c0 + d, r0 - ring))
                        candidates.append((c0 + d, r0 + ring))
                        if abs(d) != ring {
                            candidates.append((c0 - ring, r0 + d))
                            candidates.append((c0 + ring, r0 + d))
                        }
                    }
                    candidates.sort { (abs($0.0 - c0) + abs($0.1 - r0), $0.1, $0.0) < (abs($1.0 - c0) + abs($1.1 - r0), $1.1, $1.0) }
                }
                for (c, r) in candidates where c >= 0 && r >= 0 && !taken.contains(key(c, r)) {
                    found = (c, r)
                    break search
                }
                if ring > cols + n { break }
            }
            let s = found ?? (0, n + i)
            taken.insert(key(s.0, s.1))
            slot[i] = s
        }
        // Drop empty columns and rows at the top-left (the picture starts at 0, 0).
        let c0 = slot.map(\.0).min()!, r0 = slot.map(\.1).min()!
        return (0..<n).map { i in
            let w = widths[i]
            return TopologyBox(x: (slot[i].0 - c0) * slotW + (slotW - TopologyLayout.gapX - w) / 2, y: (slot[i].1 - r0) * slotH,
                               width: w, height: TopologyLayout.boxHeight)
        }
    }
}
