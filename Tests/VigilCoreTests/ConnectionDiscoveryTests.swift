import Foundation
import Testing
import VigilWire
@testable import VigilCore

/// Topology discovery: the agents' connections stored on both backends (one row per peer, seen counted, aged by
/// retention), turned into links between monitored hosts, and end to end from real sockets between real processes
/// through a real agent and a real listener.
@Suite struct ConnectionDiscoveryTests {
    @Test(arguments: Backend.available) func connectionsAreCountedReadAndAged(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        var b = IngestBatch(host: "web-1", labels: ["address": "10.0.0.5"])
        b.connections = [
            ConnectionRecord(direction: .outbound, process: "php-fpm", localAddr: "10.0.0.5", remoteAddr: "10.0.0.7", remotePort: 5432, count: 3),
            // The same key twice in one batch (a hostile or odd agent): one row, counts added.
            ConnectionRecord(direction: .outbound, process: "php-fpm", localAddr: "10.0.0.5", remoteAddr: "10.0.0.7", remotePort: 5432, count: 1),
        ]
        let decoded = try IngestDecoder().decode(Array(b.json().utf8), nowMs: now)
        _ = try await store.ingest(decoded, receivedAt: now - 60_000)
        var first = try await store.connections(since: 0)
        #expect(first.count == 1 && first[0].seen == 1 && first[0].record.count == 4, "\(first)")
        // A second report a minute later: seen twice, first seen kept.
        b.connections = [b.connections[0]]
        _ = try await store.ingest(b, receivedAt: now)
        first = try await store.connections(since: 0)
        #expect(first.count == 1 && first[0].seen == 2 && first[0].record.count == 3 && first[0].firstSeen == now - 60_000 && first[0].lastSeen == now)
        #expect(first[0].host == "web-1" && first[0].record.remotePort == 5432 && first[0].record.process == "php-fpm")
        var db = IngestBatch(host: "db-1", labels: ["address": "10.0.0.7"])
        db.connections = [ConnectionRecord(direction: .inbound, process: "postgres", localAddr: "10.0.0.7", localPort: 5432, remoteAddr: "10.0.0.5", count: 3)]
        _ = try await store.ingest(db, receivedAt: now - 30 * 86_400_000)
        #expect(try await store.connections(since: now - 86_400_000).count == 1, "read from a time")
        #expect(try await store.deleteAged(.connections, before: now - RetentionPolicy().connections, limit: 100) == 1)
        #expect(try await store.connections(since: 0).count == 1)

        // The links: web-1 calls db-1 (its address label), seen twice.
        let hosts = try await store.hostInventory(now: now)
        let links = ConnectionLinker.links(try await store.connections(since: 0), hosts: hosts)
        #expect(links == [TopologyLink(from: "web-1", to: "db-1", kind: .calls, sources: [.discovered], details: ["tcp/5432 by php-fpm, 3 conns"])])
    }

    @Test func linksNeedTwoReportsAndOneOwner() {
        let hosts = [HostSummary(name: "web-1"), HostSummary(name: "web-2"), HostSummary(name: "db-1", labels: ["ip": "10.0.0.7"])]
        func seen(_ host: String, _ r: ConnectionRecord, _ n: Int = 2) -> ObservedConnection {
            ObservedConnection(host: host, record: r, firstSeen: 0, lastSeen: 0, seen: n)
        }
        let links = ConnectionLinker.links([
            seen("web-1", ConnectionRecord(direction: .outbound, process: "app", localAddr: "10.0.0.5", remoteAddr: "10.0.0.7", remotePort: 5432)),
            // Seen once: a coincidence.
            seen("web-2", ConnectionRecord(direction: .outbound, process: "app", localAddr: "10.0.0.6", remoteAddr: "10.0.0.7", remotePort: 5432), 1),
            // 127.0.0.1 arrives at two hosts: nobody's.
            seen("web-1", ConnectionRecord(direction: .inbound, process: "nginx", localAddr: "127.0.0.1", localPort: 80, remoteAddr: "127.0.0.1")),
            seen("web-2", ConnectionRecord(direction: .inbound, process: "nginx", localAddr: "127.0.0.1", localPort: 80, remoteAddr: "127.0.0.1")),
            seen("web-2", ConnectionRecord(direction: .outbound, process: "curl", localAddr: "127.0.0.1", remoteAddr: "127.0.0.1", remotePort: 80)),
            // web-2's address is known from what arrives at it: db-1 reports an inbound connection from it.
            seen("web-2", ConnectionRecord(direction: .inbound, process: "app", localAddr: "10.0.0.6", localPort: 8080, remoteAddr: "10.0.0.9")),
            seen("db-1", ConnectionRecord(direction: .inbound, process: "postgres", localAddr: "10.0.0.7", localPort: 5432, remoteAddr: "10.0.0.6", count: 4)),
        ], hosts: hosts)
        #expect(links.map { "\($0.from)>\($0.to) \($0.details[0])" } == ["web-1>db-1 tcp/5432 by app, 1 conn", "web-2>db-1 tcp/5432 to postgres, 4 conns"],
                "\(links)")
    }

    /// A scraper of a large fleet: its agent sends 200 records, never half of 1,000 hosts, but they span every group;
    /// a load balancer reaching 12 hosts of one group still depends on them.
    @Test func aScraperOfALargeFleetMakesNoLinks() {
        let groups = ["web", "api", "data", "ops"]
        let hosts = (0..<1000).map { HostSummary(name: "h-\($0)", labels: ["group": groups[$0 % 4], "address": "10.0.\($0 / 250).\($0 % 250)"]) }
        func out(_ from: Int, _ to: Int, port: Int, _ process: String) -> ObservedConnection {
            ObservedConnection(host: "h-\(from)", record: ConnectionRecord(direction: .outbound, process: process, localAddr: "x",
                                                                         remoteAddr: "10.0.\(to / 250).\(to % 250)", remotePort: port), firstSeen: 0, lastSeen: 0, seen: 2)
        }
        let scrapes = [0, 1, 2].flatMap { group in (1...66).map { out(3, $0 * 4 + group, port: 9100, "prometheus") } }
        let lb = (1...12).map { out(2, $0 * 4, port: 8080, "haproxy") }
        let links = ConnectionLinker.links(scrapes + lb, hosts: hosts)
        #expect(links.count == 12 && links.allSatisfy { $0.from == "h-2" && $0.details[0].hasPrefix("tcp/8080") }, "\(links.prefix(3))")
    }

    /// Two real python3 processes talk over loopback (the server on 127.0.0.2, db-1's address); the real agent, as
    /// host web-1, reports twice; the real listener stores it; the link web-1 → db-1 appears with the port and
    /// process, and `vigil topology links` prints it.
    @Test func aRealAgentDiscoversARealConnection() async throws {
        let dir = TempDir()
        let db = dir.file("vigil.db")
        let store = try SQLiteStore(path: db)
        let now = WallClock.nowMs()
        let (_, secret) = try await store.createAgentToken(host: nil, expiresAt: nil, comment: "discovery", now: now, actor: "test")
        // db-1 is known by its address label.
        _ = try await store.ingest(IngestBatch(host: "db-1", labels: ["address": "127.0.0.2"], samples: [Sample(name: "up", value: 1, ts: now)]), receivedAt: now)
        let port = freePort()
        let serve = try await startServe(db: db, port: port)
        defer { serve.stopInBackground() }
        let server = try Child("/usr/bin/python3", ["-c", """
            import socket, time
            s = socket.socket(); s.bind(("127.0.0.2", 0)); s.listen(8)
            print(s.getsockname()[1], flush=True)
            c = s.accept()[0]
            time.sleep(600)
            """])
        defer { server.stopInBackground() }
        var serverPort = 0
        #expect(await eventually(10) {
            serverPort = Int(server.text.split(separator: "\n").first.map(String.init) ?? "") ?? 0
            return serverPort > 0
        })
        let client = try Child("/usr/bin/python3", ["-c", """
            import socket, time
            c = socket.create_connection(("127.0.0.2", \(serverPort)))
            print("connected", flush=True); time.sleep(600)
            """])
        defer { client.stopInBackground() }
        #expect(await eventually(10) { client.text.contains("connected") })
        let config = dir.file("agent.yaml")
        try """
            url: http://127.0.0.1:\(port)
            host: web-1
            state_dir: \(dir.file("state"))
            connections: 1s
            """.write(toFile: config, atomically: true, encoding: .utf8)
        for _ in 0..<2 {
            let once = try await offPool { try spawnAndWait(["/usr/bin/env", "VIGIL_TOKEN=\(secret)", Binaries.path("vigil-agent"), "--once", "--config", config]) }
            #expect(once.status == 0, "\(once.output)")
        }
        let sources = try await TopologySources.read(store, configPath: nil, now: WallClock.nowMs())
        // Other tests' python3 processes on this machine may talk to 127.0.0.2 too: this one is among the links.
        #expect(sources.discovered.contains { $0.from == "web-1" && $0.to == "db-1" && $0.details == ["tcp/\(serverPort) by python3, 1 conn"] },
                "\(sources.discovered)")
        let printed = try await offPool { try spawnAndWait([Binaries.path("vigil"), "topology", "links", "--db", db]) }
        #expect(printed.output.contains("web-1") && printed.output.contains("db-1") && printed.output.contains("discovered")
                && printed.output.contains("tcp/\(serverPort) by python3"), "\(printed.output)")
    }
}
