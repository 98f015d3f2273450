/// Limits that keep automation from making an incident worse. Defaults suit a small fleet; `vigil.yaml`'s
/// `remediation:` section overrides them.
public struct SafetyPolicy: Sendable, Equatable {
    /// No second run of the same runbook on the same host within this long after the last one ended.
    public var cooldownMs: Int64 = 15 * 60_000
    /// At most this many runs on one host per hour (any runbook).
    public var maxRunsPerHostPerHour = 3
    /// The breaker opens after this many failures of one runbook (fleet-wide) within `breakerWindowMs`.
    public var breakerFailures = 3
    public var breakerWindowMs: Int64 = 60 * 60_000
    /// At most this many hosts under remediation at once …
    public var maxConcurrentHosts = 3
    /// … and at most this share of a host group (label `group`).
    public var maxGroupPercent = 34.0
    /// The host must have reported within this long.
    public var staleAfterMs: Int64 = 120_000
    /// The oldest agent version that runs jobs.
    public var minimumAgentVersion = "0.2.0"

    public init() {}
}

/// One named check and what it found.
public struct SafetyCheck: Sendable, Equatable, Codable {
    public enum Result: String, Sendable, Codable { case pass, block, approval }
    public var name: String
    public var result: Result
    public var detail: String

    public init(_ name: String, _ result: Result, _ detail: String) {
        self.name = name
        self.result = result
        self.detail = detail
    }
}

/// Every check, in order. A run goes ahead only when none blocks; it waits for an operator when one asks for approval.
public struct SafetyVerdict: Sendable, Equatable, Codable {
    public var checks: [SafetyCheck]

    public init(checks: [SafetyCheck]) { self.checks = checks }

    public var blockReason: String? {
        checks.first { $0.result == .block }.map { "\($0.name): \($0.detail)" }
    }
    public var allowed: Bool { blockReason == nil }
    public var needsApproval: Bool { checks.contains { $0.result == .approval } }
    public var approvalReason: String? { checks.first { $0.result == .approval }.map { "\($0.name): \($0.detail)" } }
}

/// Who asks for a run, how, and what the world looks like: everything the checks read. Gathered by
/// `Remediator` from the store; the checks themselves are pure.
public struct SafetyRequest: Sendable {
    public enum Requester: Sendable, Equatable {
        /// A rule in `auto` or `approve` mode.
        case rule(mode: RemediationMode)
        /// A person (console, CLI, API) with a role.
        case user(name: String, role: UserRole)
    }

    public var runbook: Runbook
    public var host: String
    public var requester: Requester
    public var dryRun: Bool
    public var now: Int64
    /// When the host last reported and with which agent version; nil when never seen.
    public var hostLastSeen: Int64?
    public var agentVersion: String?
    /// The host's `group` label and the size of that group.
    public var group: String?
    public var groupSize: Int
    /// Why the alert is muted right now (silence, maintenance window, inhibition), if it is.
    public var mutedBy: String?
    /// Runs of the last 24 hours, fleet-wide, any state.
    public var recentRuns: [RemediationRun]
    /// The group of each host that has a run in flight.
    public var groupOfHost: [String: String]
    /// True when the console runs with `--readonly`.
    public var readOnly: Bool

    public init(runbook: Runbook, host: String, requester: Requester, dryRun: Bool, now: Int64, hostLastSeen: Int64?,
                agentVersion: String?, group: String? = nil, groupSize: Int = 0, mutedBy: String? = nil,
                recentRuns: [RemediationRun] = [], groupOfHost: [String: String] = [:], readOnly: Bool = false) {
        self.runbook = runbook
        self.host = host
        self.requester = requester
        self.dryRun = dryRun
        self.now = now
        self.hostLastSeen = hostLastSeen
        self.agentVersion = agentVersion
        self.group = group
        self.groupSize = groupSize
        self.mutedBy = mutedBy
        self.recentRuns = recentRuns
        self.groupOfHost = groupOfHost
        self.readOnly = readOnly
    }
}

/// The safety checks before any run. Pure: the same request always gives the same verdict.
public enum SafetyChecker {
    public static func check(_ r: SafetyRequest, policy: SafetyPolicy) -> SafetyVerdict {
        var checks: [SafetyCheck] = []
        let rb = r.runbook

        // Who asks.
        if r.readOnly {
            checks.append(SafetyCheck("read-only", .block, "this console was started with --readonly; it runs nothing"))
        }
        switch r.requester {
        case .user(let name, let role):
            if role >= rb.role {
                checks.append(SafetyCheck("role", .pass, "\(name) is \(role.rawValue); \(rb.name) needs \(rb.role.rawValue)"))
            } else {
                checks.append(SafetyCheck("role", .block, "\(name) is \(role.rawValue); \(rb.name) needs \(rb.role.rawValue) or above"))
            }
        case .rule(let mode):
            checks.append(SafetyCheck("role", .pass, "started by a rule in \(mode.rawValue) mode"))
        }

        // Risk against mode.
        switch r.requester {
        case .rule(.auto) where !r.dryRun:
            if rb.risk == .high {
                checks.append(SafetyCheck("risk", .block, "\(rb.name) is high risk; high-risk runbooks never run automatically"))
            } else {
                checks.append(SafetyCheck("risk", .pass, "\(rb.risk.rawValue) risk may run automatically"))
            }
        case .rule(.approve), .rule(.manual):
            checks.append(SafetyCheck("risk", .approval, "\(rb.risk.rawValue) risk; the rule asks for an operator's approval"))
        default:
            checks.append(SafetyCheck("risk", .pass, r.dryRun ? "dry run: changes nothing" : "\(rb.risk.rawValue) risk, started by an operator"))
        }

        // The host can run it.
        if let seen = r.hostLastSeen {
            let age = r.now - seen
            if age > policy.staleAfterMs {
                checks.append(SafetyCheck("reachable", .block, "\(r.host) last reported \(age / 1000)s ago (limit \(policy.staleAfterMs / 1000)s)"))
            } else {
                checks.append(SafetyCheck("reachable", .pass, "\(r.host) reported \(max(0, age) / 1000)s ago"))
            }
        } else {
            checks.append(SafetyCheck("reachable", .block, "\(r.host) has never reported to this Vigil"))
        }
        if let v = r.agentVersion, compareVersions(v, policy.minimumAgentVersion) >= 0 {
            checks.append(SafetyCheck("agent", .pass, "agent \(v) runs jobs"))
        } else {
            checks.append(SafetyCheck("agent", .block, "agent \(r.agentVersion ?? "unknown") is older than \(policy.minimumAgentVersion), the first that runs jobs; upgrade it"))
        }

        // Noise control: a muted alert is being worked on by people.
        if let muted = r.mutedBy {
            if case .rule = r.requester, !r.dryRun {
                checks.append(SafetyCheck("muted", .block, "the alert is muted (\(muted)); automation waits"))
            } else {
                checks.append(SafetyCheck("muted", .pass, "the alert is muted (\(muted)); an operator may still run it"))
            }
        }

        // Limits that only matter for runs that change things.
        guard !r.dryRun else {
            checks.append(SafetyCheck("limits", .pass, "dry run: cooldown, rate, breaker and blast radius do not apply"))
            return SafetyVerdict(checks: checks)
        }
        let changing = r.recentRuns.filter { !$0.dryRun }
        let sameHostRunbook = changing.filter { $0.host == r.host && $0.runbook == rb.name && $0.state != .blocked && $0.state != .rejected && $0.state != .proposed }
        if let active = sameHostRunbook.first(where: { !$0.state.isFinal }) {
            checks.append(SafetyCheck("cooldown", .block, "run \(active.id) of \(rb.name) on \(r.host) is still \(active.state.rawValue.replacingOccurrences(of: "_", with: " "))"))
        } else if let last = sameHostRunbook.compactMap(\.finishedAt).max(), r.now - last < policy.cooldownMs {
            let left = (policy.cooldownMs - (r.now - last) + 999) / 1000
            checks.append(SafetyCheck("cooldown", .block, "\(rb.name) ran on \(r.host) \((r.now - last) / 1000)s ago; cooldown \(policy.cooldownMs / 60_000)m (\(left)s left)"))
        } else {
            checks.append(SafetyCheck("cooldown", .pass, "no \(rb.name) on \(r.host) within \(policy.cooldownMs / 60_000)m"))
        }

        let lastHour = changing.filter { $0.host == r.host && $0.createdAt > r.now - 3_600_000 && ($0.dispatchedAt != nil || $0.state.isInFlight) }
        if lastHour.count >= policy.maxRunsPerHostPerHour {
            checks.append(SafetyCheck("rate", .block, "\(lastHour.count) runs on \(r.host) in the last hour (limit \(policy.maxRunsPerHostPerHour))"))
        } else {
            checks.append(SafetyCheck("rate", .pass, "\(lastHour.count) of \(policy.maxRunsPerHostPerHour) runs on \(r.host) this hour"))
        }

        let failures = changing.filter { $0.runbook == rb.name && $0.state.isFailure && ($0.finishedAt ?? 0) > r.now - policy.breakerWindowMs }
        if failures.count >= policy.breakerFailures {
            checks.append(SafetyCheck("breaker", .block, "open: \(rb.name) failed \(failures.count) times in the last \(policy.breakerWindowMs / 60_000)m (limit \(policy.breakerFailures))"))
        } else {
            checks.append(SafetyCheck("breaker", .pass, "closed: \(failures.count) failures of \(rb.name) in \(policy.breakerWindowMs / 60_000)m"))
        }

        let inFlightHosts = Set(changing.filter { $0.state.isInFlight && $0.host != r.host }.map(\.host))
        if inFlightHosts.count >= policy.maxConcurrentHosts {
            checks.append(SafetyCheck("blast radius", .block, "\(inFlightHosts.count) other hosts are under remediation (limit \(policy.maxConcurrentHosts))"))
        } else if let group = r.group, r.groupSize > 0 {
            let inGroup = inFlightHosts.filter { r.groupOfHost[$0] == group }.count + 1
            let percent = 100.0 * Double(inGroup) / Double(r.groupSize)
            if percent > policy.maxGroupPercent && inGroup > 1 {
                checks.append(SafetyCheck("blast radius", .block, "\(inGroup) of \(r.groupSize) hosts of group \(group) would be under remediation (limit \(Int(policy.maxGroupPercent))%)"))
            } else {
                checks.append(SafetyCheck("blast radius", .pass, "\(inFlightHosts.count) other hosts under remediation; \(inGroup) of \(r.groupSize) in group \(group)"))
            }
        } else {
            checks.append(SafetyCheck("blast radius", .pass, "\(inFlightHosts.count) other hosts under remediation (limit \(policy.maxConcurrentHosts))"))
        }
        return SafetyVerdict(checks: checks)
    }

    /// Compares dotted versions numerically (`0.10.0` > `0.9.1`); non-numeric parts compare as 0.
    public static func compareVersions(_ a: String, _ b: String) -> Int {
        let pa = a.split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
        let pb = b.split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
        for i in 0..<max(pa.count, pb.count) {
            let x = i < pa.count ? pa[i] : 0, y = i < pb.count ? pb[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }
}
