import VigilWire

/// Pure evaluation of rules over plain values: which instances breach now. No I/O, no state; the alert
/// lifecycle (`for`, `keep_firing_for`, flapping) is `AlertStateMachine`'s job, one per fingerprint.
///
/// Every function returns instances sorted by fingerprint.
public enum RuleEvaluator {
    /// Evaluates `rule` over the parts of `input` its kind reads.
    public static func evaluate(_ rule: AlertRule, input: RuleInput, now: Int64) -> [AlertInstance] {
        switch rule.kind {
        case .threshold(let e):
            threshold(rule, e, points: input.points, hostLabels: input.hostLabels, hostCPUs: input.hostCPUs, now: now)
        case .forecast(let e):
            forecast(rule, e, points: input.points, hostLabels: input.hostLabels, now: now)
        case .rate(let e):
            rate(rule, e, points: input.points, hostLabels: input.hostLabels, now: now)
        case .hostStale(let e):
            hostStale(rule, e, lastSeen: input.hostLastSeen, hostLabels: input.hostLabels, now: now)
        case .seriesAbsent(let e):
            seriesAbsent(rule, e, lastSeen: input.seriesLastSeen, hostLabels: input.hostLabels, now: now)
        case .checkFailed(let e):
            checkFailed(rule, e, results: input.checkResults, hostLabels: input.hostLabels)
        case .logMatch(let e):
            logMatch(rule, e, counts: input.logCounts, hostLabels: input.hostLabels)
        case .anomaly(let e):
            anomaly(rule, e, scores: input.anomalyScores, hostLabels: input.hostLabels)
        case .newLogPattern(let e):
            newLogPattern(rule, e, patterns: input.newLogPatterns, hostLabels: input.hostLabels, now: now)
        case .sloBurn(let e):
            e.service == nil ? sloBurn(rule, e, history: input.checkHistory, hostLabels: input.hostLabels, now: now)
                : serviceBurn(rule, e, services: input.services, history: input.checkHistory, hostLabels: input.hostLabels, now: now,
                              timelines: input.serviceTimelines)
        }
    }

    // MARK: Metric kinds

    /// Series of the metric that match; the aggregate of the points in `(now − window, now]` compared with
    /// the threshold (divided by the host's CPU count with `per_cpu`; hosts of unknown CPU count are skipped).
    /// Value: the (per-CPU) aggregate.
    public static func threshold(_ rule: AlertRule, _ e: RuleKind.Threshold, points: some SeriesWindows,
                                 hostLabels: [String: [String: String]], hostCPUs: [String: Int] = [:], now: Int64) -> [AlertInstance] {
        var out: [AlertInstance] = []
        points.forEachSeries(of: e.metric, after: now - e.window, through: now, where: { seriesMatches(e.matchers, $0, hostLabels) }) { key, series in
            guard var value = e.aggregation.apply(series.map(\.value)) else { return }
            if e.perCPU {
                guard let cpus = hostCPUs[key.host], cpus > 0 else { return }
                value /= Double(cpus)
            }
            if e.op.compare(value, e.threshold) { out.append(instance(rule, key, value)) }
        }
        return sorted(out)
    }

    /// A least-squares line through the points of `(now − window, now]` (at least `min_points`); breaches
    /// when the line is on the reached side of the threshold now or at `now + within`.
    /// Value: seconds from now until the line reaches the threshold (0 when it already has).
    public static func forecast(_ rule: AlertRule, _ e: RuleKind.Forecast, points: some SeriesWindows,
                                hostLabels: [String: [String: String]], now: Int64) -> [AlertInstance] {
        var out: [AlertInstance] = []
        points.forEachSeries(of: e.metric, after: now - e.window, through: now, where: { seriesMatches(e.matchers, $0, hostLabels) }) { key, recent in
            guard recent.count >= e.minPoints, let fit = LinearFit(recent) else { return }
            let current = fit.value(at: now)
            let ahead = fit.value(at: now + e.within)
            if e.op.compare(current, e.threshold) {
                out.append(instance(rule, key, 0))
            } else if e.op.compare(ahead, e.threshold), let reach = fit.time(reaching: e.threshold) {
                out.append(instance(rule, key, max(0, (reach - Double(now)) / 1000)))
            }
        }
        return sorted(out)
    }

    /// The change per second between the oldest and newest point of `(now − window, now]`, compared with
    /// the threshold. Value: that rate.
    public static func rate(_ rule: AlertRule, _ e: RuleKind.Rate, points: some SeriesWindows,
                            hostLabels: [String: [String: String]], now: Int64) -> [AlertInstance] {
        var out: [AlertInstance] = []
        points.forEachSeries(of: e.metric, after: now - e.window, through: now, where: { seriesMatches(e.matchers, $0, hostLabels) }) { key, recent in
            guard let first = recent.first, let last = recent.last, last.ts > first.ts else { return }
            let perSecond = (last.value - first.value) / (Double(last.ts - first.ts) / 1000)
            if e.op.compare(perSecond, e.threshold) { out.append(instance(rule, key, perSecond)) }
        }
        return sorted(out)
    }

    /// Series of the metric that match whose newest point is older than `after`.
    /// Value: seconds since that point.
    public static func seriesAbsent(_ rule: AlertRule, _ e: RuleKind.SeriesAbsent, lastSeen: [SeriesKey: Int64],
                                    hostLabels: [String: [String: String]], now: Int64) -> [AlertInstance] {
        var out: [AlertInstance] = []
        for (key, seen) in lastSeen where key.name == e.metric && seriesMatches(e.matchers, key, hostLabels) {
            let age = now - seen
            if age > e.after { out.append(instance(rule, key, Double(age) / 1000)) }
        }
        return sorted(out)
    }

    /// Series of the metric that match whose anomaly score is at least `min_score`. Value: the score.
    public static func anomaly(_ rule: AlertRule, _ e: RuleKind.Anomaly, scores: [SeriesKey: Double],
                               hostLabels: [String: [String: String]]) -> [AlertInstance] {
        var out: [AlertInstance] = []
        for (key, score) in scores where score >= e.minScore && (e.metric == nil || key.name == e.metric) {
            // Without a metric the series' metric is a label, which `match:` sees too (`metric: "!~disk.*"`).
            var labeled = key
            if e.metric == nil { labeled.labels[AnomalyScanner.metricLabel] = key.name }
            if seriesMatches(e.matchers, labeled, hostLabels) { out.append(instance(rule, labeled, score)) }
        }
        return sorted(out)
    }

    // MARK: Host kinds

    /// Hosts that match and sent nothing for longer than `after`. Value: seconds since their newest data.
    public static func hostStale(_ rule: AlertRule, _ e: RuleKind.HostStale, lastSeen: [String: Int64],
                                 hostLabels: [String: [String: String]], now: Int64) -> [AlertInstance] {
        var out: [AlertInstance] = []
        for (host, seen) in lastSeen where hostMatches(e.matchers, host, hostLabels) {
            let age = now - seen
            if age > e.after { out.append(instance(rule, host: host, extra: [:], Double(age) / 1000)) }
        }
        return sorted(out)
    }

    /// Checks (per host, name and kind) whose newest `consecutive` results all failed. Labels add `check`
    /// and `check_kind`. Value: how many newest results failed in a row.
    public static func checkFailed(_ rule: AlertRule, _ e: RuleKind.CheckFailed, results: [String: [CheckResult]],
                                   hostLabels: [String: [String: String]]) -> [AlertInstance] {
        var out: [AlertInstance] = []
        for (host, hostResults) in results where hostMatches(e.matchers, host, hostLabels) {
            var byCheck: [String: [(offset: Int, element: CheckResult)]] = [:]
            for item in hostResults.enumerated() {
                let r = item.element
                if let kind = e.checkKind, r.kind != kind { continue }
                if let check = e.check, !check.matches(r.name) { continue }
                byCheck[r.name + "\u{0}" + r.kind.rawValue, default: []].append(item)
            }
            for (_, items) in byCheck {
                // Newest first; for equal timestamps the later one in the input is the newer.
                let newestFirst = items.sorted { ($0.element.ts, $0.offset) > ($1.element.ts, $1.offset) }
                let failing = newestFirst.prefix { !$0.element.ok }.count
                guard failing >= e.consecutive, let r = newestFirst.first?.element else { continue }
                out.append(instance(rule, host: host, extra: ["check": r.name, "check_kind": r.kind.rawValue], Double(failing)))
            }
        }
        return sorted(out)
    }

    /// Check names (over every matching host) whose burn rate over both windows is at least `factor`. Labels: `check`
    /// and `slo` (`99.9% 1h/5m`), no host. Value: the long window's burn rate.
    public static func sloBurn(_ rule: AlertRule, _ e: RuleKind.SLOBurn, history: [String: [CheckResult]],
                               hostLabels: [String: [String: String]], now: Int64) -> [AlertInstance] {
        let include: (String, CheckResult) -> Bool = { host, r in
            (e.checkKind == nil || r.kind == e.checkKind) && (e.check?.matches(r.name) ?? true) && hostMatches(e.matchers, host, hostLabels)
        }
        let series = CheckSeries(history, include: include)
        let long = series.tally(from: now - e.longWindow, to: now)
        let short = series.tally(from: now - e.shortWindow, to: now)
        guard let objective = e.objective else { return [] }
        var out: [AlertInstance] = []
        for (name, tally) in long {
            guard let longBurn = ErrorBudget(objective: objective, tally: tally).burnRate, longBurn >= e.factor,
                  let shortTally = short[name], let shortBurn = ErrorBudget(objective: objective, tally: shortTally).burnRate,
                  shortBurn >= e.factor else { continue }
            let slo = "\(ErrorBudget.percentText(objective)) \(DurationText.short(ms: e.longWindow))/\(DurationText.short(ms: e.shortWindow))"
            out.append(instance(rule, labels: ["check": name, "slo": slo], longBurn))
        }
        return sorted(out)
    }

    /// Services (of `topology.yaml`, with an objective, whose name matches) burning an indicator's budget at least
    /// `factor` times too fast over both windows; the objective is the rule's when it names one, else the service's.
    /// The rule's `match:` narrows each service to its hosts whose labels match (`region: eu`: the service's hosts in
    /// eu). Labels: `service`, `sli` (availability or latency), `slo`, and `owner` when the service has one. Value: the
    /// long window's burn rate.
    public static func serviceBurn(_ rule: AlertRule, _ e: RuleKind.SLOBurn, services: [ServiceDefinition], history: [String: [CheckResult]],
                                   hostLabels: [String: [String: String]], now: Int64,
                                   timelines: ServiceTimelineCache = ServiceTimelineCache()) -> [AlertInstance] {
        var out: [AlertInstance] = []
        for s in services where e.service?.matches(s.name) ?? false {
            guard let o = s.objective else { continue }
            for sli in o.indicators {
                guard let objective = sli == .availability ? e.objective ?? o.availability : o.latency?.objective else { continue }
                let timeline = timelines.timeline(history, service: s, sli: sli, matchers: e.matchers, hostLabels: hostLabels)
                guard let longBurn = ErrorBudget(objective: objective, tally: timeline.tally(from: now - e.longWindow, to: now)).burnRate,
                      longBurn >= e.factor,
                      let shortBurn = ErrorBudget(objective: objective, tally: timeline.tally(from: now - e.shortWindow, to: now)).burnRate,
                      shortBurn >= e.factor else { continue }
                var slo = "\(ErrorBudget.percentText(objective)) \(DurationText.short(ms: e.longWindow))/\(DurationText.short(ms: e.shortWindow))"
                if sli == .latency, let l = o.latency { slo += " under \(ServiceObjective.Latency.text(ms: l.thresholdMs))" }
                var labels = ["service": s.name, "sli": sli.rawValue, "slo": slo]
                if let owner = s.owner { labels["owner"] = owner }
                out.append(instance(rule, labels: labels, longBurn))
            }
        }
        return sorted(out)
    }

    /// Hosts that match with at least `min_count` matching lines. Value: the count.
    public static func logMatch(_ rule: AlertRule, _ e: RuleKind.LogMatch, counts: [String: Int],
                                hostLabels: [String: [String: String]]) -> [AlertInstance] {
        var out: [AlertInstance] = []
        for (host, count) in counts where count >= e.minCount && hostMatches(e.matchers, host, hostLabels) {
            out.append(instance(rule, host: host, extra: [:], Double(count)))
        }
        return sorted(out)
    }

    /// Per host and template: templates first seen within `within` with lines at or above `min_level` from a
    /// host that matches. Labels add `pattern` (the template text). Value: that host's lines of it.
    public static func newLogPattern(_ rule: AlertRule, _ e: RuleKind.NewLogPattern, patterns: [NewLogPattern],
                                     hostLabels: [String: [String: String]], now: Int64) -> [AlertInstance] {
        var out: [AlertInstance] = []
        for p in patterns where p.firstSeen >= now - e.within && p.level >= e.minLevel && hostMatches(e.matchers, p.host, hostLabels) {
            out.append(instance(rule, host: p.host, extra: ["pattern": p.template], Double(p.count)))
        }
        return sorted(out)
    }

    /// Counts, per host, the lines of `entries` within `(now − window, now]` that match `e` (level, source,
    /// text): the `logCounts` input of a log_match rule when lines are at hand rather than counted by the store.
    public static func countLogMatches(_ e: RuleKind.LogMatch, entries: [String: [LogEntry]], now: Int64) -> [String: Int] {
        var counts: [String: Int] = [:]
        for (host, lines) in entries {
            let n = lines.reduce(0) { $0 + ($1.ts > now - e.window && $1.ts <= now && e.matches($1) ? 1 : 0) }
            if n > 0 { counts[host] = n }
        }
        return counts
    }

    // MARK: Matching

    /// A label's value for a series: `host`, then the series' labels, then the host's labels; nil when absent.
    public static func labelValue(_ name: String, _ key: SeriesKey, _ hostLabels: [String: [String: String]]) -> String? {
        if name == "host" { return key.host }
        return key.labels[name] ?? hostLabels[key.host]?[name]
    }

    /// Whether every matcher passes for the series (see `labelValue`).
    public static func seriesMatches(_ matchers: [LabelMatcher], _ key: SeriesKey, _ hostLabels: [String: [String: String]]) -> Bool {
        matchers.allMatch { labelValue($0, key, hostLabels) }
    }

    /// Whether every matcher passes for the host (its name as `host`, and its labels).
    public static func hostMatches(_ matchers: [LabelMatcher], _ host: String, _ hostLabels: [String: [String: String]]) -> Bool {
        matchers.allMatch { $0 == "host" ? host : hostLabels[host]?[$0] }
    }

    // MARK: Helpers

    private static func instance(_ rule: AlertRule, _ key: SeriesKey, _ value: Double) -> AlertInstance {
        instance(rule, host: key.host, extra: key.labels, value)
    }

    private static func instance(_ rule: AlertRule, host: String, extra: [String: String], _ value: Double) -> AlertInstance {
        var labels = extra
        labels["host"] = host
        return instance(rule, labels: labels, value)
    }

    private static func instance(_ rule: AlertRule, labels seriesLabels: [String: String], _ value: Double) -> AlertInstance {
        var labels = seriesLabels
        for (name, text) in rule.labels {
            // A templated rule label (`{{ $labels.mount }}`) is rendered with the series' labels and the value, as in
            // Prometheus; the file was checked when it loaded, so a failure here keeps the text.
            labels[name] = text.contains("{{") ? (try? AlertTemplate(text).renderAnnotation(labels: seriesLabels, value: value)) ?? text : text
        }
        return AlertInstance(alertName: rule.name, severity: rule.severity, labels: labels, value: value)
    }

    private static func sorted(_ instances: [AlertInstance]) -> [AlertInstance] {
        instances.sorted { $0.fingerprint < $1.fingerprint }
    }
}
