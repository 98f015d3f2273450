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
    /// Its objectives (`slo:`), when it has some.
    public var objective: ServiceObjective?

    public init(name: String) {
        self.name = name
    }

    /// Whether `host` belongs to the service.
    public func includes(_ host: HostSummary) -> Bool {
        includes(host: host.name, labels: host.labels)
    }

    /// Whether the host named `host` with `labels` belongs to the service.
    public func includes(host: String, labels: [String: String]) -> Bool {
        if hosts.contains(host) { return true }
        guard !match.isEmpty else { return false }
        return match.allMatch { $0 == "host" ? host : labels[$0] }
    }

    /// The checks that say whether it works: those named, else the one named like the service.
    public var checkNames: [String] { checks.isEmpty ? [name] : checks }

    /// What decides which results count and how: a daily rollup made under another one is made again.
    public var sliFingerprint: String {
        let threshold = objective?.latency.map { "\($0.thresholdMs)" } ?? "-"
        return "hosts=\(hosts.sorted().joined(separator: ","));match=\(match.map(\.description).sorted().joined(separator: ","));"
            + "checks=\(checkNames.sorted().joined(separator: ","));latency<=\(threshold)"
    }
}
