import Testing
@testable import VigilCore

/// The dispatcher's timers and noise reduction, step by step on a fake clock (it is pure).
@Suite struct NotificationDispatcherTests {
    static func alert(_ host: String, rule: String = "DiskSpaceLow", state: String = "firing", severity: AlertSeverity = .warning,
                      resolvedAt: Int64? = nil, mutedBy: String? = nil, flapping: Bool = false) -> StoredAlert {
        let labels = ["host": host, "mount": "/var"]
        return StoredAlert(fingerprint: AlertFingerprint.make(alertName: rule, labels: labels), rule: rule, severity: severity, labels: labels,
                           annotations: ["summary": "\(host) full"], state: state, value: 91, activeSince: 0, firedAt: 0, resolvedAt: resolvedAt,
                           lastEvaluated: 0, flapping: flapping, mutedBy: mutedBy)
    }

    static func config(_ yaml: String) throws -> NotifyConfig {
        try NotifyConfig.parse(yaml: yaml, path: "notify.yaml")
    }

    static let basic = """
        channels:
          - {name: ops, kind: webhook, url: "http://127.0.0.1:1/hook"}
          - {name: pager, kind: webhook, url: "http://127.0.0.1:1/pager", send_resolved: false}
        route:
          receiver: ops
          group_by: [alertname]
          group_wait: 30s
          group_interval: 5m
          repeat_interval: 4h
          routes:
            - match: {severity: critical}
              receiver: pager
              group_wait: 0s
              continue: true
            - match: {alertname: "=~Disk.*"}
              receiver: ops
        """

    @Test func groupWaitThenGroupIntervalThenRepeat() throws {
        var d = NotificationDispatcher(config: try Self.config(Self.basic))
        let s = 1_000_000 as Int64
        #expect(d.step(alerts: [Self.alert("web-1")], now: s).isEmpty, "held for group_wait")
        #expect(d.step(alerts: [Self.alert("web-1"), Self.alert("web-2")], now: s + 10_000).isEmpty)
        let first = d.step(alerts: [Self.alert("web-1"), Self.alert("web-2")], now: s + 30_000)
        #expect(first.count == 1 && first[0].receiver == "ops" && first[0].alerts.count == 2 && first[0].groupLabels == ["alertname": "DiskSpaceLow"])
        // A third alert joins: told at the next group_interval, not before.
        let three = [Self.alert("web-1"), Self.alert("web-2"), Self.alert("web-3")]
        #expect(d.step(alerts: three, now: s + 60_000).isEmpty)
        #expect(d.step(alerts: three, now: s + 330_000).first?.alerts.count == 3)
        // Nothing new: quiet until repeat_interval.
        #expect(d.step(alerts: three, now: s + 630_000).isEmpty)
        #expect(d.step(alerts: three, now: s + 330_000 + 4 * 3_600_000).first?.alerts.count == 3, "repeated after 4 h")
        // One resolves: told once, as resolved, then forgotten.
        // One resolves: told at the next group_interval, once, as resolved, then forgotten.
        let resolved = [Self.alert("web-1"), Self.alert("web-2"), Self.alert("web-3", state: "resolved", resolvedAt: s + 15_000_000)]
        #expect(d.step(alerts: resolved, now: s + 15_000_000).isEmpty, "the last message went out less than group_interval ago")
        let r = d.step(alerts: resolved, now: s + 15_030_000)
        #expect(r.count == 1 && r[0].resolved.map { $0.labels["host"] } == ["web-3"] && r[0].firing.count == 2)
        #expect(d.step(alerts: resolved, now: s + 15_400_000).isEmpty)
    }

    @Test func aBurstOf500IsOneMessageListingTwentyAndCountingTheRest() throws {
        var d = NotificationDispatcher(config: try Self.config(Self.basic))
        let burst = (0..<500).map { Self.alert("web-\($0)") }
        _ = d.step(alerts: burst, now: 0)
        let out = d.step(alerts: burst, now: 30_000)
        #expect(out.count == 1 && out[0].alerts.count == 500)
        let text = try NotificationRenderer.render(out[0], channel: NotifyChannel(name: "ops", kind: .slack, url: .literal("x")), now: 30_000).text
        #expect(text.components(separatedBy: "*DiskSpaceLow* firing").count - 1 == 20)
        #expect(text.hasSuffix("… and 480 more (500 firing, 0 resolved in all)"))
    }

    @Test func routesContinueAndSendResolvedPerChannel() throws {
        var d = NotificationDispatcher(config: try Self.config(Self.basic))
        let crit = Self.alert("db-1", rule: "DiskSpaceCritical", severity: .critical)
        let now1 = d.step(alerts: [crit], now: 0)
        #expect(now1.map(\.receiver) == ["pager"], "group_wait 0 on the critical route")
        let later = d.step(alerts: [crit], now: 30_000)
        #expect(later.map(\.receiver) == ["ops"], "continue: the next matching route (ops) hears it too, after its own group_wait")
        let gone = Self.alert("db-1", rule: "DiskSpaceCritical", state: "resolved", severity: .critical, resolvedAt: 400_000)
        let after = d.step(alerts: [gone], now: 400_000)
        #expect(after.map(\.receiver) == ["ops"], "pager has send_resolved: false")
    }

    @Test func silencedAlertsAndFlappingOnesAreToldOnce() throws {
        var d = NotificationDispatcher(config: try Self.config(Self.basic))
        let muted = Self.alert("web-1", mutedBy: "silence 7 by alice")
        #expect(d.step(alerts: [muted], now: 0).isEmpty)
        #expect(d.step(alerts: [muted], now: 60_000).isEmpty, "a muted alert is never sent")
        let flap = Self.alert("web-2", flapping: true)
        _ = d.step(alerts: [flap], now: 100_000)
        let told = d.step(alerts: [flap], now: 130_000)
        #expect(told.first?.alerts.first?.flapping == true)
        // It resolves and fires again while flapping: nothing more is said.
        let flapResolved = Self.alert("web-2", state: "resolved", resolvedAt: 500_000, flapping: true)
        #expect(d.step(alerts: [flapResolved], now: 500_000).isEmpty)
        #expect(d.step(alerts: [flap], now: 900_000).isEmpty)
    }

    @Test func quietHoursHoldAllButWhatPagesThrough() throws {
        let yaml = """
            channels:
              - name: ops
                kind: webhook
                url: http://127.0.0.1:1/hook
                quiet_hours: {from: "22:00", to: "07:00", time_zone: UTC, pages_through: critical}
            route: {receiver: ops, group_wait: 0s}
            """
        var d = NotificationDispatcher(config: try Self.config(yaml))
        let night: Int64 = 1_800_000_000_000 - 8 * 3_600_000 + 3_600_000 // 01:00 UTC
        #expect(d.step(alerts: [Self.alert("web-1")], now: night).isEmpty, "a warning waits for the morning")
        #expect(d.step(alerts: [Self.alert("web-1")], now: night + 3 * 3_600_000).isEmpty)
        #expect(d.step(alerts: [Self.alert("web-1")], now: night + 6 * 3_600_000 + 60_000).count == 1, "sent at 07:00")
        var d2 = NotificationDispatcher(config: try Self.config(yaml))
        #expect(d2.step(alerts: [Self.alert("db-1", severity: .critical)], now: night).count == 1, "critical pages through")
    }

    @Test func aRestartRemembersWhatWasSaid() throws {
        let config = try Self.config(Self.basic)
        var d = NotificationDispatcher(config: config)
        _ = d.step(alerts: [Self.alert("web-1")], now: 0)
        #expect(d.step(alerts: [Self.alert("web-1")], now: 30_000).count == 1)
        var restarted = NotificationDispatcher(config: config, groups: Array(d.groups.values))
        #expect(restarted.step(alerts: [Self.alert("web-1")], now: 60_000).isEmpty, "not told twice")
    }

    @Test func configErrorsNameTheLineAndWhatIsExpected() {
        func errors(_ yaml: String) -> [String] {
            do {
                _ = try NotifyConfig.parse(yaml: yaml, path: "n.yaml")
                return []
            } catch {
                return error.errors.map(\.description)
            }
        }
        #expect(errors("""
            channels:
              - {name: a, kind: telegram, url: "http://x"}
              - {name: b, kind: webhook}
              - {name: c, kind: slack, url: "ftp://x", secret: s}
              - {name: d, kind: email, url: "smtp://x:25"}
            route:
              receiver: nobody
              group_wait: soon
            """) == [
            "n.yaml:2:21: unknown kind 'telegram' (expected one of dingtalk, feishu, wecom, slack, webhook, email)",
            "n.yaml:3:5: channel 'b' has no 'url' (or 'url_env', 'url_file')",
            "n.yaml:4:33: expected a http or https URL for channel 'c'",
            "n.yaml:4:52: 'secret' signs DingTalk and Feishu messages; slack has no signing",
            "n.yaml:5:5: missing 'from' in channel 'd' (expected the sender address)",
            "n.yaml:5:5: missing 'to' in channel 'd' (expected one address or a list)",
            "n.yaml:7:13: no channel named 'nobody' (channels: )",
            "n.yaml:8:15: bad duration 'soon' for 'group_wait' (expected e.g. 30s, 5m, 1h30m; a bare number means seconds)",
        ])
    }
}
