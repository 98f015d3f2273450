import VigilTheme
import Testing
@testable import VigilTUI
import VigilCore

/// Hand-built alerts for the alert panes.
enum AlertFixtures {
    static let now = Fixtures.now
    static let alice = VigilUser(name: "alice", role: .operator, createdAt: 0)
    static let victor = VigilUser(name: "victor", role: .viewer, createdAt: 0)

    static func alert(_ rule: String, host: String, severity: AlertSeverity, state: String = "firing", firedAgo: Int64,
                      value: Double? = nil, ackedBy: String? = nil, assignee: String? = nil, summary: String = "",
                      extra: [String: String] = [:]) -> StoredAlert {
        var labels = ["host": host, "severity": severity.rawValue]
        labels.merge(extra) { $1 }
        let since = now - firedAgo
        return StoredAlert(fingerprint: "\(rule)-\(host)", rule: rule, severity: severity, labels: labels,
                           annotations: summary.isEmpty ? [:] : ["summary": summary, "runbook": "https://runbooks/\(rule)"],
                           state: state, value: value, activeSince: since - 60_000,
                           firedAt: state == "pending" ? nil : since, resolvedAt: state == "resolved" ? now - 30_000 : nil,
                           lastEvaluated: now, ackedBy: ackedBy, ackedAt: ackedBy == nil ? nil : now - 120_000,
                           ackNote: ackedBy == nil ? nil : "on it", assignee: assignee)
    }

    static let active: [StoredAlert] = [
        alert("HighLoad", host: "web-1", severity: .warning, firedAgo: 600_000, value: 12.5, summary: "load 12.5"),
        alert("DiskFull", host: "db-1", severity: .critical, firedAgo: 120_000, value: 93, ackedBy: "alice", summary: "disk 93% full",
              extra: ["mount": "/var"]),
        alert("HighCPU", host: "web-2", severity: .critical, firedAgo: 900_000, value: 97.2, assignee: "bob", summary: "cpu 97%"),
        alert("HighCPU", host: "db-1", severity: .critical, state: "pending", firedAgo: 30_000, value: 91),
        alert("NewKernel", host: "cache-1", severity: .info, firedAgo: 3_600_000, assignee: "alice", summary: "reboot pending"),
    ]
    static let resolved: [StoredAlert] = [
        alert("HostStale", host: "batch-1", severity: .critical, state: "resolved", firedAgo: 7_200_000, summary: "no data"),
    ]
    static let silence = Silence(id: "sil_0a1b2c3d", matchers: [try! LabelMatcher.parse("alertname=HighLoad").get()],
                                 startsAt: now - 600_000, endsAt: now + 3_600_000, createdBy: "alice", comment: "deploy",
                                 createdAt: now - 600_000)
    static let snapshot = AlertsSnapshot(takenAt: now, active: active, resolved: resolved, silences: [silence])

    static func pane(user: VigilUser = alice) -> AlertsPane {
        let pane = AlertsPane(user: user)
        _ = pane.receive(.alerts(snapshot), now: now)
        return pane
    }

    /// (rule, host) in the order the alerts table shows them (after summary, box top, header).
    static func order(_ canvas: Canvas) -> [String] {
        canvas.lines().dropFirst(3).compactMap { line in
            let words = line.split { " │|▶>".contains($0) }.map(String.init)
            guard words.count > 3, ["CRIT", "WARN", "INFO"].contains(words[0]) else { return nil }
            return "\(words[2])@\(words[3])"
        }
    }

    static func controller(user: VigilUser = alice, readOnly: Bool = false) -> ConsoleController {
        let c = ConsoleController(readOnly: readOnly, user: user, storeDescription: "sqlite /tmp/vigil.db",
                                  themeDirectories: [Fixtures.themesDirectory], root: Fixtures.dashboard())
        c.receive(.fleet(Fixtures.fleet), now: now)
        c.receive(.alerts(snapshot), now: now)
        return c
    }

    static func screen(_ c: ConsoleController, width: Int = 140, height: Int = 30) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        c.render(into: &canvas, now: now)
        return canvas
    }

    static func type(_ text: String, into c: ConsoleController) {
        for ch in text { c.handle(.char(ch), now: now) }
    }
}

@Suite struct AlertsPaneTests {
    @Test func headerCountsAndColumns() {
        let canvas = Fixtures.render(AlertFixtures.pane())
        let lines = canvas.lines()
        #expect(lines[0].contains("4 firing  1 pending"), "\(lines[0])")
        #expect(lines[0].contains("3 critical  1 warning  1 info"), "\(lines[0])")
        #expect(lines[0].contains("1 acked") && lines[0].contains("1 muted"), "\(lines[0])")
        #expect(lines[1].contains("Alerts (5)"))
        for title in ["SEV", "STATE", "ALERT", "HOST", "VALUE", "AGE", "ACK", "ASSIGNEE", "SUMMARY"] {
            #expect(lines[2].contains(title), "missing \(title) in \(lines[2])")
        }
        let disk = lines.first { $0.contains("DiskFull") }!
        for value in ["CRIT", "firing", "db-1", "93", "2m", "alice", "disk 93% full"] {
            #expect(disk.contains(value), "missing \(value) in \(disk)")
        }
        // The silenced alert says so; the pending one shows its pending age.
        #expect(lines.first { $0.contains("HighLoad") }!.contains("muted"))
        #expect(lines.first { $0.contains("HighCPU") && $0.contains("pending") }!.contains("1m"))
    }

    @Test func detailDrawsTheAlertsMetricAroundItsActiveTime() {
        var a = AlertFixtures.alert("DiskFull", host: "db-1", severity: .critical, firedAgo: 600_000, value: 93, summary: "disk",
                                    extra: ["mount": "/var"])
        a.metric = "disk.used_percent"
        a.seriesLabels = ["mount": "/var"]
        let pane = AlertDetailPane(alert: a, user: AlertFixtures.alice)
        let from = a.activeSince - 1_800_000
        let points = (0..<40).map { SeriesPoint(ts: from + Int64($0) * 60_000, value: 80 + Double($0) / 3) }
        _ = pane.receive(.alertMetric(fingerprint: a.fingerprint, points: points, from: from, to: AlertFixtures.now), now: AlertFixtures.now)
        let lines = Fixtures.render(pane).lines()
        let spark = lines.first { $0.contains("disk.used_percent{mount=/var}") }
        #expect(spark != nil, "\(lines.joined(separator: "\n"))")
        #expect(spark?.contains("93") == true, "latest value")
        #expect(lines.contains { $0.contains("▲ active since") })
        // Another alert's points are ignored.
        let other = AlertDetailPane(alert: a, user: AlertFixtures.alice)
        _ = other.receive(.alertMetric(fingerprint: "someone-else", points: points, from: from, to: AlertFixtures.now), now: AlertFixtures.now)
        #expect(!Fixtures.render(other).lines().contains { $0.contains("disk.used_percent{") })
    }

    @Test func detailShowsWhatHappenedTheLastTimes() {
        let a = AlertFixtures.alert("CheckDown", host: "web-1", severity: .critical, firedAgo: 60_000, summary: "nginx down")
        let pane = AlertDetailPane(alert: a, user: AlertFixtures.alice)
        #expect(!Fixtures.render(pane).lines().contains { $0.contains("seen before") })
        let now = AlertFixtures.now
        let past = [
            IncidentRecord(id: "inc_1", fingerprint: a.fingerprint, rule: "CheckDown", host: "web-1", severity: "critical", labels: [:],
                           startedAt: now - 7_200_000, resolvedAt: now - 7_000_000, diagnosis: "nginx.service is down",
                           runbook: "service_restart", outcome: "succeeded"),
            IncidentRecord(id: "inc_2", fingerprint: a.fingerprint, rule: "CheckDown", host: "web-1", severity: "critical", labels: [:],
                           startedAt: now - 90_000_000, resolvedAt: now - 86_400_000, runbook: "service_restart", outcome: "succeeded",
                           notes: "restarted by hand"),
        ]
        #expect(pane.receive(.pastIncidents(fingerprint: a.fingerprint, past), now: now))
        #expect(!pane.receive(.pastIncidents(fingerprint: "another", []), now: now))
        let lines = Fixtures.render(pane).lines()
        let seen = lines.first { $0.contains("seen before") }
        #expect(seen?.contains("seen twice before (last 1h ago), fixed by service_restart twice") == true, "\(lines.joined(separator: "\n"))")
        #expect(lines.contains { $0.contains("service_restart succeeded · nginx.service is down") })
    }

    @Test func alertsTheEngineMutedShowAsMuted() {
        var inhibited = AlertFixtures.alert("HighCPU", host: "web-9", severity: .critical, firedAgo: 60_000, summary: "cpu")
        inhibited.mutedBy = "inhibited by HostStale on web-9"
        let plain = AlertFixtures.alert("DiskFull", host: "db-9", severity: .warning, firedAgo: 60_000, summary: "disk")
        let pane = AlertsPane(user: AlertFixtures.alice)
        _ = pane.receive(.alerts(AlertsSnapshot(takenAt: AlertFixtures.now, active: [inhibited, plain], resolved: [], silences: [])), now: AlertFixtures.now)
        let lines = Fixtures.render(pane).lines()
        #expect(lines[0].contains("1 muted"), "\(lines[0])")
        #expect(lines.first { $0.contains("web-9") }!.contains("muted"))
        #expect(!lines.first { $0.contains("db-9") }!.contains("muted"))
    }

    @Test func sortedBySeverityThenStateThenAge() {
        let canvas = Fixtures.render(AlertFixtures.pane())
        #expect(AlertFixtures.order(canvas) == ["HighCPU@web-2", "DiskFull@db-1", "HighCPU@db-1", "HighLoad@web-1", "NewKernel@cache-1"],
                "\(canvas.text)")
    }

    @Test func colouredBySeverity() {
        let canvas = Fixtures.render(AlertFixtures.pane())
        func role(_ rule: String, _ word: String) -> Role {
            let y = canvas.lines().indices.dropFirst(3).first { canvas.lines()[$0].contains(rule) }!
            let line = canvas.lines()[y]
            let x = line.distance(from: line.startIndex, to: line.range(of: word)!.lowerBound)
            return canvas[x, y].role
        }
        #expect(role("NewKernel", "INFO") == .info)
        #expect(role("HighLoad", "WARN") == .warning)
        #expect(role("DiskFull", "DiskFull") == .critical)
    }

    @Test func filterByTextLabelAndSeverity() throws {
        let pane = AlertFixtures.pane()
        #expect(try pane.applyFilter("cpu")! == (2, 5))
        #expect(try pane.applyFilter("host=db-1")!.matching == 2)
        #expect(AlertFixtures.order(Fixtures.render(pane)) == ["DiskFull@db-1", "HighCPU@db-1"])
        #expect(try pane.applyFilter("mount=/var")!.matching == 1)
        #expect(try pane.applyFilter("^critical$")!.matching == 3)
        #expect(try pane.applyFilter("severity=info")!.matching == 1)
        #expect(Fixtures.render(pane).lines()[1].contains("Alerts (1 of 5) /severity=info"))
        #expect(try pane.applyFilter("!critical")!.matching == 2)
        #expect(try pane.applyFilter("")!.matching == 5)
    }

    @Test func mineOnlyKeepsAlertsAckedByOrAssignedToMe() {
        let pane = AlertFixtures.pane()
        _ = pane.keyMap.action(for: .char("m"))!.handler()
        let canvas = Fixtures.render(pane)
        #expect(AlertFixtures.order(canvas) == ["DiskFull@db-1", "NewKernel@cache-1"])
        #expect(canvas.lines()[1].contains("Alerts (2) mine"))
        _ = pane.keyMap.action(for: .char("m"))!.handler()
        #expect(AlertFixtures.order(Fixtures.render(pane)).count == 5)
        // Someone with nothing of theirs is told so.
        let other = AlertFixtures.pane(user: VigilUser(name: "carol", role: .operator, createdAt: 0))
        _ = other.keyMap.action(for: .char("m"))!.handler()
        #expect(Fixtures.render(other).text.contains("no alerts acked by or assigned to carol"))
    }

    @Test func historyTogglesResolvedAlerts() {
        let pane = AlertFixtures.pane()
        #expect(!Fixtures.render(pane).text.contains("HostStale"))
        #expect(!pane.pollInterest.resolvedAlerts)
        _ = pane.keyMap.action(for: .char("h"))!.handler()
        #expect(pane.pollInterest.resolvedAlerts)
        let canvas = Fixtures.render(pane)
        #expect(canvas.lines()[1].contains("Alerts (6) +history"))
        #expect(AlertFixtures.order(canvas).last == "HostStale@batch-1")
        #expect(canvas.lines().first { $0.contains("HostStale") }!.contains("resolved"))
        _ = pane.keyMap.action(for: .char("h"))!.handler()
        #expect(!Fixtures.render(pane).text.contains("HostStale"))
    }

    @Test func waitingAndEmptyStates() {
        let pane = AlertsPane(user: AlertFixtures.alice)
        #expect(Fixtures.render(pane).text.contains("waiting for the first refresh"))
        _ = pane.receive(.alerts(AlertsSnapshot(takenAt: Fixtures.now, active: [])), now: Fixtures.now)
        #expect(Fixtures.render(pane).text.contains("no firing or pending alerts"))
        _ = pane.receive(.alertsError("database is locked"), now: Fixtures.now)
        #expect(Fixtures.render(pane).lines()[0].contains("refresh failed: database is locked"))
    }
}

@Suite struct AlertConsoleTests {
    @Test func commandsAndKeysOpenTheAlertsPane() throws {
        #expect(try CommandParser.parse(":alerts") == .alerts)
        #expect(try CommandParser.parse("a") == .alerts)
        #expect(try CommandParser.parse(":silences") == .silences)
        #expect(try CommandParser.parse(":sil") == .silences)
        let c = AlertFixtures.controller()
        c.handle(.char("A"), now: AlertFixtures.now)
        #expect(c.top is AlertsPane)
        #expect(AlertFixtures.screen(c).lines()[0].hasPrefix(" vigil › hosts › alerts"))
        // The pane got the latest alerts on the way in.
        #expect(AlertFixtures.screen(c).text.contains("DiskFull"))
        #expect(c.pollInterest.silences)
        c.handle(.tab, now: AlertFixtures.now)
        #expect(c.top is DashboardPane)
        c.handle(.tab, now: AlertFixtures.now)
        #expect(c.top is AlertsPane)
        c.handle(.escape, now: AlertFixtures.now)
        #expect(c.top is DashboardPane)
        c.run(.silences, now: AlertFixtures.now)
        #expect(c.top is SilencesPane)
    }

    @Test func statusLineShowsUserAndRole() {
        let c = AlertFixtures.controller()
        let status = AlertFixtures.screen(c).lines()[29]
        #expect(status.contains("alice (operator) · sqlite /tmp/vigil.db · live"), "\(status)")
    }

    @Test func hintsOfTheAlertsPane() {
        let c = AlertFixtures.controller()
        c.run(.alerts, now: AlertFixtures.now)
        let hints = AlertFixtures.screen(c).lines()[28]
        #expect(hints.contains("Enter open  a ack  s silence  n note  r remediate  c chat  g host  h history  m mine  > sort  / filter"), "\(hints)")
        #expect(hints.contains("Esc back"))
    }

    @Test func onlyPushedAlertsResolveByHandAfterTypingYes() {
        let c = AlertFixtures.controller()
        c.run(.alerts, now: AlertFixtures.now)
        _ = c.takeEffects()
        // The selected alert (HighCPU on web-2) is Vigil's own: it resolves by itself.
        c.handle(.char("x"), now: AlertFixtures.now)
        #expect(c.takeEffects().isEmpty)
        #expect(AlertFixtures.screen(c).lines()[29].contains("resolves by itself"))
        // A pushed alert asks for "yes".
        var pushed = AlertFixtures.alert("NodeDown", host: "web-7", severity: .critical, firedAgo: 60_000, summary: "down")
        pushed.source = "prometheus"
        let c2 = AlertFixtures.controller()
        c2.receive(.alerts(AlertsSnapshot(takenAt: AlertFixtures.now, active: [pushed], resolved: [], silences: [])), now: AlertFixtures.now)
        c2.run(.alerts, now: AlertFixtures.now)
        _ = c2.takeEffects()
        c2.handle(.char("x"), now: AlertFixtures.now)
        AlertFixtures.type("no", into: c2)
        c2.handle(.enter, now: AlertFixtures.now)
        #expect(c2.takeEffects().isEmpty)
        c2.handle(.char("x"), now: AlertFixtures.now)
        AlertFixtures.type("yes", into: c2)
        c2.handle(.enter, now: AlertFixtures.now)
        #expect(c2.takeEffects() == [.perform(.alert(.manualResolve, fingerprint: "NodeDown-web-7", detail: "", subject: "NodeDown on web-7"))])
    }

    @Test func ackAsksForANoteThenPerforms() {
        let c = AlertFixtures.controller()
        c.run(.alerts, now: AlertFixtures.now)
        _ = c.takeEffects()
        c.handle(.char("a"), now: AlertFixtures.now)
        #expect(AlertFixtures.screen(c).lines()[28].hasPrefix("ack HighCPU on web-2, note: "))
        AlertFixtures.type("looking", into: c)
        c.handle(.enter, now: AlertFixtures.now)
        #expect(c.takeEffects() == [.perform(.alert(.ack, fingerprint: "HighCPU-web-2", detail: "looking", subject: "HighCPU on web-2"))])
        // The outcome comes back through the mailbox.
        c.receive(.actionResult("acknowledged HighCPU on web-2", isError: false), now: AlertFixtures.now)
        #expect(AlertFixtures.screen(c).lines()[29].contains("acknowledged HighCPU on web-2"))
        // Esc abandons the prompt.
        c.handle(.char("n"), now: AlertFixtures.now)
        AlertFixtures.type("x", into: c)
        c.handle(.escape, now: AlertFixtures.now)
        #expect(c.takeEffects().isEmpty)
        #expect(AlertFixtures.screen(c).lines()[29].contains("cancelled"))
    }

    @Test func viewerIsRefusedWithTheReason() {
        let c = AlertFixtures.controller(user: AlertFixtures.victor)
        c.run(.alerts, now: AlertFixtures.now)
        _ = c.takeEffects()
        for key in ["a", "s", "n"] {
            c.handle(.char(Character(key)), now: AlertFixtures.now)
            #expect(c.takeEffects().isEmpty)
            #expect(c.top is AlertsPane)
        }
        c.handle(.char("a"), now: AlertFixtures.now)
        let status = AlertFixtures.screen(c).lines()[29]
        #expect(status.contains("victor is a viewer; acknowledge needs operator"), "\(status)")
        c.handle(.char("s"), now: AlertFixtures.now)
        #expect(AlertFixtures.screen(c).lines()[29].contains("victor is a viewer; silence needs operator"))
        // Even a request that slips through is refused by the controller.
        c.apply(.perform(.expireSilence(id: "sil_1")), now: AlertFixtures.now)
        #expect(c.takeEffects().isEmpty)
        #expect(AlertFixtures.screen(c).lines()[29].contains("silence needs operator"))
        // Looking around is still allowed.
        c.handle(.enter, now: AlertFixtures.now)
        #expect(c.top is AlertDetailPane)
    }

    @Test func readonlyDropsChangingActions() {
        let c = AlertFixtures.controller(readOnly: true)
        c.run(.alerts, now: AlertFixtures.now)
        for key in ["a", "s", "n", "u", "o"] {
            #expect(c.mergedMap.action(for: .char(Character(key))) == nil, "\(key) survives --readonly")
        }
        #expect(c.mergedMap.action(for: .char("g")) != nil)
        #expect(c.mergedMap.action(for: .char("h")) != nil)
        let hints = AlertFixtures.screen(c).lines()[28]
        #expect(!hints.contains(" ack") && !hints.contains("silence") && hints.contains("g host"), "\(hints)")
        _ = c.takeEffects()
        c.handle(.char("a"), now: AlertFixtures.now)
        #expect(c.takeEffects().isEmpty)
        c.run(.silences, now: AlertFixtures.now)
        #expect(c.mergedMap.action(for: .char("x")) == nil && c.mergedMap.action(for: .char("c")) == nil)
        c.apply(.perform(.expireSilence(id: "sil_1")), now: AlertFixtures.now)
        #expect(!c.takeEffects().contains(.perform(.expireSilence(id: "sil_1"))))
    }

    @Test func silenceFormIsPrefilledAndCreates() throws {
        let c = AlertFixtures.controller()
        c.run(.alerts, now: AlertFixtures.now)
        _ = c.takeEffects()
        c.handle(.char("s"), now: AlertFixtures.now)
        let form = try #require(c.top as? SilenceFormPane)
        #expect(form.text(.matchers) == "alertname=HighCPU host=web-2")
        #expect(form.text(.duration) == "2h")
        #expect(form.focus == .comment)
        var text = AlertFixtures.screen(c).text
        #expect(text.contains("New silence by alice"))
        #expect(text.contains("alertname=HighCPU host=web-2"))
        #expect(text.contains("ends in 2h at"))
        // Typing goes into the form, even keys that are global elsewhere.
        AlertFixtures.type("q/? rollout", into: c)
        #expect(form.text(.comment) == "q/? rollout")
        #expect(c.top === form)
        // Edit the duration: Up moves to it.
        c.handle(.up, now: AlertFixtures.now)
        c.handle(.ctrl("u"), now: AlertFixtures.now)
        AlertFixtures.type("90m", into: c)
        text = AlertFixtures.screen(c).text
        #expect(text.contains("ends in 1h 30m"))
        c.handle(.enter, now: AlertFixtures.now)
        #expect(c.top is AlertsPane)
        let matchers = try AlertFormat.parseMatchers("alertname=HighCPU host=web-2").get()
        #expect(c.takeEffects() == [.perform(.createSilence(matchers: matchers, durationMs: 90 * 60_000, comment: "q/? rollout"))])
    }

    @Test func silenceFormRejectsBadInput() throws {
        let form = SilenceFormPane(user: AlertFixtures.alice, matchers: "host", duration: "soon")
        guard case .message(let text, true) = form.submit() else { Issue.record("bad matchers accepted"); return }
        #expect(text.contains("'host'"))
        #expect(form.focus == .matchers)
        let form2 = SilenceFormPane(user: AlertFixtures.alice, matchers: "host=web-1", duration: "soon")
        guard case .message(let text2, true) = form2.submit() else { Issue.record("bad duration accepted"); return }
        #expect(text2.contains("bad duration 'soon'"))
        #expect(Fixtures.render(form2, width: 100, height: 20).text.contains("bad duration 'soon'"))
        #expect(AlertFormat.parseDuration("1h30m") == 5_400_000)
        #expect(AlertFormat.parseDuration("2d") == 172_800_000)
        #expect(AlertFormat.parseDuration("45") == 2_700_000)
        #expect(AlertFormat.parseDuration("0m") == nil)
        #expect(AlertFormat.parseDuration("3x") == nil)
    }

    @Test func goToHostPushesItsDetail() {
        let c = AlertFixtures.controller()
        c.run(.alerts, now: AlertFixtures.now)
        c.handle(.char("g"), now: AlertFixtures.now)
        #expect((c.top as? HostDetailPane)?.name == "web-2")
        #expect(c.subscribedHost == "web-2")
        c.handle(.escape, now: AlertFixtures.now)
        #expect(c.top is AlertsPane)
    }

    @Test func helpListsTheAlertKeysAndCommands() throws {
        let c = AlertFixtures.controller()
        c.run(.alerts, now: AlertFixtures.now)
        c.handle(.char("?"), now: AlertFixtures.now)
        let help = try #require(c.top as? HelpPane)
        let text = Fixtures.render(help, width: 100, height: 80).text
        for line in ["Alerts", "Enter/l/Right", "ack (changes things)", "silence (changes things)", "note (changes things)",
                     "host", "history", "mine", "unacknowledge", ":alerts", ":silences", "A"] {
            #expect(text.contains(line), "help lacks \(line)")
        }
        for action in help.documented.actions {
            #expect(text.contains(action.title), "help lacks \(action.title)")
        }
        c.handle(.escape, now: AlertFixtures.now)
        c.run(.silences, now: AlertFixtures.now)
        c.handle(.char("?"), now: AlertFixtures.now)
        let silencesHelp = Fixtures.render(try #require(c.top as? HelpPane), width: 100, height: 80).text
        #expect(silencesHelp.contains("x/d") && silencesHelp.contains("expire") && silencesHelp.contains("c/n") && silencesHelp.contains("new silence"))
    }
}

@Suite struct AlertDetailPaneTests {
    static let timeline = [
        AlertTimelineEntry(id: 1, fingerprint: "DiskFull-db-1", ts: AlertFixtures.now - 300_000, kind: "pending", actor: "system", detail: ""),
        AlertTimelineEntry(id: 2, fingerprint: "DiskFull-db-1", ts: AlertFixtures.now - 120_000, kind: "firing", actor: "system", detail: ""),
        AlertTimelineEntry(id: 3, fingerprint: "DiskFull-db-1", ts: AlertFixtures.now - 60_000, kind: "ack", actor: "alice", detail: "on it"),
        AlertTimelineEntry(id: 4, fingerprint: "DiskFull-db-1", ts: AlertFixtures.now - 30_000, kind: "note", actor: "bob", detail: "vacuum running"),
        AlertTimelineEntry(id: 5, fingerprint: "DiskFull-db-1", ts: AlertFixtures.now - 10_000, kind: "assign", actor: "alice", detail: "bob"),
    ]

    func pane() -> AlertDetailPane {
        let pane = AlertDetailPane(alert: AlertFixtures.active[1], user: AlertFixtures.alice)
        _ = pane.receive(.fleet(Fixtures.fleet), now: AlertFixtures.now)
        _ = pane.receive(.alerts(AlertFixtures.snapshot), now: AlertFixtures.now)
        _ = pane.receive(.timeline(fingerprint: "DiskFull-db-1", Self.timeline.reversed()), now: AlertFixtures.now)
        return pane
    }

    @Test func showsLabelsAnnotationsStateAndTimeline() {
        let canvas = Fixtures.render(pane(), width: 140, height: 30)
        let text = canvas.text
        for piece in ["CRIT DiskFull on db-1 · firing", "severity critical", "state firing", "value 93", "rule DiskFull",
                      "acked by alice 2m ago: on it", "assignee none", "host=db-1", "mount=/var", "summary disk 93% full",
                      "runbook https://runbooks/DiskFull", "fingerprint DiskFull-db-1", "db-1 cpu", "Timeline (5)",
                      "fired", "2m ago"] {
            #expect(text.contains(piece), "missing \(piece) in\n\(text)")
        }
        // The timeline is chronological: pending, firing, acked with its note, the note, the assignment.
        let events = ["pending", "firing", "acked by alice: on it", "note by bob: vacuum running", "assigned to bob by alice"]
        let rows = events.map { e in canvas.lines().firstIndex { $0.contains(e) && $0.contains(" ago ") } }
        #expect(rows.allSatisfy { $0 != nil }, "\(text)")
        #expect(rows.compactMap { $0 } == rows.compactMap { $0 }.sorted())
    }

    @Test func showsTheSameAlertOnOtherHosts() {
        let pane = AlertDetailPane(alert: AlertFixtures.active[2], user: AlertFixtures.alice)
        _ = pane.receive(.alerts(AlertFixtures.snapshot), now: AlertFixtures.now)
        let text = Fixtures.render(pane, width: 140, height: 30).text
        #expect(text.contains("also on db-1 (pending)"), "\(text)")
        #expect(text.contains("Timeline (0)") && text.contains("loading…"))
        #expect(pane.pollInterest.timeline == "HighCPU-web-2")
    }

    @Test func followsRefreshesOfItsAlert() {
        let p = pane()
        var fresh = AlertFixtures.active[1]
        fresh.state = "resolved"
        fresh.resolvedAt = AlertFixtures.now
        _ = p.receive(.alerts(AlertsSnapshot(takenAt: AlertFixtures.now, active: [], resolved: [fresh])), now: AlertFixtures.now)
        #expect(p.alert.state == "resolved")
        #expect(p.pollInterest.resolvedAlerts)
        #expect(Fixtures.render(p, width: 140, height: 30).text.contains("resolved 00:00:00") || p.alert.resolvedAt == AlertFixtures.now)
    }
}

@Suite struct SilencesPaneTests {
    func pane(user: VigilUser = AlertFixtures.alice) -> SilencesPane {
        let pane = SilencesPane(user: user)
        let later = Silence(id: "sil_ffff0000", matchers: [try! LabelMatcher.parse("host=~web-.*").get(), try! LabelMatcher.parse("severity=warning").get()],
                            startsAt: AlertFixtures.now - 60_000, endsAt: AlertFixtures.now + 2 * 86_400_000, createdBy: "bob",
                            comment: "migration", createdAt: AlertFixtures.now - 60_000)
        _ = pane.receive(.alerts(AlertsSnapshot(takenAt: AlertFixtures.now, active: AlertFixtures.active,
                                                silences: [later, AlertFixtures.silence])), now: AlertFixtures.now)
        return pane
    }

    @Test func listsSilencesEndingSoonestFirst() {
        let canvas = Fixtures.render(pane(), width: 140, height: 12)
        let lines = canvas.lines()
        #expect(lines[0].contains("Silences (2)"))
        for title in ["ID", "MATCHERS", "ENDS IN", "MUTES", "BY", "COMMENT"] { #expect(lines[1].contains(title), "\(lines[1])") }
        let first = lines[2], second = lines[3]
        for piece in ["sil_0a1b2c3d", "alertname=HighLoad", "1h", "1", "alice", "deploy"] { #expect(first.contains(piece), "\(first)") }
        for piece in ["sil_ffff0000", "host=~web-.* severity=warning", "2d", "bob", "migration"] { #expect(second.contains(piece), "\(second)") }
    }

    @Test func expireAsksFirst() {
        let c = AlertFixtures.controller()
        c.run(.silences, now: AlertFixtures.now)
        c.receive(.alerts(AlertFixtures.snapshot), now: AlertFixtures.now)
        _ = c.takeEffects()
        c.handle(.char("x"), now: AlertFixtures.now)
        #expect(AlertFixtures.screen(c).lines()[28].hasPrefix("expire silence sil_0a1b2c3d (alertname=HighLoad)? (y/N)"))
        c.handle(.char("n"), now: AlertFixtures.now)
        #expect(c.takeEffects().isEmpty)
        #expect(AlertFixtures.screen(c).lines()[29].contains("cancelled"))
        c.handle(.char("d"), now: AlertFixtures.now)
        c.handle(.char("y"), now: AlertFixtures.now)
        #expect(c.takeEffects() == [.perform(.expireSilence(id: "sil_0a1b2c3d"))])
        // `c` opens an empty form on the matchers.
        c.handle(.char("c"), now: AlertFixtures.now)
        let form = c.top as? SilenceFormPane
        #expect(form?.text(.matchers) == "" && form?.focus == .matchers)
    }

    @Test func viewerCannotExpire() {
        let c = AlertFixtures.controller(user: AlertFixtures.victor)
        c.run(.silences, now: AlertFixtures.now)
        c.handle(.char("x"), now: AlertFixtures.now)
        #expect(AlertFixtures.screen(c).lines()[29].contains("victor is a viewer; silence needs operator"))
        c.handle(.char("y"), now: AlertFixtures.now)
        #expect(!c.takeEffects().contains { if case .perform = $0 { true } else { false } })
    }
}

@Suite struct DashboardAlertMarkerTests {
    @Test func hostRowsShowTheWorstFiringSeverity() {
        let pane = Fixtures.dashboard()
        _ = pane.receive(.alerts(AlertFixtures.snapshot), now: Fixtures.now)
        let canvas = Fixtures.render(pane)
        let lines = canvas.lines()
        #expect(lines[2].contains("ALERT"))
        #expect(lines[0].contains("4 alerts firing"), "\(lines[0])")
        func row(_ host: String) -> String { lines.dropFirst(3).first { $0.contains(host) }! }
        #expect(row("web-2").contains("CRIT"))
        #expect(row("db-1").contains("CRIT"))       // DiskFull firing (the HighCPU there is only pending)
        #expect(row("web-1").contains("WARN"))
        #expect(row("cache-1").contains("INFO"))
        #expect(!row("batch-1").contains("CRIT"))   // resolved alerts do not count
        // A pending alert alone does not mark a host.
        let pendingOnly = AlertsSnapshot(takenAt: Fixtures.now, active: [AlertFixtures.active[3]])
        #expect(pendingOnly.worstFiringByHost.isEmpty)
        // The column sorts worst first.
        pane.table.sort(by: DashboardPane.Column.alert.rawValue)
        #expect(Fixtures.hostOrder(Fixtures.render(pane)).prefix(2).sorted() == ["db-1", "web-2"])
    }
}
