import Foundation
import Testing
@testable import VigilCore
import VigilHTTP
import VigilWire

/// The alerts API and Alertmanager's push endpoint over real HTTP, with role checks.
@Suite struct AlertsAPITests {
    func call(_ e: RunningEngine, _ method: String, _ path: String, token: String?, body: String? = nil) async throws -> HTTPResponse {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let req = HTTPRequest(method: method, url: e.url + path, headers: headers, body: Array((body ?? "").utf8), timeoutMs: 30_000)
        return try await offPool { try HTTPClient().perform(req) }
    }

    /// Issue 15.1 and 15.9, as the attacker did them: an operator's push of an alert named like a rule with an
    /// auto runbook must not run it, and a push with a native alert's labels must not resolve that alert.
    @Test func aPushNeverRunsARulesRunbookNorTouchesNativeAlertsAndIsAudited() async throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("rules"), withIntermediateDirectories: true)
        try """
        groups:
          - name: g
            interval: 1s
            rules:
              - alert: DiskSpaceLow
                kind: threshold
                expr: {metric: disk.used_percent, op: ">", threshold: 85}
                for: 10m
                remediation: {runbook: disk_cleanup, mode: auto}
              - alert: Hot
                kind: threshold
                expr: {metric: cpu.usage_percent, op: ">", threshold: 90}
        """.write(toFile: dir.file("rules/r.yaml"), atomically: true, encoding: .utf8)
        let e = try await RunningEngine.start(ruleDirectories: [dir.file("rules")], tickMs: 200)
        let now = WallClock.nowMs()
        _ = try await e.store.resolveUser(osUser: "admin", now: now)
        _ = try await e.store.addUser("oncall", role: .operator, now: now, actor: "admin")
        let (_, op) = try await e.store.createUserToken(user: "oncall", expiresAt: nil, comment: "", now: now, actor: "admin")
        let (_, agent) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: now, actor: "admin")

        // A native alert on web-1.
        #expect(try await e.post(Array(IngestBatch.simple(host: "web-1", at: now, cpu: 97).json().utf8), token: agent).status == 200)
        #expect(await eventually(10) { (try? await e.store.alerts(states: ["firing"], limit: 10))?.contains { $0.rule == "Hot" } == true })

        var r = try await call(e, "POST", "/api/v2/alerts", token: op,
                               body: "[{\"labels\":{\"alertname\":\"DiskSpaceLow\",\"host\":\"web-1\",\"mount\":\"/var\"}}]")
        #expect(r.status == 200, "\(r.text)")
        r = try await call(e, "POST", "/api/v2/alerts", token: op,
                           body: "[{\"labels\":{\"alertname\":\"Hot\",\"host\":\"web-1\"},\"endsAt\":\"2020-01-01T00:00:00Z\"}]")
        #expect(r.status == 200, "\(r.text)")
        try await Task.sleep(for: .seconds(3)) // the remediation driver ticks every second
        #expect(try await e.store.runs(RunFilter()).isEmpty, "a pushed alert started a runbook")
        let firing = try await e.store.alerts(states: ["firing"], limit: 10)
        let hot = try #require(firing.first { $0.rule == "Hot" }, "the native alert must keep firing: \(firing.map(\.rule))")
        #expect(hot.source == "vigil")
        let pushed = try #require(firing.first { $0.rule == "DiskSpaceLow" })
        #expect(pushed.source == "prometheus" && pushed.fingerprint != hot.fingerprint)
        let audit = try await e.store.auditEntries(AuditFilter(action: "alerts.push"))
        #expect(audit.count == 2 && audit.allSatisfy { $0.actor == "oncall" }, "\(audit)")
        #expect(audit.contains { $0.detail.contains("DiskSpaceLow") })
        await e.stop()
    }

    @Test func prometheusPushThenListAckAndSilence() async throws {
        let e = try await RunningEngine.start()
        let now = WallClock.nowMs()
        _ = try await e.store.resolveUser(osUser: "admin", now: now)
        _ = try await e.store.addUser("oncall", role: .operator, now: now, actor: "admin")
        let (_, op) = try await e.store.createUserToken(user: "oncall", expiresAt: nil, comment: "", now: now, actor: "admin")
        let (_, viewer) = try await e.store.createUserToken(user: "intern", expiresAt: nil, comment: "", now: now, actor: "admin")
        let (_, agent) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: now, actor: "admin")

        // Prometheus pushes two alerts (its payload shape, fractional-second times).
        let push = """
            [{"labels":{"alertname":"NodeFilesystemAlmostOutOfSpace","instance":"db-1:9100","host":"db-1","severity":"critical","mountpoint":"/"},
              "annotations":{"summary":"Filesystem has less than 5% space left."},"startsAt":"2026-11-29T10:00:00.123Z",
              "endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=x"},
             {"labels":{"alertname":"NodeHighLoad","host":"web-2","severity":"warning"},"annotations":{}}]
            """
        var r = try await call(e, "POST", "/api/v2/alerts", token: op, body: push)
        #expect(r.status == 200, "\(r.text)")
        r = try await call(e, "GET", "/api/v1/alerts", token: viewer)
        #expect(r.status == 200)
        let list = try JSONDecoder().decode([AlertsAPI.AlertJSON].self, from: Data(r.body))
        #expect(list.map(\.alertname) == ["NodeFilesystemAlmostOutOfSpace", "NodeHighLoad"])
        #expect(list[0].severity == "critical" && list[0].source == "prometheus" && list[0].labels["mountpoint"] == "/")
        r = try await call(e, "GET", "/api/v1/alerts?severity=critical&host=db-1", token: viewer)
        #expect(try JSONDecoder().decode([AlertsAPI.AlertJSON].self, from: Data(r.body)).count == 1)

        // A viewer cannot acknowledge; an operator can.
        let fp = list[0].fingerprint
        r = try await call(e, "POST", "/api/v1/alerts/\(fp)/ack", token: viewer, body: "{\"note\":\"mine\"}")
        #expect(r.status == 403 && r.text.contains("intern is a viewer"))
        r = try await call(e, "POST", "/api/v1/alerts/\(fp)/ack", token: op, body: "{\"note\":\"expanding the volume\"}")
        #expect(r.status == 200 && r.text.contains("\"ackedBy\":\"oncall\""))
        r = try await call(e, "POST", "/api/v1/alerts/nope/ack", token: op)
        #expect(r.status == 404)

        // Silences.
        r = try await call(e, "POST", "/api/v1/silences", token: op, body: "{\"matchers\":[\"host=web-2\"],\"duration\":\"2h\",\"comment\":\"reboot\"}")
        #expect(r.status == 201, "\(r.text)")
        r = try await call(e, "POST", "/api/v1/silences", token: op, body: "{\"matchers\":[\"host=~(\"],\"duration\":\"2h\"}")
        #expect(r.status == 400 && r.text.contains("\"field\":\"matchers[0]\""))
        r = try await call(e, "POST", "/api/v1/silences", token: op, body: "{\"matchers\":[\"host=a\"],\"duration\":\"9223372036854775000ms\"}")
        #expect(r.status == 400 && r.text.contains("\"field\":\"duration\""), "an absurd duration is refused, not a crash")
        r = try await call(e, "POST", "/api/v1/silences", token: op, body: "{\"duration\":\"2h\"}")
        #expect(r.status == 400 && r.text.contains("\"field\":\"matchers\""))
        r = try await call(e, "GET", "/api/v1/silences", token: viewer)
        #expect(r.text.contains("host=web-2") && r.text.contains("\"createdBy\":\"oncall\""))

        // Prometheus resolves one.
        r = try await call(e, "POST", "/api/v2/alerts", token: op,
                           body: "[{\"labels\":{\"alertname\":\"NodeHighLoad\",\"host\":\"web-2\",\"severity\":\"warning\"},\"endsAt\":\"2020-01-01T00:00:00Z\"}]")
        #expect(r.status == 200)
        #expect(try await e.store.alerts(states: ["firing"], limit: 10).map(\.rule) == ["NodeFilesystemAlmostOutOfSpace"])

        // Wrong tokens.
        #expect(try await call(e, "GET", "/api/v1/alerts", token: nil).status == 401)
        r = try await call(e, "GET", "/api/v1/alerts", token: agent)
        #expect(r.status == 401 && r.text.contains("agent token"))
        r = try await call(e, "POST", "/api/v2/alerts", token: op, body: "[{\"labels\":{\"host\":\"x\"}}]")
        #expect(r.status == 400 && r.text.contains("alertname"))
        // And an API token cannot push agent data.
        r = try await e.post(Array(IngestBatch.simple(host: "x", at: now).json().utf8), token: op)
        #expect(r.status == 401 && r.text.contains("API token"))
        #expect(try await e.store.auditEntries(AuditFilter(action: "alert.ack")).first?.actor == "oncall")
        await e.stop()
    }
}
