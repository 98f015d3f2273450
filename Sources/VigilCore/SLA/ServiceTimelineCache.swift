import VigilWire

/// The services' timelines built from one check history, kept for as long as that history is: the `slo_burn` rules
/// with `service:` (`SLOFastBurn` and `SLOSlowBurn` read the same services) share one build per service, indicator
/// and host matcher instead of each rebuilding it at every evaluation. Host labels are those of the first build; the
/// engine makes a new cache when it reads the history again (every minute).
public final class ServiceTimelineCache: Sendable {
    private let built = Locked<[String: ServiceTimeline]>([:])

    public init() {}

    /// The timeline of `service`'s `sli` over `history`'s hosts that `matchers` select (all with none).
    func timeline(_ history: [String: [CheckResult]], service: ServiceDefinition, sli: ServiceSLI, matchers: [LabelMatcher],
                  hostLabels: [String: [String: String]]) -> ServiceTimeline {
        let key = [service.name, service.sliFingerprint, sli.rawValue, matchers.map(\.description).joined(separator: ",")].joined(separator: "\u{1F}")
        if let t = built.withLock({ $0[key] }) { return t }
        let scoped = matchers.isEmpty ? history : history.filter { RuleEvaluator.hostMatches(matchers, $0.key, hostLabels) }
        let t = ServiceTimeline(scoped, service: service, sli: sli, hostLabels: hostLabels)
        built.withLock { $0[key] = t }
        return t
    }

    /// How many timelines were built.
    public var count: Int { built.withLock { $0.count } }
}
