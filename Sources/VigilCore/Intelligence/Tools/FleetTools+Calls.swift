import Foundation
import VigilWire

/// The tools' implementations: read the store, shape a compact JSON answer.
extension FleetTools {
    // MARK: list_hosts

    func listHosts(_ a: ToolArguments) async throws -> ToolResult {
        let status = try a.choice("status", HostStatus.allCases.map(\.rawValue), default: nil)
        let label = try a.string("label")
        var match: (key: String, value: String)?
        if let label {
            guard let eq = label.firstIndex(of: "="), eq != label.startIndex else {
                throw ToolArgumentError("label", "'\(label)' must be key=value, e.g. group=web")
            }
            match = (String(label[..<eq]), String(label[label.index(after: eq)...]))
        }
        let limit = try a.int("limit", default: 100, in: 1...500)
        let now = clock()
        let snapshot = try await store.fleetSnapshot(now: now)
        let hosts = snapshot.hosts
            .filter { status == nil || $0.status.rawValue == status }
            .filter { h in match.map { h.labels[$0.key] == $0.value } ?? true }
            .sorted { ($0.health, $0.name) < ($1.health, $1.name) }
        var out: [String: JSONValue] = [
            "now": .string(Self.iso(now)),
            "fleet": ["hosts": .int(snapshot.hosts.count), "up": .int(snapshot.upCount), "stale": .int(snapshot.staleCount),
                      "down": .int(snapshot.downCount), "mean_health": .int(snapshot.meanHealth)],
            "matching": .int(hosts.count),
            "hosts": .array(hosts.prefix(limit).map { hostJSON($0, now: now) }),
        ]
        if hosts.count > limit { out["truncated"] = .string("showing \(limit) of \(hosts.count); raise limit or filter") }
        return ToolResult(value: .object(out))
    }

    func hostJSON(_ h: HostSummary, now: Int64) -> JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(h.name), "status": .string(h.status.rawValue), "health": .int(h.health),
            "cpu_percent": Self.rounded(h.cpu), "memory_percent": Self.rounded(h.memory), "disk_percent": Self.rounded(h.disk),
            "load1": Self.rounded(h.load1), "checks_failing": .int(h.checksFailing), "checks_total": .int(h.checksTotal),
            "errors_15m": .int(h.recentErrors), "last_seen": .string(Self.iso(h.lastSeen)),
            "last_seen_ago": .string(DurationText.short(ms: now - h.lastSeen)),
        ]
        if !h.labels.isEmpty { o["labels"] = .labels(h.labels) }
        if let v = h.agent?.version, !v.isEmpty { o["agent_version"] = .string(v) }
        return .object(o)
    }

    // MARK: query_metrics

    func queryMetrics(_ a: ToolArguments) async throws -> ToolResult {
        let host = try a.requiredString("host", example: "web-1")
        let metric = try a.requiredString("metric", example: "cpu.usage_percent")
        let labels = try a.stringMap("labels")
        let since = try a.duration("since", default: "1h", max: Self.maxLookBackMs)
        let buckets = try a.int("points", default: 30, in: 1...120)
        let now = clock()
        guard let detail = try await store.hostDetail(name: host, now: now) else { throw try await unknownHost(host) }
        let sameName = detail.series.filter { $0.name == metric }
        guard !sameName.isEmpty else {
            let names = Array(Set(detail.series.map(\.name))).sorted()
            throw ToolArgumentError("metric", "\(host) has no metric '\(metric)' (it has: \(Self.list(names, max: 40)))")
        }
        let matched = sameName.filter { s in labels.allSatisfy { s.labels[$0.key] == $0.value } }
        guard !matched.isEmpty else {
            let have = sameName.map { Self.labelText($0.labels) }
            throw ToolArgumentError("labels", "no \(metric) series of \(host) has \(Self.labelText(labels)) (its series: \(Self.list(have, max: 20)))")
        }
        let from = now - since
        var series: [JSONValue] = []
        for s in matched.prefix(Self.maxSeriesPerQuery) {
            let pts = try await store.points(SeriesKey(host: host, name: metric, labels: s.labels), from: from, to: now)
            series.append(Self.seriesJSON(labels: s.labels, points: pts, from: from, to: now, buckets: buckets))
        }
        var out: [String: JSONValue] = [
            "host": .string(host), "metric": .string(metric), "from": .string(Self.iso(from)), "to": .string(Self.iso(now)),
            "series": .array(series),
        ]
        if matched.count > Self.maxSeriesPerQuery {
            out["truncated"] = .string("\(matched.count) series match; showing \(Self.maxSeriesPerQuery). Narrow with labels.")
        }
        return ToolResult(value: .object(out))
    }

    /// Summary statistics and bucket averages of one series.
    static func seriesJSON(labels: [String: String], points: [SeriesPoint], from: Int64, to: Int64, buckets: Int) -> JSONValue {
        var o: [String: JSONValue] = ["points": .int(points.count)]
        if !labels.isEmpty { o["labels"] = .labels(labels) }
        guard let last = points.last else {
            o["note"] = "no data in this window"
            return .object(o)
        }
        let values = points.map(\.value)
        o["latest"] = rounded(last.value)
        o["latest_at"] = .string(iso(last.ts))
        o["min"] = rounded(values.min())
        o["max"] = rounded(values.max())
        o["avg"] = rounded(values.reduce(0, +) / Double(values.count))
        o["first"] = rounded(points[0].value)
        let step = max(1, (to - from + Int64(buckets) - 1) / Int64(buckets))
        var sums = [Double](repeating: 0, count: buckets)
        var counts = [Int](repeating: 0, count: buckets)
        for p in points {
            let i = Int(min(Int64(buckets - 1), max(0, (p.ts - from) / step)))
            sums[i] += p.value
            counts[i] += 1
        }
        o["step"] = .string(DurationText.short(ms: step))
        o["values"] = .array((0..<buckets).map { counts[$0] == 0 ? .null : rounded(sums[$0] / Double(counts[$0])) })
        return .object(o)
    }

    // MARK: list_alerts

    func listAlerts(_ a: ToolArguments) async throws -> ToolResult {
        let state = try a.choice("state", ["active", "firing", "pending", "resolved", "all"], default: "active") ?? "active"
        let host = try a.string("host")
        let severity = try a.choice("severity", AlertSeverity.allCases.map(\.rawValue), default: nil).flatMap(AlertSeverity.init(rawValue:))
        let limit = try a.int("limit", default: 50, in: 1...200)
        let states: Set<String>? = switch state {
        case "active": ["pending", "firing"]
        case "all": nil
        default: [state]
        }
        let now = clock()
        let alerts = try await store.alerts(states: states, limit: 2000)
            .filter { host == nil || $0.host == host }
            .filter { severity == nil || $0.severity >= severity! }
        var out: [String: JSONValue] = [
            "now": .string(Self.iso(now)), "state": .string(state), "count": .int(alerts.count),
            "alerts": .array(alerts.prefix(limit).map { alertJSON($0, now: now) }),
        ]
        if alerts.count > limit { out["truncated"] = .string("showing \(limit) of \(alerts.count)") }
        return ToolResult(value: .object(out))
    }

    func alertJSON(_ al: StoredAlert, now: Int64) -> JSONValue {
        var o: [String: JSONValue] = [
            "fingerprint": .string(al.fingerprint), "rule": .string(al.rule), "severity": .string(al.severity.rawValue),
            "state": .string(al.state), "host": .optional(al.host), "since": .string(Self.iso(al.activeSince)),
            "for": .string(DurationText.short(ms: (al.resolvedAt ?? now) - al.activeSince)),
        ]
        let labels = al.labels.filter { $0.key != "host" && $0.key != "alertname" }
        if !labels.isEmpty { o["labels"] = .labels(labels) }
        if let v = al.value { o["value"] = Self.rounded(v) }
        if let m = al.metric { o["metric"] = .string(m) }
        if let t = al.firedAt { o["fired_at"] = .string(Self.iso(t)) }
        if let t = al.resolvedAt { o["resolved_at"] = .string(Self.iso(t)) }
        if let s = al.annotations["summary"] ?? al.annotations["description"] { o["summary"] = .string(s) }
        if let by = al.ackedBy { o["acked_by"] = .string(by) }
        if let n = al.ackNote, !n.isEmpty { o["ack_note"] = .string(n) }
        if let who = al.assignee { o["assignee"] = .string(who) }
        if let why = al.mutedBy { o["muted_by"] = .string(why) }
        if al.flapping { o["flapping"] = true }
        if al.source != "vigil" { o["source"] = .string(al.source) }
        return .object(o)
    }

    // MARK: search_logs

    func searchLogs(_ a: ToolArguments) async throws -> ToolResult {
        let query = try a.string("query")
        let host = try a.string("host")
        let level = try a.choice("level", LogLevel.allCases.map(\.rawValue), default: nil).flatMap(LogLevel.init(rawValue:))
        let since = try a.duration("since", default: "1h", max: Self.maxLookBackMs)
        let limit = try a.int("limit", default: 50, in: 1...200)
        let now = clock()
        let from = now - since
        // Newest first: the newest `limit` lines cut to the window are the newest `limit` lines of the window.
        let lines = try await store.logs(host: host, query: query, minLevel: level, limit: limit).filter { $0.ts >= from }
        if lines.isEmpty, let host, try await store.hostDetail(name: host, now: now) == nil { throw try await unknownHost(host) }
        let out: [String: JSONValue] = [
            "from": .string(Self.iso(from)), "count": .int(lines.count),
            "lines": .array(lines.map { l in
                [
                    "ts": .string(Self.iso(l.ts)), "host": .string(l.host), "level": .string(l.level.rawValue), "source": .string(l.source),
                    "message": .string(l.message.count > Self.maxMessageChars ? String(l.message.prefix(Self.maxMessageChars)) + "…" : l.message),
                ]
            }),
        ]
        return ToolResult(value: .object(out))
    }

    // MARK: topology_neighbours

    func topologyNeighbours(_ a: ToolArguments) async throws -> ToolResult {
        let host = try a.requiredString("host", example: "web-1")
        let now = clock()
        let snapshot = try await store.fleetSnapshot(now: now)
        guard snapshot.hosts.contains(where: { $0.name == host }) else { throw unknownHost(host, known: snapshot.hosts.map(\.name)) }
        // Edges an operator accepted (vigil topology accept) win over inference.
        let accepted = try await store.topologyEdges(states: [.accepted]).filter { $0.other(than: host) != nil }
        if !accepted.isEmpty { return acceptedNeighbours(of: host, accepted, hosts: snapshot.hosts) }
        var checks: [ObservedCheck]
        if let q = store as? any FleetToolQueries {
            checks = try await q.latestCheckTargets()
        } else {
            checks = []
            for h in snapshot.hosts.prefix(500) {
                for c in try await store.hostDetail(name: h.name, now: now)?.checks ?? [] {
                    checks.append(ObservedCheck(host: h.name, name: c.name, kind: c.kind, target: c.target, ok: c.ok))
                }
            }
        }
        let byName = Dictionary(snapshot.hosts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let neighbours = TopologyInference.neighbours(of: host, hosts: snapshot.hosts, checks: checks)
        var out: [String: JSONValue] = [
            "host": .string(host),
            "inferred": true,
            "how": .string("""
                inferred from observed data only: shared \(TopologyInference.groupingLabels.joined(separator: "/")) labels, and \
                http/tcp checks whose target is another host's name or \(TopologyInference.addressLabels.joined(separator: "/")) label
                """),
            "neighbours": .array(neighbours.map { n in
                var o: [String: JSONValue] = ["host": .string(n.host), "relations": .array(n.relations.map(JSONValue.string))]
                if let h = byName[n.host] {
                    o["status"] = .string(h.status.rawValue)
                    o["health"] = .int(h.health)
                }
                return .object(o)
            }),
        ]
        if neighbours.isEmpty {
            out["note"] = .string("nothing observed relates \(host) to another host; that does not mean it has no dependencies")
        }
        return ToolResult(value: .object(out))
    }

    /// The neighbours of `host` from accepted topology edges, with each edge's direction and who accepted it.
    func acceptedNeighbours(of host: String, _ edges: [TopologyEdge], hosts: [HostSummary]) -> ToolResult {
        let byName = Dictionary(hosts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var relations: [String: [String]] = [:]
        var order: [String] = []
        for e in edges {
            guard let other = e.other(than: host) else { continue }
            if relations[other] == nil { order.append(other) }
            var text = "\(e.endpoints) \(e.kind.rawValue)"
            if let by = e.decidedBy { text += " (accepted by \(by))" }
            relations[other, default: []].append(text)
        }
        return ToolResult(value: .object([
            "host": .string(host),
            "inferred": false,
            "how": .string("topology edges accepted by an operator (vigil topology accept); inferred relations are not shown while \(host) has any"),
            "neighbours": .array(order.map { name in
                var o: [String: JSONValue] = ["host": .string(name), "relations": .array((relations[name] ?? []).map(JSONValue.string))]
                if let h = byName[name] {
                    o["status"] = .string(h.status.rawValue)
                    o["health"] = .int(h.health)
                }
                return .object(o)
            }),
        ]))
    }

    // MARK: similar_incidents
    // MARK: similar_incidents

    func similarIncidents(_ a: ToolArguments) async throws -> ToolResult {
        let fingerprint = try a.string("fingerprint")
        let query = try a.string("query")
        let limit = try a.int("limit", default: 5, in: 1...20)
        let now = clock()
        let found: [IncidentRecord]
        var about: [String: JSONValue] = [:]
        if let fingerprint {
            guard let alert = try await store.alert(fingerprint: fingerprint) else {
                throw ToolArgumentError("fingerprint", "no alert has fingerprint '\(fingerprint)' (list_alerts shows them)")
            }
            about = ["alert": .string(alert.rule), "host": .optional(alert.host)]
            found = try await store.similarIncidents(to: alert, limit: limit)
        } else if let query {
            guard let q = store as? any FleetToolQueries else {
                throw ToolArgumentError("query", "this store cannot search incidents by words; give an alert's fingerprint instead")
            }
            about = ["query": .string(query)]
            found = try await q.searchIncidents(query: query, limit: limit)
        } else {
            throw ToolArgumentError("fingerprint", "give an alert's fingerprint, or query words to search for")
        }
        var out: [String: JSONValue] = about
        out["count"] = .int(found.count)
        out["summary"] = .string(IncidentMemory.summary(found, now: now) ?? "no similar incident is remembered")
        if let best = IncidentMemory.bestFix(found) { out["best_fix"] = .string(best) }
        out["incidents"] = .array(found.map { i in
            var o: [String: JSONValue] = [
                "id": .string(i.id), "rule": .string(i.rule), "host": .optional(i.host), "severity": .string(i.severity),
                "started_at": .string(Self.iso(i.startedAt)), "resolved_at": .string(Self.iso(i.resolvedAt)),
                "lasted": .string(DurationText.short(ms: i.durationMs)),
            ]
            let labels = i.labels.filter { $0.key != "host" && $0.key != "alertname" }
            if !labels.isEmpty { o["labels"] = .labels(labels) }
            if !i.diagnosis.isEmpty { o["diagnosis"] = .string(i.diagnosis) }
            if let r = i.runbook { o["runbook"] = .string(r) }
            if let r = i.outcome { o["outcome"] = .string(r) }
            if !i.notes.isEmpty { o["notes"] = .string(i.notes) }
            if !i.patterns.isEmpty { o["log_patterns"] = .array(i.patterns.map(JSONValue.string)) }
            return .object(o)
        })
        return ToolResult(value: .object(out))
    }

    // MARK: propose_runbook

    func proposeRunbook(_ a: ToolArguments) async throws -> ToolResult {
        let name = try a.requiredString("runbook", example: remediator.catalog.runbooks.first?.name ?? "service_restart")
        let host = try a.requiredString("host", example: "web-1")
        let params = try a.stringMap("params")
        let fingerprint = try a.string("alert")
        let catalog = remediator.catalog
        guard let runbook = catalog.runbook(named: name) else {
            let known = catalog.runbooks.map(\.name)
            throw ToolArgumentError("runbook", "no runbook named '\(name)' (\(known.isEmpty ? "no runbooks are loaded" : "known: " + known.joined(separator: ", ")))")
        }
        guard WireNames.isValidHost(host) else { throw ToolArgumentError("host", "'\(host)' is not a valid host name") }
        if let unknown = params.keys.sorted().first(where: { runbook.parameter($0) == nil }) {
            let takes = runbook.parameters.map(\.name)
            throw ToolArgumentError("params.\(unknown)", "\(runbook.name) has no such parameter (\(takes.isEmpty ? "it takes none" : "it takes: " + takes.joined(separator: ", ")))")
        }
        let now = clock()
        var alert: StoredAlert?
        var diagnosis: Diagnosis?
        if let fingerprint {
            guard let found = try await store.alert(fingerprint: fingerprint) else {
                throw ToolArgumentError("alert", "no alert has fingerprint '\(fingerprint)' (list_alerts shows them)")
            }
            alert = found
            diagnosis = await remediator.diagnose(found, now: now)
        }
        let plan: RemediationPlan
        do {
            plan = try await remediator.plan(runbook: name, host: host, parameters: params, alert: alert, diagnosis: diagnosis,
                                             requester: requester, dryRun: false, now: now)
        } catch let e as RemediationError {
            throw ToolArgumentError("params", e.message)
        }
        let verdict: String
        if !plan.verdict.allowed { verdict = "blocked" } else if plan.verdict.needsApproval { verdict = "needs approval" } else { verdict = "allowed" }
        var cli = ["vigil", "runbook", "run", plan.runbook.name, "--host", plan.host]
        for (k, v) in params.sorted(by: { $0.key < $1.key }) { cli += ["--param", "\(k)=\(v)"] }
        if let f = alert?.fingerprint { cli += ["--alert", f] }
        var out: [String: JSONValue] = [
            "proposal": true,
            "submitted": false,
            "runbook": .string(plan.runbook.name), "description": .string(plan.runbook.description),
            "risk": .string(plan.runbook.risk.rawValue), "needs_role": .string(plan.runbook.role.rawValue),
            "host": .string(plan.host), "parameters": .labels(plan.parameters),
            "steps": .array(plan.steps.enumerated().map { i, s in
                ["n": .int(i + 1), "kind": .string(s.kind.rawValue), "name": .string(s.name), "command": .string(RunbookText.command(s.argv))]
            }),
            "verdict": .string(verdict),
            "checks": .array(plan.verdict.checks.map { c in
                ["name": .string(c.name), "result": .string(c.result.rawValue), "detail": .string(c.detail)]
            }),
            "plan_text": .string(RunbookText.plan(plan)),
            "next": .string("""
                Nothing has run or been queued. An operator can accept this proposal in the Vigil console (the normal \
                remediation flow: safety checks again, approval where needed), or run it from a shell: \(RunbookText.command(cli))
                """),
        ]
        if let why = plan.verdict.blockReason { out["block_reason"] = .string(why) }
        if let why = plan.verdict.approvalReason { out["approval_reason"] = .string(why) }
        if let d = plan.diagnosis {
            out["diagnosis"] = ["cause": .string(d.cause), "confidence": Self.rounded(d.confidence), "evidence": .array(d.evidence.map(JSONValue.string))]
        }
        return ToolResult(value: .object(out), proposal: plan)
    }

    // MARK: helpers

    /// An argument error for an unknown host, naming some known ones.
    func unknownHost(_ host: String) async throws -> ToolArgumentError {
        let names = try await store.fleetSnapshot(now: clock()).hosts.map(\.name)
        return unknownHost(host, known: names)
    }

    func unknownHost(_ host: String, known: [String]) -> ToolArgumentError {
        ToolArgumentError("host", "no host named '\(host)' (\(known.isEmpty ? "no host has reported yet" : "known: " + Self.list(known, max: 30)))")
    }

    static func iso(_ ms: Int64) -> String {
        Date(timeIntervalSince1970: Double(ms) / 1000).formatted(.iso8601)
    }

    /// Three decimals at most: enough for percentages and load, short for the model.
    static func rounded(_ v: Double?) -> JSONValue {
        guard let v, v.isFinite else { return .null }
        return .number((v * 1000).rounded() / 1000)
    }

    static func labelText(_ labels: [String: String]) -> String {
        "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
    }

    static func list(_ items: [String], max n: Int) -> String {
        items.count <= n ? items.joined(separator: ", ") : items.prefix(n).joined(separator: ", ") + ", … (\(items.count - n) more)"
    }
}
