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
}
