/// A least-squares straight line through time-stamped points.
public struct LinearFit: Sendable, Equatable {
    /// Value units per millisecond.
    public var slope: Double
    /// The mean time of the points (Unix ms) and the line's value there.
    public var meanTime: Double
    public var meanValue: Double

    /// The fitted line; nil for fewer than two points, or when all points share one timestamp.
    public init?(_ points: [SeriesPoint]) {
        guard points.count >= 2 else { return nil }
        let n = Double(points.count)
        // Centre on the first timestamp before averaging: Unix ms squared would lose precision.
        let t0 = points[0].ts
        let meanT = points.reduce(0.0) { $0 + Double($1.ts - t0) } / n
        let meanV = points.reduce(0.0) { $0 + $1.value } / n
        var sxx = 0.0
        var sxy = 0.0
        for p in points {
            let dt = Double(p.ts - t0) - meanT
            sxx += dt * dt
            sxy += dt * (p.value - meanV)
        }
        guard sxx > 0 else { return nil }
        slope = sxy / sxx
        meanTime = Double(t0) + meanT
        meanValue = meanV
    }

    /// The line's value at `ts` (Unix ms).
    public func value(at ts: Int64) -> Double {
        meanValue + slope * (Double(ts) - meanTime)
    }

    /// When the line reaches `value` (Unix ms, possibly in the past); nil when it is flat.
    public func time(reaching value: Double) -> Double? {
        guard slope != 0 else { return nil }
        return meanTime + (value - meanValue) / slope
    }
}
