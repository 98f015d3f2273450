import Foundation
import Testing
@testable import VigilTUI
import VigilCore
import VigilWire

/// The SLA pane on a real SQLite store: objectives from the engine's slo_burn rules, the budget and burn of a check
/// that failed, the window keys.
@Suite struct SLAPaneTests {
    @Test func checksObjectivesAndBudgets() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("vigil.db"))
        let now = WallClock.nowMs()
        // api every minute for two hours on two hosts, web-1 failing 3 minutes half an hour ago; cron every 5 minutes, fine.
        for host in ["web-1", "web-2"] {
            let checks = (0..<120).map { i -> CheckResult in
                let ts = now - Int64(119 - i) * 60_000
                let failing = host == "web-1" && ts >= now - 32 * 60_000 && ts < now - 29 * 60_000
                return CheckResult(name: "api", kind: .http, target: "http://x", ok: !failing, latencyMs: 3, detail: "", ts: ts)
            } + (0..<24).map { i in CheckResult(name: "cron", kind: .systemd, target: "cron", ok: true, latencyMs: 1, detail: "", ts: now - Int64(23 - i) * 300_000) }
            _ = try await store.ingest(IngestBatch(host: host, checks: checks), receivedAt: now)
        }
        let rule = AlertRule(name: "ApiBudgetBurn", kind: .sloBurn(.init(check: try StringMatcher.parse("api").get(), objective: 99.5)))
        let pane = SLAPane()
        #expect(pane.pollInterest.sla == .d7)
        let fetcher = SLAFetcher(configPath: nil)
        _ = pane.receive(await fetcher.fetch(store, window: .d7, rules: [rule], now: now), now: now)
        #expect(pane.table.rows.map(\.name) == ["api", "cron"], "least budget left first")
        let api = try #require(pane.table.rows.first)
        #expect(api.source == "ApiBudgetBurn" && api.budget.objective == 99.5 && api.hosts == 2 && !api.isService)
        // 3 of 238 known host-minutes down (the newest results stand for no time yet): 98.739 %, under 99.5 %: missed, budget overspent; 3/120 over the hour: 5×.
        #expect(api.budget.isMet == false && (api.budget.remaining ?? 1) < 0)
        #expect(abs((api.burn1h ?? 0) - 5) < 0.01, "\(api.burn1h ?? 0)")
        let canvas = Fixtures.render(pane, width: 160, height: 20)
        #expect(canvas.text.contains("2 checks · 1 missing its objective"), "\(canvas.text)")
        #expect(canvas.text.contains("98.739%") && canvas.text.contains("ApiBudgetBurn") && canvas.text.contains("(default 99.9%)"))
        let narrow = Fixtures.render(pane, width: 80, height: 24)
        #expect(narrow.text.contains("api") && narrow.text.contains("98.739%") && narrow.text.contains("2 checks · 1 missed · 1 under 25% budget"),
                "\(narrow.text)")
        // t: the next window; a measure of another window is not shown in this one.
        _ = pane.keyMap.action(for: .char("t"))!.handler()
        #expect(pane.pollInterest.sla == .d30)
        _ = pane.receive(await fetcher.fetch(store, window: .d1, rules: [rule], now: now), now: now)
        #expect(pane.snapshot?.window == .d7)
        #expect(try CommandParser.parse(":sla") == .sla && CommandParser.parse("slo") == .sla)
    }

    /// A service with availability and latency objectives (topology.yaml) comes first, over its own window, with the
    /// violation the engine recorded; `Enter` shows its violations.
    @Test func servicesObjectivesComeFirstAndOpenOnTheirViolations() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("vigil.db"))
        let now = WallClock.nowMs()
        try """
        services:
          - name: checkout
            checks: [api]
            owner: payments
            slo: {availability: 99.9, window: 7d, latency: {below: 300ms, objective: 99}}
        """.write(toFile: dir.file("topology.yaml"), atomically: true, encoding: .utf8)
        // api every minute for two hours, failing its last 10 minutes, slow (900 ms) for 20 minutes an hour ago.
        let checks = (0..<120).map { i -> CheckResult in
            let ts = now - Int64(119 - i) * 60_000
            return CheckResult(name: "api", kind: .http, target: "http://x", ok: i < 110, latencyMs: (50..<70).contains(i) ? 900 : 40, detail: "", ts: ts)
        }
        _ = try await store.ingest(IngestBatch(host: "web-1", checks: checks), receivedAt: now)
        var service = ServiceDefinition(name: "checkout")
        service.checks = ["api"]
        service.objective = ServiceObjective(availability: 99.9, window: 7 * 86_400_000, latency: .init(thresholdMs: 300, objective: 99))
        _ = try await SLAService.update(store: store, services: [service], now: now)
        let pane = SLAPane()
        _ = pane.receive(await SLAFetcher(configPath: dir.file("topology.yaml")).fetch(store, window: .d7, rules: [], now: now), now: now)
        #expect(pane.table.rows.map(\.id) == ["s/checkout/availability", "s/checkout/latency", "c/api/check"], "\(pane.table.rows.map(\.id))")
        let availability = pane.table.rows[0]
        #expect(availability.violating && availability.violations == 1 && availability.window == 7 * 86_400_000)
        #expect(pane.table.rows[1].objectiveText == "99% <300ms" && pane.table.rows[1].violations == 2, "slow, then failing")
        let canvas = Fixtures.render(pane, width: 160, height: 20)
        #expect(canvas.text.contains("1 service, 1 check") && canvas.text.contains("1 violating now"), "\(canvas.text)")
        #expect(canvas.text.contains("topology.yaml") && canvas.text.contains("1!"), "\(canvas.text)")
        let narrow = Fixtures.render(pane, width: 80, height: 24)
        #expect(narrow.text.contains("checkout") && narrow.text.contains("latency"), "\(narrow.text)")
        guard case .push(let detail)? = pane.keyMap.action(for: .enter)?.handler(), let objective = detail as? SLAServicePane else {
            Issue.record("Enter on a service opens its objective")
            return
        }
        let shown = Fixtures.render(objective, width: 120, height: 16)
        #expect(shown.text.contains("objective 99.9% availability over 7d") && shown.text.contains("owner payments"), "\(shown.text)")
        #expect(shown.text.contains("VIOLATIONS (1 in the window)") && shown.text.contains("going on"), "\(shown.text)")
    }
}
