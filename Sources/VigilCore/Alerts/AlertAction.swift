/// What an operator can do to an alert.
public enum AlertAction: String, Sendable, CaseIterable {
    case ack, unack, note, assign
    /// For alerts that cannot resolve themselves (imported, pushed by Prometheus without an end).
    case manualResolve = "manual_resolve"

    public var permission: Permission {
        switch self {
        case .ack, .unack: .acknowledge
        case .note, .assign: .annotate
        case .manualResolve: .resolve
        }
    }
}
