import Foundation
import Testing
@testable import VigilCore
import VigilWire

/// Alerts, their timelines, operator actions and silences on a real SQLite file, driven by the real state machine.
@Suite struct AlertStoreTests {
    let t0: Int64 = 1_764_400_000_000

    func update(_ m: inout AlertStateMachine, _ instance: AlertInstance, breaching: Bool, at t: Int64) -> AlertUpdate {
        let events = m.evaluate(breaching: breaching, at: t)
        return AlertUpdate(instance: instance, annotations: ["summary": "CPU high on web-1"], state: m.state, flapping: m.isFlapping, events: events)
    }

    @Test(arguments: Backend.available) func lifecycleIsStoredWithItsTimeline(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let instance = AlertInstance(alertName: "HighCPU", severity: .warning, labels: ["host": "web-1"], value: 97)
        var m = AlertStateMachine(forDuration: 60_000, keepFiringFor: 0)
        try await store.recordAlerts([update(&m, instance, breaching: true, at: t0)], now: t0)
        var a = try #require(try await store.alert(fingerprint: instance.fingerprint))
        #expect(a.state == "pending" && a.activeSince == t0 && a.firedAt == nil)
        try await store.recordAlerts([update(&m, instance, breaching: true, at: t0 + 60_000)], now: t0 + 60_000)
        a = try #require(try await store.alert(fingerprint: instance.fingerprint))
        #expect(a.state == "firing" && a.firedAt == t0 + 60_000 && a.activeSince == t0)
        _ = try await store.alertAction(.ack, fingerprint: instance.fingerprint, detail: "looking at it", actor: "alice", now: t0 + 70_000)
        _ = try await store.alertAction(.note, fingerprint: instance.fingerprint, detail: "runaway cron job", actor: "alice", now: t0 + 80_000)
        _ = try await store.alertAction(.assign, fingerprint: instance.fingerprint, detail: "bob", actor: "alice", now: t0 + 81_000)
        a = try #require(try await store.alert(fingerprint: instance.fingerprint))
        #expect(a.ackedBy == "alice" && a.ackNote == "looking at it" && a.assignee == "bob")
        try await store.recordAlerts([update(&m, instance, breaching: false, at: t0 + 90_000)], now: t0 + 90_000)
        a = try #require(try await store.alert(fingerprint: instance.fingerprint))
        #expect(a.state == "resolved" && a.resolvedAt == t0 + 90_000)
        let timeline = try await store.alertTimeline(fingerprint: instance.fingerprint)
        #expect(timeline.map(\.kind) == ["pending", "firing", "ack", "note", "assign", "resolved"])
        #expect(timeline[2].actor == "alice" && timeline[3].detail == "runaway cron job")
        // Operator actions are audited too.
        #expect(try await store.auditEntries(AuditFilter(action: "alert.")).map(\.action) == ["alert.ack", "alert.note", "alert.assign"])

        // A new instance of the same alert starts unacknowledged.
        try await store.recordAlerts([update(&m, instance, breaching: true, at: t0 + 200_000)], now: t0 + 200_000)
        a = try #require(try await store.alert(fingerprint: instance.fingerprint))
        #expect(a.state == "pending" && a.ackedBy == nil)
    }

    /// Every write to the alerts table raises `AlertsVersion` in its transaction; a read does not. The console
    /// re-reads the alerts only when it moved.
    @Test(arguments: Backend.available) func everyWriteToTheAlertsRaisesTheirVersion(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        func version() async throws -> Int { Int(try await store.setting(AlertsVersion.key) ?? "0") ?? -1 }
        #expect(try await version() == 0)
        let instance = AlertInstance(alertName: "HighCPU", severity: .warning, labels: ["host": "web-1"], value: 97)
        var m = AlertStateMachine()
        try await store.recordAlerts([update(&m, instance, breaching: true, at: t0)], now: t0)
        #expect(try await version() == 1)
        try await store.recordAlerts([], now: t0 + 1)
        _ = try await store.alerts(states: nil, limit: 10)
        #expect(try await version() == 1, "nothing written, nothing counted")
        try await store.setMutes([instance.fingerprint: "silence s1"])
        #expect(try await version() == 2)
        try await store.setMutes([instance.fingerprint: "silence s1"])
        #expect(try await version() == 2, "a mute that is already recorded changes nothing")
        _ = try await store.alertAction(.ack, fingerprint: instance.fingerprint, detail: "", actor: "alice", now: t0 + 2)
        #expect(try await version() == 3)
        _ = try await store.recordPushedAlerts([PushedAlert(labels: ["alertname": "Up", "host": "web-2"])], now: t0 + 3)
        #expect(try await version() == 4)
    }

    @Test(arguments: Backend.available) func aReopenedAlertThatClearsBeforeFiringKeepsItsLastFiring(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let instance = AlertInstance(alertName: "Slow", severity: .warning, labels: ["host": "api-1"], value: 1)
        var m = AlertStateMachine(forDuration: 60_000)
        for (t, breaching) in [(t0, true), (t0 + 60_000, true), (t0 + 120_000, false), (t0 + 300_000, true), (t0 + 310_000, false)] {
            try await store.recordAlerts([update(&m, instance, breaching: breaching, at: t)], now: t)
        }
        let a = try #require(try await store.alert(fingerprint: instance.fingerprint))
        #expect(a.state == "resolved")
        #expect(a.firedAt == t0 + 60_000 && a.resolvedAt == t0 + 120_000 && a.activeSince == t0, "\(a)")
        #expect(try await store.alertTimeline(fingerprint: instance.fingerprint).map(\.kind) == ["pending", "firing", "resolved", "pending"])
    }

    @Test(arguments: Backend.available) func aPendingAlertThatClearsLeavesNothing(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let instance = AlertInstance(alertName: "DiskFull", severity: .critical, labels: ["host": "db-1", "mount": "/"], value: 96)
        var m = AlertStateMachine(forDuration: 300_000)
        try await store.recordAlerts([update(&m, instance, breaching: true, at: t0)], now: t0)
        #expect(try await store.alerts(states: ["pending"], limit: 10).count == 1)
        try await store.recordAlerts([update(&m, instance, breaching: false, at: t0 + 10_000)], now: t0 + 10_000)
        #expect(try await store.alerts(states: nil, limit: 10).isEmpty)
        #expect(try await store.alertTimeline(fingerprint: instance.fingerprint).isEmpty)
    }

    @Test(arguments: Backend.available) func listOrdersFiringBySeverityThenAge(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        var updates: [AlertUpdate] = []
        for (name, sev, at) in [("A", AlertSeverity.warning, t0), ("B", .critical, t0 + 5), ("C", .critical, t0 + 1), ("D", .info, t0)] {
            var m = AlertStateMachine()
            updates.append(update(&m, AlertInstance(alertName: name, severity: sev, labels: ["host": "h"], value: 1), breaching: true, at: at))
        }
        try await store.recordAlerts(updates, now: t0 + 10)
        #expect(try await store.alerts(states: ["firing"], limit: 10).map(\.rule) == ["C", "B", "A", "D"])
        await #expect(throws: StoreError.self) {
            _ = try await store.alertAction(.ack, fingerprint: "nope", detail: "", actor: "alice", now: t0)
        }
    }

    @Test(arguments: Backend.available) func silencesMatchAndExpire(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let matchers = try ["host=~web-.*", "alertname=HighCPU"].map { try LabelMatcher.parse($0).get() }
        let s = try await store.createSilence(matchers: matchers, startsAt: t0, endsAt: t0 + 3_600_000, comment: "deploy", actor: "alice", now: t0)
        #expect(s.mutes(alertName: "HighCPU", labels: ["host": "web-3"], at: t0 + 1))
        #expect(!s.mutes(alertName: "HighCPU", labels: ["host": "db-1"], at: t0 + 1))
        #expect(!s.mutes(alertName: "DiskFull", labels: ["host": "web-3"], at: t0 + 1))
        #expect(!s.mutes(alertName: "HighCPU", labels: ["host": "web-3"], at: t0 + 3_600_000))
        let listed = try await store.silences(includeExpired: false, now: t0 + 10)
        #expect(listed == [s])
        #expect(try await store.expireSilence(id: s.id, actor: "bob", now: t0 + 20))
        #expect(try await store.silences(includeExpired: false, now: t0 + 30).isEmpty)
        let all = try await store.silences(includeExpired: true, now: t0 + 30)
        #expect(all.first?.expiredAt == t0 + 20 && all.first?.isActive(at: t0 + 25) == false)
        #expect(try await store.auditEntries(AuditFilter(action: "silence.")).map(\.actor) == ["alice", "bob"])
        await #expect(throws: StoreError.self) {
            _ = try await store.createSilence(matchers: [], startsAt: t0, endsAt: t0 + 1, comment: "", actor: "a", now: t0)
        }
    }

    @Test func matcherParsing() throws {
        #expect(try LabelMatcher.parse("host=web-1").get().description == "host=web-1")
        #expect(try LabelMatcher.parse("env!~prod|staging").get().matcher.matches("dev"))
        for bad in ["=x", "host", "9a=b", "host=~(unclosed"] {
            #expect(throws: RuleSyntaxError.self, "\(bad)") { try LabelMatcher.parse(bad).get() }
        }
    }
}
