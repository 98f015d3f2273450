import VigilWire

/// Reads the assistant's tools use beyond `Store`: free-text search of the incident memory and every host's latest
/// check targets (for the inferred topology). `SQLiteStore` has them; on a store without them the tools say so (or
/// fall back to per-host reads) instead of failing.
public protocol FleetToolQueries: Sendable {
    /// Incidents matching any of the words of `query` (full text over rule, host, labels, diagnosis, runbook, notes,
    /// patterns), best first.
    func searchIncidents(query: String, limit: Int) async throws -> [IncidentRecord]
    /// The latest result of every check of every host.
    func latestCheckTargets() async throws -> [ObservedCheck]
}

/// The latest result of one check, with the host that runs it.
public struct ObservedCheck: Sendable, Equatable {
    /// The host whose agent runs the check.
    public var host: String
    public var name: String
    public var kind: CheckKind
    /// What it probes: a URL (`http`), `host:port` (`tcp`) or a unit (`systemd`).
    public var target: String
    public var ok: Bool

    public init(host: String, name: String, kind: CheckKind, target: String, ok: Bool) {
        self.host = host
        self.name = name
        self.kind = kind
        self.target = target
        self.ok = ok
    }
}
