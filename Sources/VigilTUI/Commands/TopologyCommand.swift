import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// `vigil topology suggest|list|accept|reject`: probable dependencies between hosts, suggested from checks, logs
/// and labels (and the AI, with --ai), which an operator accepts or rejects (docs/ai.md).
struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "The topology's links (configured, discovered, accepted), and suggestions: probable dependencies an operator accepts or rejects.",
        subcommands: [Links.self, Suggest.self, List.self, Accept.self, Reject.self, Bench.self]
    )

    struct Suggest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find probable dependencies (checks targeting other hosts, logs naming them, shared labels) and store them as suggestions.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var config: AICommand.ConfigOptions
        @Flag(help: "Let the AI refine the suggestions (validated; only known host names). Without a key the heuristic suggestions are stored and it says so.")
        var ai = false
        @Option(help: ArgumentHelp("How far back to look for log lines naming other hosts.", valueName: "DURATION")) var window: String = "24h"

        func run() throws {
            guard let windowMs = DurationText.milliseconds(window), windowMs > 0 else { throw ValidationError("--window '\(window)' is not a duration (e.g. 24h)") }
            let store = try store.open()
            let client: AIClient? = ai ? try config.client(log: StoreAICallLog(store: store)) : nil
            let now = WallClock.nowMs()
            let (edges, reason) = try Blocking.run { () -> ([TopologyEdge], String?) in
                let (hosts, candidates) = try await TopologySuggester.gather(store: store, now: now, windowMs: windowMs)
                var edges = candidates
                var reason: String?
                if let client {
                    (edges, reason) = await TopologyRefiner(client: client).refine(candidates, knownHosts: hosts.map(\.name))
                }
                return (try await store.suggestTopologyEdges(edges, now: now), reason)
            }
            if let reason { print(reason) }
            if edges.isEmpty {
                print("nothing observed relates one host to another (no check targets another host, no log line names one, no shared group label)")
                return
            }
            print(TopologyCommand.table(edges, evidence: true))
            let open = edges.filter { $0.state == .suggested }.count
            print("\n\(edges.count) relations, \(open) awaiting a decision: vigil topology accept ID | reject ID --reason R")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accepted and suggested edges (--all: rejected ones too).")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Include rejected edges.") var all = false
        @Flag(help: "Show every piece of evidence.") var evidence = false

        func run() throws {
            let store = try store.open()
            let states: Set<TopologyEdgeState>? = all ? nil : [.suggested, .accepted]
            let edges = try Blocking.run { try await store.topologyEdges(states: states) }
            if edges.isEmpty {
                print(all ? "no topology edges yet (vigil topology suggest finds some)" : "no suggested or accepted edges (vigil topology suggest; --all shows rejected ones)")
                return
            }
            print(TopologyCommand.table(edges, evidence: evidence))
        }
    }

    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept a suggested edge (operator role; audited).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The edge's id (vigil topology list).") var id: Int64
        @Option(help: "Why (optional).") var reason: String = ""

        func run() throws {
            let store = try store.open()
            let user = try Operator.require(.annotate, store: store)
            let (id, reason) = (id, reason)
            let edge = try Blocking.run { try await store.decideTopologyEdge(id: id, state: .accepted, actor: user.name, reason: reason, now: WallClock.nowMs()) }
            print("accepted edge \(edge.id): \(edge.endpoints) \(edge.kind.rawValue)")
        }
    }

    struct Reject: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a suggested edge, saying why (operator role; audited). It is not suggested again.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The edge's id (vigil topology list).") var id: Int64
        @Option(help: "Why it is wrong.") var reason: String

        func validate() throws {
            if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why the edge is wrong") }
        }

        func run() throws {
            let store = try store.open()
            let user = try Operator.require(.annotate, store: store)
            let (id, reason) = (id, reason)
            let edge = try Blocking.run { try await store.decideTopologyEdge(id: id, state: .rejected, actor: user.name, reason: reason, now: WallClock.nowMs()) }
            print("rejected edge \(edge.id): \(edge.endpoints) \(edge.kind.rawValue)")
        }
    }

    static func table(_ edges: [TopologyEdge], evidence: Bool) -> String {
        var rows: [[String]] = []
        for e in edges {
            var state = e.state.rawValue
            if let by = e.decidedBy { state += " by \(by)" }
            var lines = evidence ? e.evidence + (e.reason.map { ["reason: \($0)"] } ?? [])
                : [(e.evidence.first ?? "") + (e.evidence.count > 1 ? " (+\(e.evidence.count - 1))" : "")]
            if lines.isEmpty { lines = [""] }
            rows.append([String(e.id), state, e.kind.rawValue, e.endpoints, String(format: "%.2f", e.confidence), e.source, lines[0]])
            rows += lines.dropFirst().map { ["", "", "", "", "", "", $0] }
        }
        return TimeText.table(header: ["ID", "STATE", "KIND", "EDGE", "CONF", "SOURCE", "EVIDENCE"], rows: rows)
    }
}
