import Foundation
import VigilWire

/// A remediation request that cannot become a run, saying why.
public struct RemediationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A run as it would be made: resolved parameters, the exact steps, the diagnosis and the safety verdict.
/// The console shows it before anyone presses Enter; `submit` turns it into a stored run.
public struct RemediationPlan: Sendable {
    public var runbook: Runbook
    public var host: String
    public var parameters: [String: String]
    public var steps: [JobStep]
    public var verdict: SafetyVerdict
    public var diagnosis: Diagnosis?
    public var alert: StoredAlert?
    public var mode: RemediationMode?
    public var dryRun: Bool
    public var requestedBy: String
}

/// The one place that turns "run this runbook on that host" into a checked, stored run: used by the console,
/// `vigil runbook`, the API and the auto-remediation service alike. Reads the store; writes only runs.
public struct Remediator: Sendable {
    public let store: any Store
    public var catalog: RunbookCatalog
    public var policy: SafetyPolicy
    public var diagnoser: any Diagnoser
    /// The console's `--readonly`: every plan is blocked.
    public var readOnly: Bool

    public init(store: any Store, catalog: RunbookCatalog, policy: SafetyPolicy = SafetyPolicy(),
                diagnoser: any Diagnoser = HeuristicDiagnoser(), readOnly: Bool = false) {
        self.store = store
        self.catalog = catalog
        self.policy = policy
        self.diagnoser = diagnoser
        self.readOnly = readOnly
    }

    /// What the host's recent data and the incident memory say about the alert.
    public func diagnose(_ alert: StoredAlert, now: Int64) async -> Diagnosis {
        let input = await DiagnosisInput.gather(for: alert, store: store, now: now)
        let similar = input.incidents
        var d = await diagnoser.diagnose(input, catalog: catalog)
        if let memory = IncidentMemory.summary(similar, now: now) {
            d.evidence.append(memory)
            if let best = IncidentMemory.bestFix(similar), d.runbook == nil, catalog.runbook(named: best) != nil {
                d.runbook = best
                d.evidence.append("\(best) fixed it before")
            }
        }
        return d
    }

    /// Resolves, renders and checks a run without storing anything.
    public func plan(runbook name: String, host: String, parameters explicit: [String: String] = [:], ruleParameters: [String: String] = [:],
                     alert: StoredAlert? = nil, diagnosis: Diagnosis? = nil, requester: SafetyRequest.Requester, dryRun: Bool,
                     excludingRun: String? = nil, now: Int64) async throws -> RemediationPlan {
        guard let runbook = catalog.runbook(named: name) else {
            throw RemediationError("no runbook named '\(name)' (known: \(catalog.runbooks.map(\.name).joined(separator: ", ")))")
        }
        guard WireNames.isValidHost(host) else { throw RemediationError("'\(host)' is not a valid host name") }
        var labels = alert?.labels ?? [:]
        for (k, v) in alert?.seriesLabels ?? [:] where labels[k] == nil { labels[k] = v }
        let values: [String: String]
        do {
            values = try RunbookRenderer.resolve(runbook, explicit: explicit, fromRule: ruleParameters, labels: labels)
        } catch {
            throw RemediationError("\(runbook.name): \(error.description)")
        }
        let steps = RunbookRenderer.render(runbook, values: values, host: host)
        let hosts = try await store.hostInventory(now: now)
        let hostSummary = hosts.first { $0.name == host }
        let group = hostSummary?.labels["group"]
        var groupOfHost: [String: String] = [:]
        for h in hosts { if let g = h.labels["group"] { groupOfHost[h.name] = g } }
        let recent = try await store.runs(RunFilter(since: now - 86_400_000, limit: 5000)).filter { $0.id != excludingRun }
        let request = SafetyRequest(runbook: runbook, host: host, requester: requester, dryRun: dryRun, now: now,
                                    hostLastSeen: hostSummary?.lastSeen, agentVersion: hostSummary?.agent?.version,
                                    group: group, groupSize: group.map { g in hosts.filter { $0.labels["group"] == g }.count } ?? 0,
                                    mutedBy: alert?.mutedBy, recentRuns: recent, groupOfHost: groupOfHost, readOnly: readOnly)
        let verdict = SafetyChecker.check(request, policy: policy)
        var mode: RemediationMode?
        var who = "vigil"
        switch requester {
        case .rule(let m): mode = m
        case .user(let name, _): who = name
        }
        return RemediationPlan(runbook: runbook, host: host, parameters: values, steps: steps, verdict: verdict, diagnosis: diagnosis,
                               alert: alert, mode: mode, dryRun: dryRun, requestedBy: who)
    }

    /// Stores the plan as a run: blocked, proposed, awaiting approval or queued, as its verdict and mode say.
    public func submit(_ plan: RemediationPlan, now: Int64) async throws -> RemediationRun {
        var run = RemediationRun(id: RandomID.make(prefix: "run_", bytes: 6), runbook: plan.runbook, host: plan.host,
                                 parameters: plan.parameters, steps: plan.steps, alertFingerprint: plan.alert?.fingerprint,
                                 alertName: plan.alert?.rule, mode: plan.mode, dryRun: plan.dryRun, requestedBy: plan.requestedBy, now: now)
        run.diagnosis = plan.diagnosis
        run.submit(verdict: plan.verdict, now: now)
        try await store.createRun(run, actor: plan.requestedBy, now: now)
        return run
    }

    /// An operator approves a waiting run; the role the runbook needs is checked again.
    public func approve(_ id: String, by user: VigilUser, now: Int64) async throws -> RemediationRun {
        guard !readOnly else { throw RemediationError("this console is read-only (--readonly)") }
        guard let run = try await store.run(id: id) else { throw RemediationError("no run '\(id)'") }
        let needed = catalog.runbook(named: run.runbook)?.role ?? .operator
        guard user.role >= needed else { throw RemediationError("\(user.name) is \(user.role.rawValue); approving \(run.runbook) needs \(needed.rawValue)") }
        if run.state == .awaitingApproval {
            // The world moved on while the run waited: the safety checks (blast radius, cooldown, reachability, …)
            // are run again, as for a new run by this user, before it may be queued.
            var alert: StoredAlert?
            if let fp = run.alertFingerprint { alert = try await store.alert(fingerprint: fp) }
            let recheck = try await plan(runbook: run.runbook, host: run.host, parameters: run.parameters, alert: alert,
                                         requester: .user(name: user.name, role: user.role), dryRun: run.dryRun, excludingRun: run.id, now: now)
            if let reason = recheck.verdict.blockReason {
                throw RunTransitionError("cannot approve \(run.id) now: \(reason) (the safety checks run again at approval)")
            }
        }
        return try await store.updateRun(id: id, action: "approve", actor: user.name, now: now) { try $0.approve(by: user.name, now: now) }
    }

    public func reject(_ id: String, by user: VigilUser, reason: String, now: Int64) async throws -> RemediationRun {
        guard !readOnly else { throw RemediationError("this console is read-only (--readonly)") }
        guard user.role >= .operator else { throw RemediationError("\(user.name) is a viewer; rejecting a run needs operator") }
        return try await store.updateRun(id: id, action: "reject", actor: user.name, now: now) { try $0.reject(by: user.name, reason: reason, now: now) }
    }

    public func cancel(_ id: String, by user: VigilUser, now: Int64) async throws -> RemediationRun {
        guard user.role >= .operator else { throw RemediationError("\(user.name) is a viewer; cancelling a run needs operator") }
        return try await store.updateRun(id: id, action: "cancel", actor: user.name, now: now) { try $0.cancel(by: user.name, now: now) }
    }
}
