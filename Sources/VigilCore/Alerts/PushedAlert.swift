/// An alert pushed by Prometheus (Alertmanager's `POST /api/v2/alerts` format).
public struct PushedAlert: Sendable, Equatable {
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Unix ms; when missing, the time it was received.
    public var startsAt: Int64?
    /// Unix ms; in the past means resolved.
    public var endsAt: Int64?
    public var generatorURL: String?

    public init(labels: [String: String], annotations: [String: String] = [:], startsAt: Int64? = nil, endsAt: Int64? = nil, generatorURL: String? = nil) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }

    /// `alertname`, required by Prometheus.
    public var name: String { labels["alertname"] ?? "" }

    /// `severity` label mapped to Vigil's (critical/page/error → critical, warning/warn → warning, else info… unless
    /// absent, then warning).
    public var severity: AlertSeverity {
        switch labels["severity"]?.lowercased() {
        case "critical", "page", "error", "high": .critical
        case "info", "none", "low", "informational": .info
        default: .warning
        }
    }

    /// The fingerprint: the alert name and its other labels, in a space of its own (a pushed alert never shares a
    /// fingerprint with one of Vigil's, so a push cannot resolve or rewrite a native alert).
    public var fingerprint: String {
        var rest = labels
        rest["alertname"] = nil
        rest[Self.sourceLabel] = "prometheus"
        return AlertFingerprint.make(alertName: name, labels: rest)
    }

    /// A label name no real label can have (`[A-Za-z_][A-Za-z0-9_]*`), used only inside the fingerprint.
    static let sourceLabel = "@source"
}
