/// Where a link of the topology came from. A link keeps every source that says it.
public enum TopologyLinkSource: String, Sendable, CaseIterable, Comparable, Hashable {
    /// Written by an operator in `topology.yaml`.
    case configured
    /// Seen by agents: repeated TCP connections from one monitored host to another.
    case discovered
    /// A suggestion (`vigil topology suggest`) an operator accepted.
    case suggested

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// What a link says: `from` calls `to`, depends on it, or publishes to it.
public enum TopologyLinkKind: String, Sendable, CaseIterable, Hashable {
    case calls
    case dependsOn = "depends_on"
    case publishesTo = "publishes_to"

    /// The words in a sentence: `web-1 calls db-1`.
    public var phrase: String {
        switch self {
        case .calls: "calls"
        case .dependsOn: "depends on"
        case .publishesTo: "publishes to"
        }
    }
}

/// A box of the topology: a monitored host, a configured service or outside system, or a collapsed group.
public struct TopologyNode: Sendable, Equatable, Identifiable {
    public enum Kind: String, Sendable, Equatable {
        case host, service, group
    }

    /// Unique: the host or service name, or `group:NAME` for a collapsed group.
    public var id: String
    public var label: String
    public var kind: Kind
    /// The `group` label of a host (or the group a collapsed node stands for).
    public var group: String?
    /// The worst firing alert's severity on the node (or, for a group, on any member).
    public var severity: AlertSeverity?
    /// The firing alerts' names, worst first.
    public var alerts: [String]
    /// A host that stopped reporting.
    public var isDown: Bool
    /// The hosts a collapsed group stands for (empty otherwise).
    public var members: [String]

    public init(id: String, label: String? = nil, kind: Kind = .host, group: String? = nil, severity: AlertSeverity? = nil,
                alerts: [String] = [], isDown: Bool = false, members: [String] = []) {
        self.id = id
        self.label = label ?? id
        self.kind = kind
        self.group = group
        self.severity = severity
        self.alerts = alerts
        self.isDown = isDown
        self.members = members
    }
}

/// A directed relation between two nodes, with everything that says it.
public struct TopologyLink: Sendable, Equatable, Hashable {
    public var from: String
    public var to: String
    public var kind: TopologyLinkKind
    public var sources: Set<TopologyLinkSource>
    /// What was seen or written: `tcp/5432 by psql`, `configured: orders DB`.
    public var details: [String]

    public init(from: String, to: String, kind: TopologyLinkKind = .dependsOn, sources: Set<TopologyLinkSource>, details: [String] = []) {
        self.from = from
        self.to = to
        self.kind = kind
        self.sources = sources
        self.details = details
    }

    /// `configured+discovered`, sorted.
    public var sourceText: String { sources.sorted().map(\.rawValue).joined(separator: "+") }
}

/// Hosts and services with their typed, directed links: nodes sorted by id and links by (from, to), so that every
/// layout of the same graph is the same. Pure; built by `TopologyGraph.build`.
public struct TopologyGraph: Sendable, Equatable {
    public private(set) var nodes: [TopologyNode]
    public private(set) var links: [TopologyLink]
    /// Node id → index in `nodes`.
    public private(set) var index: [String: Int]

    /// Links to nodes that are not in `nodes` are dropped; links between the same pair merge (first kind wins, sources
    /// and details add up); self-links are dropped.
    public init(nodes: [TopologyNode], links: [TopologyLink]) {
        var byID: [String: TopologyNode] = [:]
        for n in nodes where byID[n.id] == nil { byID[n.id] = n }
        self.nodes = byID.values.sorted { $0.id < $1.id }
        var index: [String: Int] = [:]
        for (i, n) in self.nodes.enumerated() { index[n.id] = i }
        self.index = index
        var merged: [String: TopologyLink] = [:]
        for l in links where l.from != l.to && index[l.from] != nil && index[l.to] != nil {
            let key = l.from + "\u{1F}" + l.to
            if var old = merged[key] {
                old.sources.formUnion(l.sources)
                for d in l.details where !old.details.contains(d) { old.details.append(d) }
                merged[key] = old
            } else {
                merged[key] = l
            }
        }
        self.links = merged.values.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
    }

    public func node(_ id: String) -> TopologyNode? { index[id].map { nodes[$0] } }

    /// The ids linked to `id` either way, sorted.
    public func neighbours(of id: String) -> [String] {
        var out = Set<String>()
        for l in links {
            if l.from == id { out.insert(l.to) }
            if l.to == id { out.insert(l.from) }
        }
        return out.sorted()
    }

    /// The nodes `id` needs, directly or through others (following links forward), sorted.
    public func dependencies(of id: String) -> [String] { reach(from: id, forward: true) }

    /// The nodes that need `id`, directly or through others (following links backward): what breaks when it breaks.
    public func dependants(of id: String) -> [String] { reach(from: id, forward: false) }

    private func reach(from id: String, forward: Bool) -> [String] {
        var next: [String: [String]] = [:]
        for l in links {
            if forward { next[l.from, default: []].append(l.to) } else { next[l.to, default: []].append(l.from) }
        }
        var seen: Set<String> = [id]
        var queue = [id]
        while let n = queue.popLast() {
            for m in next[n] ?? [] where seen.insert(m).inserted { queue.append(m) }
        }
        seen.remove(id)
        return seen.sorted()
    }

    /// Every node with a firing alert and what depends on it, with the links between them: the blast radius.
    public func blastRadius() -> (nodes: Set<String>, links: Set<TopologyLink>) {
        var nodes = Set<String>()
        for n in self.nodes where n.severity != nil {
            nodes.insert(n.id)
            nodes.formUnion(dependants(of: n.id))
        }
        // A link is on a path from a dependant to a failing node when both its ends are in the radius and its far end
        // fails or depends (transitively) on something that fails.
        let failing = Set(self.nodes.filter { $0.severity != nil }.map(\.id))
        var leadsToFailure = failing
        for n in nodes where !failing.contains(n) && !failing.isDisjoint(with: dependencies(of: n)) { leadsToFailure.insert(n) }
        let onPath = links.filter { nodes.contains($0.from) && leadsToFailure.contains($0.to) }
        return (nodes, Set(onPath))
    }

    /// Only the nodes `keep` says, and the links between them.
    public func subgraph(_ keep: (TopologyNode) -> Bool) -> TopologyGraph {
        TopologyGraph(nodes: nodes.filter(keep), links: links)
    }

    /// `id`, its neighbours and the links between them (`i` in the pane).
    public func isolated(around id: String) -> TopologyGraph {
        let keep = Set(neighbours(of: id) + [id])
        return subgraph { keep.contains($0.id) }
    }

    /// Hosts of each group in `groups` fold into one node `group:NAME` (with the worst severity of its members, and
    /// the links of its members, merged). Groups not named stay open.
    public func collapsing(groups: Set<String>) -> TopologyGraph {
        guard !groups.isEmpty else { return self }
        var owner: [String: String] = [:]
        var folded: [String: TopologyNode] = [:]
        var kept: [TopologyNode] = []
        for n in nodes {
            guard n.kind == .host, let g = n.group, groups.contains(g) else { kept.append(n); continue }
            let id = "group:" + g
            owner[n.id] = id
            var group = folded[id] ?? TopologyNode(id: id, label: g, kind: .group, group: g)
            group.members.append(n.id)
            if let s = n.severity, group.severity.map({ s > $0 }) ?? true { group.severity = s }
            group.alerts += n.alerts.filter { !group.alerts.contains($0) }
            folded[id] = group
        }
        for (id, var g) in folded {
            g.label = "\(g.label) (\(g.members.count))"
            kept.append(g)
            folded[id] = g
        }
        let links = links.map { l -> TopologyLink in
            var l = l
            l.from = owner[l.from] ?? l.from
            l.to = owner[l.to] ?? l.to
            return l
        }
        return TopologyGraph(nodes: kept, links: links)
    }

    /// The groups of hosts, with how many hosts each has, sorted by name.
    public var groups: [(name: String, hosts: Int)] {
        var count: [String: Int] = [:]
        for n in nodes where n.kind == .host { if let g = n.group { count[g, default: 0] += 1 } }
        return count.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
