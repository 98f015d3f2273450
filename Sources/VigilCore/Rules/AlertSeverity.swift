/// How urgent an alert is. Ordered: `info` < `warning` < `critical`.
public enum AlertSeverity: String, Sendable, CaseIterable, Comparable, Hashable {
    case info, warning, critical

    /// 0 for `info` up to 2 for `critical`.
    public var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .critical: 2
        }
    }

    public static func < (a: AlertSeverity, b: AlertSeverity) -> Bool { a.rank < b.rank }
}
