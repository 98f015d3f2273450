import Foundation
import Testing
@testable import VigilCore
import VigilWire

/// Rule files: the shipped defaults, every kind's keys, and errors with exact positions and messages.
struct RuleFileTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    private func errors(_ yaml: String, file: String = "t.yaml") -> [String] {
        do {
            _ = try RuleFile.parse(yaml: yaml, path: file)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func defaultRulesValidateAndHaveTheExpectedRules() throws {
        let file = try RuleFile.load(path: Self.repoRoot + "/rules/default.yaml")
        let byName = Dictionary(uniqueKeysWithValues: file.rules.map { ($0.name, $0) })
        #expect(Set(byName.keys) == ["HighCPU", "HighMemory", "HighLoadPerCore", "ZombieProcesses", "DiskSpaceLow", "DiskSpaceCritical",
                                     "DiskFullSoon", "HostStale", "CheckDown", "ErrorLogBurst", "NewErrorPattern",
                                     "PostgresDown", "PostgresConnectionsSaturated", "PostgresReplicationLag", "PostgresLongTransaction",
                                     "PostgresLockWaits", "SLOFastBurn", "SLOSlowBurn", "SustainedAnomaly"])
        // Anomalies on every scanned series (the core metrics) but disk and inode use, held 3 minutes, at info.
        guard case .anomaly(let sustained) = byName["SustainedAnomaly"]?.kind else { Issue.record("SustainedAnomaly"); return }
        #expect(sustained.metric == nil && sustained.minScore == 0.9 && sustained.matchers.count == 1)
        #expect(sustained.matchers.first?.label == "metric" && sustained.matchers.first?.matcher.matches("cpu.usage_percent") == true
                && sustained.matchers.first?.matcher.matches("disk.used_percent") == false
                && sustained.matchers.first?.matcher.matches("disk.inodes_used_percent") == false
                && sustained.matchers.first?.matcher.matches("disk.write_bytes_per_s") == true)
        #expect(byName["SustainedAnomaly"]?.forDuration == 180_000 && byName["SustainedAnomaly"]?.severity == .info)
        let anomaly = try #require(byName["SustainedAnomaly"]).annotations.rendered(labels: ["host": "web-1", "metric": "cpu.usage_percent"], value: 0.97)
        #expect(anomaly["summary"] == "cpu.usage_percent on web-1 is unlike its usual behaviour for 3 minutes (anomaly score 0.97)")
        // The services' burn alerts of the SRE workbook: 1 h / 5 m at 14.4×, 6 h / 30 m at 6×, each service's own objective.
        guard case .sloBurn(let fast) = byName["SLOFastBurn"]?.kind, case .sloBurn(let slow) = byName["SLOSlowBurn"]?.kind else {
            Issue.record("SLO rules"); return
        }
        #expect(fast.objective == nil && fast.service?.matches("checkout") == true && fast.longWindow == 3_600_000 && fast.shortWindow == 300_000
                && fast.factor == 14.4)
        #expect(slow.longWindow == 6 * 3_600_000 && slow.shortWindow == 1_800_000 && slow.factor == 6)
        // The database rules read the metrics the agent's PostgreSQL probe sends (docs/metrics.md).
        #expect(byName["PostgresConnectionsSaturated"]?.kind == .threshold(.init(metric: "pg.connections.used_percent", aggregation: .avg,
                                                                                  window: 300_000, op: .greater, threshold: 85)))
        #expect(byName["PostgresDown"]?.severity == .critical && byName["PostgresReplicationLag"]?.forDuration == 300_000)
        guard case .threshold(let longTx) = byName["PostgresLongTransaction"]?.kind else { Issue.record("PostgresLongTransaction"); return }
        #expect(longTx.metric == "pg.transaction.longest_seconds" && longTx.threshold == 900)
        let saturated = try #require(byName["PostgresConnectionsSaturated"]).annotations.rendered(labels: ["host": "db-1", "db": "main"], value: 91.2)
        #expect(saturated["summary"] == "PostgreSQL main on db-1 uses 91% of max_connections")
        #expect(byName["NewErrorPattern"]?.kind == .newLogPattern(.init(minLevel: .error, within: 900_000)))

        let cpu = try #require(byName["HighCPU"])
        #expect(cpu.severity == .warning)
        #expect(cpu.forDuration == 600_000)
        #expect(cpu.kind == .threshold(.init(metric: "cpu.usage_percent", aggregation: .avg, window: 300_000, op: .greater, threshold: 90)))

        guard case .threshold(let mem) = byName["HighMemory"]?.kind else { Issue.record("HighMemory is not a threshold"); return }
        #expect(mem.metric == "mem.used_percent" && mem.op == .greater && mem.threshold == 90)
        #expect(byName["HighMemory"]?.forDuration == 300_000)

        guard case .threshold(let low) = byName["DiskSpaceLow"]?.kind, case .threshold(let crit) = byName["DiskSpaceCritical"]?.kind else {
            Issue.record("disk rules are not thresholds"); return
        }
        #expect(low.metric == "disk.used_percent" && low.threshold == 85 && byName["DiskSpaceLow"]?.severity == .warning)
        #expect(crit.metric == "disk.used_percent" && crit.threshold == 95 && byName["DiskSpaceCritical"]?.severity == .critical)

        guard case .forecast(let full) = byName["DiskFullSoon"]?.kind else { Issue.record("DiskFullSoon is not a forecast"); return }
        #expect(full.metric == "disk.used_percent" && full.threshold == 100 && full.within == 4 * 3_600_000 && full.op == .greaterOrEqual)

        guard case .threshold(let load) = byName["HighLoadPerCore"]?.kind else { Issue.record("HighLoadPerCore is not a threshold"); return }
        #expect(load.perCPU && load.metric.hasPrefix("load."))

        #expect(byName["HostStale"]?.kind == .hostStale(.init(after: 60_000)))
        #expect(byName["HostStale"]?.severity == .critical)
        #expect(byName["CheckDown"]?.kind == .checkFailed(.init(consecutive: 3)))

        guard case .threshold(let zombies) = byName["ZombieProcesses"]?.kind else { Issue.record("ZombieProcesses is not a threshold"); return }
        #expect(zombies.metric == "proc.zombies" && zombies.threshold == 5 && byName["ZombieProcesses"]?.forDuration == 600_000)

        guard case .logMatch(let logs) = byName["ErrorLogBurst"]?.kind else { Issue.record("ErrorLogBurst is not a log_match"); return }
        #expect(logs.minLevel == .error && logs.minCount == 20 && logs.window == 300_000 && logs.pattern == .any)

        // Summaries are templates, rendered per alert instance.
        let disk = try #require(byName["DiskSpaceLow"]).annotations.rendered(labels: ["host": "web-1", "mount": "/var"], value: 91.6)
        #expect(disk["summary"] == "/var on web-1 is 92% full (above 85%)")
        let stale = try #require(byName["HostStale"]).annotations.rendered(labels: ["host": "db-2"], value: 125)
        #expect(stale["summary"] == "No data from db-2 for 2m 5s")
    }

    @Test func aTemplateMistakeIsAnErrorAtItsLineAndColumn() {
        let yaml = """
            groups:
              - name: g
                rules:
                  - alert: A
                    kind: host_stale
                    expr: {after: 1m}
                    annotations:
                      summary: "down: {{ $labels.host | humanise }}"
                      description: |
                        line one
                        {{ if $value }}never closed
            """
        #expect(errors(yaml) == [
            "t.yaml:8:45: in the template: unknown function 'humanise' (known: and, eq, ge, gt, html, humanize, humanize1024, humanizeDuration, humanizePercentage, join, le, len, lt, match, ne, not, or, printf, reReplaceAll, title, toLower, toUpper, trimSpace, urlquery)",
            "t.yaml:11:1: in the template: 'if' is never closed with '{{ end }}'",
        ])
    }

    @Test func everyKindParsesIntoItsModel() throws {
        let yaml = """
            groups:
              - name: all
                interval: 20s
                rules:
                  - alert: RootFull
                    kind: threshold
                    expr:
                      metric: disk.used_percent
                      match:
                        mount: /
                        host: ["=~web-.*", "!=web-3"]
                        env: "!~ staging|dev"
                      aggregate: max
                      window: 2m
                      op: ge
                      threshold: 90.5
                    for: 1m30s
                    keep_firing_for: 2m
                    severity: critical
                    labels: {team: infra}
                    annotations: {summary: root full, description: long text, runbook: disk-cleanup}
                    flapping: {max_changes: 4, window: 30m, calm_changes: 1}
                  - alert: MemRunsOut
                    kind: forecast
                    expr: {metric: mem.available_bytes, window: 1h, op: "<=", threshold: 0, within: 2h}
                  - alert: FastGrowth
                    kind: rate
                    expr: {metric: disk.used_percent, window: 10m, op: ">", threshold: 0.01}
                  - alert: Stale
                    kind: host_stale
                    expr: {after: 90}
                  - alert: MountGone
                    kind: series_absent
                    expr: {metric: disk.used_percent, match: {mount: /data}, after: 5m}
                  - alert: ApiDown
                    kind: check_failed
                    expr: {check: "=~api-.*", check_kind: http, consecutive: 2}
                  - alert: OOM
                    kind: log_match
                    expr: {regex: "(?i)out of memory", source: "=~/var/log/.*", window: 10m}
                  - alert: Odd
                    kind: anomaly
                    expr: {metric: cpu.usage_percent, min_score: 0.8}
                  - alert: NewErrors
                    kind: new_log_pattern
                    expr: {level: critical, within: 10m, match: {host: "=~db-.*"}}
                  - alert: BudgetBurn
                    kind: slo_burn
                    expr: {check: "=~api-.*", objective: 99.5, long_window: 6h, short_window: 30m, factor: 6}
            """
        let file = try RuleFile.parse(yaml: yaml, path: "all.yaml")
        #expect(file.groups.count == 1 && file.groups[0].interval == 20_000)
        let rules = file.rules
        #expect(rules.map(\.kind.name) == RuleKind.names)
        #expect(file.rulesByKind.map(\.count) == Array(repeating: 1, count: 10))

        let root = rules[0]
        #expect(root.line == 5)
        #expect(root.forDuration == 90_000 && root.keepFiringFor == 120_000 && root.severity == .critical)
        #expect(root.labels == ["team": "infra"])
        #expect(root.annotations == RuleAnnotations(summary: "root full", description: "long text", runbook: "disk-cleanup"))
        #expect(root.flapPolicy == FlapPolicy(maxChanges: 4, window: 1_800_000, calmChanges: 1))
        guard case .threshold(let t) = root.kind else { Issue.record("not a threshold"); return }
        #expect(t.matchers.map(\.description) == ["mount=/", "host=~web-.*", "host!=web-3", "env!~staging|dev"])
        #expect(t.aggregation == .max && t.window == 120_000 && t.op == .greaterOrEqual && t.threshold == 90.5 && !t.perCPU)

        #expect(rules[1].kind == .forecast(.init(metric: "mem.available_bytes", window: 3_600_000, op: .lessOrEqual, threshold: 0, within: 7_200_000)))
        #expect(rules[1].severity == .warning && rules[1].forDuration == 0 && rules[1].flapPolicy == .default)
        #expect(rules[2].kind == .rate(.init(metric: "disk.used_percent", window: 600_000, op: .greater, threshold: 0.01)))
        #expect(rules[3].kind == .hostStale(.init(after: 90_000)))
        guard case .seriesAbsent(let absent) = rules[4].kind, case .checkFailed(let check) = rules[5].kind,
              case .logMatch(let log) = rules[6].kind, case .anomaly(let anomaly) = rules[7].kind else {
            Issue.record("kinds out of order"); return
        }
        guard case .newLogPattern(let newPattern) = rules[8].kind else { Issue.record("not new_log_pattern"); return }
        #expect(newPattern.minLevel == .critical && newPattern.within == 600_000 && newPattern.matchers.map(\.description) == ["host=~db-.*"])
        #expect(absent.after == 300_000 && absent.matchers.map(\.description) == ["mount=/data"])
        #expect(check.check?.description == "=~api-.*" && check.checkKind == .http && check.consecutive == 2)
        #expect(check.check?.matches("api-orders") == true && check.check?.matches("web-api") == false)
        #expect(log.source?.matches("/var/log/syslog") == true && log.minCount == 1 && log.minLevel == nil)
        #expect(log.pattern.matches("kernel: Out Of Memory: killed process 42") && !log.pattern.matches("all fine"))
        #expect(anomaly.minScore == 0.8)
    }

    @Test func everyErrorOfAFileWithPositionAndExpectation() {
        let yaml = """
            groups:
              - name: broken
                interval: soon
                rules:
                  - alert: HighCPU
                    kind: threshold
                    severty: warning
                    expr:
                      metric: cpu.usage_percent
                      op: ">>"
                      threshold: ninety
                      window: 5 minutes
                  - alert: HighCPU
                    kind: threshold
                    severity: urgent
                    expr:
                      metric: cpu.usage_percent
                      match:
                        host: "=~web-(["
                      op: ">"
                      threshold: 90
                  - alert: Stale
                    kind: stale
                    expr: {after: 60s}
                  - alert: NoExpr
                    kind: host_stale
                    for: -5m
            """
        let durationHint = "(expected e.g. 30s, 5m, 1h30m; a bare number means seconds)"
        #expect(errors(yaml, file: "rules/bad.yaml") == [
            "rules/bad.yaml:3:15: bad duration 'soon' for 'interval' \(durationHint)",
            "rules/bad.yaml:7:9: unknown key 'severty' in rule 'HighCPU' (expected alert, kind, expr, for, keep_firing_for, severity, labels, annotations, flapping, remediation)",
            "rules/bad.yaml:10:15: unknown operator '>>' (expected \">\", \">=\", \"<\", \"<=\", \"==\", \"!=\" in quotes, or gt, ge, lt, le, eq, ne)",
            "rules/bad.yaml:11:22: 'ninety' is not a number (expected a finite number for 'threshold', e.g. 90 or 0.5)",
            "rules/bad.yaml:12:19: bad duration '5 minutes' for 'window' \(durationHint)",
            "rules/bad.yaml:13:16: duplicate alert name 'HighCPU' in group 'broken' (first defined at 5:16)",
            "rules/bad.yaml:15:19: unknown severity 'urgent' (expected info, warning, critical)",
            "rules/bad.yaml:19:19: invalid regular expression 'web-([' for label 'host' (expected ICU/NSRegularExpression syntax)",
            "rules/bad.yaml:23:15: unknown kind 'stale' (expected one of threshold, forecast, rate, host_stale, series_absent, check_failed, log_match, anomaly, new_log_pattern, slo_burn)",
            "rules/bad.yaml:25:9: missing 'expr' in rule 'NoExpr' (expected a mapping whose keys depend on the kind)",
            "rules/bad.yaml:27:14: bad duration '-5m' for 'for' \(durationHint)",
        ])
    }

    @Test func structureAndPerKindValidation() {
        let yaml = """
            groups:
              - name: g
                rules:
                  - alert: A
                    kind: threshold
                    expr: {match: {1bad: x}, op: ">", threshold: 1}
                    labels: {host: web-1, team: [a]}
                    annotations: {summary: s, dashboard: d}
                  - alert: B
                    kind: forecast
                    expr: {metric: disk.used_percent, window: 0s, op: "==", threshold: 100, within: 4h}
                  - alert: C
                    kind: log_match
                    expr: {contains: boom, regex: boom, level: fatal, window: 5m, min_count: 0}
                  - alert: D
                    kind: anomaly
                    expr: {metric: "cpu usage", min_score: 1.5}
                  - alert: E
                    kind: check_failed
                    expr: {check_kind: ping, per_cpu: true}
                  - alert: F
                    kind: log_match
                    expr: {window: 5m}
              - name: g
                rules: {}
            extra: 1
            """
        #expect(errors(yaml) == [
            "t.yaml:6:15: missing 'metric' in the threshold expr of rule 'A' (expected the metric name)",
            "t.yaml:6:24: bad label name '1bad' (expected letters, digits and _, not starting with a digit)",
            "t.yaml:7:18: label 'host' is reserved (it is set from the data); choose another name",
            "t.yaml:7:37: expected a string value for label 'team', found a list",
            "t.yaml:8:35: unknown key 'dashboard' in the annotations of rule 'A' (expected summary, description, runbook)",
            "t.yaml:11:51: 'window' must be longer than 0 (expected e.g. 30s, 5m)",
            "t.yaml:11:59: operator '==' cannot be forecast (expected \">\", \">=\", \"<\" or \"<=\": the side of the threshold that counts as reached)",
            "t.yaml:14:39: use either 'contains' or 'regex', not both",
            "t.yaml:14:52: unknown level 'fatal' (expected trace, debug, info, notice, warning, error, critical)",
            "t.yaml:14:82: '0' is not allowed for 'min_count' (expected a whole number of at least 1)",
            "t.yaml:17:24: bad metric name 'cpu usage' (expected letters, digits, _ . : such as cpu.usage_percent; see docs/metrics.md)",
            "t.yaml:17:48: min_score 1.5 is out of range (expected a number from 0 to 1)",
            "t.yaml:20:28: unknown check kind 'ping' (expected http, tcp, systemd)",
            "t.yaml:20:34: unknown key 'per_cpu' in the check_failed expr of rule 'E' (expected check, check_kind, match, consecutive)",
            "t.yaml:23:15: the log_match expr of rule 'F' matches every line (expected at least one of contains, regex, level, source)",
            "t.yaml:24:11: duplicate group name 'g' (first defined at 2:11; group names must be unique in a file)",
            "t.yaml:25:12: expected a list of rules under 'rules', found a mapping",
            "t.yaml:26:1: unknown key 'extra' in the top level (expected groups, inhibit_rules, maintenance)",
        ])
    }

    @Test func syntaxErrorsAndWholeFileProblems() throws {
        #expect(errors("groups:\n  - name: x\n    rules: [\n") .count == 1)
        let syntax = errors("groups:\n  - name: x\n\trules: []\n")
        #expect(syntax.count == 1 && syntax[0].hasPrefix("t.yaml:3:1: YAML syntax error:"))
        #expect(errors("groups:\n  - name: x\n    name: y\n    rules: []\n") == [
            "t.yaml:2:5: duplicated key(s) 'name' in a mapping (expected each key once)",
        ])
        #expect(errors("") == ["t.yaml: empty file (expected a mapping with 'groups:')"])
        #expect(errors("- a\n- b\n") == ["t.yaml:1:1: expected a mapping with 'groups:', found a list"])
        #expect(errors("rules: []\n") == [
            "t.yaml:1:1: unknown key 'rules' in the top level (expected groups, inhibit_rules, maintenance)",
            "t.yaml:1:1: missing 'groups' in the top level (expected a list of rule groups)",
        ])
        let dir = TempDir()
        #expect(throws: RuleFileErrors(path: dir.file("nope.yaml"), errors: [
            RuleFileError(file: dir.file("nope.yaml"), line: 0, column: 0, message: "no such file"),
        ])) { try RuleFile.load(path: dir.file("nope.yaml")) }
    }

    @Test func matcherNotation() throws {
        func m(_ s: String) throws -> StringMatcher { try StringMatcher.parse(s).get() }
        #expect(try m("web-1").op == .equal && m("web-1").value == "web-1")
        #expect(try m("=web-1") == m("web-1"))
        #expect(try m("==x").value == "=x")
        #expect(try m("!= db").op == .notEqual && m("!= db").value == "db")
        #expect(try m("=~web-.*").matches("web-12"))
        #expect(try !m("=~web").matches("web-12"), "regex matchers are anchored")
        #expect(try m("!~web-.*").matches("db-1") && !m("!~web-.*").matches("web-1"))
        #expect(throws: RuleSyntaxError.self) { try m("=~(").op }

        let env = LabelMatcher(label: "env", matcher: try m("!=prod"))
        #expect(env.matches { _ in nil }, "an absent label reads as empty")
        let required = LabelMatcher(label: "env", matcher: try m("=~.+"))
        #expect(!required.matches { _ in nil })
    }

    /// Every complete rule file in docs/rules.md (a ```yaml block with `groups:`) validates.
    @Test func documentedExamplesValidate() throws {
        let doc = try String(contentsOfFile: Self.repoRoot + "/docs/rules.md", encoding: .utf8)
        let blocks = doc.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        let files = blocks.filter { $0.hasPrefix("groups:") }
        #expect(files.count >= 8)
        var kinds: Set<String> = []
        for (i, yaml) in files.enumerated() {
            let file = try RuleFile.parse(yaml: yaml, path: "docs/rules.md example \(i + 1)")
            for rule in file.rules { kinds.insert(rule.kind.name) }
        }
        #expect(kinds == Set(RuleKind.names))
    }
}
