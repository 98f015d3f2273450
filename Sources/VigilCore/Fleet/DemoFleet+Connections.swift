import VigilWire

extension DemoFleet {
    /// Who calls whom in the demo, as (caller role, callee role, port, caller process, callee process): the load
    /// balancers call the web tier, web the APIs, APIs and workers the primary database and the caches, replicas their
    /// primary, and the monitoring box scrapes everyone (a fan-out the topology leaves out).
    static let calls: [(String, String, Int, String, String)] = [
        ("lb", "web", 8080, "haproxy", "nginx"),
        ("web", "api", 9000, "nginx", "gunicorn"),
        ("api", "db", 5432, "gunicorn", "postgres"),
        ("api", "cache", 6379, "gunicorn", "redis-server"),
        ("worker", "db", 5432, "celery", "postgres"),
        ("worker", "cache", 6379, "celery", "redis-server"),
        ("mon", "*", 9100, "prometheus", "node_exporter"),
    ]

    /// The established connections `h` reports: outbound to what it calls, inbound from what calls it. The APIs and
    /// workers use the primary (db-1); db-2 and db-3 replicate from it.
    func connections(_ h: Host) -> [ConnectionRecord] { connectionPlan[h.name] ?? [] }

    /// Every host's records, made once with the fleet (`connectionPlan`): one pass over the calls, each appended to
    /// its caller (outbound) and its callee (inbound), in the order of `hosts`.
    static func plan(_ hosts: [Host]) -> [String: [ConnectionRecord]] {
        var address: [String: String] = [:]
        for (i, h) in hosts.enumerated() { address[h.name] = "10.1.\(i / 254).\(i % 254 + 1)" }
        var byRole: [String: [Host]] = [:]
        for h in hosts { byRole[h.role, default: []].append(h) }
        let primary = hosts.first { $0.name == "db-1" }
        var out: [String: [ConnectionRecord]] = [:]
        for (from, to, port, client, server) in calls {
            for caller in byRole[from] ?? [] {
                let callees = to == "*" ? hosts.filter { $0.name != caller.name } : to == "db" ? (primary.map { [$0] } ?? []) : byRole[to] ?? []
                for callee in callees {
                    let count = to == "*" ? 1 : 4
                    out[caller.name, default: []].append(ConnectionRecord(direction: .outbound, process: client, localAddr: address[caller.name]!,
                                                                          remoteAddr: address[callee.name]!, remotePort: port, count: count))
                    out[callee.name, default: []].append(ConnectionRecord(direction: .inbound, process: server, localAddr: address[callee.name]!,
                                                                          localPort: port, remoteAddr: address[caller.name]!, count: count))
                }
            }
        }
        if let primary {
            for h in byRole["db"] ?? [] where h.name != primary.name {
                out[h.name, default: []].append(ConnectionRecord(direction: .outbound, process: "postgres", localAddr: address[h.name]!,
                                                                 remoteAddr: address[primary.name]!, remotePort: 5432))
            }
        }
        return out.mapValues { Array($0.prefix(IngestDecoder.maxConnections)) }
    }
}
