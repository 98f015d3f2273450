import Foundation
import Testing
@testable import VigilCore
import VigilHTTP
import VigilWire

/// The whole loop with real processes: a breaching metric is ingested → the rule fires → the heuristic
/// diagnosis and an auto-mode run are recorded → a real `vigil-agent` long-polls the job, runs the built-in
/// `disk-cleanup` step program on real files → verify passes → the metric clears → the alert resolves.
@Suite(.serialized) struct RemediationEndToEndTests {
    @Test func aBreachIsRemediatedByARealAgentAndTheAlertResolves() async throws {
        let dir = TempDir()
        let db = dir.file("vigil.db")
        let store = try SQLiteStore(path: db)
        let (_, secret) = try await store.createAgentToken(host: "e2e-fix", expiresAt: nil, comment: "e2e", now: WallClock.nowMs(), actor: "test")

        // Real files: one old enough to go, one new enough to stay, and a symlink to an old file outside.
        let junk = dir.file("junk")
        let outside = dir.file("outside")
        try FileManager.default.createDirectory(atPath: junk, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let old = junk + "/old.tmp", fresh = junk + "/fresh.tmp", precious = outside + "/precious.tmp"
        for p in [old, fresh, precious] { _ = FileManager.default.createFile(atPath: p, contents: Data(repeating: 0x61, count: 4096)) }
        let tenDaysAgo = Date().addingTimeInterval(-10 * 86_400)
        try FileManager.default.setAttributes([.modificationDate: tenDaysAgo], ofItemAtPath: old)
        try FileManager.default.setAttributes([.modificationDate: tenDaysAgo], ofItemAtPath: precious)
        try FileManager.default.createSymbolicLink(atPath: junk + "/link.tmp", withDestinationPath: precious)

        let rules = dir.file("rules")
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        try """
            groups:
              - name: e2e
                rules:
                  - alert: StaleFiles
                    kind: threshold
                    expr: {metric: app.stale_files, op: ">", threshold: 0}
                    annotations: {summary: stale files pile up}
                    remediation:
                      runbook: disk_cleanup
                      mode: auto
                      params: {dirs: "\(junk)", older_than_days: "1", journal_max_size: "", target_percent: "100"}
            """.write(toFile: rules + "/e2e.yaml", atomically: true, encoding: .utf8)

        let port = freePort()
        let serve = try Child(Binaries.path("vigil"), ["serve", "--db", db, "--listen", "127.0.0.1:\(port)", "--rules", rules])
        defer { serve.stopInBackground() }
        let up = await eventually(20) {
            (try? await offPool { try HTTPClient().perform(HTTPRequest(url: "http://127.0.0.1:\(port)/healthz", timeoutMs: 500)) })?.status == 200
        }
        #expect(up, "serve: \(serve.text)")

        let config = dir.file("agent.yaml")
        try """
            url: http://127.0.0.1:\(port)
            host: e2e-fix
            interval: 1s
            state_dir: \(dir.file("state"))
            remediation:
              enabled: true
              allow_dirs: [\(junk)]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let agent = try Child(Binaries.path("vigil-agent"), ["--config", config], environment: ["VIGIL_TOKEN": secret])
        defer { agent.stopInBackground() }

        // The application's own metric: how many files in junk are older than a day (what an exporter would report).
        func staleCount() -> Int {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: junk)) ?? []
            return names.filter { n in
                guard let a = try? FileManager.default.attributesOfItem(atPath: junk + "/" + n), a[.type] as? FileAttributeType == .typeRegular,
                      let m = a[.modificationDate] as? Date else { return false }
                return m < Date().addingTimeInterval(-86_400)
            }.count
        }
        // The application metric starts once the agent has reported (so the host's agent version is known).
        let reported = await eventually(20) {
            (try? await store.fleetSnapshot(now: WallClock.nowMs()))?.hosts.first { $0.name == "e2e-fix" }?.agent?.version == VigilVersion.current
        }
        #expect(reported, "agent: \(agent.text)")
        let pusher = Task.detached {
            while !Task.isCancelled {
                let batch = IngestBatch(host: "e2e-fix", samples: [Sample(name: "app.stale_files", value: Double(staleCount()), ts: WallClock.nowMs())])
                let request = HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/api/v1/ingest",
                                          headers: [("Authorization", "Bearer \(secret)"), ("Content-Type", "application/json")],
                                          body: Array(batch.json().utf8), timeoutMs: TestTime.ms(10_000))
                _ = try? await offPool { try HTTPClient().perform(request) }
                try? await Task.sleep(for: .milliseconds(300))
            }
        }
        defer { pusher.cancel() }

        let resolved = await eventually(60) {
            let alerts = (try? await store.alerts(states: nil, limit: 10)) ?? []
            return alerts.contains { $0.rule == "StaleFiles" && $0.state == "resolved" }
        }
        let runs = try await store.runs(RunFilter(host: "e2e-fix"))
        #expect(resolved, "runs: \(runs.map { "\($0.id) \($0.state) \($0.message)" }); agent: \(agent.text.suffix(2000)); serve: \(serve.text.suffix(2000))")
        let run = try #require(runs.first)
        #expect(runs.count == 1, "one run per firing episode")
        #expect(run.state == .succeeded, "\(run.message)")
        #expect(run.mode == .auto && run.runbook == "disk_cleanup" && run.requestedBy == "vigil")
        #expect(run.diagnosis != nil)
        #expect(run.verdict?.allowed == true)
        #expect(!FileManager.default.fileExists(atPath: old), "the old file was removed")
        #expect(FileManager.default.fileExists(atPath: fresh), "the new file stays")
        #expect(FileManager.default.fileExists(atPath: precious), "the symlink was not followed")

        let events = try await store.runEvents(id: run.id, afterSeq: 0)
        let output = events.compactMap(\.text).joined(separator: "\n")
        #expect(output.contains("old.tmp"), "\(output)")
        #expect(events.last?.type == .jobFinished && events.last?.outcome == .succeeded)

        let alert = try #require(try await store.alerts(states: nil, limit: 10).first { $0.rule == "StaleFiles" })
        let timeline = try await store.alertTimeline(fingerprint: alert.fingerprint)
        #expect(timeline.contains { $0.kind == "remediation" && $0.detail.contains("queued") })
        #expect(timeline.contains { $0.kind == "remediation" && $0.detail.contains("succeeded") && $0.actor == "agent:e2e-fix" })
        #expect(timeline.last?.kind == "resolved" || timeline.contains { $0.kind == "resolved" })
        let audit = try await store.auditEntries(AuditFilter())
        #expect(audit.contains { $0.action == "runbook.finish" && $0.target == run.id })
        #expect(try await store.verifyAudit().isIntact)
    }
}
