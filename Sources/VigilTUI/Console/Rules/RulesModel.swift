import VigilCore

/// What the poller read about the rules in one round (only while the rules pane is visible): immutable, posted
/// to the mailbox. Comes from the engine this console runs; a console attached to another engine has none.
struct RulesSnapshot: Sendable {
    /// Unix ms of the read.
    var takenAt: Int64
    var status: RuleStatus
    /// The rules in force, in file then group order.
    var rules: [AlertRule]

    init(takenAt: Int64, status: RuleStatus, rules: [AlertRule]) {
        self.takenAt = takenAt
        self.status = status
        self.rules = rules
    }
}

/// How the console reaches the rule evaluator of the engine it runs (nil closures: attached to another engine).
struct RuleAccess: Sendable {
    var status: (@Sendable () -> RuleStatus)?
    var rules: (@Sendable () -> [AlertRule])?
    var reload: (@Sendable () -> Void)?

    init(status: (@Sendable () -> RuleStatus)? = nil, rules: (@Sendable () -> [AlertRule])? = nil,
         reload: (@Sendable () -> Void)? = nil) {
        self.status = status
        self.rules = rules
        self.reload = reload
    }

    /// A snapshot now, when this console runs the engine.
    func snapshot(now: Int64) -> RulesSnapshot? {
        guard let status else { return nil }
        return RulesSnapshot(takenAt: now, status: status(), rules: rules?() ?? [])
    }
}

/// One row of the rules table: a rule and how many of its alerts are firing and pending now.
struct RuleRow: Identifiable {
    var rule: AlertRule
    var firing: Int
    var pending: Int

    var id: String { rule.name }

    /// The rows for `rules`, counting the active alerts of each by rule name.
    static func rows(_ rules: [AlertRule], active: [StoredAlert]) -> [RuleRow] {
        var firing: [String: Int] = [:]
        var pending: [String: Int] = [:]
        for alert in active {
            if alert.state == "firing" { firing[alert.rule, default: 0] += 1 }
            if alert.state == "pending" { pending[alert.rule, default: 0] += 1 }
        }
        return rules.map { RuleRow(rule: $0, firing: firing[$0.name] ?? 0, pending: pending[$0.name] ?? 0) }
    }
}

/// Wording shared by the rules pane and the reload outcome.
enum RulesFormat {
    /// "12 rules from 3 files".
    static func counts(_ status: RuleStatus) -> String {
        "\(status.rules) \(status.rules == 1 ? "rule" : "rules") from \(status.files.count) \(status.files.count == 1 ? "file" : "files")"
    }

    /// The outcome of a reload for the status line, and whether it is an error.
    static func reloaded(_ status: RuleStatus) -> (String, isError: Bool) {
        if status.errors.isEmpty { return ("rules reloaded: \(counts(status))", false) }
        let n = status.errors.count
        return ("rules reloaded: \(counts(status)); \(n) \(n == 1 ? "error" : "errors"), first: \(status.errors[0])", true)
    }

    /// The attached-mode text: another engine evaluates the rules.
    static func attachedMessage(_ listenerDescription: String?) -> String {
        var engine = listenerDescription ?? ""
        if engine.hasPrefix("attached to ") { engine.removeFirst("attached to ".count) }
        if engine.isEmpty { engine = "another vigil process" }
        return "rules are evaluated by the engine that holds the store (\(engine)); see its log"
    }

    /// "threshold", "host_stale"…
    static func kind(_ rule: AlertRule) -> String { rule.kind.name }

    /// The summary annotation, else the description, else "".
    static func summary(_ rule: AlertRule) -> String {
        rule.annotations.summary ?? rule.annotations.description ?? ""
    }

    /// `5m`, `-` for none.
    static func forDuration(_ rule: AlertRule) -> String {
        rule.forDuration > 0 ? AlertFormat.duration(ms: rule.forDuration) : "-"
    }

    /// The STATE cell: `2 firing 1 pending`, or `inactive`.
    static func state(_ row: RuleRow) -> [Span] {
        var spans: [Span] = []
        if row.firing > 0 { spans.append(Span("\(row.firing) firing", .critical, [.bold])) }
        if row.pending > 0 {
            if !spans.isEmpty { spans.append(Span(" ")) }
            spans.append(Span("\(row.pending) pending", .warning))
        }
        return spans.isEmpty ? [Span("inactive", .muted)] : spans
    }
}
