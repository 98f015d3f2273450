/// Where an alert is in its lifecycle.
public enum AlertState: Sendable, Equatable {
    /// Not breaching (or never evaluated).
    case inactive
    /// Breaching since `since` (Unix ms), waiting for `for` to pass.
    case pending(since: Int64)
    /// Fired at `since` (Unix ms); stays firing while breaching and for `keep_firing_for` after.
    case firing(since: Int64)
    /// Stopped firing at `at` (Unix ms).
    case resolved(at: Int64)

    /// `inactive`, `pending`, `firing`, `resolved`.
    public var name: String {
        switch self {
        case .inactive: "inactive"
        case .pending: "pending"
        case .firing: "firing"
        case .resolved: "resolved"
        }
    }
}

/// Something that happened to an alert, with its time (Unix ms). Kept as the alert's history.
public enum AlertEvent: Sendable, Equatable {
    /// The condition started to hold; the alert waits for `for`.
    case pending(at: Int64)
    /// The alert fired.
    case firing(at: Int64)
    /// A firing alert resolved (its condition cleared and `keep_firing_for` passed, or by hand).
    case resolved(at: Int64)
    /// A pending alert's condition cleared before `for` passed: it is inactive again and never fired.
    case cleared(at: Int64)
    /// More state changes within the flap window than the policy allows.
    case flappingStarted(at: Int64)
    /// The state changes within the flap window are back down to the policy's calm level.
    case flappingStopped(at: Int64)
}

/// The lifecycle of one alert (one fingerprint), with Prometheus' semantics:
///
/// - inactive/resolved → pending when the condition holds (→ firing at once when `for` is 0);
/// - pending → firing once the condition has held for `for` (`now − since ≥ for`);
/// - pending → inactive when it clears first (event `.cleared`, never `.firing`);
/// - firing → resolved when the condition has been clear for `keep_firing_for` (at once when 0),
///   counted from the first evaluation that found it clear; breaching again meanwhile keeps it firing.
///
/// Every state change is also counted for flap detection (`FlapPolicy`). A plain value: feed it
/// evaluations, store the events it returns.
public struct AlertStateMachine: Sendable, Equatable {
    /// Milliseconds.
    public let forDuration: Int64
    /// Milliseconds.
    public let keepFiringFor: Int64
    public let flapPolicy: FlapPolicy
    public private(set) var state: AlertState = .inactive
    /// While firing: when the condition was first found clear (keep_firing_for counts from here).
    public private(set) var keepFiringSince: Int64?
    public private(set) var isFlapping = false
    /// Times of the state changes within the flap window, oldest first.
    public private(set) var recentChanges: [Int64] = []

    public init(forDuration: Int64 = 0, keepFiringFor: Int64 = 0, flapPolicy: FlapPolicy = .default) {
        self.forDuration = max(0, forDuration)
        self.keepFiringFor = max(0, keepFiringFor)
        self.flapPolicy = flapPolicy
    }

    /// A machine with the rule's `for`, `keep_firing_for` and flap policy.
    public init(rule: AlertRule) {
        self.init(forDuration: rule.forDuration, keepFiringFor: rule.keepFiringFor, flapPolicy: rule.flapPolicy)
    }

    /// A machine resuming an alert the store already has (after a restart), so a firing alert is not
    /// demoted to pending and its `for` is not counted again.
    public init(rule: AlertRule, restoring state: AlertState, flapping: Bool = false) {
        self.init(rule: rule)
        self.state = state
        self.isFlapping = flapping
    }

    /// A machine for a restored alert whose rule no longer exists (it will only be resolved).
    public init(restoring state: AlertState) {
        self.init()
        self.state = state
    }

    /// Whether the alert is firing (including during `keep_firing_for`).
    public var isFiring: Bool {
        if case .firing = state { return true }
        return false
    }

    /// Feeds one evaluation: whether the condition holds at `now`. Returns what happened, in order.
    public mutating func evaluate(breaching: Bool, at now: Int64) -> [AlertEvent] {
        var events: [AlertEvent] = []
        switch (state, breaching) {
        case (.inactive, true), (.resolved, true):
            if forDuration == 0 {
                change(to: .firing(since: now), event: .firing(at: now), at: now, into: &events)
            } else {
                change(to: .pending(since: now), event: .pending(at: now), at: now, into: &events)
            }
        case (.pending(let since), true):
            if now - since >= forDuration {
                change(to: .firing(since: now), event: .firing(at: now), at: now, into: &events)
            }
        case (.pending, false):
            change(to: .inactive, event: .cleared(at: now), at: now, into: &events)
        case (.firing, true):
            keepFiringSince = nil
        case (.firing, false):
            let clearSince = keepFiringSince ?? now
            if now - clearSince >= keepFiringFor {
                keepFiringSince = nil
                change(to: .resolved(at: now), event: .resolved(at: now), at: now, into: &events)
            } else {
                keepFiringSince = clearSince
            }
        case (.inactive, false), (.resolved, false):
            break
        }
        updateFlapping(at: now, into: &events)
        return events
    }

    /// Resolves a firing or pending alert by hand (an operator, or an alert that cannot resolve itself).
    /// A pending alert is cleared rather than resolved. Nothing happens in other states.
    public mutating func resolveManually(at now: Int64) -> [AlertEvent] {
        var events: [AlertEvent] = []
        switch state {
        case .firing:
            keepFiringSince = nil
            change(to: .resolved(at: now), event: .resolved(at: now), at: now, into: &events)
        case .pending:
            change(to: .inactive, event: .cleared(at: now), at: now, into: &events)
        case .inactive, .resolved:
            break
        }
        updateFlapping(at: now, into: &events)
        return events
    }

    private mutating func change(to newState: AlertState, event: AlertEvent, at now: Int64, into events: inout [AlertEvent]) {
        state = newState
        events.append(event)
        recentChanges.append(now)
    }

    private mutating func updateFlapping(at now: Int64, into events: inout [AlertEvent]) {
        recentChanges.removeAll { $0 <= now - flapPolicy.window }
        if !isFlapping && recentChanges.count > flapPolicy.maxChanges {
            isFlapping = true
            events.append(.flappingStarted(at: now))
        } else if isFlapping && recentChanges.count <= flapPolicy.calmChanges {
            isFlapping = false
            events.append(.flappingStopped(at: now))
        }
    }
}
