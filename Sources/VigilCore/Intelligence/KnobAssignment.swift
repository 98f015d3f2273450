/// One `name=value` of `--set`, which changes a constant of the anomaly detector or a knob of the log miner for the
/// benchmarks' cross-validation (the engine always uses the defaults). The errors name what is wrong.
public struct KnobAssignment: Sendable {
    public let name: String
    public let text: String

    public init(_ assignment: String) throws(KnobError) {
        let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw KnobError(description: "'\(assignment)' is not name=value") }
        name = parts[0]
        text = parts[1]
    }

    public func int(_ range: ClosedRange<Int>) throws(KnobError) -> Int {
        guard let v = Int(text), range.contains(v) else {
            throw KnobError(description: "\(name): '\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    public func number(_ range: ClosedRange<Double>) throws(KnobError) -> Double {
        guard let v = Double(text), range.contains(v) else {
            throw KnobError(description: "\(name): '\(text)' is not a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    /// The error for a name that is none of `names`.
    public func unknown(_ names: [String]) -> KnobError {
        KnobError(description: "unknown name '\(name)' (expected one of \(names.joined(separator: ", ")))")
    }
}

public struct KnobError: Error, CustomStringConvertible {
    public let description: String
}
