import Foundation
import VigilCore
import VigilWire

/// Carries out the console's remediation requests off the UI thread — diagnose, plan, submit, approve, reject,
/// cancel — through the same `Remediator` as `vigil runbook`, and follows the runs the visible pane shows (state
/// and new events every 250 ms). Everything it learns goes to the mailbox as immutable values; it never touches a
/// pane.
final class RemediationWorker: Sendable {
    /// Nil when the console has no store: every request answers with an error.
    let remediator: Remediator?
    let user: VigilUser
    /// The rules in force (for a rule's `remediation: parameters:`), when this console runs the engine.
    let rules: (@Sendable () -> [AlertRule])?
    private let mailbox: Mailbox
    /// Called after a change, so the data panes refresh at once.
    private let changed: @Sendable () -> Void
    private let following = Locked<[RunFollow]>([])

    /// How often a followed run is polled.
    static let followIntervalMs = 250

    init(remediator: Remediator?, user: VigilUser, rules: (@Sendable () -> [AlertRule])? = nil, mailbox: Mailbox,
         changed: @escaping @Sendable () -> Void = {}) {
        self.remediator = remediator
        self.user = user
        self.rules = rules
        self.mailbox = mailbox
        self.changed = changed
    }

    /// Starts a request in the background.
    func perform(_ request: RemediationRequest) {
        Task { await self.execute(request) }
    }

    /// The runs to follow from now on (what the visible pane wants).
    func follow(_ runs: [RunFollow]) {
        following.withLock { $0 = runs }
    }

    /// Polls the followed runs until cancelled.
    func run() async {
        while !Task.isCancelled {
            let wanted = following.withLock { $0 }
            for f in wanted { await poll(f) }
            try? await Task.sleep(for: .milliseconds(Self.followIntervalMs))
        }
    }

    /// One look at a followed run: its state first, then its events (so a finished run comes with all of them).
    func poll(_ f: RunFollow) async {
        guard let store = remediator?.store else { return }
        do {
            guard let run = try await store.run(id: f.id) else {
                mailbox.post(.remediation(.progressFailed(runID: f.id, "run \(f.id) is not in the store")))
                return
            }
            let events = try await store.runEvents(id: f.id, afterSeq: f.afterSeq)
            mailbox.post(.remediation(.progress(run, events)))
        } catch {
            mailbox.post(.remediation(.progressFailed(runID: f.id, String(describing: error))))
        }
    }

    /// Carries out one request and posts the outcome.
    func execute(_ request: RemediationRequest) async {
        guard let remediator else {
            mailbox.post(.actionResult("no store: \(request.what) not done", isError: true))
            return
        }
        let now = FleetPoller.nowMs()
        switch request {
        case .prepare(var target):
            if target.diagnosis == nil, let alert = target.alert {
                let d = await remediator.diagnose(alert, now: now)
                target.diagnosis = d
                mailbox.post(.remediation(.diagnosis(token: target.token, d)))
            }
            do {
                mailbox.post(.remediation(.planned(token: target.token, try await plan(target, dryRun: false, remediator: remediator))))
            } catch {
                mailbox.post(.remediation(.planFailed(token: target.token, Self.describe(error))))
            }
        case .start(let target, let dryRun):
            do {
                let p = try await plan(target, dryRun: dryRun, remediator: remediator)
                if let block = p.verdict.blockReason {
                    mailbox.post(.remediation(.notStarted(token: target.token, p, reason: block)))
                    return
                }
                let run = try await remediator.submit(p, now: FleetPoller.nowMs())
                mailbox.post(.remediation(.started(token: target.token, run)))
                changed()
            } catch {
                mailbox.post(.remediation(.planFailed(token: target.token, Self.describe(error))))
            }
        case .approve(let id):
            await transition(id, "approved") { try await remediator.approve(id, by: self.user, now: now) }
        case .reject(let id, let reason):
            await transition(id, "rejected") { try await remediator.reject(id, by: self.user, reason: reason, now: now) }
        case .cancel(let id):
            await transition(id, "cancel requested for") { try await remediator.cancel(id, by: self.user, now: now) }
        }
    }

    /// The plan for `target`: the diagnosis's parameters when it names the same runbook, the rule's
    /// `remediation: parameters:`, then what the operator typed.
    func plan(_ target: RemediationTarget, dryRun: Bool, remediator: Remediator) async throws -> RemediationPlan {
        guard let name = target.runbook ?? target.diagnosis?.runbook else {
            throw RemediationError("no runbook fits this alert: choose one from the catalogue (c, or [ and ])")
        }
        var explicit: [String: String] = [:]
        if let d = target.diagnosis, d.runbook == name { explicit = d.parameters }
        explicit.merge(target.parameters) { $1 }
        var ruleParameters: [String: String] = [:]
        if let alert = target.alert, let config = rules?().first(where: { $0.name == alert.rule })?.remediation, config.runbook == name {
            ruleParameters = config.parameters
            // The rule's configuration beats the diagnosis's guess; only what the operator typed beats the rule.
            for key in config.parameters.keys where target.parameters[key] == nil { explicit[key] = nil }
        }
        return try await remediator.plan(runbook: name, host: target.host, parameters: explicit, ruleParameters: ruleParameters,
                                         alert: target.alert, diagnosis: target.diagnosis,
                                         requester: .user(name: user.name, role: user.role), dryRun: dryRun, now: FleetPoller.nowMs())
    }

    private func transition(_ id: String, _ verb: String, _ body: () async throws -> RemediationRun) async {
        do {
            let run = try await body()
            mailbox.post(.remediation(.transitioned(run)))
            mailbox.post(.actionResult("\(verb) \(id) (\(run.runbook) on \(run.host)): \(run.message)", isError: false))
        } catch {
            mailbox.post(.actionResult("\(verb.split(separator: " ").first.map(String.init) ?? verb) \(id) failed: \(Self.describe(error))",
                                       isError: true))
        }
        changed()
    }

    /// An error in words for the status line.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as RemediationError: e.message
        case let e as RunTransitionError: e.message
        case let e as StoreError: e.message
        default: String(describing: error)
        }
    }
}
