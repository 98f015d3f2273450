import Foundation
import Testing
@testable import VigilCore
import VigilWire

/// The daily report from a real SQLite store, and its insight against the scripted chat-completions server
/// (`ScriptedChatServer` in AIClientTests.swift).
@Suite struct DailyReportTests {
    static let from: Int64 = 1_800_000_000_000
    static let to: Int64 = from + 86_400_000
    static let hour: Int64 = 3_600_000
    static let minute: Int64 = 60_000

    static func fire(_ store: SQLiteStore, _ rule: String, host: String, at: Int64) async throws {
        let instance = AlertInstance(alertName: rule, severity: .critical, labels: ["host": host], value: 95)
        try await store.recordAlerts([AlertUpdate(instance: instance, annotations: [:], state: .firing(since: at), flapping: false,
                                                  events: [.firing(at: at)])], now: at)
    }

    static func resolve(_ store: SQLiteStore, _ rule: String, host: String, at: Int64) async throws {
        let instance = AlertInstance(alertName: rule, severity: .critical, labels: ["host": host], value: 10)
        try await store.recordAlerts([AlertUpdate(instance: instance, annotations: [:], state: .resolved(at: at), flapping: false,
                                                  events: [.resolved(at: at)])], now: at)
    }

    static func run(_ store: SQLiteStore, _ id: String, _ runbook: String, state: RunState, at: Int64, dryRun: Bool = false) async throws {
        let rb = try #require(builtInCatalog().runbook(named: runbook))
        var run = RemediationRun(id: id, runbook: rb, host: "web-1", parameters: [:],
                                 steps: [JobStep(name: "s", kind: .action, argv: ["/bin/true"], timeoutMs: 1000)], dryRun: dryRun, requestedBy: "ann", now: at)
        run.state = state
        run.finishedAt = at + 1000
        try await store.createRun(run, actor: "ann", now: at)
    }

    /// web-1 (reporting until the end) and db-1 (silent since the first hour); DiskFull fires three times on web-1
    /// in the range and resolves twice (10 and 20 minutes); CheckDown on db-1 fired before the range and resolves
    /// 90 minutes later inside it; four real runs (service_restart: 1 ok, 2 failed; disk_cleanup ok), a dry run,
    /// and a run before the range; a new error log pattern on web-1.
    static func seeded() async throws -> (TempDir, SQLiteStore) {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("v.db"))
        let agent = AgentInfo(version: VigilVersion.current, os: "linux", kernel: "6", arch: "x86_64", cpus: 2, memory: 1 << 30)
        _ = try await store.ingest(IngestBatch(host: "db-1", agent: agent, samples: [Sample(name: "cpu.usage_percent", value: 5, ts: from + hour)]),
                                   receivedAt: from + hour)
        let logs = (0..<4).map { LogEntry(ts: from + 2 * hour + Int64($0) * 1000, source: "/var/log/app.log", level: .error,
                                          message: "upstream 10.1.2.\($0 + 7) timed out after \(30 + $0) ms") }
        _ = try await store.ingest(IngestBatch(host: "web-1", agent: agent, samples: [Sample(name: "cpu.usage_percent", value: 5, ts: to - 10_000)],
                                               logs: logs), receivedAt: to - 10_000)

        // Checks: db-1's pg every minute for the first hour, failing 10 of those minutes, then nothing; web-1's http
        // every minute for two hours, all passing.
        let pg = (0..<60).map { i in CheckResult(name: "pg", kind: .tcp, target: "127.0.0.1:5432", ok: !(20..<30).contains(i), latencyMs: 1, detail: "",
                                                 ts: from + Int64(i) * minute) }
        _ = try await store.ingest(IngestBatch(host: "db-1", checks: pg), receivedAt: from + hour)
        let http = (0..<120).map { i in CheckResult(name: "http", kind: .http, target: "http://x", ok: true, latencyMs: 1, detail: "", ts: from + Int64(i) * minute) }
        _ = try await store.ingest(IngestBatch(host: "web-1", checks: http), receivedAt: from + 2 * hour)
        try await fire(store, "CheckDown", host: "db-1", at: from - hour)
        try await resolve(store, "CheckDown", host: "db-1", at: from + 30 * minute)
        try await fire(store, "DiskFull", host: "web-1", at: from + hour)
        try await resolve(store, "DiskFull", host: "web-1", at: from + hour + 10 * minute)
        try await fire(store, "DiskFull", host: "web-1", at: from + 3 * hour)
        try await resolve(store, "DiskFull", host: "web-1", at: from + 3 * hour + 20 * minute)
        try await fire(store, "DiskFull", host: "web-1", at: from + 5 * hour)
        try await fire(store, "OldNoise", host: "web-1", at: from - 2 * hour)  // before the range: not counted

        try await run(store, "run_old", "service_restart", state: .failed, at: from - hour)
        try await run(store, "run_1", "service_restart", state: .succeeded, at: from + hour)
        try await run(store, "run_2", "service_restart", state: .failed, at: from + 2 * hour)
        try await run(store, "run_3", "service_restart", state: .error, at: from + 3 * hour)
        try await run(store, "run_4", "disk_cleanup", state: .succeeded, at: from + 4 * hour)
        try await run(store, "run_dry", "disk_cleanup", state: .succeeded, at: from + 4 * hour, dryRun: true)
        return (dir, store)
    }

    @Test func theReportsNumbersComeFromTheStore() async throws {
        let (dir, store) = try await Self.seeded()
        _ = dir
        let r = try await DailyReport.gather(store: store, from: Self.from, to: Self.to, now: Self.to)
        #expect(r.alertsFired == 3)
        #expect(r.alertsResolved == 3)
        #expect(r.rules.map(\.rule) == ["DiskFull", "CheckDown"])
        #expect(r.rules.first == DailyReport.RuleLine(rule: "DiskFull", fired: 3, resolved: 2, hosts: 1))
        #expect(r.noisiestRules.map(\.rule) == ["DiskFull"])
        #expect(r.hosts.map(\.host) == ["web-1", "db-1"])
        #expect(r.mttrMs == 40 * Self.minute)  // (10 + 20 + 90) / 3
        #expect(r.resolutionsTimed == 3)
        #expect(r.incidentCount == 3)
        #expect(Set(r.incidents.map(\.rule)) == ["DiskFull", "CheckDown"])
        #expect(r.incidents.first { $0.rule == "CheckDown" }?.durationMs == 90 * Self.minute)
        #expect(r.runs == 4 && r.runsSucceeded == 2 && r.runsFailed == 2 && r.dryRuns == 1)
        #expect(r.successRate == 0.5)
        #expect(r.runbooks.first == DailyReport.RunbookLine(runbook: "service_restart", runs: 3, succeeded: 1, failed: 2))
        #expect(r.newPatterns.count == 1)
        #expect(r.newPatterns.first?.count == 4 && r.newPatterns.first?.level == .error)
        #expect(r.newPatterns.first?.template.contains("timed out") == true)
        #expect(r.worstHosts.first?.host == "db-1")
        // Availability: least available first; pg's last result stands for two intervals, then its time is unknown.
        #expect(r.availability.map(\.check) == ["pg", "http"])
        #expect(r.availability.first?.tally == AvailabilityTally(upMs: 49 * Self.minute + 2 * Self.minute, downMs: 10 * Self.minute,
                                                                 unknownMs: (Self.to - Self.from) - 61 * Self.minute))
        #expect(r.availability.first?.hosts == 1)

        let text = r.text
        for needle in ["ALERTS  3 fired, 3 resolved, MTTR 40m", "DiskFull", "INCIDENTS  3 resolved", "REMEDIATION  4 runs: 2 succeeded, 2 failed (50% success); 1 dry run",
                       "NEW LOG PATTERNS  1", "WORST HEALTH", "AVAILABILITY  (checks, time-weighted", "83.607%"] {
            #expect(text.contains(needle), "report lacks \(needle):\n\(text)")
        }
        #expect(!text.contains("OldNoise"))
        #expect(r.json["alerts"]?["fired"] == 3)
        #expect(r.json["remediation"]?["success_rate"] == 0.5)

        // The rules of thumb name the noisiest rule, the failing runbook and the host that alerts most.
        let h = DailyInsight.heuristic(r)
        #expect(h.isHeuristic)
        #expect(h.findings.contains { $0.finding == "DiskFull is the noisiest rule" })
        #expect(h.findings.contains { $0.finding == "runbook service_restart keeps failing" && $0.severity == "high" })
        #expect(h.findings.contains { $0.finding == "web-1 alerts the most" })
        #expect(h.findings.contains { $0.finding == "check pg was down 10m" && $0.severity == "high" && $0.evidence.first?.hasPrefix("83.61% available") == true },
                "\(h.findings)")
        #expect(!h.findings.contains { $0.finding.contains("check http") })
        #expect(h.headline.hasPrefix("3 alerts fired, 3 resolved, 3 incidents, 4 remediation runs (50% success)"))
    }

    @Test func aGeneratedReportIsStoredWithItsInsight() async throws {
        let (dir, store) = try await Self.seeded()
        _ = dir
        let server = ScriptedChatServer([])
        let client = try AIClient(config: testAIConfig(server, key: nil), log: StoreAICallLog(store: store))
        let g = try await GeneratedDailyReport.generate(store: store, client: client, from: Self.from, to: Self.to, now: Self.to, useAI: true)
        #expect(g.insight.isHeuristic)
        #expect(g.insight.fallbackReason?.contains("no AI key configured") == true)
        #expect(server.received.isEmpty)
        #expect(try await store.aiCalls(limit: 5).map(\.outcome) == [.noKey])
        #expect(try await store.aiCalls(limit: 5).first?.feature == "daily_insight")

        let list = try await store.reports(kind: "daily", limit: 10)
        #expect(list.map(\.id) == [g.stored.id])
        let shown = try #require(try await store.report(id: g.stored.id))
        #expect(shown == g.stored)
        #expect(shown.from == Self.from && shown.to == Self.to)
        #expect(shown.text.contains("INSIGHT (heuristic, rules of thumb; not AI)"))
        #expect(shown.text.contains("no AI key configured"))
        let json = try JSONValue.parse(shown.json)
        #expect(json["report"]?["alerts"]?["fired"] == 3)
        #expect(json["insight"]?["source"] == "heuristic")
        #expect(try await store.report(id: 999) == nil)
        #expect(try await store.reports(kind: "weekly", limit: 10).isEmpty)
    }

    // MARK: the AI insight

    static func pureReport() -> DailyReport {
        let events = [ReportAlertEvent(fingerprint: "a", rule: "DiskFull", host: "web-1", severity: "critical", kind: "firing", ts: from + hour),
                      ReportAlertEvent(fingerprint: "a", rule: "DiskFull", host: "web-1", severity: "critical", kind: "resolved", ts: from + 2 * hour,
                                       firedAt: from + hour)]
        let pattern = LogPatternStat(id: 1, template: "upstream <*> timed out after <*> ms", count: 12, trend: [], previousCount: 0, level: .error,
                                     maxLevel: .error, firstSeen: from + hour, lastSeen: from + 2 * hour)
        return DailyReport.build(from: from, to: to, generatedAt: to, events: events, incidents: [], runs: [], patterns: [pattern], hosts: [])
    }

    static let validInsight = Chunks.json([
        "headline": "One disk alert, resolved in an hour",
        "findings": [["finding": "DiskFull fired once on web-1", "evidence": ["fired 1, resolved 1", "MTTR 1h"], "severity": "low"],
                     ["finding": "new upstream timeouts", "evidence": "12 error lines", "severity": "medium"]],
        "recommendations": ["Check web-1's upstream"],
    ])

    @Test func theAIInsightIsAcceptedWhenValid() async throws {
        let server = ScriptedChatServer([.sse(Chunks.answer(Self.validInsight))])
        let log = MemoryAICallLog()
        let insight = await DailyInsightWriter(client: try AIClient(config: testAIConfig(server), log: log)).insight(for: Self.pureReport())
        #expect(insight.source == "scripted-1")
        #expect(insight.fallbackReason == nil)
        #expect(insight.headline == "One disk alert, resolved in an hour")
        #expect(insight.findings.map(\.severity) == ["low", "medium"])
        #expect(insight.findings[1].evidence == ["12 error lines"])
        #expect(insight.recommendations == ["Check web-1's upstream"])
        #expect(insight.text.hasPrefix("INSIGHT (AI: scripted-1)"))
        #expect(log.records.map(\.outcome) == [.ok])
        #expect(log.records.first?.feature == "daily_insight")
        // The prompt holds the report's facts and asks for JSON.
        let body = try #require(server.received.first?.json)
        #expect((body["response_format"] as? [String: Any])?["type"] as? String == "json_object")
        let prompt = (body["messages"] as? [[String: Any]])?.compactMap { $0["content"] as? String }.joined(separator: "\n") ?? ""
        for needle in ["DiskFull", "MTTR 1h", "upstream <*> timed out after <*> ms", "\"recommendations\""] {
            #expect(prompt.contains(needle), "prompt lacks \(needle)")
        }
    }

    @Test func aMalformedInsightFallsBackToTheHeuristicWithTheReason() async throws {
        let bad = Chunks.json(["headline": "h", "findings": [["finding": "f", "evidence": [String](), "severity": "urgent"]], "recommendations": [String]()])
        let server = ScriptedChatServer([.sse(Chunks.answer(bad)), .sse(Chunks.answer("not json at all"))])
        let log = MemoryAICallLog()
        let writer = DailyInsightWriter(client: try AIClient(config: testAIConfig(server), log: log))
        let first = await writer.insight(for: Self.pureReport())
        #expect(first.isHeuristic)
        #expect(first.fallbackReason == "AI answer rejected: findings[0].severity must be low, medium or high; heuristic insight shown")
        #expect(first.headline == DailyInsight.heuristic(Self.pureReport()).headline)
        #expect(first.text.contains("INSIGHT (heuristic"))
        let second = await writer.insight(for: Self.pureReport())
        #expect(second.fallbackReason?.hasPrefix("AI answer rejected: the answer is not valid JSON") == true)
        #expect(log.records.map(\.outcome) == [.rejected, .rejected])
    }

    @Test func withoutAKeyNothingIsSentAndTheHeuristicSaysSo() async throws {
        let server = ScriptedChatServer([.sse(Chunks.answer(Self.validInsight))])
        let log = MemoryAICallLog()
        let insight = await DailyInsightWriter(client: try AIClient(config: testAIConfig(server, key: nil), log: log)).insight(for: Self.pureReport())
        #expect(insight.isHeuristic)
        #expect(insight.fallbackReason == "AI: " + AIConfig.noKeyMessage)
        #expect(server.received.isEmpty)
        #expect(log.records.map(\.outcome) == [.noKey])

        // --no-ai: not even a call to log.
        let quiet = MemoryAICallLog()
        let noAI = await DailyInsightWriter(client: try AIClient(config: testAIConfig(server), log: quiet)).insight(for: Self.pureReport(), useAI: false)
        #expect(noAI.isHeuristic && noAI.fallbackReason == "AI not asked (--no-ai)")
        #expect(quiet.records.isEmpty && server.received.isEmpty)
    }

    @Test func insightSchemaViolationsAreNamed() {
        func reason(_ json: String) -> String? {
            do { _ = try DailyInsight.validate(json, model: "m"); return nil } catch { return error.reason }
        }
        #expect(reason(#"{"findings":[],"recommendations":[]}"#) == "the answer has no 'headline'")
        #expect(reason(#"{"headline":"h","recommendations":[]}"#) == "the answer has no 'findings'")
        #expect(reason(#"{"headline":"h","findings":[{"evidence":[],"severity":"low"}],"recommendations":[]}"#) == "findings[0] has no 'finding'")
        #expect(reason(#"{"headline":"h","findings":[{"finding":"f","severity":"low"}],"recommendations":[]}"#) == "findings[0] has no 'evidence'")
        #expect(reason(#"{"headline":"h","findings":[],"recommendations":[1]}"#) == "the answer.recommendations must be an array of strings")
        #expect(reason(#"{"headline":"h","findings":[],"recommendations":[" "]}"#) == "a recommendation is empty")
        #expect(reason("```json\n{\"headline\":\"h\",\"findings\":[],\"recommendations\":[]}\n```") == nil)
    }
}
