import Foundation
import Logging
import ServiceLifecycle
import VigilWire

/// Runs jobs for the host this process collects itself (the console's built-in collector), through the same
/// executor the agent uses. VigilTUI provides it (the executor lives in VigilAgentCore).
public protocol LocalJobRunning: Sendable {
    /// The host name the local collector reports as.
    var host: String { get }
    /// Runs the job to the end, blocking; emits events (ending with `job_finished`) and polls `isCancelled`.
    func run(_ job: JobSpec, emit: @escaping @Sendable (JobEvent) -> Void, isCancelled: @escaping @Sendable () -> Bool) -> JobOutcome
}

/// The remediation driver: for firing alerts whose rule has `remediation:`, diagnoses, plans and submits a run
/// (auto, approve or manual); expires runs nobody picked up and marks silent ones lost. The lease holder does
/// that; any engine with a local collector also runs the local host's jobs.
public final class RemediationService: Service, Sendable {
    let store: any Store
    let logger: Logger
    let isLeader: @Sendable () -> Bool
    let rules: @Sendable () -> [AlertRule]
    let local: (any LocalJobRunning)?
    let tickMs: Int64
    let retryBlockedMs: Int64
    private let state: Locked<State>

    struct State {
        var remediator: Remediator
        /// Alert episodes (fingerprint@firedAt) that have their run.
        var done: Set<String> = []
        /// When each episode was last planned (blocked runs are retried).
        var lastAttempt: [String: Int64] = [:]
    }

    public init(remediator: Remediator, rules: @escaping @Sendable () -> [AlertRule], isLeader: @escaping @Sendable () -> Bool,
                local: (any LocalJobRunning)?, logger: Logger, tickMs: Int64 = 1000, retryBlockedMs: Int64 = 30_000) {
        self.store = remediator.store
        self.rules = rules
        self.isLeader = isLeader
        self.local = local
        self.logger = logger
        self.tickMs = tickMs
        self.retryBlockedMs = retryBlockedMs
        self.state = Locked(State(remediator: remediator))
    }

    public var remediator: Remediator { state.withLock { $0.remediator } }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = WallClock.nowMs()
            if isLeader() {
                do {
                    try await remediateFiringAlerts(now: now)
                    try await sweep(now: now)
                } catch {
                    logger.error("remediation: \(error)")
                }
            }
            if let local {
                do {
                    // A read first: claiming is a write transaction, and nothing is queued nearly always.
                    let queued = try await store.hasQueuedJobs(host: local.host)
                    for run in queued ? try await store.claimJobs(host: local.host, now: now) : [] {
                        await runLocally(run, runner: local)
                    }
                } catch {
                    logger.error("local job: \(error)")
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(self.tickMs)) }
        }
    }

    /// One pass over the firing alerts: each firing episode of a rule with `remediation:` gets one run. A run
    /// that a safety check blocked is planned again every `retryBlockedMs` while the alert keeps firing (the host
    /// may come back, the blast radius shrink, the cooldown end); a new blocked run is recorded only when the
    /// reason changes.
    func remediateFiringAlerts(now: Int64) async throws {
        let byName = Dictionary(rules().compactMap { r in r.remediation.map { (r.name, $0) } }, uniquingKeysWith: { a, _ in a })
        guard !byName.isEmpty else { return }
        let firing = try await store.alerts(states: ["firing"], limit: 5000)
        for alert in firing {
            guard let config = byName[alert.rule], let host = alert.host else { continue }
            // Only Vigil's own alerts (which passed the rule's `for:`) start a rule's runbook, unless the rule accepts
            // pushed ones.
            guard alert.source == "vigil" || config.acceptPushed else { continue }
            let episode = "\(alert.fingerprint)@\(alert.firedAt ?? alert.activeSince)"
            let due = state.withLock { s -> Bool in
                if s.done.contains(episode) { return false }
                if let last = s.lastAttempt[episode], now - last < retryBlockedMs { return false }
                s.lastAttempt[episode] = now
                return true
            }
            guard due else { continue }
            let existing = try await store.runs(RunFilter(alertFingerprint: alert.fingerprint, since: alert.firedAt ?? alert.activeSince, limit: 1))
            if let latest = existing.first, latest.state != .blocked {
                state.withLock { _ = $0.done.insert(episode) }
                continue
            }
            let remediator = self.remediator
            let diagnosis = await remediator.diagnose(alert, now: now)
            do {
                let plan = try await remediator.plan(runbook: config.runbook, host: host, ruleParameters: config.parameters, alert: alert,
                                                     diagnosis: diagnosis, requester: .rule(mode: config.mode), dryRun: false, now: now)
                if let latest = existing.first, let reason = plan.verdict.blockReason, latest.message == reason { continue }
                let run = try await remediator.submit(plan, now: now)
                if run.state != .blocked { state.withLock { _ = $0.done.insert(episode) } }
                logger.info("remediation: \(alert.rule) on \(host) → \(run.runbook) \(run.state.rawValue) (\(run.id)): \(run.message)")
            } catch let e as RemediationError {
                state.withLock { _ = $0.done.insert(episode) }
                logger.error("remediation for \(alert.rule) on \(host): \(e.message)")
                _ = try? await store.alertAction(.note, fingerprint: alert.fingerprint, detail: "remediation not possible: \(e.message)",
                                                 actor: "vigil", now: now)
            }
        }
        state.withLock { s in
            if s.done.count > 50_000 { s.done.removeAll() }
            if s.lastAttempt.count > 50_000 { s.lastAttempt.removeAll() }
        }
    }

    /// Expires queued runs nobody picked up and marks runs whose agent went silent as lost.
    func sweep(now: Int64) async throws {
        let open = try await store.runs(RunFilter(states: [.awaitingApproval, .queued, .dispatched, .running], limit: 1000))
        for run in open {
            var probe = run
            guard probe.expireIfDue(now: now) else { continue }
            _ = try await store.updateRun(id: run.id, action: probe.state == .lost ? "lost" : "expire", actor: "system", now: now) { r in
                _ = r.expireIfDue(now: now)
            }
            logger.warning("remediation: run \(run.id) (\(run.runbook) on \(run.host)) \(probe.state.rawValue): \(probe.message)")
        }
    }

    /// Runs a local job on a thread (the executor blocks), relaying its events to the store every 200 ms and
    /// passing an operator's cancel back to it.
    public func runLocally(_ run: RemediationRun, runner: any LocalJobRunning) async {
        let relay = LocalJobRelay()
        let job = run.job
        let thread = Thread {
            let outcome = runner.run(job, emit: { e in relay.push(e) }, isCancelled: { relay.cancelled })
            relay.finish(outcome)
        }
        thread.start()
        var seq = 0
        while true {
            try? await Task.sleep(for: .milliseconds(200))
            let (events, finished) = relay.drain()
            seq = max(seq, events.map(\.seq).max() ?? 0)
            let now = WallClock.nowMs()
            if !events.isEmpty {
                if case .accepted(let cancel)? = try? await store.recordJobEvents(id: run.id, host: run.host, events: events, now: now), cancel {
                    relay.cancel()
                }
            } else if let current = try? await store.run(id: run.id), current.cancelRequested {
                relay.cancel()
            }
            if let outcome = finished {
                // The executor normally ends with job_finished; make sure the run ends even if it did not.
                if let current = try? await store.run(id: run.id), !current.state.isFinal {
                    let end = JobEvent(seq: seq + 1, at: now, type: .jobFinished, text: "finished: \(outcome.rawValue)", outcome: outcome)
                    _ = try? await store.recordJobEvents(id: run.id, host: run.host, events: [end], now: now)
                }
                return
            }
        }
    }
}

/// The hand-over between a local job's thread and the service's task.
final class LocalJobRelay: Sendable {
    private struct S {
        var events: [JobEvent] = []
        var cancelled = false
        var outcome: JobOutcome?
    }
    private let s = Locked(S())

    func push(_ e: JobEvent) { s.withLock { $0.events.append(e) } }
    func cancel() { s.withLock { $0.cancelled = true } }
    var cancelled: Bool { s.withLock { $0.cancelled } }
    func finish(_ o: JobOutcome) { s.withLock { $0.outcome = o } }

    /// The events so far, and the outcome once the thread is done and every event has been taken.
    func drain() -> ([JobEvent], JobOutcome?) {
        s.withLock { st in
            let e = st.events
            st.events.removeAll()
            return (e, st.outcome)
        }
    }
}
