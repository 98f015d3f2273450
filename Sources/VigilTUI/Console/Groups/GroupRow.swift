import Foundation
import VigilCore

/// One server group of the Groups pane: its hosts' state, health, firing alerts and resource use, aggregated. Pure.
struct GroupRow: Equatable, Identifiable {
    /// The hosts with no `group` label.
    static let ungrouped = "(no group)"

    var id: String { name }
    var name: String
    var hosts: Int
    var up: Int
    var down: Int
    /// Mean health score of the group's hosts.
    var health: Int
    var critical: Int
    var warning: Int
    var info: Int
    /// Means over the hosts that report them (disk: the fullest).
    var cpu: Double?
    var memory: Double?
    var disk: Double?
    var load: Double?
    var cpuHistory: [Double?]
    var checksTotal: Int
    var checksFailing: Int
    /// The host with the lowest health.
    var worst: String?

    /// The dashboard filter that shows this group's hosts.
    var hostFilter: String { name == Self.ungrouped ? "!^group=" : "^group=\(NSRegularExpression.escapedPattern(for: name))$" }

    /// One row per server group (a `group` label's value or a group of `topology.yaml`; a host may be in several) and
    /// one for hosts in none, worst health first.
    static func make(hosts: [HostSummary], firing: [StoredAlert]) -> [GroupRow] {
        var byGroup: [String: [HostSummary]] = [:]
        for h in hosts {
            let groups = h.groups.isEmpty ? ServerGroup.groups(of: h.name, labels: h.labels, in: []) : h.groups
            for g in groups.isEmpty ? [ungrouped] : groups { byGroup[g, default: []].append(h) }
        }
        var alertsByHost: [String: [AlertSeverity]] = [:]
        for a in firing where a.state == "firing" {
            if let h = a.labels["host"] { alertsByHost[h, default: []].append(a.severity) }
        }
        func mean(_ values: [Double?]) -> Double? {
            let v = values.compactMap { $0 }
            return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
        }
        return byGroup.map { name, members in
            let severities = members.flatMap { alertsByHost[$0.name] ?? [] }
            let slots = members.map(\.cpuHistory.count).max() ?? 0
            let history = (0..<slots).map { i in mean(members.map { i < $0.cpuHistory.count ? $0.cpuHistory[i] : nil }) }
            return GroupRow(name: name, hosts: members.count, up: members.filter { $0.status == .up }.count,
                            down: members.filter { $0.status == .down }.count,
                            health: members.map(\.health).reduce(0, +) / max(1, members.count),
                            critical: severities.filter { $0 == .critical }.count, warning: severities.filter { $0 == .warning }.count,
                            info: severities.filter { $0 == .info }.count,
                            cpu: mean(members.map(\.cpu)), memory: mean(members.map(\.memory)), disk: members.compactMap(\.disk).max(),
                            load: mean(members.map(\.load1)), cpuHistory: history,
                            checksTotal: members.map(\.checksTotal).reduce(0, +), checksFailing: members.map(\.checksFailing).reduce(0, +),
                            worst: members.min { ($0.health, $0.name) < ($1.health, $1.name) }?.name)
        }.sorted { ($0.health, $0.name) < ($1.health, $1.name) }
    }
}
