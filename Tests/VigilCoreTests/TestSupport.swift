import Foundation
@_exported import VigilTestSupport
import VigilCore
import VigilHTTP
import VigilWire

/// A running engine on a free loopback port with a temp SQLite store.
struct RunningEngine {
    let dir: TempDir
    let store: SQLiteStore
    let engine: VigilEngine
    let task: Task<Void, any Error>
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    static func start(limits: WireLimits = .default, ruleDirectories: [String] = [], tickMs: Int64 = 10_000,
                      connections: ConnectionLimits = .default, notify: NotifyConfig? = nil, topology: String? = nil, slaEvery: Duration = .seconds(300),
                      dir: TempDir = TempDir()) async throws -> RunningEngine {
        let store = try SQLiteStore(path: dir.file("vigil.db"))
        var options = VigilEngine.Options(listen: ListenAddress(host: "127.0.0.1", port: 0), limits: limits, handleSignals: false,
                                          ruleDirectories: ruleDirectories, evaluationTickMs: tickMs)
        options.connections = connections
        options.topologyPath = topology
        options.slaEvery = slaEvery
        if let notify { options.notify = (notify, { (HTTPClient(), SMTPClient()) }) }
        let engine = VigilEngine(store: store, options: options)
        let task = Task { try await engine.run() }
        let bindBy = Date().addingTimeInterval(TestTime.seconds(30))
        while engine.boundPort == nil && Date() < bindBy { try await Task.sleep(for: .milliseconds(10)) }
        guard let port = engine.boundPort else { throw StoreError("engine did not bind") }
        return RunningEngine(dir: dir, store: store, engine: engine, task: task, port: port)
    }

    func stop() async {
        await engine.stop()
        _ = try? await task.value
    }

    /// POSTs `body` to the ingest endpoint over real HTTP.
    func post(_ body: [UInt8], token: String?, contentType: String? = "application/json", encoding: String? = nil) async throws -> HTTPResponse {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let contentType { headers.append(("Content-Type", contentType)) }
        if let encoding { headers.append(("Content-Encoding", encoding)) }
        // 120 s: under the parallel suite on two cores an answer can be slow; the tests assert behaviour, not speed.
        let request = HTTPRequest(method: "POST", url: url + "/api/v1/ingest", headers: headers, body: body, timeoutMs: 120_000)
        return try await offPool { try HTTPClient().perform(request) }
    }

    func get(_ path: String) async throws -> HTTPResponse {
        let request = HTTPRequest(url: url + path, timeoutMs: 120_000)
        return try await offPool { try HTTPClient().perform(request) }
    }
}

extension IngestBatch {
    static func simple(host: String, at ts: Int64, cpu: Double = 10) -> IngestBatch {
        IngestBatch(host: host, samples: [Sample(name: "cpu.usage_percent", value: cpu, ts: ts)])
    }
}
