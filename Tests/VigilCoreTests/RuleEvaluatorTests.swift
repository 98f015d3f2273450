import Testing
@testable import VigilCore
import VigilWire

/// Each rule kind over hand-built points, results, lines and scores.
struct RuleEvaluatorTests {
    let now: Int64 = 1_800_000_000_000
    let minute: Int64 = 60_000
    let hour: Int64 = 3_600_000

    private func rule(_ kind: RuleKind) -> AlertRule {
        AlertRule(name: "R", kind: kind)
    }

    private func rule(_ name: String, _ kind: RuleKind, labels: [String: String] = [:]) -> AlertRule {
        AlertRule(name: name, kind: kind, labels: labels)
    }

    private func m(_ label: String, _ text: String) throws -> LabelMatcher {
        LabelMatcher(label: label, matcher: try StringMatcher.parse(text).get())
    }

    /// Points at `now - minutesAgo`.
    private func points(_ pairs: [(minutesAgo: Int64, value: Double)]) -> [SeriesPoint] {
        pairs.map { SeriesPoint(ts: now - $0.minutesAgo * minute, value: $0.value) }
    }

    @Test func templatedRuleLabelsUseTheSeriesAndTheValue() {
        let key = SeriesKey(host: "db-1", name: "disk.used_percent", labels: ["mount": "/data"])
        let e = RuleKind.Threshold(metric: "disk.used_percent", aggregation: .last, window: 5 * minute, op: .greater, threshold: 85)
        let r = rule("Disk", .threshold(e), labels: ["volume": "{{ $labels.host }}:{{ $labels.mount }}",
                                                   "tier": "{{ if gt $value 95.0 }}page{{ else }}ticket{{ end }}", "team": "storage"])
        let found = RuleEvaluator.threshold(r, e, points: [key: points([(0, 97)])], hostLabels: [:], now: now)
        #expect(found.first?.labels == ["host": "db-1", "mount": "/data", "volume": "db-1:/data", "tier": "page", "team": "storage"])
        let lower = RuleEvaluator.threshold(r, e, points: [key: points([(0, 90)])], hostLabels: [:], now: now)
        #expect(lower.first?.labels["tier"] == "ticket")
    }

    @Test func thresholdAggregatesOnlyTheWindow() {
        let key = SeriesKey(host: "web-1", name: "cpu.usage_percent")
        // 20 min ago (outside the 5 m window) and in the future: ignored. Inside: 95, 85, 92 → avg 90.67, max 95, min 85, last 92.
        let series = points([(20, 10), (4, 95), (3, 85), (0, 92), (-1, 0)])
        func run(_ agg: Aggregation, _ op: ComparisonOp, _ threshold: Double) -> [Double] {
            let e = RuleKind.Threshold(metric: "cpu.usage_percent", aggregation: agg, window: 5 * minute, op: op, threshold: threshold)
            return RuleEvaluator.threshold(rule(.threshold(e)), e, points: [key: series], hostLabels: [:], now: now).map(\.value)
        }
        let average: Double = (95.0 + 85 + 92) / 3
        #expect(run(.avg, .greater, 90) == [average])
        #expect(run(.avg, .greater, 91) == [])
        #expect(run(.max, .greaterOrEqual, 95) == [95])
        #expect(run(.min, .less, 86) == [85])
        #expect(run(.last, .equal, 92) == [92])
        #expect(run(.last, .notEqual, 92) == [])
        // A NaN point does not poison the average.
        let withNaN = [key: series + [SeriesPoint(ts: now - minute, value: .nan)]]
        let e = RuleKind.Threshold(metric: "cpu.usage_percent", aggregation: .avg, window: 5 * minute, op: .greater, threshold: 90)
        #expect(RuleEvaluator.threshold(rule(.threshold(e)), e, points: withNaN, hostLabels: [:], now: now).count == 1)
    }

    @Test func thresholdMatchersLabelsAndFingerprints() throws {
        let root1 = SeriesKey(host: "web-1", name: "disk.used_percent", labels: ["mount": "/"])
        let data1 = SeriesKey(host: "web-1", name: "disk.used_percent", labels: ["mount": "/data"])
        let root2 = SeriesKey(host: "web-2", name: "disk.used_percent", labels: ["mount": "/"])
        let db = SeriesKey(host: "db-1", name: "disk.used_percent", labels: ["mount": "/"])
        let other = SeriesKey(host: "web-1", name: "mem.used_percent")
        let full = points([(1, 97)])
        let all = [root1: full, data1: full, root2: full, db: full, other: full]
        let hostLabels = ["web-1": ["env": "prod"], "web-2": ["env": "staging"], "db-1": ["env": "prod", "team": "dba"]]
        let e = RuleKind.Threshold(metric: "disk.used_percent", matchers: [try m("host", "=~web-.*|db-1"), try m("env", "prod"), try m("team", "!=dba")],
                                   op: .greater, threshold: 95)
        let r = rule("DiskFull", .threshold(e), labels: ["team": "infra", "mount": "overridden"])
        let found = RuleEvaluator.threshold(r, e, points: all, hostLabels: hostLabels, now: now)
        // web-2 is staging, db-1's team is dba, mem is another metric: only web-1's two mounts.
        #expect(found.count == 2)
        for instance in found {
            #expect(instance.alertName == "DiskFull" && instance.severity == .warning && instance.value == 97)
            #expect(instance.labels == ["host": "web-1", "mount": "overridden", "team": "infra"])
        }
        // Rule labels win over series labels, so both mounts collapse into the same identity here…
        #expect(found[0].fingerprint == found[1].fingerprint)
        // …and without that override they differ.
        let plain = RuleEvaluator.threshold(rule("DiskFull", .threshold(e)), e, points: all, hostLabels: hostLabels, now: now)
        #expect(Set(plain.map(\.fingerprint)).count == 2)
        let mounts: [String] = plain.compactMap { $0.labels["mount"] }.sorted()
        #expect(mounts == ["/", "/data"])
    }

    @Test func fingerprintIsSHA256OfNameAndSortedLabels() {
        let labels = ["mount": "/", "host": "web-1"]
        let expected = SHA256.hash(Array("DiskFull\u{0}host\u{1}web-1\u{0}mount\u{1}/\u{0}".utf8)).hexString.prefix(16)
        #expect(AlertFingerprint.make(alertName: "DiskFull", labels: labels) == String(expected))
        #expect(AlertFingerprint.make(alertName: "DiskFull", labels: labels).count == 16)
        #expect(AlertFingerprint.make(alertName: "DiskFull", labels: labels) != AlertFingerprint.make(alertName: "DiskFull2", labels: labels))
        // Separators keep "a"="bc" and "ab"="c" apart.
        #expect(AlertFingerprint.make(alertName: "X", labels: ["a": "bc"]) != AlertFingerprint.make(alertName: "X", labels: ["ab": "c"]))
    }

    @Test func thresholdPerCPU() {
        let a = SeriesKey(host: "a", name: "load.5")
        let b = SeriesKey(host: "b", name: "load.5")
        let c = SeriesKey(host: "c", name: "load.5")
        let e = RuleKind.Threshold(metric: "load.5", op: .greater, threshold: 2, perCPU: true)
        let found = RuleEvaluator.threshold(rule(.threshold(e)), e, points: [a: points([(1, 9)]), b: points([(1, 9)]), c: points([(1, 9)])],
                                            hostLabels: [:], hostCPUs: ["a": 4, "b": 8], now: now)
        // a: 9/4 = 2.25 > 2; b: 9/8 below; c: CPU count unknown, skipped.
        #expect(found.map(\.labels["host"]) == ["a"])
        #expect(found.map(\.value) == [2.25])
    }

    @Test func linearFitIsLeastSquares() throws {
        let fit = try #require(LinearFit([SeriesPoint(ts: 10_000, value: 1), SeriesPoint(ts: 11_000, value: 3.5),
                                          SeriesPoint(ts: 12_000, value: 4.5), SeriesPoint(ts: 13_000, value: 7)]))
        // Centred: dt = −1.5, −0.5, 0.5, 1.5 s; dy = −3, −0.5, 0.5, 3 → slope 9.5 / 5 = 1.9 per second.
        #expect(abs(fit.slope - 0.0019) < 1e-12)
        #expect(abs(fit.value(at: 11_500) - 4) < 1e-9)
        #expect(abs(try #require(fit.time(reaching: 4 + 1.9)) - 12_500) < 1e-6)
        #expect(LinearFit([SeriesPoint(ts: 1, value: 1)]) == nil)
        #expect(LinearFit([SeriesPoint(ts: 1, value: 1), SeriesPoint(ts: 1, value: 2)]) == nil)
        #expect(LinearFit([SeriesPoint(ts: 1, value: 5), SeriesPoint(ts: 9, value: 5)])?.time(reaching: 6) == nil)
    }

    @Test func forecastDiskFullWithinFourHours() {
        let key = SeriesKey(host: "db-1", name: "disk.used_percent", labels: ["mount": "/var"])
        // Every 30 min over the last 6 h, rising 2 %/h: 80 % six hours ago, 92 % now → 100 % in exactly 4 h.
        let rising = (0...12).map { i in SeriesPoint(ts: now - 6 * hour + Int64(i) * 30 * minute, value: 80 + Double(i)) }
        func run(_ series: [SeriesPoint], within: Int64, minPoints: Int = 3, op: ComparisonOp = .greaterOrEqual, threshold: Double = 100) -> [Double] {
            let e = RuleKind.Forecast(metric: "disk.used_percent", window: 6 * hour + 1, op: op, threshold: threshold, within: within, minPoints: minPoints)
            return RuleEvaluator.forecast(rule(.forecast(e)), e, points: [key: series], hostLabels: [:], now: now).map(\.value)
        }
        let at4h = run(rising, within: 4 * hour + minute)
        #expect(at4h.count == 1)
        #expect(abs((at4h.first ?? 0) - 4 * 3600) < 1e-6, "value: seconds until full")
        #expect(run(rising, within: 3 * hour) == [], "reaches 98 % in 3 h: no breach")
        #expect(run(rising, within: 4 * hour, minPoints: 14) == [], "too few points")

        // Noise around the line (±1, alternating) still forecasts about 4 h.
        let noisy = rising.enumerated().map { i, p in SeriesPoint(ts: p.ts, value: p.value + (i % 2 == 0 ? 1 : -1)) }
        let noisyValue = run(noisy, within: 5 * hour)
        #expect(noisyValue.count == 1 && abs((noisyValue.first ?? 0) - 4 * 3600) < 600)

        // Shrinking usage never fills; already past the threshold breaches with 0 s.
        let falling = rising.map { SeriesPoint(ts: $0.ts, value: 160 - $0.value) }  // 80 % → 68 %
        #expect(run(falling, within: 48 * hour) == [])
        #expect(run(rising, within: hour, threshold: 90) == [0])

        // "Runs out": available memory falling 1 GB/h from 5 GB reaches 0 in 5 h.
        let memory = (0...6).map { i in SeriesPoint(ts: now - Int64(6 - i) * hour, value: Double(11 - i) * 1e9) }
        let out = run(memory, within: 6 * hour, op: .lessOrEqual, threshold: 0)
        #expect(out.count == 1 && abs((out.first ?? 0) - 5 * 3600) < 1e-2)
    }

    @Test func rateOfChangePerSecond() {
        let key = SeriesKey(host: "web-1", name: "disk.used_percent", labels: ["mount": "/"])
        // +6 over 5 min = 0.02 per second; the point 20 min ago is outside the window.
        let series = points([(20, 0), (5, 50), (3, 53), (0, 56)])
        let e = RuleKind.Rate(metric: "disk.used_percent", window: 6 * minute, op: .greater, threshold: 0.01)
        let found = RuleEvaluator.rate(rule(.rate(e)), e, points: [key: series], hostLabels: [:], now: now)
        #expect(found.count == 1 && abs((found.first?.value ?? 0) - 0.02) < 1e-12)
        let slower = RuleKind.Rate(metric: "disk.used_percent", window: 6 * minute, op: .greater, threshold: 0.03)
        #expect(RuleEvaluator.rate(rule(.rate(slower)), slower, points: [key: series], hostLabels: [:], now: now).isEmpty)
        #expect(RuleEvaluator.rate(rule(.rate(e)), e, points: [key: points([(1, 5)])], hostLabels: [:], now: now).isEmpty, "one point: no rate")
    }

    @Test func hostStaleAndSeriesAbsent() throws {
        let stale = RuleKind.HostStale(matchers: [try m("env", "prod")], after: minute)
        let lastSeen: [String: Int64] = ["web-1": now - 30_000, "web-2": now - 90_000, "lab-1": now - 3 * hour, "web-3": now - minute]
        let labels = ["web-1": ["env": "prod"], "web-2": ["env": "prod"], "lab-1": ["env": "lab"], "web-3": ["env": "prod"]]
        let found = RuleEvaluator.hostStale(rule(.hostStale(stale)), stale, lastSeen: lastSeen, hostLabels: labels, now: now)
        // web-3 is exactly at the limit (not older), lab-1 is filtered out.
        #expect(found.map(\.labels) == [["host": "web-2"]])
        #expect(found.map(\.value) == [90])

        let absent = RuleKind.SeriesAbsent(metric: "disk.used_percent", matchers: [try m("mount", "=~/data.*")], after: 5 * minute)
        let seen: [SeriesKey: Int64] = [
            SeriesKey(host: "a", name: "disk.used_percent", labels: ["mount": "/data"]): now - 10 * minute,
            SeriesKey(host: "a", name: "disk.used_percent", labels: ["mount": "/data2"]): now - minute,
            SeriesKey(host: "a", name: "disk.used_percent", labels: ["mount": "/"]): now - hour,
        ]
        let gone = RuleEvaluator.seriesAbsent(rule(.seriesAbsent(absent)), absent, lastSeen: seen, hostLabels: [:], now: now)
        #expect(gone.map(\.labels) == [["host": "a", "mount": "/data"]])
        #expect(gone.map(\.value) == [600])
    }

    @Test func checkFailedCountsNewestConsecutiveFailures() throws {
        func r(_ name: String, _ ok: Bool, _ secondsAgo: Int64, _ kind: CheckKind = .http) -> CheckResult {
            CheckResult(name: name, kind: kind, target: "x", ok: ok, latencyMs: 1, ts: now - secondsAgo * 1000)
        }
        let results: [String: [CheckResult]] = [
            // Out of order on purpose: newest three of api failed, the one before passed.
            "web-1": [r("api", false, 10), r("api", true, 40), r("api", false, 30), r("api", false, 20),
                      // Two failures after a success: not enough.
                      r("home", true, 30), r("home", false, 20), r("home", false, 10),
                      // Same name, another kind: its own check.
                      r("api", false, 10, .tcp)],
            "web-2": [r("api", false, 10), r("api", false, 20), r("api", false, 30)],
        ]
        let e = RuleKind.CheckFailed(check: try StringMatcher.parse("=~api|home").get(), checkKind: .http, matchers: [try m("host", "web-1")], consecutive: 3)
        let found = RuleEvaluator.checkFailed(rule("CheckDown", .checkFailed(e)), e, results: results, hostLabels: [:])
        #expect(found.map(\.labels) == [["host": "web-1", "check": "api", "check_kind": "http"]])
        #expect(found.map(\.value) == [3])

        let anyCheck = RuleKind.CheckFailed(consecutive: 1)
        let all = RuleEvaluator.checkFailed(rule(.checkFailed(anyCheck)), anyCheck, results: results, hostLabels: [:])
        #expect(Set(all.map { "\($0.labels["host"]!)/\($0.labels["check"]!)/\($0.labels["check_kind"]!)=\(Int($0.value))" })
                == ["web-1/api/http=3", "web-1/home/http=2", "web-1/api/tcp=1", "web-2/api/http=3"])
        let recovered: [String: [CheckResult]] = ["web-1": [r("api", false, 20), r("api", true, 10)]]
        #expect(RuleEvaluator.checkFailed(rule(.checkFailed(anyCheck)), anyCheck, results: recovered, hostLabels: [:]).isEmpty)
    }

    @Test func logMatchCountsLevelSourceTextAndWindow() throws {
        func line(_ secondsAgo: Int64, _ level: LogLevel, _ message: String, source: String = "/var/log/app.log") -> LogEntry {
            LogEntry(ts: now - secondsAgo * 1000, source: source, level: level, message: message)
        }
        let entries: [String: [LogEntry]] = [
            "web-1": [line(10, .error, "payment failed"), line(20, .critical, "db down"), line(30, .warning, "slow"),
                      line(400, .error, "too old"), line(5, .error, "other file", source: "/var/log/syslog")],
            "web-2": [line(10, .info, "fine")],
        ]
        let burst = RuleKind.LogMatch(pattern: .any, minLevel: .error, source: try StringMatcher.parse("=~/var/log/app.*").get(),
                                      window: 5 * minute, minCount: 2)
        let counts = RuleEvaluator.countLogMatches(burst, entries: entries, now: now)
        #expect(counts == ["web-1": 2])
        let found = RuleEvaluator.logMatch(rule(.logMatch(burst)), burst, counts: counts, hostLabels: [:])
        #expect(found.map(\.labels) == [["host": "web-1"]] && found.map(\.value) == [2])
        let three = RuleKind.LogMatch(pattern: .any, minLevel: .error, window: 5 * minute, minCount: 3)
        #expect(RuleEvaluator.logMatch(rule(.logMatch(three)), three, counts: counts, hostLabels: [:]).isEmpty)

        let regex = RuleKind.LogMatch(pattern: .regex(try #require(RegexPattern("(?i)DB DOWN|payment", anchored: false))), window: 5 * minute)
        #expect(RuleEvaluator.countLogMatches(regex, entries: entries, now: now) == ["web-1": 2])
        let keyword = RuleKind.LogMatch(pattern: .contains("Fine"), window: 5 * minute)
        #expect(RuleEvaluator.countLogMatches(keyword, entries: entries, now: now).isEmpty, "contains is case-sensitive")
    }

    @Test func anomalyScoresAndDispatchThroughEvaluate() throws {
        let cpu = SeriesKey(host: "web-1", name: "cpu.usage_percent")
        let mem = SeriesKey(host: "web-1", name: "mem.used_percent")
        let e = RuleKind.Anomaly(metric: "cpu.usage_percent", minScore: 0.8)
        let r = AlertRule(name: "Odd", severity: .info, kind: .anomaly(e))
        var input = RuleInput(anomalyScores: [cpu: 0.93, mem: 0.99])
        #expect(RuleEvaluator.evaluate(r, input: input, now: now).map(\.value) == [0.93])
        input.anomalyScores[cpu] = 0.5
        #expect(RuleEvaluator.evaluate(r, input: input, now: now).isEmpty)

        // Without a metric: every scored series, its metric a label that `match:` sees too.
        let disk = SeriesKey(host: "db-1", name: "disk.used_percent", labels: ["mount": "/"])
        let any = RuleKind.Anomaly(metric: nil, matchers: [LabelMatcher(label: "metric", matcher: try StringMatcher.parse("!~disk\\..*").get())],
                                   minScore: 0.9)
        let all = RuleEvaluator.evaluate(AlertRule(name: "Any", severity: .info, kind: .anomaly(any)),
                                         input: RuleInput(anomalyScores: [cpu: 0.93, mem: 0.99, disk: 0.97]), now: now)
        #expect(all.map(\.labels) == [["host": "web-1", "metric": "cpu.usage_percent"], ["host": "web-1", "metric": "mem.used_percent"]],
                "the disk is left out: \(all.map(\.labels))")

        let stale = AlertRule(name: "Stale", severity: .critical, kind: .hostStale(.init(after: minute)))
        let found = RuleEvaluator.evaluate(stale, input: RuleInput(hostLastSeen: ["a": now - hour, "b": now]), now: now)
        #expect(found.map(\.labels) == [["host": "a"]] && found.first?.severity == .critical)
    }
}
