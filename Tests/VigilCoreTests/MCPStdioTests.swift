import Foundation
import VigilTestSupport
import Testing
import VigilCore
import VigilWire

/// `vigil mcp` as an MCP client sees it: the real binary, JSON-RPC lines over its standard input and output.
final class MCPClientProcess: @unchecked Sendable {
    let process = Process()
    private let stdin = Pipe()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private let lock = NSLock()
    private var buffer = Data()
    private var errors = Data()

    init(db: String) throws {
        process.executableURL = URL(fileURLWithPath: Binaries.path("vigil"))
        process.arguments = ["mcp", "--db", db]
        // Other tests spawn processes concurrently (the tmux server lives on): none may inherit our ends of these
        // pipes, or the server would never see its input close.
        for pipe in [stdin, stdout, stderr] {
            _ = fcntl(pipe.fileHandleForReading.fileDescriptor, F_SETFD, FD_CLOEXEC)
            _ = fcntl(pipe.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        stdout.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            self.lock.lock(); self.buffer.append(d); self.lock.unlock()
        }
        stderr.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            self.lock.lock(); self.errors.append(d); self.lock.unlock()
        }
        try process.run()
    }

    var standardError: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: errors, as: UTF8.self)
    }

    func send(_ message: JSONValue) throws {
        try stdin.fileHandleForWriting.write(contentsOf: Data((message.jsonText + "\n").utf8))
    }

    func closeInput() throws {
        try stdin.fileHandleForWriting.close()
    }

    /// The next complete line of standard output, as JSON.
    func nextMessage(seconds: Double = 20) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(TestTime.seconds(seconds))
        while Date() < deadline {
            if let line = takeLine() { return try JSONValue.parse(String(decoding: line, as: UTF8.self)) }
            if !process.isRunning {
                try await Task.sleep(for: .milliseconds(100))  // let the output handlers catch up
                if let line = takeLine() { return try JSONValue.parse(String(decoding: line, as: UTF8.self)) }
                throw StoreError("vigil mcp exited (status \(process.terminationStatus)) without answering; stderr: \(standardError)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw StoreError("no answer from vigil mcp within \(seconds)s; stderr: \(standardError)")
    }

    private func takeLine() -> Data? {
        lock.lock(); defer { lock.unlock() }
        guard let i = buffer.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = Data(buffer[buffer.startIndex..<i])
        buffer = Data(buffer[(i + 1)...])
        return line
    }

    /// Sends a request and waits for the answer with its id (skipping any notification in between).
    func request(id: Int, _ method: String, _ params: JSONValue) async throws -> JSONValue {
        try send(["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params])
        while true {
            let m = try await nextMessage()
            if m["id"] == .int(id) { return m }
        }
    }

    func stop() {
        stopProcess(process)
    }

    deinit { stop() }
}

struct MCPStdioTests {
    @Test func mcpServerListsAndCallsToolsOverStdio() async throws {
        let dir = TempDir()
        let db = dir.file("vigil.db")
        do {
            let store = try SQLiteStore(path: db)
            let now = WallClock.nowMs()
            _ = try await store.ingest(IngestBatch(host: "web-1", labels: ["group": "web"],
                                                   samples: [Sample(name: "cpu.usage_percent", value: 42, ts: now)]), receivedAt: now)
        }
        let mcp = try MCPClientProcess(db: db)

        let initialize = try await mcp.request(id: 1, "initialize", [
            "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "vigil-test", "version": "1.0"],
        ])
        #expect(initialize["error"] == nil, "\(initialize.jsonText)")
        #expect(initialize["result"]?["serverInfo"]?["name"] == "vigil")
        #expect(initialize["result"]?["protocolVersion"] == "2025-06-18")
        #expect(initialize["result"]?["capabilities"]?["tools"] != nil)
        try mcp.send(["jsonrpc": "2.0", "method": "notifications/initialized"])

        let list = try await mcp.request(id: 2, "tools/list", [:])
        let tools = try #require(list["result"]?["tools"]?.arrayValue, "\(list.jsonText)")
        #expect(tools.compactMap { $0["name"]?.stringValue } == ["list_hosts", "query_metrics", "list_alerts", "search_logs",
                                                                 "topology_neighbours", "similar_incidents", "propose_runbook"])
        for t in tools {
            #expect(t["inputSchema"]?["type"] == "object")
            #expect(t["annotations"]?["readOnlyHint"] == true)
        }

        let call = try await mcp.request(id: 3, "tools/call", ["name": "list_hosts", "arguments": [:]])
        let result = try #require(call["result"], "\(call.jsonText)")
        #expect(result["isError"] != true)
        let text = try #require(result["content"]?.arrayValue?.first?["text"]?.stringValue)
        let answer = try JSONValue.parse(text)
        #expect(answer["hosts"]?.arrayValue?.first?["name"] == "web-1")
        #expect(answer["hosts"]?.arrayValue?.first?["cpu_percent"] == 42)
        #expect(result["structuredContent"]?["fleet"]?["hosts"] == 1)

        let bad = try await mcp.request(id: 4, "tools/call", ["name": "query_metrics", "arguments": ["host": "web-1"]])
        #expect(bad["result"]?["isError"] == true)
        #expect(bad["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("argument 'metric': is required") == true)

        // End of input ends the server, cleanly.
        try mcp.closeInput()
        let exited = await eventually(10) { !mcp.process.isRunning }
        #expect(exited, "vigil mcp still running after its input closed; stderr: \(mcp.standardError)")
        if exited { #expect(mcp.process.terminationStatus == 0, "stderr: \(mcp.standardError)") }
    }
}
