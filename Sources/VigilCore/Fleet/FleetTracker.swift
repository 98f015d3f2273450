import Logging

/// The dashboard's fleet snapshot, kept current by reading only what changed: the key metrics come from a head of
/// their last 30 minutes (`HeadFeeder`: read once, then fed only the segments committed since), and each round reads
/// just the hosts, their latest checks and recent error counts. A host's figures and sparklines are recomputed when
/// one of its series got a sample, and every host's every 30 s (half a sparkline slot, so a silent host's line
/// still moves left). Rebuilding every host's sparklines from the store every two seconds cost a quarter of a core
/// at 1,000 hosts. Used by one task at a time (the console's poller).
public final class FleetTracker: Sendable {
    let store: any Store
    let feeder: HeadFeeder
    private let state = Locked(State())

    struct State {
        /// Per host, a summary holding only the dashboard figures computed last.
        var computed: [String: HostSummary] = [:]
        var computedAllAt: Int64?
    }

    /// How often every host is recomputed, changed or not.
    static let fullEvery: Int64 = 30_000

    /// `logger` tells of the head's rebuilds; the console passes a quiet one (a line written to the terminal under
    /// curses stays on the screen until something redraws it).
    public init(store: any Store, logger: Logger) {
        self.store = store
        feeder = HeadFeeder(store: store, logger: logger)
    }

    public func snapshot(now: Int64) async throws -> FleetSnapshot {
        // A minute of slack past the window: sparklines are cut at `now - window`, the head keeps whole chunks.
        let windows = Dictionary(uniqueKeysWithValues: HostSummary.dashboardMetrics.map { ($0, HostSummary.dashboardWindowMs + 60_000) })
        // The hosts (with their checks and errors) are read while the head catches up: two reads at once, on two
        // connections, so the first frame waits for the longer of them rather than both.
        async let hosts = store.fleetSnapshot(now: now, metrics: false)
        let changes = try await feeder.update(windows: windows, now: now)
        var snapshot = try await hosts
        let (all, changed) = state.withLock { s -> (Bool, Set<String>) in
            guard !changes.rebuilt, let last = s.computedAllAt, now >= last, now - last < Self.fullEvery else { return (true, []) }
            return (false, changes.hosts)
        }
        let points = all || !changed.isEmpty
            ? feeder.read { $0.points(metrics: HostSummary.dashboardMetrics, from: now - HostSummary.dashboardWindowMs, to: now, hosts: all ? nil : changed) }
            : [:]
        var byHost: [String: [(name: String, points: [SeriesPoint])]] = [:]
        for (key, pts) in points { byHost[key.host, default: []].append((key.name, pts)) }
        state.withLock { s in
            if all {
                s.computed.removeAll(keepingCapacity: true)
                s.computedAllAt = now
            }
            for host in all ? Set(byHost.keys) : changed {
                var h = HostSummary(name: host)
                h.applyDashboard(byHost[host] ?? [], now: now)
                s.computed[host] = h
            }
            for i in snapshot.hosts.indices {
                if let c = s.computed[snapshot.hosts[i].name] {
                    snapshot.hosts[i].cpu = c.cpu
                    snapshot.hosts[i].memory = c.memory
                    snapshot.hosts[i].disk = c.disk
                    snapshot.hosts[i].load1 = c.load1
                    snapshot.hosts[i].cpuHistory = c.cpuHistory
                    snapshot.hosts[i].memoryHistory = c.memoryHistory
                    snapshot.hosts[i].rescore()
                } else {
                    snapshot.hosts[i].applyDashboard([], now: now)
                }
            }
        }
        return snapshot
    }
}
