import VigilWire

/// Whether a host is reporting.
public enum HostStatus: String, Sendable, CaseIterable {
    /// Reported within 3 push intervals (30 s by default).
    case up
    /// Silent for longer than that but less than 5 minutes.
    case stale
    /// Silent for 5 minutes or more.
    case down
}

/// One host as the dashboard shows it: identity, freshness, latest key metrics and short histories.
public struct HostSummary: Sendable, Equatable, Identifiable {
    public var id: String { name }
    public var name: String
    public var labels: [String: String]
    /// Its server groups: the `group` label's value and the groups of `topology.yaml` that take it
    /// (`ServerGroup.assign`; empty until someone assigns them).
    public var groups: [String] = []
    public var agent: AgentInfo?
    /// Unix ms.
    public var firstSeen: Int64
    /// Unix ms of the newest data from this host.
    public var lastSeen: Int64
    public var status: HostStatus
    /// 0 (on fire) to 100 (healthy); see `HealthScore` and docs/health-score.md.
    public var health: Int
    public var cpu: Double?
    public var memory: Double?
    /// The fullest mount's `disk.used_percent`.
    public var disk: Double?
    public var load1: Double?
    /// Recent `cpu.usage_percent` values, oldest first, evenly spaced (nil = no data in that slot).
    public var cpuHistory: [Double?]
    public var memoryHistory: [Double?]
    public var checksTotal: Int
    public var checksFailing: Int
    /// Error-or-worse log lines in the last 15 minutes.
    public var recentErrors: Int
    /// The host's CPU count as its agent reported it (the health score scales load by it).
    public var cpus: Int?

    public init(name: String, labels: [String: String] = [:], agent: AgentInfo? = nil, firstSeen: Int64 = 0,
                lastSeen: Int64 = 0, status: HostStatus = .up, health: Int = 100, cpu: Double? = nil,
                memory: Double? = nil, disk: Double? = nil, load1: Double? = nil, cpuHistory: [Double?] = [],
                memoryHistory: [Double?] = [], checksTotal: Int = 0, checksFailing: Int = 0, recentErrors: Int = 0, cpus: Int? = nil) {
        self.name = name
        self.labels = labels
        self.agent = agent
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.status = status
        self.health = health
        self.cpu = cpu
        self.memory = memory
        self.disk = disk
        self.load1 = load1
        self.cpuHistory = cpuHistory
        self.memoryHistory = memoryHistory
        self.checksTotal = checksTotal
        self.checksFailing = checksFailing
        self.recentErrors = recentErrors
        self.cpus = cpus
    }
}

/// The whole fleet at one instant, as an immutable value handed to the console.
public struct FleetSnapshot: Sendable, Equatable {
    /// Unix ms when the snapshot was taken.
    public var takenAt: Int64
    public var hosts: [HostSummary]

    public init(takenAt: Int64, hosts: [HostSummary]) {
        self.takenAt = takenAt
        self.hosts = hosts
    }

    // Counted in place: `filter` would copy every host (its labels and sparklines) at every frame.
    public var upCount: Int { count(.up) }
    public var staleCount: Int { count(.stale) }
    public var downCount: Int { count(.down) }
    /// Mean health over the hosts (100 for an empty fleet).
    public var meanHealth: Int {
        hosts.isEmpty ? 100 : hosts.reduce(0) { $0 + $1.health } / hosts.count
    }

    private func count(_ status: HostStatus) -> Int {
        hosts.reduce(0) { $1.status == status ? $0 + 1 : $0 }
    }
}

/// One series of a host with its latest value and recent history, for the host detail view.
public struct SeriesSummary: Sendable, Equatable, Identifiable {
    public var id: String { name + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }
    public var name: String
    public var labels: [String: String]
    public var latest: Double?
    public var latestTs: Int64?
    /// Oldest first, evenly spaced slots over the detail window.
    public var history: [Double?]
    /// Per slot of `history`: whether a point in it has an anomaly score of at least
    /// `AnomalyScanner.markThreshold` (empty when the series is not scanned).
    public var anomalies: [Bool]

    public init(name: String, labels: [String: String], latest: Double?, latestTs: Int64?, history: [Double?], anomalies: [Bool] = []) {
        self.name = name
        self.labels = labels
        self.latest = latest
        self.latestTs = latestTs
        self.history = history
        self.anomalies = anomalies
    }
}

/// The latest result of one check of a host.
public struct CheckStatus: Sendable, Equatable, Identifiable {
    public var id: String { name }
    public var name: String
    public var kind: CheckKind
    public var target: String
    public var ok: Bool
    public var latencyMs: Double
    public var detail: String
    /// Unix ms of the latest result.
    public var ts: Int64
    /// Consecutive failing results up to the latest (0 when ok).
    public var failingFor: Int

    public init(name: String, kind: CheckKind, target: String, ok: Bool, latencyMs: Double, detail: String, ts: Int64, failingFor: Int) {
        self.name = name
        self.kind = kind
        self.target = target
        self.ok = ok
        self.latencyMs = latencyMs
        self.detail = detail
        self.ts = ts
        self.failingFor = failingFor
    }
}

/// A stored log line.
public struct StoredLog: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var host: String
    public var ts: Int64
    public var source: String
    public var level: LogLevel
    public var message: String

    public init(id: Int64, host: String, ts: Int64, source: String, level: LogLevel, message: String) {
        self.id = id
        self.host = host
        self.ts = ts
        self.source = source
        self.level = level
        self.message = message
    }
}

/// Everything the host detail view shows.
public struct HostDetail: Sendable, Equatable {
    public var summary: HostSummary
    public var series: [SeriesSummary]
    public var checks: [CheckStatus]
    public var logs: [StoredLog]

    public init(summary: HostSummary, series: [SeriesSummary], checks: [CheckStatus], logs: [StoredLog]) {
        self.summary = summary
        self.series = series
        self.checks = checks
        self.logs = logs
    }
}
