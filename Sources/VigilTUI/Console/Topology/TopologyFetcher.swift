import Foundation
import VigilCore

/// The links the Topology pane draws besides the hosts and alerts every round brings: configured ones
/// (`topology.yaml`), discovered ones (agents' connections, `ConnectionLinker`) and accepted suggestions.
struct TopologySnapshot: Equatable, Sendable {
    var takenAt: Int64
    var configured: [TopologyLink]
    var discovered: [TopologyLink]
    var accepted: [TopologyEdge]
    /// The topology file's errors (its links are then left out), shown on the pane.
    var configError: String?
}

/// Reads the links at most every `refreshEvery` ms (connections change slowly; the file is re-read each time, so an
/// edit shows within that).
final class TopologyFetcher: Sendable {
    static let refreshEvery: Int64 = 10_000
    private let last = Locked<TopologySnapshot?>(nil)
    private let configPath: String?

    init(configPath: String? = TopologyConfig.defaultPath()) {
        self.configPath = configPath
    }

    func fetch(_ store: any Store, now: Int64) async -> ConsoleMessage {
        if let s = last.withLock({ $0 }), now - s.takenAt < Self.refreshEvery { return .topology(s) }
        do {
            let read = try await TopologySources.read(store, configPath: configPath, now: now)
            let s = TopologySnapshot(takenAt: now, configured: read.configured, discovered: read.discovered, accepted: read.accepted,
                                     configError: read.configError)
            last.withLock { $0 = s }
            return .topology(s)
        } catch {
            return .topologyError(String(describing: error))
        }
    }
}
