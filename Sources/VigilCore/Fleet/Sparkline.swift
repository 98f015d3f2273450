/// Bucketing of points into evenly spaced slots, the shape sparklines draw.
public enum Sparkline {
    /// Averages `points` (sorted by time) into `count` equal slots over `[from, to]`; empty slots are nil.
    public static func slots(_ points: [SeriesPoint], from: Int64, to: Int64, count: Int) -> [Double?] {
        guard count > 0, to > from else { return [] }
        var sums = [Double](repeating: 0, count: count)
        var ns = [Int](repeating: 0, count: count)
        let span = Double(to - from)
        for p in points where p.ts >= from && p.ts <= to {
            let i = min(count - 1, Int(Double(p.ts - from) / span * Double(count)))
            sums[i] += p.value
            ns[i] += 1
        }
        return (0..<count).map { ns[$0] == 0 ? nil : sums[$0] / Double(ns[$0]) }
    }

    /// Per slot of the same layout as `slots`: whether a point in it reaches `threshold` (anomaly marks).
    public static func marks(_ points: [SeriesPoint], from: Int64, to: Int64, count: Int, atLeast threshold: Double) -> [Bool] {
        guard count > 0, to > from else { return [] }
        var out = [Bool](repeating: false, count: count)
        let span = Double(to - from)
        for p in points where p.ts >= from && p.ts <= to && p.value >= threshold {
            out[min(count - 1, Int(Double(p.ts - from) / span * Double(count)))] = true
        }
        return out
    }
}
