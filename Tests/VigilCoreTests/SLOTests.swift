import Foundation
import Testing
import VigilWire
@testable import VigilCore

/// Availability from check results (time-weighted, gaps unknown), error budgets, and the `slo_burn` rule on
/// constructed histories.
@Suite struct SLOTests {
    static let s: Int64 = 1000
    static let m: Int64 = 60_000

    @Test func availabilityIsTimeWeightedAndGapsAreUnknown() {
        // A check every 10 s from 0 to 100 s: passing, failing from 50 s to 70 s, then nothing until 200 s (an agent
        // outage), then passing to 300 s.
        var r: [(ts: Int64, ok: Bool)] = []
        for t in stride(from: 0, to: 100, by: 10) { r.append((Int64(t) * Self.s, !(50..<70).contains(t))) }
        for t in stride(from: 200, to: 300, by: 10) { r.append((Int64(t) * Self.s, true)) }
        let t = CheckAvailability.tally(r, from: 0, to: 300 * Self.s)
        #expect(CheckAvailability.usualInterval(r.map(\.ts)) == 10 * Self.s)
        // Each result stands for 10 s; the last before the gap for twice the interval (20 s), the rest is unknown.
        #expect(t.downMs == 20 * Self.s)
        #expect(t.upMs == (80 + 10 + 100) * Self.s, "\(t)")
        #expect(t.unknownMs == 90 * Self.s)
        #expect(t.availability == 190.0 / 210.0)
        #expect(abs(t.coverage - 0.7) < 1e-9)
        // A window boundary: [55 s, 65 s) is all down; a result before the window stands for the start of it.
        #expect(CheckAvailability.tally(r, from: 55 * Self.s, to: 65 * Self.s) == AvailabilityTally(upMs: 0, downMs: 10 * Self.s))
        #expect(CheckAvailability.tally(r, from: 95 * Self.s, to: 105 * Self.s) == AvailabilityTally(upMs: 10 * Self.s))
        // Nothing known: no availability, no budget figures.
        #expect(CheckAvailability.tally([], from: 0, to: Self.m).availability == nil)
        #expect(ErrorBudget(objective: 99.9, tally: AvailabilityTally(unknownMs: Self.m)).remaining == nil)
    }

    @Test func budgetsAndBurnRates() {
        // 30 days at 99.9 % allow 43.2 minutes down; 21.6 minutes spent leaves half.
        let month: Int64 = 30 * 86_400_000
        let half = ErrorBudget(objective: 99.9, tally: AvailabilityTally(upMs: month - 1_296_000, downMs: 1_296_000))
        #expect(abs(half.allowedDownMs - 2_592_000) < 1)
        #expect(abs((half.remaining ?? 0) - 0.5) < 1e-9)
        #expect(abs((half.burnRate ?? 0) - 0.5) < 1e-9)
        #expect(half.isMet == true)
        let over = ErrorBudget(objective: 99.9, tally: AvailabilityTally(upMs: 98, downMs: 2))
        #expect(abs((over.burnRate ?? 0) - 20) < 1e-9 && (over.remaining ?? 0) < 0 && over.isMet == false)
        #expect(ErrorBudget.percentText(99.9) == "99.9%" && ErrorBudget.percentText(99.95) == "99.95%" && ErrorBudget.percentText(99) == "99%")
    }

    /// Two hosts run `api` every 10 s. One fails the last 8 minutes: over 1 h the error ratio is 8/120 = 6.7 %, a
    /// burn of 66.7× at 99.9 %, and over 5 m it is 50 %: the fast-burn rule fires. Once it recovers for 5 minutes the
    /// short window clears and the alert does not breach, though the hour still burns.
    @Test func sloBurnFiresOnBothWindowsAndClearsWithTheShortOne() throws {
        let now: Int64 = 10 * 3_600_000
        func history(failingFrom: Int64, failingUntil: Int64) -> [String: [CheckResult]] {
            var h: [String: [CheckResult]] = [:]
            for host in ["web-1", "web-2"] {
                for t in stride(from: now - 70 * Self.m, through: now, by: Int64.Stride(10 * Self.s)) {
                    let ok = host == "web-2" || !(t >= failingFrom && t < failingUntil)
                    h[host, default: []].append(CheckResult(name: "api", kind: .http, target: "", ok: ok, latencyMs: 0, detail: "", ts: t))
                    h[host, default: []].append(CheckResult(name: "db", kind: .tcp, target: "", ok: true, latencyMs: 0, detail: "", ts: t))
                }
            }
            return h
        }
        let file = try RuleFile.parse(yaml: """
            groups:
              - name: slo
                rules:
                  - alert: APIErrorBudgetFastBurn
                    kind: slo_burn
                    expr: {check: api, objective: 99.9}
                    severity: critical
            """, path: "slo.yaml")
        let rule = try #require(file.rules.first)
        let api = try StringMatcher.parse("api").get()
        #expect(rule.kind == .sloBurn(.init(check: api, objective: 99.9, longWindow: 3_600_000, shortWindow: 300_000, factor: 14.4)))
        var input = RuleInput()
        input.checkHistory = history(failingFrom: now - 8 * Self.m, failingUntil: now + Self.m)
        let firing = RuleEvaluator.evaluate(rule, input: input, now: now)
        #expect(firing.count == 1)
        #expect(firing.first?.labels == ["check": "api", "slo": "99.9% 1h/5m"])
        // Both hosts count: 8 of 120 host-minutes down (the failing host's last result stands for its 10 s).
        #expect(abs((firing.first?.value ?? 0) - (8.0 / 120.0) / 0.001) < 1, "\(firing.first?.value ?? 0)")
        input.checkHistory = history(failingFrom: now - 15 * Self.m, failingUntil: now - 5 * Self.m)
        #expect(RuleEvaluator.evaluate(rule, input: input, now: now).isEmpty, "recovered for 5 minutes: the short window is clean")
        // A slow-burn rule on the same history: 6h/30m at 6×; 10 of 140 minutes over the data it has.
        let slow = AlertRule(name: "Slow", kind: .sloBurn(.init(objective: 99.0, longWindow: 6 * 3_600_000, shortWindow: 30 * Self.m, factor: 6)))
        #expect(RuleEvaluator.evaluate(slow, input: input, now: now).map { $0.labels["check"] } == ["api"], "the db check never failed")
    }

    @Test func badSLORulesAreRefusedWhereTheyAre() {
        func errors(_ expr: String) -> [String] {
            do {
                _ = try RuleFile.parse(yaml: "groups:\n  - name: g\n    rules:\n      - alert: A\n        kind: slo_burn\n        expr: \(expr)\n", path: "t.yaml")
                return []
            } catch {
                return error.errors.map(\.description)
            }
        }
        #expect(errors("{check: api}").first?.contains("objective") == true)
        #expect(errors("{objective: 100}").first?.contains("out of range") == true)
        #expect(errors("{objective: 99.9, long_window: 5m, short_window: 1h}").first?.contains("short_window must be shorter") == true)
        #expect(errors("{objective: 99.9, long_window: 30d}").first?.contains("at most 7d") == true)
        #expect(errors("{objective: 99.9, check_kind: ping}").first?.contains("unknown check kind") == true)
    }

    @Test(arguments: Backend.available) func checkHistoryReadsAWindowOnBothBackends(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        for (host, offset) in [("web-1", 0), ("web-2", 1)] {
            let checks = (0..<5).map { i in
                CheckResult(name: "api", kind: .http, target: "http://x", ok: i != 3, latencyMs: 3, detail: "", ts: now - Int64(5 - i + offset) * 60_000)
            }
            _ = try await store.ingest(IngestBatch(host: host, checks: checks), receivedAt: now)
        }
        let h = try await store.checkHistory(from: now - 4 * 60_000, to: now, limit: 100)
        #expect(h["web-1"]?.map(\.ts) == (1...4).map { now - Int64(5 - $0) * 60_000 }, "oldest first, inside the window")
        #expect(h["web-1"]?.map(\.ok) == [true, true, false, true])
        #expect(h["web-2"]?.count == 3)
        // Past the limit the oldest results go, not the newest.
        let newest = try await store.checkHistory(from: now - 4 * 60_000, to: now, limit: 3)
        #expect(newest["web-1"]?.map(\.ts) == [now - 2 * 60_000, now - 60_000] && newest["web-2"]?.map(\.ts) == [now - 2 * 60_000],
                "\(newest)")
    }
}

/// The engine: an `slo_burn` rule over check results pushed through the real listener fires, with its labels and the
/// burn rate, and resolves once the checks pass again (short windows, so it takes seconds).
@Suite(.serialized) struct SLOEngineTests {
    @Test func anSLOBurnRuleFiresFromPushedCheckResultsAndResolves() async throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("rules"), withIntermediateDirectories: true)
        try """
        groups:
          - name: slo
            interval: 1s
            rules:
              - alert: CheckoutBudgetBurn
                kind: slo_burn
                expr: {check: checkout, objective: 99.9, long_window: 20s, short_window: 4s}
                severity: critical
        """.write(toFile: dir.file("rules/r.yaml"), atomically: true, encoding: .utf8)
        let e = try await RunningEngine.start(ruleDirectories: [dir.file("rules")], tickMs: 200)
        let now = WallClock.nowMs()
        let (_, agent) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: now, actor: "admin")
        func push(from: Int64, through: Int64, failing: (String, Int64) -> Bool) async throws {
            for host in ["web-1", "web-2"] {
                let checks = stride(from: from, through: through, by: Int64.Stride(1000)).map { t in
                    CheckResult(name: "checkout", kind: .http, target: "http://127.0.0.1/checkout", ok: !failing(host, t), latencyMs: 12, detail: "", ts: t)
                }
                #expect(try await e.post(Array(IngestBatch(host: host, checks: checks).json().utf8), token: agent).status == 200)
            }
        }
        // 20 s of a check every second on two hosts; web-1 failing the last 5 s: 12.5 % and 50 % errors, far above 0.1 %.
        // Its results go on failing for 30 s more: a sanitizer run once reached its first evaluation after the 4 s short
        // window had left the failures of the last 5 s behind, and the alert never fired.
        try await push(from: now - 20_000, through: now + 30_000) { host, t in host == "web-1" && t > now - 5000 }
        #expect(await eventually(10) { (try? await e.store.alerts(states: ["firing"], limit: 10))?.contains { $0.rule == "CheckoutBudgetBurn" } == true })
        // Fired; under a slow run (the thread sanitizer) the 4 s short window may already have moved past the failures
        // and resolved it, so the labels are read from the alert in either state.
        let alert = try #require(try await e.store.alerts(states: ["firing", "resolved"], limit: 10).first { $0.rule == "CheckoutBudgetBurn" })
        #expect(alert.labels["check"] == "checkout" && alert.labels["slo"] == "99.9% 20s/4s" && alert.labels["host"] == nil, "\(alert.labels)")
        #expect((alert.value ?? 0) > 14.4, "burn \(alert.value ?? 0)")
        // The checks pass after web-1's failures, from 31 s on: once the short window holds only those, the
        // burn there is 0 and the alert resolves, though the long window still holds the failures.
        try await push(from: now + 31_000, through: now + 45_000) { _, _ in false }
        #expect(await eventually(60) {
            (try? await e.store.alerts(states: ["resolved"], limit: 10))?.contains { $0.rule == "CheckoutBudgetBurn" } == true
        })
        await e.stop()
    }

    /// A service of topology.yaml with an objective: an `slo_burn` rule on services fires with the service's labels
    /// from pushed check results, and the engine records the violation (start, still going on, budget spent).
    @Test func aServiceBurnRuleFiresAndTheEngineRecordsTheViolation() async throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("rules"), withIntermediateDirectories: true)
        try """
        groups:
          - name: slo
            interval: 1s
            rules:
              - alert: ServiceBudgetBurn
                kind: slo_burn
                expr: {service: "=~.+", long_window: 20s, short_window: 4s}
                severity: critical
        """.write(toFile: dir.file("rules/r.yaml"), atomically: true, encoding: .utf8)
        try """
        services:
          - name: checkout
            checks: [checkout]
            owner: payments
            slo: {availability: 99.9, window: 1d}
        """.write(toFile: dir.file("topology.yaml"), atomically: true, encoding: .utf8)
        let e = try await RunningEngine.start(ruleDirectories: [dir.file("rules")], tickMs: 200, topology: dir.file("topology.yaml"),
                                              slaEvery: .milliseconds(500))
        let now = WallClock.nowMs()
        let (_, agent) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: now, actor: "admin")
        for host in ["web-1", "web-2"] {
            // web-1 fails from 4 s ago and on into the next 30 s, so the short window holds failures however slow the run.
            let checks = stride(from: now - 20_000, through: now + 30_000, by: Int64.Stride(1000)).map { t in
                CheckResult(name: "checkout", kind: .http, target: "http://127.0.0.1/checkout", ok: !(host == "web-1" && t > now - 5000), latencyMs: 12,
                            detail: "", ts: t)
            }
            #expect(try await e.post(Array(IngestBatch(host: host, checks: checks).json().utf8), token: agent).status == 200)
        }
        #expect(await eventually(10) { (try? await e.store.alerts(states: ["firing"], limit: 10))?.contains { $0.rule == "ServiceBudgetBurn" } == true })
        let alert = try #require(try await e.store.alerts(states: ["firing", "resolved"], limit: 10).first { $0.rule == "ServiceBudgetBurn" })
        #expect(alert.labels["service"] == "checkout" && alert.labels["sli"] == "availability" && alert.labels["owner"] == "payments"
                && alert.labels["slo"] == "99.9% 20s/4s", "\(alert.labels)")
        #expect(await eventually(10) { (try? await e.store.slaViolations(from: now - 60_000, to: now + 60_000, limit: 10))?.isEmpty == false })
        let v = try #require(try await e.store.slaViolations(from: now - 60_000, to: now + 60_000, limit: 10).first)
        #expect(v.service == "checkout" && v.sli == .availability && v.start == now - 4000 && v.budgetSpent > 0, "\(v)")
        await e.stop()
    }
}
