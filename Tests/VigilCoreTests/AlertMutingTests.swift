import Foundation
import Testing
@testable import VigilCore
import VigilWire

@Suite struct AlertMutingTests {
    static func utc(_ text: String) -> Int64 {
        Int64(try! Date(text, strategy: .iso8601).timeIntervalSince1970 * 1000)
    }

    @Test func maintenanceWindowsRecurOnTheirDays() throws {
        let sun = MaintenanceWindow(name: "backups", matchers: [], weekdays: [0], startMinute: 2 * 60, durationMs: 2 * 3_600_000)
        #expect(sun.isOpen(at: Self.utc("2026-11-29T02:30:00Z")))
        #expect(!sun.isOpen(at: Self.utc("2026-11-29T04:30:00Z")))
        #expect(!sun.isOpen(at: Self.utc("2026-11-30T02:30:00Z")), "Monday")
        #expect(sun.isOpen(at: Self.utc("2026-12-06T03:59:00Z")), "the next Sunday")
        let overnight = MaintenanceWindow(name: "patching", matchers: [], weekdays: [6], startMinute: 23 * 60, durationMs: 2 * 3_600_000)
        #expect(overnight.isOpen(at: Self.utc("2026-11-29T00:30:00Z")), "Saturday 23:00 + 2h covers Sunday 00:30")
        #expect(!overnight.isOpen(at: Self.utc("2026-11-29T01:30:00Z")))
    }

    @Test func inhibitionSilenceAndMaintenanceEachMute() throws {
        let now = Self.utc("2026-11-29T02:30:00Z")
        let inhibit = InhibitRule(source: [try LabelMatcher.parse("alertname=HostStale").get()],
                                  target: [try LabelMatcher.parse("alertname!=HostStale").get()], equal: ["host"])
        let firing = [(name: "HostStale", labels: ["host": "web-1"], fingerprint: "a")]
        func why(_ name: String, _ labels: [String: String], silences: [Silence] = [], windows: [MaintenanceWindow] = []) -> String? {
            AlertMuting.mutedBy(alertName: name, labels: labels, at: now, silences: silences, windows: windows, inhibitions: [inhibit],
                                firing: firing, fingerprint: "x")
        }
        #expect(why("HighCPU", ["host": "web-1"]) == "inhibited by HostStale on web-1")
        #expect(why("HighCPU", ["host": "web-2"]) == nil, "equal: [host] must agree")
        #expect(why("HostStale", ["host": "web-1"]) == nil, "the target matcher excludes the source alert")
        let silence = Silence(id: "sil_1", matchers: [try LabelMatcher.parse("host=web-2").get()], startsAt: now - 1, endsAt: now + 1000,
                              createdBy: "a", comment: "", createdAt: now)
        #expect(why("HighCPU", ["host": "web-2"], silences: [silence]) == "silence sil_1")
        let window = MaintenanceWindow(name: "backups", matchers: [try LabelMatcher.parse("role=db").get()], weekdays: [0],
                                       startMinute: 120, durationMs: 7_200_000)
        #expect(why("DiskSpaceLow", ["host": "db-1", "role": "db"], windows: [window]) == "maintenance backups")
        #expect(why("DiskSpaceLow", ["host": "db-1", "role": "web"], windows: [window]) == nil)
    }

    /// The index gives what comparing every alert with every firing alert gives (the definition), on a fleet of
    /// alerts with several rules, missing `equal` labels and alerts that match their own rule's source.
    @Test func indexedInhibitionAgreesWithTheDefinition() throws {
        let rules = [
            InhibitRule(source: [try LabelMatcher.parse("alertname=HostStale").get()],
                        target: [try LabelMatcher.parse("alertname!=HostStale").get()], equal: ["host"]),
            InhibitRule(source: [try LabelMatcher.parse("severity=critical").get()],
                        target: [try LabelMatcher.parse("severity=~warning|info").get()], equal: ["host", "mount"]),
            InhibitRule(source: [try LabelMatcher.parse("alertname=~Disk.*").get()], target: [], equal: ["mount"]),
        ]
        let names = ["HostStale", "DiskFull", "DiskSlow", "HighCPU"]
        let severities = ["critical", "warning", "info"]
        var alerts: [(name: String, labels: [String: String], fingerprint: String)] = []
        for i in 0..<300 {
            var labels = ["host": "h\(i % 17)", "severity": severities[i % 3]]
            if i % 4 != 0 { labels["mount"] = "/m\(i % 5)" }
            alerts.append((name: names[i % 4], labels: labels, fingerprint: "f\(i)"))
        }
        let firing = alerts.enumerated().filter { $0.offset % 3 != 1 }.map(\.element)
        func definition(_ a: (name: String, labels: [String: String], fingerprint: String)) -> String? {
            for rule in rules where InhibitRule.matches(rule.target, name: a.name, labels: a.labels) {
                for source in firing where source.fingerprint != a.fingerprint && InhibitRule.matches(rule.source, name: source.name, labels: source.labels) {
                    if rule.equal.allSatisfy({ source.labels[$0] == a.labels[$0] }) {
                        return "inhibited by \(source.name)" + (source.labels["host"].map { " on \($0)" } ?? "")
                    }
                }
            }
            return nil
        }
        let index = Inhibitors(rules: rules, firing: firing)
        var muted = 0
        for a in alerts {
            let got = index.inhibitor(of: a.fingerprint, alertName: a.name, labels: a.labels)
            #expect(got == definition(a), "\(a)")
            if got != nil { muted += 1 }
        }
        #expect(muted > 50 && muted < 300, "the fixture exercises both outcomes: \(muted)")
    }

    @Test func ruleFilesCarryInhibitionsAndWindows() throws {
        let file = try RuleFile.parse(yaml: """
            inhibit_rules:
              - source_match: {alertname: HostStale}
                target_match: {alertname: "!=HostStale"}
                equal: [host]
            maintenance:
              - name: db-backups
                match: {role: db}
                days: [sun, wed]
                start: "02:00"
                duration: 2h
            """, path: "m.yaml")
        #expect(file.inhibitRules.count == 1 && file.inhibitRules[0].equal == ["host"])
        #expect(file.maintenance.first?.weekdays == [0, 3] && file.maintenance.first?.startMinute == 120)
        #expect(file.maintenance.first?.durationMs == 7_200_000)
        #expect(throws: RuleFileErrors.self) {
            try RuleFile.parse(yaml: "maintenance:\n  - name: x\n    match: {role: db}\n    days: [someday]\n    start: \"25:00\"\n    duration: 1h\n", path: "bad.yaml")
        }
        do {
            _ = try RuleFile.parse(yaml: "maintenance:\n  - name: x\n    match: {role: db}\n    days: [someday]\n    start: \"25:00\"\n    duration: 1h\n", path: "bad.yaml")
        } catch {
            #expect(error.errors.map(\.description) == ["bad.yaml:4:12: unknown weekday 'someday' (expected sun, mon, tue, wed, thu, fri, sat or daily)",
                                                        "bad.yaml:5:12: bad start time '25:00' (expected HH:MM in UTC, quoted, e.g. \"02:00\")"])
        }
        let defaults = try RuleFile.load(path: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("rules/default.yaml").path)
        #expect(defaults.inhibitRules.count == 1, "HostStale inhibits the other alerts of its host")
    }

    @Test func theEngineMarksMutedAlerts() async throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("rules"), withIntermediateDirectories: true)
        // A daily window open right now (started 10 minutes ago, UTC).
        let now = WallClock.nowMs()
        let minute = Int((now / 60_000) % 1440)
        let start = (minute - 10 + 1440) % 1440
        try """
            groups:
              - name: t
                rules:
                  - alert: Hot
                    kind: threshold
                    expr: {metric: temp, op: ">", threshold: 50}
            maintenance:
              - name: nightly
                match: {host: "=~db-.*"}
                days: daily
                start: "\(String(format: "%02d:%02d", start / 60, start % 60))"
                duration: 1h
            """.write(toFile: dir.file("rules/t.yaml"), atomically: true, encoding: .utf8)
        let e = try await RunningEngine.start(ruleDirectories: [dir.file("rules")], tickMs: 200)
        let (_, secret) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: now, actor: "t")
        for host in ["db-1", "web-1", "web-2"] {
            let r = try await e.post(Array(IngestBatch(host: host, samples: [Sample(name: "temp", value: 80, ts: WallClock.nowMs())]).json().utf8), token: secret)
            #expect(r.status == 200)
        }
        _ = try await e.store.createSilence(matchers: [try LabelMatcher.parse("host=web-2").get()], startsAt: now - 1, endsAt: now + 600_000,
                                            comment: "", actor: "t", now: now)
        let done = await eventually(5) {
            let a = (try? await e.store.alerts(states: ["firing"], limit: 10)) ?? []
            return a.count == 3 && a.first { $0.labels["host"] == "web-2" }?.mutedBy != nil
        }
        #expect(done)
        let alerts = Dictionary(uniqueKeysWithValues: try await e.store.alerts(states: ["firing"], limit: 10).map { ($0.labels["host"]!, $0) })
        #expect(alerts["db-1"]?.mutedBy == "maintenance nightly")
        #expect(alerts["web-1"]?.mutedBy == nil)
        #expect(alerts["web-2"]?.mutedBy?.hasPrefix("silence sil_") == true)
        await e.stop()
    }
}
