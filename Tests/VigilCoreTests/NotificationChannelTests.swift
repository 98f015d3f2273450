import Foundation
import Testing
import VigilHTTP
import VigilTestSupport
@testable import VigilCore
import VigilWire

/// Each channel kind against a real receiver on loopback: the exact body, the headers, the signature (recomputed
/// by Python's hmac module from DingTalk's and Feishu's published algorithms), and how each answer is classified.
@Suite struct NotificationChannelTests {
    static let now: Int64 = 1_800_000_000_000

    static func message(alerts: Int = 1, status: String = "firing") -> NotificationMessage {
        let list = (0..<alerts).map { i in
            NotificationMessage.Alert(status: status, labels: ["alertname": "DiskSpaceLow", "host": "web-\(i + 1)", "mount": "/var", "severity": "warning"],
                                      annotations: ["summary": "/var on web-\(i + 1) is 91% full (above 85%)", "runbook": "disk_cleanup"],
                                      startsAt: now - 420_000, endsAt: status == "firing" ? nil : now, generatorURL: "http://ops:9470/a",
                                      fingerprint: String(format: "%016x", i + 1), value: 91.2, flapping: false, severity: .warning)
        }
        return NotificationMessage(receiver: "ops", groupKey: "ops/{alertname=DiskSpaceLow}", groupLabels: ["alertname": "DiskSpaceLow"],
                                   alerts: list, externalURL: "http://ops:9470")
    }

    static func deliver(_ channel: NotifyChannel, _ m: NotificationMessage = message(), env: [String: String] = [:]) async throws -> DeliveryAttempt {
        let rendered = try NotificationRenderer.render(m, channel: channel, now: now)
        return await NotificationService.deliver(rendered, channel: channel, transports: (HTTPClient(), SMTPClient()), environment: env,
                                                 messageID: "1.1@vigil", nowMs: WallClock.nowMs())
    }

    /// base64(HMAC-SHA256(key, message)) computed by Python, independently of Vigil's own HMAC (waited for off the
    /// cooperative pool).
    static func pythonHMAC(key: String, message: String) async throws -> String {
        try await offPool { try pythonHMACBlocking(key: key, message: message) }
    }

    private static func pythonHMACBlocking(key: String, message: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import hmac,hashlib,base64,sys; print(base64.b64encode(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).digest()).decode())", key, message]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func dingTalkMarkdownSignedAsDingTalkSpecifies() async throws {
        let server = try RecordingHTTPServer()
        var ch = NotifyChannel(name: "ops", kind: .dingtalk, url: .literal(server.url + "/robot/send?access_token=abc"))
        ch.secret = .env("DT_SECRET")
        let a = try await Self.deliver(ch, env: ["DT_SECRET": "SECd41d8cd98f"])
        #expect(a.outcome == .delivered, "\(a)")
        let r = try #require(server.requests.first)
        #expect(r.method == "POST" && r.target.hasPrefix("/robot/send?access_token=abc&timestamp="))
        #expect(r.headers["content-type"] == "application/json; charset=utf-8")
        let ts = try #require(r.query["timestamp"])
        #expect(abs((Int64(ts) ?? 0) - WallClock.nowMs()) < 60_000, "milliseconds since the epoch")
        #expect(r.query["sign"] == (try await Self.pythonHMAC(key: "SECd41d8cd98f", message: "\(ts)\nSECd41d8cd98f")))
        let body = try #require(r.json)
        #expect(body["msgtype"] as? String == "markdown")
        let md = try #require(body["markdown"] as? [String: String])
        #expect(md["title"] == "[FIRING:1] DiskSpaceLow on web-1")
        #expect(md["text"]?.hasPrefix("#### [FIRING:1] DiskSpaceLow on web-1\n\n**DiskSpaceLow** firing (warning) on web-1\n/var on web-1 is 91% full (above 85%)\nfor 7m 0s") == true,
                "\(md["text"] ?? "")")
        #expect(md["text"]?.contains("value 91.2") == true && md["text"]?.contains("runbook: disk_cleanup") == true)
        #expect(md["text"]?.contains("open: vigil, then :alerts /0000000000000001") == true)
    }

    @Test func feishuCardAndTextSignedAsFeishuSpecifies() async throws {
        let server = try RecordingHTTPServer(fallback: .init(body: #"{"code":0,"msg":"success"}"#))
        var ch = NotifyChannel(name: "ops", kind: .feishu, url: .literal(server.url + "/open-apis/bot/v2/hook/xyz"))
        ch.secret = .literal("feishu-secret")
        #expect(try await Self.deliver(ch).outcome == .delivered)
        let card = try #require(server.requests.first?.json)
        #expect(card["msg_type"] as? String == "interactive")
        let ts = try #require(card["timestamp"] as? String)
        #expect(abs((Int64(ts) ?? 0) - WallClock.nowMs() / 1000) < 60, "seconds since the epoch")
        // Feishu: HMAC-SHA256 keyed with "timestamp\nsecret" over an empty message.
        #expect(card["sign"] as? String == (try await Self.pythonHMAC(key: "\(ts)\nfeishu-secret", message: "")))
        let header = try #require((card["card"] as? [String: Any])?["header"] as? [String: Any])
        #expect((header["title"] as? [String: String])?["content"] == "[FIRING:1] DiskSpaceLow on web-1")
        #expect(header["template"] as? String == "red")

        ch.feishuCard = false
        ch.secret = nil
        #expect(try await Self.deliver(ch, Self.message(status: "resolved")).outcome == .delivered)
        let text = try #require(server.requests.last?.json)
        #expect(text["msg_type"] as? String == "text" && text["sign"] == nil)
        #expect(((text["content"] as? [String: String])?["text"])?.hasPrefix("[RESOLVED] DiskSpaceLow on web-1\n**DiskSpaceLow** resolved") == true)
    }

    @Test func weComSlackAndWebhookBodies() async throws {
        let server = try RecordingHTTPServer()
        #expect(try await Self.deliver(NotifyChannel(name: "w", kind: .wecom, url: .literal(server.url + "/cgi-bin/webhook/send?key=k"))).outcome == .delivered)
        let wecom = try #require(server.requests.last?.json)
        #expect(wecom["msgtype"] as? String == "markdown")
        #expect(((wecom["markdown"] as? [String: String])?["content"])?.hasPrefix("**[FIRING:1] DiskSpaceLow on web-1**\n**DiskSpaceLow** firing") == true)

        server.setFallback(.init(body: "ok"))
        #expect(try await Self.deliver(NotifyChannel(name: "s", kind: .slack, url: .literal(server.url + "/services/T/B/X"))).outcome == .delivered)
        #expect((server.requests.last?.json?["text"] as? String)?.hasPrefix("*[FIRING:1] DiskSpaceLow on web-1*\n*DiskSpaceLow* firing") == true)

        #expect(try await Self.deliver(NotifyChannel(name: "hook", kind: .webhook, url: .literal(server.url + "/hook")), Self.message(alerts: 2)).outcome == .delivered)
        let am = try #require(server.requests.last?.json)
        #expect(am["version"] as? String == "4" && am["status"] as? String == "firing" && am["receiver"] as? String == "ops")
        #expect(am["groupKey"] as? String == "ops/{alertname=DiskSpaceLow}" && am["externalURL"] as? String == "http://ops:9470")
        #expect(am["groupLabels"] as? [String: String] == ["alertname": "DiskSpaceLow"])
        #expect(am["commonLabels"] as? [String: String] == ["alertname": "DiskSpaceLow", "mount": "/var", "severity": "warning"])
        #expect(am["commonAnnotations"] as? [String: String] == ["runbook": "disk_cleanup"])
        let alerts = try #require(am["alerts"] as? [[String: Any]])
        #expect(alerts.count == 2)
        #expect(Set(alerts[0].keys) == ["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"])
        #expect(alerts[0]["startsAt"] as? String == "2027-01-15T07:53:00.000Z" && alerts[0]["endsAt"] as? String == "0001-01-01T00:00:00Z")

        // A custom body template.
        var custom = NotifyChannel(name: "c", kind: .webhook, url: .literal(server.url + "/custom"))
        custom.templates["body"] = #"{"text": "{{ len .Firing }} firing: {{ range .Alerts }}{{ .Labels.host }} {{ end }}"}"#
        #expect(try await Self.deliver(custom, Self.message(alerts: 2)).outcome == .delivered)
        #expect(server.requests.last?.text == #"{"text": "2 firing: web-1 web-2 "}"#)
    }

    @Test func emailHasBothPartsEveryRecipientAndTheLogin() async throws {
        let smtp = try SMTPReceiver()
        var ch = NotifyChannel(name: "mail", kind: .email, url: .literal(smtp.url))
        ch.from = "vigil@example.org"
        ch.to = ["oncall@example.org", "lead@example.org"]
        ch.username = "vigil"
        ch.password = .literal("s3cret")
        var m = Self.message()
        m.alerts[0].annotations["summary"] = "<script>alert(1)</script> 磁盘"
        let a = try await Self.deliver(ch, m)
        #expect(a.outcome == .delivered && a.status == 250, "\(a)")
        let mail = try #require(smtp.mails.first)
        #expect(mail.from == "vigil@example.org" && mail.recipients == ["oncall@example.org", "lead@example.org"])
        #expect(mail.login?.user == "vigil" && mail.login?.password == "s3cret")
        #expect(mail.header("Subject") == "[FIRING:1] DiskSpaceLow on web-1")
        #expect(mail.header("To") == "oncall@example.org, lead@example.org")
        #expect(mail.header("Content-Type")?.hasPrefix("multipart/alternative; boundary=") == true)
        let text = try #require(mail.part("text/plain; charset=utf-8"))
        #expect(text.contains("<script>alert(1)</script> 磁盘"))
        let html = try #require(mail.part("text/html; charset=utf-8"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; 磁盘") && !html.contains("<script>"))
    }

    @Test func answersDecideDeliveredRetryOrDead() async throws {
        let server = try RecordingHTTPServer(script: [
            .init(status: 500, body: "boom"), .init(status: 429, body: "slow down"), .init(status: 400, body: "bad"),
            .init(status: 200, body: #"{"errcode":310000,"errmsg":"sign not match"}"#),
            .init(status: 200, body: #"{"errcode":130101,"errmsg":"send too fast"}"#),
            .init(status: 200, body: "{}", delayMs: 3_000),
        ])
        var ch = NotifyChannel(name: "ops", kind: .dingtalk, url: .literal(server.url + "/robot"))
        ch.timeoutMs = 500
        let outcomes = try await (0..<6).asyncMap { _ in try await Self.deliver(ch) }
        #expect(outcomes.map(\.outcome) == [.retry, .retry, .dead, .dead, .retry, .retry])
        #expect(outcomes[3].error?.hasPrefix("error 310000: sign not match") == true)
        #expect(outcomes[2].status == 400 && outcomes[5].status == nil)

        // Nothing listening: retried; a secret that cannot be read: dead, naming the variable, never the value.
        let refused = NotifyChannel(name: "gone", kind: .webhook, url: .literal("http://127.0.0.1:\(freePort())/x"))
        #expect(try await Self.deliver(refused).outcome == .retry)
        let missing = NotifyChannel(name: "m", kind: .slack, url: .env("VIGIL_SLACK_URL"))
        let a = try await Self.deliver(missing)
        #expect(a.outcome == .dead && a.error == "channel m: the environment variable VIGIL_SLACK_URL is not set")
    }

    @Test func theRemediationStateIsInTheMessage() throws {
        var m = Self.message()
        m.alerts[0].remediation = "disk_cleanup awaiting approval: vigil runbook approve r-42"
        let ch = NotifyChannel(name: "ops", kind: .wecom, url: .literal("http://x"))
        let text = try NotificationRenderer.render(m, channel: ch, now: Self.now).text
        #expect(text.contains("runbook: disk_cleanup\nremediation: disk_cleanup awaiting approval: vigil runbook approve r-42\nopen: vigil"), "\(text)")
        var mail = NotifyChannel(name: "m", kind: .email, url: .literal("smtp://x"))
        mail.from = "a@x"
        mail.to = ["b@x"]
        #expect(try NotificationRenderer.render(m, channel: mail, now: Self.now).html?.contains("remediation: disk_cleanup awaiting approval") == true)
    }

    @Test func backoffGrowsAndIsCapped() {
        #expect(NotificationService.backoffMs(attempt: 1, random: 1) == 2_000)
        #expect(NotificationService.backoffMs(attempt: 4, random: 1) == 16_000)
        #expect(NotificationService.backoffMs(attempt: 30, random: 1) == 600_000)
        #expect(NotificationService.backoffMs(attempt: 2, random: 0.8) == 3_200)
    }
}

extension Sequence {
    func asyncMap<T>(_ f: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await f(e)) }
        return out
    }
}
