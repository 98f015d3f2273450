import Foundation
import Testing
@testable import VigilTUI
@testable import VigilCore
import VigilWire

/// A real SQLite store in a temporary file, the shipped runbooks, and the worker the console uses, so the panes
/// are fed exactly what the background would post.
final class RemediationHarness {
    let dir: String
    let store: SQLiteStore
    let catalog: RunbookCatalog
    let mailbox: Mailbox
    let worker: RemediationWorker
    let user: VigilUser

    init(user: VigilUser = AlertFixtures.alice, readOnly: Bool = false) throws {
        dir = NSTemporaryDirectory() + "vigil-remediation-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try SQLiteStore(path: dir + "/vigil.db")
        catalog = RunbookCatalog.load(builtInDirectory: Fixtures.repoRoot + "/runbooks", userDirectory: nil)
        mailbox = Mailbox(pipe: try WakePipe())
        self.user = user
        worker = RemediationWorker(remediator: Remediator(store: store, catalog: catalog, readOnly: readOnly), user: user, mailbox: mailbox)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// A host that reported just now with an agent that runs jobs.
    func seedHost(_ name: String, now: Int64 = FleetPoller.nowMs()) async throws {
        let batch = IngestBatch(host: name, agent: AgentInfo(version: "0.3.0", os: "Debian 12"), labels: [:],
                                samples: [Sample(name: "disk.used_percent", value: 93, ts: now, labels: ["mount": "/"])])
        _ = try await store.ingest(batch, receivedAt: now)
    }

    /// A firing disk alert on `host`.
    static func diskAlert(host: String, rule: String = "DiskSpaceLow", extra: [String: String] = [:]) -> StoredAlert {
        var a = AlertFixtures.alert(rule, host: host, severity: .warning, firedAgo: 120_000, value: 93, summary: "disk 93% full",
                                    extra: ["mount": "/"].merging(extra) { $1 })
        a.metric = "disk.used_percent"
        return a
    }

    func controller(readOnly: Bool = false) -> ConsoleController {
        let c = ConsoleController(readOnly: readOnly, user: user, storeDescription: "sqlite test", catalog: catalog, root: Fixtures.dashboard())
        c.receive(.fleet(Fixtures.fleet), now: Fixtures.now)
        return c
    }

    /// Carries out the controller's remediation effects the way the console loop does, and delivers what the
    /// worker posted. Returns the requests it carried out.
    @discardableResult
    func pump(_ c: ConsoleController) async -> [RemediationRequest] {
        var done: [RemediationRequest] = []
        for effect in c.takeEffects() {
            if case .remediate(let r) = effect {
                await worker.execute(r)
                done.append(r)
            }
        }
        for m in mailbox.drain() { c.receive(m, now: FleetPoller.nowMs()) }
        return done
    }

    static func screen(_ c: ConsoleController, width: Int = 160, height: Int = 48) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        c.render(into: &canvas, now: Fixtures.now)
        return canvas
    }
}

@Suite(.serialized) struct RemediationPaneTests {
    @Test func planShowsDiagnosisParametersEveryCheckAndTheSteps() async throws {
        let h = try RemediationHarness()
        try await h.seedHost("db-1")
        let c = h.controller()
        c.apply(.openRemediation(RemediationHarness.diskAlert(host: "db-1")), now: Fixtures.now)
        #expect(c.top is RemediationPane)
        let loading = RemediationHarness.screen(c).text
        #expect(loading.contains("diagnosing"), "\(loading)")
        let done = await h.pump(c)
        #expect(done.count == 1)
        let text = RemediationHarness.screen(c).text
        for part in ["DiskSpaceLow on db-1", "Diagnosis · heuristic", "/ is filling up", "proposes disk_cleanup",
                     "Runbook disk_cleanup · medium risk · needs operator", "older_than_days", "journal_max_si",
                     "Safety · allowed", "allowed: 8 checks pass", "reachable", "db-1 reported", "cooldown", "blast radius",
                     "1. check", "vigil-step disk-usage --path /", "2. action", "--older-than-days 7", "3. verify",
                     "d dry run", "Enter run"] {
            #expect(text.contains(part), "missing '\(part)' in\n\(text)")
        }
        // The hint line offers the new keys.
        let hints = c.hintSpans().map { $0.map(\.text).joined() }
        for hint in ["Enter run", "d dry run", "e edit parameters", "] next runbook", "c choose runbook"] {
            #expect(hints.contains(hint), "\(hints)")
        }
    }

    @Test func aBlockedVerdictShowsTheReasonAndEnterOnlyExplains() async throws {
        let h = try RemediationHarness()
        let c = h.controller()
        c.apply(.openRemediation(RemediationHarness.diskAlert(host: "ghost-1")), now: Fixtures.now)
        await h.pump(c)
        let text = RemediationHarness.screen(c).text
        #expect(text.contains("Safety · BLOCKED"), "\(text)")
        #expect(text.contains("BLOCKED by reachable, agent: nothing runs until it passes"), "\(text)")
        #expect(text.contains("ghost-1 has never reported to this Vigil"), "\(text)")
        c.handle(.enter, now: Fixtures.now)
        #expect(c.takeEffects().isEmpty, "Enter must not start anything")
        let after = RemediationHarness.screen(c)
        #expect(after.lines()[47].contains("not run: reachable: ghost-1 has never reported"), "\(after.lines()[47])")
        #expect(after.text.contains("not run: reachable"), "the output box says it too")
        // Nothing was stored.
        #expect(try await h.store.runs(RunFilter()).isEmpty)
    }

    @Test func highRiskWantsTheHostNameTypedMediumRiskAYes() async throws {
        let h = try RemediationHarness()
        try await h.seedHost("web-1")
        let c = h.controller()
        var closeWait = RemediationHarness.diskAlert(host: "web-1", rule: "TooManyCloseWait", extra: ["port": "8080"])
        closeWait.metric = "tcp.close_wait"
        c.apply(.openRemediation(closeWait), now: Fixtures.now)
        await h.pump(c)
        let pane = try #require(c.top as? RemediationPane)
        #expect(pane.runbook?.name == "connection_reset", "the catalogue's fit for a CloseWait alert")
        #expect(RemediationHarness.screen(c).text.contains("high risk: Enter asks you to type the host name"))
        // A wrong name runs nothing.
        c.handle(.enter, now: Fixtures.now)
        guard case .prompt(let editor, _) = c.input else { Issue.record("no prompt: \(c.input)"); return }
        #expect(editor.prompt.contains("HIGH risk. Type the host name (web-1)"))
        AlertFixtures.type("web-2", into: c)
        c.handle(.enter, now: Fixtures.now)
        #expect(c.takeEffects().isEmpty)
        #expect(RemediationHarness.screen(c).lines()[47].contains("not run: you typed 'web-2', not web-1"))
        // The right name starts it.
        c.handle(.enter, now: Fixtures.now)
        AlertFixtures.type("web-1", into: c)
        c.handle(.enter, now: Fixtures.now)
        let started = await h.pump(c)
        guard case .start(let t, let dry)? = started.first else { Issue.record("not started: \(started)"); return }
        #expect(t.runbook == "connection_reset" && t.host == "web-1" && !dry)
        #expect(pane.run?.state == .queued, "stored for web-1's agent")
        let text = RemediationHarness.screen(c).text
        #expect(text.contains("queued"), "\(text)")
        #expect(pane.followedRuns.map(\.id) == [pane.run!.id], "a live run is followed")
        #expect(c.followedRuns.map(\.id) == [pane.run!.id])

        // Ctrl-C cancels the live run (before the agent took it, it simply ends).
        c.handle(.ctrl("c"), now: Fixtures.now)
        let effects = await h.pump(c)
        guard case .cancel(let id)? = effects.first else { Issue.record("no cancel: \(effects)"); return }
        #expect(id == pane.run?.id)
        #expect(try await h.store.run(id: id)?.state == .cancelled)
        #expect(pane.run?.state == .cancelled)

        // A medium-risk runbook asks y/N and shows what it will run.
        c.handle(.char("c"), now: Fixtures.now)
        #expect(c.top is RunbookPickerPane)
        let picker = try #require(c.top as? RunbookPickerPane)
        let index = try #require(picker.entries.firstIndex { $0.runbook.name == "disk_cleanup" })
        for _ in 0..<(index - picker.selected) { c.handle(.char("j"), now: Fixtures.now) }
        c.handle(.enter, now: Fixtures.now)
        #expect(c.top is RemediationPane)
        await h.pump(c)
        #expect(pane.plan?.runbook.name == "disk_cleanup")
        c.handle(.enter, now: Fixtures.now)
        guard case .confirm(let question, _) = c.input else { Issue.record("no confirmation: \(c.input)"); return }
        #expect(question.contains("run disk_cleanup on web-1: 3 steps, medium risk"))
        c.handle(.char("n"), now: Fixtures.now)
        #expect(c.takeEffects().isEmpty)
    }

    @Test func streamedEventsRenderThenTheVerifyResultAndTheAlert() async throws {
        let h = try RemediationHarness()
        try await h.seedHost("db-1")
        let c = h.controller()
        let alert = RemediationHarness.diskAlert(host: "db-1")
        c.apply(.openRemediation(alert), now: Fixtures.now)
        await h.pump(c)
        c.handle(.char("d"), now: Fixtures.now)
        await h.pump(c)
        let pane = try #require(c.top as? RemediationPane)
        let run = try #require(pane.run)
        #expect(run.dryRun && run.state == .queued)
        // The agent reports, as it would through the listener.
        let now = FleetPoller.nowMs()
        _ = try await h.store.claimJobs(host: "db-1", now: now)
        let events = [
            JobEvent(seq: 1, at: now, type: .stepStarted, step: 0),
            JobEvent(seq: 2, at: now, type: .output, step: 0, text: "/: 93.0 GiB used of 100 GiB\ndisk-usage: / is 93% full\n"),
            JobEvent(seq: 3, at: now, type: .stepFinished, step: 0, exitCode: 0, durationMs: 12),
            JobEvent(seq: 4, at: now, type: .stepStarted, step: 1),
            JobEvent(seq: 5, at: now, type: .output, step: 1, text: "would remove /var/tmp/old.tar (2.0 GiB, modified 30 day(s) ago)\n"),
        ]
        _ = try await h.store.recordJobEvents(id: run.id, host: "db-1", events: events, now: now)
        for f in c.followedRuns { await h.worker.poll(f) }
        for m in h.mailbox.drain() { c.receive(m, now: now) }
        var text = RemediationHarness.screen(c).text
        for part in ["Dry-run output · running", "▶ [1/3 check] usage before: vigil-step disk-usage --path /", "disk-usage: / is 93% full",
                     "✓ exit 0 (12 ms)", "▶ [2/3 action] remove old files", "would remove /var/tmp/old.tar"] {
            #expect(text.contains(part), "missing '\(part)' in\n\(text)")
        }
        #expect(c.hintSpans().map { $0.map(\.text).joined() }.first == "Ctrl-C cancel run")
        #expect(c.followedRuns == [RunFollow(id: run.id, afterSeq: 5)])

        let end = [
            JobEvent(seq: 6, at: now, type: .stepFinished, step: 1, exitCode: 0, durationMs: 900),
            JobEvent(seq: 7, at: now, type: .stepSkipped, step: 2, text: "dry run: would run vigil-step disk-usage"),
            JobEvent(seq: 8, at: now, type: .jobFinished, text: "dry run: nothing was changed", outcome: .succeeded),
        ]
        _ = try await h.store.recordJobEvents(id: run.id, host: "db-1", events: end, now: now + 1000)
        for f in c.followedRuns { await h.worker.poll(f) }
        for m in h.mailbox.drain() { c.receive(m, now: now) }
        text = RemediationHarness.screen(c).text
        for part in ["Dry-run output · succeeded", "dry run: nothing was changed", "= succeeded", "recorded in the audit log and the alert's timeline as \(run.id)"] {
            #expect(text.contains(part), "missing '\(part)' in\n\(text)")
        }
        #expect(c.followedRuns.isEmpty, "a finished run is no longer polled")
        // The run is on the alert's timeline and in the audit log.
        let timeline = try await h.store.alertTimeline(fingerprint: alert.fingerprint)
        #expect(timeline.contains { $0.kind == "remediation" && $0.detail.contains(run.id) && $0.detail.contains("succeeded") }, "\(timeline)")
    }

    @Test func aRealRunShowsTheVerifyResultAndWhetherTheAlertResolved() {
        let catalog = RunbookCatalog.load(builtInDirectory: Fixtures.repoRoot + "/runbooks", userDirectory: nil)
        let rb = catalog.runbook(named: "disk_cleanup")!
        let alert = RemediationHarness.diskAlert(host: "db-1")
        var run = RemediationRun(id: "run_0123456789ab", runbook: rb, host: "db-1", parameters: ["mount": "/"],
                                 steps: RunbookRenderer.render(rb, values: ["mount": "/", "older_than_days": "7", "target_percent": "90"], host: "db-1"),
                                 alertFingerprint: alert.fingerprint, alertName: alert.rule, dryRun: false, requestedBy: "alice", now: Fixtures.now)
        run.state = .succeeded
        run.dispatchedAt = Fixtures.now
        run.finishedAt = Fixtures.now + 4_200
        run.approvedBy = "bob"
        let pane = RemediationPane(run: run, alert: alert, user: AlertFixtures.alice, catalog: catalog, readOnly: false)
        let events = [
            JobEvent(seq: 1, at: Fixtures.now, type: .stepStarted, step: 2),
            JobEvent(seq: 2, at: Fixtures.now, type: .stepFinished, step: 2, exitCode: 0, durationMs: 20),
            JobEvent(seq: 3, at: Fixtures.now, type: .jobFinished, text: "freed 2.0 GiB", outcome: .succeeded),
        ]
        _ = pane.receive(.remediation(.progress(run, events)), now: Fixtures.now)
        var text = Fixtures.render(pane, width: 160, height: 45).text
        for part in ["Output · succeeded", "succeeded in 4s", "by alice, approved by bob", "verify ✓ usage after (exit 0)",
                     "alert DiskSpaceLow on db-1 still firing"] {
            #expect(text.contains(part), "missing '\(part)' in\n\(text)")
        }
        // The next alerts read no longer has it: resolved.
        _ = pane.receive(.alerts(AlertsSnapshot(takenAt: Fixtures.now, active: [], resolved: [])), now: Fixtures.now)
        text = Fixtures.render(pane, width: 160, height: 45).text
        #expect(text.contains("✓ DiskSpaceLow on db-1 resolved"), "\(text)")
    }

    @Test func editingAParameterReplansWithTheTypedValueAndABadOneStaysInTheForm() async throws {
        let h = try RemediationHarness()
        try await h.seedHost("db-1")
        let c = h.controller()
        c.apply(.openRemediation(RemediationHarness.diskAlert(host: "db-1")), now: Fixtures.now)
        await h.pump(c)
        let pane = try #require(c.top as? RemediationPane)
        c.handle(.char("j"), now: Fixtures.now)
        c.handle(.char("j"), now: Fixtures.now) // older_than_days
        c.handle(.char("e"), now: Fixtures.now)
        let form = try #require(c.top as? ParameterFormPane)
        #expect(form.runbook.parameters[form.focus].name == "older_than_days")
        #expect(RemediationHarness.screen(c).text.contains("disk_cleanup on db-1: parameters"))
        // `q` types instead of quitting; a bad value keeps the form open with the reason.
        c.handle(.ctrl("u"), now: Fixtures.now)
        AlertFixtures.type("q", into: c)
        c.handle(.enter, now: Fixtures.now)
        #expect(c.top is ParameterFormPane)
        #expect(form.error?.hasPrefix("older_than_days:") == true, "\(form.error ?? "")")
        c.handle(.backspace, now: Fixtures.now)
        AlertFixtures.type("3", into: c)
        c.handle(.enter, now: Fixtures.now)
        #expect(c.top is RemediationPane)
        await h.pump(c)
        #expect(pane.plan?.parameters["older_than_days"] == "3")
        #expect(RemediationHarness.screen(c).text.contains("--older-than-days 3"))
    }

    @Test func readOnlyShowsEverythingAndRunsNothing() async throws {
        let h = try RemediationHarness(readOnly: true)
        try await h.seedHost("db-1")
        let c = h.controller(readOnly: true)
        c.apply(.openRemediation(RemediationHarness.diskAlert(host: "db-1")), now: Fixtures.now)
        await h.pump(c)
        let text = RemediationHarness.screen(c).text
        #expect(text.contains("BLOCKED by read-only"), "\(text)")
        #expect(text.contains("read-only console: the plan is shown, nothing runs"))
        for key: Key in [.enter, .char("d")] {
            c.handle(key, now: Fixtures.now)
            #expect(c.takeEffects().isEmpty)
        }
        #expect(RemediationHarness.screen(c).lines()[47].contains("read-only console (--readonly)"))
        #expect(!c.hintSpans().map { $0.map(\.text).joined() }.contains("Enter run"))
        // Even a request that reaches the controller is refused.
        c.apply(.remediate(.approve(runID: "run_x")), now: Fixtures.now)
        #expect(c.takeEffects().isEmpty)
    }

    @Test func smallTerminalsStackTheBoxesAndTabGivesTheFocusedOneRoom() async throws {
        let h = try RemediationHarness()
        let c = h.controller()
        c.apply(.openRemediation(RemediationHarness.diskAlert(host: "ghost-1")), now: Fixtures.now)
        await h.pump(c)
        var canvas = RemediationHarness.screen(c, width: 80, height: 24)
        var text = canvas.text
        for part in ["Diagnosis", "Runbook disk_cleanup", "Safety · BLOCKED", "Output"] {
            #expect(text.contains(part), "missing '\(part)' at 80x24:\n\(text)")
        }
        #expect(text.contains("older_than_days"), "the focused parameters box gets the room:\n\(text)")
        c.handle(.tab, now: Fixtures.now)
        canvas = RemediationHarness.screen(c, width: 80, height: 24)
        text = canvas.text
        #expect(text.contains("has never reported"), "Tab to the safety box shows every check:\n\(text)")
        #expect(canvas.lines().allSatisfy { TextWidth.of($0) == 80 })
        // ASCII terminals get ASCII.
        var ascii = Canvas(width: 80, height: 24, glyphs: .ascii)
        c.render(into: &ascii, now: Fixtures.now)
        #expect(!ascii.text.contains("·") && !ascii.text.contains("─"), "\(ascii.text)")
    }

    @Test func runbooksCommandIsKnownAndListedInHelp() throws {
        #expect(try CommandParser.parse(":runbooks") == .runbooks)
        #expect(try CommandParser.parse("rb") == .runbooks)
        #expect(try CommandParser.parse("runs") == .runbooks)
        #expect(CommandParser.usage.contains { $0.0 == ":runbooks" })
    }
}
