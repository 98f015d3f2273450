import Foundation
import Testing
@testable import VigilCore
import VigilWire

/// A small fleet in a real SQLite store: web-1 and web-2 (group web), db-1 (group db, address 10.0.0.21); web-1
/// checks db-1's port and web-2's health URL; web-1 has CPU, memory, two disks, logs and a firing alert.
struct ToolFleet {
    static let t0: Int64 = 1_800_000_000_000
    let dir = TempDir()
    let store: SQLiteStore
    let alertFingerprint: String

    init() async throws {
        store = try SQLiteStore(path: dir.file("vigil.db"))
        let t0 = Self.t0
        let agent = AgentInfo(version: VigilVersion.current, os: "linux", kernel: "6", arch: "x86_64", cpus: 2, memory: 1 << 30)
        for k in 0..<30 {
            let ts = t0 - Int64(29 - k) * 60_000
            var samples = [
                Sample(name: "cpu.usage_percent", value: Double(10 + k), ts: ts),
                Sample(name: "mem.used_percent", value: 50, ts: ts),
                Sample(name: "disk.used_percent", value: 91.5, ts: ts, labels: ["mount": "/"]),
                Sample(name: "disk.used_percent", value: 20, ts: ts, labels: ["mount": "/var"]),
            ]
            var logs: [LogEntry] = []
            var checks: [CheckResult] = []
            if k == 29 {
                logs = [LogEntry(ts: ts, source: "/var/log/app.log", level: .error, message: "connection refused to 10.0.0.21:5432"),
                        LogEntry(ts: ts - 1000, source: "/var/log/app.log", level: .info, message: "request served in 12 ms")]
                checks = [CheckResult(name: "db", kind: .tcp, target: "10.0.0.21:5432", ok: false, latencyMs: 1, detail: "refused", ts: ts),
                          CheckResult(name: "peer", kind: .http, target: "http://web-2:8080/health", ok: true, latencyMs: 3, ts: ts),
                          CheckResult(name: "nginx", kind: .systemd, target: "nginx.service", ok: true, latencyMs: 1, ts: ts)]
            }
            if k == 0 { logs = [LogEntry(ts: t0 - 2 * 3_600_000, source: "/var/log/app.log", level: .error, message: "old connection refused")] }
            _ = try await store.ingest(IngestBatch(host: "web-1", agent: agent, labels: ["group": "web", "address": "10.0.0.11"],
                                                   samples: samples, logs: logs, checks: checks), receivedAt: ts)
            samples = [Sample(name: "cpu.usage_percent", value: 5, ts: ts)]
            _ = try await store.ingest(IngestBatch(host: "web-2", agent: agent, labels: ["group": "web"], samples: samples), receivedAt: ts)
            _ = try await store.ingest(IngestBatch(host: "db-1", agent: agent, labels: ["group": "db", "address": "10.0.0.21"], samples: samples),
                                       receivedAt: ts)
        }
        let instance = AlertInstance(alertName: "DiskSpaceLow", severity: .critical, labels: ["host": "web-1", "mount": "/"], value: 91.5)
        try await store.recordAlerts([AlertUpdate(instance: instance, annotations: ["summary": "disk / of web-1 is 91.5% full"],
                                                  state: .firing(since: t0 - 600_000), flapping: false, events: [.firing(at: t0 - 600_000)],
                                                  metric: "disk.used_percent", seriesLabels: ["mount": "/"])], now: t0 - 600_000)
        alertFingerprint = instance.fingerprint
    }

    func tools(role: UserRole = .operator) -> FleetTools {
        FleetTools(store: store, catalog: builtInCatalog(), requester: .user(name: "ann", role: role), clock: { ToolFleet.t0 + 5000 })
    }
}

struct FleetToolsTests {
    @Test func theCatalogueHasSchemasForOpenAIAndMCP() async throws {
        let f = try await ToolFleet()
        let defs = f.tools().definitions
        #expect(defs.map(\.name) == ["list_hosts", "query_metrics", "list_alerts", "search_logs", "topology_neighbours",
                                     "similar_incidents", "propose_runbook"])
        for d in defs {
            #expect(d.readOnly)
            #expect(d.inputSchema["type"] == "object")
            #expect(d.inputSchema["additionalProperties"] == false)
            #expect(d.openAITool["function"]?["parameters"] == d.inputSchema)
            #expect(d.openAITool["type"] == "function")
        }
        let q = try #require(defs.first { $0.name == "query_metrics" })
        #expect(q.inputSchema["required"] == ["host", "metric"])
        #expect(q.inputSchema["properties"]?["labels"]?["additionalProperties"] == ["type": "string"])
        let p = try #require(defs.first { $0.name == "propose_runbook" })
        #expect(p.inputSchema["properties"]?["runbook"]?["enum"]?.arrayValue?.contains("service_restart") == true)
        #expect(p.description.contains("WITHOUT running"))
        #expect(defs.first { $0.name == "topology_neighbours" }?.description.contains("INFERRED") == true)
        // The whole array round-trips through JSON text.
        let tools = f.tools().openAITools
        #expect(try JSONValue.parse(tools.jsonText) == tools)
    }

    @Test func jsonValueParsesAndWrites() throws {
        let v = try JSONValue.parse(#"{"b": true, "n": 3, "x": 1.5, "s": "a\"b", "a": [null, 1], "o": {}}"#)
        #expect(v == ["b": true, "n": 3, "x": 1.5, "s": "a\"b", "a": [nil, 1], "o": [:]])
        #expect(v.jsonText == #"{"a":[null,1],"b":true,"n":3,"o":{},"s":"a\"b","x":1.5}"#)
        #expect(throws: JSONValueError.self) { try JSONValue.parse("{nope") }
    }

    @Test func listHostsSummarisesTheFleet() async throws {
        let f = try await ToolFleet()
        let r = await f.tools().call(name: "list_hosts", arguments: [:])
        #expect(!r.isError, "\(r.text)")
        #expect(r.value["fleet"]?["hosts"] == 3)
        #expect(r.value["fleet"]?["up"] == 3)
        let hosts = try #require(r.value["hosts"]?.arrayValue)
        #expect(hosts.count == 3)
        // Worst health first: web-1 has a 91.5% disk and a failing check.
        #expect(hosts.first?["name"] == "web-1")
        #expect(hosts.first?["disk_percent"] == 91.5)
        #expect(hosts.first?["checks_failing"] == 1)
        #expect(hosts.first?["labels"]?["group"] == "web")
        #expect(r.text.contains("\"web-2\""))

        let web = await f.tools().call(name: "list_hosts", arguments: ["label": "group=web", "limit": 1])
        #expect(web.value["matching"] == 2)
        #expect(web.value["hosts"]?.arrayValue?.count == 1)
        #expect(web.value["truncated"] != nil)

        let bad = await f.tools().call(name: "list_hosts", arguments: ["label": "web"])
        #expect(bad.isError && bad.text.contains("argument 'label'") && bad.text.contains("key=value"))
        let badStatus = await f.tools().call(name: "list_hosts", arguments: ["status": "sleepy"])
        #expect(badStatus.isError && badStatus.text.contains("argument 'status'") && badStatus.text.contains("up, stale, down"))
        let unknown = await f.tools().call(name: "list_hosts", arguments: ["hostname": "web-1"])
        #expect(unknown.isError && unknown.text.contains("argument 'hostname'") && unknown.text.contains("status, label, limit"))
    }

    @Test func queryMetricsSummarisesAndCompactsASeries() async throws {
        let f = try await ToolFleet()
        let r = await f.tools().call(name: "query_metrics", arguments: ["host": "web-1", "metric": "cpu.usage_percent", "since": "1h", "points": 6])
        #expect(!r.isError, "\(r.text)")
        let s = try #require(r.value["series"]?.arrayValue?.first)
        #expect(s["points"] == 30)
        #expect(s["latest"] == 39)
        #expect(s["min"] == 10)
        #expect(s["max"] == 39)
        #expect(s["avg"] == 24.5)
        #expect(s["step"] == "10m")
        let values = try #require(s["values"]?.arrayValue)
        #expect(values.count == 6)
        #expect(values.prefix(3).allSatisfy { $0.isNull })  // the first half hour of the hour has no data
        #expect(values.last?.numberValue ?? 0 > 30)

        // Two disks: both series unless labels narrow it.
        let disks = await f.tools().call(name: "query_metrics", arguments: ["host": "web-1", "metric": "disk.used_percent"])
        #expect(disks.value["series"]?.arrayValue?.count == 2)
        let root = await f.tools().call(name: "query_metrics", arguments: ["host": "web-1", "metric": "disk.used_percent", "labels": ["mount": "/"]])
        #expect(root.value["series"]?.arrayValue?.count == 1)
        #expect(root.value["series"]?.arrayValue?.first?["latest"] == 91.5)

        // Errors name the argument and say what would work.
        let noHost = await f.tools().call(name: "query_metrics", arguments: ["host": "web-9", "metric": "cpu.usage_percent"])
        #expect(noHost.isError && noHost.text.contains("argument 'host'") && noHost.text.contains("db-1, web-1, web-2"))
        let noMetric = await f.tools().call(name: "query_metrics", arguments: ["host": "web-1", "metric": "cpu.usage"])
        #expect(noMetric.isError && noMetric.text.contains("argument 'metric'") && noMetric.text.contains("cpu.usage_percent"))
        let noSeries = await f.tools().call(name: "query_metrics", arguments: ["host": "web-1", "metric": "disk.used_percent", "labels": ["mount": "/x"]])
        #expect(noSeries.isError && noSeries.text.contains("argument 'labels'") && noSeries.text.contains("{mount=/var}"))
        let missing = await f.tools().call(name: "query_metrics", arguments: ["metric": "cpu.usage_percent"])
        #expect(missing.isError && missing.text.contains("argument 'host': is required"))
        let badSince = await f.tools().call(name: "query_metrics", arguments: ["host": "web-1", "metric": "cpu.usage_percent", "since": "soon"])
        #expect(badSince.isError && badSince.text.contains("argument 'since'") && badSince.text.contains("1h"))
        let tooFar = await f.tools().call(name: "query_metrics", arguments: ["host": "web-1", "metric": "cpu.usage_percent", "since": "30d"])
        #expect(tooFar.isError && tooFar.text.contains("at most 7d"))
        let badPoints = await f.tools().call(name: "query_metrics", arguments: ["host": "web-1", "metric": "cpu.usage_percent", "points": "many"])
        #expect(badPoints.isError && badPoints.text.contains("argument 'points': must be an integer"))
        let badType = await f.tools().call(name: "query_metrics", arguments: ["host": 7, "metric": "cpu.usage_percent"])
        #expect(badType.isError && badType.text.contains("argument 'host': must be a string, got an integer"))
    }

    @Test func listAlertsFilters() async throws {
        let f = try await ToolFleet()
        let r = await f.tools().call(name: "list_alerts", arguments: [:])
        #expect(!r.isError, "\(r.text)")
        let a = try #require(r.value["alerts"]?.arrayValue?.first)
        #expect(a["rule"] == "DiskSpaceLow")
        #expect(a["fingerprint"] == .string(f.alertFingerprint))
        #expect(a["host"] == "web-1" && a["state"] == "firing" && a["severity"] == "critical")
        #expect(a["summary"] == "disk / of web-1 is 91.5% full")
        #expect(a["labels"]?["mount"] == "/")
        #expect(a["for"] == "10m")
        #expect(await f.tools().call(name: "list_alerts", arguments: ["host": "db-1"]).value["count"] == 0)
        #expect(await f.tools().call(name: "list_alerts", arguments: ["state": "resolved"]).value["count"] == 0)
        #expect(await f.tools().call(name: "list_alerts", arguments: ["severity": "warning"]).value["count"] == 1)
        let bad = await f.tools().call(name: "list_alerts", arguments: ["severity": "huge"])
        #expect(bad.isError && bad.text.contains("argument 'severity'") && bad.text.contains("info, warning, critical"))
        let badLimit = await f.tools().call(name: "list_alerts", arguments: ["limit": 0])
        #expect(badLimit.isError && badLimit.text.contains("argument 'limit': 0 is out of range 1…200"))
    }

    @Test func searchLogsByWordsLevelAndWindow() async throws {
        let f = try await ToolFleet()
        let r = await f.tools().call(name: "search_logs", arguments: ["query": "connection refused"])
        #expect(!r.isError, "\(r.text)")
        // The two-hour-old line is outside the default hour.
        #expect(r.value["count"] == 1)
        #expect(r.value["lines"]?.arrayValue?.first?["message"] == "connection refused to 10.0.0.21:5432")
        #expect(r.value["lines"]?.arrayValue?.first?["level"] == "error")
        #expect(await f.tools().call(name: "search_logs", arguments: ["query": "connection refused", "since": "3h"]).value["count"] == 2)
        #expect(await f.tools().call(name: "search_logs", arguments: ["host": "web-1"]).value["count"] == 2)
        #expect(await f.tools().call(name: "search_logs", arguments: ["host": "web-1", "level": "warning"]).value["count"] == 1)
        #expect(await f.tools().call(name: "search_logs", arguments: ["host": "web-2"]).value["count"] == 0)
        let noHost = await f.tools().call(name: "search_logs", arguments: ["host": "nope-1"])
        #expect(noHost.isError && noHost.text.contains("argument 'host': no host named 'nope-1'"))
        let badLevel = await f.tools().call(name: "search_logs", arguments: ["level": "loud"])
        #expect(badLevel.isError && badLevel.text.contains("argument 'level'"))
        // Arguments as JSON text (OpenAI's tool calls), with null for an absent optional argument.
        let viaText = await f.tools().call(name: "search_logs", argumentsJSON: #"{"query": "served", "host": null}"#)
        #expect(viaText.value["count"] == 1)
        let broken = await f.tools().call(name: "search_logs", argumentsJSON: "{query")
        #expect(broken.isError && broken.text.contains("not valid JSON"))
        let notObject = await f.tools().call(name: "search_logs", argumentsJSON: "[1]")
        #expect(notObject.isError && notObject.text.contains("must be a JSON object"))
    }

    @Test func topologyNeighboursAreInferredFromLabelsAndChecks() async throws {
        let f = try await ToolFleet()
        let r = await f.tools().call(name: "topology_neighbours", arguments: ["host": "web-1"])
        #expect(!r.isError, "\(r.text)")
        #expect(r.value["inferred"] == true)
        let n = try #require(r.value["neighbours"]?.arrayValue)
        #expect(n.compactMap { $0["host"]?.stringValue } == ["web-2", "db-1"])
        let web2 = n[0]["relations"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(web2.contains("same group=web"))
        #expect(web2.contains { $0.contains("web-1 checks it") && $0.contains("http://web-2:8080/health") })
        let db = n[1]["relations"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(db == ["web-1 checks it (db: tcp 10.0.0.21:5432, failing)"])

        let fromDB = await f.tools().call(name: "topology_neighbours", arguments: ["host": "db-1"])
        let back = fromDB.value["neighbours"]?.arrayValue?.first?["relations"]?.arrayValue?.first?.stringValue ?? ""
        #expect(back.contains("it checks db-1"))

        let missing = await f.tools().call(name: "topology_neighbours", arguments: [:])
        #expect(missing.isError && missing.text.contains("argument 'host': is required"))
        let unknown = await f.tools().call(name: "topology_neighbours", arguments: ["host": "web-7"])
        #expect(unknown.isError && unknown.text.contains("no host named 'web-7'"))
    }

    @Test func targetHostParsing() {
        #expect(TopologyInference.targetHost("http://user@db-1:8080/x?y") == "db-1")
        #expect(TopologyInference.targetHost("10.0.0.5:5432") == "10.0.0.5")
        #expect(TopologyInference.targetHost("[::1]:80") == "::1")
        #expect(TopologyInference.targetHost("DB-1.internal") == "db-1.internal")
        #expect(TopologyInference.targetHost("") == nil)
    }

    @Test func similarIncidentsByAlertOrWords() async throws {
        let f = try await ToolFleet()
        // A past DiskSpaceLow on web-1, resolved (and so remembered), noted by an operator.
        let past = AlertInstance(alertName: "DiskSpaceLow", severity: .critical, labels: ["host": "web-1", "mount": "/var"], value: 95)
        let t = ToolFleet.t0 - 86_400_000
        try await f.store.recordAlerts([AlertUpdate(instance: past, annotations: [:], state: .firing(since: t), flapping: false,
                                                    events: [.firing(at: t)])], now: t)
        _ = try await f.store.alertAction(.note, fingerprint: past.fingerprint, detail: "rotated the journal", actor: "ann", now: t + 10)
        try await f.store.recordAlerts([AlertUpdate(instance: past, annotations: [:], state: .resolved(at: t + 60_000), flapping: false,
                                                    events: [.resolved(at: t + 60_000)])], now: t + 60_000)

        let byAlert = await f.tools().call(name: "similar_incidents", arguments: ["fingerprint": .string(f.alertFingerprint)])
        #expect(!byAlert.isError, "\(byAlert.text)")
        #expect(byAlert.value["count"] == 1)
        let i = try #require(byAlert.value["incidents"]?.arrayValue?.first)
        #expect(i["rule"] == "DiskSpaceLow" && i["host"] == "web-1" && i["notes"] == "rotated the journal" && i["lasted"] == "1m")
        #expect(byAlert.value["summary"]?.stringValue?.hasPrefix("seen once before") == true)

        let byWords = await f.tools().call(name: "similar_incidents", arguments: ["query": "journal"])
        #expect(byWords.value["count"] == 1)
        #expect(await f.tools().call(name: "similar_incidents", arguments: ["query": "kernel panic"]).value["count"] == 0)

        let neither = await f.tools().call(name: "similar_incidents", arguments: [:])
        #expect(neither.isError && neither.text.contains("argument 'fingerprint'") && neither.text.contains("query"))
        let noAlert = await f.tools().call(name: "similar_incidents", arguments: ["fingerprint": "abc"])
        #expect(noAlert.isError && noAlert.text.contains("no alert has fingerprint 'abc'"))
    }

    @Test func proposeRunbookPlansAndNeverSubmits() async throws {
        let f = try await ToolFleet()
        let r = await f.tools().call(name: "propose_runbook", arguments: [
            "runbook": "service_restart", "host": "web-1", "params": ["unit": "nginx.service"],
        ])
        #expect(!r.isError, "\(r.text)")
        #expect(r.value["proposal"] == true && r.value["submitted"] == false)
        #expect(r.value["runbook"] == "service_restart" && r.value["host"] == "web-1")
        #expect(r.value["parameters"]?["unit"] == "nginx.service")
        let steps = try #require(r.value["steps"]?.arrayValue)
        #expect(steps.first?["command"] == "vigil-step service-restart --unit nginx.service")
        #expect(["allowed", "needs approval"].contains(r.value["verdict"]?.stringValue ?? ""), "\(r.text)")
        #expect(r.value["checks"]?.arrayValue?.contains { $0["name"] == "role" && $0["result"] == "pass" } == true)
        #expect(r.value["plan_text"]?.stringValue?.contains("safety:") == true)
        #expect(r.value["next"]?.stringValue?.contains("vigil runbook run service_restart --host web-1 --param unit=nginx.service") == true)
        let plan = try #require(r.proposal)
        #expect(plan.runbook.name == "service_restart" && plan.host == "web-1")

        // Tied to the alert: its diagnosis comes along.
        let withAlert = await f.tools().call(name: "propose_runbook", arguments: [
            "runbook": "disk_cleanup", "host": "web-1", "alert": .string(f.alertFingerprint),
        ])
        #expect(!withAlert.isError, "\(withAlert.text)")
        #expect(withAlert.value["diagnosis"]?["cause"]?.stringValue?.isEmpty == false)

        // A viewer's proposal is planned but blocked by the role check.
        let viewer = await f.tools(role: .viewer).call(name: "propose_runbook", arguments: [
            "runbook": "service_restart", "host": "web-1", "params": ["unit": "nginx.service"],
        ])
        #expect(viewer.value["verdict"] == "blocked")
        #expect(viewer.value["block_reason"]?.stringValue?.contains("viewer") == true)

        // Bad arguments name themselves.
        let noRunbook = await f.tools().call(name: "propose_runbook", arguments: ["runbook": "reboot_everything", "host": "web-1"])
        #expect(noRunbook.isError && noRunbook.text.contains("argument 'runbook'") && noRunbook.text.contains("service_restart"))
        let badParam = await f.tools().call(name: "propose_runbook", arguments: ["runbook": "service_restart", "host": "web-1", "params": ["unitt": "x"]])
        #expect(badParam.isError && badParam.text.contains("argument 'params.unitt'") && badParam.text.contains("unit"))
        let badValue = await f.tools().call(name: "propose_runbook", arguments: ["runbook": "service_restart", "host": "web-1", "params": ["unit": "x; rm -rf /"]])
        #expect(badValue.isError && badValue.text.contains("unit"), "\(badValue.text)")
        let missingRequired = await f.tools().call(name: "propose_runbook", arguments: ["runbook": "service_restart", "host": "web-1"])
        #expect(missingRequired.isError && missingRequired.text.contains("unit"), "\(missingRequired.text)")
        let badHost = await f.tools().call(name: "propose_runbook", arguments: ["runbook": "service_restart", "host": "web 1; x"])
        #expect(badHost.isError && badHost.text.contains("argument 'host'"))

        // Nothing was ever stored as a run.
        #expect(try await f.store.runs(RunFilter(limit: 100)).isEmpty)
    }

    @Test func unknownToolIsAnError() async throws {
        let f = try await ToolFleet()
        let r = await f.tools().call(name: "run_shell", arguments: [:])
        #expect(r.isError && r.text.contains("no tool named 'run_shell'") && r.text.contains("list_hosts"))
        #expect(r.value["error"] != nil)
    }
}
