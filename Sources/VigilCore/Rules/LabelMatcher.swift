/// A matcher on one label: `host`, a series label (`mount`, `device`, …) or a host label (`role`, `env`, …).
///
/// A label that is absent reads as the empty string, as in Prometheus: `role: "!=db"` matches a host
/// without a `role` label, `role: "=~.+"` requires one.
public struct LabelMatcher: Sendable, Equatable, CustomStringConvertible {
    /// The label name.
    public let label: String
    public let matcher: StringMatcher

    public init(label: String, matcher: StringMatcher) {
        self.label = label
        self.matcher = matcher
    }

    /// Whether the label's value (looked up with `value`, nil when absent) passes.
    public func matches(_ value: (String) -> String?) -> Bool {
        matcher.matches(value(label) ?? "")
    }

    /// `label=~value`.
    public var description: String { label + matcher.description }
}

extension Array where Element == LabelMatcher {
    /// Whether every matcher passes (an empty list passes everything).
    public func allMatch(_ value: (String) -> String?) -> Bool {
        allSatisfy { $0.matches(value) }
    }
}
