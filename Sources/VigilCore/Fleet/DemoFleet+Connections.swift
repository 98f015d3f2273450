import VigilWire

extension DemoFleet {
    /// Each host's address in the demo: 10.1.0.N in the order of `hosts`.
    func address(_ h: Host) -> String {
        "10.1.0.\((hosts.firstIndex { $0.name == h.name } ?? 0) + 1)"
    }

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
    func connections(_ h: Host) -> [ConnectionRecord] {
        var out: [ConnectionRecord] = []
        func callees(_ caller: Host, _ role: String) -> [Host] {
            if role == "*" { return hosts.filter { $0.name != caller.name } }
            if role == "db" { return hosts.filter { $0.name == "db-1" } }
            return hosts.filter { $0.role == role }
        }
        for (from, to, port, client, server) in Self.calls {
            if h.role == from {
                for callee in callees(h, to) {
                    out.append(ConnectionRecord(direction: .outbound, process: client, localAddr: address(h), remoteAddr: address(callee),
                                                remotePort: port, count: to == "*" ? 1 : 4))
                }
            }
            for caller in hosts where caller.role == from && callees(caller, to).contains(where: { $0.name == h.name }) {
                out.append(ConnectionRecord(direction: .inbound, process: server, localAddr: address(h), localPort: port, remoteAddr: address(caller),
                                            count: to == "*" ? 1 : 4))
            }
        }
        if h.role == "db", h.name != "db-1", let primary = hosts.first(where: { $0.name == "db-1" }) {
            out.append(ConnectionRecord(direction: .outbound, process: "postgres", localAddr: address(h), remoteAddr: address(primary), remotePort: 5432))
        }
        return Array(out.prefix(IngestDecoder.maxConnections))
    }
}
