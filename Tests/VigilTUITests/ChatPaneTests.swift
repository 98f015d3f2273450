import Foundation
import Synchronization
import Testing
@testable import VigilTUI
@testable import VigilCore
import VigilWire
import VigilTestSupport

// MARK: - A scripted chat-completions server

/// A real HTTP server on 127.0.0.1 speaking just enough of OpenAI's streaming chat-completions API (blocking
/// sockets, a thread per connection; after `ScriptedChatServer` in VigilCoreTests, which another target cannot
/// share). Each request gets the next scripted answer; every request is kept.
final class ChatTestServer: @unchecked Sendable {
    enum Answer: Sendable {
        /// `data:` events; with `gated`, the events after the first wait for `openGate()` (at most 30 s, scaled).
        case sse([String], gated: Bool = false)
        /// The events, only if the request carries a tool message answering `toolCallID` (else HTTP 400).
        case afterTool(toolCallID: String, [String])
        /// The first events, then nothing until the client goes away (noted in `peerClosed`) or 10 s pass.
        case sseThenHang([String])
    }

    struct Received: Sendable {
        var path: String
        var body: String
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
        var messages: [[String: Any]] { json?["messages"] as? [[String: Any]] ?? [] }
        var toolNames: [String] {
            (json?["tools"] as? [[String: Any]] ?? []).compactMap { ($0["function"] as? [String: Any])?["name"] as? String }
        }
    }

    let port: Int
    private let fd: Int32
    private let state = Locked<(script: [Answer], received: [Received], gateOpen: Bool, peerClosed: Bool, refused: [String])>(([], [], false, false, []))
    private let stopped = Atomic<Bool>(false)

    var url: String { "http://127.0.0.1:\(port)/v1" }
    var received: [Received] { state.withLock { $0.received } }
    /// True once a client hung up on a hanging answer (the stream was cancelled).
    var peerClosed: Bool { state.withLock { $0.peerClosed } }
    /// Why requests were refused (a missing tool message).
    var refused: [String] { state.withLock { $0.refused } }

    init(_ script: [Answer]) {
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
        let answer: Answer? = state.withLock { s in
            s.received.append(request)
            return s.script.isEmpty ? nil : s.script.removeFirst()
        }
        guard let answer else {
            respond(c, status: 500, body: #"{"error":{"message":"script exhausted"}}"#)
            return
        }
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
        switch answer {
        case .sse(let events, let gated):
            send(c, head)
            for (i, e) in events.enumerated() {
                if i == 1 && gated { waitForGate() }
                if !send(c, "data: \(e)\n\n") { return }
            }
        case .afterTool(let id, let events):
            let answered = request.messages.contains { $0["role"] as? String == "tool" && $0["tool_call_id"] as? String == id }
            guard answered else {
                state.withLock { $0.refused.append("no tool message answering \(id)") }
                respond(c, status: 400, body: #"{"error":{"message":"the tool call was not answered"}}"#)
                return
            }
            send(c, head)
            for e in events where !send(c, "data: \(e)\n\n") { return }
        case .sseThenHang(let events):
            send(c, head)
            for e in events { send(c, "data: \(e)\n\n") }
            var buf = [UInt8](repeating: 0, count: 256)
            // Until the client closes, the test stops the server, or 30 s (scaled) pass.
            for _ in 0..<Int(3000 * TestTime.scale) {
                if stopped.load(ordering: .acquiring) { return }
                let n = recv(c, &buf, buf.count, Int32(MSG_DONTWAIT))
                if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                    state.withLock { $0.peerClosed = true }
                    return
                }
                usleep(10_000)
            }
        }
    }

    private func waitForGate() {
        for _ in 0..<Int(3000 * TestTime.scale) {
            if state.withLock({ $0.gateOpen }) { return }
            usleep(10_000)
        }
    }

    private func respond(_ c: Int32, status: Int, body: String) {
        send(c, "HTTP/1.1 \(status) Status\r\nContent-Length: \(body.utf8.count)\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + body)
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
                var length = 0
                for l in lines where l.lowercased().hasPrefix("content-length:") {
                    length = Int(l.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
                while data.count < r.upperBound + length {
                    let n = recv(c, &buf, buf.count, 0)
                    if n <= 0 { return nil }
                    data += buf[0..<n]
                }
                return Received(path: requestLine.count > 1 ? String(requestLine[1]) : "",
                                body: String(decoding: data[r.upperBound..<(r.upperBound + length)], as: UTF8.self))
            }
            let n = recv(c, &buf, buf.count, 0)
            if n <= 0 { return nil }
            data += buf[0..<n]
        }
    }
}

/// Chat-completion chunks as the API streams them.
enum ChatChunks {
    static func json(_ o: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }

    static func text(_ t: String) -> String {
        json(["id": "c1", "object": "chat.completion.chunk", "model": "scripted-1",
              "choices": [["index": 0, "delta": ["content": t], "finish_reason": NSNull()]]])
    }

    static func finish(_ reason: String = "stop") -> String {
        json(["id": "c1", "object": "chat.completion.chunk", "model": "scripted-1", "choices": [["index": 0, "delta": [String: Any](), "finish_reason": reason]]])
    }

    static func usage(prompt: Int, completion: Int) -> String {
        json(["id": "c1", "object": "chat.completion.chunk", "model": "scripted-1", "choices": [Any](),
              "usage": ["prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion]])
    }

    /// A tool call streamed in two argument pieces, as the API does.
    static func toolCall(id: String, name: String, arguments: String) -> [String] {
        let half = arguments.index(arguments.startIndex, offsetBy: arguments.count / 2)
        func delta(_ call: [String: Any]) -> String {
            json(["id": "c1", "object": "chat.completion.chunk", "model": "scripted-1",
                  "choices": [["index": 0, "delta": ["tool_calls": [call]], "finish_reason": NSNull()]]])
        }
        return [delta(["index": 0, "id": id, "type": "function", "function": ["name": name, "arguments": String(arguments[..<half])]]),
                delta(["index": 0, "function": ["arguments": String(arguments[half...])]]),
                finish("tool_calls"), usage(prompt: 900, completion: 20), "[DONE]"]
    }

    /// A whole answer in pieces of `size` characters, then finish, usage and `[DONE]`.
    static func answer(_ text: String, size: Int = 6) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            out.append(self.text(String(rest.prefix(size))))
            rest = rest.dropFirst(size)
        }
        return out + [finish(), usage(prompt: 321, completion: 45), "[DONE]"]
    }
}

// MARK: - Harness

/// A real SQLite store, the shipped runbooks, the chat worker with a real `AIClient` pointed at `server`, and the
/// remediation worker, wired the way `ConsoleApp` wires them.
final class ChatHarness {
    let dir: String
    let store: SQLiteStore
    let catalog: RunbookCatalog
    let mailbox: Mailbox
    let worker: ChatWorker
    let remediation: RemediationWorker
    let settings: ChatSettings
    let user = AlertFixtures.alice
    let t0 = WallClock.nowMs()

    init(server: ChatTestServer?, key: String? = "test-key-123") throws {
        dir = NSTemporaryDirectory() + "vigil-chat-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try SQLiteStore(path: dir + "/vigil.db")
        catalog = RunbookCatalog.load(builtInDirectory: Fixtures.repoRoot + "/runbooks", userDirectory: nil)
        mailbox = Mailbox(pipe: try WakePipe())
        var config = AIConfig()
        config.baseURL = server?.url ?? "http://127.0.0.1:9/v1"
        config.model = "scripted-1"
        config.apiKey = key
        config.connectTimeoutMs = 1_000
        config.idleTimeoutMs = 8_000
        config.totalTimeoutMs = 15_000
        config.maxRetries = 0
        let options = ConsoleOptions(reader: store, store: store, user: user)
        var withAI = options
        withAI.ai = config
        withAI.catalog = catalog
        let remediator = Remediator(store: store, catalog: catalog)
        (worker, settings) = ConsoleApp.makeChatWorker(withAI, remediator: remediator, mailbox: mailbox)
        remediation = RemediationWorker(remediator: remediator, user: user, mailbox: mailbox)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    static let diskAlert = AlertInstance(alertName: "DiskSpaceLow", severity: .critical, labels: ["host": "web-1", "mount": "/"], value: 91.5)

    /// web-1 reporting just now with a nearly full disk, and a firing DiskSpaceLow alert on it.
    @discardableResult
    func seed() async throws -> StoredAlert {
        let batch = IngestBatch(host: "web-1", agent: AgentInfo(version: "0.3.0", os: "Debian 12"), labels: ["group": "web"],
                                samples: [Sample(name: "disk.used_percent", value: 91.5, ts: t0 - 1000, labels: ["mount": "/"])])
        _ = try await store.ingest(batch, receivedAt: t0)
        let instance = Self.diskAlert
        try await store.recordAlerts([AlertUpdate(instance: instance, annotations: ["summary": "disk / of web-1 is 91.5% full"],
                                                  state: .firing(since: t0 - 600_000), flapping: false, events: [.firing(at: t0 - 600_000)],
                                                  metric: "disk.used_percent", seriesLabels: ["mount": "/"])], now: t0 - 600_000)
        return try #require(try await store.alert(fingerprint: instance.fingerprint))
    }

    func controller() -> ConsoleController {
        let c = ConsoleController(user: user, storeDescription: "sqlite test", catalog: catalog, chat: settings, root: Fixtures.dashboard())
        c.receive(.fleet(Fixtures.fleet), now: t0)
        return c
    }

    /// Carries out the controller's effects as the console loop does (a question streams in the background, as
    /// there) and delivers what the workers posted so far. Returns the chat requests.
    @discardableResult
    func pump(_ c: ConsoleController) async -> [ChatRequest] {
        var chat: [ChatRequest] = []
        for effect in c.takeEffects() {
            switch effect {
            case .chat(let r):
                chat.append(r)
                if case .send = r { worker.perform(r) } else if case .stop = r { worker.perform(r) } else { await worker.execute(r) }
            case .remediate(let r):
                await remediation.execute(r)
            default:
                break
            }
        }
        deliver(c)
        return chat
    }

    func deliver(_ c: ConsoleController) {
        for m in mailbox.drain() { c.receive(m, now: WallClock.nowMs()) }
    }

    /// Delivers mailbox messages until `condition` holds (at most 30 s, scaled by `TestTime`).
    func wait(_ c: ConsoleController, _ what: String, until condition: () async -> Bool) async {
        for _ in 0..<Int(3000 * TestTime.scale) {
            deliver(c)
            if await condition() { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting for \(what)\n\(screen(c).text)")
    }

    func screen(_ c: ConsoleController, width: Int = 160, height: Int = 48) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        c.render(into: &canvas, now: WallClock.nowMs())
        return canvas
    }

    static func type(_ text: String, into c: ConsoleController) {
        for ch in text { c.handle(.char(ch), now: WallClock.nowMs()) }
    }

    /// Types a question and presses Enter.
    func ask(_ question: String, _ c: ConsoleController) async -> [ChatRequest] {
        Self.type(question, into: c)
        c.handle(.enter, now: WallClock.nowMs())
        return await pump(c)
    }
}

// MARK: - Tests

@Suite(.serialized) struct ChatPaneTests {
    @Test func aStreamedAnswerRendersProgressively() async throws {
        let server = ChatTestServer([.sse([ChatChunks.text("Disk on web-1 ")] + ChatChunks.answer("is 91.5% full; old logs are the usual cause."), gated: true)])
        let h = try ChatHarness(server: server)
        try await h.seed()
        let c = h.controller()
        c.run(.chat(host: nil), now: h.t0)
        let pane = try #require(c.top as? ChatPane)
        await h.pump(c)
        #expect(pane.context?.summary.contains("1 active alert") == true, "\(String(describing: pane.context))")
        let sent = await h.ask("why is web-1 filling up?", c)
        guard case .send(_, let conversation, let question, let messages)? = sent.first else { Issue.record("not sent: \(sent)"); return }
        #expect(conversation == "general" && question == "why is web-1 filling up?")
        #expect(messages.first?.role == .system && messages.first?.content.contains("You are Vigil's on-call assistant") == true)
        #expect(messages.first?.content.contains("DiskSpaceLow on web-1") == true, "the context names the firing alert")

        // The first piece shows while the rest is held back by the server.
        await h.wait(c, "the first piece") { h.screen(c).text.contains("Disk on web-1") }
        var text = h.screen(c).text
        #expect(text.contains("you   why is web-1 filling up?"), "\(text)")
        #expect(text.contains("vigil Disk on web-1 ▌"), "\(text)")
        #expect(!text.contains("91.5% full"), "the rest has not arrived yet")
        #expect(text.contains("Ask · answering… Esc stops"), "\(text)")
        #expect(c.hintSpans().map { $0.map(\.text).joined() }.contains("Esc stop the answer"))
        server.openGate()
        await h.wait(c, "the whole answer") { !pane.isStreaming }
        text = h.screen(c).text
        #expect(text.contains("vigil Disk on web-1 is 91.5% full; old logs are the usual cause."), "\(text)")
        #expect(text.contains("scripted-1 · 321+45 tokens"), "the header shows the call's cost\n\(text)")
        #expect(!text.contains("▌"))

        // What was sent: the system prompt and question, and every read-only tool.
        let request = try #require(server.received.first)
        #expect(request.path == "/v1/chat/completions")
        #expect(request.messages.map { $0["role"] as? String } == ["system", "user"])
        #expect(request.toolNames == ["list_hosts", "query_metrics", "list_alerts", "search_logs", "topology_neighbours",
                                      "similar_incidents", "propose_runbook"])
        // The call log has it, with its tokens.
        await h.wait(c, "the call log") { ((try? await h.store.aiCalls(limit: 5)) ?? []).isEmpty == false }
        let call = try #require(try await h.store.aiCalls(limit: 5).first)
        #expect(call.feature == "chat" && call.outcome == .ok && call.promptTokens == 321 && call.completionTokens == 45)
    }

    @Test func aToolCallRunsAgainstTheStoreAndItsResultGoesBack() async throws {
        let server = ChatTestServer([
            .sse(ChatChunks.toolCall(id: "call_alerts", name: "list_alerts", arguments: #"{"state":"active"}"#)),
            .afterTool(toolCallID: "call_alerts", ChatChunks.answer("One alert fires: DiskSpaceLow on web-1 (91.5).")),
        ])
        let h = try ChatHarness(server: server)
        let alert = try await h.seed()
        let c = h.controller()
        c.run(.chat(host: nil), now: h.t0)
        let pane = try #require(c.top as? ChatPane)
        await h.pump(c)
        _ = await h.ask("what is firing?", c)
        await h.wait(c, "the answer") { !pane.isStreaming }
        #expect(server.refused.isEmpty, "\(server.refused)")
        let text = h.screen(c).text
        for part in ["you   what is firing?", "→ list_alerts state=active", "← 1 active alert: DiskSpaceLow on web-1",
                     "vigil One alert fires: DiskSpaceLow on web-1 (91.5)."] {
            #expect(text.contains(part), "missing '\(part)' in\n\(text)")
        }
        #expect(!text.contains("could not") && !text.contains("failed"), "\(text)")
        // The second request carried the assistant's call and the store's real answer to it.
        #expect(server.received.count == 2)
        let second = try #require(server.received.last).messages
        #expect(second.map { $0["role"] as? String } == ["system", "user", "assistant", "tool"])
        let calls = try #require(second[2]["tool_calls"] as? [[String: Any]])
        #expect((calls.first?["function"] as? [String: Any])?["name"] as? String == "list_alerts")
        let result = try #require(second[3]["content"] as? String)
        #expect(second[3]["tool_call_id"] as? String == "call_alerts")
        #expect(result.contains(alert.fingerprint) && result.contains("\"rule\":\"DiskSpaceLow\""), "\(result)")
    }

    @Test func aProposedRunbookShowsACardAndOpensTheRemediationPanePreset() async throws {
        let fingerprint = ChatHarness.diskAlert.fingerprint
        let args = #"{"runbook":"disk_cleanup","host":"web-1","params":{"older_than_days":"3"},"alert":"\#(fingerprint)"}"#
        let server = ChatTestServer([
            .sse(ChatChunks.toolCall(id: "call_rb", name: "propose_runbook", arguments: args)),
            .afterTool(toolCallID: "call_rb", ChatChunks.answer("Clean files older than 3 days: proposed disk_cleanup.")),
        ])
        let h = try ChatHarness(server: server)
        let alert = try await h.seed()
        let c = h.controller()
        // `c` on the alert's detail opens a conversation seeded with it.
        c.apply(.push(AlertDetailPane(alert: alert, user: h.user)), now: h.t0)
        c.handle(.char("c"), now: h.t0)
        let pane = try #require(c.top as? ChatPane)
        #expect(pane.subject.conversation == alert.fingerprint)
        await h.pump(c)
        #expect(pane.context?.text.contains("Alert DiskSpaceLow (fingerprint \(alert.fingerprint))") == true)
        #expect(pane.context?.text.contains("Timeline (oldest first):") == true)
        _ = await h.ask("fix it?", c)
        await h.wait(c, "the answer") { !pane.isStreaming }
        #expect(server.refused.isEmpty, "\(server.refused)")
        var text = h.screen(c).text
        for part in ["→ propose_runbook alert=\(alert.fingerprint) host=web-1 params={older_than_days=3} runbook=disk_cleanup",
                     "← proposal: disk_cleanup on web-1", "Proposed runbook disk_cleanup on web-1 · medium risk",
                     "older_than_days=3", "1. check", "vigil-step disk-usage --path /",
                     "nothing has run. p (or Enter on an empty line) opens it in the remediation pane",
                     "vigil Clean files older than 3 days: proposed disk_cleanup."] {
            #expect(text.contains(part), "missing '\(part)' in\n\(text)")
        }
        #expect(try await h.store.runs(RunFilter()).isEmpty, "a proposal stores no run")

        // p (in the transcript) opens the remediation pane preset with the proposal; it plans afresh.
        c.handle(.tab, now: h.t0)
        #expect(c.hintSpans().map { $0.map(\.text).joined() }.contains("p open proposed runbook"))
        c.handle(.char("p"), now: h.t0)
        let remediation = try #require(c.top as? RemediationPane)
        #expect(remediation.runbookName == "disk_cleanup" && remediation.host == "web-1")
        #expect(remediation.overrides == ["older_than_days": "3"])
        #expect(remediation.alert?.fingerprint == alert.fingerprint)
        await h.pump(c)
        let plan = try #require(remediation.plan)
        #expect(plan.runbook.name == "disk_cleanup" && plan.host == "web-1" && plan.parameters["older_than_days"] == "3")
        text = h.screen(c).text
        #expect(text.contains("Runbook disk_cleanup · medium risk") && text.contains("Safety"), "\(text)")
        // Nothing was submitted: no run in the store, and the pane waits for Enter or d.
        #expect(try await h.store.runs(RunFilter()).isEmpty)
        #expect(remediation.run == nil)
        // Esc comes back to the conversation.
        c.handle(.escape, now: h.t0)
        #expect(c.top === pane)
    }

    @Test func escMidStreamStopsIt() async throws {
        let server = ChatTestServer([.sseThenHang([ChatChunks.text("The disk grows "), ChatChunks.text("3% per hour")])])
        let h = try ChatHarness(server: server)
        try await h.seed()
        let c = h.controller()
        c.run(.chat(host: "web-1"), now: h.t0)
        let pane = try #require(c.top as? ChatPane)
        #expect(pane.subject == .host("web-1"))
        await h.pump(c)
        _ = await h.ask("how fast?", c)
        await h.wait(c, "the first pieces") { pane.partial.contains("3% per hour") }
        c.handle(.escape, now: h.t0)
        #expect(c.top === pane, "Esc while answering stops the answer, it does not go back")
        let stop = await h.pump(c)
        guard case .stop? = stop.first else { Issue.record("no stop: \(stop)"); return }
        await h.wait(c, "the stop") { !pane.isStreaming }
        await h.wait(c, "the server to see the client hang up") { server.peerClosed }
        let text = h.screen(c).text
        #expect(text.contains("vigil The disk grows 3% per hour"), "what arrived stays\n\(text)")
        #expect(text.contains("      stopped"), "\(text)")
        #expect(text.contains("Ask · Enter sends"), "\(text)")
        // Kept: the question, the partial answer, the notice. The call is logged as cancelled.
        let stored = try await h.store.chatMessages(conversation: "host:web-1", limit: 10)
        try #require(stored.map(\.role) == ["user", "assistant", "notice"])
        #expect(stored[1].content == "The disk grows 3% per hour")
        await h.wait(c, "the call log") { ((try? await h.store.aiCalls(limit: 5)) ?? []).contains { $0.outcome == .cancelled } }
        // Esc again goes back.
        c.handle(.escape, now: h.t0)
        #expect(!(c.top is ChatPane))
    }

    @Test func withoutAKeyItSaysSoAndSendsNothing() async throws {
        let server = ChatTestServer([.sse(ChatChunks.answer("never"))])
        let h = try ChatHarness(server: server, key: nil)
        let c = h.controller()
        #expect(!h.settings.hasKey)
        c.run(.chat(host: nil), now: h.t0)
        await h.pump(c)
        var text = h.screen(c).text
        for part in ["No AI key is configured, so nothing is sent anywhere.", "set VIGIL_AI_KEY or DEEPSEEK_API_KEY",
                     "ai.key_file", "~/.config/vigil/config.yaml", "AI off: no key", "Ask · no AI key: nothing is sent"] {
            #expect(text.contains(part), "missing '\(part)' in\n\(text)")
        }
        let requests = await h.ask("anything wrong?", c)
        #expect(requests == [.refusedNoKey], "nothing to send: \(requests)")
        text = h.screen(c).text
        #expect(text.split(separator: "\n").last?.contains("no AI key configured: set VIGIL_AI_KEY or DEEPSEEK_API_KEY") == true, "\(text)")
        try await Task.sleep(for: .milliseconds(100))
        #expect(server.received.isEmpty, "the server received nothing")
        #expect(try await h.store.chatMessages(conversation: "general", limit: 10).isEmpty)
        // The refusal is in the call log, and :ai shows it.
        let calls = try await h.store.aiCalls(limit: 5)
        #expect(calls.map(\.outcome) == [.noKey] && calls.first?.feature == "chat")
        c.run(try CommandParser.parse(":ai"), now: h.t0)
        #expect(c.top is AICallsPane)
        await h.pump(c)
        text = h.screen(c).text
        for part in ["AI off", "AI call log (1)", "TIME", "FEATURE", "MODEL", "PROMPT", "ANSWER", "LATENCY", "OUTCOME", "chat", "no_key"] {
            #expect(text.contains(part), "missing '\(part)' in\n\(text)")
        }
    }

    @Test func theConversationIsKeptAndReloadedForTheSameAlert() async throws {
        let server = ChatTestServer([.sse(ChatChunks.answer("Old logs in /var/log.")), .sse(ChatChunks.answer("Yes, 7 days is safe."))])
        let h = try ChatHarness(server: server)
        let alert = try await h.seed()
        let c = h.controller()
        c.apply(.push(AlertsPane(user: h.user)), now: h.t0)
        c.receive(.alerts(AlertsSnapshot(takenAt: h.t0, active: [alert], resolved: nil, silences: nil)), now: h.t0)
        c.handle(.char("c"), now: h.t0)
        var pane = try #require(c.top as? ChatPane)
        await h.pump(c)
        _ = await h.ask("what fills the disk?", c)
        await h.wait(c, "the first answer") { !pane.isStreaming }
        c.handle(.escape, now: h.t0)
        #expect(c.top is AlertsPane)

        // Again on the same alert: the conversation continues.
        c.handle(.char("c"), now: h.t0)
        pane = try #require(c.top as? ChatPane)
        await h.pump(c)
        var text = h.screen(c).text
        #expect(text.contains("you   what fills the disk?") && text.contains("vigil Old logs in /var/log."), "\(text)")
        #expect(text.contains("Conversation (1 question)"), "\(text)")
        _ = await h.ask("is older_than_days=7 safe?", c)
        await h.wait(c, "the second answer") { !pane.isStreaming }
        let second = try #require(server.received.last).messages
        #expect(second.map { $0["role"] as? String } == ["system", "user", "assistant", "user"])
        #expect(second[2]["content"] as? String == "Old logs in /var/log.")
        text = h.screen(c).text
        #expect(text.contains("vigil Yes, 7 days is safe."), "\(text)")
        let stored = try await h.store.chatMessages(conversation: alert.fingerprint, limit: 50)
        #expect(stored.map(\.role) == ["user", "assistant", "user", "assistant"])
        #expect(stored.map(\.seq) == [1, 2, 3, 4])

        // Another subject starts afresh.
        c.run(.chat(host: "web-1"), now: h.t0)
        await h.pump(c)
        #expect((c.top as? ChatPane)?.entries.isEmpty == true)
    }

    @Test func messagesPairEachToolCallWithItsOwnResult() {
        let call = AIToolCall(id: "call_1", name: "list_alerts", arguments: "{}")
        let entries: [ChatEntry] = [
            .user("first"), .assistant("", toolCalls: [call]),
            .toolResult(ChatToolResult(callID: "call_1", name: "list_alerts", text: "{\"count\":0}", summary: "0 alerts", isError: false)),
            .assistant("none", toolCalls: []),
            // A stopped turn: the model reused the id, and no result came back.
            .user("second"), .assistant("", toolCalls: [call]), .notice("stopped", isError: false),
            .user("third"),
        ]
        let messages = ChatModel.messages(system: "sys", context: ChatContext(text: "ctx", summary: ""), entries: entries)
        #expect(messages.map(\.role) == [.system, .user, .assistant, .tool, .assistant, .user, .user])
        #expect(messages[0].content.hasPrefix("sys") && messages[0].content.hasSuffix("ctx"))
        #expect(messages[2].toolCalls == [call] && messages[3].toolCallID == "call_1")
        // Stored and read back, the entries are the same.
        let records = entries.map { $0.record(conversation: "general", ts: 1) }
        #expect(records.compactMap(ChatEntry.init(record:)) == entries)
    }

    @Test func commandsAndKeys() throws {
        #expect(try CommandParser.parse(":chat") == .chat(host: nil))
        #expect(try CommandParser.parse(":ask web-1") == .chat(host: "web-1"))
        #expect(try CommandParser.parse(":ai") == .aiCalls)
        #expect(CommandParser.complete("cha", hosts: [], themes: []).line == "chat ")
        #expect(CommandParser.complete("chat we", hosts: ["web-1"], themes: []).line == "chat web-1 ")
        // `c` on the alerts list, the alert detail and a host's detail.
        let alerts = AlertFixtures.pane()
        #expect(alerts.keyMap.hints.map(\.title).contains("chat"))
        #expect(HostDetailPane(name: "web-1").keyMap.hints.map(\.title).contains("chat"))
        // The input line takes every key: q and : are typed, Ctrl-C still quits.
        let c = AlertFixtures.controller()
        c.run(.chat(host: nil), now: Fixtures.now)
        let pane = try #require(c.top as? ChatPane)
        _ = c.takeEffects()
        for ch in "q: ?" { c.handle(.char(ch), now: Fixtures.now) }
        #expect(pane.editor.text == "q: ?")
        #expect(c.top === pane)
        c.handle(.ctrl("c"), now: Fixtures.now)
        #expect(c.takeEffects() == [.quit])
        // Tab gives the transcript the keys (and the global ones back).
        c.handle(.tab, now: Fixtures.now)
        #expect(!pane.capturesTyping)
        c.handle(.char("?"), now: Fixtures.now)
        #expect(c.top is HelpPane)
        let help = Fixtures.render(c.top, height: 60).text
        #expect(help.contains("Chat") && help.contains("AI calls"), "\(help)")
    }
}
