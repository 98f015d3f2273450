import Foundation
import Yams

/// The links an operator writes down (`topology.yaml`): what calls, depends on or publishes to what. An end that is
/// not a monitored host is a service or outside system and gets a node of its own.
///
/// ```yaml
/// links:
///   - from: web-1
///     to: db-1
///     kind: depends_on        # calls | depends_on (the default) | publishes_to
///     note: orders database
///   - from: web-1
///     to: payments-api        # not a host: drawn as a service
///     kind: calls
/// services:
///   - name: checkout
///     hosts: [web-1, web-2]     # and/or match: {group: web}
///     checks: [checkout-http]   # the checks that say it works (default: checks named like the service)
///     owner: payments-team
///     runbook: restart-php-fpm
///     slo:                      # optional: see `ServiceObjective`
///       availability: 99.9
///       window: 30d
///       latency: {below: 300ms, objective: 99}
/// ```
public struct TopologyConfig: Sendable, Equatable {
    public var links: [TopologyLink]
    /// Services the operator names: hosts, checks, owner (`ServiceDefinition`).
    public var services: [ServiceDefinition] = []
    /// Server groups by host list and/or label selector (`ServerGroup`).
    public var groups: [ServerGroup] = []
    /// The file it came from (nil: none found).
    public var source: String?

    public init(links: [TopologyLink] = [], source: String? = nil) {
        self.links = links
        self.source = source
    }

    public static func parse(yaml: String, path: String) throws(RuleFileErrors) -> TopologyConfig {
        var parser = TopologyConfigParser(path: path)
        let (links, services) = parser.parse(yaml)
        guard parser.errors.isEmpty else { throw RuleFileErrors(path: path, errors: parser.errors) }
        var config = TopologyConfig(links: links, source: path)
        config.services = services
        config.groups = parser.groups
        return config
    }

    public static func load(path: String) throws(RuleFileErrors) -> TopologyConfig {
        try parse(yaml: try ConfigFiles.text(path: path), path: path)
    }

    /// The default places, first found wins: `$VIGIL_TOPOLOGY`, `~/.config/vigil/topology.yaml`,
    /// `/etc/vigil/topology.yaml`. Nil when there is none (no configured links: not an error).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        ConfigFiles.firstPath(variable: "VIGIL_TOPOLOGY", name: "topology.yaml", environment: environment)
    }
}

struct TopologyConfigParser: YAMLFieldParsing {
    let path: String
    var groups: [ServerGroup] = []
    var errors: [RuleFileError] = []

    init(path: String) { self.path = path }

    mutating func parse(_ yaml: String) -> ([TopologyLink], [ServiceDefinition]) {
        guard let root = root(yaml, empty: "'links:', 'services:' and/or 'groups:'") else { return ([], []) }
        guard let map = mapping(root, "a mapping with 'links:', 'services:' and/or 'groups:'") else { return ([], []) }
        let top = fields(map, allowed: ["links", "services", "groups"], context: "the topology file")
        let services = top["services"].map { parseServices($0) } ?? []
        groups = top["groups"].map { parseGroups($0) } ?? []
        guard let list = top["links"], let items = sequence(list, "a list of links under 'links:'") else { return ([], services) }
        var out: [TopologyLink] = []
        for (i, item) in items.enumerated() {
            let context = "link \(i + 1)"
            guard let m = mapping(item, "a link (from:, to:, kind:)") else { continue }
            let f = fields(m, allowed: ["from", "to", "kind", "note"], context: context)
            let from = require(f, "from", in: item, context: context, hint: "the host or service that needs the other").flatMap { name($0) }
            let to = require(f, "to", in: item, context: context, hint: "the host or service it needs").flatMap { name($0) }
            var kind = TopologyLinkKind.dependsOn
            if let k = f["kind"], let text = string(k, "calls, depends_on or publishes_to") {
                if let parsed = TopologyLinkKind(rawValue: text) {
                    kind = parsed
                } else {
                    fail(k, "unknown kind '\(text)' (expected calls, depends_on or publishes_to)")
                }
            }
            let note = f["note"].flatMap { string($0, "a note") }
            guard let from, let to else { continue }
            if from == to {
                fail(item, "\(context) links \(from) to itself")
                continue
            }
            out.append(TopologyLink(from: from, to: to, kind: kind, sources: [.configured], details: note.map { ["configured: \($0)"] } ?? ["configured"]))
        }
        return (out, services)
    }

    private mutating func parseGroups(_ node: Node) -> [ServerGroup] {
        guard let items = sequence(node, "a list of groups under 'groups:'") else { return [] }
        var out: [ServerGroup] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            let context = "group \(i + 1)"
            guard let m = mapping(item, "a group (name:, hosts:, match:)") else { continue }
            let f = fields(m, allowed: ["name", "hosts", "match"], context: context)
            guard let nameNode = require(f, "name", in: item, context: context, hint: "the group's name"), let name = self.name(nameNode) else { continue }
            guard seen.insert(name).inserted else {
                fail(nameNode, "group '\(name)' is defined twice")
                continue
            }
            var g = ServerGroup(name: name)
            if let n = f["hosts"], let list = sequence(n, "a list of host names under 'hosts:'") { g.hosts = list.compactMap { self.name($0) } }
            g.match = f["match"].map { matchers($0) } ?? []
            if g.hosts.isEmpty && g.match.isEmpty {
                fail(item, "\(context) (\(name)) names no hosts and no match: no host would be in it")
                continue
            }
            out.append(g)
        }
        return out
    }

    private mutating func parseServices(_ node: Node) -> [ServiceDefinition] {
        guard let items = sequence(node, "a list of services under 'services:'") else { return [] }
        var out: [ServiceDefinition] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            let context = "service \(i + 1)"
            guard let m = mapping(item, "a service (name:, hosts:, match:, checks:, owner:, runbook:, group:, slo:)") else { continue }
            let f = fields(m, allowed: ["name", "hosts", "match", "checks", "owner", "runbook", "group", "slo"], context: context)
            guard let nameNode = require(f, "name", in: item, context: context, hint: "the service's name"), let name = self.name(nameNode) else { continue }
            guard seen.insert(name).inserted else {
                fail(nameNode, "service '\(name)' is defined twice")
                continue
            }
            func names(_ key: String) -> [String] {
                guard let n = f[key] else { return [] }
                guard let list = sequence(n, "a list of names under '\(key):'") else { return [] }
                return list.compactMap { self.name($0) }
            }
            var s = ServiceDefinition(name: name)
            s.hosts = names("hosts")
            s.match = f["match"].map { matchers($0) } ?? []
            s.checks = names("checks")
            s.owner = f["owner"].flatMap { string($0, "an owner or team") }
            s.runbook = f["runbook"].flatMap { string($0, "a runbook name or hint") }
            s.group = f["group"].flatMap { string($0, "a group name") }
            s.objective = f["slo"].flatMap { objective($0, context: "\(context) (\(name))") }
            if s.hosts.isEmpty && s.match.isEmpty && s.checks.isEmpty {
                fail(item, "\(context) (\(name)) names no hosts, match or checks: nothing would belong to it")
                continue
            }
            out.append(s)
        }
        return out
    }

    /// `slo: {availability: 99.9, window: 30d, latency: {below: 300ms, objective: 99}}`.
    private mutating func objective(_ node: Node, context: String) -> ServiceObjective? {
        guard let m = mapping(node, "an objective (availability:, window:, latency:)") else { return nil }
        let f = fields(m, allowed: ["availability", "window", "latency"], context: "the slo of \(context)")
        func percent(_ n: Node, _ key: String) -> Double? {
            guard let v = number(n, key: key) else { return nil }
            guard v > 0 && v < 100 else {
                fail(n, "\(key) \(n.scalar?.string ?? "") is out of range (expected a percentage above 0 and below 100, e.g. 99.9)")
                return nil
            }
            return v
        }
        guard let a = require(f, "availability", in: node, context: "the slo of \(context)", hint: "the objective in percent, e.g. 99.9"),
              let availability = percent(a, "availability") else { return nil }
        var o = ServiceObjective(availability: availability)
        if let w = f["window"], let ms = duration(w, key: "window", positive: true) {
            if ms < 86_400_000 || ms > ServiceObjective.longestWindow {
                fail(w, "window \(w.scalar?.string ?? "") must be from 1d to 90d (7d, 30d and 90d are usual)")
                return nil
            }
            o.window = ms
        }
        if let l = f["latency"] {
            guard let lm = mapping(l, "a latency objective (below:, objective:)") else { return nil }
            let lf = fields(lm, allowed: ["below", "objective"], context: "the latency objective of \(context)")
            guard let b = require(lf, "below", in: l, context: "the latency objective of \(context)", hint: "the threshold, e.g. 300ms"),
                  let ms = latency(b) else { return nil }
            let target = lf["objective"].map { percent($0, "objective") } ?? availability
            guard let target else { return nil }
            o.latency = .init(thresholdMs: ms, objective: target)
        }
        return o
    }

    /// `300ms`, `1.5s`, `2s`: a latency threshold in milliseconds, above 0.
    private mutating func latency(_ node: Node) -> Double? {
        guard let s = string(node, "a latency such as 300ms or 1.5s") else { return nil }
        let (digits, scale): (Substring, Double) = s.hasSuffix("ms") ? (s.dropLast(2), 1) : s.hasSuffix("s") ? (s.dropLast(1), 1000) : (Substring(s), 1)
        guard let v = Double(digits.trimmingCharacters(in: .whitespaces)), v.isFinite, v > 0, v * scale <= 3_600_000 else {
            fail(node, "bad latency '\(s)' (expected e.g. 300ms or 1.5s, above 0 and at most 1h)")
            return nil
        }
        return v * scale
    }

    private mutating func name(_ node: Node) -> String? {
        guard let s = string(node, "a host or service name") else { return nil }
        let trimmed = s.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 128, !trimmed.contains(where: { $0.isNewline }) else {
            fail(node, "a host or service name must be 1–128 characters on one line, found '\(s)'")
            return nil
        }
        return trimmed
    }
}
