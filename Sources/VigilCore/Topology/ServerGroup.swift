/// A server group `topology.yaml` names: an explicit list of hosts, a label selector, or both (`groups:`). A host's
/// groups are its `group` label's value and every group that takes it (`ServerGroup.groups(of:)`); the console
/// filters by them everywhere with `/group=NAME`.
///
/// ```yaml
/// groups:
///   - name: data
///     hosts: [db-1, db-2]
///     match: {role: =~db|cache}
/// ```
public struct ServerGroup: Sendable, Equatable {
    public var name: String
    public var hosts: [String] = []
    /// On `host` and host labels: every matcher must hold.
    public var match: [LabelMatcher] = []

    public init(name: String, hosts: [String] = [], match: [LabelMatcher] = []) {
        self.name = name
        self.hosts = hosts
        self.match = match
    }

    public func includes(host: String, labels: [String: String]) -> Bool {
        if hosts.contains(host) { return true }
        guard !match.isEmpty else { return false }
        return match.allMatch { $0 == "host" ? host : labels[$0] }
    }

    /// A host's groups: its `group` label's value first, then the defined groups that take it, each once.
    public static func groups(of host: String, labels: [String: String], in defined: [ServerGroup]) -> [String] {
        var out: [String] = []
        if let g = labels["group"], !g.isEmpty { out.append(g) }
        for d in defined where !out.contains(d.name) && d.includes(host: host, labels: labels) { out.append(d.name) }
        return out
    }

    /// Every host of `fleet` with its `groups` filled in.
    public static func assign(_ fleet: FleetSnapshot, _ defined: [ServerGroup]) -> FleetSnapshot {
        var out = fleet
        for i in out.hosts.indices { out.hosts[i].groups = groups(of: out.hosts[i].name, labels: out.hosts[i].labels, in: defined) }
        return out
    }
}
