/// A node of the routing tree, as in Alertmanager: alerts whose labels pass `matchers` go to `receiver`, grouped
/// by `groupBy`, unless a child route takes them first (the first child that matches wins, unless it says
/// `continue`). Unset timers and grouping are inherited from the parent.
public struct NotifyRoute: Sendable, Equatable {
    public var receiver: String?
    /// On the alert's labels plus `alertname` and `severity`.
    public var matchers: [LabelMatcher] = []
    public var continueMatching = false
    /// Labels that make a group; `["..."]` groups by every label (one alert per group).
    public var groupBy: [String]?
    public var groupWait: Int64?
    public var groupInterval: Int64?
    public var repeatInterval: Int64?
    public var routes: [NotifyRoute] = []

    public init(receiver: String? = nil) {
        self.receiver = receiver
    }

    /// The effective settings of a matched route: its own, else its parent's, else the defaults.
    public struct Leaf: Sendable, Equatable {
        /// Which route (indices from the root), so groups of different routes never merge.
        public var path: [Int]
        public var receiver: String
        public var groupBy: [String]
        public var groupWait: Int64
        public var groupInterval: Int64
        public var repeatInterval: Int64
    }

    public static let defaultGroupBy = ["alertname"]
    public static let defaultGroupWait: Int64 = 30_000
    public static let defaultGroupInterval: Int64 = 300_000
    public static let defaultRepeatInterval: Int64 = 4 * 3_600_000

    /// The routes `labels` go to (at least the root's when nothing deeper matches).
    public func leaves(for labels: [String: String]) -> [Leaf] {
        let root = Leaf(path: [], receiver: receiver ?? "", groupBy: groupBy ?? Self.defaultGroupBy,
                        groupWait: groupWait ?? Self.defaultGroupWait, groupInterval: groupInterval ?? Self.defaultGroupInterval,
                        repeatInterval: repeatInterval ?? Self.defaultRepeatInterval)
        return match(labels, inherited: root)
    }

    private func match(_ labels: [String: String], inherited: Leaf) -> [Leaf] {
        var out: [Leaf] = []
        for (i, child) in routes.enumerated() where child.matchers.allMatch({ labels[$0] }) {
            let leaf = Leaf(path: inherited.path + [i], receiver: child.receiver ?? inherited.receiver, groupBy: child.groupBy ?? inherited.groupBy,
                            groupWait: child.groupWait ?? inherited.groupWait, groupInterval: child.groupInterval ?? inherited.groupInterval,
                            repeatInterval: child.repeatInterval ?? inherited.repeatInterval)
            out += child.match(labels, inherited: leaf)
            if !child.continueMatching { break }
        }
        return out.isEmpty ? [inherited] : out
    }

    /// Every receiver name the tree mentions.
    public var receivers: [String] {
        (receiver.map { [$0] } ?? []) + routes.flatMap(\.receivers)
    }
}
