import Foundation
import Testing
@testable import VigilCore
import VigilWire
import VigilTestSupport

/// Every AI feature against the scripted chat-completions server (`ScriptedChatServer` in AIClientTests.swift).
@Suite struct AIFeatureTests {
    static let now: Int64 = 1_700_000_000_000

    static func diskAlert(annotations: [String: String] = [:]) -> StoredAlert {
        StoredAlert(fingerprint: "fp-disk", rule: "DiskAlmostFull", severity: .critical,
                    labels: ["alertname": "DiskAlmostFull", "host": "web-1", "mount": "/data"], annotations: annotations, state: "firing",
                    value: 93.5, activeSince: now - 600_000, firedAt: now - 300_000, lastEvaluated: now, metric: "disk.used_percent",
                    seriesLabels: ["mount": "/data"])
    }

    static func diskInput(annotations: [String: String] = [:], logs: [StoredLog] = []) -> DiagnosisInput {
        let points = (0..<12).map { SeriesPoint(ts: now - Int64(12 - $0) * 300_000, value: 88 + Double($0) * 0.5) }
        return DiagnosisInput(alert: diskAlert(annotations: annotations), series: ["disk.used_percent": points], logs: logs, now: now)
    }

    static func rca(runbook: String? = "disk_cleanup", parameters: [String: Any] = ["mount": "/data", "older_than_days": 3],
                    confidence: Double = 0.82) -> String {
        var o: [String: Any] = [
            "summary": "/data fills with old batch exports",
            "causes": [["cause": "nightly export job leaves files behind", "confidence": confidence,
                        "evidence": ["disk.used_percent rose from 88 to 93.5 in an hour"]],
                       ["cause": "log growth", "confidence": 0.1, "evidence": [String]()]],
            "risk": "low",
        ]
        o["runbook"] = runbook.map { ["name": $0, "parameters": parameters] as [String: Any] } ?? NSNull()
        return Chunks.json(o)
    }

    static func diagnoser(_ server: ScriptedChatServer?, key: String? = "test-key-123", idleMs: Int = 2_000,
                          log: MemoryAICallLog) throws -> AIDiagnoser {
        AIDiagnoser(client: try AIClient(config: testAIConfig(server, key: key, idleMs: idleMs), log: log))
    }

    // MARK: root-cause analysis

    @Test func acceptsAValidStreamedAnswer() async throws {
        let server = ScriptedChatServer([.sse(Chunks.answer(Self.rca(), size: 9))])
        let log = MemoryAICallLog()
        let texts = Locked<Int>(0)
        let result = try await Self.diagnoser(server, log: log).analyze(Self.diskInput(), catalog: builtInCatalog()) { e in
            if case .text = e { texts.withLock { $0 += 1 } }
        }
        #expect(texts.withLock { $0 } > 3)
        #expect(result.fallbackReason == nil)
        #expect(result.outcome == .ok)
        let rc = try #require(result.rootCause)
        #expect(rc.summary == "/data fills with old batch exports")
        #expect(rc.causes.map(\.confidence) == [0.82, 0.1])
        #expect(rc.runbook == "disk_cleanup")
        #expect(rc.parameters == ["mount": "/data", "older_than_days": "3"])
        #expect(rc.risk == .low)
        let d = result.diagnosis
        #expect(d.source == "scripted-1")
        #expect(d.runbook == "disk_cleanup")
        #expect(d.confidence == 0.82)
        #expect(d.evidence.first == "82% nightly export job leaves files behind: disk.used_percent rose from 88 to 93.5 in an hour")

        // The prompt carries the alert, the metrics and the catalogue, and asks for JSON.
        let body = try #require(server.received.first?.json)
        #expect((body["response_format"] as? [String: Any])?["type"] as? String == "json_object")
        let prompt = (body["messages"] as? [[String: Any]])?.compactMap { $0["content"] as? String }.joined(separator: "\n") ?? ""
        for needle in ["DiskAlmostFull", "mount=/data", "disk.used_percent: latest 93.50", "- disk_cleanup (risk", "older_than_days (int",
                       "service_restart", "\"runbook\""] {
            #expect(prompt.contains(needle), "prompt lacks \(needle)")
        }
        #expect(log.records.map(\.outcome) == [.ok])
        #expect(log.records.first?.feature == "diagnose")
        #expect(log.records.first?.promptTokens == 321)
    }

    @Test func malformedJSONFallsBackToTheHeuristic() async throws {
        let server = ScriptedChatServer([.sse(Chunks.answer(#"{"summary": "disk full", "causes": [{"cause": "x", "confidence": 0.5,"#))])
        let log = MemoryAICallLog()
        let result = try await Self.diagnoser(server, log: log).analyze(Self.diskInput(), catalog: builtInCatalog())
        let heuristic = HeuristicDiagnoser().diagnoseNow(Self.diskInput(), catalog: builtInCatalog())
        #expect(result.rootCause == nil)
        #expect(result.diagnosis.source == "heuristic")
        #expect(result.diagnosis.cause == heuristic.cause)
        #expect(result.diagnosis.runbook == heuristic.runbook)
        #expect(result.diagnosis.evidence.last?.hasPrefix("AI answer rejected (the answer is not valid JSON") == true)
        #expect(log.records.map(\.outcome) == [.rejected])
        #expect(log.records.first?.detail.hasPrefix("rejected: the answer is not valid JSON") == true)
    }

    @Test func anOutOfCatalogueRunbookFallsBackToTheHeuristic() async throws {
        let server = ScriptedChatServer([.sse(Chunks.answer(Self.rca(runbook: "rm_rf_data", parameters: [:])))])
        let log = MemoryAICallLog()
        let d = try await Self.diagnoser(server, log: log).diagnose(Self.diskInput(), catalog: builtInCatalog())
        #expect(d.source == "heuristic")
        #expect(d.runbook == "disk_cleanup")
        #expect(d.evidence.last?.contains("runbook 'rm_rf_data' is not in the catalogue") == true)
        #expect(d.evidence.last?.hasSuffix("heuristic diagnosis shown") == true)
        #expect(log.records.map(\.outcome) == [.rejected])
    }

    @Test func parametersTheRunbookRefusesAreRejected() async throws {
        let server = ScriptedChatServer([.sse(Chunks.answer(Self.rca(parameters: ["older_than_days": "soon"]))),
                                         .sse(Chunks.answer(Self.rca(parameters: ["command": "rm -rf /"])))])
        let log = MemoryAICallLog()
        let diagnoser = try Self.diagnoser(server, log: log)
        let first = await diagnoser.analyze(Self.diskInput(), catalog: builtInCatalog())
        #expect(first.rootCause == nil)
        #expect(first.fallbackReason?.contains("parameter 'older_than_days'") == true)
        let second = await diagnoser.analyze(Self.diskInput(), catalog: builtInCatalog())
        #expect(second.fallbackReason?.contains("parameter 'command'") == true)
        #expect(log.records.map(\.outcome) == [.rejected, .rejected])
    }

    @Test func schemaViolationsAreRejected() throws {
        let catalog = builtInCatalog()
        let labels = ["host": "web-1"]
        func reason(_ json: String) -> String? {
            do { _ = try AIRootCause.validate(json, catalog: catalog, labels: labels, model: "m"); return nil } catch { return error.reason }
        }
        #expect(reason(#"{"causes":[{"cause":"a","confidence":0.5,"evidence":[]}],"runbook":null,"risk":"low"}"#) == "the answer has no 'summary'")
        #expect(reason(#"{"summary":"s","causes":[],"runbook":null,"risk":"low"}"#) == "the answer lists no causes")
        #expect(reason(#"{"summary":"s","causes":[{"cause":"a","confidence":1.5,"evidence":[]}],"runbook":null,"risk":"low"}"#)
                == "causes[0].confidence 1.5 is outside 0…1")
        #expect(reason(#"{"summary":"s","causes":[{"cause":"a","confidence":"high","evidence":[]}],"runbook":null,"risk":"low"}"#)
                == "causes[0].confidence must be a number from 0 to 1")
        #expect(reason(#"{"summary":"s","causes":[{"cause":"a","confidence":0.5}],"runbook":null,"risk":"low"}"#) == "causes[0] has no 'evidence'")
        #expect(reason(#"{"summary":"s","causes":[{"cause":"a","confidence":0.5,"evidence":[]}],"runbook":null,"risk":"extreme"}"#)
                == "'risk' must be one of low, medium, high")
        #expect(reason(#"[1,2]"#) == "the answer is JSON but not an object")
        // A fenced answer with a null runbook is fine.
        #expect(reason("```json\n{\"summary\":\"s\",\"causes\":[{\"cause\":\"a\",\"confidence\":0.5,\"evidence\":[\"e\"]}],\"runbook\":null,\"risk\":\"medium\"}\n```") == nil)
    }

    @Test func withoutAKeyTheHeuristicIsShownAndSaysSo() async throws {
        let server = ScriptedChatServer([.sse(Chunks.answer(Self.rca()))])
        let log = MemoryAICallLog()
        let result = try await Self.diagnoser(server, key: nil, log: log).analyze(Self.diskInput(), catalog: builtInCatalog())
        #expect(result.outcome == .noKey)
        #expect(result.diagnosis.source == "heuristic")
        #expect(result.fallbackReason?.contains("no AI key configured") == true)
        #expect(result.diagnosis.evidence.last == result.fallbackReason)
        #expect(server.received.isEmpty)
        #expect(log.records.map(\.outcome) == [.noKey])
    }

    @Test func aHangFallsBackInBoundedTime() async throws {
        let server = ScriptedChatServer([.hang])
        let log = MemoryAICallLog()
        // Built before the clock starts: the bound is on the call, not on parsing the runbooks (slow in a loaded debug run).
        let (diagnoser, input, catalog) = (try Self.diagnoser(server, idleMs: 300, log: log), Self.diskInput(), builtInCatalog())
        let start = WallClock.monotonicNs()
        let result = await diagnoser.analyze(input, catalog: catalog)
        // The server would hang for 30 s. The tight bound is on the call's own thread (the logged latency); the
        // test's task may wait seconds for the pool at the start of a parallel run, so its wall clock gets room.
        #expect(elapsedMs(since: start) < TestTime.ms(25_000))
        #expect((log.records.first?.latencyMs ?? .max) < TestTime.ms(9_000))
        #expect(result.diagnosis.source == "heuristic")
        #expect(result.fallbackReason?.hasPrefix("AI unavailable (the AI server did not answer in time") == true)
        #expect(log.records.map(\.outcome) == [.timeout])
    }

    @Test func aRateLimitIsRetriedForTheDiagnosis() async throws {
        let server = ScriptedChatServer([.plain(status: 429, headers: [("Retry-After", "0")], body: "{}"), .sse(Chunks.answer(Self.rca()))])
        let log = MemoryAICallLog()
        let result = try await Self.diagnoser(server, log: log).analyze(Self.diskInput(), catalog: builtInCatalog())
        #expect(result.rootCause != nil)
        #expect(server.received.count == 2)
        #expect(log.records.first?.detail.contains("2 attempts") == true)
    }

    @Test func secretsInTheAlertAndLogsNeverReachTheServer() async throws {
        let secrets = ["Zx9-hunter2", "vgl_abcdef1234567890", "ops-team@example.org", "eyJhbGciOiJIUzI1NiJ9.eyJ1IjoiYSJ9.c2lnbmF0dXJl"]
        let server = ScriptedChatServer([.sse(Chunks.answer(Self.rca()))], forbidden: secrets)
        let logs = [StoredLog(id: 1, host: "web-1", ts: Self.now - 1_000, source: "app", level: .error,
                              message: "db connect failed password=Zx9-hunter2 token=vgl_abcdef1234567890"),
                    StoredLog(id: 2, host: "web-1", ts: Self.now - 2_000, source: "app", level: .warning,
                              message: "bearer eyJhbGciOiJIUzI1NiJ9.eyJ1IjoiYSJ9.c2lnbmF0dXJl refused")]
        let log = MemoryAICallLog()
        let result = try await Self.diagnoser(server, log: log).analyze(
            Self.diskInput(annotations: ["owner": "ops-team@example.org"], logs: logs), catalog: builtInCatalog())
        #expect(result.rootCause != nil)
        #expect(server.leaks.isEmpty)
        #expect(server.received.count == 1)
        #expect(log.records.first?.detail.contains("redacted") == true)
    }

    @Test(arguments: Backend.available) func theRemediatorUsesTheAIDiagnoserAndTheStoreKeepsTheCall(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let server = ScriptedChatServer([.sse(Chunks.answer(Self.rca()))])
        let client = try AIClient(config: testAIConfig(server), log: StoreAICallLog(store: store))
        let remediator = Remediator(store: store, catalog: builtInCatalog(), diagnoser: AIDiagnoser(client: client))
        let d = await remediator.diagnose(Self.diskAlert(), now: Self.now)
        #expect(d.source == "scripted-1")
        #expect(d.runbook == "disk_cleanup")
        let calls = try await store.aiCalls(limit: 5)
        #expect(calls.count == 1)
        #expect(calls.first?.feature == "diagnose")
        #expect(calls.first?.outcome == .ok)
        #expect(calls.first?.completionTokens == 45)
    }

    // MARK: log analysis

    static func webLogs() -> [StoredLog] {
        var out: [StoredLog] = []
        var id: Int64 = 0
        func add(_ ts: Int64, _ level: LogLevel, _ m: String) {
            id += 1
            out.append(StoredLog(id: id, host: "web-1", ts: ts, source: "nginx", level: level, message: m))
        }
        for i in 0..<40 { add(now - 3_000_000 + Int64(i) * 60_000, .info, "GET /api/orders/\(9_000 + i) 200 in \(20 + i) ms") }
        for i in 0..<6 { add(now - 600_000 + Int64(i) * 10_000, .error, "upstream timed out after \(3000 + i) ms connecting to 10.0.0.\(i + 10):8080") }
        add(now - 100_000, .warning, "worker 7 exited on signal 9")
        return out
    }

    @Test func logAnalysisSendsTemplatesNotRawLines() async throws {
        let answer = Chunks.json([
            "patterns": [["pattern": "GET /api/orders/<*> 200 in <*> ms", "count": 40, "note": "steady traffic"]],
            "anomalies": [["description": "upstream timeouts started 10 minutes ago", "severity": "high",
                           "evidence": ["upstream timed out after <*> ms connecting to <*>"]]],
            "assessment": "web-1 serves traffic but its upstream on :8080 is timing out.",
        ])
        let server = ScriptedChatServer([.sse(Chunks.answer(answer))])
        let log = MemoryAICallLog()
        let analyzer = LogAnalyzer(client: try AIClient(config: testAIConfig(server), log: log))
        let a = await analyzer.analyze(host: "web-1", from: Self.now - 3_600_000, to: Self.now, logs: Self.webLogs())
        #expect(a.fallbackReason == nil)
        #expect(a.source == "scripted-1")
        #expect(a.lines == 47)
        #expect(a.templates.first?.count == 40)
        #expect(a.patterns == [LogAnalysis.Pattern(pattern: "GET /api/orders/<*> 200 in <*> ms", count: 40, note: "steady traffic")])
        #expect(a.anomalies.first?.severity == "high")
        #expect(a.assessment.hasPrefix("web-1 serves traffic"))

        let prompt = try #require(server.received.first?.body)
        #expect(prompt.contains("40 info"))
        #expect(prompt.contains("6 error"))
        #expect(!prompt.contains("9017"))  // a raw line's value: only templates are sent
        #expect(!prompt.contains("10.0.0.12"))
        #expect(log.records.map(\.feature) == ["logs"])
        #expect(log.records.map(\.outcome) == [.ok])
    }

    @Test func logAnalysisRejectsAMalformedAnswer() async throws {
        let server = ScriptedChatServer([.sse(Chunks.answer(#"{"patterns": "many", "anomalies": [], "assessment": "fine"}"#))])
        let log = MemoryAICallLog()
        let analyzer = LogAnalyzer(client: try AIClient(config: testAIConfig(server), log: log))
        let a = await analyzer.analyze(host: "web-1", from: Self.now - 3_600_000, to: Self.now, logs: Self.webLogs())
        #expect(a.source == "heuristic")
        #expect(a.fallbackReason == "AI answer rejected: the answer.patterns must be an array; heuristic summary shown")
        #expect(a.patterns.first?.count == 40)
        #expect(a.anomalies.contains { $0.description.hasPrefix("6× error: upstream timed out") })
        #expect(a.anomalies.contains { $0.description.hasPrefix("seen once: worker") })
        #expect(log.records.map(\.outcome) == [.rejected])
    }

    @Test func logAnalysisWithoutAKeyIsTheHeuristicSummary() async throws {
        let log = MemoryAICallLog()
        let analyzer = LogAnalyzer(client: try AIClient(config: testAIConfig(nil, key: nil), log: log))
        let a = await analyzer.analyze(host: "web-1", from: Self.now - 3_600_000, to: Self.now, logs: Self.webLogs())
        #expect(a.source == "heuristic")
        #expect(a.fallbackReason?.contains("no AI key configured") == true)
        #expect(a.assessment.hasPrefix("47 lines in 3 templates; 6 at error or above"))
        #expect(log.records.map(\.outcome) == [.noKey])
    }
}
