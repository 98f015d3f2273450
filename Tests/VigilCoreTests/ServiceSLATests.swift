import Foundation
import Logging
import Testing
import VigilWire
@testable import VigilCore

/// Services' objectives: the timeline's arithmetic on known histories (gaps, window boundaries, two hosts, latency),
/// violations, rollups standing in for check results, burn-rate alerts per service, and the engine's records on
/// both backends.
@Suite struct ServiceSLATests {
    static let s: Int64 = 1000
    static let m: Int64 = 60_000
    static let day: Int64 = 86_400_000

    static func result(_ name: String = "checkout-http", ts: Int64, ok: Bool = true, latency: Double = 50) -> CheckResult {
        CheckResult(name: name, kind: .http, target: "http://x", ok: ok, latencyMs: latency, detail: "", ts: ts)
    }

    static func service(availability: Double = 99.9, window: Int64 = 30 * 86_400_000, latency: ServiceObjective.Latency? = nil) -> ServiceDefinition {
        var s = ServiceDefinition(name: "checkout")
        s.checks = ["checkout-http"]
        s.match = [try! LabelMatcher.parse("group=web").get()]
        s.objective = ServiceObjective(availability: availability, window: window, latency: latency)
        return s
    }

    static let labels = ["web-1": ["group": "web"], "web-2": ["group": "web"], "db-1": ["group": "data"]]

    @Test func theTimelineCountsTheServicesHostsAndLeavesGapsUnknown() {
        // A check each minute on web-1 for an hour, failing minutes 10–12; nothing from minute 30 to 40 (the agent was
        // away). db-1 runs the same check but is not the service's; web-1's other check is not the service's.
        var h: [String: [CheckResult]] = [:]
        for i in 0..<60 where !(31..<40).contains(i) {
            h["web-1", default: []].append(Self.result(ts: Int64(i) * Self.m, ok: !(10..<13).contains(i)))
            h["web-1", default: []].append(Self.result("disk", ts: Int64(i) * Self.m, ok: false))
            h["db-1", default: []].append(Self.result(ts: Int64(i) * Self.m, ok: false))
        }
        let t = ServiceTimeline(h, service: Self.service(), sli: .availability, hostLabels: Self.labels)
        #expect(t.seriesCount == 1)
        let hour = t.tally(from: 0, to: 60 * Self.m)
        // 51 results, 3 failing; minute 30's stands for twice the interval (to 32), then unknown to 40; minute 59's to 60.
        #expect(hour == AvailabilityTally(upMs: 49 * Self.m, downMs: 3 * Self.m, unknownMs: 8 * Self.m), "\(hour)")
        #expect(hour.knownMs + hour.unknownMs == 60 * Self.m)
        // A window boundary inside the outage: half of minute 11 and all of 12.
        #expect(t.tally(from: 11 * Self.m + 30 * Self.s, to: 13 * Self.m) == AvailabilityTally(upMs: 0, downMs: 90 * Self.s))
        // One violation, closed, three minutes.
        #expect(t.violations(from: 0, to: 60 * Self.m) == [ServiceTimeline.Stretch(start: 10 * Self.m, end: 13 * Self.m, badMs: 3 * Self.m)])
    }

    /// A check whose interval changed (every 5 minutes, then every minute, as `vigil demo`'s older days and its last
    /// hours): each part is covered whole, whichever interval is usual over the span read, so a day's rollup and a
    /// week's read agree; an outage after either part is still unknown.
    @Test func aChangedIntervalIsCoveredEitherWay() {
        var points: [(ts: Int64, ok: Bool)] = []
        for t in stride(from: 0, to: 120 * Self.m, by: Int64.Stride(5 * Self.m)) { points.append((t, true)) }
        for t in stride(from: 120 * Self.m, to: 600 * Self.m, by: Int64.Stride(Self.m)) { points.append((t, true)) }
        #expect(CheckAvailability.usualInterval(points.map(\.ts)) == Self.m)
        #expect(CheckAvailability.tally(points, from: 0, to: 600 * Self.m) == AvailabilityTally(upMs: 600 * Self.m))
        // Results stop at minute 95 and come back at 120: the last stands for twice its gap (to 105), the rest unknown.
        let outage = points.filter { $0.ts < 100 * Self.m || $0.ts >= 120 * Self.m }
        let t = CheckAvailability.tally(outage, from: 0, to: 600 * Self.m)
        #expect(t.unknownMs == 15 * Self.m, "\(t)")
    }

    @Test func violationsJoinCloseStretchesSumHostsAndStayOpenWhileFailing() {
        var h: [String: [CheckResult]] = [:]
        for i in 0..<120 {
            let ts = Int64(i) * Self.m
            // web-1 fails 10–14 and 17–19 (3 minutes apart: one violation), and from 100 on (still failing).
            h["web-1", default: []].append(Self.result(ts: ts, ok: !((10..<15).contains(i) || (17..<20).contains(i) || i >= 100)))
            // web-2 fails 12–15 too: its minutes count as well.
            h["web-2", default: []].append(Self.result(ts: ts, ok: !(12..<16).contains(i)))
        }
        let t = ServiceTimeline(h, service: Self.service(), sli: .availability, hostLabels: Self.labels)
        let v = t.violations(from: 0, to: 119 * Self.m + 30 * Self.s)
        #expect(v.count == 2)
        #expect(v[0] == ServiceTimeline.Stretch(start: 10 * Self.m, end: 20 * Self.m, badMs: (5 + 3 + 4) * Self.m))
        #expect(v[1].start == 100 * Self.m && v[1].end == nil, "the newest result fails and still stands: going on")
        // Seen from minute 30 the first is outside; a stretch is cut at the start of what is looked at.
        #expect(t.violations(from: 12 * Self.m, to: 30 * Self.m).first?.start == 12 * Self.m)
    }

    /// A service of 20 hosts with a 90 % objective: one bad host (5 %) is not a violation, three (15 %) are; hosts
    /// without results then are not counted, so one bad host of the five still reporting (20 %) is one.
    @Test func aViolationIsTheServiceBelowItsObjectiveNotAnyBadSeries() {
        var h: [String: [CheckResult]] = [:]
        for n in 1...20 {
            for i in 0..<120 {
                // Minutes 10–19: web-1 fails. 40–49: web-1, -2 and -3 fail. 80–89: web-1 fails and web-6… stop reporting.
                let bad = ((10..<20).contains(i) && n == 1) || ((40..<50).contains(i) && n <= 3) || ((80..<90).contains(i) && n == 1)
                if (80..<90).contains(i) && n > 5 { continue }
                h["web-\(n)", default: []].append(Self.result(ts: Int64(i) * Self.m, ok: !bad))
            }
        }
        let labels = Dictionary(uniqueKeysWithValues: (1...20).map { ("web-\($0)", ["group": "web"]) })
        let t = ServiceTimeline(h, service: Self.service(), sli: .availability, hostLabels: labels)
        #expect(t.seriesCount == 20)
        let v = t.violations(from: 0, to: 120 * Self.m, allowedBadFraction: 0.10)
        #expect(v == [ServiceTimeline.Stretch(start: 40 * Self.m, end: 50 * Self.m, badMs: 30 * Self.m),
                      // The silent hosts' last results (minute 79) stand for two intervals, so they count until 81.
                      ServiceTimeline.Stretch(start: 81 * Self.m, end: 90 * Self.m, badMs: 9 * Self.m)], "\(v)")
        // With no allowance (or a single-host service) every bad stretch is one, as before.
        #expect(t.violations(from: 0, to: 120 * Self.m).map(\.start) == [10 * Self.m, 40 * Self.m, 80 * Self.m])
    }

    @Test func theLatencyIndicatorCountsSlowPassingResultsAsBad() {
        var h: [String: [CheckResult]] = [:]
        for i in 0..<60 {
            h["web-1", default: []].append(Self.result(ts: Int64(i) * Self.m, ok: i != 5, latency: (20..<26).contains(i) ? 900 : 80))
        }
        let s = Self.service(latency: .init(thresholdMs: 300, objective: 99))
        let latency = ServiceTimeline(h, service: s, sli: .latency, hostLabels: Self.labels).tally(from: 0, to: 60 * Self.m)
        let availability = ServiceTimeline(h, service: s, sli: .availability, hostLabels: Self.labels).tally(from: 0, to: 60 * Self.m)
        #expect(availability.downMs == 1 * Self.m)
        #expect(latency.downMs == 7 * Self.m, "six slow minutes and the failing one")
        #expect(s.objective?.indicators == [.availability, .latency])
    }

    @Test func rollupsStandInForCheckResultsUnlessTheServiceChanged() {
        let now = 10 * Self.day + 6 * 3_600_000
        var s = Self.service(window: 7 * Self.day)
        // Check results only for today: the rolled-up days come from the rollups.
        var h: [String: [CheckResult]] = [:]
        for t in stride(from: 10 * Self.day - 10 * Self.m, through: now, by: Int64.Stride(Self.m)) { h["web-1", default: []].append(Self.result(ts: t)) }
        let rollups = (3..<10).map { d in
            SLADailyTally(service: "checkout", sli: .availability, day: Int64(d) * Self.day, fingerprint: s.sliFingerprint,
                          tally: AvailabilityTally(upMs: Self.day - 10 * Self.m, downMs: d == 9 ? 10 * Self.m : 0))
        }
        let sla = ServiceSLAReport.make(services: [s], history: h, rollups: rollups, violations: [], hostLabels: Self.labels, now: now)
        let a = try! #require(sla.first)
        // The window starts at day 3, 06:00: day 3 is partial (results, none: unknown), days 4–9 rolled up, day 10 from results.
        #expect(a.rolledUpDays == 6 && a.days.count == 8)
        #expect(a.budget.tally.downMs == 10 * Self.m)
        let expectedUp: Int64 = 6 * Self.day - 60 * Self.m + 6 * 3_600_000
        #expect(a.budget.tally.upMs == expectedUp, "\(a.budget.tally)")
        let trend: [Double] = a.budgetTrend.compactMap { $0 }
        let lastLeft: Double = 1 - Double(10 * Self.m) / a.budget.allowedDownMs
        #expect(abs((trend.last ?? 0) - lastLeft) < 1e-9)
        #expect(trend == trend.sorted(by: >), "the budget left only falls")
        // Another check makes another fingerprint: the rollups no longer count and those days are unknown.
        s.checks = ["checkout-http", "checkout-tcp"]
        let changed = ServiceSLAReport.make(services: [s], history: h, rollups: rollups, violations: [], hostLabels: Self.labels, now: now)
        #expect(changed.first?.rolledUpDays == 0 && changed.first?.budget.tally.downMs == 0)
        // The ranges to read are only what the rollups do not cover.
        let ranges = ServiceSLAReport.rawRanges(service: Self.service(window: 7 * Self.day), sli: .availability,
                                                index: .init(rollups), now: now)
        #expect(ServiceSLAReport.coalesce(ranges).map { [$0.0, $0.1] } == [[now - 7 * Self.day, 4 * Self.day], [10 * Self.day, now]])
    }

    /// Fast burn (1 h and 5 m at 14.4×) per service, with the service's objective; the latency objective alerts on
    /// its own; a service whose name does not match, or without an objective, never does.
    @Test func serviceBurnRulesFireOnAConstructedHistory() throws {
        let now: Int64 = 10 * 3_600_000
        var h: [String: [CheckResult]] = [:]
        for host in ["web-1", "web-2"] {
            for t in stride(from: now - 70 * Self.m, through: now, by: Int64.Stride(10 * Self.s)) {
                // web-1 fails its last 8 minutes; every result of the last 20 minutes is slow.
                let ok = host == "web-2" || t < now - 8 * Self.m
                h[host, default: []].append(Self.result(ts: t, ok: ok, latency: t >= now - 20 * Self.m ? 800 : 40))
            }
        }
        var plain = ServiceDefinition(name: "search")
        plain.checks = ["checkout-http"]
        let rule = AlertRule(name: "SLOFastBurn", kind: .sloBurn(.init(objective: nil, service: try StringMatcher.parse("=~.+").get())))
        let services = [Self.service(latency: .init(thresholdMs: 300, objective: 99)), plain]
        let alerts = RuleEvaluator.serviceBurn(rule, { if case .sloBurn(let e) = rule.kind { return e }; fatalError() }(), services: services,
                                               history: h, hostLabels: Self.labels, now: now)
        #expect(alerts.map { $0.labels["sli"] } == ["availability", "latency"].map(Optional.some) || alerts.count == 2, "\(alerts.map(\.labels))")
        let byIndicator = Dictionary(uniqueKeysWithValues: alerts.map { ($0.labels["sli"]!, $0) })
        // Availability: 8 of 120 host-minutes over the hour = 6.7 %, 66.7× at 99.9 %.
        #expect(abs((byIndicator["availability"]?.value ?? 0) - 8.0 / 120 / 0.001) < 0.5)
        #expect(byIndicator["availability"]?.labels["service"] == "checkout" && byIndicator["availability"]?.labels["slo"] == "99.9% 1h/5m")
        #expect(byIndicator["latency"]?.labels["slo"] == "99% 1h/5m under 300ms")
        // A rule that names another service: nothing.
        let other = AlertRule(name: "X", kind: .sloBurn(.init(objective: nil, service: try StringMatcher.parse("payments").get())))
        guard case .sloBurn(let e) = other.kind else { return }
        #expect(RuleEvaluator.serviceBurn(other, e, services: services, history: h, hostLabels: Self.labels, now: now).isEmpty)
        // `match:` narrows the service to its matching hosts: web-2 alone passes, but slowly.
        let narrowed = RuleKind.SLOBurn(matchers: [try LabelMatcher.parse("host=web-2").get()], objective: nil,
                                        service: try StringMatcher.parse("checkout").get())
        let web2 = RuleEvaluator.serviceBurn(AlertRule(name: "Y", kind: .sloBurn(narrowed)), narrowed, services: services, history: h,
                                             hostLabels: Self.labels, now: now)
        #expect(web2.map { $0.labels["sli"] } == ["latency"], "\(web2.map(\.labels))")
        // Rules reading the same history share the timelines: built once per service, indicator and host matcher.
        let cache = ServiceTimelineCache()
        guard case .sloBurn(let all) = rule.kind else { return }
        let once = RuleEvaluator.serviceBurn(rule, all, services: services, history: h, hostLabels: Self.labels, now: now, timelines: cache)
        let twice = RuleEvaluator.serviceBurn(rule, all, services: services, history: h, hostLabels: Self.labels, now: now, timelines: cache)
        #expect(once == alerts && twice == alerts && cache.count == 2)
    }

    @Test func topologyFilesDefineObjectivesAndNameTheirMistakes() throws {
        let good = try TopologyConfig.parse(yaml: """
            services:
              - name: checkout
                match: {group: web}
                checks: [checkout-http]
                slo:
                  availability: 99.95
                  window: 7d
                  latency: {below: 1.5s, objective: 99}
              - name: search
                checks: [search-http]
                slo: {availability: 99}
            """, path: "t.yaml")
        #expect(good.services[0].objective == ServiceObjective(availability: 99.95, window: 7 * Self.day, latency: .init(thresholdMs: 1500, objective: 99)))
        #expect(good.services[1].objective == ServiceObjective(availability: 99, window: 30 * Self.day))
        func errors(_ slo: String) -> [String] {
            do {
                _ = try TopologyConfig.parse(yaml: "services:\n  - name: a\n    checks: [a]\n    slo: \(slo)\n", path: "t.yaml")
                return []
            } catch {
                return error.errors.map(\.description)
            }
        }
        #expect(errors("{availability: 100}").first?.contains("t.yaml:4:") == true)
        #expect(errors("{availability: 100}").first?.contains("out of range") == true)
        #expect(errors("{availability: 99.9, window: 2h}").first?.contains("from 1d to 90d") == true)
        #expect(errors("{availability: 99.9, latency: {below: fast}}").first?.contains("bad latency 'fast'") == true)
        #expect(errors("{window: 7d}").first?.contains("missing 'availability'") == true)
        #expect(errors("{availability: 99.9, latency: {below: 1e300s}}").first?.contains("at most 1h") == true)
        #expect(errors("{availability: 99.9, windw: 7d}").first?.contains("windw") == true)
        #expect(Self.service().sliFingerprint != { var s = Self.service(); s.hosts = ["web-9"]; return s }().sliFingerprint)
    }

    /// The engine's view of topology.yaml: read again when the file changes, the last good services kept (and the
    /// error told) while it does not parse.
    @Test func theTopologyDirectoryFollowsTheFileAndKeepsTheLastGoodOne() throws {
        let dir = TempDir()
        let path = dir.file("topology.yaml")
        func write(_ text: String, modified: Double) throws {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: modified)], ofItemAtPath: path)
        }
        try write("services:\n  - name: a\n    checks: [a]\n    slo: {availability: 99}\n", modified: 1000)
        let directory = TopologyDirectory(path: path, logger: .init(label: "test"))
        #expect(directory.services(now: 0).map(\.name) == ["a"])
        try write("services:\n  - name: a\n    slo: {availability: 99}\n", modified: 2000)
        #expect(directory.services(now: 5000).map(\.name) == ["a"], "checked at most every 10 s")
        #expect(directory.services(now: 11_000).map(\.name) == ["a"] && directory.error?.contains("names no hosts") == true, "\(directory.error ?? "")")
        try write("services:\n  - name: a\n    checks: [a]\n  - name: b\n    checks: [b]\n", modified: 3000)
        #expect(directory.services(now: 22_000).map(\.name) == ["a", "b"] && directory.error == nil)
        #expect(TopologyDirectory(path: nil, logger: .init(label: "test")).services().isEmpty)
    }

    /// The example install.sh puts in /etc/vigil parses, with its objectives and groups.
    @Test func theExampleTopologyFileParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let config = try TopologyConfig.load(path: root + "/deploy/topology.example.yaml")
        #expect(config.links.count == 2 && config.groups.map(\.name) == ["edge", "stateful"])
        #expect(config.services.compactMap(\.objective).map(\.window) == [30 * Self.day, 7 * Self.day])
        #expect(config.services.first?.objective?.latency == .init(thresholdMs: 300, objective: 99))
    }

    @Test func sloBurnRulesOnServicesParse() throws {
        func parse(_ expr: String) throws -> [AlertRule] {
            try RuleFile.parse(yaml: "groups:\n  - name: g\n    rules:\n      - alert: A\n        kind: slo_burn\n        expr: \(expr)\n", path: "r.yaml").rules
        }
        let rule = try #require(try parse("{service: \"=~.+\", long_window: 6h, factor: 6}").first)
        guard case .sloBurn(let e) = rule.kind else { Issue.record("not slo_burn"); return }
        #expect(e.objective == nil && e.service != nil && e.shortWindow == 30 * Self.m)
        #expect(throws: RuleFileErrors.self) { try parse("{service: checkout, check: api}") }
        #expect(throws: RuleFileErrors.self) { try parse("{long_window: 1h}") }
    }
}

/// The engine's SLA records on a real store of each backend: daily rollups of finished days, violations recorded with
/// start, end and budget spent, an open one closed once the service recovers, and rollups written once.
@Suite struct SLAServiceTests {
    static let m: Int64 = 60_000
    static let day: Int64 = 86_400_000

    @Test(arguments: Backend.available) func theEngineRollsDaysUpAndRecordsViolations(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let today = SLADailyTally.dayStart(WallClock.nowMs())
        let now = today + 2 * 3_600_000 + 30 * Self.m
        var service = ServiceDefinition(name: "checkout")
        service.checks = ["checkout-http"]
        service.objective = ServiceObjective(availability: 99.9, window: 7 * Self.day)
        // Two days back to now, a result every 5 minutes; down 20 minutes yesterday at 12:00 and since 02:00 today.
        var checks: [CheckResult] = []
        for t in stride(from: today - 2 * Self.day, through: now, by: Int64.Stride(5 * Self.m)) {
            let down = (t >= today - Self.day / 2 && t < today - Self.day / 2 + 20 * Self.m) || t >= today + 2 * 3_600_000
            checks.append(ServiceSLATests.result(ts: t, ok: !down))
        }
        _ = try await store.ingest(IngestBatch(host: "web-1", checks: checks), receivedAt: now)
        let first = try await SLAService.update(store: store, services: [service], now: now)
        #expect(first.days == 2, "the finished days with results")
        #expect(first.opened == 1)
        let rollups = try await store.slaDaily(from: today - 7 * Self.day, to: today)
        #expect(rollups.map(\.day) == [today - 2 * Self.day, today - Self.day])
        #expect(rollups.last?.tally.downMs == 20 * Self.m && rollups.last?.fingerprint == service.sliFingerprint)
        var violations = try await store.slaViolations(from: now - 7 * Self.day, to: now + 1, limit: 10)
        #expect(violations.count == 2)
        #expect(violations[0].start == today + 2 * 3_600_000 && violations[0].end == nil)
        #expect(violations[1].start == today - Self.day / 2 && violations[1].end == today - Self.day / 2 + 20 * Self.m)
        // 20 minutes of a 7-day 99.9 % budget (10.08 minutes): 198 %.
        #expect(abs(violations[1].budgetSpent - 20.0 / 10.08) < 0.01, "\(violations[1].budgetSpent)")
        // It recovers; the next pass closes the open one and writes no rollup again.
        let later = now + 30 * Self.m
        let recovered = stride(from: now + 5 * Self.m, through: later, by: Int64.Stride(5 * Self.m)).map { ServiceSLATests.result(ts: $0) }
        _ = try await store.ingest(IngestBatch(host: "web-1", checks: recovered), receivedAt: later)
        let second = try await SLAService.update(store: store, services: [service], now: later)
        #expect(second.days == 0 && second.opened == 0)
        violations = try await store.slaViolations(from: now - 7 * Self.day, to: later + 1, limit: 10)
        #expect(violations.count == 2 && violations[0].end == now + 5 * Self.m, "\(violations)")
        // The measure uses the rollups for the days they cover.
        let sla = try await ServiceSLAReport.measure(store: store, services: [service], hostLabels: [:], now: later)
        #expect(sla.first?.rolledUpDays == 2 && sla.first?.violations.count == 2)
        // Days before the first result are unknown for the series the measure knows, whether or not rolled up.
        let coverage = try #require(sla.first?.budget.tally.coverage)
        #expect(abs(coverage - Double(later - (today - 2 * Self.day)) / Double(7 * Self.day)) < 0.01, "\(coverage)")
        #expect(sla.first?.budget.tally.downMs == 20 * Self.m + 35 * Self.m, "\(sla.first!.budget.tally)")
        // The daily report of the last day has the SLA table: the objective over its window, the day's violations.
        try "services:\n  - name: checkout\n    checks: [checkout-http]\n    slo: {availability: 99.9, window: 7d}\n"
            .write(toFile: dir.file("topology.yaml"), atomically: true, encoding: .utf8)
        let report = try await DailyReport.gather(store: store, from: later - Self.day, to: later, now: later, topology: dir.file("topology.yaml"))
        let line = try #require(report.sla.first)
        #expect(report.sla.count == 1 && line.service == "checkout" && line.violations == 2 && !line.ongoing, "\(report.sla)")
        #expect(line.budgetRemaining.map { $0 < 0 } == true && line.window == 7 * Self.day)
        // In range: the last 24 hours exactly (55 minutes down), not the whole UTC days they touch.
        #expect(abs((line.rangeAvailability ?? 0) - (1 - 55.0 / 1440)) < 1e-6, "\(String(describing: line.rangeAvailability))")
        #expect(report.text.contains("SLA  (services' objectives") && report.text.contains("  checkout  availability  99.9%"), "\(report.text)")
        #expect(report.json["sla"]?.arrayValue?.first?["violations"]?.numberValue == 2, "\(report.json.jsonText)")
        // Retention removes them with the rest after their age.
        #expect(try await store.deleteAged(.sla, before: today, limit: 100) == 2 + 1)
    }

    /// Days without results do not use up a run's days: a day with results 20 days back, under 19 empty days, is
    /// rolled up in the first run even at two days per run.
    @Test(arguments: Backend.available) func emptyDaysDoNotStarveOlderOnes(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let today = SLADailyTally.dayStart(WallClock.nowMs())
        var service = ServiceDefinition(name: "checkout")
        service.checks = ["checkout-http"]
        service.objective = ServiceObjective(availability: 99.9, window: 30 * Self.day)
        let day = today - 20 * Self.day
        let checks = stride(from: day, to: day + Self.day, by: Int64.Stride(5 * Self.m)).map { ServiceSLATests.result(ts: $0) }
        _ = try await store.ingest(IngestBatch(host: "web-1", checks: checks), receivedAt: day + Self.day)
        let written = try await SLAService.rollUp(store: store, services: [service], hostLabels: [:], now: today + 2 * 3_600_000, limit: 2)
        // That day, and the next: its last result stands for its interval's worth of the next day.
        #expect(written.written == 2 && written.tooLarge == 0)
        #expect(try await store.slaDaily(from: today - 30 * Self.day, to: today).map(\.day) == [day, day + Self.day])
    }

    /// A day holding more results than one read takes is rolled up an hour at a time, to the same tally; a day with an
    /// hour over the limit is not rolled up (and counted, for the warning), rather than rolled up from part of it.
    @Test func aDayOverTheResultLimitIsReadAnHourAtATime() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("v.db"))
        let today = SLADailyTally.dayStart(WallClock.nowMs())
        var service = ServiceDefinition(name: "checkout")
        service.checks = ["checkout-http"]
        service.objective = ServiceObjective(availability: 99.9, window: 7 * Self.day)
        let day = today - Self.day
        // Every 5 minutes, down 13:00–13:25.
        let checks = stride(from: day - Self.day, to: today, by: Int64.Stride(5 * Self.m)).map {
            ServiceSLATests.result(ts: $0, ok: !($0 >= day + 13 * 3_600_000 && $0 < day + 13 * 3_600_000 + 25 * Self.m))
        }
        _ = try await store.ingest(IngestBatch(host: "web-1", checks: checks), receivedAt: today)
        let whole = try #require(try await SLAService.dayTallies(store: store, day: day, services: [service], hostLabels: [:], resultLimit: 10_000))
        let hourly = try #require(try await SLAService.dayTallies(store: store, day: day, services: [service], hostLabels: [:], resultLimit: 100))
        // The day and the 10 minutes before it; each hour with the 10 minutes before it and its end (none at the last).
        #expect(whole.1 == 290 && hourly.1 == 24 * 15 - 1, "\(whole.1) \(hourly.1)")
        let key = SLAService.key(service, .availability)
        #expect(whole.0[key] == AvailabilityTally(upMs: Self.day - 25 * Self.m, downMs: 25 * Self.m))
        #expect(hourly.0[key] == whole.0[key])
        #expect(try await SLAService.dayTallies(store: store, day: day, services: [service], hostLabels: [:], resultLimit: 10) == nil)
        let run = try await SLAService.rollUp(store: store, services: [service], hostLabels: [:], now: today + 2 * 3_600_000, limit: 7, resultLimit: 10)
        #expect(run.written == 0 && run.tooLarge == 2)
        #expect(try await store.slaDaily(from: today - 7 * Self.day, to: today).isEmpty)
    }

    /// A violation that outlasts the objective's window stays one violation under its start, still going on.
    @Test(arguments: Backend.available) func aViolationLongerThanTheWindowKeepsItsStart(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let start = WallClock.nowMs() - 40 * 3_600_000
        var service = ServiceDefinition(name: "checkout")
        service.checks = ["checkout-http"]
        service.objective = ServiceObjective(availability: 99, window: Self.day)
        // Passing for an hour, then failing every 5 minutes from then on.
        let checks = stride(from: start, through: start + 40 * 3_600_000, by: Int64.Stride(5 * Self.m)).map {
            ServiceSLATests.result(ts: $0, ok: $0 < start + 3_600_000)
        }
        _ = try await store.ingest(IngestBatch(host: "web-1", checks: checks), receivedAt: start + 40 * 3_600_000)
        try await SLAService.update(store: store, services: [service], now: start + 20 * 3_600_000)
        try await SLAService.update(store: store, services: [service], now: start + 40 * 3_600_000)
        let all = try await store.slaViolations(from: start, to: start + 41 * 3_600_000, limit: 10)
        #expect(all.count == 1 && all.first?.start == start + 3_600_000 && all.first?.end == nil, "\(all)")
        #expect((all.first?.budgetSpent ?? 0) > 1, "a day's 1 % budget is spent many times over")
    }
}
