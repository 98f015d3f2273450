import VigilWire

/// A connection an agent reported, as the store keeps it: which host saw it, when first and last, and in how many
/// reports.
public struct ObservedConnection: Sendable, Equatable {
    public var host: String
    public var record: ConnectionRecord
    public var firstSeen: Int64
    public var lastSeen: Int64
    /// Reports that had it.
    public var seen: Int

    public init(host: String, record: ConnectionRecord, firstSeen: Int64, lastSeen: Int64, seen: Int) {
        self.host = host
        self.record = record
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.seen = seen
    }

    /// One record per key (direction, process, addresses, ports), counts added: what the store upserts.
    public static func merged(_ records: [ConnectionRecord]) -> [ConnectionRecord] {
        var out: [ConnectionRecord] = []
        var index: [ConnectionRecord: Int] = [:]
        for r in records {
            var key = r
            key.count = 1
            if let i = index[key] {
                out[i].count += r.count
            } else {
                index[key] = out.count
                out.append(r)
            }
        }
        return out
    }
}

/// Turns the agents' connections into topology links between monitored hosts. An address belongs to a host when
/// its address labels say so (`address`, `ip`, …: `TopologyInference.addressLabels`) or, failing any label, when it
/// is the only host that reported a connection arriving at it; an address several hosts claim (127.0.0.1) belongs to
/// none. A host's outbound connection to another host's address is a `calls` link from it; an inbound one from
/// another host's address a `calls` link to it. Only connections seen in at least `minimumReports` reports count
/// (one look is a coincidence). Pure.
public enum ConnectionLinker {
    /// Connections last seen longer ago than this are not links any more.
    public static let window: Int64 = 24 * 3_600_000
    public static let minimumReports = 2
    /// A process that reaches more hosts than this on one port, and over half the fleet or hosts of at least
    /// `monitorGroups` groups, is scraping or monitoring them (Prometheus on :9100), not depending on them: its
    /// connections make no links. (The groups matter past 400 hosts: an agent sends at most 200 records, so a scraper
    /// of 1,000 hosts shows 200 of them, never half the fleet.)
    public static let monitorFanOut = 10
    public static let monitorGroups = 3
    /// The agents' own pushes to Vigil are plumbing, not the service's topology.
    public static let ignoredProcesses: Set<String> = ["vigil-agent", "vigil"]

    public static func links(_ connections: [ObservedConnection], hosts: [HostSummary]) -> [TopologyLink] {
        // Who each address belongs to: labels first, then the hosts that saw connections arriving at it.
        var labelled: [String: Set<String>] = [:]
        for h in hosts {
            for a in TopologyInference.addresses(of: h).dropFirst() { labelled[a, default: []].insert(h.name) }
        }
        var arriving: [String: Set<String>] = [:]
        for c in connections where c.record.direction == .inbound {
            arriving[c.record.localAddr.lowercased(), default: []].insert(c.host)
        }
        func owner(_ address: String) -> String? {
            let a = address.lowercased()
            if let l = labelled[a] { return l.count == 1 ? l.first : nil }
            if let s = arriving[a] { return s.count == 1 ? s.first : nil }
            // A host known by its address as its name.
            return hosts.contains { $0.name.lowercased() == a } ? address : nil
        }
        // Fan-out per (host, process, port) to distinct owners: monitors reach most of the fleet.
        var reach: [String: Set<String>] = [:]
        for c in connections where c.record.direction == .outbound {
            if let o = owner(c.record.remoteAddr) { reach["\(c.host) \(c.record.process) \(c.record.remotePort)", default: []].insert(o) }
        }
        var groupOf: [String: String] = [:]
        for h in hosts { if let g = h.labels["group"], !g.isEmpty { groupOf[h.name] = g } }
        let monitors = Set(reach.filter { _, reached in
            reached.count > monitorFanOut && (reached.count * 2 > hosts.count || Set(reached.compactMap { groupOf[$0] }).count >= monitorGroups)
        }.keys)
        // The same scrapes as their targets see them: from the monitor's host, at that port.
        let monitorPorts = Set(monitors.map { key in
            let parts = key.split(separator: " ", omittingEmptySubsequences: false)
            return "\(parts.first ?? "") \(parts.last ?? "")"
        })
        var out: [TopologyLink] = []
        for c in connections where c.seen >= minimumReports && !ignoredProcesses.contains(c.record.process) {
            let r = c.record
            guard let other = owner(r.remoteAddr), other != c.host else { continue }
            switch r.direction {
            case .outbound: if monitors.contains("\(c.host) \(r.process) \(r.remotePort)") { continue }
            case .inbound: if monitorPorts.contains("\(other) \(r.localPort)") { continue }
            }
            let by = r.process.isEmpty ? "" : " by \(r.process)"
            switch r.direction {
            case .outbound:
                out.append(TopologyLink(from: c.host, to: other, kind: .calls, sources: [.discovered],
                                        details: ["tcp/\(r.remotePort)\(by), \(r.count) conn\(r.count == 1 ? "" : "s")"]))
            case .inbound:
                out.append(TopologyLink(from: other, to: c.host, kind: .calls, sources: [.discovered],
                                        details: ["tcp/\(r.localPort)\(r.process.isEmpty ? "" : " to \(r.process)"), \(r.count) conn\(r.count == 1 ? "" : "s")"]))
            }
        }
        return out
    }
}
