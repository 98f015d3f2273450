import VigilCore

/// Each host's server groups as of the newest fleet snapshot, for panes whose rows name a host but not its groups
/// (alerts): their `/group=NAME` filter looks them up here. Used on the UI thread only.
final class HostGroupLookup {
    private var byHost: [String: [String]] = [:]

    func groups(of host: String) -> [String] { byHost[host] ?? [] }

    /// Takes the snapshot's groups; returns whether any host's changed.
    @discardableResult
    func update(_ snapshot: FleetSnapshot) -> Bool {
        var next: [String: [String]] = [:]
        for h in snapshot.hosts where !h.groups.isEmpty { next[h.name] = h.groups }
        guard next != byHost else { return false }
        byHost = next
        return true
    }
}
