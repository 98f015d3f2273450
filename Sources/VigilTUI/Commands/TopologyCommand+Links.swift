import ArgumentParser
import Foundation
import VigilCore
import VigilWire

extension TopologyCommand {
    /// `vigil topology links`: the links the Topology pane draws, with where each came from.
    struct Links: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The topology's links as the console draws them: configured (topology.yaml), discovered (agents' connections), accepted suggestions.")
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("The topology file (default: $VIGIL_TOPOLOGY, ~/.config/vigil/topology.yaml, /etc/vigil/topology.yaml).", valueName: "FILE"))
        var config: String?
        @Flag(help: "One JSON object per link.") var json = false

        func run() throws {
            let store = try store.open()
            let path = config ?? TopologyConfig.defaultPath()
            let now = WallClock.nowMs()
            let sources = try Blocking.run { try await TopologySources.read(store, configPath: path, now: now) }
            if let e = sources.configError {
                // The file's links are left out, and the user is told which line is wrong.
                FileHandle.standardError.write(Data("vigil: warning: \(e)\n".utf8))
                if config != nil { throw ExitCode(1) }
            }
            let graph = sources.graph(firing: [])
            if json {
                for l in graph.links {
                    var w = JSONWriter()
                    w.beginObject()
                    w.key("from"); w.string(l.from)
                    w.key("to"); w.string(l.to)
                    w.key("kind"); w.string(l.kind.rawValue)
                    w.key("sources"); w.beginArray()
                    for s in l.sources.sorted() { w.string(s.rawValue) }
                    w.endArray()
                    w.key("details"); w.beginArray()
                    for d in l.details { w.string(d) }
                    w.endArray()
                    w.endObject()
                    print(w.result)
                }
                return
            }
            guard !graph.links.isEmpty else {
                print("no links yet: write them in \(path ?? "~/.config/vigil/topology.yaml"), let agents report connections (on by default, every 60s;"
                      + " a link needs two reports), or accept suggestions (vigil topology suggest)")
                return
            }
            let rows = graph.links.map { l in [l.from, l.kind.phrase, l.to, l.sourceText, l.details.joined(separator: "; ")] }
            print(TimeText.table(header: ["FROM", "KIND", "TO", "SOURCES", "DETAIL"], rows: rows))
            let services = graph.nodes.filter { $0.kind == .service }.map(\.id)
            if !services.isEmpty { print("\nnot monitored hosts (drawn as services): \(services.joined(separator: ", "))") }
        }
    }

    /// `vigil topology bench`: layout time for synthetic graphs, and the Topology pane's frame build.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time both layouts on synthetic graphs, and the Topology pane's frame build (docs/BENCHMARKS.md).")
        @Option(help: "Graph sizes, comma-separated.") var nodes: String = "50,200,1000"
        @Option(help: "Runs per size (the median is reported).") var runs: Int = 5
        @Option(help: "Nodes in the frame-build measurement.") var frameNodes: Int = 200
        @Option(help: ArgumentHelp("Also write each graph as DIR/graph-N.dot, for Graphviz's dot and neato side by side (bench/topology.sh).",
                                   valueName: "DIR"))
        var writeDot: String?

        func run() throws {
            let sizes = nodes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }), runs > 0 else { throw ValidationError("--nodes needs positive sizes, --runs at least 1") }
            func median(_ f: () -> Void) -> Double {
                var times: [Double] = []
                for _ in 0..<runs {
                    let t0 = WallClock.monotonicNs()
                    f()
                    times.append(Double(WallClock.monotonicNs() - t0) / 1e6)
                }
                return times.sorted()[times.count / 2]
            }
            var rows: [[String]] = []
            for n in sizes {
                let g = TopologyCommand.syntheticGraph(nodes: n)
                if let dir = writeDot {
                    // Boxes as wide as ours (a cell is about 1/10 inch at 72 dpi: width in inches = columns / 10).
                    var dot = "digraph g {\n  node [shape=box];\n"
                    for node in g.nodes {
                        dot += "  \"\(node.id)\" [width=\(Double(TopologyLayout.boxWidth(node.label)) / 10), height=0.3];\n"
                    }
                    for l in g.links { dot += "  \"\(l.from)\" -> \"\(l.to)\";\n" }
                    dot += "}\n"
                    try dot.write(toFile: dir + "/graph-\(n).dot", atomically: true, encoding: .utf8)
                }
                let force = median { _ = TopologyLayout.make(g, kind: .force) }
                let layered = median { _ = TopologyLayout.make(g, kind: .layered) }
                rows.append([String(n), String(g.links.count), String(format: "%.1f", force), String(format: "%.1f", layered)])
            }
            print(TimeText.table(header: ["NODES", "LINKS", "FORCE ms", "LAYERED ms"], rows: rows))
            // The pane at 160×48 with every node shown (no folding), the selection in the middle: routing and drawing.
            let g = TopologyCommand.syntheticGraph(nodes: frameNodes)
            for kind in TopologyLayoutKind.allCases {
                let pane = TopologyPane(kind: kind)
                pane.model.setGraph(g)
                pane.model.expandAll()
                var canvas = Canvas(width: 160, height: 48)
                let ms = median {
                    canvas.clear()
                    pane.render(into: &canvas, in: canvas.bounds, context: RenderContext(now: 0, glyphs: .unicode, focused: true))
                }
                print("frame build, \(kind.rawValue), \(frameNodes) nodes at 160×48: \(String(format: "%.2f", ms)) ms (median of \(runs))")
            }
        }
    }

    /// Groups of 20 hosts, each a chain of calls, every seventh host calling one 37 further on, every group's
    /// first host depending on a shared database: the shape of a fleet of services.
    static func syntheticGraph(nodes n: Int) -> TopologyGraph {
        var nodes: [TopologyNode] = [TopologyNode(id: "db-shared", group: "data")]
        var links: [TopologyLink] = []
        for i in 0..<max(0, n - 1) {
            let group = "g\(i / 20)"
            nodes.append(TopologyNode(id: String(format: "h-%04d", i), group: group, severity: i % 97 == 5 ? .critical : nil))
            if i % 20 != 0 { links.append(TopologyLink(from: String(format: "h-%04d", i - 1), to: String(format: "h-%04d", i), kind: .calls, sources: [.discovered])) }
            if i % 7 == 0, i + 37 < n - 1 { links.append(TopologyLink(from: String(format: "h-%04d", i), to: String(format: "h-%04d", i + 37), sources: [.configured])) }
            if i % 20 == 0 { links.append(TopologyLink(from: String(format: "h-%04d", i), to: "db-shared", sources: [.configured])) }
        }
        return TopologyGraph(nodes: nodes, links: links)
    }
}
