import Foundation
import VigilWire

/// Per rule: what Vigil may do on its own when the rule's alert fires.
public enum RemediationMode: String, Sendable, CaseIterable {
    /// Runs when the safety checks pass (never for high-risk runbooks).
    case auto
    /// Waits for an operator to approve it in the console or the API.
    case approve
    /// Only proposed: shown on the alert, run by hand.
    case manual
}

/// Where a run's life is. Plain values; `RemediationRun`'s transitions decide which follow which.
public enum RunState: String, Sendable, CaseIterable {
    /// Suggested for an alert in manual mode; nothing will happen unless an operator runs it.
    case proposed
    case awaitingApproval = "awaiting_approval"
    /// Signed for and waiting for the host's agent to pick it up.
    case queued
    /// Handed to the agent.
    case dispatched
    /// The agent reported a first step.
    case running
    case succeeded
    case failed
    /// A check step failed: nothing was changed.
    case preconditionFailed = "precondition_failed"
    case cancelled
    /// The agent refused the job (signature, host, remediation disabled, …).
    case refused
    /// A step could not be started.
    case error
    /// A safety check blocked it before it was queued.
    case blocked
    case rejected
    /// Not picked up before it expired.
    case expired
    /// The agent went quiet while running it.
    case lost

    public var isFinal: Bool {
        switch self {
        case .proposed, .awaitingApproval, .queued, .dispatched, .running: false
        default: true
        }
    }

    /// Counts as "under remediation" for the blast radius.
    public var isInFlight: Bool { self == .queued || self == .dispatched || self == .running }

    /// A finished run that did harm or did not help (for the circuit breaker).
    public var isFailure: Bool { [.failed, .error, .lost, .refused].contains(self) }

    init(_ outcome: JobOutcome) {
        switch outcome {
        case .succeeded: self = .succeeded
        case .failed: self = .failed
        case .preconditionFailed: self = .preconditionFailed
        case .cancelled: self = .cancelled
        case .refused: self = .refused
        case .error: self = .error
        }
    }
}

/// A transition that is not allowed from the run's current state.
public struct RunTransitionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One runbook run on one host: what was asked, why, what the safety checks said, and where it is. A plain
/// struct whose mutating methods are the only transitions (a state machine without I/O); the store persists it.
public struct RemediationRun: Sendable, Equatable {
    public var id: String
    public var runbook: String
    public var runbookHash: String
    public var host: String
    public var parameters: [String: String]
    public var alertFingerprint: String?
    public var alertName: String?
    /// Set for runs started by a rule; nil for runs an operator started.
    public var mode: RemediationMode?
    public var dryRun: Bool
    public var state: RunState
    /// The last word on the run: the block reason, the agent's summary, the rejection reason.
    public var message: String
    public var requestedBy: String
    public var approvedBy: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    public var dispatchedAt: Int64?
    public var finishedAt: Int64?
    /// The steps as the agent will run them (unsigned: the listener signs per request with the agent's key).
    public var job: JobSpec
    public var cancelRequested: Bool
    public var verdict: SafetyVerdict?
    public var diagnosis: Diagnosis?
    /// The highest event sequence number stored.
    public var lastSeq: Int

    public init(id: String, runbook: Runbook, host: String, parameters: [String: String], steps: [JobStep],
                alertFingerprint: String? = nil, alertName: String? = nil, mode: RemediationMode? = nil, dryRun: Bool,
                requestedBy: String, now: Int64, expiresAfterMs: Int64 = 10 * 60_000) {
        self.id = id
        self.runbook = runbook.name
        self.runbookHash = runbook.hash
        self.host = host
        self.parameters = parameters
        self.alertFingerprint = alertFingerprint
        self.alertName = alertName
        self.mode = mode
        self.dryRun = dryRun
        self.state = .proposed
        self.message = ""
        self.requestedBy = requestedBy
        self.approvedBy = nil
        self.createdAt = now
        self.updatedAt = now
        self.job = JobSpec(id: id, host: host, runbook: runbook.name, runbookHash: runbook.hash, dryRun: dryRun,
                           issuedAt: now, expiresAt: now + expiresAfterMs, steps: steps, signature: "")
        self.cancelRequested = false
        self.lastSeq = 0
    }

    /// The longest the agent can take: every step's timeout plus a minute.
    public var deadlineMs: Int64 { Int64(job.steps.reduce(0) { $0 + $1.timeoutMs }) + 60_000 }

    // MARK: Transitions

    private mutating func move(to next: RunState, now: Int64, message: String? = nil) {
        state = next
        updatedAt = now
        if let message { self.message = message }
        if next.isFinal && finishedAt == nil { finishedAt = now }
    }

    private func require(_ allowed: Set<RunState>, _ action: String) throws(RunTransitionError) {
        guard allowed.contains(state) else {
            throw RunTransitionError("cannot \(action) run \(id): it is \(state.rawValue.replacingOccurrences(of: "_", with: " "))")
        }
    }

    /// Where a new run goes once its safety verdict is known: blocked, proposed (manual), awaiting approval, or
    /// queued for the agent.
    public mutating func submit(verdict: SafetyVerdict, now: Int64) {
        self.verdict = verdict
        if let block = verdict.blockReason {
            move(to: .blocked, now: now, message: block)
        } else if mode == .manual {
            move(to: .proposed, now: now, message: "proposed; run it by hand")
        } else if verdict.needsApproval {
            move(to: .awaitingApproval, now: now, message: verdict.approvalReason ?? "waiting for an operator's approval")
        } else {
            move(to: .queued, now: now, message: "queued for \(host)'s agent")
        }
    }

    public mutating func approve(by user: String, now: Int64) throws(RunTransitionError) {
        try require([.awaitingApproval, .proposed], "approve")
        approvedBy = user
        let lifetime = job.expiresAt - job.issuedAt
        job.issuedAt = now
        job.expiresAt = now + lifetime
        move(to: .queued, now: now, message: "approved by \(user); queued for \(host)'s agent")
    }

    public mutating func reject(by user: String, reason: String, now: Int64) throws(RunTransitionError) {
        try require([.awaitingApproval, .proposed], "reject")
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw RunTransitionError("a rejection needs a reason") }
        move(to: .rejected, now: now, message: "rejected by \(user): \(reason)")
    }

    /// Before dispatch the run simply ends; once the agent has it, the agent is told and stops the step.
    public mutating func cancel(by user: String, now: Int64) throws(RunTransitionError) {
        try require([.awaitingApproval, .proposed, .queued, .dispatched, .running], "cancel")
        if state == .dispatched || state == .running {
            cancelRequested = true
            updatedAt = now
            message = "cancel requested by \(user)"
        } else {
            move(to: .cancelled, now: now, message: "cancelled by \(user) before it started")
        }
    }

    public mutating func dispatch(now: Int64) throws(RunTransitionError) {
        try require([.queued], "dispatch")
        dispatchedAt = now
        move(to: .dispatched, now: now, message: "handed to \(host)'s agent")
    }

    /// Applies events from the agent (already deduplicated by `seq`).
    public mutating func record(_ events: [JobEvent], now: Int64) throws(RunTransitionError) {
        try require([.dispatched, .running], "record events for")
        for e in events {
            lastSeq = max(lastSeq, e.seq)
            if e.type == .jobFinished {
                let outcome = e.outcome ?? .error
                move(to: RunState(outcome), now: now, message: e.text ?? outcome.rawValue)
            } else if state == .dispatched {
                move(to: .running, now: now)
            }
        }
    }

    /// Queued too long (the agent never asked), or dispatched and silent past its deadline.
    /// How long a run waits for approval before it expires (the host, and the reasons, will have moved on).
    public static let approvalTTLms: Int64 = 3_600_000

    public mutating func expireIfDue(now: Int64) -> Bool {
        if state == .awaitingApproval && now > createdAt + Self.approvalTTLms {
            move(to: .expired, now: now, message: "nobody approved it within \(Self.approvalTTLms / 60_000) minutes; plan it again if it is still needed")
            return true
        }
        if state == .queued && now > job.expiresAt {
            move(to: .expired, now: now, message: "\(host)'s agent did not pick it up before it expired")
            return true
        }
        if (state == .dispatched || state == .running), let at = dispatchedAt, now > at + deadlineMs, now > updatedAt + 60_000 {
            move(to: .lost, now: now, message: "\(host)'s agent stopped reporting while running it")
            return true
        }
        return false
    }
}
