/// The hierarchical layout (after Sugiyama): cycles broken by reversing the links a depth-first walk finds going back,
/// layers by longest path (a node sits above everything it links to), the order within layers by barycenter sweeps
/// that keep the ordering with the fewest crossings, and each node moved toward the middle of its neighbours above.
/// Nodes without links go in rows under the layers. Pure and deterministic.
enum LayeredLayout {
    static let sweeps = 8

    /// One box per node of `graph`, in the order of `graph.nodes`.
    static func place(_ graph: TopologyGraph) -> [TopologyBox] {
        let n = graph.nodes.count
        guard n > 0 else { return [] }
        let widths = graph.nodes.map { TopologyLayout.boxWidth($0.label) }
        let edges = acyclicEdges(graph)
        var linked = [Bool](repeating: false, count: n)
        for (u, v) in edges {
            linked[u] = true
            linked[v] = true
        }
        let layerOf = layers(n: n, edges: edges, linked: linked)
        let layerCount = (layerOf.max() ?? -1) + 1
        var order = initialOrder(n: n, edges: edges, layerOf: layerOf, layerCount: layerCount, linked: linked)
        order = reduceCrossings(order, edges: edges, layerOf: layerOf)

        var boxes = [TopologyBox](repeating: TopologyBox(x: 0, y: 0, width: 0, height: 0), count: n)
        let rowHeight = TopologyLayout.boxHeight + TopologyLayout.gapY
        var preds = [[Int]](repeating: [], count: n)
        for (u, v) in edges { preds[v].append(u) }
        var succs = [[Int]](repeating: [], count: n)
        for (u, v) in edges { succs[u].append(v) }
        // Packed left, then sweeps: each node toward the mean centre of its parents (down) or children (up), the
        // layer placed as close to those wishes as order and gaps allow (least squares, `place(_:desired:)`).
        var xs = [Int](repeating: 0, count: n)
        for layer in order {
            var right = 0
            for v in layer {
                xs[v] = right
                right += widths[v] + TopologyLayout.gapX
            }
        }
        for sweep in 0..<4 {
            let down = sweep % 2 == 0
            let layers = down ? Array(order) : order.reversed()
            for layer in layers {
                let desired = layer.map { v -> Double in
                    let ns = down ? preds[v] : succs[v]
                    guard !ns.isEmpty else { return Double(xs[v]) }
                    let centre = Double(ns.reduce(0) { $0 + xs[$1] * 2 + widths[$1] }) / Double(2 * ns.count)
                    return centre - Double(widths[v]) / 2
                }
                let placed = place(layer.map { widths[$0] }, desired: desired)
                for (i, v) in layer.enumerated() { xs[v] = placed[i] }
            }
        }
        let minX = xs.enumerated().filter { linked[$0.offset] }.map(\.element).min() ?? 0
        for v in 0..<n { xs[v] -= minX }
        var bottom = 0
        for (l, layer) in order.enumerated() {
            for v in layer {
                boxes[v] = TopologyBox(x: xs[v], y: l * rowHeight, width: widths[v], height: TopologyLayout.boxHeight)
                bottom = max(bottom, boxes[v].maxY)
            }
        }
        // Nodes with no link: rows under the layers.
        let loose = (0..<n).filter { !linked[$0] }
        let widest = boxes.enumerated().filter { linked[$0.offset] }.map(\.element.maxX).max() ?? 0
        let rows = TopologyLayout.rows(loose.map { widths[$0] }, top: loose.count < n ? bottom + TopologyLayout.gapY : 0, atLeast: widest)
        for (i, v) in loose.enumerated() { boxes[v] = rows[i] }
        return boxes
    }

    /// Left edges for boxes of `widths` in this order, at least `gapX` apart, as near `desired` as possible (least
    /// squares: pool-adjacent-violators on the wishes less each box's packed offset).
    static func place(_ widths: [Int], desired: [Double]) -> [Int] {
        var offsets: [Int] = []
        var run = 0
        for w in widths {
            offsets.append(run)
            run += w + TopologyLayout.gapX
        }
        // Blocks of (sum, count) whose mean must not decrease from left to right.
        var blocks: [(sum: Double, count: Int)] = []
        for (i, d) in desired.enumerated() {
            blocks.append((d - Double(offsets[i]), 1))
            while blocks.count > 1, blocks[blocks.count - 2].sum / Double(blocks[blocks.count - 2].count) > blocks[blocks.count - 1].sum / Double(blocks[blocks.count - 1].count) {
                let last = blocks.removeLast()
                blocks[blocks.count - 1].sum += last.sum
                blocks[blocks.count - 1].count += last.count
            }
        }
        var out: [Int] = []
        var previous = Int.min
        for b in blocks {
            let y = Int((b.sum / Double(b.count)).rounded())
            for _ in 0..<b.count {
                // Rounding keeps the order: never left of the one before.
                let i = out.count
                let x = max(y + offsets[i], previous == Int.min ? Int.min : previous)
                out.append(x)
                previous = x + widths[i] + TopologyLayout.gapX
            }
        }
        return out
    }

    /// The links as index pairs, with those that close a cycle (found going back in a depth-first walk from each
    /// node in id order) reversed, so that the result has no cycle.
    static func acyclicEdges(_ graph: TopologyGraph) -> [(Int, Int)] {
        let n = graph.nodes.count
        var out = [[Int]](repeating: [], count: n)
        for l in graph.links {
            guard let u = graph.index[l.from], let v = graph.index[l.to] else { continue }
            out[u].append(v)
        }
        var state = [UInt8](repeating: 0, count: n)  // 0 new, 1 on the stack, 2 done
        var result: [(Int, Int)] = []
        for root in 0..<n where state[root] == 0 {
            var stack: [(node: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            while !stack.isEmpty {
                let (u, i) = stack[stack.count - 1]
                if i < out[u].count {
                    stack[stack.count - 1].next += 1
                    let v = out[u][i]
                    switch state[v] {
                    case 0:
                        result.append((u, v))
                        state[v] = 1
                        stack.append((v, 0))
                    case 1: result.append((v, u))  // back: reversed
                    default: result.append((u, v))
                    }
                } else {
                    state[u] = 2
                    stack.removeLast()
                }
            }
        }
        return result
    }

    /// Longest-path layering: a node's layer is one more than its deepest parent's; then a node nothing links to
    /// moves down to just above the highest of what it links to (a replica of the database sits above the database,
    /// not at the top of the picture with a long line down). Unlinked nodes get -1.
    static func layers(n: Int, edges: [(Int, Int)], linked: [Bool]) -> [Int] {
        var indegree = [Int](repeating: 0, count: n)
        var out = [[Int]](repeating: [], count: n)
        for (u, v) in edges {
            out[u].append(v)
            indegree[v] += 1
        }
        var layer = [Int](repeating: -1, count: n)
        var queue = (0..<n).filter { linked[$0] && indegree[$0] == 0 }
        for v in queue { layer[v] = 0 }
        var head = 0
        while head < queue.count {
            let u = queue[head]
            head += 1
            for v in out[u] {
                layer[v] = max(layer[v], layer[u] + 1)
                indegree[v] -= 1
                if indegree[v] == 0 { queue.append(v) }
            }
        }
        var hasParent = [Bool](repeating: false, count: n)
        for (_, v) in edges { hasParent[v] = true }
        for (u, next) in out.enumerated() where !next.isEmpty && !hasParent[u] {
            layer[u] = next.map { layer[$0] }.min()! - 1
        }
        return layer
    }

    /// Each layer in the order a breadth-first walk from the nodes nothing links to (in id order) meets its nodes.
    static func initialOrder(n: Int, edges: [(Int, Int)], layerOf: [Int], layerCount: Int, linked: [Bool]) -> [[Int]] {
        var out = [[Int]](repeating: [], count: n)
        for (u, v) in edges { out[u].append(v) }
        var seen = [Bool](repeating: false, count: n)
        var order = [[Int]](repeating: [], count: layerCount)
        var queue: [Int] = []
        var hasParent = [Bool](repeating: false, count: n)
        for (_, v) in edges { hasParent[v] = true }
        for v in 0..<n where linked[v] && !hasParent[v] {
            seen[v] = true
            queue.append(v)
        }
        var head = 0
        while head < queue.count {
            let u = queue[head]
            head += 1
            order[layerOf[u]].append(u)
            for v in out[u] where !seen[v] {
                seen[v] = true
                queue.append(v)
            }
        }
        return order
    }

    /// Barycenter sweeps down and up; the ordering with the fewest crossings seen is kept.
    static func reduceCrossings(_ start: [[Int]], edges: [(Int, Int)], layerOf: [Int]) -> [[Int]] {
        let n = layerOf.count
        var up = [[Int]](repeating: [], count: n)    // neighbours in layers above
        var down = [[Int]](repeating: [], count: n)  // neighbours in layers below
        for (u, v) in edges {
            down[u].append(v)
            up[v].append(u)
        }
        var order = start
        var position = [Double](repeating: 0, count: n)
        func index() {
            for layer in order {
                let scale = 1.0 / Double(max(1, layer.count))
                for (i, v) in layer.enumerated() { position[v] = (Double(i) + 0.5) * scale }
            }
        }
        index()
        var best = order
        var bestCrossings = crossings(order, down: down, layerOf: layerOf)
        for sweep in 0..<sweeps where bestCrossings > 0 {
            let downward = sweep % 2 == 0
            let layers = downward ? Array(order.indices.dropFirst()) : Array(order.indices.dropLast().reversed())
            for l in layers {
                let keyed = order[l].enumerated().map { i, v -> (Double, Int, Int) in
                    let ns = downward ? up[v] : down[v]
                    let key = ns.isEmpty ? position[v] : ns.reduce(0.0) { $0 + position[$1] } / Double(ns.count)
                    return (key, i, v)
                }
                order[l] = keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
                let scale = 1.0 / Double(max(1, order[l].count))
                for (i, v) in order[l].enumerated() { position[v] = (Double(i) + 0.5) * scale }
            }
            let c = crossings(order, down: down, layerOf: layerOf)
            if c < bestCrossings {
                bestCrossings = c
                best = order
            }
        }
        return best
    }

    /// Crossings between the links of adjacent layers (links that skip layers are counted by their ends' order).
    static func crossings(_ order: [[Int]], down: [[Int]], layerOf: [Int]) -> Int {
        var pos = [Int](repeating: 0, count: layerOf.count)
        for layer in order { for (i, v) in layer.enumerated() { pos[v] = i } }
        var total = 0
        for l in order.indices {
            // Links leaving layer l, as (position here, position of the other end, its layer), sorted.
            var pairs: [(Int, Int)] = []
            for u in order[l] { for v in down[u] { pairs.append((pos[u], layerOf[v] * 100_000 + pos[v])) } }
            guard pairs.count > 1 else { continue }
            pairs.sort { $0 < $1 }
            // Inversions of the far ends: each is a crossing.
            for i in pairs.indices {
                for j in (i + 1)..<pairs.count where pairs[j].0 > pairs[i].0 && pairs[j].1 < pairs[i].1 { total += 1 }
            }
        }
        return total
    }
}
