import Testing
@testable import VigilCore
import VigilWire

struct SafetyCheckerTests {
    let catalog = builtInCatalog()
    let now: Int64 = 1_800_000_000_000
    let policy = SafetyPolicy()

    func request(_ name: String = "disk_cleanup", host: String = "web-1", requester: SafetyRequest.Requester = .user(name: "ann", role: .operator),
                 dryRun: Bool = false, lastSeen: Int64? = nil, version: String? = "0.2.0", muted: String? = nil, runs: [RemediationRun] = [],
                 group: String? = nil, groupSize: Int = 0, groupOfHost: [String: String] = [:], readOnly: Bool = false) -> SafetyRequest {
        SafetyRequest(runbook: catalog.runbook(named: name)!, host: host, requester: requester, dryRun: dryRun, now: now,
                      hostLastSeen: lastSeen ?? now - 5_000, agentVersion: version, group: group, groupSize: groupSize, mutedBy: muted,
                      recentRuns: runs, groupOfHost: groupOfHost, readOnly: readOnly)
    }

    func run(_ runbook: String = "disk_cleanup", host: String = "web-1", state: RunState, createdAgo: Int64 = 60_000,
             finishedAgo: Int64? = nil, dispatched: Bool = true) -> RemediationRun {
        var r = RemediationRun(id: "run_\(UInt32.random(in: 0...UInt32.max))", runbook: catalog.runbook(named: runbook)!, host: host,
                               parameters: [:], steps: [], dryRun: false, requestedBy: "x", now: now - createdAgo)
        r.state = state
        r.dispatchedAt = dispatched ? now - createdAgo : nil
        r.finishedAt = finishedAgo.map { now - $0 }
        return r
    }

    func blocked(_ r: SafetyRequest, by name: String) -> Bool {
        let v = SafetyChecker.check(r, policy: policy)
        return v.checks.first { $0.result == .block }?.name == name
    }

    @Test func aCleanRequestPasses() {
        let v = SafetyChecker.check(request(), policy: policy)
        #expect(v.allowed, "\(v.checks)")
        #expect(!v.needsApproval)
        #expect(v.checks.map(\.name) == ["role", "risk", "reachable", "agent", "cooldown", "rate", "breaker", "blast radius"])
    }

    @Test func aViewerIsBlocked() {
        #expect(blocked(request(requester: .user(name: "vic", role: .viewer)), by: "role"))
    }

    @Test func highRiskNeverRunsAutomatically() {
        #expect(blocked(request("connection_reset", requester: .rule(mode: .auto)), by: "risk"))
        #expect(SafetyChecker.check(request("disk_cleanup", requester: .rule(mode: .auto)), policy: policy).allowed)
        // An operator may run it by hand.
        #expect(SafetyChecker.check(request("connection_reset"), policy: policy).allowed)
    }

    @Test func approveModeWaitsForAnOperator() {
        let v = SafetyChecker.check(request(requester: .rule(mode: .approve)), policy: policy)
        #expect(v.allowed && v.needsApproval)
    }

    @Test func anUnreachableHostOrAnOldAgentIsBlocked() {
        #expect(blocked(request(lastSeen: now - 10 * 60_000), by: "reachable"))
        #expect(blocked(request(version: "0.1.0"), by: "agent"))
        #expect(blocked(request(version: nil), by: "agent"))
        var never = request()
        never.hostLastSeen = nil
        #expect(blocked(never, by: "reachable"))
    }

    @Test func aMutedAlertStopsAutomationButNotAnOperator() {
        #expect(blocked(request(requester: .rule(mode: .auto), muted: "silence sil_1"), by: "muted"))
        #expect(SafetyChecker.check(request(muted: "maintenance nightly"), policy: policy).allowed)
    }

    @Test func cooldownPerHostAndRunbook() {
        #expect(blocked(request(runs: [run(state: .succeeded, finishedAgo: 60_000)]), by: "cooldown"))
        #expect(blocked(request(runs: [run(state: .running)]), by: "cooldown"))
        // Another host or another runbook, or long enough ago: fine.
        #expect(SafetyChecker.check(request(runs: [run(host: "web-2", state: .succeeded, finishedAgo: 60_000)]), policy: policy).allowed)
        #expect(SafetyChecker.check(request(runs: [run("zombie_killer", state: .succeeded, finishedAgo: 60_000)]), policy: policy).allowed)
        #expect(SafetyChecker.check(request(runs: [run(state: .succeeded, createdAgo: 30 * 60_000, finishedAgo: 20 * 60_000)]), policy: policy).allowed)
    }

    @Test func atMostNRunsPerHostPerHour() {
        let runs = ["zombie_killer", "memory_pressure", "log_rotation"].map { run($0, state: .succeeded, createdAgo: 40 * 60_000, finishedAgo: 39 * 60_000) }
        #expect(blocked(request(runs: runs), by: "rate"))
        #expect(SafetyChecker.check(request(runs: Array(runs.prefix(2))), policy: policy).allowed)
    }

    @Test func theBreakerOpensAfterRepeatedFailuresFleetWide() {
        let failures = ["a", "b", "c"].map { run(host: $0, state: .failed, createdAgo: 50 * 60_000, finishedAgo: 49 * 60_000) }
        #expect(blocked(request(runs: failures), by: "breaker"))
        let old = ["a", "b", "c"].map { run(host: $0, state: .failed, createdAgo: 3 * 3_600_000, finishedAgo: 3 * 3_600_000) }
        #expect(SafetyChecker.check(request(runs: old), policy: policy).allowed)
    }

    @Test func theBlastRadiusLimitsHostsAndGroupShare() {
        let inFlight = ["a", "b", "c"].map { run("zombie_killer", host: $0, state: .running) }
        #expect(blocked(request(runs: inFlight), by: "blast radius"))
        let one = [run("zombie_killer", host: "web-2", state: .running)]
        #expect(blocked(request(runs: one, group: "web", groupSize: 3, groupOfHost: ["web-2": "web"]), by: "blast radius"))
        #expect(SafetyChecker.check(request(runs: one, group: "web", groupSize: 10, groupOfHost: ["web-2": "web"]), policy: policy).allowed)
    }

    @Test func readOnlyBlocksEverything() {
        #expect(blocked(request(readOnly: true), by: "read-only"))
        #expect(blocked(request(dryRun: true, readOnly: true), by: "read-only"))
    }

    @Test func aDryRunSkipsTheLimits() {
        let inFlight = ["a", "b", "c"].map { run("zombie_killer", host: $0, state: .running) }
        let v = SafetyChecker.check(request(dryRun: true, runs: inFlight + [run(state: .running)]), policy: policy)
        #expect(v.allowed)
    }

    @Test func versionsCompareNumerically() {
        #expect(SafetyChecker.compareVersions("0.10.0", "0.9.1") == 1)
        #expect(SafetyChecker.compareVersions("0.2", "0.2.0") == 0)
        #expect(SafetyChecker.compareVersions("0.1.9", "0.2.0") == -1)
    }
}

struct RemediationRunTests {
    let rb = builtInCatalog().runbook(named: "disk_cleanup")!

    func fresh(mode: RemediationMode? = nil) -> RemediationRun {
        RemediationRun(id: "run_1", runbook: rb, host: "web-1", parameters: [:],
                       steps: [JobStep(name: "s", kind: .action, argv: ["/bin/true"], timeoutMs: 1000)], mode: mode, dryRun: false,
                       requestedBy: "ann", now: 1000)
    }

    @Test func submitFollowsTheVerdictAndMode() {
        let pass = SafetyVerdict(checks: [SafetyCheck("role", .pass, "")])
        var a = fresh(); a.submit(verdict: pass, now: 2000)
        #expect(a.state == .queued)
        var b = fresh(mode: .approve); b.submit(verdict: SafetyVerdict(checks: [SafetyCheck("risk", .approval, "ask")]), now: 2000)
        #expect(b.state == .awaitingApproval)
        var c = fresh(mode: .manual); c.submit(verdict: pass, now: 2000)
        #expect(c.state == .proposed)
        var d = fresh(); d.submit(verdict: SafetyVerdict(checks: [SafetyCheck("rate", .block, "too many")]), now: 2000)
        #expect(d.state == .blocked && d.message == "rate: too many" && d.finishedAt == 2000)
    }

    @Test func approvalQueuesAndRestartsTheExpiryClock() throws {
        var r = fresh(mode: .approve)
        r.submit(verdict: SafetyVerdict(checks: [SafetyCheck("risk", .approval, "")]), now: 2000)
        try r.approve(by: "bob", now: 500_000)
        #expect(r.state == .queued && r.approvedBy == "bob")
        #expect(r.job.expiresAt == 500_000 + 10 * 60_000)
        #expect(throws: RunTransitionError.self) { try r.approve(by: "bob", now: 500_001) }
    }

    @Test func rejectionNeedsAReason() throws {
        var r = fresh(mode: .approve)
        r.submit(verdict: SafetyVerdict(checks: [SafetyCheck("risk", .approval, "")]), now: 2000)
        #expect(throws: RunTransitionError.self) { try r.reject(by: "bob", reason: "  ", now: 3000) }
        try r.reject(by: "bob", reason: "maintenance tonight", now: 3000)
        #expect(r.state == .rejected && r.message.contains("maintenance tonight"))
    }

    @Test func cancelBeforeDispatchEndsItAfterDispatchAsksTheAgent() throws {
        var r = fresh()
        r.submit(verdict: SafetyVerdict(checks: []), now: 2000)
        var early = r
        try early.cancel(by: "ann", now: 3000)
        #expect(early.state == .cancelled)
        try r.dispatch(now: 3000)
        try r.cancel(by: "ann", now: 4000)
        #expect(r.state == .dispatched && r.cancelRequested)
        try r.record([JobEvent(seq: 1, at: 4100, type: .stepStarted, step: 0)], now: 4100)
        #expect(r.state == .running)
        try r.record([JobEvent(seq: 2, at: 4200, type: .jobFinished, text: "cancelled by the operator", outcome: .cancelled)], now: 4200)
        #expect(r.state == .cancelled && r.lastSeq == 2 && r.finishedAt == 4200)
        #expect(throws: RunTransitionError.self) { try r.record([JobEvent(seq: 3, at: 4300, type: .output, step: 0, text: "x")], now: 4300) }
    }

    @Test func queuedRunsExpireAndSilentRunsAreLost() throws {
        var q = fresh()
        q.submit(verdict: SafetyVerdict(checks: []), now: 2000)
        let early = q.expireIfDue(now: 2000 + 60_000)
        #expect(!early)
        let late = q.expireIfDue(now: 2000 + 11 * 60_000)
        #expect(late && q.state == .expired)
        var d = fresh()
        d.submit(verdict: SafetyVerdict(checks: []), now: 2000)
        try d.dispatch(now: 3000)
        let soon = d.expireIfDue(now: 3000 + 30_000)
        #expect(!soon)
        let silent = d.expireIfDue(now: 3000 + 1000 + 60_000 + 61_000)
        #expect(silent && d.state == .lost)
    }
}

/// Issue 15.6: approval is not a way around the safety checks, and a run does not wait for approval forever.
@Suite struct ApprovalRecheckTests {
    @Test func approvingRechecksTheBlastRadius() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("v.db"), synchronous: "NORMAL")
        let now = WallClock.nowMs()
        for i in 1...6 {
            var batch = IngestBatch.simple(host: "web-\(i)", at: now)
            batch.agent = AgentInfo(version: VigilVersion.current, os: "Debian", kernel: "6.1", arch: "x86_64", cpus: 2, memory: 1 << 30)
            _ = try await store.ingest(batch, receivedAt: now)
        }
        let remediator = Remediator(store: store, catalog: builtInCatalog())
        var waiting: [RemediationRun] = []
        for i in 1...6 {
            let plan = try await remediator.plan(runbook: "zombie_killer", host: "web-\(i)", requester: .rule(mode: .approve), dryRun: false, now: now)
            let run = try await remediator.submit(plan, now: now)
            #expect(run.state == .awaitingApproval)
            waiting.append(run)
        }
        let bob = VigilUser(name: "bob", role: .operator, createdAt: now)
        var approved = 0
        var refusals: [String] = []
        for run in waiting {
            do {
                let r = try await remediator.approve(run.id, by: bob, now: now + 1000)
                #expect(r.state == .queued)
                approved += 1
            } catch let e as RunTransitionError {
                refusals.append(e.message)
            }
        }
        #expect(approved == SafetyPolicy().maxConcurrentHosts, "only as many as the blast radius allows: \(refusals)")
        #expect(refusals.count == 6 - approved && refusals.allSatisfy { $0.contains("blast radius") }, "\(refusals)")
    }

    @Test func aRunAwaitingApprovalExpires() {
        var r = RemediationRun(id: "run_1", runbook: builtInCatalog().runbook(named: "zombie_killer")!, host: "web-1", parameters: [:],
                               steps: [JobStep(name: "s", kind: .action, argv: ["/bin/true"], timeoutMs: 1000)], mode: .approve, dryRun: false,
                               requestedBy: "vigil", now: 1000)
        r.submit(verdict: SafetyVerdict(checks: [SafetyCheck("risk", .approval, "ask")]), now: 1000)
        #expect(r.state == .awaitingApproval)
        let early = r.expireIfDue(now: 1000 + RemediationRun.approvalTTLms - 1)
        #expect(!early)
        let late = r.expireIfDue(now: 1000 + RemediationRun.approvalTTLms + 1)
        #expect(late)
        #expect(r.state == .expired && r.message.contains("nobody approved it"))
    }
}
