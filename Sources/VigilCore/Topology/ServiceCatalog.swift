import VigilWire

/// A service as the Services pane shows it: its hosts, its checks' last results, latency and availability over the
/// window, its firing alerts and a status.
public struct ServiceSummary: Sendable, Equatable, Identifiable {
    /// Where the service comes from: `topology.yaml`, a check's name, or a link's end that is no host.
    public enum Origin: String, Sendable, Equatable {
        case configured, checks, links
    }

    public enum Status: String, Sendable, Equatable, Comparable {
        case down, degraded, unknown, ok

        public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
        var rank: Int { self == .down ? 0 : self == .degraded ? 1 : self == .unknown ? 2 : 3 }
    }

    public var id: String { name }
    public var name: String
    public var origin: Origin
    public var definition: ServiceDefinition?
    public var hosts: [String]
    public var hostsUp: Int
    public var checks: [String]
    /// Checks of the service with no result in the window (a typo in `topology.yaml`, or a check not deployed yet).
    public var missingChecks: [String]
    /// The last result of each (host, check) of the service: how many, how many failing.
    public var results: Int
    public var failing: Int
    /// Mean check latency per slot over the window (ms), oldest first; the last result's mean.
    public var latency: [Double?]
    public var lastLatency: Double?
    /// Time-weighted over the window, every host's time counting (`CheckAvailability`).
    public var tally: AvailabilityTally
    public var severity: AlertSeverity?
    public var alerts: [String]
    public var status: Status
    /// Its objectives' measures, when it has an `slo:` (`ServiceSLAReport`; filled in by whoever reads them).
    public var sla: [ServiceSLA] = []
}

/// The services of the fleet: those `topology.yaml` names, then one per check name no configured service claims (its
/// hosts: where it runs), then the links' ends that are not hosts. Pure.
public enum ServiceCatalog {
    public static func services(definitions: [ServiceDefinition], hosts: [HostSummary], history: [String: [CheckResult]], firing: [StoredAlert],
                                graph: TopologyGraph, now: Int64, window: Int64 = 86_400_000, slots: Int = 24) -> [ServiceSummary] {
        let from = now - window
        // Per check name: per host, results sorted by time.
        var byCheck: [String: [String: [CheckResult]]] = [:]
        for (host, results) in history {
            for r in results { byCheck[r.name, default: [:]][host, default: []].append(r) }
        }
        let hostByName = Dictionary(hosts.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [ServiceSummary] = []
        var claimed = Set<String>()
        for d in definitions {
            var members = Set(d.hosts)
            for h in hosts where d.includes(h) { members.insert(h.name) }
            let checks = d.checkNames
            // Named by its checks alone: it runs where they run.
            if d.hosts.isEmpty && d.match.isEmpty { for c in checks { if let runs = byCheck[c] { members.formUnion(runs.keys) } } }
            claimed.formUnion(checks)
            out.append(summary(d.name, .configured, d, hosts: members, checks: checks, byCheck: byCheck, hostByName: hostByName, firing: firing,
                               from: from, now: now, slots: slots))
        }
        let named = Set(out.map(\.name))
        for check in byCheck.keys.sorted() where !claimed.contains(check) && !named.contains(check) {
            out.append(summary(check, .checks, nil, hosts: Set(byCheck[check]!.keys), checks: [check], byCheck: byCheck, hostByName: hostByName,
                               firing: firing, from: from, now: now, slots: slots))
        }
        let known = Set(out.map(\.name))
        for n in graph.nodes where n.kind == .service && !known.contains(n.id) {
            out.append(summary(n.id, .links, nil, hosts: [], checks: [], byCheck: byCheck, hostByName: hostByName, firing: firing,
                               from: from, now: now, slots: slots))
        }
        return out.sorted { ($0.status, $0.name) < ($1.status, $1.name) }
    }

    static func summary(_ name: String, _ origin: ServiceSummary.Origin, _ d: ServiceDefinition?, hosts members: Set<String>, checks: [String],
                        byCheck: [String: [String: [CheckResult]]], hostByName: [String: HostSummary], firing: [StoredAlert],
                        from: Int64, now: Int64, slots: Int) -> ServiceSummary {
        var results = 0, failing = 0, failingEverywhere = false
        var tally = AvailabilityTally()
        var sums = [Double](repeating: 0, count: slots), counts = [Int](repeating: 0, count: slots)
        var lastLatencies: [Double] = []
        let slotMs = max(1, (now - from) / Int64(max(1, slots)))
        var missing: [String] = []
        for check in checks {
            guard let perHost = byCheck[check] else {
                missing.append(check)
                continue
            }
            var hostsRunning = 0, hostsFailing = 0
            for (host, list) in perHost where members.isEmpty || members.contains(host) {
                let sorted = list.sorted { $0.ts < $1.ts }
                guard let last = sorted.last else { continue }
                hostsRunning += 1
                results += 1
                if !last.ok {
                    failing += 1
                    hostsFailing += 1
                }
                lastLatencies.append(last.latencyMs)
                let points = sorted.map { (ts: $0.ts, ok: $0.ok) }
                tally = tally + CheckAvailability.tally(points, from: from, to: now, interval: CheckAvailability.usualInterval(points.map(\.ts)))
                for r in sorted where r.ts >= from && r.ts < now {
                    let i = Int((r.ts - from) / slotMs)
                    guard i >= 0, i < slots else { continue }
                    sums[i] += r.latencyMs
                    counts[i] += 1
                }
            }
            if hostsRunning > 0 && hostsFailing == hostsRunning { failingEverywhere = true }
        }
        let memberHosts = members.compactMap { hostByName[$0] }
        let alerts = firing.filter { a in
            a.state == "firing" && (a.labels["service"] == name || a.labels["host"].map { members.contains($0) } == true)
        }.sorted { ($0.severity.rank, $1.rule) > ($1.severity.rank, $0.rule) }
        let up = memberHosts.filter { $0.status == .up }.count
        let status: ServiceSummary.Status
        if failingEverywhere || (!memberHosts.isEmpty && memberHosts.allSatisfy { $0.status == .down }) {
            status = .down
        } else if failing > 0 || alerts.contains(where: { $0.severity >= .warning }) || memberHosts.contains(where: { $0.status != .up }) {
            status = .degraded
        } else if results == 0 && memberHosts.isEmpty {
            status = .unknown
        } else {
            status = .ok
        }
        return ServiceSummary(name: name, origin: origin, definition: d, hosts: members.sorted(), hostsUp: up, checks: checks, missingChecks: missing, results: results,
                              failing: failing, latency: (0..<slots).map { counts[$0] > 0 ? sums[$0] / Double(counts[$0]) : nil },
                              lastLatency: lastLatencies.isEmpty ? nil : lastLatencies.reduce(0, +) / Double(lastLatencies.count),
                              tally: tally, severity: alerts.first?.severity, alerts: alerts.map(\.rule), status: status)
    }
}
