/// The dashboard's fleet snapshot, kept current by reading only what changed: the key metrics come from a head of
/// their last 30 minutes (`HeadFeeder`: read once, then fed only the segments committed since), and each round reads
/// just the hosts, their latest checks and recent error counts. Rebuilding every host's sparklines from the store
/// every two seconds cost a quarter of a core at 1,000 hosts. Used by one task at a time (the console's poller).
public final class FleetTracker: Sendable {
    let store: any Store
    let feeder: HeadFeeder

    public init(store: any Store) {
        self.store = store
        feeder = HeadFeeder(store: store, logger: .init(label: "vigil.fleet"))
    }

    public func snapshot(now: Int64) async throws -> FleetSnapshot {
        // A minute of slack past the window: sparklines are cut at `now - window`, the head keeps whole chunks.
        let windows = Dictionary(uniqueKeysWithValues: HostSummary.dashboardMetrics.map { ($0, HostSummary.dashboardWindowMs + 60_000) })
        try await feeder.update(windows: windows, now: now)
        var snapshot = try await store.fleetSnapshot(now: now, metrics: false)
        let points = feeder.read { $0.points(metrics: HostSummary.dashboardMetrics, from: now - HostSummary.dashboardWindowMs, to: now) }
        var byHost: [String: [(name: String, points: [SeriesPoint])]] = [:]
        for (key, pts) in points { byHost[key.host, default: []].append((key.name, pts)) }
        for i in snapshot.hosts.indices {
            snapshot.hosts[i].applyDashboard(byHost[snapshot.hosts[i].name] ?? [], now: now)
        }
        return snapshot
    }
}
