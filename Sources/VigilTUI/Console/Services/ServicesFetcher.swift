import Foundation
import VigilCore

/// What the Services pane shows, measured at one time.
struct ServicesSnapshot: Equatable, Sendable {
    var takenAt: Int64
    var services: [ServiceSummary]
    /// The links, for a service's neighbours.
    var graph: TopologyGraph
    var configError: String?
    /// The check results read hit the limit: later time counts as unknown.
    var truncated: Bool
}

/// Reads the topology's sources, the last 24 hours of check results and the firing alerts, and builds the services
/// (`ServiceCatalog`), at most every 30 s (a day of check results is a heavy read).
final class ServicesFetcher: Sendable {
    static let refreshEvery: Int64 = 30_000
    static let window: Int64 = 86_400_000
    static let resultLimit = 2_000_000
    private let last = Locked<ServicesSnapshot?>(nil)
    private let configPath: String?

    init(configPath: String? = TopologyConfig.defaultPath()) {
        self.configPath = configPath
    }

    func fetch(_ store: any Store, now: Int64) async -> ConsoleMessage {
        if let s = last.withLock({ $0 }), now - s.takenAt < Self.refreshEvery { return .services(s) }
        do {
            let sources = try await TopologySources.read(store, configPath: configPath, now: now)
            let history = try await store.checkHistory(from: now - Self.window - 600_000, to: now, limit: Self.resultLimit)
            let firing = try await store.alerts(states: ["firing"], limit: FleetPoller.alertLimit)
            let graph = sources.graph(firing: firing)
            var services = ServiceCatalog.services(definitions: sources.services, hosts: sources.hosts, history: history, firing: firing,
                                                   graph: graph, now: now, window: Self.window)
            if sources.services.contains(where: { $0.objective != nil }) {
                let labels = Dictionary(sources.hosts.map { ($0.name, $0.labels) }, uniquingKeysWith: { a, _ in a })
                let measured = Dictionary(grouping: try await ServiceSLAReport.measure(store: store, services: sources.services, hostLabels: labels, now: now),
                                          by: \.service)
                for i in services.indices { services[i].sla = (measured[services[i].name] ?? []).sorted { $0.sli < $1.sli } }
            }
            let count = history.values.reduce(0) { $0 + $1.count }
            let s = ServicesSnapshot(takenAt: now, services: services, graph: graph, configError: sources.configError, truncated: count >= Self.resultLimit)
            last.withLock { $0 = s }
            return .services(s)
        } catch {
            return .servicesError(String(describing: error))
        }
    }
}
