/// A comparison between a measured value and a rule's threshold.
public enum ComparisonOp: String, Sendable, CaseIterable {
    case greater = ">"
    case greaterOrEqual = ">="
    case less = "<"
    case lessOrEqual = "<="
    case equal = "=="
    case notEqual = "!="

    /// `value OP threshold`.
    public func compare(_ value: Double, _ threshold: Double) -> Bool {
        switch self {
        case .greater: value > threshold
        case .greaterOrEqual: value >= threshold
        case .less: value < threshold
        case .lessOrEqual: value <= threshold
        case .equal: value == threshold
        case .notEqual: value != threshold
        }
    }
}

/// How a threshold rule reduces a series' points within its window to one value.
public enum Aggregation: String, Sendable, CaseIterable {
    case last, avg, max, min

    /// The aggregate of `values` (in time order), nil when there are none.
    public func apply(_ values: [Double]) -> Double? {
        guard let lastValue = values.last else { return nil }
        switch self {
        case .last: return lastValue
        case .avg: return values.reduce(0, +) / Double(values.count)
        case .max: return values.max()
        case .min: return values.min()
        }
    }
}
