/// A probable cause of an alert, the evidence for it, and the runbook that fits, with a confidence. Produced by
/// a `Diagnoser`: the heuristic one here, or an AI one that may only name runbooks from the catalogue.
public struct Diagnosis: Sendable, Equatable, Codable {
    public var cause: String
    public var evidence: [String]
    /// A runbook from the catalogue, or nil when no runbook fits (then an operator must look).
    public var runbook: String?
    public var parameters: [String: String]
    /// 0…1.
    public var confidence: Double
    /// "heuristic" or the AI model that produced it.
    public var source: String

    public init(cause: String, evidence: [String], runbook: String?, parameters: [String: String] = [:], confidence: Double,
                source: String = "heuristic") {
        self.cause = cause
        self.evidence = evidence
        self.runbook = runbook
        self.parameters = parameters
        self.confidence = min(1, max(0, confidence))
        self.source = source
    }
}

/// What a diagnoser may look at: the alert and the host's recent data.
public struct DiagnosisInput: Sendable {
    public var alert: StoredAlert
    /// The host's recent points per metric name (the last hour or so): the alert's metric and the usual
    /// companions (mem, swap, disk, tcp, proc).
    public var series: [String: [SeriesPoint]]
    /// Recent warning-and-above log lines of the host, newest first.
    public var logs: [StoredLog]
    /// Resolved incidents like this alert, best first (the incident memory).
    public var incidents: [IncidentRecord]
    public var now: Int64

    public init(alert: StoredAlert, series: [String: [SeriesPoint]] = [:], logs: [StoredLog] = [], incidents: [IncidentRecord] = [],
                now: Int64) {
        self.alert = alert
        self.series = series
        self.logs = logs
        self.incidents = incidents
        self.now = now
    }

    /// The metrics a diagnosis looks at besides the alert's own.
    public static let companionMetrics = ["mem.used_percent", "swap.used_percent", "proc.zombies", "tcp.close_wait", "tcp.time_wait",
                                          "cpu.iowait_percent", "cpu.steal_percent", "cpu.usage_percent"]

    /// What a diagnosis (heuristic or AI) looks at for `alert`: the host's last hour of the alert's metric and its
    /// companions, its recent warning-and-above logs, and the similar past incidents.
    public static func gather(for alert: StoredAlert, store: any Store, now: Int64) async -> DiagnosisInput {
        var input = DiagnosisInput(alert: alert, now: now)
        if let host = alert.host {
            let from = now - 3_600_000
            if let m = alert.metric, let pts = try? await store.points(SeriesKey(host: host, name: m, labels: alert.seriesLabels), from: from, to: now) {
                input.series[m] = pts
            }
            for m in companionMetrics where input.series[m] == nil {
                if let pts = try? await store.points(SeriesKey(host: host, name: m), from: from, to: now), !pts.isEmpty { input.series[m] = pts }
            }
            input.logs = (try? await store.logs(host: host, query: nil, minLevel: .warning, limit: 50)) ?? []
        }
        input.incidents = (try? await store.similarIncidents(to: alert, limit: 10)) ?? []
        return input
    }

    /// The latest value of `metric`, if any.
    public func latest(_ metric: String) -> Double? { series[metric]?.max { $0.ts < $1.ts }?.value }
}

/// Anything that turns an alert into a diagnosis. The heuristic diagnoser always answers; an AI diagnoser may
/// fail, and then the heuristic answer is shown instead.
public protocol Diagnoser: Sendable {
    func diagnose(_ input: DiagnosisInput, catalog: RunbookCatalog) async -> Diagnosis
}
