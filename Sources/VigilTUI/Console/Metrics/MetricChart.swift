import VigilTheme

/// A line chart drawn in braille (2×4 dots a cell) or, without UTF-8, with `*` a cell: pure, from points to cells.
/// Series are drawn in order, each in its role (a cell two series share takes the later one's); lines join
/// consecutive points of a series unless a gap of more than `maxGap` lies between them; thresholds are dashed rows.
struct MetricChart {
    struct Series {
        var role: Role
        /// (time, value), oldest first.
        var points: [(ts: Int64, value: Double)]
    }

    struct Cell: Equatable {
        var character: Character
        var role: Role
    }

    var from: Int64
    var to: Int64
    var low: Double
    var high: Double
    var width: Int
    var height: Int
    var unicode: Bool
    /// Points further apart than this are not joined (missing data shows as a gap).
    var maxGap: Int64

    /// The grid, `height` rows of `width` cells, top row first; nil cells are empty.
    func draw(_ series: [Series], thresholds: [(value: Double, role: Role)] = [], marks: [Int64] = []) -> [[Cell?]] {
        var grid = [[Cell?]](repeating: [Cell?](repeating: nil, count: width), count: height)
        guard width > 0, height > 0, to > from else { return grid }
        // Thresholds first, so the lines draw over them.
        for t in thresholds where t.value >= low && t.value <= high {
            let row = rowOf(t.value)
            for x in stride(from: 0, to: width, by: 2) { grid[row][x] = Cell(character: unicode ? "┄" : "-", role: t.role) }
        }
        let dotsX = width * (unicode ? 2 : 1)
        let dotsY = height * (unicode ? 4 : 1)
        var bits = [[UInt32]](repeating: [UInt32](repeating: 0, count: width), count: height)
        for s in series {
            var previous: (x: Int, y: Int, ts: Int64)?
            for p in s.points where p.value.isFinite && p.ts >= from && p.ts <= to {
                let x = min(dotsX - 1, Int(Double(p.ts - from) / Double(to - from) * Double(dotsX - 1) + 0.5))
                let y = dotY(p.value, dots: dotsY)
                var ys = [y]
                if let prev = previous, p.ts - prev.ts <= maxGap, prev.x <= x {
                    // Join: fill the dots between the two points' heights at this column.
                    ys = Array(min(prev.y, y)...max(prev.y, y))
                    if x - prev.x > 1 {
                        for mx in (prev.x + 1)..<x {
                            let f = Double(mx - prev.x) / Double(x - prev.x)
                            plot(mx, Int((Double(prev.y) + f * Double(y - prev.y)).rounded()), role: s.role, bits: &bits, grid: &grid)
                        }
                    }
                }
                for yy in ys { plot(x, yy, role: s.role, bits: &bits, grid: &grid) }
                previous = (x, y, p.ts)
            }
        }
        // Anomaly marks on the bottom row.
        for m in marks where m >= from && m <= to {
            let x = min(width - 1, Int(Double(m - from) / Double(to - from) * Double(width - 1) + 0.5))
            grid[height - 1][x] = Cell(character: unicode ? "▲" : "^", role: .critical)
        }
        return grid
    }

    /// Puts a drawn grid on `canvas` with its top-left cell at `rect`'s origin (empty cells left as they are).
    static func paint(_ grid: [[Cell?]], into canvas: inout Canvas, at rect: Rect) {
        for (y, row) in grid.enumerated() {
            for (x, cell) in row.enumerated() {
                if let cell { canvas.put(String(cell.character), x: rect.x + x, y: rect.y + y, role: cell.role) }
            }
        }
    }

    /// The dot row of `value`, 0 at the top.
    private func dotY(_ value: Double, dots: Int) -> Int {
        let span = high - low
        let f = span > 0 ? min(1, max(0, (value - low) / span)) : 0.5
        return dots - 1 - Int((f * Double(dots - 1)).rounded())
    }

    /// The cell row of `value`.
    func rowOf(_ value: Double) -> Int {
        dotY(value, dots: height * (unicode ? 4 : 1)) / (unicode ? 4 : 1)
    }

    private static let dot: [[UInt32]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]

    private func plot(_ x: Int, _ y: Int, role: Role, bits: inout [[UInt32]], grid: inout [[Cell?]]) {
        if unicode {
            let cx = x / 2, cy = y / 4
            guard cx >= 0, cx < width, cy >= 0, cy < height else { return }
            bits[cy][cx] |= Self.dot[y % 4][x % 2]
            grid[cy][cx] = Cell(character: Character(Unicode.Scalar(0x2800 + bits[cy][cx])!), role: role)
        } else {
            guard x >= 0, x < width, y >= 0, y < height else { return }
            grid[y][x] = Cell(character: "*", role: role)
        }
    }

    /// A low…high that includes every value and the thresholds, starting at 0 for data that never goes below it,
    /// ending at 100 for percentages that come near it, and padded when flat.
    static func range(of values: [Double], thresholds: [Double], percent: Bool) -> (low: Double, high: Double) {
        let all = (values + thresholds).filter(\.isFinite)
        guard var lo = all.min(), var hi = all.max() else { return (0, 1) }
        if lo >= 0 { lo = 0 }
        if percent && hi > 50 && hi <= 100 { hi = 100 }
        if hi - lo < 1e-9 { hi = lo + max(1, abs(lo) * 0.1) }
        return (lo, hi + (percent && hi == 100 ? 0 : (hi - lo) * 0.05))
    }
}
