/// One alerting rule: what to watch (`kind`), how long a breach must last before it fires (`for`), how long
/// a firing alert outlives its condition (`keepFiringFor`), and what the resulting alerts carry.
public struct AlertRule: Sendable, Equatable {
    /// The alert name (`alert:`), unique within its group.
    public var name: String
    public var severity: AlertSeverity
    public var kind: RuleKind
    /// Milliseconds a condition must hold before the alert fires; 0 fires at once.
    public var forDuration: Int64
    /// Milliseconds a firing alert keeps firing after its condition cleared.
    public var keepFiringFor: Int64
    /// Added to every alert of this rule; they override series labels of the same name.
    public var labels: [String: String]
    public var annotations: RuleAnnotations
    /// When the alert counts as flapping.
    public var flapPolicy: FlapPolicy
    /// 1-based line of the rule in its file (0 when built in code).
    public var line: Int
    /// What Vigil may do on its own when the alert fires (`remediation:`); nil leaves it to people.
    public var remediation: RuleRemediation?

    public init(name: String, severity: AlertSeverity = .warning, kind: RuleKind, forDuration: Int64 = 0, keepFiringFor: Int64 = 0,
                labels: [String: String] = [:], annotations: RuleAnnotations = RuleAnnotations(), flapPolicy: FlapPolicy = .default,
                line: Int = 0, remediation: RuleRemediation? = nil) {
        self.name = name
        self.severity = severity
        self.kind = kind
        self.forDuration = forDuration
        self.keepFiringFor = keepFiringFor
        self.labels = labels
        self.annotations = annotations
        self.flapPolicy = flapPolicy
        self.line = line
        self.remediation = remediation
    }
}

/// A rule's `remediation:`: the runbook to run for its alerts, in which mode, with which parameters (values may
/// take alert labels: `"{{labels.unit}}"`).
public struct RuleRemediation: Sendable, Equatable {
    public var runbook: String
    public var mode: RemediationMode
    public var parameters: [String: String]
    /// Whether alerts pushed in from outside (`POST /api/v2/alerts`) with this rule's name may start the runbook
    /// too (`accept_pushed: true`). Off by default: a push carries labels anyone with an API token chose, and
    /// skips the rule's `for:`.
    public var acceptPushed: Bool

    public init(runbook: String, mode: RemediationMode, parameters: [String: String] = [:], acceptPushed: Bool = false) {
        self.runbook = runbook
        self.mode = mode
        self.parameters = parameters
        self.acceptPushed = acceptPushed
    }
}

/// Human text attached to a rule's alerts.
public struct RuleAnnotations: Sendable, Equatable {
    /// One line for lists and notifications.
    public var summary: String?
    /// What it means and what to look at.
    public var description: String?
    /// A runbook name (`runbooks/`) or URL.
    public var runbook: String?

    public init(summary: String? = nil, description: String? = nil, runbook: String? = nil) {
        self.summary = summary
        self.description = description
        self.runbook = runbook
    }

    /// The annotations with their templates rendered for one alert instance (`{{ $labels.host }}`,
    /// `{{ $value | humanize }}`). Rule files are checked when loaded; a rule built in code with a bad template
    /// keeps its text and says why.
    public func rendered(labels: [String: String], value: Double) -> [String: String] {
        var out: [String: String] = [:]
        for (key, text) in [("summary", summary), ("description", description), ("runbook", runbook)] {
            guard let text else { continue }
            do {
                out[key] = try AlertTemplate(text).renderAnnotation(labels: labels, value: value)
            } catch {
                out[key] = text + " (template error: \(error))"
            }
        }
        return out
    }
}
