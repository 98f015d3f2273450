import Foundation
import Testing
import VigilHTTP
import VigilTestSupport
@testable import VigilCore
import VigilWire

/// On-call schedules (rotations, layers, overrides, daylight saving) and escalation through a running engine.
@Suite struct OnCallTests {
    static func config(_ yaml: String) throws -> NotifyConfig { try NotifyConfig.parse(yaml: yaml, path: "notify.yaml") }

    static func ms(_ text: String, _ zone: String) -> Int64 {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: zone)
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return Int64(f.date(from: text)!.timeIntervalSince1970 * 1000)
    }

    static let schedules = """
        channels:
          - {name: ops, kind: webhook, url: "http://127.0.0.1:1/ops"}
          - {name: phone, kind: dingtalk, url: "http://127.0.0.1:1/robot"}
        route: {receiver: ops}
        oncall:
          time_zone: Asia/Shanghai
          contacts:
            alice: {channel: phone, mention: "13800000001"}
            bob: {channel: phone, mention: "13800000002"}
            carol: {channel: ops}
          schedules:
            - name: primary
              layers:
                - {rotation: weekly, handoff: "mon 09:00", start: "2026-11-30", users: [alice, bob, carol]}
                - {rotation: daily, handoff: "09:00", start: "2026-11-30", users: [dave], hours: "09:00-18:00", days: [sat, sun]}
              overrides:
                - {user: alice, from: "2026-12-08 18:00", to: "2026-12-08 22:00"}
            - name: berlin
              time_zone: Europe/Berlin
              layers:
                - {rotation: daily, handoff: "08:00", start: "2026-03-27", users: [erik, frida]}
        """

    @Test func rotationsLayersAndOverrides() throws {
        let c = try Self.config(Self.schedules)
        let p = try #require(c.schedule(named: "primary"))
        let z = "Asia/Shanghai"
        #expect(p.onCall(at: Self.ms("2026-11-30 08:59", z)) == nil, "before the first hand-over")
        #expect(p.onCall(at: Self.ms("2026-11-30 09:00", z)) == "alice")
        #expect(p.onCall(at: Self.ms("2026-12-07 08:59", z)) == "alice")
        #expect(p.onCall(at: Self.ms("2026-12-07 09:00", z)) == "bob")
        #expect(p.next(after: Self.ms("2026-12-07 09:00", z)) == "carol")
        #expect(p.onCall(at: Self.ms("2026-12-21 10:00", z)) == "alice", "the rotation wraps")
        // Alice covers Bob on Tuesday 18:00-22:00.
        #expect(p.onCall(at: Self.ms("2026-12-08 17:59", z)) == "bob")
        #expect(p.onCall(at: Self.ms("2026-12-08 18:00", z)) == "alice")
        #expect(p.onCall(at: Self.ms("2026-12-08 22:00", z)) == "bob")
        // The weekend business-hours layer sits above the weekly one.
        #expect(p.onCall(at: Self.ms("2026-12-12 10:00", z)) == "dave")
        #expect(p.onCall(at: Self.ms("2026-12-12 19:00", z)) == "bob")
        #expect(p.nextHandoff(after: Self.ms("2026-12-09 12:00", z)) == Self.ms("2026-12-14 09:00", z))
        // Daylight saving (Berlin, 29 March 2026): the 08:00 hand-over stays at 08:00 local time.
        let b = try #require(c.schedule(named: "berlin"))
        #expect(b.onCall(at: Self.ms("2026-03-28 07:59", "Europe/Berlin")) == "erik")
        #expect(b.onCall(at: Self.ms("2026-03-28 08:00", "Europe/Berlin")) == "frida")
        #expect(b.onCall(at: Self.ms("2026-03-30 07:59", "Europe/Berlin")) == "erik")
        #expect(b.onCall(at: Self.ms("2026-03-30 08:00", "Europe/Berlin")) == "frida")
        // Targets resolve to the person's channel and mention.
        #expect(c.recipient("oncall:primary", at: Self.ms("2026-12-07 10:00", z)) == .init(channel: "phone", person: "bob", mention: "13800000002"))
        #expect(c.recipient("oncall:primary:next", at: Self.ms("2026-12-07 10:00", z)) == .init(channel: "ops", person: "carol", mention: nil))
        #expect(c.recipient("ops", at: 0) == .init(channel: "ops"))
    }

    @Test func scheduleAndEscalationErrors() {
        do {
            _ = try Self.config("""
                channels: [{name: ops, kind: webhook, url: "http://x"}]
                route: {receiver: ops}
                oncall:
                  contacts: {alice: {channel: pager}}
                  schedules:
                    - name: p
                      layers: [{rotation: hourly, handoff: "mon 9", start: "next week", users: []}]
                escalations:
                  - name: e
                    steps: [{after: 5m, notify: [oncall:nope]}, {after: 1m, notify: [ops]}]
                """)
            Issue.record("expected errors")
        } catch {
            let messages = (error as? RuleFileErrors)?.errors.map(\.message) ?? []
            #expect(messages.contains("no channel named 'pager' (channels: ops)"))
            #expect(messages.contains("expected daily or weekly for 'rotation', found 'hourly'"))
            #expect(messages.contains("expected a date (2026-12-08) or a date and time (2026-12-08 18:00), found 'next week'"))
            #expect(messages.contains("'oncall:nope' is not a channel, a schedule (oncall:NAME, oncall:NAME:next) or a person with a contact (user:NAME)"))
            #expect(messages.contains("steps must come in the order of their 'after'"))
        }
    }

    @Test func anUnacknowledgedCriticalAlertEscalatesUntilAcked() async throws {
        let ops = try RecordingHTTPServer()
        let phone = try RecordingHTTPServer()
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("rules"), withIntermediateDirectories: true)
        // A 10-minute window: the one sample stays over the threshold however slowly a sanitizer run gets to the checks.
        try NotificationEngineTests.rules(window: "10m").write(toFile: dir.file("rules/test.yaml"), atomically: true, encoding: .utf8)
        let config = try Self.config("""
            channels:
              - {name: ops, kind: webhook, url: "\(ops.url)/ops"}
              - {name: phone, kind: dingtalk, url: "\(phone.url)/robot"}
            route: {receiver: ops, group_wait: 0s}
            oncall:
              contacts: {alice: {channel: phone, mention: "13800000001"}}
              schedules:
                - name: primary
                  layers: [{rotation: daily, handoff: "00:00", start: "2020-01-01", users: [alice]}]
            escalations:
              - name: critical
                match: {severity: critical}
                steps:
                  - {after: 1s, notify: [oncall:primary]}
                  - {after: \(Int(8 * TestTime.scale))s, notify: [ops]}
            """)
        let e = try await RunningEngine.start(ruleDirectories: [dir.file("rules")], tickMs: 200, notify: config, dir: dir)
        let (_, secret) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: WallClock.nowMs(), actor: "t")
        try await NotificationEngineTests.cpu(e, secret, 99)
        #expect(await eventually(10) { phone.requests.count == 1 }, "step 1: the person on call, mentioned")
        let body = try #require(phone.requests.first?.json)
        #expect((body["at"] as? [String: Any])?["atMobiles"] as? [String] == ["13800000001"])
        let md = try #require((body["markdown"] as? [String: String])?["text"])
        #expect(md.contains("Escalation critical, step 1: not acknowledged for") && md.hasSuffix("@13800000001"), "\(md)")
        let fp = try #require(try await e.store.alerts(states: ["firing"], limit: 1).first?.fingerprint)
        // Acknowledged before step 2 (8 s: a loaded machine may take seconds to see step 1): nothing more, past step 2's time.
        _ = try await e.store.alertAction(.ack, fingerprint: fp, detail: "on it", actor: "alice", now: WallClock.nowMs())
        try await Task.sleep(for: TestTime.duration(9))
        #expect(phone.requests.count == 1)
        #expect(ops.requests.count == 1, "ops had only the ordinary firing message")
        let timeline = try await e.store.alertTimeline(fingerprint: fp).filter { $0.kind == "escalated" }
        #expect(timeline.count == 1 && timeline[0].detail.hasPrefix("critical step 1: not acknowledged for") && timeline[0].detail.hasSuffix("told alice via phone"))
        #expect(try await e.store.auditEntries(AuditFilter(action: "alert.escalate")).count == 1)
        await e.stop()
    }

    @Test func withoutAnAckEveryStepIsTakenOnce() async throws {
        let ops = try RecordingHTTPServer()
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("rules"), withIntermediateDirectories: true)
        // A 10-minute window: the one sample stays over the threshold however slowly a sanitizer run gets to the checks.
        try NotificationEngineTests.rules(window: "10m").write(toFile: dir.file("rules/test.yaml"), atomically: true, encoding: .utf8)
        let config = try Self.config("""
            channels: [{name: ops, kind: slack, url: "\(ops.url)/ops"}]
            route: {receiver: ops, group_wait: 0s}
            escalations:
              - {name: crit, steps: [{after: 1s, notify: [ops]}, {after: 2s, notify: [ops]}]}
            """)
        let e = try await RunningEngine.start(ruleDirectories: [dir.file("rules")], tickMs: 200, notify: config, dir: dir)
        let (_, secret) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: WallClock.nowMs(), actor: "t")
        try await NotificationEngineTests.cpu(e, secret, 99)
        #expect(await eventually(10) { ops.requests.count == 3 }, "the firing message and two steps")
        try await Task.sleep(for: .seconds(1.5))
        #expect(ops.requests.count == 3)
        let texts = ops.requests.compactMap { $0.json?["text"] as? String }
        #expect(texts.filter { $0.hasPrefix("*[ESCALATION] [FIRING:1] CPUSaturated on web-1*\nEscalation crit, step") }.count == 2)
        await e.stop()
    }
}
