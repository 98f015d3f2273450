import Testing
@testable import VigilCore
import VigilWire

/// The topology's graph and its two layouts: deterministic, boxes that never overlap, layers that follow the links.
struct TopologyLayoutTests {
    /// A three-tier fleet: 4 load balancers → 12 web → 6 api → 3 db, a cache, a queue, a cycle and 5 loose hosts.
    static func fleet(shuffled: Bool = false) -> TopologyGraph {
        var nodes: [TopologyNode] = []
        var links: [TopologyLink] = []
        func add(_ id: String, group: String) { nodes.append(TopologyNode(id: id, group: group)) }
        for i in 0..<4 { add("lb-\(i)", group: "edge") }
        for i in 0..<12 { add("web-\(i)", group: "web") }
        for i in 0..<6 { add("api-\(i)", group: "api") }
        for i in 0..<3 { add("db-\(i)", group: "data") }
        add("cache-0", group: "data")
        add("queue-0", group: "data")
        for i in 0..<5 { add("loose-\(i)", group: "misc") }
        for i in 0..<12 { links.append(TopologyLink(from: "lb-\(i % 4)", to: "web-\(i)", kind: .calls, sources: [.configured])) }
        for i in 0..<12 { links.append(TopologyLink(from: "web-\(i)", to: "api-\(i % 6)", kind: .calls, sources: [.discovered])) }
        for i in 0..<6 {
            links.append(TopologyLink(from: "api-\(i)", to: "db-\(i % 3)", sources: [.configured]))
            links.append(TopologyLink(from: "api-\(i)", to: "cache-0", sources: [.discovered]))
        }
        links.append(TopologyLink(from: "api-0", to: "queue-0", kind: .publishesTo, sources: [.suggested]))
        links.append(TopologyLink(from: "queue-0", to: "api-0", kind: .calls, sources: [.discovered]))  // a cycle
        if shuffled {
            nodes.reverse()
            links.reverse()
        }
        return TopologyGraph(nodes: nodes, links: links)
    }

    static func assertNoOverlap(_ layout: TopologyLayout, _ comment: Comment) {
        let boxes = layout.boxes.sorted { $0.key < $1.key }
        for i in boxes.indices {
            for j in (i + 1)..<boxes.count {
                #expect(!boxes[i].value.intersects(boxes[j].value), "\(comment): \(boxes[i].key) \(boxes[i].value) overlaps \(boxes[j].key) \(boxes[j].value)")
            }
        }
    }

    @Test(arguments: TopologyLayoutKind.allCases)
    func layoutsAreDeterministicAndNeverOverlap(_ kind: TopologyLayoutKind) {
        let a = TopologyLayout.make(Self.fleet(), kind: kind)
        let b = TopologyLayout.make(Self.fleet(shuffled: true), kind: kind)
        #expect(a == b, "the same graph in another order lays out the same")
        #expect(a.boxes.count == 32)
        Self.assertNoOverlap(a, "\(kind)")
        #expect(a.boxes.values.allSatisfy { $0.x >= 0 && $0.y >= 0 && $0.height == TopologyLayout.boxHeight })
        #expect(a.boxes.values.contains { $0.x == 0 } && a.boxes.values.contains { $0.y == 0 }, "the picture starts at the origin")
    }

    @Test func layeredLayersFollowTheLinks() {
        let g = Self.fleet()
        let layout = TopologyLayout.make(g, kind: .layered)
        // Every link of the acyclic part points down: what needs sits above what it needs.
        for l in g.links where !(l.from == "queue-0" && l.to == "api-0") {
            let from = layout.boxes[l.from]!, to = layout.boxes[l.to]!
            #expect(from.maxY <= to.y, "\(l.from) → \(l.to): \(from) is not above \(to)")
        }
        // Layers: lb, web, api, then db/cache/queue; loose hosts in rows under them.
        let ys = ["lb-0", "web-0", "api-0", "db-0"].map { layout.boxes[$0]!.y }
        #expect(ys == ys.sorted() && Set(ys).count == 4, "\(ys)")
        #expect(layout.boxes["loose-0"]!.y > layout.boxes["db-0"]!.y)
    }

    @Test func layeredOrderingHasNoCrossingsWhereNoneAreNeeded() {
        // Two chains side by side, given in an order that crosses: a0 → b1, a1 → b0.
        let g = TopologyGraph(nodes: ["a0", "a1", "b0", "b1", "c0", "c1"].map { TopologyNode(id: $0) },
                              links: [TopologyLink(from: "a0", to: "b1", sources: [.configured]), TopologyLink(from: "a1", to: "b0", sources: [.configured]),
                                      TopologyLink(from: "b1", to: "c0", sources: [.configured]), TopologyLink(from: "b0", to: "c1", sources: [.configured])])
        let layout = TopologyLayout.make(g, kind: .layered)
        func x(_ id: String) -> Int { layout.boxes[id]!.x }
        // Whatever the order, the children keep their parents' order.
        #expect((x("a0") < x("a1")) == (x("b1") < x("b0")))
        #expect((x("b1") < x("b0")) == (x("c0") < x("c1")))
    }

    @Test(arguments: TopologyLayoutKind.allCases)
    func pinnedNodesStayAndOthersMoveAside(_ kind: TopologyLayoutKind) {
        let g = Self.fleet()
        let free = TopologyLayout.make(g, kind: kind)
        // Pin web-3 exactly onto db-0's place: db-0 has to move, web-3 does not.
        let target = free.boxes["db-0"]!
        let pinned = TopologyLayout.make(g, kind: kind, pins: ["web-3": TopologyPoint(x: target.x, y: target.y)])
        #expect(pinned.boxes["web-3"]!.x == target.x && pinned.boxes["web-3"]!.y == target.y)
        #expect(pinned.boxes["db-0"] != target)
        Self.assertNoOverlap(pinned, "\(kind) with a pin")
        #expect(TopologyLayout.make(g, kind: kind, pins: ["web-3": TopologyPoint(x: target.x, y: target.y)]) == pinned)
    }

    @Test func largeGraphsLayOutWithoutOverlap() {
        // 1,000 nodes in groups of 20 with a link chain per group and links across: both layouts, no overlap.
        var nodes: [TopologyNode] = []
        var links: [TopologyLink] = []
        for i in 0..<1000 {
            nodes.append(TopologyNode(id: "h-\(i)", group: "g\(i / 20)"))
            if i % 20 != 0 { links.append(TopologyLink(from: "h-\(i - 1)", to: "h-\(i)", sources: [.discovered])) }
            if i % 7 == 0, i + 37 < 1000 { links.append(TopologyLink(from: "h-\(i)", to: "h-\(i + 37)", sources: [.discovered])) }
        }
        let g = TopologyGraph(nodes: nodes, links: links)
        for kind in TopologyLayoutKind.allCases {
            let layout = TopologyLayout.make(g, kind: kind)
            #expect(layout.boxes.count == 1000)
            // Overlap through a grid of cells: no cell belongs to two boxes.
            var owner: [Int: String] = [:]
            var clash: String?
            for (id, b) in layout.boxes where clash == nil {
                for y in b.y..<b.maxY {
                    for x in b.x..<b.maxX {
                        if let o = owner.updateValue(id, forKey: y * 1_000_000 + x) { clash = "\(id) and \(o) at \(x),\(y)" }
                    }
                }
            }
            #expect(clash == nil, "\(kind): \(clash ?? "")")
        }
    }

    @Test func blastRadiusIsEveryDependantOfAFailingNode() {
        var g = Self.fleet()
        let nodes = g.nodes.map { n -> TopologyNode in
            var n = n
            if n.id == "db-1" { n.severity = .critical }
            return n
        }
        g = TopologyGraph(nodes: nodes, links: g.links)
        let (radius, links) = g.blastRadius()
        // db-1 ← api-1, api-4 ← web-1, web-4, web-7, web-10 ← lb-1, lb-2, lb-3 (lb-i feeds web-i, web-i+4, web-i+8).
        #expect(radius.contains("db-1") && radius.contains("api-1") && radius.contains("api-4"))
        #expect(radius.contains("web-1") && radius.contains("web-7") && radius.contains("lb-1"))
        #expect(!radius.contains("db-0") && !radius.contains("cache-0") && !radius.contains("web-0"))
        #expect(links.contains { $0.from == "api-1" && $0.to == "db-1" })
        #expect(!links.contains { $0.to == "cache-0" }, "a link to a healthy node is not on the path")
        #expect(g.dependants(of: "db-1").contains("lb-1") && g.dependencies(of: "lb-0").contains("db-0"))
    }

    @Test func groupsFoldAndIsolationKeepsNeighbours() {
        let g = Self.fleet()
        let folded = g.collapsing(groups: ["web"])
        #expect(folded.node("group:web")?.members.count == 12 && folded.node("web-0") == nil)
        #expect(folded.node("group:web")?.label == "web (12)")
        #expect(folded.links.contains { $0.from == "lb-0" && $0.to == "group:web" } && folded.links.contains { $0.from == "group:web" && $0.to == "api-0" })
        let around = g.isolated(around: "api-0")
        #expect(Set(around.nodes.map(\.id)) == ["api-0", "web-0", "web-6", "db-0", "cache-0", "queue-0"])
    }

    @Test func graphFromTheFleetMergesEverySource() {
        let hosts = ["web-1", "db-1"].map { HostSummary(name: $0, labels: ["group": $0.hasPrefix("web") ? "web" : "data"]) }
        let alert = StoredAlert(fingerprint: "fp", rule: "PostgresDown", severity: .critical, labels: ["host": "db-1"], annotations: [:],
                                state: "firing", value: 0, activeSince: 0, lastEvaluated: 0)
        let configured = [TopologyLink(from: "web-1", to: "db-1", sources: [.configured], details: ["configured: orders"]),
                          TopologyLink(from: "web-1", to: "payments-api", kind: .calls, sources: [.configured])]
        let discovered = [TopologyLink(from: "web-1", to: "db-1", kind: .calls, sources: [.discovered], details: ["tcp/5432 by php-fpm, 3 conns"])]
        let accepted = [TopologyEdge(id: 7, fromHost: "db-1", toHost: "web-1", kind: .dependsOn, evidence: [], confidence: 0.7, source: "heuristic", state: .accepted),
                        TopologyEdge(id: 8, fromHost: "web-1", toHost: "db-1", kind: .sameGroup, evidence: [], confidence: 0.2, source: "heuristic", state: .accepted)]
        let g = TopologyGraph.build(hosts: hosts, firing: [alert], configured: configured, discovered: discovered, accepted: accepted)
        #expect(g.nodes.map(\.id) == ["db-1", "payments-api", "web-1"])
        #expect(g.node("payments-api")?.kind == .service)
        #expect(g.node("db-1")?.severity == .critical && g.node("db-1")?.alerts == ["PostgresDown"])
        let web = g.links.first { $0.from == "web-1" && $0.to == "db-1" }
        #expect(web?.sources == [.configured, .discovered] && web?.details == ["configured: orders", "tcp/5432 by php-fpm, 3 conns"])
        #expect(g.links.contains { $0.from == "db-1" && $0.to == "web-1" && $0.sources == [.suggested] })
        #expect(g.links.count == 3, "the same_group suggestion is not a dependency")
    }

    @Test func theConfigFileNamesWhatIsWrongAndWhere() throws {
        let ok = try TopologyConfig.parse(yaml: """
            links:
              - from: web-1
                to: db-1
                note: orders
              - {from: web-1, to: stripe, kind: calls}
            """, path: "topology.yaml")
        #expect(ok.links.map { "\($0.from)>\($0.to):\($0.kind.rawValue)" } == ["web-1>db-1:depends_on", "web-1>stripe:calls"])
        #expect(ok.links[0].details == ["configured: orders"])
        do {
            _ = try TopologyConfig.parse(yaml: """
                links:
                  - from: web-1
                    kind: uses
                  - from: a
                    to: a
                """, path: "topology.yaml")
            Issue.record("a bad file parsed")
        } catch {
            let text = error.description
            #expect(text.contains("topology.yaml:2:5") && text.contains("missing 'to' in link 1"), "\(text)")
            #expect(text.contains("unknown kind 'uses'") && text.contains("link 2 links a to itself"), "\(text)")
        }
    }
}
