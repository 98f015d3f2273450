import Testing
@testable import VigilTUI
@testable import VigilCore
import VigilTestSupport

/// Hand-built rules and rule status for the rules pane.
enum RuleFixtures {
    static let now = Fixtures.now
    static let admin = VigilUser(name: "ada", role: .admin, createdAt: 0)

    static func threshold(_ name: String, metric: String, severity: AlertSeverity, forMs: Int64 = 0, summary: String? = nil) -> AlertRule {
        AlertRule(name: name, severity: severity, kind: .threshold(.init(metric: metric, op: .greater, threshold: 90)),
                  forDuration: forMs, labels: ["team": "ops"], annotations: RuleAnnotations(summary: summary))
    }

    static let rules: [AlertRule] = [
        threshold("HighCPU", metric: "cpu.usage_percent", severity: .critical, forMs: 300_000, summary: "cpu above 90%"),
        threshold("DiskFull", metric: "disk.used_percent", severity: .critical, forMs: 600_000, summary: "disk almost full"),
        threshold("HighLoad", metric: "load.1m", severity: .warning, summary: "load per core high"),
        AlertRule(name: "HostStale", severity: .critical, kind: .hostStale(.init(after: 300_000)),
                  annotations: RuleAnnotations(description: "no data from the host")),
        AlertRule(name: "CheckDown", severity: .warning, kind: .checkFailed(.init(consecutive: 3)), forDuration: 60_000),
    ]

    static let errors = [
        "/etc/vigil/rules/broken.yaml:7:14: unknown kind 'treshold' (use threshold, forecast, rate, …)",
        "/etc/vigil/rules/dupe.yaml:3:1: alert 'HighCPU' is also defined in /etc/vigil/rules/default.yaml; alert names must be unique",
    ]

    static func status(errors: [String] = [], leader: Bool = true, evaluated: Bool = true) -> RuleStatus {
        RuleStatus(files: ["/etc/vigil/rules/default.yaml", "/etc/vigil/rules/disk.yaml"], rules: rules.count, errors: errors,
                   lastEvaluation: evaluated ? now - 4_000 : nil, lastDurationMs: evaluated ? 12.4 : nil, activeAlerts: 5,
                   holdsLease: leader)
    }

    static func snapshot(errors: [String] = [], leader: Bool = true) -> RulesSnapshot {
        RulesSnapshot(takenAt: now, status: status(errors: errors, leader: leader), rules: rules)
    }

    static func pane(errors: [String] = [], leader: Bool = true) -> RulesPane {
        let pane = RulesPane(user: admin)
        _ = pane.receive(.rules(snapshot(errors: errors, leader: leader)), now: now)
        _ = pane.receive(.alerts(AlertFixtures.snapshot), now: now)
        return pane
    }

    /// A console that runs the engine (or not), with fleet, alerts and (when local) rules received.
    static func controller(user: VigilUser = admin, local: Bool = true, readOnly: Bool = false) -> ConsoleController {
        let c = ConsoleController(readOnly: readOnly, user: user, storeDescription: "sqlite /tmp/vigil.db",
                                  listenerDescription: local ? "listening 127.0.0.1:9470" : "attached to engine pid 4242 on ops-1 (127.0.0.1:9470)",
                                  themeDirectories: [Fixtures.themesDirectory], rulesEvaluatedHere: local, canReloadRules: local,
                                  root: Fixtures.dashboard())
        c.receive(.fleet(Fixtures.fleet), now: now)
        c.receive(.alerts(AlertFixtures.snapshot), now: now)
        if local { c.receive(.rules(snapshot()), now: now) }
        return c
    }

    /// Rule names in the order the table shows them (after header, box top, column header).
    static func order(_ canvas: Canvas, skip: Int = 3) -> [String] {
        let names = Set(rules.map(\.name))
        return canvas.lines().dropFirst(skip).compactMap { line in
            line.split { " │|▶>".contains($0) }.map(String.init).first { names.contains($0) }
        }
    }
}

@Suite struct RulesPaneTests {
    @Test func headerAndRuleRows() {
        let pane = RuleFixtures.pane()
        pane.table.moveSelection(by: 1)  // the STATE colours are read on HighCPU's row, the first, so it is not selected
        let canvas = Fixtures.render(pane)
        let lines = canvas.lines()
        for part in ["5 rules from 2 files", "evaluated 4s ago in 12 ms", "5 active alerts", "leader"] {
            #expect(lines[0].contains(part), "\(lines[0])")
        }
        #expect(!lines[0].contains("error"))
        #expect(lines[1].contains("Rules (5)"), "\(lines[1])")
        for column in ["RULE", "KIND", "METRIC", "SEV", "FOR", "STATE", "SUMMARY"] {
            #expect(lines[2].contains(column), "\(lines[2])")
        }
        // Firing first (HighCPU also has a pending one), then by severity; inactive rules last.
        #expect(RuleFixtures.order(canvas) == ["HighCPU", "DiskFull", "HighLoad", "HostStale", "CheckDown"], "\(canvas.text)")
        func row(_ name: String) -> String { lines.dropFirst(3).first { $0.contains(" \(name) ") || $0.contains("▶\(name) ") }! }
        let cpu = row("HighCPU")
        for part in ["threshold", "cpu.usage_percent", "CRIT", "5m", "1 firing 1 pending", "cpu above 90%"] {
            #expect(cpu.contains(part), "\(cpu)")
        }
        let stale = row("HostStale")
        for part in ["host_stale", " - ", "inactive", "no data from the host"] {
            #expect(stale.contains(part), "\(stale)")
        }
        #expect(row("CheckDown").contains("check_failed") && row("CheckDown").contains("1m") && row("CheckDown").contains("WARN"))
        // STATE colours: firing critical, pending warning, inactive muted.
        let y = lines.firstIndex(of: cpu)!
        let x = cpu.distance(from: cpu.startIndex, to: cpu.range(of: "1 firing")!.lowerBound)
        #expect(canvas[x, y].role == .critical)
        let px = cpu.distance(from: cpu.startIndex, to: cpu.range(of: "1 pending")!.lowerBound)
        #expect(canvas[px, y].role == .warning)
    }

    @Test func standbyAndNotEvaluatedYet() {
        let pane = RulesPane(user: RuleFixtures.admin)
        #expect(Fixtures.render(pane).text.contains("waiting for the first refresh"))
        _ = pane.receive(.rules(RulesSnapshot(takenAt: RuleFixtures.now, status: RuleFixtures.status(leader: false, evaluated: false),
                                              rules: [])), now: RuleFixtures.now)
        let lines = Fixtures.render(pane).lines()
        #expect(lines[0].contains("not evaluated yet") && lines[0].contains("standby"), "\(lines[0])")
        #expect(lines[3].contains("no rules loaded"), "\(lines[3])")
    }

    @Test func ruleFileErrorsShowInTheCriticalColour() {
        let canvas = Fixtures.render(RuleFixtures.pane(errors: RuleFixtures.errors))
        let lines = canvas.lines()
        #expect(lines[0].contains("2 rule file errors"), "\(lines[0])")
        #expect(lines[1].contains("/etc/vigil/rules/broken.yaml:7:14: unknown kind 'treshold'"), "\(lines[1])")
        #expect(lines[2].contains("/etc/vigil/rules/dupe.yaml:3:1: alert 'HighCPU' is also defined"), "\(lines[2])")
        #expect(canvas[1, 1].role == .critical && canvas[1, 2].role == .critical)
        // The rules still show below.
        #expect(lines[3].contains("Rules (5)"))
        #expect(RuleFixtures.order(canvas, skip: 5).first == "HighCPU")
    }

    @Test func manyErrorsAreCounted() {
        let errors = (1...9).map { "/etc/vigil/rules/r\($0).yaml:1:1: bad" }
        let lines = Fixtures.render(RuleFixtures.pane(errors: errors), height: 24).lines()
        #expect(lines[0].contains("9 rule file errors"))
        let shown = lines.filter { $0.contains(".yaml:1:1: bad") }.count
        #expect(shown == RulesPane.maxErrorLines - 1)
        #expect(lines.contains { $0.contains("… and \(9 - shown) more") })
    }

    @Test func attachedConsoleSaysWhereRulesAreEvaluated() throws {
        let c = RuleFixtures.controller(local: false)
        c.run(.rules, now: RuleFixtures.now)
        let pane = try #require(c.top as? RulesPane)
        #expect(!c.pollInterest.rules)
        let text = Fixtures.render(pane).text
        #expect(text.contains("rules are evaluated by the engine that holds the store (engine pid 4242 on ops-1 (127.0.0.1:9470)); see its log"),
                "\(text)")
        #expect(RulesFormat.attachedMessage(nil).contains("(another vigil process)"))
        // :reload cannot reach the other engine.
        c.run(.reload, now: RuleFixtures.now)
        #expect(c.takeEffects().isEmpty)
        #expect(c.message?.text.contains("engine pid 4242") == true)
        #expect(c.message?.isError == true)
    }

    @Test func filterMatchesNameKindMetricSeverityAndState() throws {
        let pane = RuleFixtures.pane()
        #expect(try pane.applyFilter("high")?.matching == 2)
        #expect(try pane.applyFilter("threshold")?.matching == 3)
        #expect(try pane.applyFilter("severity=warning")?.matching == 2)
        #expect(try pane.applyFilter("^firing$")?.matching == 3)
        #expect(try pane.applyFilter("pending")?.matching == 1)
        #expect(try pane.applyFilter("disk.used")?.matching == 1)
        #expect(try pane.applyFilter("team=ops")?.matching == 3)
        _ = try pane.applyFilter("!firing")
        #expect(Fixtures.render(pane).lines()[1].contains("Rules (2 of 5) /!firing"))
    }

    @Test func enterOpensTheAlertsOfTheRule() throws {
        let c = RuleFixtures.controller()
        c.run(.rules, now: RuleFixtures.now)
        #expect(c.pollInterest.rules)
        let rules = try #require(c.top as? RulesPane)
        #expect(rules.table.selected?.rule.name == "HighCPU")
        c.handle(.enter, now: RuleFixtures.now)
        let alerts = try #require(c.top as? AlertsPane)
        #expect(alerts.filterText == "^HighCPU$")
        #expect(alerts.table.visible.map(\.rule) == ["HighCPU", "HighCPU"])
        #expect(c.stack.map(\.title) == ["hosts", "rules", "alerts"])
        c.handle(.escape, now: RuleFixtures.now)
        #expect(c.top is RulesPane)
        // A rule with no active alerts still opens them (history is a key away) and says so.
        rules.table.selectLast()
        c.handle(.enter, now: RuleFixtures.now)
        #expect((c.top as? AlertsPane)?.filterText == "^CheckDown$")
        #expect(c.message?.text == "CheckDown has no firing or pending alerts (h: history)")
    }

    @Test func reloadCommandParses() throws {
        #expect(try CommandParser.parse(":rules") == .rules)
        #expect(try CommandParser.parse("r") == .rules)
        #expect(try CommandParser.parse("rule") == .rules)
        #expect(try CommandParser.parse(":reload") == .reload)
        #expect(try CommandParser.parse("refresh") == .refresh)
        #expect(throws: CommandError(message: "usage: :reload")) { try CommandParser.parse("reload now") }
        #expect(CommandParser.complete("rel", hosts: [], themes: []).line == "reload ")
        #expect(CommandParser.complete("ru", hosts: [], themes: []).candidates == ["rules", "runbooks", "rule", "runbook", "runs"])
    }

    @Test func reloadAsAdminRequestsIt() throws {
        let c = RuleFixtures.controller()
        AlertFixtures.type(":reload", into: c)
        c.handle(.enter, now: RuleFixtures.now)
        #expect(c.takeEffects() == [.reloadRules])
        #expect(c.message?.text == "reloading rules…")
        // R in the rules pane does the same.
        c.run(.rules, now: RuleFixtures.now)
        _ = c.takeEffects()
        c.handle(.char("R"), now: RuleFixtures.now)
        #expect(c.takeEffects() == [.reloadRules])
        // The outcome arrives as a message, and the next snapshot shows the new errors.
        c.receive(.actionResult(RulesFormat.reloaded(RuleFixtures.status(errors: RuleFixtures.errors)).0, isError: true), now: RuleFixtures.now)
        c.receive(.rules(RuleFixtures.snapshot(errors: RuleFixtures.errors)), now: RuleFixtures.now)
        let screen = AlertFixtures.screen(c)
        #expect(screen.lines()[29].contains("rules reloaded: 5 rules from 2 files; 2 errors, first: /etc/vigil/rules/broken.yaml:7:14"),
                "\(screen.lines()[29])")
        #expect(screen.lines()[2].contains("broken.yaml:7:14"))
    }

    @Test func reloadIsRefusedForViewersOperatorsAndReadOnly() throws {
        for user in [AlertFixtures.victor, AlertFixtures.alice] {
            let c = RuleFixtures.controller(user: user)
            c.run(.rules, now: RuleFixtures.now)
            _ = c.takeEffects()
            c.handle(.char("R"), now: RuleFixtures.now)
            #expect(c.takeEffects().isEmpty)
            let refusal = try #require(user.refusal(.reloadRules))
            #expect(c.message?.text == refusal)
            #expect(c.message?.isError == true)
        }
        #expect(AlertFixtures.victor.refusal(.reloadRules)?.hasPrefix("victor is a viewer; reloadRules needs admin") == true)
        let ro = RuleFixtures.controller(readOnly: true)
        ro.run(.rules, now: RuleFixtures.now)
        _ = ro.takeEffects()
        #expect(ro.mergedMap.action(for: .char("R")) == nil)
        #expect(!ro.mergedMap.actions.contains { $0.title == "reload rules" })
        AlertFixtures.type(":reload", into: ro)
        ro.handle(.enter, now: RuleFixtures.now)
        #expect(ro.takeEffects().isEmpty)
        #expect(ro.message?.text == "read-only console: rule reload not done")
    }

    @Test func helpListsTheRuleKeysAndCommands() throws {
        let c = RuleFixtures.controller()
        c.run(.rules, now: RuleFixtures.now)
        let hints = AlertFixtures.screen(c).lines()[28]
        #expect(hints.contains("Enter alerts of rule") && hints.contains("R reload rules"), "\(hints)")
        c.handle(.char("?"), now: RuleFixtures.now)
        let help = try #require(c.top as? HelpPane)
        let text = Fixtures.render(help, width: 100, height: 90).text
        for line in ["Rules", "Enter/l/Right", "alerts of rule", "R", "reload rules (changes things)", ":rules", "alias :r",
                     ":reload", "re-read the rule files", "rules: also kind, metric"] {
            #expect(text.contains(line), "help lacks \(line)")
        }
        for action in help.documented.actions {
            #expect(text.contains(action.title), "help lacks \(action.title)")
        }
    }

    @Test func reloadOutcomeWording() {
        #expect(RulesFormat.reloaded(RuleFixtures.status()) == ("rules reloaded: 5 rules from 2 files", false))
        let bad = RulesFormat.reloaded(RuleFixtures.status(errors: [RuleFixtures.errors[0]]))
        #expect(bad.isError && bad.0.hasSuffix("1 error, first: " + RuleFixtures.errors[0]))
        let access = RuleAccess(status: { RuleFixtures.status() }, rules: { RuleFixtures.rules })
        #expect(access.snapshot(now: RuleFixtures.now)?.rules.count == 5)
        #expect(RuleAccess().snapshot(now: RuleFixtures.now) == nil)
    }
}

/// A fleet reader that returns the fixture fleet.
struct FixtureReader: FleetReader {
    func fleetSnapshot(now: Int64) async throws -> FleetSnapshot { Fixtures.fleet }
    func hostDetail(name: String, now: Int64) async throws -> HostDetail? { nil }
}

@Suite struct RulePollingTests {
    @Test func pollerPostsRulesOnlyWhenTheRulesPaneWantsThem() async throws {
        let mailbox = Mailbox(pipe: try WakePipe())
        let access = RuleAccess(status: { RuleFixtures.status() }, rules: { RuleFixtures.rules })
        let poller = FleetPoller(reader: FixtureReader(), rules: access, mailbox: mailbox, interval: 60)
        await poller.fetchOnce()
        #expect(!mailbox.drain().contains { if case .rules = $0 { true } else { false } })
        poller.subscribe(PollInterest(rules: true))
        await poller.fetchOnce()
        let posted = mailbox.drain().compactMap { if case .rules(let s) = $0 { s } else { nil } }
        #expect(posted.count == 1 && posted.first?.rules.count == 5 && posted.first?.status.files.count == 2)
    }

    @Test func reloadWaitsForTheNextEvaluationAndReportsIt() async throws {
        let mailbox = Mailbox(pipe: try WakePipe())
        let evaluated = Shared<Int64?>(nil)
        let errors = Shared<[String]>([])
        let access = RuleAccess(
            status: {
                var s = RuleFixtures.status(errors: errors.get())
                s.lastEvaluation = evaluated.get()
                return s
            },
            rules: { RuleFixtures.rules },
            reload: {
                // The engine reloads at its next evaluation, shortly after the request.
                errors.set([RuleFixtures.errors[0]])
                Task {
                    try? await Task.sleep(for: .milliseconds(100))
                    evaluated.set(FleetPoller.nowMs())
                }
            })
        let poller = FleetPoller(reader: FixtureReader(), rules: access, mailbox: mailbox, interval: 60, reloadWaitMs: Int64(TestTime.ms(30_000)))
        poller.reloadRules()
        var result: (String, Bool)?
        // Both waits end as soon as the evaluation is seen; 30 s (scaled) for a loaded machine.
        for _ in 0..<Int(1500 * TestTime.scale) where result == nil {
            try await Task.sleep(for: .milliseconds(20))
            for case .actionResult(let text, let isError) in mailbox.drain() { result = (text, isError) }
        }
        let (text, isError) = try #require(result)
        #expect(text == "rules reloaded: 5 rules from 2 files; 1 error, first: " + RuleFixtures.errors[0])
        #expect(isError)
    }

    @Test func reloadWithoutAnEngineIsReported() throws {
        let mailbox = Mailbox(pipe: try WakePipe())
        FleetPoller(reader: FixtureReader(), mailbox: mailbox, interval: 60).reloadRules()
        guard case .actionResult(let text, true)? = mailbox.drain().first else {
            Issue.record("expected an error result")
            return
        }
        #expect(text.contains("another engine"))
    }
}
