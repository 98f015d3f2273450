import Foundation
import Testing
@testable import VigilTUI
@testable import VigilCore
import VigilWire

@Suite(.serialized) struct RemediationRunbooksPaneTests {
    /// A run a rule in approve mode asked for, waiting for an operator.
    static func waitingRun(_ h: RemediationHarness, runbook: String, host: String, ageMs: Int64) async throws -> RemediationRun {
        let rb = try #require(h.catalog.runbook(named: runbook))
        let now = FleetPoller.nowMs() - ageMs
        let values = try RunbookRenderer.resolve(rb, explicit: rb.parameters.contains { $0.name == "unit" } ? ["unit": "nginx.service"] : [:],
                                                 labels: ["port": "8080"])
        var run = RemediationRun(id: "run_\(runbook.prefix(6))\(host)", runbook: rb, host: host, parameters: values,
                                 steps: RunbookRenderer.render(rb, values: values, host: host), alertName: "DiskSpaceLow",
                                 mode: .approve, dryRun: false, requestedBy: "vigil", now: now)
        run.submit(verdict: SafetyVerdict(checks: [SafetyCheck("risk", .approval, "medium risk; the rule asks for an operator's approval")]), now: now)
        try await h.store.createRun(run, actor: "vigil", now: now)
        return run
    }

    /// Reads the runs as the poller does and hands them to the console.
    static func refresh(_ h: RemediationHarness, _ c: ConsoleController) async {
        let poller = FleetPoller(reader: h.store, store: h.store, mailbox: h.mailbox, interval: 2)
        await poller.fetchRuns(h.store)
        for m in h.mailbox.drain() { c.receive(m, now: Fixtures.now) }
    }

    @Test func approvalsQueueApproveWithYRejectWithNAndAReason() async throws {
        let h = try RemediationHarness()
        // Both hosts report with a job-capable agent: approval runs the safety checks again.
        for host in ["db-1", "web-2"] {
            var b = IngestBatch(host: host, samples: [Sample(name: "cpu.usage_percent", value: 5, ts: FleetPoller.nowMs())])
            b.agent = AgentInfo(version: VigilVersion.current, os: "Debian", kernel: "6.1", arch: "x86_64", cpus: 2, memory: 1 << 30)
            _ = try await h.store.ingest(b, receivedAt: FleetPoller.nowMs())
        }
        let first = try await Self.waitingRun(h, runbook: "disk_cleanup", host: "db-1", ageMs: 300_000)
        let second = try await Self.waitingRun(h, runbook: "zombie_killer", host: "web-2", ageMs: 60_000)
        let c = h.controller()
        c.handle(.char(":"), now: Fixtures.now)
        AlertFixtures.type("runbooks", into: c)
        c.handle(.enter, now: Fixtures.now)
        let pane = try #require(c.top as? RunbooksPane)
        #expect(pane.pollInterest.runs)
        await Self.refresh(h, c)
        var text = RemediationHarness.screen(c).text
        for part in ["6 runbooks", "2 awaiting approval", "Approvals (2) · y approve  N reject", "RISK", "WAITING", first.id, second.id,
                     "Runs (2)", "awaiting approval", "Catalogue (6)", "disk_cleanup", "connection_reset", "high"] {
            #expect(text.contains(part), "missing '\(part)' in\n\(text)")
        }
        #expect(pane.focus == .approvals, "waiting approvals take the focus")
        #expect(pane.approvals.selected?.id == first.id, "oldest first")

        // y asks, y approves: the Remediator queues it for the host, as alice.
        c.handle(.char("y"), now: Fixtures.now)
        guard case .confirm(let question, _) = c.input else { Issue.record("no confirmation: \(c.input)"); return }
        #expect(question.contains("approve \(first.id): disk_cleanup on db-1, 3 steps, medium risk"), "\(question)")
        c.handle(.char("y"), now: Fixtures.now)
        let approved = await h.pump(c)
        #expect(approved == [.approve(runID: first.id)])
        let stored = try #require(try await h.store.run(id: first.id))
        #expect(stored.state == .queued && stored.approvedBy == "alice", "\(stored.state) \(stored.approvedBy ?? "-")")
        #expect(RemediationHarness.screen(c).lines()[47].contains("approved \(first.id)"))

        // N asks for a reason; an empty one rejects nothing.
        await Self.refresh(h, c)
        #expect(pane.approvals.rows.map(\.id) == [second.id])
        c.handle(.char("N"), now: Fixtures.now)
        c.handle(.enter, now: Fixtures.now)
        #expect(c.takeEffects().isEmpty)
        c.handle(.char("N"), now: Fixtures.now)
        AlertFixtures.type("parent is postgres, not ours", into: c)
        c.handle(.enter, now: Fixtures.now)
        let rejected = await h.pump(c)
        #expect(rejected == [.reject(runID: second.id, reason: "parent is postgres, not ours")])
        let gone = try #require(try await h.store.run(id: second.id))
        #expect(gone.state == .rejected && gone.message == "rejected by alice: parent is postgres, not ours")
        await Self.refresh(h, c)
        text = RemediationHarness.screen(c).text
        #expect(text.contains("0 awaiting approval") && text.contains("no runs waiting for approval"), "\(text)")
        #expect(text.contains("rejected") && text.contains("queued"))

        // Enter on a run opens it with its plan; Esc comes back.
        c.handle(.tab, now: Fixtures.now)
        #expect(pane.focus == .runs)
        c.handle(.enter, now: Fixtures.now)
        let opened = try #require(c.top as? RemediationPane)
        #expect(opened.showsStoredRun)
        #expect(RemediationHarness.screen(c).text.contains("vigil-step disk-usage") || RemediationHarness.screen(c).text.contains("zombie-report"))
        c.handle(.escape, now: Fixtures.now)
        #expect(c.top is RunbooksPane)
    }

    @Test func aViewerAndAReadOnlyConsoleCannotApprove() async throws {
        let h = try RemediationHarness(user: AlertFixtures.victor)
        let run = try await Self.waitingRun(h, runbook: "disk_cleanup", host: "db-1", ageMs: 1000)
        let c = h.controller()
        c.apply(.command(.runbooks), now: Fixtures.now)
        await Self.refresh(h, c)
        _ = c.takeEffects()
        c.handle(.char("y"), now: Fixtures.now)
        c.handle(.char("y"), now: Fixtures.now)
        #expect(c.takeEffects().isEmpty)
        #expect(RemediationHarness.screen(c).lines()[47].contains("victor is a viewer"))
        #expect(try await h.store.run(id: run.id)?.state == .awaitingApproval)

        let ro = try RemediationHarness(readOnly: true)
        _ = try await Self.waitingRun(ro, runbook: "disk_cleanup", host: "db-1", ageMs: 1000)
        let r = ro.controller(readOnly: true)
        r.apply(.command(.runbooks), now: Fixtures.now)
        await Self.refresh(ro, r)
        _ = r.takeEffects()
        #expect(!r.hintSpans().map { $0.map(\.text).joined() }.contains("y approve"))
        r.handle(.char("y"), now: Fixtures.now)
        #expect(r.takeEffects().isEmpty)
    }

    @Test func smallTerminalShowsTheFocusedTable() async throws {
        let h = try RemediationHarness()
        _ = try await Self.waitingRun(h, runbook: "disk_cleanup", host: "db-1", ageMs: 1000)
        let c = h.controller()
        c.apply(.command(.runbooks), now: Fixtures.now)
        await Self.refresh(h, c)
        let text = RemediationHarness.screen(c, width: 80, height: 24).text
        for part in ["Approvals (1)", "Runs (1)", "Catalogue (6)"] { #expect(text.contains(part), "\(text)") }
        let tiny = RemediationHarness.screen(c, width: 60, height: 14).text
        #expect(tiny.contains("Approvals (1)"), "\(tiny)")
    }
}
