import VigilTheme
import VigilCore
import VigilWire

/// What the remediation pane asks of the background: every remediation step that reads or writes the store.
struct RemediationTarget: Equatable, Sendable {
    /// Ties the answer to the request that asked for it (a newer request makes older answers stale).
    var token: String
    /// The alert being remediated (nil: a run by name, from the runbooks pane).
    var alert: StoredAlert?
    var host: String
    /// The runbook to plan; nil: the one the diagnosis names.
    var runbook: String?
    /// Values the operator typed (they win over the diagnosis's and the rule's).
    var parameters: [String: String]
    /// Known already (no need to diagnose again).
    var diagnosis: Diagnosis?
}

/// A remediation request, carried out off the UI thread by `RemediationWorker`.
enum RemediationRequest: Equatable, Sendable {
    /// Diagnose (unless already known) and plan a run, storing nothing.
    case prepare(RemediationTarget)
    /// Plan afresh and, unless a safety check blocks, store the run (a real run or a dry run) for the host's agent.
    case start(RemediationTarget, dryRun: Bool)
    case approve(runID: String)
    case reject(runID: String, reason: String)
    case cancel(runID: String)

    /// Whether it changes something (so `--readonly` and the role are checked first).
    var changesThings: Bool {
        if case .prepare = self { return false }
        return true
    }

    /// What a refusal calls it: `run disk_cleanup`, `approve run_…`.
    var what: String {
        switch self {
        case .prepare(let t): "plan \(t.runbook ?? "a runbook")"
        case .start(let t, let dry): "\(dry ? "dry run of" : "run") \(t.runbook ?? "a runbook")"
        case .approve(let id): "approve \(id)"
        case .reject(let id, _): "reject \(id)"
        case .cancel(let id): "cancel \(id)"
        }
    }
}

/// What the worker posts back (inside `ConsoleMessage.remediation`). Immutable values only.
enum RemediationUpdate: Sendable {
    case diagnosis(token: String, Diagnosis)
    case planned(token: String, RemediationPlan)
    /// The plan could not be made (unknown runbook, a bad or missing parameter, no host).
    case planFailed(token: String, String)
    /// The run is stored (queued for the agent, or blocked/awaiting approval as its verdict says).
    case started(token: String, RemediationRun)
    /// A fresh plan that a safety check blocks: nothing was stored.
    case notStarted(token: String, RemediationPlan, reason: String)
    /// A followed run as it is now, and its events after the sequence number the pane asked from.
    case progress(RemediationRun, [JobEvent])
    case progressFailed(runID: String, String)
    /// An approve, reject or cancel went through.
    case transitioned(RemediationRun)
}

/// A run a visible pane follows: the worker polls its state and events every 250 ms.
struct RunFollow: Equatable, Sendable {
    var id: String
    /// Events after this one are fetched.
    var afterSeq: Int
}

/// The runs the runbooks pane shows: recent runs (newest first) and the approvals queue. Immutable.
struct RunsSnapshot: Sendable {
    var takenAt: Int64
    /// Runs of the last week, newest first.
    var recent: [RemediationRun]
    /// Runs waiting for an operator (awaiting approval or proposed), oldest first.
    var approvals: [RemediationRun]
}

/// Wording and colours for runs, shared by the remediation and runbooks panes.
enum RunFormat {
    /// `awaiting approval`, `precondition failed`.
    static func state(_ s: RunState) -> String { s.rawValue.replacingOccurrences(of: "_", with: " ") }

    static func stateRole(_ s: RunState) -> Role {
        switch s {
        case .succeeded: .ok
        case .failed, .error, .lost, .refused, .preconditionFailed: .critical
        case .running, .dispatched, .queued: .info
        case .awaitingApproval, .proposed, .blocked: .warning
        case .cancelled, .rejected, .expired: .muted
        }
    }

    static func riskRole(_ r: RunbookRisk) -> Role {
        switch r {
        case .low: .ok
        case .medium: .warning
        case .high: .critical
        }
    }

    static func checkRole(_ r: SafetyCheck.Result) -> Role {
        switch r {
        case .pass: .ok
        case .block: .critical
        case .approval: .warning
        }
    }

    /// `ok`, `BLOCK`, `WAIT`, as `vigil runbook` prints them.
    static func checkMark(_ r: SafetyCheck.Result) -> String {
        switch r {
        case .pass: "ok"
        case .block: "BLOCK"
        case .approval: "WAIT"
        }
    }

    /// The verdict in a few words: `allowed: 8 checks pass`, `BLOCKED reachable: …`.
    static func verdictSpans(_ v: SafetyVerdict) -> [Span] {
        let blocking = v.checks.filter { $0.result == .block }
        if !blocking.isEmpty {
            return [Span("BLOCKED", .critical, [.bold]), Span(" by \(blocking.map(\.name).joined(separator: ", ")): nothing runs until it passes", .critical)]
        }
        if let wait = v.checks.first(where: { $0.result == .approval }) {
            return [Span("needs approval", .warning, [.bold]), Span(" (\(wait.name))", .warning)]
        }
        return [Span("allowed", .ok, [.bold]), Span(": \(v.checks.count) checks pass", .ok)]
    }

    /// One line of run output in its colour; ASCII terminals get ASCII marks.
    static func eventSpans(_ line: String, unicode: Bool) -> [Span] {
        let text = unicode ? line : ascii(line)
        let trimmed = line.drop { $0 == " " }
        let role: Role
        if trimmed.hasPrefix("▶") { role = .title }
        else if trimmed.hasPrefix("✓") { role = .ok }
        else if trimmed.hasPrefix("✗") { role = .critical }
        else if trimmed.hasPrefix("–") { role = .muted }
        else if trimmed.hasPrefix("= succeeded") { role = .ok }
        else if trimmed.hasPrefix("=") { role = .critical }
        else { role = .text }
        return [Span(text, role, trimmed.hasPrefix("▶") || trimmed.hasPrefix("=") ? [.bold] : [])]
    }

    /// The Unicode marks of `RunbookText` in ASCII.
    static func ascii(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "▶": out += ">"
            case "✓": out += "+"
            case "✗": out += "x"
            case "–": out += "-"
            case "·": out += "*"
            case "…": out += "..."
            default: out.append(ch)
            }
        }
        return out
    }

    /// What the verify steps of a finished run said, from its events: `[(step name, passed, detail)]`.
    static func verifyResults(steps: [JobStep], events: [JobEvent]) -> [(name: String, passed: Bool?, detail: String)] {
        steps.enumerated().filter { $0.element.kind == .verify }.map { index, step in
            if let done = events.last(where: { $0.type == .stepFinished && $0.step == index }) {
                if done.timedOut == true { return (step.name, false, "timed out") }
                if let sig = done.signal { return (step.name, false, "killed by signal \(sig)") }
                return (step.name, done.exitCode == 0, "exit \(done.exitCode.map(String.init) ?? "?")")
            }
            if let skipped = events.last(where: { $0.type == .stepSkipped && $0.step == index }) {
                return (step.name, nil, skipped.text ?? "skipped")
            }
            return (step.name, nil, "did not run")
        }
    }

    /// A run's duration so far or in total: `4.2s`, `3m 10s`.
    static func duration(_ run: RemediationRun, now: Int64) -> String {
        let start = run.dispatchedAt ?? run.createdAt
        let end = run.finishedAt ?? now
        return Format.duration(seconds: Double(max(0, end - start)) / 1000)
    }
}
