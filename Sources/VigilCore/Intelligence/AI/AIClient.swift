import Foundation
import VigilHTTP
import VigilWire

/// A client for any OpenAI-compatible chat-completions API over libcurl.
///
/// Every request is streamed (server-sent events) so answers appear token by token; tool-call deltas are
/// assembled into whole calls. Before anything leaves the box, every message goes through the `Redactor` and
/// the conversation is trimmed to the `ContextBudget` (oldest context first). 429 and 5xx answers and failed
/// connections are retried with exponential backoff (honouring `Retry-After` / `retry-after-ms`) inside the
/// total timeout; timeouts are not retried. Every call is recorded in the `AICallLog` (feature, model, tokens,
/// latency, outcome), including calls refused for want of a key.
///
/// The blocking transfer runs on its own thread, never on the cooperative pool.
public final class AIClient: Sendable {
    public let config: AIConfig
    public let redactor: Redactor
    public let log: (any AICallLog)?

    /// Throws when one of `config.redactPatterns` is not a valid regular expression.
    public init(config: AIConfig, log: (any AICallLog)? = nil) throws(Redactor.PatternError) {
        self.config = config
        self.redactor = try Redactor(extraPatterns: config.redactPatterns)
        self.log = log
    }

    // MARK: public API

    /// Streams the answer to `messages`: `.text` pieces as they arrive, `.retrying` while backing off, then the
    /// `.toolCall`s and `.done`. Ends by throwing `AIError` on failure. Cancelling the consuming task (or dropping
    /// the stream) aborts the transfer.
    public func stream(_ messages: [AIMessage], tools: [AITool] = [], feature: String = "chat",
                       json: Bool = false) -> AsyncThrowingStream<AIStreamEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<AIStreamEvent, any Error>.makeStream()
        let cancellation = HTTPCancellation()
        continuation.onTermination = { _ in cancellation.cancel() }
        let call = CallState(feature: feature)
        Thread {
            let result = self.perform(messages, tools: tools, json: json, cancellation: cancellation, state: call) { continuation.yield($0) }
            call.endNs = WallClock.monotonicNs()
            Task {
                await self.record(call, result: result, rejection: nil)
                switch result {
                case .success(let r):
                    for c in r.toolCalls { continuation.yield(.toolCall(c)) }
                    continuation.yield(.done(r))
                    continuation.finish()
                case .failure(let e):
                    continuation.finish(throwing: e)
                }
            }
        }.start()
        return stream
    }

    /// The whole answer to `messages`; `onEvent` sees the `.text` and `.retrying` events as they happen.
    /// Throws `AIError`.
    public func complete(_ messages: [AIMessage], tools: [AITool] = [], feature: String, json: Bool = false,
                         onEvent: (@Sendable (AIStreamEvent) -> Void)? = nil) async throws -> AIResponse {
        try await complete(messages, tools: tools, feature: feature, json: json, onEvent: onEvent) { $0 }.value
    }

    /// The answer to `messages` after `validate` accepted it. A `validate` that throws `AIRejection` makes the
    /// call `rejected` in the log and throws `AIError` of kind `.rejected` carrying the reason.
    public func complete<T: Sendable>(_ messages: [AIMessage], tools: [AITool] = [], feature: String, json: Bool = false,
                                      onEvent: (@Sendable (AIStreamEvent) -> Void)? = nil,
                                      validate: @Sendable (AIResponse) throws(AIRejection) -> T) async throws -> (value: T, response: AIResponse) {
        let cancellation = HTTPCancellation()
        let call = CallState(feature: feature)
        let result: Result<AIResponse, AIError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Result<AIResponse, AIError>, Never>) in
                Thread {
                    let result = self.perform(messages, tools: tools, json: json, cancellation: cancellation, state: call) { onEvent?($0) }
                    call.endNs = WallClock.monotonicNs()
                    c.resume(returning: result)
                }.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
        switch result {
        case .failure(let e):
            await record(call, result: .failure(e), rejection: nil)
            throw e
        case .success(let response):
            do throws(AIRejection) {
                let value = try validate(response)
                await record(call, result: .success(response), rejection: nil)
                return (value, response)
            } catch {
                await record(call, result: .success(response), rejection: error)
                throw AIError(.rejected, "the AI answer was rejected: \(error.reason)")
            }
        }
    }

    /// Records a call that never reached the network (e.g. refused for want of a key) or that a caller
    /// judged itself.
    public func recordSkipped(feature: String, outcome: AICallOutcome, detail: String) async {
        await log?.record(AICallRecord(ts: WallClock.nowMs(), feature: feature, model: config.model, promptTokens: nil, completionTokens: nil,
                                       latencyMs: 0, outcome: outcome, detail: detail))
    }

    // MARK: the request

    /// What the blocking part learned, for the call log.
    final class CallState: Sendable {
        struct Fields {
            var attempts = 0
            var redactions = 0
            var dropped = 0
            var promptEstimate = 0
            /// When the transfer thread finished (so the logged latency does not include waiting for the pool).
            var endNs: UInt64?
        }
        // Written by the transfer thread, read by the task that logs the call: behind a lock, so no ordering is
        // assumed between a Foundation thread and the continuation it resumes.
        let feature: String
        let startNs: UInt64 = WallClock.monotonicNs()
        private let fields = Locked(Fields())
        init(feature: String) { self.feature = feature }
        var attempts: Int { get { fields.withLock { $0.attempts } } set { fields.withLock { $0.attempts = newValue } } }
        var redactions: Int { get { fields.withLock { $0.redactions } } set { fields.withLock { $0.redactions = newValue } } }
        var dropped: Int { get { fields.withLock { $0.dropped } } set { fields.withLock { $0.dropped = newValue } } }
        var promptEstimate: Int { get { fields.withLock { $0.promptEstimate } } set { fields.withLock { $0.promptEstimate = newValue } } }
        var endNs: UInt64? { get { fields.withLock { $0.endNs } } set { fields.withLock { $0.endNs = newValue } } }
        var latencyMs: Int { Int(((endNs ?? WallClock.monotonicNs()) - startNs) / 1_000_000) }
    }

    /// The messages as they will be sent: redacted, then trimmed to the budget.
    public func prepare(_ messages: [AIMessage], tools: [AITool] = []) -> (messages: [AIMessage], redactions: Int, dropped: Int) {
        var redactions = 0
        let clean = messages.map { m -> AIMessage in
            var m = m
            let r = redactor.redact(m.content)
            m.content = r.text
            redactions += r.count
            m.toolCalls = m.toolCalls.map { c in
                var c = c
                let a = redactor.redact(c.arguments)
                c.arguments = a.text
                redactions += a.count
                return c
            }
            return m
        }
        let toolTokens = tools.reduce(0) { $0 + ContextBudget.estimate($1.name + $1.description + $1.parametersSchema) + 8 }
        let budget = ContextBudget(maxPromptTokens: config.contextTokens - config.maxAnswerTokens - toolTokens)
        let trimmed = budget.trim(clean)
        return (trimmed.messages, redactions, trimmed.dropped)
    }

    /// The JSON body of a chat-completions request.
    public func requestBody(_ messages: [AIMessage], tools: [AITool], json: Bool) -> [UInt8] {
        var body: [String: Any] = [
            "model": config.model,
            "stream": true,
            "stream_options": ["include_usage": true],
            "temperature": config.temperature,
            "max_tokens": config.maxAnswerTokens,
        ]
        body["messages"] = messages.map { m -> [String: Any] in
            var o: [String: Any] = ["role": m.role.rawValue]
            if m.role == .assistant && !m.toolCalls.isEmpty && m.content.isEmpty {
                o["content"] = NSNull()
            } else {
                o["content"] = m.content
            }
            if !m.toolCalls.isEmpty {
                o["tool_calls"] = m.toolCalls.map { ["id": $0.id, "type": "function", "function": ["name": $0.name, "arguments": $0.arguments]] }
            }
            if let id = m.toolCallID { o["tool_call_id"] = id }
            return o
        }
        if !tools.isEmpty {
            body["tools"] = tools.map { t -> [String: Any] in
                let schema = (try? JSONSerialization.jsonObject(with: Data(t.parametersSchema.utf8))) ?? ["type": "object", "properties": [String: Any]()]
                return ["type": "function", "function": ["name": t.name, "description": t.description, "parameters": schema]]
            }
        }
        if json && config.jsonMode { body["response_format"] = ["type": "json_object"] }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }

    /// One call, blocking: prepare, send, retry, assemble. Runs on its own thread.
    func perform(_ messages: [AIMessage], tools: [AITool], json: Bool, cancellation: HTTPCancellation, state: CallState,
                 emit: (AIStreamEvent) -> Void) -> Result<AIResponse, AIError> {
        guard config.hasKey, let key = config.apiKey else { return .failure(AIError(.noKey, AIConfig.noKeyMessage)) }
        let prepared = prepare(messages, tools: tools)
        state.redactions = prepared.redactions
        state.dropped = prepared.dropped
        state.promptEstimate = ContextBudget.estimate(prepared.messages)
        let body = requestBody(prepared.messages, tools: tools, json: json)
        let headers = [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json"), ("Accept", "text/event-stream")]
        let deadline = state.startNs / 1_000_000 + UInt64(config.totalTimeoutMs)
        let http = HTTPClient()
        var attempt = 0
        while true {
            attempt += 1
            state.attempts = attempt
            let nowMs = WallClock.monotonicNs() / 1_000_000
            guard nowMs < deadline else { return .failure(AIError(.timeout, "the AI call took longer than \(config.totalTimeoutMs) ms")) }
            let request = HTTPRequest(method: "POST", url: config.chatURL, headers: headers, body: body,
                                      timeoutMs: Int(deadline - nowMs), connectTimeoutMs: config.connectTimeoutMs)
            var assembler = StreamAssembler()
            var parser = SSEParser()
            var errorBody: [UInt8] = []
            var plainJSON: [UInt8] = []
            var isSSE = true
            var failure: AIError?
            let outcome: HTTPStreamResult
            do {
                outcome = try http.stream(request, idleTimeoutMs: config.idleTimeoutMs, cancellation: cancellation) { head, chunk in
                    guard (200..<300).contains(head.status) else {
                        if errorBody.count < 64 * 1024 { errorBody += chunk }
                        return true
                    }
                    if let type = head.header("Content-Type")?.lowercased(), type.contains("application/json") {
                        isSSE = false
                        plainJSON += chunk
                        return true
                    }
                    for event in parser.feed(chunk) {
                        do throws(AIError) {
                            if let text = try assembler.apply(event), !text.isEmpty { emit(.text(text)) }
                        } catch {
                            failure = error
                            return false
                        }
                        if assembler.finished { return false }
                    }
                    return true
                }
            } catch {
                if error.code == 42 { return .failure(AIError(.cancelled, "the AI call was cancelled")) }
                if error.code == 28 {
                    return .failure(AIError(.timeout, "the AI server did not answer in time (\(error.message))"))
                }
                let retryable = [7, 52, 55, 56].contains(error.code) && !assembler.started
                if retryable, attempt <= config.maxRetries, let wait = backoff(attempt: attempt, retryAfterMs: nil, deadline: deadline) {
                    emit(.retrying(attempt: attempt, afterMs: wait, reason: error.message))
                    if !sleep(ms: wait, cancellation: cancellation) { return .failure(AIError(.cancelled, "the AI call was cancelled")) }
                    continue
                }
                return .failure(AIError(.transport, "cannot reach the AI server at \(config.baseURL): \(error.message)"))
            }
            if let failure { return .failure(failure) }
            let status = outcome.status
            if status == 429 || status >= 500 {
                let reason = "HTTP \(status)" + (Self.errorMessage(errorBody).map { ": \($0)" } ?? "")
                if attempt <= config.maxRetries, let wait = backoff(attempt: attempt, retryAfterMs: Self.retryAfterMs(outcome), deadline: deadline) {
                    emit(.retrying(attempt: attempt, afterMs: wait, reason: reason))
                    if !sleep(ms: wait, cancellation: cancellation) { return .failure(AIError(.cancelled, "the AI call was cancelled")) }
                    continue
                }
                return .failure(AIError(.http(status), "the AI server answered \(reason)" + (attempt > 1 ? " after \(attempt) attempts" : "")))
            }
            guard (200..<300).contains(status) else {
                let detail = Self.errorMessage(errorBody).map { ": \($0)" } ?? ""
                let hint = status == 401 || status == 403 ? " (check the API key)" : status == 404 ? " (check the base URL and the model)" : ""
                return .failure(AIError(.http(status), "the AI server answered HTTP \(status)\(detail)\(hint)"))
            }
            if isSSE {
                for event in parser.finish() where !assembler.finished {
                    do throws(AIError) {
                        if let text = try assembler.apply(event), !text.isEmpty { emit(.text(text)) }
                    } catch {
                        return .failure(error)
                    }
                }
                if !assembler.started {
                    return .failure(AIError(.badResponse, "the AI server's answer was empty or not a chat-completions stream"))
                }
            } else {
                do throws(AIError) {
                    try assembler.applyWhole(plainJSON)
                } catch {
                    return .failure(error)
                }
                if !assembler.content.isEmpty { emit(.text(assembler.content)) }
            }
            let usage = assembler.usage ?? AIUsage(promptTokens: state.promptEstimate, completionTokens: ContextBudget.estimate(assembler.content)
                                                   + assembler.toolCalls.reduce(0) { $0 + ContextBudget.estimate($1.arguments) }, estimated: true)
            return .success(AIResponse(content: assembler.content, toolCalls: assembler.toolCalls, finishReason: assembler.finishReason,
                                       model: assembler.model.isEmpty ? config.model : assembler.model, usage: usage, attempts: attempt,
                                       latencyMs: state.latencyMs, redactions: state.redactions, droppedMessages: state.dropped))
        }
    }

    /// The wait before attempt `attempt + 1`, or nil when it would pass the deadline.
    func backoff(attempt: Int, retryAfterMs: Int?, deadline: UInt64) -> Int? {
        let exp = config.backoffBaseMs * (1 << min(attempt - 1, 16))
        let jittered = Int(Double(min(exp, config.maxBackoffMs)) * Double.random(in: 0.8...1.2))
        let wait = max(retryAfterMs ?? 0, retryAfterMs == nil ? jittered : 0)
        let now = WallClock.monotonicNs() / 1_000_000
        guard now + UInt64(wait) < deadline else { return nil }
        return wait
    }

    /// Sleeps in small slices; false when cancelled meanwhile.
    func sleep(ms: Int, cancellation: HTTPCancellation) -> Bool {
        let end = WallClock.monotonicNs() + UInt64(ms) * 1_000_000
        while WallClock.monotonicNs() < end {
            if cancellation.isCancelled { return false }
            usleep(UInt32(min(10_000, max(1, (end - WallClock.monotonicNs()) / 1000))))
        }
        return !cancellation.isCancelled
    }

    /// `retry-after-ms` (milliseconds) or `Retry-After` (seconds or an HTTP date).
    static func retryAfterMs(_ r: HTTPStreamResult) -> Int? {
        if let ms = r.header("retry-after-ms").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), ms >= 0 { return Int(ms) }
        guard let v = r.header("retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let s = Double(v), s >= 0 { return Int(s * 1000) }
        if let at = HTTPDate.milliseconds(v) { return max(0, Int(at - WallClock.nowMs())) }
        return nil
    }

    /// The `error.message` of an OpenAI-style error body, or its first line.
    static func errorMessage(_ body: [UInt8]) -> String? {
        guard !body.isEmpty else { return nil }
        if let o = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            if let e = o["error"] as? [String: Any], let m = e["message"] as? String { return String(m.prefix(300)) }
            if let m = o["error"] as? String { return String(m.prefix(300)) }
            if let m = o["message"] as? String { return String(m.prefix(300)) }
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).first.map(String.init)
    }

    func record(_ call: CallState, result: Result<AIResponse, AIError>, rejection: AIRejection?) async {
        guard let log else { return }
        var notes: [String] = []
        var record = AICallRecord(ts: WallClock.nowMs(), feature: call.feature, model: config.model, promptTokens: nil, completionTokens: nil,
                                  latencyMs: call.latencyMs, outcome: .ok, detail: "")
        switch result {
        case .success(let r):
            record.model = r.model
            record.promptTokens = r.usage.promptTokens
            record.completionTokens = r.usage.completionTokens
            if r.usage.estimated { notes.append("tokens estimated") }
            if let rejection {
                record.outcome = .rejected
                notes.insert("rejected: \(rejection.reason)", at: 0)
            }
        case .failure(let e):
            record.outcome = e.outcome
            if e.kind != .noKey { record.promptTokens = call.promptEstimate > 0 ? call.promptEstimate : nil }
            notes.insert(e.message, at: 0)
        }
        if call.attempts > 1 { notes.append("\(call.attempts) attempts") }
        if call.redactions > 0 { notes.append("\(call.redactions) redacted") }
        if call.dropped > 0 { notes.append("\(call.dropped) messages trimmed") }
        record.detail = notes.joined(separator: "; ")
        await log.record(record)
    }
}

/// Builds one answer from chat-completion chunks (or a whole non-streamed completion).
struct StreamAssembler {
    var content = ""
    var finishReason = ""
    var model = ""
    var usage: AIUsage?
    /// True once any chunk was understood.
    var started = false
    /// True after `[DONE]`.
    var finished = false
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]

    var toolCalls: [AIToolCall] {
        calls.keys.sorted().compactMap { i in
            let c = calls[i]!
            return AIToolCall(id: c.id.isEmpty ? "call_\(i)" : c.id, name: c.name, arguments: c.arguments)
        }
    }

    /// Applies one event's data; returns the text it adds.
    mutating func apply(_ data: String) throws(AIError) -> String? {
        let trimmed = data.trimmingCharacters(in: .whitespaces)
        if trimmed == "[DONE]" {
            finished = true
            return nil
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
            throw AIError(.badResponse, "the AI server sent a stream event that is not JSON: \(trimmed.prefix(120))")
        }
        if let e = object["error"] {
            let message = (e as? [String: Any])?["message"] as? String ?? "\(e)"
            throw AIError(.badResponse, "the AI server reported an error mid-answer: \(message.prefix(300))")
        }
        started = true
        if let m = object["model"] as? String { model = m }
        takeUsage(object)
        var added = ""
        for choice in object["choices"] as? [[String: Any]] ?? [] where (choice["index"] as? Int ?? 0) == 0 {
            if let reason = choice["finish_reason"] as? String { finishReason = reason }
            guard let delta = choice["delta"] as? [String: Any] ?? choice["message"] as? [String: Any] else { continue }
            if let text = delta["content"] as? String {
                content += text
                added += text
            }
            for (n, tc) in (delta["tool_calls"] as? [[String: Any]] ?? []).enumerated() {
                let index = tc["index"] as? Int ?? n
                var call = calls[index] ?? ("", "", "")
                if let id = tc["id"] as? String, !id.isEmpty { call.id = id }
                if let f = tc["function"] as? [String: Any] {
                    if let name = f["name"] as? String { call.name += name }
                    if let args = f["arguments"] as? String { call.arguments += args }
                }
                calls[index] = call
            }
        }
        return added
    }

    /// A non-streamed completion (servers that ignore `stream: true`).
    mutating func applyWhole(_ body: [UInt8]) throws(AIError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], object["choices"] != nil else {
            throw AIError(.badResponse, "the AI server's answer is not a chat completion: \(String(decoding: body.prefix(120), as: UTF8.self))")
        }
        let text = String(decoding: body, as: UTF8.self)
        _ = try apply(text)
        finished = true
    }

    private mutating func takeUsage(_ object: [String: Any]) {
        guard let u = object["usage"] as? [String: Any], let p = u["prompt_tokens"] as? Int else { return }
        usage = AIUsage(promptTokens: p, completionTokens: u["completion_tokens"] as? Int ?? 0, estimated: false)
    }
}
