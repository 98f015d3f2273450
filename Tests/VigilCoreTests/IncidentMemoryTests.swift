import Foundation
import Testing
@testable import VigilCore
import VigilWire

/// Resolved alerts are remembered and found again for a like alert, with what fixed them.
struct IncidentMemoryTests {
    func firing(_ store: any Store, rule: String, host: String, labels: [String: String], at: Int64) async throws -> String {
        var l = labels
        l["host"] = host
        let instance = AlertInstance(alertName: rule, severity: .critical, labels: l, value: 95)
        try await store.recordAlerts([AlertUpdate(instance: instance, annotations: [:], state: .firing(since: at), flapping: false,
                                                  events: [.firing(at: at)])], now: at)
        return instance.fingerprint
    }

    func resolve(_ store: any Store, rule: String, host: String, labels: [String: String], at: Int64) async throws {
        var l = labels
        l["host"] = host
        let instance = AlertInstance(alertName: rule, severity: .critical, labels: l, value: 10)
        try await store.recordAlerts([AlertUpdate(instance: instance, annotations: [:], state: .resolved(at: at), flapping: false,
                                                  events: [.resolved(at: at)])], now: at)
    }

    @Test(arguments: Backend.available) func aResolvedAlertIsRememberedAndFoundForALikeOne(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let t0: Int64 = 1_800_000_000_000
        var batch = IngestBatch(host: "web-1", logs: [LogEntry(ts: t0 + 1000, source: "/var/log/nginx/error.log", level: .error,
                                                              message: "upstream timed out (110) while reading response header")])
        batch.agent = AgentInfo(version: VigilVersion.current, os: "x", kernel: "x", arch: "x", cpus: 1, memory: 1)
        _ = try await store.ingest(batch, receivedAt: t0)
        for round in 0..<2 {
            let at = t0 + Int64(round) * 3_600_000
            let fp = try await firing(store, rule: "CheckDown", host: "web-1", labels: ["check": "nginx", "unit": "nginx.service"], at: at)
            _ = try await store.alertAction(.note, fingerprint: fp, detail: "nginx wedged again", actor: "ann", now: at + 10)
            // A successful service_restart run on it.
            let rb = builtInCatalog().runbook(named: "service_restart")!
            var run = RemediationRun(id: "run_\(round)", runbook: rb, host: "web-1", parameters: ["unit": "nginx.service"], steps: [],
                                     alertFingerprint: fp, alertName: "CheckDown", dryRun: false, requestedBy: "ann", now: at + 20)
            run.diagnosis = Diagnosis(cause: "nginx.service is down", evidence: [], runbook: "service_restart", confidence: 0.7)
            run.state = .succeeded
            run.finishedAt = at + 30
            try await store.createRun(run, actor: "ann", now: at + 20)
            try await resolve(store, rule: "CheckDown", host: "web-1", labels: ["check": "nginx", "unit": "nginx.service"], at: at + 60_000)
        }
        // An unrelated incident.
        _ = try await firing(store, rule: "DiskSpaceLow", host: "db-1", labels: ["mount": "/"], at: t0)
        try await resolve(store, rule: "DiskSpaceLow", host: "db-1", labels: ["mount": "/"], at: t0 + 5000)

        let all = try await store.incidents(limit: 10)
        #expect(all.count == 3)
        let first = try #require(all.last { $0.rule == "CheckDown" })   // the first round (newest first)
        #expect(first.diagnosis == "nginx.service is down" && first.runbook == "service_restart" && first.outcome == "succeeded")
        #expect(first.notes.contains("nginx wedged again"))
        #expect(first.patterns.contains { $0.contains("upstream timed out") })

        // It fires again: the two past episodes come first, and the summary says what fixed them.
        let now = t0 + 5 * 3_600_000
        let fp = try await firing(store, rule: "CheckDown", host: "web-1", labels: ["check": "nginx", "unit": "nginx.service"], at: now)
        let alert = try #require(try await store.alert(fingerprint: fp))
        let similar = try await store.similarIncidents(to: alert, limit: 5)
        #expect(similar.prefix(2).allSatisfy { $0.rule == "CheckDown" })
        #expect(IncidentMemory.summary(similar.filter { $0.rule == "CheckDown" }, now: now) == "seen twice before (last 3h ago), fixed by service_restart twice")
        let d = await Remediator(store: store, catalog: builtInCatalog()).diagnose(alert, now: now)
        #expect(d.evidence.contains { $0.hasPrefix("seen twice before") })
    }

    @Test(arguments: Backend.available) func labelTextCannotBreakTheSearch(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let fp = try await firing(store, rule: "Weird", host: "h", labels: ["q": "\"a\" OR NEAR(b) * -c:d"], at: 1000)
        let alert = try #require(try await store.alert(fingerprint: fp))
        _ = try await store.similarIncidents(to: alert, limit: 5)   // must not throw an FTS syntax error
        #expect(IncidentMemory.query(for: alert)?.contains("NEAR(") == false)
    }
}

struct IncidentMemoryForAITests {
    @Test func theAISeesPastIncidentsLikeTheAlert() {
        let now: Int64 = 1_800_000_000_000
        var alert = StoredAlert(fingerprint: "fp", rule: "CheckDown", severity: .critical, labels: ["host": "web-1", "unit": "nginx.service"],
                                annotations: [:], state: "firing", value: 0, activeSince: now - 60_000, firedAt: now - 60_000, resolvedAt: nil,
                                lastEvaluated: now)
        alert.metric = nil
        let past = IncidentRecord(id: "inc_1", fingerprint: "fp", rule: "CheckDown", host: "web-1", severity: "critical", labels: [:],
                                  startedAt: now - 7_200_000, resolvedAt: now - 7_000_000, diagnosis: "nginx.service is down",
                                  runbook: "service_restart", outcome: "succeeded", notes: "worker pool exhausted")
        let input = DiagnosisInput(alert: alert, incidents: [past], now: now)
        let messages = AIDiagnoser.messages(for: input, catalog: builtInCatalog(), heuristic: nil)
        let user = messages.map(\.content).joined(separator: "\n")
        #expect(user.contains("PAST INCIDENTS LIKE THIS"))
        #expect(user.contains("seen once before"))
        #expect(user.contains("ran service_restart: succeeded") && user.contains("worker pool exhausted"))
    }
}
