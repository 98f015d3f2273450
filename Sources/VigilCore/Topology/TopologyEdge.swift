/// Where a suggested dependency stands: suggested until an operator accepts or rejects it.
public enum TopologyEdgeState: String, Sendable, CaseIterable {
    case suggested, accepted, rejected
}

/// What kind of relation an edge says.
public enum TopologyEdgeKind: String, Sendable, CaseIterable {
    /// `from` needs `to` (it connects to it, probes it, talks about it).
    case dependsOn = "depends_on"
    /// `from` watches many hosts, `to` among them (a monitoring box, not a dependency).
    case monitors
    /// Both are in the same group/role/service/cluster (weak; undirected: `from` sorts first).
    case sameGroup = "same_group"
}

/// A relation between two hosts (optionally one of their services), suggested from observed connections, checks
/// and logs (`heuristic`) or by the AI (`ai`), and accepted or rejected by an operator.
public struct TopologyEdge: Sendable, Equatable, Identifiable {
    /// The store's row id; 0 before it is stored.
    public var id: Int64
    public var fromHost: String
    /// A service of `fromHost`, or "" for the host as a whole.
    public var fromService: String
    public var toHost: String
    public var toService: String
    public var kind: TopologyEdgeKind
    /// Why it was suggested, one observation per line.
    public var evidence: [String]
    /// 0…1.
    public var confidence: Double
    /// `heuristic` or `ai`.
    public var source: String
    public var state: TopologyEdgeState
    public var decidedBy: String?
    public var decidedAt: Int64?
    /// The operator's reason (required to reject).
    public var reason: String?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: Int64 = 0, fromHost: String, fromService: String = "", toHost: String, toService: String = "", kind: TopologyEdgeKind,
                evidence: [String], confidence: Double, source: String, state: TopologyEdgeState = .suggested, decidedBy: String? = nil,
                decidedAt: Int64? = nil, reason: String? = nil, createdAt: Int64 = 0, updatedAt: Int64 = 0) {
        self.id = id
        self.fromHost = fromHost
        self.fromService = fromService
        self.toHost = toHost
        self.toService = toService
        self.kind = kind
        self.evidence = evidence
        self.confidence = confidence
        self.source = source
        self.state = state
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.reason = reason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// `web-1 → db-1`, `web-1/nginx → db-1/postgres`, `web-1 — web-2` for an undirected edge.
    public var endpoints: String {
        let from = fromService.isEmpty ? fromHost : "\(fromHost)/\(fromService)"
        let to = toService.isEmpty ? toHost : "\(toHost)/\(toService)"
        return kind == .sameGroup ? "\(from) — \(to)" : "\(from) → \(to)"
    }

    /// The identity of the relation (same hosts, services, kind), whatever its evidence or state.
    public var key: String { [fromHost, fromService, toHost, toService, kind.rawValue].joined(separator: "\u{1F}") }

    /// The host at the other end from `host`, or nil when the edge does not touch it.
    public func other(than host: String) -> String? {
        if fromHost == host { return toHost }
        if toHost == host { return fromHost }
        return nil
    }
}
