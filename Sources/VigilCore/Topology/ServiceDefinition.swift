/// A service an operator names in `topology.yaml`: the hosts it runs on (a list, a label selector, or both), the
/// checks that say whether it works, and who owns it.
public struct ServiceDefinition: Sendable, Equatable {
    public var name: String
    public var hosts: [String] = []
    /// Hosts whose labels (and `host`, their name) pass every matcher belong to it too.
    public var match: [LabelMatcher] = []
    /// Check names; empty: the checks named like the service.
    public var checks: [String] = []
    public var owner: String?
    /// A runbook to reach for, or a hint.
    public var runbook: String?
    public var group: String?

    public init(name: String) {
        self.name = name
    }

    /// Whether `host` belongs to the service.
    public func includes(_ host: HostSummary) -> Bool {
        if hosts.contains(host.name) { return true }
        guard !match.isEmpty else { return false }
        return match.allMatch { $0 == "host" ? host.name : host.labels[$0] }
    }
}
