/// Read access to the fleet, as the console needs it. The store implements it; tests may supply values.
public protocol FleetReader: Sendable {
    /// Every known host with its latest key metrics and ~30 minutes of CPU/memory history.
    func fleetSnapshot(now: Int64) async throws -> FleetSnapshot
    /// One host in depth: every series with history, checks, recent logs. Nil for an unknown host.
    func hostDetail(name: String, now: Int64) async throws -> HostDetail?
}
