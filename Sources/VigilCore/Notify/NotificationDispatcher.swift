/// Turns the alerts' states into notifications, as Alertmanager's dispatcher does: each alert is routed, alerts
/// of a route with the same `group_by` values form a group, and a group is sent `group_wait` after it appears,
/// then at most every `group_interval` when it changed, and again every `repeat_interval` while it fires.
///
/// A plain value, pure: `step` takes the alerts and the time, returns the messages to send, and remembers what
/// each group last said (`groups`, which the store keeps so a restart neither repeats nor forgets).
public struct NotificationDispatcher: Sendable {
    /// What a group last told its receiver.
    public struct GroupState: Sendable, Equatable, Codable {
        public var key: String
        public var receiver: String
        public var groupLabels: [String: String]
        public var createdAt: Int64
        /// When it may be sent next (creation + group_wait, then last send + group_interval).
        public var nextFlush: Int64
        public var lastSent: Int64?
        /// Fingerprints last sent as firing, and those last sent as resolved.
        public var firing: Set<String>
        public var resolved: Set<String>

        public init(key: String, receiver: String, groupLabels: [String: String], createdAt: Int64, nextFlush: Int64,
                    lastSent: Int64? = nil, firing: Set<String> = [], resolved: Set<String> = []) {
            self.key = key
            self.receiver = receiver
            self.groupLabels = groupLabels
            self.createdAt = createdAt
            self.nextFlush = nextFlush
            self.lastSent = lastSent
            self.firing = firing
            self.resolved = resolved
        }
    }

    public var route: NotifyRoute
    /// Channel settings the dispatcher needs: whether resolutions are sent, quiet hours.
    public var channels: [String: NotifyChannel]
    public var externalURL: String
    public private(set) var groups: [String: GroupState] = [:]
    /// How long a resolved alert is still reported to a group that told of it firing.
    public static let resolvedMemoryMs: Int64 = 3_600_000

    public init(config: NotifyConfig, groups: [GroupState] = []) {
        route = config.route
        channels = Dictionary(config.channels.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        externalURL = config.externalURL ?? ""
        for g in groups { self.groups[g.key] = g }
    }

    /// Labels routes match on: the alert's, plus `alertname` and `severity`.
    static func routingLabels(_ a: StoredAlert) -> [String: String] {
        var l = a.labels
        l["alertname"] = a.rule
        l["severity"] = a.severity.rawValue
        return l
    }

    static func groupKey(_ leaf: NotifyRoute.Leaf, _ labels: [String: String]) -> (String, [String: String]) {
        var groupLabels: [String: String] = [:]
        if leaf.groupBy.contains("...") {
            groupLabels = labels
        } else {
            for name in leaf.groupBy { if let v = labels[name] { groupLabels[name] = v } }
        }
        let path = leaf.path.map(String.init).joined(separator: ".")
        let pairs = groupLabels.keys.sorted().map { "\($0)=\(groupLabels[$0]!)" }.joined(separator: ",")
        return ("\(leaf.receiver)/\(path){\(pairs)}", groupLabels)
    }

    /// One step at `now` over every alert that is firing, or resolved within the last hour. Muted alerts are left
    /// out (silences, maintenance, inhibition), pending ones too; a flapping alert counts as firing until it
    /// settles, so it is told once.
    public mutating func step(alerts: [StoredAlert], now: Int64) -> [NotificationMessage] {
        var members: [String: (leaf: NotifyRoute.Leaf, labels: [String: String], alerts: [StoredAlert])] = [:]
        for a in alerts {
            let firing = a.state == "firing" || (a.flapping && a.state == "resolved")
            let resolved = a.state == "resolved" && !a.flapping && (a.resolvedAt ?? now) >= now - Self.resolvedMemoryMs
            guard firing || resolved else { continue }
            if firing && a.mutedBy != nil { continue }
            let labels = Self.routingLabels(a)
            for leaf in route.leaves(for: labels) where !leaf.receiver.isEmpty {
                let (key, groupLabels) = Self.groupKey(leaf, labels)
                if resolved && !(groups[key]?.firing.contains(a.fingerprint) ?? false) { continue }
                members[key, default: (leaf, groupLabels, [])].alerts.append(a)
            }
        }
        var out: [NotificationMessage] = []
        // Groups with nothing left to say are forgotten.
        for (key, g) in groups where members[key] == nil {
            if g.firing.isEmpty || (g.lastSent ?? 0) < now - Self.resolvedMemoryMs { groups[key] = nil }
        }
        for key in members.keys.sorted() {
            let (leaf, groupLabels, list) = members[key]!
            let channel = channels[leaf.receiver]
            var g = groups[key] ?? GroupState(key: key, receiver: leaf.receiver, groupLabels: groupLabels, createdAt: now,
                                             nextFlush: now + leaf.groupWait)
            defer { groups[key] = g }
            guard now >= g.nextFlush else { continue }
            let firing = Set(list.filter { $0.state == "firing" || $0.flapping }.map(\.fingerprint))
            let sendResolved = channel?.sendResolved ?? true
            let newlyResolved = Set(list.filter { !firing.contains($0.fingerprint) }.map(\.fingerprint)).subtracting(g.resolved)
            let changed = !firing.subtracting(g.firing).isEmpty || (!newlyResolved.isEmpty && (sendResolved || !firing.isEmpty))
            let repeatDue = !firing.isEmpty && g.lastSent.map { now - $0 >= leaf.repeatInterval } ?? true
            guard changed || repeatDue else {
                // Alerts that resolved without being told (send_resolved off) leave the group quietly.
                g.firing = firing
                continue
            }
            if firing.isEmpty && !sendResolved {
                g.firing = []
                continue
            }
            // Quiet hours hold everything below the severity that pages through them.
            if let q = channel?.quietHours, q.contains(now), !list.contains(where: { $0.severity >= q.pagesThrough && firing.contains($0.fingerprint) }) {
                g.nextFlush = q.endsAt(after: now)
                continue
            }
            let shown = list.filter { firing.contains($0.fingerprint) || (sendResolved && !g.resolved.contains($0.fingerprint)) }
            out.append(NotificationMessage(receiver: leaf.receiver, groupKey: key, groupLabels: groupLabels,
                                           alerts: shown.sorted { ($0.severity, $0.activeSince) > ($1.severity, $1.activeSince) }.map { message($0, firing: firing) },
                                           externalURL: externalURL))
            g.firing = firing
            g.resolved.formUnion(newlyResolved)
            g.resolved = g.resolved.intersection(Set(list.map(\.fingerprint)))
            g.lastSent = now
            g.nextFlush = now + leaf.groupInterval
        }
        return out
    }

    public func message(_ a: StoredAlert, firing: Set<String>) -> NotificationMessage.Alert {
        let isFiring = firing.contains(a.fingerprint)
        let url = a.generatorURL ?? (externalURL.isEmpty ? "" : externalURL + "/api/v1/alerts?fingerprint=" + a.fingerprint)
        return NotificationMessage.Alert(status: isFiring ? "firing" : "resolved", labels: Self.routingLabels(a), annotations: a.annotations,
                                         startsAt: a.firedAt ?? a.activeSince, endsAt: isFiring ? nil : a.resolvedAt, generatorURL: url,
                                         fingerprint: a.fingerprint, value: a.value, flapping: a.flapping, severity: a.severity, ackedBy: a.ackedBy)
    }
}
