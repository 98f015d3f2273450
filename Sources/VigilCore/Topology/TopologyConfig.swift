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
/// ```
public struct TopologyConfig: Sendable, Equatable {
    public var links: [TopologyLink]
    /// Services the operator names: hosts, checks, owner (`ServiceDefinition`).
    public var services: [ServiceDefinition] = []
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
    var errors: [RuleFileError] = []

    init(path: String) { self.path = path }

    mutating func parse(_ yaml: String) -> ([TopologyLink], [ServiceDefinition]) {
        guard let root = root(yaml, empty: "'links:' and/or 'services:'") else { return ([], []) }
        guard let map = mapping(root, "a mapping with 'links:' and/or 'services:'") else { return ([], []) }
        let top = fields(map, allowed: ["links", "services"], context: "the topology file")
        let services = top["services"].map { parseServices($0) } ?? []
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

    private mutating func parseServices(_ node: Node) -> [ServiceDefinition] {
        guard let items = sequence(node, "a list of services under 'services:'") else { return [] }
        var out: [ServiceDefinition] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            let context = "service \(i + 1)"
            guard let m = mapping(item, "a service (name:, hosts:, match:, checks:, owner:, runbook:, group:)") else { continue }
            let f = fields(m, allowed: ["name", "hosts", "match", "checks", "owner", "runbook", "group"], context: context)
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
            if s.hosts.isEmpty && s.match.isEmpty && s.checks.isEmpty {
                fail(item, "\(context) (\(name)) names no hosts, match or checks: nothing would belong to it")
                continue
            }
            out.append(s)
        }
        return out
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
