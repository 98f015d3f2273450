import Foundation
import VigilCore
import VigilWire

/// What a chat is about; it names the stored conversation, so reopening `c` on the same alert continues it.
enum ChatSubject: Equatable, Sendable {
    /// `:chat`: no particular incident.
    case general
    /// `c` on an alert (the list or its detail).
    case alert(StoredAlert)
    /// `c` on a host's detail, or `:chat HOST`.
    case host(String)

    /// The stored conversation's key: the alert's fingerprint, `host:NAME`, or `general`.
    var conversation: String {
        switch self {
        case .general: "general"
        case .alert(let a): a.fingerprint
        case .host(let name): "host:" + name
        }
    }

    /// The breadcrumb: `chat`, `chat DiskSpaceLow`, `chat web-1`.
    var title: String {
        switch self {
        case .general: "chat"
        case .alert(let a): "chat " + a.rule
        case .host(let name): "chat " + name
        }
    }

    var alert: StoredAlert? {
        if case .alert(let a) = self { return a }
        return nil
    }
}

/// What the console knows about the AI configuration (the key itself never reaches the panes).
struct ChatSettings: Equatable, Sendable {
    /// A key is configured: the chat may call out.
    var hasKey: Bool
    var model: String
    /// Why the AI configuration could not be loaded (a malformed `ai:` section), if so.
    var problem: String?

    init(hasKey: Bool = false, model: String = AIConfig.defaultModel, problem: String? = nil) {
        self.hasKey = hasKey
        self.model = model
        self.problem = problem
    }

    init(_ config: AIConfig, problem: String? = nil) {
        self.init(hasKey: config.hasKey, model: config.model, problem: problem)
    }

    /// What the chat pane says instead of sending anything, when there is no key.
    var noKeyLines: [String] {
        var lines = ["No AI key is configured, so nothing is sent anywhere."]
        if let problem { lines.append("The AI configuration could not be read: \(problem)") }
        lines += [
            "To enable the assistant, set VIGIL_AI_KEY or DEEPSEEK_API_KEY in the environment, or put the key in a file named by "
                + "ai.key_file in ~/.config/vigil/config.yaml, and restart vigil. VIGIL_AI_BASE_URL and VIGIL_AI_MODEL (or ai.base_url, "
                + "ai.model) point it at another OpenAI-compatible server, such as a local Ollama. `vigil ai status` shows the configuration.",
            "Everything else works without it: alerts, runbooks, the heuristic diagnosis in the remediation pane.",
        ]
        return lines
    }
}

/// A runbook the assistant proposed with `propose_runbook`: planned and checked, never submitted. `Enter`/`p` opens
/// it in the remediation pane, which plans it again and runs the safety checks and approval as always.
struct ChatProposal: Equatable, Sendable {
    var runbook: String
    var host: String
    /// The parameters the assistant gave (the remediation pane resolves the rest as usual).
    var parameters: [String: String]
    /// Every parameter as the plan resolved it, for the card.
    var resolved: [String: String]
    var alertFingerprint: String?
    var risk: String
    /// `allowed`, `needs approval`, `blocked`.
    var verdict: String
    /// Why it is blocked or needs approval ("" when allowed).
    var reason: String
    /// `check   usage before   vigil-step disk-usage --path /`.
    var steps: [String]
    /// The alert the plan was made for (known when proposed in this session; not stored).
    var alert: StoredAlert?

    init(runbook: String, host: String, parameters: [String: String], resolved: [String: String], alertFingerprint: String?,
         risk: String, verdict: String, reason: String, steps: [String], alert: StoredAlert? = nil) {
        self.runbook = runbook
        self.host = host
        self.parameters = parameters
        self.resolved = resolved
        self.alertFingerprint = alertFingerprint
        self.risk = risk
        self.verdict = verdict
        self.reason = reason
        self.steps = steps
        self.alert = alert
    }

    /// From a `propose_runbook` plan and the arguments the assistant gave.
    init(plan: RemediationPlan, explicit: [String: String]) {
        let v = plan.verdict
        let verdict = !v.allowed ? "blocked" : (v.needsApproval ? "needs approval" : "allowed")
        self.init(runbook: plan.runbook.name, host: plan.host, parameters: explicit, resolved: plan.parameters,
                  alertFingerprint: plan.alert?.fingerprint, risk: plan.runbook.risk.rawValue, verdict: verdict,
                  reason: v.blockReason ?? v.approvalReason ?? "",
                  steps: plan.steps.map { "\(TextWidth.fit($0.kind.rawValue, to: 7)) \($0.name): \(RunbookText.command($0.argv))" },
                  alert: plan.alert)
    }

    var json: JSONValue {
        var o: [String: JSONValue] = [
            "runbook": .string(runbook), "host": .string(host), "params": .labels(parameters), "resolved": .labels(resolved),
            "risk": .string(risk), "verdict": .string(verdict), "reason": .string(reason), "steps": .array(steps.map(JSONValue.string)),
        ]
        if let alertFingerprint { o["alert"] = .string(alertFingerprint) }
        return .object(o)
    }

    init?(json: JSONValue?) {
        guard let j = json, let runbook = j["runbook"]?.stringValue, let host = j["host"]?.stringValue else { return nil }
        func map(_ v: JSONValue?) -> [String: String] { (v?.objectValue ?? [:]).compactMapValues(\.stringValue) }
        self.init(runbook: runbook, host: host, parameters: map(j["params"]), resolved: map(j["resolved"]),
                  alertFingerprint: j["alert"]?.stringValue, risk: j["risk"]?.stringValue ?? "", verdict: j["verdict"]?.stringValue ?? "",
                  reason: j["reason"]?.stringValue ?? "", steps: j["steps"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }
}

/// A tool's answer as the transcript keeps it: the text the model read, and a line for the operator.
struct ChatToolResult: Equatable, Sendable {
    var callID: String
    var name: String
    /// What was sent back to the model.
    var text: String
    /// `120 points, max 97`.
    var summary: String
    var isError: Bool
    var proposal: ChatProposal?
}

/// One item of a conversation, as shown and as stored.
enum ChatEntry: Equatable, Sendable {
    case user(String)
    /// An answer (possibly partial, when stopped) and the tools it called.
    case assistant(String, toolCalls: [AIToolCall])
    case toolResult(ChatToolResult)
    /// Said by the console, never sent to the model: stopped, errors.
    case notice(String, isError: Bool)

    /// As a stored row of `conversation`.
    func record(conversation: String, ts: Int64) -> ChatRecord {
        switch self {
        case .user(let text):
            return ChatRecord(conversation: conversation, ts: ts, role: "user", content: text)
        case .assistant(let text, let calls):
            let meta: String = calls.isEmpty ? "" : JSONValue.object(["tool_calls": .array(calls.map {
                ["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)]
            })]).jsonText
            return ChatRecord(conversation: conversation, ts: ts, role: "assistant", content: text, meta: meta)
        case .toolResult(let r):
            var o: [String: JSONValue] = ["id": .string(r.callID), "name": .string(r.name), "summary": .string(r.summary), "error": .bool(r.isError)]
            if let p = r.proposal { o["proposal"] = p.json }
            return ChatRecord(conversation: conversation, ts: ts, role: "tool", content: r.text, meta: JSONValue.object(o).jsonText)
        case .notice(let text, let isError):
            return ChatRecord(conversation: conversation, ts: ts, role: "notice", content: text,
                              meta: isError ? JSONValue.object(["error": true]).jsonText : "")
        }
    }

    /// From a stored row (nil for a role this version does not know).
    init?(record r: ChatRecord) {
        let meta = r.meta.isEmpty ? nil : try? JSONValue.parse(r.meta)
        switch r.role {
        case "user":
            self = .user(r.content)
        case "assistant":
            let calls = meta?["tool_calls"]?.arrayValue?.compactMap { c -> AIToolCall? in
                guard let id = c["id"]?.stringValue, let name = c["name"]?.stringValue else { return nil }
                return AIToolCall(id: id, name: name, arguments: c["arguments"]?.stringValue ?? "")
            } ?? []
            self = .assistant(r.content, toolCalls: calls)
        case "tool":
            guard let id = meta?["id"]?.stringValue else { return nil }
            self = .toolResult(ChatToolResult(callID: id, name: meta?["name"]?.stringValue ?? "?", text: r.content,
                                              summary: meta?["summary"]?.stringValue ?? "", isError: meta?["error"]?.boolValue ?? false,
                                              proposal: ChatProposal(json: meta?["proposal"])))
        case "notice":
            self = .notice(r.content, isError: meta?["error"]?.boolValue ?? false)
        default:
            return nil
        }
    }
}

/// What the chat knows about its subject when it opens: the text the model gets, a line for the operator.
struct ChatContext: Equatable, Sendable {
    /// For the system message.
    var text: String
    /// `WARN DiskSpaceLow on db-1 · value 93 · 4 timeline events · 2 similar incidents`.
    var summary: String
}

/// The conversation's pure parts: the prompt, the messages sent, the compact lines shown for tool calls.
enum ChatModel {
    /// Tool rounds in one answer (the last round offers no tools, so the model must answer in words).
    static let maxRounds = 6
    /// Stored messages loaded when a conversation is reopened.
    static let historyLimit = 400

    /// The system prompt: who the assistant is and what it may do.
    static func systemPrompt(runbooks: [Runbook]) -> String {
        let catalogue = runbooks.isEmpty ? "No runbooks are loaded, so do not propose any."
            : "The runbook catalogue: " + runbooks.map { "\($0.name) (\($0.risk.rawValue) risk)" }.joined(separator: ", ") + "."
        return """
            You are Vigil's on-call assistant. You help an operator triage an incident from a terminal console.
            You may call read-only tools to look things up: list_hosts, query_metrics, list_alerts, search_logs, \
            topology_neighbours, similar_incidents. Check facts with them before you answer; never invent numbers, \
            host names or log lines.
            You cannot run, change, acknowledge or silence anything. To suggest a fix, call propose_runbook with a \
            runbook from the catalogue only: it plans the runbook and reports the safety verdict, but nothing runs. \
            The operator decides in the remediation pane, where the safety checks run again and approval applies.
            \(catalogue)
            Answer briefly in plain text for a terminal: short paragraphs or "- " lists, no tables, no headings. \
            Cite your evidence (values, times, log lines) and say when you are unsure.
            """
    }

    /// The messages for the model: the system prompt with the context, then the conversation (notices left out,
    /// tool calls without an answer dropped: the API refuses a call that is not followed by its result).
    static func messages(system: String, context: ChatContext?, entries: [ChatEntry]) -> [AIMessage] {
        var text = system
        if let context, !context.text.isEmpty { text += "\n\nWhat the console shows about this conversation's subject (as of now):\n" + context.text }
        var out: [AIMessage] = [.system(text)]
        var open = Set<String>()
        for (i, e) in entries.enumerated() {
            switch e {
            case .user(let t):
                open = []
                out.append(.user(t))
            case .assistant(let t, let calls):
                // The results that follow this message answer it (models reuse ids such as call_1 across turns).
                var answered = Set<String>()
                for next in entries[(i + 1)...] {
                    if case .toolResult(let r) = next { answered.insert(r.callID) } else if case .notice = next { continue } else { break }
                }
                let kept = calls.filter { answered.contains($0.id) }
                open = Set(kept.map(\.id))
                if !kept.isEmpty || !t.isEmpty { out.append(.assistant(t, toolCalls: kept)) }
            case .toolResult(let r):
                if open.remove(r.callID) != nil { out.append(.tool(id: r.callID, r.text)) }
            case .notice:
                break
            }
        }
        return out
    }

    /// `host=web-1 metric=cpu.usage_percent`: a tool call's arguments in one line.
    static func argumentsLine(_ json: String) -> String {
        guard let value = try? JSONValue.parse(json), let o = value.objectValue else {
            return json.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return o.sorted { $0.key < $1.key }.filter { !$0.value.isNull }.map { "\($0.key)=\(plain($0.value))" }.joined(separator: " ")
    }

    private static func plain(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): s.contains(" ") ? "\"\(s)\"" : s
        case .object(let o): "{" + o.sorted { $0.key < $1.key }.map { "\($0.key)=\(plain($0.value))" }.joined(separator: ",") + "}"
        default: v.jsonText
        }
    }

    /// A tool's answer in a few words: `1 series, 120 points, latest 93, max 97`.
    static func summary(tool: String, result: ToolResult) -> String {
        if result.isError { return "error: " + result.text }
        let v = result.value
        func int(_ key: String) -> Int { Int(v[key]?.numberValue ?? 0) }
        func num(_ d: Double?) -> String { d.map { Format.number($0) } ?? "-" }
        switch tool {
        case FleetTools.queryMetrics:
            let series = v["series"]?.arrayValue ?? []
            let points = series.reduce(0) { $0 + Int($1["points"]?.numberValue ?? 0) }
            guard points > 0 else { return "\(series.count) series, no data in the window" }
            let max = series.compactMap { $0["max"]?.numberValue }.max()
            let latest = series.first { $0["latest"]?.numberValue != nil }?["latest"]?.numberValue
            return "\(series.count == 1 ? "" : "\(series.count) series, ")\(points) points, latest \(num(latest)), max \(num(max))"
        case FleetTools.listAlerts:
            let alerts = v["alerts"]?.arrayValue ?? []
            let names = alerts.prefix(3).map { a in "\(a["rule"]?.stringValue ?? "?")\(a["host"]?.stringValue.map { " on " + $0 } ?? "")" }
            let more = int("count") > names.count ? ", …" : ""
            return "\(int("count")) \(v["state"]?.stringValue ?? "") alert\(int("count") == 1 ? "" : "s")" + (names.isEmpty ? "" : ": " + names.joined(separator: ", ") + more)
        case FleetTools.searchLogs:
            return "\(int("count")) log line\(int("count") == 1 ? "" : "s")"
        case FleetTools.listHosts:
            let f = v["fleet"]
            return "\(int("matching")) of \(Int(f?["hosts"]?.numberValue ?? 0)) hosts (\(Int(f?["up"]?.numberValue ?? 0)) up, \(Int(f?["stale"]?.numberValue ?? 0)) stale, \(Int(f?["down"]?.numberValue ?? 0)) down)"
        case FleetTools.topologyNeighbours:
            let n = v["neighbours"]?.arrayValue?.compactMap { $0["host"]?.stringValue } ?? []
            return n.isEmpty ? "no neighbour observed" : "\(n.count) neighbour\(n.count == 1 ? "" : "s"): " + n.prefix(5).joined(separator: ", ") + (n.count > 5 ? ", …" : "")
        case FleetTools.similarIncidents:
            return "\(int("count")) incident\(int("count") == 1 ? "" : "s")" + (v["best_fix"]?.stringValue.map { "; best fix: " + $0 } ?? "")
        case FleetTools.proposeRunbook:
            return "proposal: \(v["runbook"]?.stringValue ?? "?") on \(v["host"]?.stringValue ?? "?") · \(v["verdict"]?.stringValue ?? "?") (nothing ran)"
        default:
            return "\(result.text.count) characters"
        }
    }

    /// The context the model and the operator see for `subject`, from what the store knows now.
    static func context(subject: ChatSubject, alert: StoredAlert?, timeline: [AlertTimelineEntry], host: HostSummary?,
                        hostAlerts: [StoredAlert], incidents: [IncidentRecord], fleet: FleetSnapshot?, now: Int64) -> ChatContext {
        var lines: [String] = []
        var summary: [String] = []
        func iso(_ ms: Int64) -> String { Date(timeIntervalSince1970: Double(ms) / 1000).formatted(.iso8601) }
        lines.append("Now: \(iso(now)).")
        if let a = alert {
            var l = "Alert \(a.rule) (fingerprint \(a.fingerprint)): severity \(a.severity.rawValue), state \(a.state)"
            if let v = a.value { l += ", value \(Format.number(v))" }
            if let m = a.metric { l += ", metric \(m)" }
            l += ", active since \(iso(a.activeSince)) (\(Format.age(now - a.activeSince)) ago)"
            if let r = a.resolvedAt { l += ", resolved \(iso(r))" }
            lines.append(l + ".")
            if !a.labels.isEmpty { lines.append("Labels: " + a.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
            for (k, v) in a.annotations.sorted(by: { $0.key < $1.key }) { lines.append("Annotation \(k): \(v)") }
            if let by = a.ackedBy { lines.append("Acknowledged by \(by)" + (a.ackNote.map { ": \($0)" } ?? "")) }
            if let who = a.assignee { lines.append("Assigned to \(who).") }
            if let m = a.mutedBy { lines.append("Muted by \(m).") }
            if !timeline.isEmpty {
                lines.append("Timeline (oldest first):")
                for t in timeline.suffix(15) {
                    lines.append("  \(iso(t.ts)) \(t.kind)\(t.actor == "system" ? "" : " by \(t.actor)")\(t.detail.isEmpty ? "" : ": \(t.detail)")")
                }
            }
            summary.append("\(AlertFormat.short(a.severity)) \(AlertFormat.subject(a))")
            summary.append(a.isActive ? "\(a.state) \(Format.age(now - AlertFormat.since(a)))" : "resolved")
            if let v = a.value { summary.append("value \(Format.number(v))") }
            summary.append("\(timeline.count) timeline event\(timeline.count == 1 ? "" : "s")")
        }
        if let h = host {
            var l = "Host \(h.name): \(h.status.rawValue), health \(h.health)/100"
            if let c = h.cpu { l += ", CPU \(Format.number(c))%" }
            if let m = h.memory { l += ", memory \(Format.number(m))%" }
            if let d = h.disk { l += ", fullest disk \(Format.number(d))%" }
            if let load = h.load1 { l += ", load \(Format.number(load))" }
            l += ", checks failing \(h.checksFailing)/\(h.checksTotal), error log lines (15 min) \(h.recentErrors), last seen \(Format.age(now - h.lastSeen)) ago"
            lines.append(l + ".")
            if !h.labels.isEmpty { lines.append("Host labels: " + Format.labels(h.labels)) }
            if alert == nil {
                summary.append("\(h.name) \(h.status.rawValue) · health \(h.health)")
            }
        } else if case .host(let name) = subject {
            lines.append("Host \(name): no data (it has not reported to this Vigil).")
            summary.append("\(name) (no data)")
        }
        if alert == nil, case .host = subject {
            lines.append(hostAlerts.isEmpty ? "No active alert on this host." : "Active alerts on this host:")
            for a in hostAlerts.prefix(10) {
                lines.append("  \(a.severity.rawValue) \(a.rule) \(a.state)\(a.value.map { " value \(Format.number($0))" } ?? "") (fingerprint \(a.fingerprint))")
            }
            summary.append("\(hostAlerts.count) active alert\(hostAlerts.count == 1 ? "" : "s")")
        }
        if alert != nil {
            if let s = IncidentMemory.summary(incidents, now: now) { lines.append("Seen before: " + s) }
            for i in incidents.prefix(3) {
                var l = "  incident \(i.id): \(i.rule)\(i.host.map { " on " + $0 } ?? ""), \(iso(i.startedAt)) for \(Format.age(i.resolvedAt - i.startedAt))"
                if !i.diagnosis.isEmpty { l += "; diagnosis: \(i.diagnosis)" }
                if let r = i.runbook { l += "; runbook \(r)\(i.outcome.map { " " + $0 } ?? "")" }
                if !i.notes.isEmpty { l += "; notes: \(i.notes)" }
                lines.append(l)
            }
            summary.append("\(incidents.count) similar incident\(incidents.count == 1 ? "" : "s")")
        }
        if case .general = subject, let f = fleet {
            lines.append("Fleet: \(f.hosts.count) host\(f.hosts.count == 1 ? "" : "s"), \(f.upCount) up, \(f.staleCount) stale, \(f.downCount) down, mean health \(f.meanHealth).")
            let worst = f.hosts.sorted { $0.health < $1.health }.prefix(5)
            if !worst.isEmpty { lines.append("Worst health: " + worst.map { "\($0.name) \($0.health)" }.joined(separator: ", ")) }
            lines.append(hostAlerts.isEmpty ? "No active alert." : "Active alerts: " + hostAlerts.prefix(10).map { "\($0.rule)\($0.host.map { " on " + $0 } ?? "") (\($0.state))" }.joined(separator: ", "))
            summary.append("\(f.hosts.count) host\(f.hosts.count == 1 ? "" : "s") · \(hostAlerts.count) active alert\(hostAlerts.count == 1 ? "" : "s")")
        }
        return ChatContext(text: lines.joined(separator: "\n"), summary: summary.joined(separator: " · "))
    }
}

/// What the chat pane asks of the background (`ChatWorker`).
enum ChatRequest: Equatable, Sendable {
    /// Load the stored conversation and the subject's context.
    case open(token: String, subject: ChatSubject)
    /// One question: `messages` end with it; the worker stores it, streams the answer and runs the tool loop.
    case send(token: String, conversation: String, question: String, messages: [AIMessage])
    /// Stop the answer being streamed for `token` (the HTTP request is cancelled).
    case stop(token: String)
    /// Record in the call log that the chat was refused for want of a key (nothing is sent).
    case refusedNoKey
    /// The newest AI calls from the call log.
    case calls(limit: Int)
}

/// What `ChatWorker` posts back (inside `ConsoleMessage.chat`). Immutable values only.
enum ChatUpdate: Sendable {
    case opened(token: String, history: [ChatEntry], context: ChatContext)
    case openFailed(token: String, String)
    /// The next piece of the answer being streamed.
    case delta(token: String, String)
    /// A finished part of the answer: the assistant's text and tool calls, a tool's result, a notice.
    case entry(token: String, ChatEntry)
    /// The server said 429/5xx; the client waits and tries again.
    case retrying(token: String, String)
    /// The tool loop ended with an answer: its last call's model, tokens and latency.
    case finished(token: String, ChatUsage)
    /// Stopped by Esc (what had arrived is kept).
    case stopped(token: String)
    case failed(token: String, String)
    case calls([AICallRecord])
    case callsFailed(String)
}

/// The cost of one answer (all its rounds), for the pane's header.
struct ChatUsage: Equatable, Sendable {
    var model: String
    var promptTokens: Int
    var completionTokens: Int
    var latencyMs: Int
    var rounds: Int
    var estimated: Bool
}
