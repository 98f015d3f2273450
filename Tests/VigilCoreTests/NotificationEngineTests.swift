import Foundation
import Testing
import VigilHTTP
import VigilTestSupport
@testable import VigilCore
import VigilWire

/// Notifications through a running engine: a breaching sample becomes an Alertmanager-format message at a real
/// webhook receiver; the resolution follows; a receiver that is down gets the message once it is up, once; a
/// restart neither loses nor repeats.
@Suite struct NotificationEngineTests {
    static let rules = rules(window: "1m")

    static func rules(window: String) -> String {
        """
        groups:
          - name: test
            rules:
              - alert: CPUSaturated
                kind: threshold
                expr: {metric: cpu.usage_percent, aggregate: last, window: \(window), op: ">", threshold: 90}
                for: 0s
                severity: critical
                annotations: {summary: "CPU {{ $value }}% on {{ $labels.host }}"}
        """
    }

    static func notify(_ url: String, groupWait: String = "0s") throws -> NotifyConfig {
        try NotifyConfig.parse(yaml: """
            external_url: http://ops.example:9470
            channels:
              - {name: hook, kind: webhook, url: "\(url)"}
            route: {receiver: hook, group_by: [alertname, host], group_wait: \(groupWait), group_interval: 1s}
            """, path: "notify.yaml")
    }

    static func start(_ dir: TempDir, notify: NotifyConfig, window: String = "1m") async throws -> (RunningEngine, String) {
        try FileManager.default.createDirectory(atPath: dir.file("rules"), withIntermediateDirectories: true)
        try rules(window: window).write(toFile: dir.file("rules/test.yaml"), atomically: true, encoding: .utf8)
        let e = try await RunningEngine.start(ruleDirectories: [dir.file("rules")], tickMs: 200, notify: notify, dir: dir)
        let (_, secret) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: WallClock.nowMs(), actor: "test")
        return (e, secret)
    }

    static func cpu(_ e: RunningEngine, _ secret: String, _ value: Double, host: String = "web-1") async throws {
        let r = try await e.post(Array(IngestBatch(host: host, samples: [Sample(name: "cpu.usage_percent", value: value, ts: WallClock.nowMs())]).json().utf8),
                                 token: secret)
        #expect(r.status == 200)
    }

    @Test func aBreachIsAnAlertmanagerMessageThenAResolution() async throws {
        let receiver = try RecordingHTTPServer()
        let dir = TempDir()
        let (e, secret) = try await Self.start(dir, notify: try Self.notify(receiver.url + "/hook"))
        try await Self.cpu(e, secret, 97)
        #expect(await eventually(10) { receiver.requests.count >= 1 }, "the firing message arrives")
        let firing = try #require(receiver.requests.first?.json)
        #expect(firing["status"] as? String == "firing" && firing["version"] as? String == "4" && firing["receiver"] as? String == "hook")
        #expect(firing["groupLabels"] as? [String: String] == ["alertname": "CPUSaturated", "host": "web-1"])
        let alert = try #require((firing["alerts"] as? [[String: Any]])?.first)
        #expect((alert["annotations"] as? [String: String])?["summary"] == "CPU 97% on web-1")
        #expect((alert["labels"] as? [String: String])?["severity"] == "critical")
        #expect((alert["generatorURL"] as? String)?.hasPrefix("http://ops.example:9470/") == true)

        try await Self.cpu(e, secret, 10)
        #expect(await eventually(10) { receiver.requests.count >= 2 }, "the resolution follows")
        #expect(receiver.requests.last?.json?["status"] as? String == "resolved")
        // The answer is recorded just after the receiver has the message.
        #expect(await eventually(10) { ((try? await e.store.notifications(states: [.delivered], channel: "hook", limit: 10)) ?? []).count == 2 })
        let delivered = try await e.store.notifications(states: [.delivered], channel: "hook", limit: 10)
        #expect(delivered.map(\.notification.status) == ["resolved", "firing"])
        let attempts = try await e.store.deliveryAttempts(outboxID: try #require(delivered.last?.id))
        #expect(attempts.count == 1 && attempts[0].outcome == .delivered && attempts[0].status == 200 && (attempts[0].latencyMs ?? -1) >= 0)
        try await Task.sleep(for: .seconds(1.5))
        #expect(receiver.requests.count == 2, "nothing repeats")
        await e.stop()
    }

    @Test func aReceiverThatIsDownGetsTheMessageOnceItIsUp() async throws {
        let port = freePort()
        let dir = TempDir()
        // A 10-minute window: with 1 minute a sanitizer run was slow enough for the one sample to leave it, and the
        // resolution's message came after the firing one.
        let (e, secret) = try await Self.start(dir, notify: try Self.notify("http://127.0.0.1:\(port)/hook"), window: "10m")
        try await Self.cpu(e, secret, 99)
        // Nothing listens: the first attempt fails and is retried (2 s later, then 4 s).
        #expect(await eventually(10) {
            ((try? await e.store.notifications(states: [.queued], channel: "hook", limit: 1))?.first?.attempts ?? 0) >= 1
        })
        let receiver = try RecordingHTTPServer(port: port)
        #expect(await eventually(15) { receiver.requests.count == 1 }, "delivered once the receiver is up")
        #expect(await eventually(10) { (try? await e.store.notifications(states: nil, channel: "hook", limit: 1))?.first?.state == .delivered })
        let entry = try #require(try await e.store.notifications(states: nil, channel: "hook", limit: 1).first)
        #expect(entry.state == .delivered)
        let attempts = try await e.store.deliveryAttempts(outboxID: entry.id)
        #expect(attempts.first?.outcome == .retry && attempts.last?.outcome == .delivered)
        #expect(attempts.first?.error?.isEmpty == false, "every attempt is logged with its error")
        try await Task.sleep(for: .seconds(1))
        #expect(receiver.requests.count == 1)
        await e.stop()
    }

    @Test func aRefusalIsADeadLetterAnOperatorCanRetry() async throws {
        let receiver = try RecordingHTTPServer(script: [.init(status: 400, body: "bad payload")])
        let dir = TempDir()
        let (e, secret) = try await Self.start(dir, notify: try Self.notify(receiver.url + "/hook"))
        try await Self.cpu(e, secret, 99)
        #expect(await eventually(10) { ((try? await e.store.notifications(states: [.dead], channel: nil, limit: 5)) ?? []).count == 1 })
        let dead = try #require(try await e.store.notifications(states: [.dead], channel: nil, limit: 1).first)
        #expect(dead.lastError == "HTTP 400: bad payload" && dead.attempts == 1, "a 4xx is not retried")
        #expect(try await e.store.retryNotification(id: dead.id, actor: "alice", now: WallClock.nowMs()))
        #expect(await eventually(10) { receiver.requests.count == 2 })
        #expect(await eventually(10) { (try? await e.store.notifications(states: nil, channel: nil, limit: 1))?.first?.state == .delivered })
        #expect((try await e.store.auditEntries(AuditFilter(action: "notify.retry"))).first?.actor == "alice")
        await e.stop()
    }

    @Test func aRestartNeitherRepeatsNorForgets() async throws {
        let receiver = try RecordingHTTPServer()
        let dir = TempDir()
        let config = try Self.notify(receiver.url + "/hook")
        // A 10-minute window: under a loaded suite the stop and the start can take over a minute, and a 1-minute
        // window would rightly resolve the alert once its one sample aged out.
        let (e, secret) = try await Self.start(dir, notify: config, window: "10m")
        try await Self.cpu(e, secret, 99)
        #expect(await eventually(10) { receiver.requests.count == 1 })
        // Stopped once the answer is recorded: what the store knows was delivered is not sent again. (A stop between
        // the receiver's answer and its record is the kill test's case: that message is sent again, and logged so.)
        #expect(await eventually(20) { ((try? await e.store.notifications(states: [.delivered], channel: "hook", limit: 5)) ?? []).count == 1 })
        await e.stop()
        // The same store, a new engine: the alert still fires, and it was already told.
        let again = try await RunningEngine.start(ruleDirectories: [dir.file("rules")], tickMs: 200, notify: config, dir: dir)
        try await Task.sleep(for: .seconds(2))
        let entries = try await again.store.notifications(states: nil, channel: "hook", limit: 10)
        var log: [String] = []
        for entry in entries {
            for a in try await again.store.deliveryAttempts(outboxID: entry.id) { log.append("\(entry.id) \(entry.notification.status): \(a.outcome) \(a.error ?? "")") }
        }
        #expect(receiver.requests.count == 1, "not sent again after the restart; deliveries: \(log)")
        try await Self.cpu(again, secret, 5)
        #expect(await eventually(10) { receiver.requests.count == 2 }, "the resolution is still told")
        #expect(receiver.requests.last?.json?["status"] as? String == "resolved")
        await again.stop()
    }
}

/// `vigil serve` killed with SIGKILL while a notification is on its way: after the restart it is sent again, the
/// attempt whose answer was lost is in the delivery log as such, and nothing else repeats.
@Suite struct NotificationKillTests {
    @Test func aKillMidSendIsSentAgainAndTheLostAnswerIsLogged() async throws {
        let dir = TempDir()
        // The receiver takes the first message and sits on its answer for 20 s; the kill comes meanwhile.
        let receiver = try RecordingHTTPServer(script: [.init(status: 200, body: "ok", delayMs: 20_000)])
        try FileManager.default.createDirectory(atPath: dir.file("rules"), withIntermediateDirectories: true)
        try NotificationEngineTests.rules.write(toFile: dir.file("rules/test.yaml"), atomically: true, encoding: .utf8)
        try """
            channels:
              - {name: hook, kind: webhook, url: "\(receiver.url)/hook", timeout: 30s}
            route: {receiver: hook, group_wait: 0s}
            """.write(toFile: dir.file("notify.yaml"), atomically: true, encoding: .utf8)
        let db = dir.file("v.db")
        let store = try SQLiteStore(path: db)
        let (_, token) = try await store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: WallClock.nowMs(), actor: "t")
        let port = freePort()
        func serve() throws -> Child {
            try Child(Binaries.path("vigil"), ["serve", "--db", db, "--listen", "127.0.0.1:\(port)", "--rules", dir.file("rules"),
                                                "--notify", dir.file("notify.yaml")])
        }
        var child = try serve()
        #expect(await eventually(20) {
            let r = try? await offPool { try HTTPClient().perform(HTTPRequest(url: "http://127.0.0.1:\(port)/healthz", timeoutMs: 500)) }
            return r?.status == 200
        })
        let batch = IngestBatch(host: "web-1", samples: [Sample(name: "cpu.usage_percent", value: 99, ts: WallClock.nowMs())])
        let posted = try await offPool {
            try HTTPClient().perform(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/api/v1/ingest",
                                                 headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                                                 body: Array(batch.json().utf8), timeoutMs: TestTime.ms(10_000)))
        }
        #expect(posted.status == 200)
        #expect(await eventually(15) { receiver.requests.count == 1 }, "the first attempt reaches the receiver")
        kill(child.process.processIdentifier, SIGKILL)
        await child.finished()
        let interrupted = try await store.notifications(states: nil, channel: "hook", limit: 5)
        #expect(interrupted.count == 1 && interrupted.first?.state == .queued, "written, not marked delivered")
        #expect(try await store.deliveryAttempts(outboxID: interrupted[0].id).map(\.outcome) == [.sending])

        child = try serve()
        #expect(await eventually(20) { receiver.requests.count == 2 }, "sent again after the restart")
        #expect(await eventually(10) { (try? await store.notifications(states: nil, channel: "hook", limit: 5))?.first?.state == .delivered })
        let attempts = try await store.deliveryAttempts(outboxID: interrupted[0].id)
        #expect(attempts.map(\.outcome) == [.lost, .delivered])
        #expect(attempts.first?.error == "the process stopped before the answer came")
        try await Task.sleep(for: .seconds(2))
        #expect(receiver.requests.count == 2, "and nothing more")
        #expect(try await store.notifications(states: nil, channel: nil, limit: 5).count == 1)
        child.stop()
        await child.finished()
    }
}

/// Reports on a schedule: the daily report reaches its channel at its time, once, and is stored like
/// `vigil report daily`'s.
@Suite struct ReportDeliveryTests {
    @Test func lastDueFindsTheScheduledMoment() {
        let utc = TimeZone(identifier: "UTC")!
        let daily = ReportSchedule(kind: .daily, minute: 9 * 60, timeZone: utc, channel: "c")
        let t = Int64(1_800_000_000_000)  // Fri 2027-01-15 08:00 UTC
        #expect(daily.lastDue(atOrBefore: t) == t - 23 * 3_600_000, "yesterday 09:00")
        #expect(daily.lastDue(atOrBefore: t + 3_600_000) == t + 3_600_000, "today 09:00, exactly")
        let weekly = ReportSchedule(kind: .weekly, minute: 9 * 60, weekday: 2, timeZone: utc, channel: "c")
        #expect(weekly.lastDue(atOrBefore: t) == t - 4 * 86_400_000 + 3_600_000, "Monday 09:00")
    }

    @Test func theDailyReportArrivesAtItsTimeOnce() async throws {
        let receiver = try RecordingHTTPServer()
        let f = DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "HH:mm"
        let at = f.string(from: Date())
        let config = try NotifyConfig.parse(yaml: """
            channels: [{name: hook, kind: webhook, url: "\(receiver.url)/reports"}]
            route: {receiver: hook}
            reports: [{kind: daily, at: "\(at)", channel: hook}]
            """, path: "notify.yaml")
        let e = try await RunningEngine.start(tickMs: 200, notify: config)
        #expect(await eventually(10) { receiver.requests.count == 1 })
        let body = try #require(receiver.requests.first?.json)
        #expect(body["kind"] as? String == "daily" && (body["title"] as? String)?.hasPrefix("Vigil daily report, ") == true)
        #expect((body["text"] as? String)?.isEmpty == false)
        #expect(try await e.store.reports(kind: nil, limit: 5).first?.kind == "daily")
        try await Task.sleep(for: .seconds(2))
        #expect(receiver.requests.count == 1, "once")
        await e.stop()
    }
}
