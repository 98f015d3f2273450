/// Everything the topology is drawn from, read at once: the hosts, the links of `topology.yaml`, the links the
/// agents' connections show (`ConnectionLinker`), and the accepted suggestions. The console's Topology pane and
/// `vigil topology links` read it the same way.
public struct TopologySources: Sendable, Equatable {
    public var hosts: [HostSummary]
    public var configured: [TopologyLink]
    public var discovered: [TopologyLink]
    public var accepted: [TopologyEdge]
    /// The services `topology.yaml` names.
    public var services: [ServiceDefinition] = []
    /// Why the topology file was left out (it does not parse), naming the file, line and column.
    public var configError: String?

    public init(hosts: [HostSummary] = [], configured: [TopologyLink] = [], discovered: [TopologyLink] = [], accepted: [TopologyEdge] = [],
                configError: String? = nil) {
        self.hosts = hosts
        self.configured = configured
        self.discovered = discovered
        self.accepted = accepted
        self.configError = configError
    }

    public static func read(_ store: any Store, configPath: String?, now: Int64) async throws -> TopologySources {
        var s = TopologySources()
        if let configPath {
            do {
                let config = try TopologyConfig.load(path: configPath)
                s.configured = config.links
                s.services = config.services
            } catch {
                s.configError = error.description
            }
        }
        s.accepted = try await store.topologyEdges(states: [.accepted])
        s.hosts = try await store.hostInventory(now: now)
        s.discovered = ConnectionLinker.links(try await store.connections(since: now - ConnectionLinker.window), hosts: s.hosts)
        return s
    }

    /// The graph with `firing` alerts colouring its nodes.
    public func graph(firing: [StoredAlert]) -> TopologyGraph {
        TopologyGraph.build(hosts: hosts, firing: firing, configured: configured, discovered: discovered, accepted: accepted)
    }
}
