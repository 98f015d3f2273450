import Foundation
import Testing
@testable import VigilTUI
import VigilCore

/// The poller reads the active alerts only when the store's `AlertsVersion` moved, on a real SQLite file.
@Suite struct FleetPollerAlertsTests {
    @Test func alertsAreReadAgainOnlyWhenTheyChanged() async throws {
        let dir = NSTemporaryDirectory() + "vigil-poller-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/vigil.db")
        let mailbox = Mailbox(pipe: try WakePipe())
        let poller = FleetPoller(reader: store, store: store, mailbox: mailbox, interval: 60)
        let now = FleetPoller.nowMs()
        _ = try await store.recordPushedAlerts((1...3).map { PushedAlert(labels: ["alertname": "Down", "host": "web-\($0)"]) }, now: now)

        func alertMessages() -> [AlertsSnapshot] {
            mailbox.drain().compactMap { if case .alerts(let s) = $0 { return s } else { return nil } }
        }
        await poller.fetchAlerts(store, wanted: PollInterest())
        let first = alertMessages()
        #expect(first.count == 1 && first[0].active.count == 3 && first[0].counts.firing == 3)
        // Nothing changed: the dashboard gets nothing new to draw.
        await poller.fetchAlerts(store, wanted: PollInterest())
        #expect(alertMessages().isEmpty)
        // A pane that shows silences gets them every round, with the same active alerts.
        await poller.fetchAlerts(store, wanted: PollInterest(silences: true))
        let withSilences = alertMessages()
        #expect(withSilences.count == 1 && withSilences[0].sameActive(as: first[0]) && withSilences[0].silences == [])
        // An ack (by anyone, in any process) moves the version: read again.
        let fp = first[0].active[0].fingerprint
        _ = try await store.alertAction(.ack, fingerprint: fp, detail: "", actor: "alice", now: now + 1)
        await poller.fetchAlerts(store, wanted: PollInterest())
        let after = alertMessages()
        #expect(after.count == 1 && !after[0].sameActive(as: first[0]))
        #expect(after[0].active.first { $0.fingerprint == fp }?.ackedBy == "alice")
        #expect(after[0].counts.acked == 1)
    }

    /// A writer that does not count its changes (an older `vigil` on the same store) is still seen: past the maximum
    /// age the alerts are read again, and the panes take the new read even though the version stood still.
    @Test func aWriteThatDidNotCountIsSeenAtTheNextFullRead() async throws {
        let dir = NSTemporaryDirectory() + "vigil-poller-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/vigil.db")
        let mailbox = Mailbox(pipe: try WakePipe())
        let poller = FleetPoller(reader: store, store: store, mailbox: mailbox, interval: 60, alertsMaxAgeMs: 0)
        let now = FleetPoller.nowMs()
        _ = try await store.recordPushedAlerts([PushedAlert(labels: ["alertname": "Down", "host": "web-1"])], now: now)
        func alertMessages() -> [AlertsSnapshot] {
            mailbox.drain().compactMap { if case .alerts(let s) = $0 { return s } else { return nil } }
        }
        await poller.fetchAlerts(store, wanted: PollInterest())
        let first = try #require(alertMessages().first)
        let version = try await store.setting(AlertsVersion.key)
        _ = try await store.alertAction(.ack, fingerprint: first.active[0].fingerprint, detail: "", actor: "alice", now: now + 1)
        try await store.setSetting(AlertsVersion.key, to: version, now: now + 1)   // as if the ack had not counted
        await poller.fetchAlerts(store, wanted: PollInterest())
        let again = try #require(alertMessages().first)
        #expect(!again.sameActive(as: first))
        #expect(again.active[0].ackedBy == "alice")
        // The dashboard takes it: its header changes from 1 firing unacked to the same count, and its marks are rebuilt.
        let pane = DashboardPane()
        #expect(pane.receive(.alerts(first), now: now))
        #expect(pane.receive(.alerts(again), now: now), "a new read is not skipped as the same alerts")
        #expect(!pane.receive(.alerts(again), now: now), "the same read is")
    }
}
