import VigilWire
import Yams

/// Turns rule YAML into groups, collecting every error of the file with its line and column. Pure: no I/O.
struct RuleFileParser: YAMLFieldParsing {
    let path: String
    var errors: [RuleFileError] = []
    private(set) var inhibitRules: [InhibitRule] = []
    private(set) var maintenance: [MaintenanceWindow] = []

    init(path: String) {
        self.path = path
    }

    /// The groups of `yaml`; check `errors` afterwards (groups with errors are left out).
    mutating func parse(_ yaml: String) -> [RuleGroup] {
        defer { sortErrorsByPosition() }
        guard let root = root(yaml, empty: "a mapping with 'groups:'") else { return [] }
        guard let top = mapping(root, "a mapping with 'groups:'") else { return [] }
        let f = fields(top, allowed: ["groups", "inhibit_rules", "maintenance"], context: "the top level")
        if let list = f["inhibit_rules"], let items = sequence(list, "a list of inhibit rules under 'inhibit_rules'") {
            for item in items { if let r = parseInhibit(item) { inhibitRules.append(r) } }
        }
        if let list = f["maintenance"], let items = sequence(list, "a list of maintenance windows under 'maintenance'") {
            for item in items { if let w = parseMaintenance(item) { maintenance.append(w) } }
        }
        if f["groups"] == nil && (f["inhibit_rules"] != nil || f["maintenance"] != nil) { return [] }
        guard let groupsNode = require(f, "groups", in: root, context: "the top level", hint: "a list of rule groups") else { return [] }
        guard let list = sequence(groupsNode, "a list of groups under 'groups'") else { return [] }
        var groups: [RuleGroup] = []
        var seen: [String: Node] = [:]
        for item in list {
            if let group = parseGroup(item, seen: &seen) { groups.append(group) }
        }
        return groups
    }

    // MARK: Inhibition and maintenance

    private mutating func parseInhibit(_ node: Node) -> InhibitRule? {
        guard let map = mapping(node, "an inhibit rule (source_match, target_match, equal)") else { return nil }
        let before = errors.count
        let f = fields(map, allowed: ["source_match", "target_match", "equal"], context: "an inhibit rule")
        let source = require(f, "source_match", in: node, context: "an inhibit rule", hint: "the matchers of the alert that mutes").map { matchers($0) } ?? []
        let target = require(f, "target_match", in: node, context: "an inhibit rule", hint: "the matchers of the alerts it mutes").map { matchers($0) } ?? []
        var equal: [String] = []
        if let e = f["equal"], let list = sequence(e, "a list of label names under 'equal'") {
            for item in list { if let l = labelName(item) { equal.append(l) } }
        }
        if errors.count == before && (source.isEmpty || target.isEmpty) {
            fail(node, "an inhibit rule needs at least one source and one target matcher")
        }
        return errors.count == before ? InhibitRule(source: source, target: target, equal: equal, line: node.mark?.line ?? 0) : nil
    }

    private mutating func parseMaintenance(_ node: Node) -> MaintenanceWindow? {
        guard let map = mapping(node, "a maintenance window (name, match, days, start, duration)") else { return nil }
        let before = errors.count
        let f = fields(map, allowed: ["name", "match", "days", "start", "duration"], context: "a maintenance window")
        let name = require(f, "name", in: node, context: "a maintenance window", hint: "its name").flatMap { string($0, "the window's name") } ?? ""
        let match = require(f, "match", in: node, context: "maintenance window '\(name)'", hint: "the matchers of the alerts it mutes").map { matchers($0) } ?? []
        var days = Set<Int>()
        if let d = f["days"] {
            let items: [Node] = d.sequence.map(Array.init) ?? [d]
            for item in items {
                guard let text = string(item, "a weekday (sun, mon, …, or daily)") else { continue }
                let t = text.lowercased()
                if t == "daily" || t == "*" { days.formUnion(0...6) }
                else if let i = MaintenanceWindow.weekdayNames.firstIndex(where: { t.hasPrefix($0) }) { days.insert(i) }
                else { fail(item, "unknown weekday '\(text)' (expected sun, mon, tue, wed, thu, fri, sat or daily)") }
            }
        } else {
            days.formUnion(0...6)
        }
        var start = 0
        if let st = require(f, "start", in: node, context: "maintenance window '\(name)'", hint: "a UTC time like \"02:00\""),
           let text = string(st, "a UTC time like \"02:00\"") {
            let parts = text.split(separator: ":")
            if parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) {
                start = h * 60 + m
            } else {
                fail(st, "bad start time '\(text)' (expected HH:MM in UTC, quoted, e.g. \"02:00\")")
            }
        }
        var length: Int64 = 0
        if let d = require(f, "duration", in: node, context: "maintenance window '\(name)'", hint: "how long, e.g. 2h") {
            length = duration(d, key: "duration", positive: true) ?? 0
        }
        return errors.count == before ? MaintenanceWindow(name: name, matchers: match, weekdays: days, startMinute: start, durationMs: length,
                                                          line: node.mark?.line ?? 0) : nil
    }

    // MARK: Groups and rules

    private mutating func parseGroup(_ node: Node, seen: inout [String: Node]) -> RuleGroup? {
        guard let map = mapping(node, "a group (a mapping with name, rules, and optionally interval)") else { return nil }
        let before = errors.count
        let f = fields(map, allowed: ["name", "interval", "rules"], context: "a group")
        var name = ""
        if let n = require(f, "name", in: node, context: "a group", hint: "the group's name"), let s = string(n, "the group name as a string") {
            name = s
            if let first = seen[s] {
                fail(n, "duplicate group name '\(s)' (first defined at \(position(first)); group names must be unique in a file)")
            } else {
                seen[s] = n
            }
        }
        var interval: Int64?
        if let i = f["interval"] { interval = duration(i, key: "interval", positive: true) }
        var rules: [AlertRule] = []
        if let r = require(f, "rules", in: node, context: "group '\(name)'", hint: "a list of rules"),
           let list = sequence(r, "a list of rules under 'rules'") {
            var seenAlerts: [String: Node] = [:]
            for item in list {
                if let rule = parseRule(item, group: name, seen: &seenAlerts) { rules.append(rule) }
            }
        }
        return errors.count == before ? RuleGroup(name: name, interval: interval, rules: rules) : nil
    }

    private static let ruleKeys = ["alert", "kind", "expr", "for", "keep_firing_for", "severity", "labels", "annotations", "flapping", "remediation"]

    private mutating func parseRule(_ node: Node, group: String, seen: inout [String: Node]) -> AlertRule? {
        guard let map = mapping(node, "a rule (a mapping with alert, kind, expr, …)") else { return nil }
        let before = errors.count
        let peekName = map.first(where: { $0.key.scalar?.string == "alert" })?.value.scalar?.string
        let context = peekName.map { "rule '\($0)'" } ?? "a rule"
        let f = fields(map, allowed: Self.ruleKeys, context: context)

        var name = ""
        if let n = require(f, "alert", in: node, context: "a rule", hint: "the alert name"), let s = string(n, "the alert name as a string") {
            if s.isEmpty || !s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." || $0 == ":" }) {
                fail(n, "bad alert name '\(s)' (expected letters, digits, _ - . : such as HighCPU)")
            } else if let first = seen[s] {
                fail(n, "duplicate alert name '\(s)' in group '\(group)' (first defined at \(position(first)))")
            } else {
                seen[s] = n
            }
            name = s
        }

        var kindName: String?
        if let k = require(f, "kind", in: node, context: context, hint: RuleKind.names.joined(separator: ", ")), let s = string(k, "a rule kind") {
            if RuleKind.names.contains(s) {
                kindName = s
            } else {
                fail(k, "unknown kind '\(s)' (expected one of \(RuleKind.names.joined(separator: ", ")))")
            }
        }
        var kind: RuleKind?
        if let e = require(f, "expr", in: node, context: context, hint: "a mapping whose keys depend on the kind") {
            if let kindName {
                kind = parseExpr(e, kind: kindName, rule: context)
            } else {
                _ = mapping(e, "a mapping under 'expr'")
            }
        }

        let forDuration = f["for"].flatMap { duration($0, key: "for", positive: false) } ?? 0
        let keepFiringFor = f["keep_firing_for"].flatMap { duration($0, key: "keep_firing_for", positive: false) } ?? 0

        var severity = AlertSeverity.warning
        if let s = f["severity"], let text = string(s, "a severity") {
            if let parsed = AlertSeverity(rawValue: text) {
                severity = parsed
            } else {
                fail(s, "unknown severity '\(text)' (expected info, warning, critical)")
            }
        }

        var labels: [String: String] = [:]
        if let l = f["labels"], let lmap = mapping(l, "a mapping of label names to strings under 'labels'") {
            for (k, v) in lmap {
                guard let key = labelName(k) else { continue }
                if key == "host" {
                    fail(k, "label 'host' is reserved (it is set from the data); choose another name")
                    continue
                }
                if let value = template(v, "a string value for label '\(key)'") { labels[key] = value }
            }
        }

        var annotations = RuleAnnotations()
        if let a = f["annotations"], let amap = mapping(a, "a mapping with summary, description, runbook under 'annotations'") {
            let af = fields(amap, allowed: ["summary", "description", "runbook"], context: "the annotations of \(context)")
            annotations.summary = af["summary"].flatMap { template($0, "a string for 'summary'") }
            annotations.description = af["description"].flatMap { template($0, "a string for 'description'") }
            annotations.runbook = af["runbook"].flatMap { template($0, "a string for 'runbook'") }
        }

        var flap = FlapPolicy.default
        if let fl = f["flapping"], let fmap = mapping(fl, "a mapping with max_changes, window, calm_changes under 'flapping'") {
            let ff = fields(fmap, allowed: ["max_changes", "window", "calm_changes"], context: "the flapping settings of \(context)")
            let maxChanges = ff["max_changes"].flatMap { int($0, key: "max_changes", min: 1) } ?? flap.maxChanges
            let window = ff["window"].flatMap { duration($0, key: "window", positive: true) } ?? flap.window
            var calm: Int?
            if let c = ff["calm_changes"], let value = int(c, key: "calm_changes", min: 0) {
                if value > maxChanges {
                    fail(c, "calm_changes \(value) is above max_changes \(maxChanges) (expected at most max_changes)")
                }
                calm = value
            }
            flap = FlapPolicy(maxChanges: maxChanges, window: window, calmChanges: calm)
        }

        var remediation: RuleRemediation?
        if let r = f["remediation"], let rmap = mapping(r, "a mapping with runbook, mode, params under 'remediation'") {
            let rf = fields(rmap, allowed: ["runbook", "mode", "params", "accept_pushed"], context: "the remediation of \(context)")
            var acceptPushed = false
            if let a = rf["accept_pushed"] { acceptPushed = bool(a, key: "accept_pushed") ?? false }
            var mode = RemediationMode.manual
            if let m = rf["mode"], let s = string(m, "auto, approve or manual") {
                if let parsed = RemediationMode(rawValue: s) { mode = parsed } else { fail(m, "unknown mode '\(s)' (expected auto, approve or manual)") }
            }
            var params: [String: String] = [:]
            if let p = rf["params"], let pmap = mapping(p, "a mapping of parameter names to values under 'params'") {
                for (k, v) in pmap {
                    if let key = string(k, "a parameter name"), let value = string(v, "a value for parameter '\(key)'") { params[key] = value }
                }
            }
            if let rb = require(rf, "runbook", in: r, context: "the remediation of \(context)", hint: "a runbook name such as disk_cleanup"),
               let name = string(rb, "a runbook name") {
                if RunbookParser.isValidName(name) { remediation = RuleRemediation(runbook: name, mode: mode, parameters: params, acceptPushed: acceptPushed) } else {
                    fail(rb, "bad runbook name '\(name)' (expected lowercase letters, digits and _)")
                }
            }
        }

        guard errors.count == before, let kind else { return nil }
        return AlertRule(name: name, severity: severity, kind: kind, forDuration: forDuration, keepFiringFor: keepFiringFor,
                         labels: labels, annotations: annotations, flapPolicy: flap, line: node.mark?.line ?? 0, remediation: remediation)
    }

    // MARK: Expressions

    private static let exprKeys: [String: [String]] = [
        "threshold": ["metric", "match", "aggregate", "window", "op", "threshold", "per_cpu"],
        "forecast": ["metric", "match", "window", "op", "threshold", "within", "min_points"],
        "rate": ["metric", "match", "window", "op", "threshold"],
        "host_stale": ["match", "after"],
        "series_absent": ["metric", "match", "after"],
        "check_failed": ["check", "check_kind", "match", "consecutive"],
        "log_match": ["contains", "regex", "level", "source", "match", "window", "min_count"],
        "anomaly": ["metric", "match", "min_score"],
        "new_log_pattern": ["level", "within", "match"],
        "slo_burn": ["check", "check_kind", "match", "objective", "long_window", "short_window", "factor", "service"],
    ]

    private mutating func parseExpr(_ node: Node, kind: String, rule: String) -> RuleKind? {
        let allowed = Self.exprKeys[kind] ?? []
        guard let map = mapping(node, "a mapping under 'expr' with \(allowed.joined(separator: ", "))") else { return nil }
        let before = errors.count
        let context = "the \(kind) expr of \(rule)"
        let f = fields(map, allowed: allowed, context: context)
        func req(_ key: String, _ hint: String) -> Node? {
            require(f, key, in: node, context: context, hint: hint)
        }
        let matchers = f["match"].map { self.matchers($0) } ?? []

        let result: RuleKind?
        switch kind {
        case "threshold":
            let metric = req("metric", "the metric name").flatMap { metricName($0) }
            var aggregation = Aggregation.last
            if let a = f["aggregate"], let s = string(a, "an aggregation") {
                if let parsed = Aggregation(rawValue: s) { aggregation = parsed } else {
                    fail(a, "unknown aggregation '\(s)' (expected last, avg, max, min)")
                }
            }
            let window = f["window"].flatMap { duration($0, key: "window", positive: true) } ?? 300_000
            let op = req("op", "the comparison, e.g. \">\"").flatMap { comparison($0, forecast: false) }
            let threshold = req("threshold", "the value to compare with").flatMap { number($0, key: "threshold") }
            let perCPU = f["per_cpu"].flatMap { bool($0, key: "per_cpu") } ?? false
            if let metric, let op, let threshold {
                result = .threshold(.init(metric: metric, matchers: matchers, aggregation: aggregation, window: window,
                                          op: op, threshold: threshold, perCPU: perCPU))
            } else { result = nil }
        case "forecast":
            let metric = req("metric", "the metric name").flatMap { metricName($0) }
            let window = req("window", "the history the line is fitted to, e.g. 6h").flatMap { duration($0, key: "window", positive: true) }
            let op = f["op"].map { comparison($0, forecast: true) } ?? .greaterOrEqual
            let threshold = req("threshold", "the value the forecast must reach").flatMap { number($0, key: "threshold") }
            let within = req("within", "how far ahead, e.g. 4h").flatMap { duration($0, key: "within", positive: true) }
            let minPoints = f["min_points"].flatMap { int($0, key: "min_points", min: 2) } ?? 3
            if let metric, let window, let op, let threshold, let within {
                result = .forecast(.init(metric: metric, matchers: matchers, window: window, op: op, threshold: threshold,
                                         within: within, minPoints: minPoints))
            } else { result = nil }
        case "rate":
            let metric = req("metric", "the metric name").flatMap { metricName($0) }
            let window = req("window", "the span the rate is measured over, e.g. 10m").flatMap { duration($0, key: "window", positive: true) }
            let op = req("op", "the comparison, e.g. \">\"").flatMap { comparison($0, forecast: false) }
            let threshold = req("threshold", "the rate per second to compare with").flatMap { number($0, key: "threshold") }
            if let metric, let window, let op, let threshold {
                result = .rate(.init(metric: metric, matchers: matchers, window: window, op: op, threshold: threshold))
            } else { result = nil }
        case "host_stale":
            let after = req("after", "how long without data, e.g. 60s").flatMap { duration($0, key: "after", positive: true) }
            result = after.map { .hostStale(.init(matchers: matchers, after: $0)) }
        case "series_absent":
            let metric = req("metric", "the metric name").flatMap { metricName($0) }
            let after = req("after", "how long without a point, e.g. 5m").flatMap { duration($0, key: "after", positive: true) }
            if let metric, let after {
                result = .seriesAbsent(.init(metric: metric, matchers: matchers, after: after))
            } else { result = nil }
        case "check_failed":
            let check = f["check"].flatMap { stringMatcher($0, subject: "'check'") }
            var checkKind: CheckKind?
            if let k = f["check_kind"], let s = string(k, "a check kind") {
                checkKind = CheckKind(rawValue: s)
                if checkKind == nil { fail(k, "unknown check kind '\(s)' (expected \(CheckKind.allCases.map(\.rawValue).joined(separator: ", ")))") }
            }
            let consecutive = f["consecutive"].flatMap { int($0, key: "consecutive", min: 1) } ?? 1
            result = .checkFailed(.init(check: check, checkKind: checkKind, matchers: matchers, consecutive: consecutive))
        case "log_match":
            var pattern = RuleKind.LogPattern.any
            if let c = f["contains"], let s = string(c, "the text a line must contain") {
                if s.isEmpty { fail(c, "'contains' is empty (expected the text a line must contain)") }
                pattern = .contains(s)
            }
            if let r = f["regex"], let s = string(r, "a regular expression") {
                if f["contains"] != nil {
                    fail(r, "use either 'contains' or 'regex', not both")
                } else if let regex = RegexPattern(s, anchored: false) {
                    pattern = .regex(regex)
                } else {
                    fail(r, "invalid regular expression '\(s)' (expected ICU/NSRegularExpression syntax)")
                }
            }
            var level: LogLevel?
            if let l = f["level"], let s = string(l, "a log level") {
                level = LogLevel(rawValue: s)
                if level == nil { fail(l, "unknown level '\(s)' (expected \(LogLevel.allCases.map(\.rawValue).joined(separator: ", ")))") }
            }
            let source = f["source"].flatMap { stringMatcher($0, subject: "'source'") }
            if f["contains"] == nil && f["regex"] == nil && f["level"] == nil && f["source"] == nil {
                fail(node, "\(context) matches every line (expected at least one of contains, regex, level, source)")
            }
            let window = req("window", "the span lines are counted over, e.g. 5m").flatMap { duration($0, key: "window", positive: true) }
            let minCount = f["min_count"].flatMap { int($0, key: "min_count", min: 1) } ?? 1
            if let window {
                result = .logMatch(.init(pattern: pattern, minLevel: level, source: source, matchers: matchers, window: window, minCount: minCount))
            } else { result = nil }
        case "anomaly":
            // Without a metric: every series the scanner scans.
            let metric = f["metric"].flatMap { metricName($0) }
            var minScore: Double?
            if let m = req("min_score", "the lowest anomaly score that breaches, 0 to 1"), let value = number(m, key: "min_score") {
                if value < 0 || value > 1 {
                    fail(m, "min_score \(m.scalar?.string ?? "") is out of range (expected a number from 0 to 1)")
                } else {
                    minScore = value
                }
            }
            if f["metric"] == nil || metric != nil, let minScore {
                result = .anomaly(.init(metric: metric, matchers: matchers, minScore: minScore))
            } else { result = nil }
        case "new_log_pattern":
            var level = LogLevel.error
            if let l = f["level"], let s = string(l, "a log level") {
                if let parsed = LogLevel(rawValue: s) { level = parsed } else {
                    fail(l, "unknown level '\(s)' (expected \(LogLevel.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            }
            let within = f["within"].flatMap { duration($0, key: "within", positive: true) } ?? 900_000
            result = .newLogPattern(.init(minLevel: level, within: within, matchers: matchers))
        case "slo_burn":
            let check = f["check"].flatMap { stringMatcher($0, subject: "'check'") }
            var checkKind: CheckKind?
            if let k = f["check_kind"], let s = string(k, "a check kind") {
                checkKind = CheckKind(rawValue: s)
                if checkKind == nil { fail(k, "unknown check kind '\(s)' (expected \(CheckKind.allCases.map(\.rawValue).joined(separator: ", ")))") }
            }
            let service = f["service"].flatMap { stringMatcher($0, subject: "'service'") }
            if f["service"] != nil {
                for key in ["check", "check_kind"] {
                    if let n = f[key] { fail(n, "'\(key)' does not go with 'service' (a service's checks and hosts come from topology.yaml)") }
                }
            }
            var objective: Double?
            let objectiveNode = f["service"] == nil ? req("objective", "the availability objective in percent, e.g. 99.9 (or 'service:' for services' own)")
                : f["objective"]
            if let o = objectiveNode, let v = number(o, key: "objective") {
                if v <= 0 || v >= 100 { fail(o, "objective \(o.scalar?.string ?? "") is out of range (expected a percentage above 0 and below 100, e.g. 99.9)") } else { objective = v }
            }
            let long = f["long_window"].flatMap { duration($0, key: "long_window", positive: true) } ?? 3_600_000
            let short = f["short_window"].flatMap { duration($0, key: "short_window", positive: true) } ?? long / 12
            if short >= long, let s = f["short_window"] ?? f["long_window"] {
                fail(s, "short_window must be shorter than long_window (the short one confirms the burn is still going on)")
            }
            if long > 7 * 86_400_000, let l = f["long_window"] { fail(l, "long_window must be at most 7d (the rule reads every check result in it)") }
            var factor = 14.4
            if let n = f["factor"], let v = number(n, key: "factor") {
                if v <= 0 { fail(n, "factor must be above 0 (how many times faster than the objective allows the budget burns)") } else { factor = v }
            }
            if objective != nil || service != nil {
                result = .sloBurn(.init(check: check, checkKind: checkKind, matchers: matchers, objective: objective,
                                        longWindow: long, shortWindow: short, factor: factor, service: service))
            } else { result = nil }
        default:
            result = nil
        }
        return errors.count == before ? result : nil
    }

    // MARK: Values

    private static let opWords: [String: ComparisonOp] = [
        "gt": .greater, "ge": .greaterOrEqual, "lt": .less, "le": .lessOrEqual, "eq": .equal, "ne": .notEqual,
    ]

    private mutating func comparison(_ node: Node, forecast: Bool) -> ComparisonOp? {
        guard let s = string(node, "a comparison operator") else { return nil }
        guard let op = ComparisonOp(rawValue: s) ?? Self.opWords[s] else {
            fail(node, "unknown operator '\(s)' (expected \">\", \">=\", \"<\", \"<=\", \"==\", \"!=\" in quotes, or gt, ge, lt, le, eq, ne)")
            return nil
        }
        if forecast && (op == .equal || op == .notEqual) {
            fail(node, "operator '\(s)' cannot be forecast (expected \">\", \">=\", \"<\" or \"<=\": the side of the threshold that counts as reached)")
            return nil
        }
        return op
    }

}
