import Testing
import VigilCore
@testable import VigilTUI

/// The notifications pane, rendered off screen: on call, channels, escalations, the outbox; dead letters and retry.
@Suite struct NotificationsPaneTests {
    static let config = try! NotifyConfig.parse(yaml: """
        channels:
          - {name: ops, kind: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=SECRET-TOKEN", secret: SEC1}
          - {name: mail, kind: email, url: "smtps://smtp.example.org:465", from: a@example.org, to: b@example.org}
        route: {receiver: ops}
        oncall:
          schedules:
            - name: primary
              layers: [{rotation: weekly, handoff: "mon 09:00", start: "2020-01-06", users: [alice, bob]}]
        """, path: "n.yaml")

    static func entry(_ id: Int64, _ state: OutboxEntry.State, channel: String = "ops", error: String? = nil) -> OutboxEntry {
        OutboxEntry(id: id, notification: NewNotification(channel: channel, groupKey: "g", status: "firing", fingerprints: ["f"],
                                                          rendered: RenderedNotification(title: "[FIRING:1] DiskSpaceLow on web-\(id)", text: ""),
                                                          notBefore: 0),
                    state: state, attempts: state == .dead ? 8 : 1, nextAttemptAt: 0, createdAt: Fixtures.now - 60_000,
                    deliveredAt: state == .delivered ? Fixtures.now - 60_000 : nil, lastError: error)
    }

    func pane(user: VigilUser = VigilUser(name: "alice", role: .operator, createdAt: 0)) -> NotificationsPane {
        let p = NotificationsPane(user: user, config: Self.config)
        let firing = StoredAlert(fingerprint: "abc", rule: "HighCPU", severity: .critical, labels: ["host": "db-1"], annotations: [:],
                                 state: "firing", value: 99, activeSince: 0, lastEvaluated: 0)
        _ = p.receive(.notifications(NotifySnapshot(takenAt: Fixtures.now, recent: [
            Self.entry(3, .dead, channel: "mail", error: "HTTP 400: bad"), Self.entry(2, .delivered), Self.entry(1, .queued, error: "timeout"),
        ], escalating: [(firing, ["critical step 1"])])), now: Fixtures.now)
        return p
    }

    @Test func showsOnCallChannelsEscalationsAndTheOutbox() {
        let text = Fixtures.render(pane(), width: 160, height: 20).text
        #expect(text.contains("On call  primary: "))
        #expect(text.contains("Channel  ops (dingtalk oapi.dingtalk.com): delivered 1m ago"))
        #expect(!text.contains("SECRET-TOKEN"), "the robot's token is never shown")
        #expect(text.contains("Channel  mail (email smtp.example.org): dead 1m ago: HTTP 400: bad"))
        #expect(text.contains("Escalating  HighCPU on db-1: critical step 1 taken, not acknowledged"))
        #expect(text.contains("[FIRING:1] DiskSpaceLow on web-3") && text.contains("HTTP 400: bad"))
        let small = Fixtures.render(pane(), width: 80, height: 24).lines()
        #expect(small.allSatisfy { $0.count <= 80 })
        #expect(small.contains { $0.contains("dead") && $0.contains("mail") })
    }

    @Test func deadLettersOnlyAndRetryAsksFirst() throws {
        let p = pane()
        _ = p.keyMap.action(for: .char("D"))?.handler()
        #expect(p.table.visible.map(\.id) == [3])
        let reaction = p.keyMap.action(for: .char("R"))?.handler()
        guard case .confirm(let question, .perform(.retryNotification(id: 3)))? = reaction else {
            Issue.record("expected a confirmation, got \(String(describing: reaction))")
            return
        }
        #expect(question == "send notification 3 to mail again?")
        let viewer = pane(user: VigilUser(name: "victor", role: .viewer, createdAt: 0))
        _ = viewer.keyMap.action(for: .char("D"))?.handler()
        guard case .message(_, isError: true)? = viewer.keyMap.action(for: .char("R"))?.handler() else {
            Issue.record("a viewer may not retry")
            return
        }
        #expect(try CommandParser.parse(":notify") == .notifications)
        #expect(try CommandParser.parse(":oncall") == .notifications)
    }
}
