/// A named list of rules evaluated together, like a Prometheus rule group.
public struct RuleGroup: Sendable, Equatable {
    public var name: String
    /// Milliseconds between evaluations of the group's time-based conditions; nil = the engine's default.
    public var interval: Int64?
    public var rules: [AlertRule]

    public init(name: String, interval: Int64? = nil, rules: [AlertRule]) {
        self.name = name
        self.interval = interval
        self.rules = rules
    }
}
