import Foundation
import VigilCore
import VigilWire

/// Carries out the chat pane's requests off the UI thread: loads a conversation and its subject's context, streams
/// answers from `AIClient` token by token, runs the assistant's read-only tool calls through `FleetTools` and sends
/// their results back (at most `ChatModel.maxRounds` rounds), and stores every message of the conversation. It
/// posts immutable values to the mailbox and never touches a pane. `propose_runbook` only plans: nothing here
/// submits a run.
final class ChatWorker: Sendable {
    /// Nil when the AI configuration is unusable (then every question is refused, as without a key).
    let client: AIClient?
    /// Nil without a store: the assistant gets no tools.
    let tools: FleetTools?
    let store: (any Store)?
    private let mailbox: Mailbox
    /// Answers being streamed, by the pane's token (Esc cancels them).
    private let turns = Locked<[String: Task<Void, Never>]>([:])

    init(client: AIClient?, tools: FleetTools?, store: (any Store)?, mailbox: Mailbox) {
        self.client = client
        self.tools = tools
        self.store = store
        self.mailbox = mailbox
    }

    /// Starts a request in the background (`stop` acts at once).
    func perform(_ request: ChatRequest) {
        switch request {
        case .stop(let token):
            stop(token)
        case .send(let token, _, _, _):
            // Registered before it can finish (it removes itself when done).
            turns.withLock { $0[token] = Task { await self.execute(request) } }
        default:
            Task { await self.execute(request) }
        }
    }

    /// Cancels the answer streamed for `token`; cancelling the task aborts the HTTP transfer.
    func stop(_ token: String) {
        let task = turns.withLock { $0.removeValue(forKey: token) }
        task?.cancel()
    }

    /// Carries out one request and posts what it learns (awaiting the whole answer for `send`).
    func execute(_ request: ChatRequest) async {
        switch request {
        case .open(let token, let subject):
            await open(token: token, subject: subject)
        case .send(let token, let conversation, let question, let messages):
            await answer(token: token, conversation: conversation, question: question, messages: messages)
            turns.withLock { _ = $0.removeValue(forKey: token) }
        case .stop(let token):
            stop(token)
        case .refusedNoKey:
            await client?.recordSkipped(feature: "chat", outcome: .noKey, detail: AIConfig.noKeyMessage)
            if client == nil, let store {
                _ = try? await store.recordAICall(AICallRecord(ts: WallClock.nowMs(), feature: "chat", model: "-", promptTokens: nil,
                                                               completionTokens: nil, latencyMs: 0, outcome: .noKey, detail: AIConfig.noKeyMessage))
            }
        case .calls(let limit):
            guard let store else {
                mailbox.post(.chat(.callsFailed("no store: the AI call log is kept in the store")))
                return
            }
            do {
                mailbox.post(.chat(.calls(try await store.aiCalls(limit: limit))))
            } catch {
                mailbox.post(.chat(.callsFailed(RemediationWorker.describe(error))))
            }
        }
    }

    // MARK: open

    private func open(token: String, subject: ChatSubject) async {
        let now = WallClock.nowMs()
        guard let store else {
            mailbox.post(.chat(.opened(token: token, history: [],
                                       context: ChatModel.context(subject: subject, alert: subject.alert, timeline: [], host: nil, hostAlerts: [],
                                                                  incidents: [], fleet: nil, now: now))))
            return
        }
        do {
            let history = try await store.chatMessages(conversation: subject.conversation, limit: ChatModel.historyLimit).compactMap(ChatEntry.init(record:))
            var alert = subject.alert
            var timeline: [AlertTimelineEntry] = []
            var incidents: [IncidentRecord] = []
            if let a = alert {
                alert = try await store.alert(fingerprint: a.fingerprint) ?? a
                timeline = try await store.alertTimeline(fingerprint: a.fingerprint).sorted { ($0.ts, $0.id) < ($1.ts, $1.id) }
                incidents = (try? await store.similarIncidents(to: alert ?? a, limit: 3)) ?? []
            }
            let fleet = try await store.fleetSnapshot(now: now)
            let hostName: String? = switch subject {
            case .alert: alert?.host
            case .host(let name): name
            case .general: nil
            }
            let host = hostName.flatMap { name in fleet.hosts.first { $0.name == name } }
            var active: [StoredAlert] = []
            if alert == nil {
                active = try await store.alerts(states: ["pending", "firing"], limit: 200).filter { hostName == nil || $0.host == hostName }
            }
            let context = ChatModel.context(subject: subject, alert: alert, timeline: timeline, host: host, hostAlerts: active,
                                            incidents: incidents, fleet: fleet, now: now)
            mailbox.post(.chat(.opened(token: token, history: history, context: context)))
        } catch {
            mailbox.post(.chat(.openFailed(token: token, RemediationWorker.describe(error))))
        }
    }

    // MARK: answer

    /// Stores `entries` in `conversation` (a failed write is reported, never fatal to the answer). The write runs in
    /// a task of its own: a stopped answer's task is cancelled, and what arrived before the stop must still be kept.
    private func keep(_ entries: [ChatEntry], conversation: String, token: String) async {
        guard let store, !entries.isEmpty else { return }
        let records = entries.map { $0.record(conversation: conversation, ts: WallClock.nowMs()) }
        do {
            _ = try await Task { try await store.appendChatMessages(records) }.value
        } catch {
            mailbox.post(.chat(.entry(token: token, .notice("could not store the conversation: \(RemediationWorker.describe(error))", isError: true))))
        }
    }

    /// Posts an entry and stores it.
    private func add(_ entry: ChatEntry, conversation: String, token: String) async {
        mailbox.post(.chat(.entry(token: token, entry)))
        await keep([entry], conversation: conversation, token: token)
    }

    private func answer(token: String, conversation: String, question: String, messages: [AIMessage]) async {
        guard let client, client.config.hasKey else {
            await execute(.refusedNoKey)
            mailbox.post(.chat(.failed(token: token, AIConfig.noKeyMessage)))
            return
        }
        await keep([.user(question)], conversation: conversation, token: token)
        var messages = messages
        let catalogue = tools.map { t in t.definitions.map { AITool(name: $0.name, description: $0.description, parametersSchema: $0.inputSchema.jsonText) } } ?? []
        var usage = ChatUsage(model: client.config.model, promptTokens: 0, completionTokens: 0, latencyMs: 0, rounds: 0, estimated: false)
        for round in 1...ChatModel.maxRounds {
            var text = ""
            var response: AIResponse?
            // The last round offers no tools: the model has to answer with what it found.
            let offered = round < ChatModel.maxRounds ? catalogue : []
            do {
                for try await event in client.stream(messages, tools: offered, feature: "chat") {
                    switch event {
                    case .text(let piece):
                        text += piece
                        mailbox.post(.chat(.delta(token: token, piece)))
                    case .retrying(let attempt, let afterMs, let reason):
                        mailbox.post(.chat(.retrying(token: token, "\(reason); retry \(attempt) in \(Format.milliseconds(Double(afterMs)))")))
                    case .toolCall:
                        break
                    case .done(let r):
                        response = r
                    }
                }
            } catch {
                let why = (error as? AIError)?.message ?? String(describing: error)
                if Task.isCancelled || (error as? AIError)?.kind == .cancelled {
                    await stopped(token: token, conversation: conversation, partial: text)
                    return
                }
                if !text.isEmpty { await add(.assistant(text, toolCalls: []), conversation: conversation, token: token) }
                await add(.notice("the AI call failed: \(why)", isError: true), conversation: conversation, token: token)
                mailbox.post(.chat(.failed(token: token, why)))
                return
            }
            guard let r = response, !Task.isCancelled else {
                await stopped(token: token, conversation: conversation, partial: text)
                return
            }
            usage.model = r.model
            usage.promptTokens += r.usage.promptTokens
            usage.completionTokens += r.usage.completionTokens
            usage.latencyMs += r.latencyMs
            usage.rounds = round
            usage.estimated = usage.estimated || r.usage.estimated
            let calls = offered.isEmpty ? [] : r.toolCalls
            await add(.assistant(r.content, toolCalls: calls), conversation: conversation, token: token)
            guard !calls.isEmpty, let tools else {
                if r.content.isEmpty && calls.isEmpty {
                    await add(.notice("the assistant gave no answer (finish reason \(r.finishReason.isEmpty ? "none" : r.finishReason))", isError: true),
                              conversation: conversation, token: token)
                }
                mailbox.post(.chat(.finished(token: token, usage)))
                return
            }
            messages.append(.assistant(r.content, toolCalls: calls))
            for call in calls {
                let result = await tools.call(name: call.name, argumentsJSON: call.arguments)
                var proposal: ChatProposal?
                if let plan = result.proposal {
                    let explicit = (try? JSONValue.parse(call.arguments))?["params"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
                    proposal = ChatProposal(plan: plan, explicit: explicit)
                }
                let entry = ChatToolResult(callID: call.id, name: call.name, text: result.text,
                                           summary: ChatModel.summary(tool: call.name, result: result), isError: result.isError, proposal: proposal)
                await add(.toolResult(entry), conversation: conversation, token: token)
                messages.append(.tool(id: call.id, result.text))
            }
            if Task.isCancelled {
                await stopped(token: token, conversation: conversation, partial: "")
                return
            }
        }
        mailbox.post(.chat(.finished(token: token, usage)))
    }

    private func stopped(token: String, conversation: String, partial: String) async {
        var entries: [ChatEntry] = []
        if !partial.isEmpty { entries.append(.assistant(partial, toolCalls: [])) }
        entries.append(.notice("stopped", isError: false))
        for e in entries { mailbox.post(.chat(.entry(token: token, e))) }
        await keep(entries, conversation: conversation, token: token)
        mailbox.post(.chat(.stopped(token: token)))
    }
}
