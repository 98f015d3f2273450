/// The persistent outbox: every notification is written before it is sent and marked delivered only on the
/// receiver's success answer; every attempt is logged. Both backends implement it (`Store` refines it).
public protocol NotificationOutbox: AnyObject {
    /// The alerts the dispatcher looks at: firing ones, and resolved ones resolved at or after `resolvedSince`
    /// (or flapping).
    func notifiableAlerts(resolvedSince: Int64, limit: Int) async throws -> [StoredAlert]
    /// What each notification group last told its receiver (the dispatcher's memory across restarts).
    func notificationGroups() async throws -> [NotificationDispatcher.GroupState]
    /// In one transaction: queues `notifications`, saves `groups`, forgets the groups keyed `removed`.
    func commitNotifications(_ notifications: [NewNotification], groups: [NotificationDispatcher.GroupState], removed: [String],
                             now: Int64) async throws
    /// The escalation steps already taken for each of `fingerprints` since `since` (its firing): policy name and
    /// step index.
    func escalationsTaken(fingerprints: [String], since: [String: Int64]) async throws -> [String: Set<String>]
    /// In one transaction: the step on the alert's timeline (`escalated`), in the audit log, and its notifications
    /// queued.
    func recordEscalation(fingerprint: String, policy: String, step: Int, detail: String, notifications: [NewNotification],
                          now: Int64) async throws
    /// Queued notifications due by `now`, oldest first.
    func dueNotifications(now: Int64, limit: Int) async throws -> [OutboxEntry]
    /// Records that an attempt starts (so a crash mid-send shows as an attempt whose answer was lost); returns its id.
    func beginDeliveryAttempt(outboxID: Int64, now: Int64) async throws -> Int64
    /// Records the attempt's outcome and moves the notification on: delivered, queued again at `nextAttemptAt`,
    /// or dead.
    func finishDeliveryAttempt(_ attempt: DeliveryAttempt, nextAttemptAt: Int64?) async throws
    /// Attempts still marked as sending (the process stopped during them): marked lost, their notifications queued
    /// again. Returns how many.
    func recoverInterruptedDeliveries(now: Int64) async throws -> Int
    /// Notifications, newest first, optionally only in `states`.
    func notifications(states: [OutboxEntry.State]?, channel: String?, limit: Int) async throws -> [OutboxEntry]
    func deliveryAttempts(outboxID: Int64) async throws -> [DeliveryAttempt]
    /// A dead letter (or a queued one) sent again now, audited as `actor`. False when there is no such notification.
    func retryNotification(id: Int64, actor: String, now: Int64) async throws -> Bool
}

/// A notification to queue.
public struct NewNotification: Sendable, Equatable {
    public var channel: String
    public var groupKey: String
    /// `firing`, `resolved` or `test`.
    public var status: String
    public var fingerprints: [String]
    public var rendered: RenderedNotification
    /// When it may first be sent.
    public var notBefore: Int64

    public init(channel: String, groupKey: String, status: String, fingerprints: [String], rendered: RenderedNotification, notBefore: Int64) {
        self.channel = channel
        self.groupKey = groupKey
        self.status = status
        self.fingerprints = fingerprints
        self.rendered = rendered
        self.notBefore = notBefore
    }
}

/// A notification in the outbox.
public struct OutboxEntry: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case queued, delivered, dead
    }

    public var id: Int64
    public var notification: NewNotification
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var createdAt: Int64
    public var deliveredAt: Int64?
    public var lastError: String?

    public init(id: Int64, notification: NewNotification, state: State, attempts: Int, nextAttemptAt: Int64, createdAt: Int64,
                deliveredAt: Int64?, lastError: String?) {
        self.id = id
        self.notification = notification
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
        self.lastError = lastError
    }
}

/// One try at delivering a notification.
public struct DeliveryAttempt: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// Started; still so after a restart means the answer was lost.
        case sending
        case delivered
        /// Failed in a way worth retrying (network, timeout, 429, 5xx).
        case retry
        /// Failed for good (another 4xx, a refused message, too many attempts).
        case dead
        /// The process stopped while waiting for the answer.
        case lost
    }

    public var id: Int64
    public var outboxID: Int64
    public var startedAt: Int64
    public var outcome: Outcome
    /// The HTTP status (or 250 for mail accepted); nil when no answer came.
    public var status: Int?
    public var latencyMs: Double?
    public var error: String?
    /// The start of the receiver's answer (for `vigil notify test`; not stored).
    public var answer: String?

    public init(id: Int64, outboxID: Int64, startedAt: Int64, outcome: Outcome, status: Int? = nil, latencyMs: Double? = nil, error: String? = nil) {
        self.id = id
        self.outboxID = outboxID
        self.startedAt = startedAt
        self.outcome = outcome
        self.status = status
        self.latencyMs = latencyMs
        self.error = error
    }
}
extension OutboxEntry: Identifiable {}
