/// An alert as the store keeps it: the current (or last) instance of one fingerprint, with who is on it.
public struct StoredAlert: Sendable, Equatable, Identifiable {
    public var id: String { fingerprint }
    public var fingerprint: String
    /// The rule's alert name (`alertname` for alerts pushed by Prometheus).
    public var rule: String
    public var severity: AlertSeverity
    public var labels: [String: String]
    public var annotations: [String: String]
    /// `pending`, `firing` or `resolved`.
    public var state: String
    public var value: Double?
    /// When the current instance started (pending began, or fired at once).
    public var activeSince: Int64
    public var firedAt: Int64?
    public var resolvedAt: Int64?
    public var lastEvaluated: Int64
    public var ackedBy: String?
    public var ackedAt: Int64?
    public var ackNote: String?
    public var assignee: String?
    public var flapping: Bool
    /// `vigil` for Vigil's own rules, `prometheus` for alerts pushed to `/api/v2/alerts`.
    public var source: String
    public var generatorURL: String?
    /// Why it is muted now (a silence, a maintenance window, an inhibiting alert); nil when not muted.
    public var mutedBy: String?
    /// For metric rules: the metric and the series labels (with `host`, the series the alert is about).
    public var metric: String?
    public var seriesLabels: [String: String] = [:]

    public init(fingerprint: String, rule: String, severity: AlertSeverity, labels: [String: String], annotations: [String: String],
                state: String, value: Double?, activeSince: Int64, firedAt: Int64? = nil, resolvedAt: Int64? = nil, lastEvaluated: Int64,
                ackedBy: String? = nil, ackedAt: Int64? = nil, ackNote: String? = nil, assignee: String? = nil, flapping: Bool = false,
                source: String = "vigil", generatorURL: String? = nil, mutedBy: String? = nil, metric: String? = nil,
                seriesLabels: [String: String] = [:]) {
        self.fingerprint = fingerprint
        self.rule = rule
        self.severity = severity
        self.labels = labels
        self.annotations = annotations
        self.state = state
        self.value = value
        self.activeSince = activeSince
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
        self.lastEvaluated = lastEvaluated
        self.ackedBy = ackedBy
        self.ackedAt = ackedAt
        self.ackNote = ackNote
        self.assignee = assignee
        self.flapping = flapping
        self.source = source
        self.generatorURL = generatorURL
        self.mutedBy = mutedBy
        self.metric = metric
        self.seriesLabels = seriesLabels
    }

    public var host: String? { labels["host"] }
    public var isActive: Bool { state == "pending" || state == "firing" }
}

/// One entry of an alert's timeline.
public struct AlertTimelineEntry: Sendable, Equatable {
    public var id: Int64
    public var fingerprint: String
    public var ts: Int64
    /// `pending`, `firing`, `resolved`, `cleared`, `flapping_started`, `flapping_stopped`, `ack`, `unack`,
    /// `note`, `assign`, `manual_resolve`.
    public var kind: String
    /// Who, for operator actions; `system` otherwise.
    public var actor: String
    public var detail: String

    public init(id: Int64, fingerprint: String, ts: Int64, kind: String, actor: String, detail: String) {
        self.id = id
        self.fingerprint = fingerprint
        self.ts = ts
        self.kind = kind
        self.actor = actor
        self.detail = detail
    }
}

extension AlertEvent {
    /// The timeline kind and time of a lifecycle event.
    public var timeline: (kind: String, at: Int64) {
        switch self {
        case .pending(let t): ("pending", t)
        case .firing(let t): ("firing", t)
        case .resolved(let t): ("resolved", t)
        case .cleared(let t): ("cleared", t)
        case .flappingStarted(let t): ("flapping_started", t)
        case .flappingStopped(let t): ("flapping_stopped", t)
        }
    }
}

/// What the evaluator tells the store after evaluating one alert: its current values and what happened.
public struct AlertUpdate: Sendable, Equatable {
    public var instance: AlertInstance
    public var annotations: [String: String]
    public var state: AlertState
    public var flapping: Bool
    public var events: [AlertEvent]
    /// The metric the rule reads (metric rules only) and the series' own labels, so the console can draw it.
    public var metric: String?
    public var seriesLabels: [String: String]

    public init(instance: AlertInstance, annotations: [String: String], state: AlertState, flapping: Bool, events: [AlertEvent],
                metric: String? = nil, seriesLabels: [String: String] = [:]) {
        self.instance = instance
        self.annotations = annotations
        self.state = state
        self.flapping = flapping
        self.events = events
        self.metric = metric
        self.seriesLabels = seriesLabels
    }
}
