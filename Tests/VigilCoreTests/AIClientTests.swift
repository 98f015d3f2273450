import Foundation
import Synchronization
import Testing
@testable import VigilCore
import VigilHTTP
import VigilWire
import VigilTestSupport

// MARK: - A scripted OpenAI-compatible server

/// A real HTTP server on 127.0.0.1 (blocking sockets, a thread per connection) that speaks just enough of the
/// chat-completions API: each request to `/v1/chat/completions` gets the next scripted answer. It keeps every
/// request it received, and refuses (HTTP 400) any request carrying one of `forbidden` — so a test can prove
/// that no secret left the box.
final class ScriptedChatServer: @unchecked Sendable {
    enum Answer: Sendable {
        /// `data:` events (each JSON text or `[DONE]`), `delayMs` apart; `gate` holds back the events after the first
        /// until `openGate()` is called (at most 20 s).
        case sse([String], delayMs: Int = 0, gated: Bool = false)
        /// A plain response.
        case plain(status: Int, headers: [(String, String)] = [], body: String)
        /// Reads the request and never answers (until the client gives up or the server stops).
        case hang
        /// Sends the first `events`, then hangs.
        case sseThenHang([String])
        /// Sends an event every `everyMs` forever (a trickle that defeats an idle timeout).
        case trickle(everyMs: Int)
    }

    struct Received: Sendable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: String
        var raw: String
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
    }

    let port: Int
    private let fd: Int32
    private let state = Locked<(script: [Answer], received: [Received], leaks: [String], gateOpen: Bool, gateInTime: Bool?)>(([], [], [], false, nil))
    private let stopped = Atomic<Bool>(false)
    let forbidden: [String]

    var url: String { "http://127.0.0.1:\(port)/v1" }
    var received: [Received] { state.withLock { $0.received } }
    /// Secrets that arrived (the server refused those requests).
    var leaks: [String] { state.withLock { $0.leaks } }
    /// For a gated answer: true when the gate opened before the server gave up waiting.
    var gateOpenedInTime: Bool? { state.withLock { $0.gateInTime } }

    init(_ script: [Answer], forbidden: [String] = []) {
        self.forbidden = forbidden
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        listen(fd, 16)
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        state.withLock { $0.script = script }
        Thread { [weak self] in
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                guard let self else { close(c); return }
                Thread { self.serve(c) }.start()
            }
        }.start()
    }

    deinit { stop() }

    func stop() {
        if stopped.exchange(true, ordering: .acquiringAndReleasing) { return }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    func openGate() { state.withLock { $0.gateOpen = true } }

    private func serve(_ c: Int32) {
        defer { close(c) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard let request = Self.read(c) else { return }
        let leaked = forbidden.filter { request.raw.contains($0) }
        let answer: Answer? = state.withLock { s in
            s.received.append(request)
            s.leaks += leaked
            return s.script.isEmpty ? nil : s.script.removeFirst()
        }
        if !leaked.isEmpty {
            respond(c, status: 400, headers: [], body: #"{"error":{"message":"a secret reached the server"}}"#)
            return
        }
        guard request.path == "/v1/chat/completions", request.method == "POST" else {
            respond(c, status: 404, headers: [], body: #"{"error":{"message":"no such path"}}"#)
            return
        }
        switch answer ?? .plain(status: 500, body: #"{"error":{"message":"script exhausted"}}"#) {
        case .plain(let status, let headers, let body):
            respond(c, status: status, headers: headers, body: body)
        case .sse(let events, let delayMs, let gated):
            send(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n")
            for (i, e) in events.enumerated() {
                if i > 0 && delayMs > 0 { usleep(UInt32(delayMs * 1000)) }
                if i == 1 && gated { waitForGate() }
                if !send(c, "data: \(e)\n\n") { return }
            }
        case .hang:
            idle(c)
        case .sseThenHang(let events):
            send(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
            for e in events { send(c, "data: \(e)\n\n") }
            idle(c)
        case .trickle(let everyMs):
            send(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
            var i = 0
            while !stopped.load(ordering: .acquiring) {
                if !send(c, "data: \(Chunks.text("t\(i) "))\n\n") { return }
                i += 1
                usleep(UInt32(everyMs * 1000))
            }
        }
    }

    /// Waits until the peer goes away or the server stops (at most 30 s).
    private func idle(_ c: Int32) {
        var buf = [UInt8](repeating: 0, count: 256)
        for _ in 0..<600 {
            if stopped.load(ordering: .acquiring) { return }
            let n = recv(c, &buf, buf.count, Int32(MSG_DONTWAIT))
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { return }
            usleep(50_000)
        }
    }

    private func waitForGate() {
        for _ in 0..<Int(2_000 * TestTime.scale) {
            if state.withLock({ $0.gateOpen }) {
                state.withLock { $0.gateInTime = true }
                return
            }
            usleep(10_000)
        }
        state.withLock { $0.gateInTime = false }
    }

    private func respond(_ c: Int32, status: Int, headers: [(String, String)], body: String) {
        var head = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Status")\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
        if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { head += "Content-Type: application/json\r\n" }
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        send(c, head + "\r\n" + body)
    }

    @discardableResult
    private func send(_ c: Int32, _ s: String) -> Bool {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBytes { Foundation.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    private static func read(_ c: Int32) -> Received? {
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 16_384)
        while true {
            if let r = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: data[..<r.lowerBound], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let requestLine = lines.removeFirst().split(separator: " ")
                var headers: [String: String] = [:]
                for l in lines {
                    guard let colon = l.firstIndex(of: ":") else { continue }
                    headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                while data.count < r.upperBound + length {
                    let n = recv(c, &buf, buf.count, 0)
                    if n <= 0 { return nil }
                    data += buf[0..<n]
                }
                let body = String(decoding: data[r.upperBound..<(r.upperBound + length)], as: UTF8.self)
                return Received(method: requestLine.first.map(String.init) ?? "", path: requestLine.count > 1 ? String(requestLine[1]) : "",
                                headers: headers, body: body, raw: String(decoding: data, as: UTF8.self))
            }
            let n = recv(c, &buf, buf.count, 0)
            if n <= 0 { return nil }
            data += buf[0..<n]
        }
    }
}

/// Chat-completion chunks as the API streams them.
enum Chunks {
    static func json(_ o: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }

    static func text(_ t: String, model: String = "scripted-1") -> String {
        json(["id": "c1", "object": "chat.completion.chunk", "model": model,
              "choices": [["index": 0, "delta": ["content": t], "finish_reason": NSNull()]]])
    }

    static func finish(_ reason: String = "stop") -> String {
        json(["id": "c1", "object": "chat.completion.chunk", "model": "scripted-1", "choices": [["index": 0, "delta": [String: Any](), "finish_reason": reason]]])
    }

    static func usage(prompt: Int, completion: Int) -> String {
        json(["id": "c1", "object": "chat.completion.chunk", "model": "scripted-1", "choices": [Any](),
              "usage": ["prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion]])
    }

    static func toolDelta(index: Int, id: String? = nil, name: String? = nil, arguments: String) -> String {
        var call: [String: Any] = ["index": index, "function": (name.map { ["name": $0, "arguments": arguments] } ?? ["arguments": arguments])]
        if let id { call["id"] = id; call["type"] = "function" }
        return json(["id": "c1", "object": "chat.completion.chunk", "model": "scripted-1",
                     "choices": [["index": 0, "delta": ["tool_calls": [call]], "finish_reason": NSNull()]]])
    }

    /// A whole answer streamed in pieces of `size` characters, then finish, usage and `[DONE]`.
    static func answer(_ text: String, size: Int = 7, usage: Bool = true) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            out.append(self.text(String(rest.prefix(size))))
            rest = rest.dropFirst(size)
        }
        out.append(finish())
        if usage { out.append(self.usage(prompt: 321, completion: 45)) }
        out.append("[DONE]")
        return out
    }
}

/// An AI config pointing at `server`, with short timeouts for fast tests.
func testAIConfig(_ server: ScriptedChatServer?, key: String? = "test-key-123", idleMs: Int = 2_000, totalMs: Int = 5_000,
                  retries: Int = 3) -> AIConfig {
    var c = AIConfig()
    c.baseURL = server?.url ?? "http://127.0.0.1:9/v1"
    c.model = "scripted-1"
    c.apiKey = key
    c.keySource = key == nil ? nil : "test"
    c.connectTimeoutMs = 1_000
    c.idleTimeoutMs = idleMs
    c.totalTimeoutMs = totalMs
    c.maxRetries = retries
    c.backoffBaseMs = 20
    c.maxBackoffMs = 200
    return c
}

func elapsedMs(since start: UInt64) -> Int { Int((WallClock.monotonicNs() - start) / 1_000_000) }

// MARK: - Client tests

@Suite struct AIClientTests {
    @Test func streamsTokenByTokenWithUsage() async throws {
        let server = ScriptedChatServer([.sse([Chunks.text("Hel"), Chunks.text("lo"), Chunks.text(" world"), Chunks.finish(),
                                               Chunks.usage(prompt: 12, completion: 3), "[DONE]"], gated: true)])
        let log = MemoryAICallLog()
        // Generous timeouts: the gate is opened by this task, which a loaded test run may schedule late.
        let client = try AIClient(config: testAIConfig(server, idleMs: TestTime.ms(25_000), totalMs: TestTime.ms(30_000)), log: log)
        var texts: [String] = []
        var done: AIResponse?
        for try await event in client.stream([.system("be brief"), .user("say hello")], feature: "chat") {
            switch event {
            case .text(let t):
                texts.append(t)
                server.openGate()  // the rest is only sent once the first piece has arrived here
            case .done(let r): done = r
            default: break
            }
        }
        #expect(texts == ["Hel", "lo", " world"])
        #expect(server.gateOpenedInTime == true)
        let r = try #require(done)
        #expect(r.content == "Hello world")
        #expect(r.finishReason == "stop")
        #expect(r.usage == AIUsage(promptTokens: 12, completionTokens: 3, estimated: false))
        #expect(r.attempts == 1)

        let req = try #require(server.received.first)
        #expect(req.path == "/v1/chat/completions")
        #expect(req.headers["authorization"] == "Bearer test-key-123")
        let body = try #require(req.json)
        #expect(body["model"] as? String == "scripted-1")
        #expect(body["stream"] as? Bool == true)
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["system", "user"])

        let calls = log.records
        #expect(calls.count == 1)
        #expect(calls.first?.feature == "chat")
        #expect(calls.first?.outcome == .ok)
        #expect(calls.first?.promptTokens == 12)
        #expect(calls.first?.completionTokens == 3)
    }

    @Test func assemblesStreamedToolCallDeltas() async throws {
        let server = ScriptedChatServer([.sse([
            Chunks.toolDelta(index: 0, id: "call_a", name: "host_metrics", arguments: ""),
            Chunks.toolDelta(index: 0, arguments: "{\"host\":"),
            Chunks.toolDelta(index: 1, id: "call_b", name: "recent_logs", arguments: "{\"host\":\"web-1\","),
            Chunks.toolDelta(index: 0, arguments: "\"web-1\"}"),
            Chunks.toolDelta(index: 1, arguments: "\"limit\":20}"),
            Chunks.finish("tool_calls"), "[DONE]",
        ])])
        let log = MemoryAICallLog()
        let client = try AIClient(config: testAIConfig(server), log: log)
        let tools = [AITool(name: "host_metrics", description: "latest metrics of a host",
                            parametersSchema: #"{"type":"object","properties":{"host":{"type":"string"}},"required":["host"]}"#),
                     AITool(name: "recent_logs", description: "recent logs of a host")]
        var events: [AIToolCall] = []
        var done: AIResponse?
        for try await e in client.stream([.user("why is web-1 slow?")], tools: tools) {
            if case .toolCall(let c) = e { events.append(c) }
            if case .done(let r) = e { done = r }
        }
        let expected = [AIToolCall(id: "call_a", name: "host_metrics", arguments: #"{"host":"web-1"}"#),
                        AIToolCall(id: "call_b", name: "recent_logs", arguments: #"{"host":"web-1","limit":20}"#)]
        #expect(events == expected)
        #expect(done?.toolCalls == expected)
        #expect(done?.finishReason == "tool_calls")
        #expect(done?.usage.estimated == true)
        #expect(log.records.first?.detail.contains("tokens estimated") == true)
        let body = try #require(server.received.first?.json)
        let sentTools = try #require(body["tools"] as? [[String: Any]])
        #expect(sentTools.count == 2)
        let fn = try #require(sentTools.first?["function"] as? [String: Any])
        #expect(fn["name"] as? String == "host_metrics")
        #expect((fn["parameters"] as? [String: Any])?["required"] as? [String] == ["host"])
    }

    @Test func sendsToolResultsBack() async throws {
        let server = ScriptedChatServer([.sse(Chunks.answer("web-1 is swapping."))])
        let client = try AIClient(config: testAIConfig(server))
        let call = AIToolCall(id: "call_a", name: "host_metrics", arguments: #"{"host":"web-1"}"#)
        let r = try await client.complete([.user("why is web-1 slow?"), .assistant("", toolCalls: [call]), .tool(id: "call_a", "swap 93%")], feature: "chat")
        #expect(r.content == "web-1 is swapping.")
        let messages = try #require(server.received.first?.json?["messages"] as? [[String: Any]])
        #expect(messages.count == 3)
        #expect(messages[1]["content"] is NSNull)
        let calls = try #require(messages[1]["tool_calls"] as? [[String: Any]])
        #expect(calls.first?["id"] as? String == "call_a")
        #expect(messages[2]["tool_call_id"] as? String == "call_a")
        #expect(messages[2]["content"] as? String == "swap 93%")
    }

    @Test func retriesAfter429HonouringRetryAfter() async throws {
        let server = ScriptedChatServer([
            .plain(status: 429, headers: [("retry-after-ms", "150")], body: #"{"error":{"message":"rate limited"}}"#),
            .sse(Chunks.answer("ok")),
        ])
        let log = MemoryAICallLog()
        let client = try AIClient(config: testAIConfig(server), log: log)
        let start = WallClock.monotonicNs()
        let retries = Locked<[String]>([])
        let r = try await client.complete([.user("hi")], feature: "chat") { e in
            if case .retrying(_, let ms, let reason) = e { retries.withLock { $0.append("\(ms) \(reason)") } }
        }
        #expect(r.content == "ok")
        #expect(r.attempts == 2)
        #expect(elapsedMs(since: start) >= 150)
        #expect(server.received.count == 2)
        #expect(retries.withLock { $0 } == ["150 HTTP 429: rate limited"])
        #expect(log.records.map(\.outcome) == [.ok])
        #expect(log.records.first?.detail.contains("2 attempts") == true)
    }

    @Test func retriesServerErrorsThenGivesUp() async throws {
        let server = ScriptedChatServer(Array(repeating: .plain(status: 503, body: #"{"error":{"message":"overloaded"}}"#), count: 5))
        let log = MemoryAICallLog()
        let client = try AIClient(config: testAIConfig(server, retries: 2), log: log)
        await #expect(throws: AIError(.http(503), "the AI server answered HTTP 503: overloaded after 3 attempts")) {
            try await client.complete([.user("hi")], feature: "chat")
        }
        #expect(server.received.count == 3)
        #expect(log.records.map(\.outcome) == [.error])
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let server = ScriptedChatServer([.plain(status: 401, body: #"{"error":{"message":"invalid api key"}}"#), .sse(Chunks.answer("never"))])
        let client = try AIClient(config: testAIConfig(server))
        do {
            _ = try await client.complete([.user("hi")], feature: "chat")
            Issue.record("expected a failure")
        } catch let e as AIError {
            #expect(e.kind == .http(401))
            #expect(e.message.contains("invalid api key"))
            #expect(e.message.contains("check the API key"))
        }
        #expect(server.received.count == 1)
    }

    @Test func aHangFailsAfterTheIdleTimeout() async throws {
        let server = ScriptedChatServer([.hang])
        let log = MemoryAICallLog()
        let client = try AIClient(config: testAIConfig(server, idleMs: 300), log: log)
        let start = WallClock.monotonicNs()
        do {
            _ = try await client.complete([.user("hi")], feature: "chat")
            Issue.record("expected a timeout")
        } catch let e as AIError {
            #expect(e.kind == .timeout)
        }
        // Bounded: the server would hang for 30 s, so anything well under that is the idle timeout at work. The tight
        // bound is on the call's own thread (the logged latency); the test's task may wait seconds for the pool at
        // the start of a parallel run, so its wall clock gets room.
        #expect(elapsedMs(since: start) < TestTime.ms(25_000))
        let latency = try #require(log.records.first?.latencyMs)
        #expect(latency >= 300 && latency < TestTime.ms(9_000))
        #expect(server.received.count == 1)  // a timeout is not retried
        #expect(log.records.map(\.outcome) == [.timeout])
    }

    @Test func aStallMidStreamFailsAfterTheIdleTimeout() async throws {
        let server = ScriptedChatServer([.sseThenHang([Chunks.text("partial")])])
        let log = MemoryAICallLog()
        let client = try AIClient(config: testAIConfig(server, idleMs: 300), log: log)
        var texts: [String] = []
        let start = WallClock.monotonicNs()
        await #expect(throws: AIError.self) {
            for try await e in client.stream([.user("hi")]) { if case .text(let t) = e { texts.append(t) } }
        }
        #expect(texts == ["partial"])
        #expect(elapsedMs(since: start) < TestTime.ms(25_000))   // the server would hang for 30 s
        #expect((log.records.first?.latencyMs ?? .max) < TestTime.ms(9_000))  // measured on the call's thread
        #expect(log.records.map(\.outcome) == [.timeout])
    }

    @Test func aTrickleFailsAfterTheTotalTimeout() async throws {
        let server = ScriptedChatServer([.trickle(everyMs: 50)])
        let log = MemoryAICallLog()
        let client = try AIClient(config: testAIConfig(server, idleMs: 300, totalMs: 600), log: log)
        let start = WallClock.monotonicNs()
        do {
            _ = try await client.complete([.user("hi")], feature: "chat")
            Issue.record("expected a timeout")
        } catch let e as AIError {
            #expect(e.kind == .timeout)
        }
        _ = start
        // Timed out by the total limit (600 ms) although bytes kept coming: never before it.
        let latency = try #require(log.records.first?.latencyMs)
        #expect(latency >= 550)
    }

    @Test func cancellingTheConsumerAbortsTheTransfer() async throws {
        let server = ScriptedChatServer([.hang])
        let log = MemoryAICallLog()
        let client = try AIClient(config: testAIConfig(server, idleMs: 20_000, totalMs: 25_000), log: log)
        let task = Task {
            try await client.complete([.user("hi")], feature: "chat")
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let result = await task.result
        // The outcome says it all: cancelled, not timed out (the idle timeout is 20 s, so a task the pool runs late
        // still cancels first). No wall-clock bound: the machines are shared and a loaded one delays any thread.
        #expect((log.records.first?.latencyMs ?? .max) < 20_000)
        if case .failure(let e as AIError) = result { #expect(e.kind == .cancelled) } else { Issue.record("expected cancelled, got \(result)") }
        #expect(log.records.map(\.outcome) == [.cancelled])
    }

    @Test func droppingTheStreamAbortsTheTransfer() async throws {
        let server = ScriptedChatServer([.sseThenHang([Chunks.text("first")])])
        let log = MemoryAICallLog()
        let client = try AIClient(config: testAIConfig(server, idleMs: 20_000, totalMs: 25_000), log: log)
        let start = WallClock.monotonicNs()
        let task = Task {
            var texts: [String] = []
            for try await e in client.stream([.user("hi")]) { if case .text(let t) = e { texts.append(t) } }
            return texts
        }
        try await Task.sleep(for: .milliseconds(150))
        task.cancel()
        _ = await task.result
        while log.records.isEmpty && elapsedMs(since: start) < 25_000 { try await Task.sleep(for: .milliseconds(10)) }
        // Cancelled, not timed out: the idle timeout is 20 s.
        #expect(log.records.map(\.outcome) == [.cancelled])
    }

    @Test func nothingLeavesWithoutAKey() async throws {
        let server = ScriptedChatServer([.sse(Chunks.answer("never"))])
        let log = MemoryAICallLog()
        let client = try AIClient(config: testAIConfig(server, key: nil), log: log)
        do {
            _ = try await client.complete([.user("hi")], feature: "chat")
            Issue.record("expected no_key")
        } catch let e as AIError {
            #expect(e.kind == .noKey)
            #expect(e.message.contains("VIGIL_AI_KEY"))
        }
        #expect(server.received.isEmpty)
        #expect(log.records.map(\.outcome) == [.noKey])
    }

    @Test func redactsSecretsBeforeSending() async throws {
        let secrets = ["sk-live-9f8e7d6c5b4a39281706", "hunter2-Pa55", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                       "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJlMTIz", "vgl_3kfj39fkd93kfd93", "oncall.lead@example.com",
                       "MIIEowIBAAKCAQEA7", "ACME-123456", "s3cr3t-db-pass"]
        let server = ScriptedChatServer([.sse(Chunks.answer("fine"))], forbidden: secrets)
        var config = testAIConfig(server)
        config.redactPatterns = [#"ACME-\d{6}"#]
        let client = try AIClient(config: config)
        let text = """
            curl -H 'Authorization: Bearer sk-live-9f8e7d6c5b4a39281706' https://api.internal
            login failed password=hunter2-Pa55 for user
            aws_access_key_id=AKIAIOSFODNN7EXAMPLE aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
            session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJlMTIz agent token vgl_3kfj39fkd93kfd93
            page oncall.lead@example.com about ticket ACME-123456
            db url postgres://vigil:s3cr3t-db-pass@db-1:5432/vigil
            -----BEGIN RSA PRIVATE KEY-----
            MIIEowIBAAKCAQEA7
            -----END RSA PRIVATE KEY-----
            """
        let r = try await client.complete([.system("you help"), .user(text)], feature: "chat")
        #expect(r.content == "fine")
        #expect(server.leaks.isEmpty)
        let sent = try #require(server.received.first?.body)
        for s in secrets { #expect(!sent.contains(s), "\(s) reached the server") }
        #expect(sent.contains("[REDACTED"))
        #expect(sent.contains("login failed password=[REDACTED]"))
        #expect(sent.contains("api.internal"))
        #expect(r.redactions >= 9)
    }

    @Test func aNonJSONStreamEventIsABadResponse() async throws {
        let server = ScriptedChatServer([.sse([Chunks.text("a"), "{not json", "[DONE]"])])
        let client = try AIClient(config: testAIConfig(server))
        do {
            _ = try await client.complete([.user("hi")], feature: "chat")
            Issue.record("expected a failure")
        } catch let e as AIError {
            #expect(e.kind == .badResponse)
        }
    }

    @Test func acceptsANonStreamedCompletion() async throws {
        let body = Chunks.json(["id": "x", "object": "chat.completion", "model": "scripted-1",
                                "choices": [["index": 0, "message": ["role": "assistant", "content": "whole answer"], "finish_reason": "stop"]],
                                "usage": ["prompt_tokens": 5, "completion_tokens": 2]])
        let server = ScriptedChatServer([.plain(status: 200, body: body)])
        let client = try AIClient(config: testAIConfig(server))
        let r = try await client.complete([.user("hi")], feature: "chat")
        #expect(r.content == "whole answer")
        #expect(r.usage == AIUsage(promptTokens: 5, completionTokens: 2, estimated: false))
    }

    @Test func connectionRefusedIsRetriedThenReported() async throws {
        let client = try AIClient(config: testAIConfig(nil, retries: 1))
        do {
            _ = try await client.complete([.user("hi")], feature: "chat")
            Issue.record("expected a failure")
        } catch let e as AIError {
            #expect(e.kind == .transport)
            #expect(e.message.contains("cannot reach the AI server"))
        }
    }

    @Test func trimsOldContextToTheBudget() async throws {
        let server = ScriptedChatServer([.sse(Chunks.answer("ok"))])
        var config = testAIConfig(server)
        config.contextTokens = 1_000
        config.maxAnswerTokens = 200
        let client = try AIClient(config: config)
        var messages: [AIMessage] = [.system("system prompt")]
        for i in 0..<20 { messages.append(.user("old question \(i) " + String(repeating: "x", count: 400))); messages.append(.assistant("old answer \(i)")) }
        messages.append(.user("the newest question"))
        let r = try await client.complete(messages, feature: "chat")
        #expect(r.droppedMessages > 0)
        let sent = try #require(server.received.first?.json?["messages"] as? [[String: Any]])
        #expect(sent.first?["content"] as? String == "system prompt")
        #expect(sent.last?["content"] as? String == "the newest question")
        #expect(!(sent.contains { ($0["content"] as? String)?.hasPrefix("old question 0 ") == true }))
        #expect(sent.contains { ($0["content"] as? String) == "old answer 19" })
    }
}

// MARK: - Pure parts

extension AIClientTests {
    /// The pure parts: redaction, budget, SSE parsing, config, and the store's call log.
    @Suite struct Pure {
        @Test func redactorKeepsOrdinaryText() {
            let r = Redactor.standard.redact("disk /var is 93% full; token validation ok; tokens: 5; user alice logged in from 10.0.0.4")
            #expect(r.count == 0)
            #expect(r.text == "disk /var is 93% full; token validation ok; tokens: 5; user alice logged in from 10.0.0.4")
        }

        @Test func redactorHandlesJSONAndHeaders() {
            let r = Redactor.standard.redact(#"{"password": "p@ss w", "api_key":"abc123def", "user":"bob"} Authorization: Basic dXNlcjpwYXNz"#)
            #expect(!r.text.contains("p@ss"))
            #expect(!r.text.contains("abc123def"))
            #expect(!r.text.contains("dXNlcjpwYXNz"))
            #expect(r.text.contains(#""user":"bob""#))
        }

        @Test func badExtraPatternIsRefused() {
            #expect(throws: Redactor.PatternError.self) { try Redactor(extraPatterns: ["(unclosed"]) }
        }

        @Test func budgetKeepsSystemAndNewestUserAndDropsToolGroupsWhole() {
            let big = String(repeating: "y", count: 2_000)
            let call = AIToolCall(id: "c1", name: "f", arguments: "{}")
            let messages: [AIMessage] = [.system("sys"), .user("q1 " + big), .assistant("", toolCalls: [call]), .tool(id: "c1", big),
                                         .assistant("a1"), .user("newest " + big)]
            let t = ContextBudget(maxPromptTokens: 700).trim(messages)
            #expect(t.messages.first?.role == .system)
            #expect(t.messages.last?.content.hasPrefix("newest") == true)
            #expect(!t.messages.contains { $0.role == .tool })
            #expect(!t.messages.contains { !$0.toolCalls.isEmpty })
            #expect(t.tokens <= 700)
        }

        @Test func budgetTruncatesWhenTheNewestMessageAloneIsTooBig() {
            let t = ContextBudget(maxPromptTokens: 200).trim([.system("sys"), .user("start " + String(repeating: "z", count: 5_000) + " end")])
            #expect(t.truncated)
            #expect(t.tokens <= 200)
            #expect(t.messages[1].content.hasPrefix("start"))
            #expect(t.messages[1].content.hasSuffix("end"))
        }

        @Test func sseParserJoinsEventsAcrossChunks() {
            var p = SSEParser()
            #expect(p.feed("data: {\"a\"").isEmpty)
            #expect(p.feed(":1}\r\n\r\n: keep-alive comment\n\nevent: x\ndata: one\ndata: two\n\ndata: [DO") == [#"{"a":1}"#, "one\ntwo"])
            #expect(p.feed("NE]\n\n") == ["[DONE]"])
            #expect(p.feed("data: tail").isEmpty)
            #expect(p.finish() == ["tail"])
        }

        @Test func configFromEnvironmentAndFile() throws {
            let dir = TempDir()
            try "sk-from-file\n".write(toFile: dir.file("key"), atomically: true, encoding: .utf8)
            try """
                theme: light
                ai:
                  base_url: http://127.0.0.1:11434/v1
                  model: llama3.1
                  key_file: \(dir.file("key"))
                  timeout: 30s
                  redact: ["ACME-[0-9]+"]
                """.write(toFile: dir.file("config.yaml"), atomically: true, encoding: .utf8)
            let fromFile = try AIConfig.load(environment: [:], configFile: dir.file("config.yaml"))
            #expect(fromFile.chatURL == "http://127.0.0.1:11434/v1/chat/completions")
            #expect(fromFile.model == "llama3.1")
            #expect(fromFile.apiKey == "sk-from-file")
            #expect(fromFile.keySource == "file \(dir.file("key"))")
            #expect(fromFile.totalTimeoutMs == 30_000)
            #expect(fromFile.redactPatterns == ["ACME-[0-9]+"])

            let env = try AIConfig.load(environment: ["DEEPSEEK_API_KEY": "sk-deep", "VIGIL_AI_MODEL": "deepseek-reasoner"], configFile: dir.file("none.yaml"))
            #expect(env.chatURL == "https://api.deepseek.com/chat/completions")
            #expect(env.model == "deepseek-reasoner")
            #expect(env.keySource == "DEEPSEEK_API_KEY")
            #expect(try AIConfig.load(environment: ["VIGIL_AI_KEY": "a", "DEEPSEEK_API_KEY": "b"], configFile: dir.file("none.yaml")).apiKey == "a")
            #expect(try !AIConfig.load(environment: [:], configFile: dir.file("none.yaml")).hasKey)

            try "ai:\n  retries: many\n".write(toFile: dir.file("bad.yaml"), atomically: true, encoding: .utf8)
            #expect(throws: ConfigError.self) { try AIConfig.load(environment: [:], configFile: dir.file("bad.yaml")) }
        }

        @Test func storeKeepsTheCallLog() async throws {
            let dir = TempDir()
            let store = try SQLiteStore(path: dir.file("vigil.db"))
            let log = StoreAICallLog(store: store)
            await log.record(AICallRecord(ts: 1_000, feature: "diagnose", model: "m", promptTokens: 10, completionTokens: 5, latencyMs: 120, outcome: .ok, detail: ""))
            await log.record(AICallRecord(ts: 2_000, feature: "logs", model: "m", promptTokens: nil, completionTokens: nil, latencyMs: 0, outcome: .noKey,
                                          detail: "no key"))
            let calls = try await store.aiCalls(limit: 10)
            #expect(calls.map(\.feature) == ["logs", "diagnose"])
            #expect(calls[0].outcome == .noKey)
            #expect(calls[0].promptTokens == nil)
            #expect(calls[1].promptTokens == 10)
            #expect(calls[1].latencyMs == 120)
            #expect(calls[1].id != nil)
            #expect(try await store.aiCalls(limit: 1).count == 1)
        }
    }
}
