/// Every alert the engine is tracking: one state machine per fingerprint, fed by rule evaluations.
///
/// A plain value, pure: `step` takes the rules and what the store holds and returns the updates to record.
public struct AlertBook: Sendable {
    struct Tracked: Sendable {
        var machine: AlertStateMachine
        var instance: AlertInstance
        var rule: String
        var annotations: [String: String]
        var metric: String?
        var seriesLabels: [String: String] = [:]
        /// What the store was last given for this alert (nil: nothing yet).
        var written: Written?
    }

    /// What the store was last given of an alert's row that can change without an event.
    struct Written: Sendable {
        /// Written as soon as they change.
        var shape: Shape
        /// Written at most every `valueRefreshMs` while nothing else changes.
        var value: Double
        var at: Int64

        struct Shape: Sendable, Equatable {
            var flapping: Bool
            var severity: AlertSeverity
            var metric: String?
            var seriesLabels: [String: String]
        }
    }

    /// How often an active alert's value is rewritten while nothing else about it changes (ms). Rewriting every
    /// active alert at every evaluation cost the engine a write per alert and made every console re-read them all.
    public static let valueRefreshMs: Int64 = 60_000

    private(set) var tracked: [String: Tracked] = [:]

    public init() {}

    /// How many alerts are pending or firing.
    public var activeCount: Int {
        tracked.values.filter { if case .pending = $0.machine.state { return true }; return $0.machine.isFiring }.count
    }

    /// Resumes the alerts the store has as active, so a restart neither demotes nor re-fires them.
    public mutating func restore(_ stored: [StoredAlert], rules: [AlertRule]) {
        let byName = Dictionary(rules.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for a in stored where a.isActive && a.source == "vigil" && tracked[a.fingerprint] == nil {
            let state: AlertState = a.state == "firing" ? .firing(since: a.firedAt ?? a.activeSince) : .pending(since: a.activeSince)
            let instance = AlertInstance(alertName: a.rule, severity: a.severity, labels: a.labels, value: a.value ?? 0)
            guard instance.fingerprint == a.fingerprint else { continue }
            // An alert whose rule is gone is still tracked, so the next step resolves it (as it would have
            // without the restart).
            let machine = byName[a.rule].map { AlertStateMachine(rule: $0, restoring: state, flapping: a.flapping) }
                ?? AlertStateMachine(restoring: state)
            tracked[a.fingerprint] = Tracked(machine: machine, instance: instance, rule: a.rule, annotations: a.annotations,
                                             metric: a.metric, seriesLabels: a.seriesLabels)
        }
    }

    /// Evaluates every rule against `data` at `now` and returns what changed: new alerts, changes of state,
    /// flapping or severity, and an active alert's new value at most every `valueRefreshMs`.
    public mutating func step(rules: [AlertRule], data: EvaluationData, now: Int64) -> [AlertUpdate] {
        var updates: [AlertUpdate] = []
        var seen = Set<String>()
        let ruleNames = Set(rules.map(\.name))
        for rule in rules {
            var input = data.input
            if case .logMatch(let e) = rule.kind {
                input.logCounts = RuleEvaluator.countLogMatches(e, entries: data.logs, now: now)
            }
            for instance in RuleEvaluator.evaluate(rule, input: input, now: now) {
                seen.insert(instance.fingerprint)
                let known = tracked[instance.fingerprint]
                var t = known ?? Tracked(machine: AlertStateMachine(rule: rule), instance: instance, rule: rule.name, annotations: [:])
                t.instance = instance
                // An anomaly rule on every scanned series names the series' metric in a label.
                let fromLabel = rule.kind.isAnomaly && rule.kind.metric == nil
                t.metric = fromLabel ? instance.labels[AnomalyScanner.metricLabel] : rule.kind.metric
                t.seriesLabels = t.metric == nil ? [:] : instance.labels.filter {
                    $0.key != "host" && rule.labels[$0.key] == nil && !(fromLabel && $0.key == AnomalyScanner.metricLabel)
                }
                let events = t.machine.evaluate(breaching: true, at: now)
                // Rendered when the instance appears and at each change of state (so a notification carries the
                // value it fired with), not at every evaluation.
                if known == nil || !events.isEmpty {
                    t.annotations = rule.annotations.rendered(labels: instance.labels, value: instance.value)
                }
                if Self.due(&t, events: events, now: now) {
                    updates.append(AlertUpdate(instance: instance, annotations: t.annotations, state: t.machine.state, flapping: t.machine.isFlapping,
                                               events: events, metric: t.metric, seriesLabels: t.seriesLabels))
                }
                tracked[instance.fingerprint] = t
            }
        }
        // Everything tracked that did not breach this time, including alerts of rules that were removed.
        for (fp, var t) in tracked where !seen.contains(fp) {
            // A rule that is gone resolves its alerts now; the others see their condition clear.
            let events = ruleNames.contains(t.rule) ? t.machine.evaluate(breaching: false, at: now) : t.machine.resolveManually(at: now)
            let active = t.machine.isFiring || { if case .pending = t.machine.state { return true }; return false }()
            if !events.isEmpty || active, Self.due(&t, events: events, now: now) {
                updates.append(AlertUpdate(instance: t.instance, annotations: t.annotations, state: t.machine.state, flapping: t.machine.isFlapping,
                                           events: events, metric: t.metric, seriesLabels: t.seriesLabels))
            }
            if active && ruleNames.contains(t.rule) {
                tracked[fp] = t
            } else if case .resolved = t.machine.state, ruleNames.contains(t.rule), !t.machine.recentChanges.isEmpty,
                      let last = t.machine.recentChanges.last, now - last < t.machine.flapPolicy.window {
                // Kept while its changes still count for flap detection.
                tracked[fp] = t
            } else {
                tracked[fp] = nil
            }
        }
        return updates
    }

    /// Whether `t` must be written now; if so, remembers it as written.
    static func due(_ t: inout Tracked, events: [AlertEvent], now: Int64) -> Bool {
        let shape = Written.Shape(flapping: t.machine.isFlapping, severity: t.instance.severity, metric: t.metric, seriesLabels: t.seriesLabels)
        let value = t.instance.value
        if let w = t.written, events.isEmpty, w.shape == shape {
            let sameValue = value == w.value || (value.isNaN && w.value.isNaN)
            if sameValue || now - w.at < valueRefreshMs { return false }
        }
        t.written = Written(shape: shape, value: value, at: now)
        return true
    }
}
