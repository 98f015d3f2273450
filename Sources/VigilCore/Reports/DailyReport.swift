import Foundation
import VigilWire

/// One alert lifecycle event as a report reads it (`Store.alertEvents`).
public struct ReportAlertEvent: Sendable, Equatable {
    public var fingerprint: String
    public var rule: String
    public var host: String?
    public var severity: String
    /// `firing`, `resolved` or `manual_resolve`.
    public var kind: String
    public var ts: Int64
    /// For a resolution: when the episode it ends fired (nil when it never fired, or the firing was not kept).
    public var firedAt: Int64?

    public init(fingerprint: String, rule: String, host: String?, severity: String, kind: String, ts: Int64, firedAt: Int64? = nil) {
        self.fingerprint = fingerprint
        self.rule = rule
        self.host = host
        self.severity = severity
        self.kind = kind
        self.ts = ts
        self.firedAt = firedAt
    }

    public var isResolution: Bool { kind == "resolved" || kind == "manual_resolve" }
}

/// What happened over a time range (normally the last 24 hours): alerts fired and resolved by rule and host, the
/// mean time to resolve, incidents, remediation runs and their outcomes, new log patterns and the hosts in the
/// worst health. Built by a pure function over values read from the store (`gather` does the reading); rendered as
/// text and as JSON. Holds no raw log line: log patterns are mined templates.
public struct DailyReport: Sendable, Equatable {
    public struct RuleLine: Sendable, Equatable {
        public var rule: String
        public var fired: Int
        public var resolved: Int
        /// Distinct hosts it fired on.
        public var hosts: Int
    }

    public struct HostLine: Sendable, Equatable {
        public var host: String
        public var fired: Int
        public var resolved: Int
    }

    public struct IncidentLine: Sendable, Equatable {
        public var id: String
        public var rule: String
        public var host: String?
        public var startedAt: Int64
        public var resolvedAt: Int64
        public var runbook: String?
        public var outcome: String?
        public var durationMs: Int64 { max(0, resolvedAt - startedAt) }
    }

    public struct RunbookLine: Sendable, Equatable {
        public var runbook: String
        /// Real (not dry) runs created in the range.
        public var runs: Int
        public var succeeded: Int
        /// Failed, errored, lost, refused or whose precondition failed.
        public var failed: Int
        /// Succeeded out of those that finished either way; nil when none did.
        public var successRate: Double? { succeeded + failed == 0 ? nil : Double(succeeded) / Double(succeeded + failed) }
    }

    public struct PatternLine: Sendable, Equatable {
        public var template: String
        public var count: Int
        public var level: LogLevel
        public var firstSeen: Int64
    }

    /// One check's time-weighted availability over the range (`CheckAvailability`), over every host that runs it.
    public struct AvailabilityLine: Sendable, Equatable {
        public var check: String
        public var hosts: Int
        public var tally: AvailabilityTally
    }

    public struct HealthLine: Sendable, Equatable {
        public var host: String
        public var health: Int
        public var status: String
        /// Alerts that fired on it in the range.
        public var fired: Int
    }

    public var from: Int64
    public var to: Int64
    public var generatedAt: Int64
    public var alertsFired: Int
    public var alertsResolved: Int
    /// Most fired first.
    public var rules: [RuleLine]
    /// Most fired first.
    public var hosts: [HostLine]
    /// Mean time from firing to resolution over the resolutions in the range whose firing is known.
    public var mttrMs: Int64?
    public var resolutionsTimed: Int
    /// Resolved in the range, newest first (at most `maxIncidents`).
    public var incidents: [IncidentLine]
    public var incidentCount: Int
    public var runs: Int
    public var runsSucceeded: Int
    public var runsFailed: Int
    public var dryRuns: Int
    /// Most runs first.
    public var runbooks: [RunbookLine]
    /// Templates first seen in the range, most lines first.
    public var newPatterns: [PatternLine]
    /// Lowest health first, only hosts below 100.
    public var worstHosts: [HealthLine]
    /// Least available check first.
    public var availability: [AvailabilityLine] = []
    /// The services' objectives (`topology.yaml`), least budget left first.
    public var sla: [SLALine] = []
    /// What was cut to keep the report bounded.
    public var notes: [String]

    public static let maxRules = 10
    public static let maxHosts = 10
    public static let maxIncidents = 20
    public static let maxPatterns = 10
    public static let maxWorstHosts = 5
    public static let maxChecks = 10
    /// The most check results a report reads (a week of a 10 s check on 100 hosts is 6 million).
    public static let checkResultLimit = 3_000_000

    /// Succeeded out of the real runs that finished either way; nil when none did.
    public var successRate: Double? { runsSucceeded + runsFailed == 0 ? nil : Double(runsSucceeded) / Double(runsSucceeded + runsFailed) }
    /// The rules that fired, most first (at most five).
    public var noisiestRules: [RuleLine] { Array(rules.filter { $0.fired > 0 }.prefix(5)) }

    // MARK: building (pure)

    /// The report of `[from, to)` from what the store returned. Events, incidents and runs outside the range are
    /// ignored, so callers may pass wider reads.
    public static func build(from: Int64, to: Int64, generatedAt: Int64, events: [ReportAlertEvent], incidents: [IncidentRecord],
                             runs: [RemediationRun], patterns: [LogPatternStat], hosts: [HostSummary],
                             checkHistory: [String: [CheckResult]] = [:], notes: [String] = []) -> DailyReport {
        let inRange = events.filter { $0.ts >= from && $0.ts < to }
        var byRule: [String: (fired: Int, resolved: Int, hosts: Set<String>)] = [:]
        var byHost: [String: (fired: Int, resolved: Int)] = [:]
        var fired = 0, resolved = 0
        var durations: [Int64] = []
        for e in inRange {
            let host = e.host ?? "-"
            if e.kind == "firing" {
                fired += 1
                byRule[e.rule, default: (0, 0, [])].fired += 1
                if let h = e.host { byRule[e.rule, default: (0, 0, [])].hosts.insert(h) }
                byHost[host, default: (0, 0)].fired += 1
            } else if e.isResolution {
                resolved += 1
                byRule[e.rule, default: (0, 0, [])].resolved += 1
                byHost[host, default: (0, 0)].resolved += 1
                if let f = e.firedAt, f <= e.ts { durations.append(e.ts - f) }
            }
        }
        let rules = byRule.map { RuleLine(rule: $0.key, fired: $0.value.fired, resolved: $0.value.resolved, hosts: $0.value.hosts.count) }
            .sorted { ($1.fired, $1.resolved, $0.rule) < ($0.fired, $0.resolved, $1.rule) }
        let hostLines = byHost.map { HostLine(host: $0.key, fired: $0.value.fired, resolved: $0.value.resolved) }
            .sorted { ($1.fired, $1.resolved, $0.host) < ($0.fired, $0.resolved, $1.host) }

        let resolvedIncidents = incidents.filter { $0.resolvedAt >= from && $0.resolvedAt < to }.sorted { ($0.resolvedAt, $0.id) > ($1.resolvedAt, $1.id) }

        var runbooks: [String: RunbookLine] = [:]
        var runsTotal = 0, succeeded = 0, failed = 0, dry = 0
        for r in runs where r.createdAt >= from && r.createdAt < to {
            if r.dryRun { dry += 1; continue }
            runsTotal += 1
            var line = runbooks[r.runbook] ?? RunbookLine(runbook: r.runbook, runs: 0, succeeded: 0, failed: 0)
            line.runs += 1
            if r.state == .succeeded { succeeded += 1; line.succeeded += 1 }
            if Self.isFailure(r.state) { failed += 1; line.failed += 1 }
            runbooks[r.runbook] = line
        }

        let newPatterns = patterns.filter { $0.firstSeen >= from && $0.firstSeen < to }
            .sorted { ($1.count, $0.firstSeen, $0.template) < ($0.count, $1.firstSeen, $1.template) }
            .map { PatternLine(template: $0.template, count: $0.count, level: $0.level, firstSeen: $0.firstSeen) }
        let worst = hosts.filter { $0.health < 100 }
            .sorted { ($0.health, $0.name) < ($1.health, $1.name) }
            .prefix(maxWorstHosts)
            .map { HealthLine(host: $0.name, health: $0.health, status: $0.status.rawValue, fired: byHost[$0.name]?.fired ?? 0) }

        var notes = notes
        if rules.count > maxRules { notes.append("\(rules.count - maxRules) more rules not listed") }
        if hostLines.count > maxHosts { notes.append("\(hostLines.count - maxHosts) more alerting hosts not listed") }
        if resolvedIncidents.count > maxIncidents { notes.append("\(resolvedIncidents.count - maxIncidents) more incidents not listed") }
        if newPatterns.count > maxPatterns { notes.append("\(newPatterns.count - maxPatterns) more new log patterns not listed") }
        let checks = CheckSeries(checkHistory)
        let availability = checks.tally(from: from, to: to)
            .map { AvailabilityLine(check: $0.key, hosts: checks.hosts[$0.key]?.count ?? 0, tally: $0.value) }
            .sorted { ($0.tally.availability ?? 2, $0.check) < ($1.tally.availability ?? 2, $1.check) }
        if availability.count > maxChecks { notes.append("\(availability.count - maxChecks) more checks not listed (vigil sla lists them all)") }
        var report = DailyReport(
            from: from, to: to, generatedAt: generatedAt, alertsFired: fired, alertsResolved: resolved,
            rules: Array(rules.prefix(maxRules)), hosts: Array(hostLines.prefix(maxHosts)),
            mttrMs: durations.isEmpty ? nil : durations.reduce(0, +) / Int64(durations.count), resolutionsTimed: durations.count,
            incidents: resolvedIncidents.prefix(maxIncidents).map {
                IncidentLine(id: $0.id, rule: $0.rule, host: $0.host, startedAt: $0.startedAt, resolvedAt: $0.resolvedAt, runbook: $0.runbook, outcome: $0.outcome)
            },
            incidentCount: resolvedIncidents.count,
            runs: runsTotal, runsSucceeded: succeeded, runsFailed: failed, dryRuns: dry,
            runbooks: runbooks.values.sorted { ($1.runs, $1.failed, $0.runbook) < ($0.runs, $0.failed, $1.runbook) },
            newPatterns: Array(newPatterns.prefix(maxPatterns)), worstHosts: Array(worst), notes: notes)
        report.availability = Array(availability.prefix(maxChecks))
        return report
    }

    /// A run that ended badly: failed, errored, lost, refused, or whose precondition failed.
    static func isFailure(_ s: RunState) -> Bool { s.isFailure || s == .preconditionFailed }

    // MARK: reading (I/O)

    /// Reads what the report needs from the store (bounded reads; what was cut is noted) and builds it.
    /// `topology` is the file with the services' objectives (default: `TopologyConfig.defaultPath()`).
    public static func gather(store: any Store, from: Int64, to: Int64, now: Int64,
                              topology: String? = TopologyConfig.defaultPath()) async throws -> DailyReport {
        let eventLimit = 50_000, runLimit = 5_000, incidentLimit = 1_000
        let events = try await store.alertEvents(from: from, to: to, limit: eventLimit)
        let incidents = try await store.incidents(resolvedFrom: from, to: to, limit: incidentLimit)
        let runs = try await store.runs(RunFilter(since: from, limit: runLimit))
        let patterns = try await store.topLogPatterns(host: nil, from: from, to: to, limit: 500)
        let hosts = try await store.fleetSnapshot(now: min(now, to)).hosts
        // 10 minutes before the range: the result before it stands for its first minutes.
        let checks = try await store.checkHistory(from: from - 600_000, to: to, limit: checkResultLimit)
        var notes: [String] = []
        if checks.values.reduce(0, { $0 + $1.count }) >= checkResultLimit {
            notes.append("availability from the first \(checkResultLimit) check results only; the rest of the range counts as unknown")
        }
        if events.count >= eventLimit { notes.append("only the first \(eventLimit) alert events were read") }
        if runs.count >= runLimit { notes.append("only the newest \(runLimit) runs were read") }
        if incidents.count >= incidentLimit { notes.append("only the newest \(incidentLimit) incidents were read") }
        let sla = try await gatherSLA(store: store, path: topology, from: from, to: to, notes: &notes)
        var report = build(from: from, to: to, generatedAt: now, events: events, incidents: incidents, runs: runs, patterns: patterns, hosts: hosts,
                           checkHistory: checks, notes: notes)
        report.sla = sla
        return report
    }

    // MARK: rendering

    /// The report as plain text for a terminal or a mail.
    public var text: String {
        var out = ["Vigil daily report: \(AITimeText.clock(from)) to \(AITimeText.clock(to)) (\(DurationText.short(ms: max(0, to - from))))", ""]
        var alertLine = "ALERTS  \(alertsFired) fired, \(alertsResolved) resolved"
        if let mttrMs { alertLine += ", MTTR \(DurationText.short(ms: mttrMs)) (over \(resolutionsTimed) resolution\(resolutionsTimed == 1 ? "" : "s"))" }
        out.append(alertLine)
        if !rules.isEmpty {
            out.append(contentsOf: Self.table(["  rule", "fired", "resolved", "hosts"], rules.map { ["  " + $0.rule, "\($0.fired)", "\($0.resolved)", "\($0.hosts)"] }))
        }
        if !hosts.isEmpty {
            out.append("  by host: " + hosts.map { "\($0.host) \($0.fired) fired/\($0.resolved) resolved" }.joined(separator: ", "))
        }
        out.append("")
        return out.joined(separator: "\n") + "\n" + detailText
    }

    /// The sections after the alerts: incidents, remediation, new log patterns, worst health, notes (the weekly
    /// report shows them under its comparison).
    public var detailText: String {
        var out = ["INCIDENTS  \(incidentCount) resolved"]
        for i in incidents {
            var line = "  \(i.id)  \(i.rule)\(i.host.map { " on \($0)" } ?? "")  lasted \(DurationText.short(ms: i.durationMs))"
            if let rb = i.runbook { line += "  \(rb) \(i.outcome ?? "?")" }
            out.append(line)
        }
        out.append("")
        var runLine = "REMEDIATION  \(runs) run\(runs == 1 ? "" : "s"): \(runsSucceeded) succeeded, \(runsFailed) failed"
        if let r = successRate { runLine += " (\(Self.percent(r)) success)" }
        if dryRuns > 0 { runLine += "; \(dryRuns) dry run\(dryRuns == 1 ? "" : "s")" }
        out.append(runLine)
        if !runbooks.isEmpty {
            out.append(contentsOf: Self.table(["  runbook", "runs", "ok", "failed", "success"],
                                              runbooks.map { ["  " + $0.runbook, "\($0.runs)", "\($0.succeeded)", "\($0.failed)", $0.successRate.map(Self.percent) ?? "-"] }))
        }
        out.append("")
        out.append("NEW LOG PATTERNS  \(newPatterns.count)")
        for p in newPatterns {
            out.append("  \(p.count)× \(p.level.rawValue)  \(p.template.prefix(160))  (first \(AITimeText.clock(p.firstSeen)))")
        }
        out.append("")
        out.append("AVAILABILITY" + (availability.isEmpty ? "  no check results" : "  (checks, time-weighted; time without results is unknown)"))
        if !availability.isEmpty {
            out.append(contentsOf: Self.table(["  check", "hosts", "available", "known", "down"], availability.map { a in
                ["  " + a.check, "\(a.hosts)", a.tally.availability.map { String(format: "%.3f%%", $0 * 100) } ?? "-",
                 String(format: "%.0f%%", a.tally.coverage * 100), a.tally.downMs < 1000 ? "0s" : DurationText.short(ms: a.tally.downMs)]
            }))
        }
        out.append(contentsOf: slaText)
        out.append("")
        out.append("WORST HEALTH" + (worstHosts.isEmpty ? "  every host at 100" : ""))
        out.append(contentsOf: worstHosts.map { "  \($0.host)  health \($0.health)  \($0.status)  \($0.fired) alert\($0.fired == 1 ? "" : "s") fired" })
        if !notes.isEmpty {
            out.append("")
            out.append(contentsOf: notes.map { "note: \($0)" })
        }
        return out.joined(separator: "\n")
    }

    /// The report as JSON (keys sorted; times in Unix ms).
    public var json: JSONValue {
        .object([
            "from": .int64(from), "to": .int64(to), "generated_at": .int64(generatedAt),
            "alerts": .object([
                "fired": .int(alertsFired), "resolved": .int(alertsResolved),
                "mttr_ms": mttrMs.map(JSONValue.int64) ?? .null, "resolutions_timed": .int(resolutionsTimed),
                "by_rule": .array(rules.map { .object(["rule": .string($0.rule), "fired": .int($0.fired), "resolved": .int($0.resolved), "hosts": .int($0.hosts)]) }),
                "by_host": .array(hosts.map { .object(["host": .string($0.host), "fired": .int($0.fired), "resolved": .int($0.resolved)]) }),
                "noisiest_rules": .array(noisiestRules.map { .string($0.rule) }),
            ]),
            "incidents": .object([
                "resolved": .int(incidentCount),
                "list": .array(incidents.map {
                    .object(["id": .string($0.id), "rule": .string($0.rule), "host": .optional($0.host), "started_at": .int64($0.startedAt),
                             "resolved_at": .int64($0.resolvedAt), "duration_ms": .int64($0.durationMs), "runbook": .optional($0.runbook),
                             "outcome": .optional($0.outcome)])
                }),
            ]),
            "remediation": .object([
                "runs": .int(runs), "succeeded": .int(runsSucceeded), "failed": .int(runsFailed), "dry_runs": .int(dryRuns),
                "success_rate": .optional(successRate),
                "by_runbook": .array(runbooks.map {
                    .object(["runbook": .string($0.runbook), "runs": .int($0.runs), "succeeded": .int($0.succeeded), "failed": .int($0.failed),
                             "success_rate": .optional($0.successRate)])
                }),
            ]),
            "new_log_patterns": .array(newPatterns.map {
                .object(["template": .string($0.template), "count": .int($0.count), "level": .string($0.level.rawValue), "first_seen": .int64($0.firstSeen)])
            }),
            "worst_hosts": .array(worstHosts.map {
                .object(["host": .string($0.host), "health": .int($0.health), "status": .string($0.status), "alerts_fired": .int($0.fired)])
            }),
            "availability": .array(availability.map {
                .object(["check": .string($0.check), "hosts": .int($0.hosts), "availability": .optional($0.tally.availability),
                         "coverage": .number($0.tally.coverage), "up_ms": .int64($0.tally.upMs), "down_ms": .int64($0.tally.downMs),
                         "unknown_ms": .int64($0.tally.unknownMs)])
            }),
            "sla": slaJSON,
            "notes": .array(notes.map(JSONValue.string)),
        ])
    }

    static func percent(_ r: Double) -> String { "\(Int((r * 100).rounded()))%" }

    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        return [line(header)] + rows.map(line)
    }
}
