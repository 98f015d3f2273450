import Foundation
import Testing
@testable import VigilCore
import VigilWire

/// Topology suggestions from the `ToolFleet` store (web-1 checks db-1's port and web-2's URL, and logs db-1's
/// address; web-1 and web-2 share group=web) plus web-2 logging db-1's name; the AI refinement against the scripted
/// chat-completions server; decisions stored and audited; `topology_neighbours` preferring accepted edges.
@Suite struct TopologySuggestionTests {
    static func fleet() async throws -> ToolFleet {
        let f = try await ToolFleet()
        let agent = AgentInfo(version: VigilVersion.current, os: "linux", kernel: "6", arch: "x86_64", cpus: 2, memory: 1 << 30)
        let logs = [LogEntry(ts: ToolFleet.t0 - 1000, source: "/var/log/app.log", level: .warning, message: "slow query on db-1 (2300 ms)"),
                    LogEntry(ts: ToolFleet.t0 - 2000, source: "/var/log/app.log", level: .info, message: "db-10 is not ours"),
                    LogEntry(ts: ToolFleet.t0 - 3000, source: "/var/log/app.log", level: .info, message: "web-2 started")]
        _ = try await f.store.ingest(IngestBatch(host: "web-2", agent: agent, labels: ["group": "web"], logs: logs), receivedAt: ToolFleet.t0)
        return f
    }

    static func edge(_ edges: [TopologyEdge], _ from: String, _ to: String, _ kind: TopologyEdgeKind = .dependsOn) -> TopologyEdge? {
        edges.first { $0.fromHost == from && $0.toHost == to && $0.kind == kind }
    }

    @Test func candidatesComeFromCheckTargetsLogMentionsAndLabels() async throws {
        let f = try await Self.fleet()
        let (hosts, candidates) = try await TopologySuggester.gather(store: f.store, now: ToolFleet.t0 + 5000)
        #expect(Set(hosts.map(\.name)) == ["web-1", "web-2", "db-1"])

        // A check of web-1 targets db-1's address, and web-1's logs name that address: both are evidence.
        let webDB = try #require(Self.edge(candidates, "web-1", "db-1"))
        #expect(webDB.source == "heuristic" && webDB.state == .suggested)
        #expect(webDB.evidence.contains("web-1's check db probes tcp 10.0.0.21:5432 (failing)"))
        #expect(webDB.evidence.contains { $0.hasPrefix("web-1's logs mention db-1 (as 10.0.0.21): 1 line") })
        #expect(webDB.evidence.contains("e.g. \u{201C}connection refused to 10.0.0.21:5432\u{201D}"))
        #expect(webDB.confidence == 0.85)  // 1 - 0.3 × 0.5

        // web-2's logs name db-1 (and not through "db-10").
        let fromLog = try #require(Self.edge(candidates, "web-2", "db-1"))
        #expect(fromLog.evidence.first?.hasPrefix("web-2's logs mention db-1: 1 line") == true)
        #expect(fromLog.confidence == TopologySuggester.logConfidence)

        // web-1's check on web-2's URL; the shared group is a weak, separate relation.
        #expect(Self.edge(candidates, "web-1", "web-2")?.evidence == ["web-1's check peer probes http http://web-2:8080/health"])
        #expect(Self.edge(candidates, "web-1", "web-2", .sameGroup)?.confidence == TopologySuggester.groupConfidence)
        // Own logs naming itself suggest nothing; nothing relates db-1 to anyone on its own.
        #expect(!candidates.contains { $0.fromHost == $0.toHost })
        #expect(!candidates.contains { $0.fromHost == "db-1" })
        // Most confident first.
        #expect(candidates.first == webDB)
    }

    @Test func mentionsAreWholeNames() {
        #expect(TopologySuggester.mentions("connect to db-1:5432 refused", "db-1"))
        #expect(TopologySuggester.mentions("DB-1 down", "db-1"))
        #expect(TopologySuggester.mentions("via db-1.internal", "db-1"))
        #expect(!TopologySuggester.mentions("db-10 is up", "db-1"))
        #expect(!TopologySuggester.mentions("mydb-1 is up", "db-1"))
        #expect(!TopologySuggester.mentions("10.0.0.211 answered", "10.0.0.21"))
        #expect(!TopologySuggester.mentions("10.0.0.21.5 answered", "10.0.0.21"))
        #expect(TopologySuggester.mentions("peer 10.0.0.21.", "10.0.0.21"))
    }

    @Test func aHostProbingManyOthersMonitorsThem() {
        let hosts = (0..<6).map { HostSummary(name: "h\($0)x") } + [HostSummary(name: "mon-1")]
        let checks = (0..<6).map { ObservedCheck(host: "mon-1", name: "ping\($0)", kind: .tcp, target: "h\($0)x:22", ok: true) }
        let c = TopologySuggester.candidates(hosts: hosts, checks: checks, mentions: [])
        #expect(c.count == 6)
        #expect(c.allSatisfy { $0.kind == .monitors && $0.fromHost == "mon-1" })
    }

    // MARK: AI refinement

    static let hosts = ["web-1", "web-2", "db-1"]

    @Test func anAISuggestionNamingAnUnknownHostIsRejected() async throws {
        let f = try await Self.fleet()
        let (_, candidates) = try await TopologySuggester.gather(store: f.store, now: ToolFleet.t0 + 5000)
        let answer = Chunks.json(["edges": [["from": "web-1", "to": "db-1", "kind": "depends_on", "confidence": 0.9, "reason": "postgres client"],
                                            ["from": "web-2", "to": "cache-9", "kind": "depends_on", "confidence": 0.6, "reason": "guess"]]])
        let server = ScriptedChatServer([.sse(Chunks.answer(answer))])
        let log = MemoryAICallLog()
        let (edges, reason) = await TopologyRefiner(client: try AIClient(config: testAIConfig(server), log: log)).refine(candidates, knownHosts: Self.hosts)
        #expect(reason == "AI answer rejected: edges[1].to 'cache-9' is not a known host; heuristic suggestions only")
        #expect(edges == candidates)
        #expect(log.records.map(\.outcome) == [.rejected])
        #expect(log.records.first?.feature == "topology")
        // The prompt carries the evidence but not the quoted log lines.
        let body = try #require(server.received.first?.json)
        let prompt = (body["messages"] as? [[String: Any]])?.compactMap { $0["content"] as? String }.joined(separator: "\n") ?? ""
        #expect(prompt.contains("HOSTS db-1, web-1, web-2"))
        #expect(prompt.contains("web-1's check db probes tcp 10.0.0.21:5432"))
        #expect(!prompt.contains("connection refused to"))
    }

    @Test func aValidAISuggestionIsMergedAndNoKeySendsNothing() async throws {
        let candidates = [TopologyEdge(fromHost: "web-1", toHost: "db-1", kind: .dependsOn, evidence: ["check"], confidence: 0.7, source: "heuristic"),
                          TopologyEdge(fromHost: "web-1", toHost: "web-2", kind: .sameGroup, evidence: ["both have group=web"], confidence: 0.2, source: "heuristic")]
        let answer = Chunks.json(["edges": [["from": "WEB-1", "to": "db-1", "kind": "depends_on", "confidence": 0.95, "reason": "postgres client"],
                                            ["from": "web-2", "to": "db-1", "kind": "depends_on", "confidence": 0.6, "reason": "same app as web-1"]]])
        let server = ScriptedChatServer([.sse(Chunks.answer(answer))])
        let log = MemoryAICallLog()
        let (edges, reason) = await TopologyRefiner(client: try AIClient(config: testAIConfig(server), log: log)).refine(candidates, knownHosts: Self.hosts)
        #expect(reason == nil)
        #expect(edges.count == 3)
        #expect(edges[0].source == "ai" && edges[0].confidence == 0.95 && edges[0].evidence == ["check", "AI: postgres client"])
        #expect(edges[1] == candidates[1])
        #expect(edges[2].fromHost == "web-2" && edges[2].toHost == "db-1" && edges[2].source == "ai")
        #expect(log.records.map(\.outcome) == [.ok])

        let quiet = ScriptedChatServer([.sse(Chunks.answer(answer))])
        let noKeyLog = MemoryAICallLog()
        let (same, why) = await TopologyRefiner(client: try AIClient(config: testAIConfig(quiet, key: nil), log: noKeyLog)).refine(candidates, knownHosts: Self.hosts)
        #expect(same == candidates)
        #expect(why == "AI: " + AIConfig.noKeyMessage)
        #expect(quiet.received.isEmpty)
        #expect(noKeyLog.records.map(\.outcome) == [.noKey])
    }

    @Test func refinementSchemaViolationsAreNamed() {
        func reason(_ json: String) -> String? {
            do { _ = try TopologyRefiner.validate(json, knownHosts: Self.hosts); return nil } catch { return error.reason }
        }
        #expect(reason(#"{"edges":[{"from":"web-1","to":"web-1","kind":"depends_on","confidence":0.5,"reason":"r"}]}"#) == "edges[0] relates web-1 to itself")
        #expect(reason(#"{"edges":[{"from":"web-1","to":"db-1","kind":"calls","confidence":0.5,"reason":"r"}]}"#)
                == "edges[0].kind must be one of depends_on, monitors, same_group")
        #expect(reason(#"{"edges":[{"from":"web-1","to":"db-1","kind":"depends_on","confidence":2,"reason":"r"}]}"#) == "edges[0].confidence 2.0 is outside 0…1")
        #expect(reason(#"{"edges":[{"from":"web-1","to":"db-1","kind":"depends_on","confidence":0.5}]}"#) == "edges[0] has no 'reason'")
        #expect(reason(#"{"edges":[{"from":"ghost","to":"db-1","kind":"depends_on","confidence":0.5,"reason":"r"}]}"#) == "edges[0].from 'ghost' is not a known host")
        #expect(reason(#"{"links":[]}"#) == "the answer has no 'edges'")
        #expect(reason(#"{"edges":[]}"#) == nil)
    }

    // MARK: decisions

    @Test func acceptAndRejectAreStoredAndAudited() async throws {
        let f = try await Self.fleet()
        let now = ToolFleet.t0 + 5000
        let (_, candidates) = try await TopologySuggester.gather(store: f.store, now: now)
        let stored = try await f.store.suggestTopologyEdges(candidates, now: now)
        #expect(stored.count == candidates.count)
        #expect(stored.allSatisfy { $0.id > 0 && $0.state == .suggested && $0.createdAt == now })
        let webDB = try #require(Self.edge(stored, "web-1", "db-1"))
        let group = try #require(Self.edge(stored, "web-1", "web-2", .sameGroup))

        let accepted = try await f.store.decideTopologyEdge(id: webDB.id, state: .accepted, actor: "ann", reason: "", now: now + 10)
        #expect(accepted.state == .accepted && accepted.decidedBy == "ann" && accepted.decidedAt == now + 10 && accepted.reason == nil)
        let rejected = try await f.store.decideTopologyEdge(id: group.id, state: .rejected, actor: "bob", reason: "web hosts are independent", now: now + 20)
        #expect(rejected.state == .rejected && rejected.reason == "web hosts are independent")
        await #expect(throws: StoreError.self) { try await f.store.decideTopologyEdge(id: 9999, state: .accepted, actor: "ann", reason: "", now: now) }

        let audit = try await f.store.auditEntries(AuditFilter(action: "topology."))
        #expect(audit.map(\.action).sorted() == ["topology.accept", "topology.reject"])
        #expect(audit.contains { $0.actor == "ann" && $0.target == "edge \(webDB.id)" && $0.detail == "web-1 → db-1 depends_on" })
        #expect(audit.contains { $0.actor == "bob" && $0.detail == "web-1 — web-2 same_group: web hosts are independent" })
        #expect(try await f.store.verifyAudit().isIntact)

        // Suggesting again refreshes evidence but keeps every decision: a rejected edge stays rejected.
        let again = try await f.store.suggestTopologyEdges(candidates, now: now + 100)
        #expect(Self.edge(again, "web-1", "db-1")?.state == .accepted)
        #expect(Self.edge(again, "web-1", "web-2", .sameGroup)?.state == .rejected)
        #expect(Self.edge(again, "web-1", "db-1")?.updatedAt == now + 100)
        #expect(try await f.store.topologyEdges(states: [.accepted]).map(\.id) == [webDB.id])
        #expect(try await f.store.topologyEdges(states: [.suggested, .accepted]).count == candidates.count - 1)
        #expect(try await f.store.topologyEdges(states: nil).first?.state == .accepted)
    }

    @Test func neighboursPreferAcceptedEdges() async throws {
        let f = try await Self.fleet()
        let now = ToolFleet.t0 + 5000
        let before = await f.tools().call(name: "topology_neighbours", arguments: ["host": "db-1"])
        #expect(before.value["inferred"] == true)

        let (_, candidates) = try await TopologySuggester.gather(store: f.store, now: now)
        let stored = try await f.store.suggestTopologyEdges(candidates, now: now)
        // Suggestions alone change nothing.
        #expect(await f.tools().call(name: "topology_neighbours", arguments: ["host": "db-1"]).value["inferred"] == true)

        let webDB = try #require(Self.edge(stored, "web-2", "db-1"))
        _ = try await f.store.decideTopologyEdge(id: webDB.id, state: .accepted, actor: "ann", reason: "", now: now)
        let after = await f.tools().call(name: "topology_neighbours", arguments: ["host": "db-1"])
        #expect(!after.isError, "\(after.text)")
        #expect(after.value["inferred"] == false)
        let n = try #require(after.value["neighbours"]?.arrayValue)
        #expect(n.compactMap { $0["host"]?.stringValue } == ["web-2"])
        #expect(n.first?["relations"] == ["web-2 → db-1 depends_on (accepted by ann)"])
        #expect(n.first?["status"] != nil)
        // A host without accepted edges is still inferred.
        #expect(await f.tools().call(name: "topology_neighbours", arguments: ["host": "web-1"]).value["inferred"] == true)
    }
}
