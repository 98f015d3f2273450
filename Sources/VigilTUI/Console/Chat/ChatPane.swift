import VigilTheme
import VigilCore

/// The AI assistant (`:chat`, or `c` on an alert or a host): a conversation seeded with the subject's context, kept
/// in the store per incident. Answers stream in token by token; the assistant's read-only tool calls show as compact
/// lines; a runbook it proposes shows as a card that `Enter` (on an empty line) or `p` opens in the remediation pane,
/// which plans it again, checks it and asks before anything runs. The input line takes every key (`Tab` switches to
/// the transcript, where `j` `k` scroll and the global keys work); `Esc` stops an answer, or goes back. All the work
/// is done by `ChatWorker`; the pane only keeps what arrives in the mailbox.
final class ChatPane: Pane {
    enum Focus: Equatable {
        case input, transcript
    }

    let subject: ChatSubject
    let settings: ChatSettings
    let user: VigilUser
    let catalog: RunbookCatalog
    let readOnly: Bool
    /// The conversation so far (stored ones first).
    private(set) var entries: [ChatEntry] = []
    private(set) var context: ChatContext?
    /// Still loading the stored conversation and the context.
    private(set) var isOpening = false
    private(set) var openError: String?
    /// The answer being streamed (its token), if any.
    private(set) var turnToken: String?
    /// What has arrived of the answer being streamed.
    private(set) var partial = ""
    /// Esc was pressed; waiting for the worker to confirm.
    private(set) var isStopping = false
    /// A retry in progress, an error of the last answer.
    private(set) var status: (text: String, isError: Bool)?
    private(set) var lastUsage: ChatUsage?
    private(set) var editor = LineEditor(prompt: "")
    private(set) var focus: Focus = .input
    /// Nil follows the end of the transcript; else the first line shown.
    private(set) var scroll: Int?
    private var openToken = ""
    private var lastBodyHeight = 10
    private var lastBodyWidth = 100
    private var lastUnicode = true
    private var requests = 0
    private let tokenPrefix = String(UInt64.random(in: 0...UInt64.max), radix: 36)

    init(subject: ChatSubject, settings: ChatSettings, user: VigilUser, catalog: RunbookCatalog, readOnly: Bool) {
        self.subject = subject
        self.settings = settings
        self.user = user
        self.catalog = catalog
        self.readOnly = readOnly
    }

    var title: String { subject.title }
    var capturesTyping: Bool { focus == .input }
    var isStreaming: Bool { turnToken != nil }
    var rowNoun: String { "line" }
    var knownHosts: [String] {
        switch subject {
        case .alert(let a): a.host.map { [$0] } ?? []
        case .host(let name): [name]
        case .general: []
        }
    }

    /// The newest runbook the assistant proposed.
    var latestProposal: ChatProposal? {
        for e in entries.reversed() {
            if case .toolResult(let r) = e, let p = r.proposal { return p }
        }
        return nil
    }

    private func newToken() -> String {
        requests += 1
        return "\(tokenPrefix)-\(requests)"
    }

    // MARK: Requests

    /// Loads the stored conversation and the context (the console does this when it opens the pane).
    func open() -> Reaction {
        openToken = newToken()
        isOpening = true
        return .chat(.open(token: openToken, subject: subject))
    }

    /// `Enter`: sends the question (or, on an empty line, opens the proposed runbook).
    func sendAction() -> Reaction {
        let question = editor.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if question.isEmpty {
            if latestProposal != nil { return openProposal() }
            return .message("type a question; Enter sends it", isError: false)
        }
        guard settings.hasKey else {
            return .sequence([.message(AIConfig.noKeyMessage, isError: true), .chat(.refusedNoKey)])
        }
        if isStreaming { return .message("still answering; Esc stops the answer", isError: false) }
        if isOpening { return .message("loading the conversation…", isError: false) }
        let token = newToken()
        turnToken = token
        partial = ""
        status = nil
        isStopping = false
        entries.append(.user(question))
        editor = LineEditor(prompt: "", history: LineEditor.appending(question, to: editor.history))
        scroll = nil
        let messages = ChatModel.messages(system: ChatModel.systemPrompt(runbooks: catalog.runbooks), context: context, entries: entries)
        return .chat(.send(token: token, conversation: subject.conversation, question: question, messages: messages))
    }

    /// `Esc`: stops the answer being streamed, else goes back.
    func escapeAction() -> Reaction {
        guard let turnToken else { return .pop }
        isStopping = true
        return .sequence([.chat(.stop(token: turnToken)), .message("answer stopped; what arrived is kept", isError: false)])
    }

    /// `p` (or `Enter` on an empty line): the newest proposal in the remediation pane, preset with its runbook, host
    /// and parameters. That pane plans afresh and runs the safety checks; nothing runs until the operator says so.
    func openProposal() -> Reaction {
        guard let p = latestProposal else { return .message("no runbook proposed in this conversation", isError: false) }
        guard catalog.runbook(named: p.runbook) != nil else {
            return .message("runbook \(p.runbook) is no longer in the catalogue", isError: true)
        }
        var alert = p.alert
        if alert == nil, let a = subject.alert, p.alertFingerprint == nil || p.alertFingerprint == a.fingerprint { alert = a }
        if alert?.host != p.host { alert = nil }
        let pane = RemediationPane(runbook: p.runbook, host: p.host, parameters: p.parameters, alert: alert, user: user,
                                   catalog: catalog, readOnly: readOnly)
        return .sequence([.push(pane), pane.prepare()])
    }

    // MARK: Keys

    var keyMap: KeyMap {
        let section = "Chat"
        let escape = KeyAction([.escape], isStreaming ? "stop the answer" : "back", section: section) { [self] in escapeAction() }
        let scrollKeys = [
            KeyAction([.pageDown], "page down", section: section, shownInHints: false) { [self] in move(max(1, lastBodyHeight - 1)) },
            KeyAction([.pageUp], "page up", section: section, shownInHints: false) { [self] in move(-max(1, lastBodyHeight - 1)) },
        ]
        switch focus {
        case .input:
            let enterTitle = editor.text.trimmingCharacters(in: .whitespaces).isEmpty && latestProposal != nil ? "open proposed runbook" : "send"
            return KeyMap([
                KeyAction([.enter], enterTitle, section: section) { [self] in sendAction() },
                escape,
                KeyAction([.tab], "transcript (j k scroll)", section: section) { [self] in
                    focus = .transcript
                    return .redraw
                },
            ] + scrollKeys)
        case .transcript:
            var actions = [
                KeyAction([.tab, .char("i")], "type", section: section) { [self] in
                    focus = .input
                    return .redraw
                },
            ]
            if latestProposal != nil {
                actions.append(KeyAction([.char("p"), .enter], "open proposed runbook", section: section) { [self] in openProposal() })
            } else {
                actions.append(KeyAction([.enter], "type", section: section, shownInHints: false) { [self] in
                    focus = .input
                    return .redraw
                })
            }
            actions += [
                escape,
                KeyAction([.char("a")], "AI calls", section: section) { [self] in
                    let pane = AICallsPane(settings: settings)
                    return .sequence([.push(pane), pane.reload()])
                },
                KeyAction([.char("j"), .down], "scroll down", section: section, shownInHints: false) { [self] in move(1) },
                KeyAction([.char("k"), .up], "scroll up", section: section, shownInHints: false) { [self] in move(-1) },
                KeyAction([.char("g"), .home], "top", section: section, shownInHints: false) { [self] in
                    scroll = 0
                    return .redraw
                },
                KeyAction([.char("G"), .end], "follow the end", section: section, shownInHints: false) { [self] in
                    scroll = nil
                    return .redraw
                },
            ]
            return KeyMap(actions + scrollKeys)
        }
    }

    /// The input line takes every key its map does not bind.
    func handleUnmapped(_ key: Key) -> Reaction {
        guard focus == .input else { return .ignored }
        switch editor.handle(key) {
        case .edited: return .redraw
        default: return .ignored
        }
    }

    func focusNext() -> Bool {
        focus = focus == .input ? .transcript : .input
        return true
    }

    private func move(_ delta: Int) -> Reaction {
        let total = transcriptLines(width: lastBodyWidth, unicode: lastUnicode).count
        let start = scroll ?? max(0, total - lastBodyHeight)
        let next = max(0, start + delta)
        scroll = next + lastBodyHeight >= total ? nil : next
        return .redraw
    }

    // MARK: Data

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        guard case .chat(let update) = message else { return false }
        switch update {
        case .opened(let token, let history, let ctx) where token == openToken:
            entries = history + entries
            context = ctx
            isOpening = false
            openError = nil
        case .openFailed(let token, let error) where token == openToken:
            isOpening = false
            openError = error
        case .delta(let token, let piece) where token == turnToken:
            partial += piece
            if status?.isError == false { status = nil }
        case .entry(let token, let entry) where token == turnToken:
            if case .assistant = entry { partial = "" }
            entries.append(entry)
        case .retrying(let token, let why) where token == turnToken:
            status = ("the AI server is busy (\(why))", false)
        case .finished(let token, let usage) where token == turnToken:
            lastUsage = usage
            endTurn()
        case .stopped(let token) where token == turnToken:
            endTurn()
        case .failed(let token, let why) where token == turnToken:
            endTurn()
            status = (why, true)
        default:
            return false
        }
        return true
    }

    private func endTurn() {
        turnToken = nil
        partial = ""
        isStopping = false
        status = nil
    }

    // MARK: Text

    /// `you   ` / `vigil ` then the text, wrapped under itself.
    private static let labelWidth = 6

    private func speaker(_ label: String, _ role: Role, _ text: String, width: Int, textRole: Role = .text, cursor: String? = nil) -> [[Span]] {
        var out: [[Span]] = []
        let w = max(10, width - Self.labelWidth)
        var paragraphs = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while paragraphs.last?.trimmingCharacters(in: .whitespaces).isEmpty == true && paragraphs.count > 1 { paragraphs.removeLast() }
        var first = true
        for para in paragraphs {
            for part in Wrap.words(para, width: w) {
                let head = first ? Span(TextWidth.fit(label, to: Self.labelWidth), role, [.bold]) : Span(String(repeating: " ", count: Self.labelWidth))
                out.append([head, Span(part, textRole)])
                first = false
            }
        }
        if let cursor, !out.isEmpty { out[out.count - 1].append(Span(cursor, .info)) }
        return out
    }

    /// The transcript as lines of spans, wrapped to `width`.
    func transcriptLines(width: Int, unicode: Bool) -> [[Span]] {
        var out: [[Span]] = []
        let dot = unicode ? " · " : " | "
        if let context, !context.summary.isEmpty {
            out.append([Span(TextWidth.fit("about", to: Self.labelWidth), .muted), Span(context.summary.replacingOccurrences(of: " · ", with: dot), .muted)])
        }
        if isOpening { out.append([Span("loading the conversation…", .muted)]) }
        if let openError { out.append([Span("could not load the conversation: \(openError)", .error)]) }
        let latest = latestProposal
        for entry in entries {
            switch entry {
            case .user(let text):
                if !out.isEmpty { out.append([]) }
                out += speaker("you", .title, text, width: width)
            case .assistant(let text, let calls):
                if !text.isEmpty { out += speaker("vigil", .ok, text, width: width) }
                for c in calls {
                    let args = ChatModel.argumentsLine(c.arguments)
                    let line = (unicode ? "→ " : "-> ") + c.name + (args.isEmpty ? "" : " " + args)
                    for (i, part) in Wrap.hard(line, width: max(10, width - Self.labelWidth - 2)).enumerated() {
                        out.append([Span(String(repeating: " ", count: Self.labelWidth + (i == 0 ? 0 : 2))), Span(part, i == 0 ? .info : .muted)])
                    }
                }
            case .toolResult(let r):
                let line = (unicode ? "← " : "<- ") + r.summary
                for (i, part) in Wrap.words(line, width: max(10, width - Self.labelWidth - 2)).enumerated() {
                    out.append([Span(String(repeating: " ", count: Self.labelWidth + (i == 0 ? 0 : 2))), Span(part, r.isError ? .critical : .muted)])
                }
                if let p = r.proposal { out += card(p, isLatest: p == latest, width: width, unicode: unicode) }
            case .notice(let text, let isError):
                for part in Wrap.words(text, width: max(10, width - Self.labelWidth)) {
                    out.append([Span(String(repeating: " ", count: Self.labelWidth)), Span(part, isError ? .error : .muted)])
                }
            }
        }
        if isStreaming {
            if partial.isEmpty {
                out.append([Span(TextWidth.fit("vigil", to: Self.labelWidth), .ok, [.bold]), Span(isStopping ? "stopping…" : "thinking…", .muted)])
            } else {
                out += speaker("vigil", .ok, partial, width: width, cursor: isStopping ? nil : (unicode ? "▌" : "_"))
            }
        }
        if let status {
            for part in Wrap.words(status.text, width: max(10, width - Self.labelWidth)) {
                out.append([Span(String(repeating: " ", count: Self.labelWidth)), Span(part, status.isError ? .error : .warning)])
            }
        }
        if !settings.hasKey {
            if !out.isEmpty { out.append([]) }
            for (i, line) in settings.noKeyLines.enumerated() {
                for part in Wrap.words(line, width: max(10, width)) { out.append([Span(part, i == 0 ? .warning : .muted, i == 0 ? [.bold] : [])]) }
            }
        } else if entries.isEmpty && !isOpening && !isStreaming {
            if !out.isEmpty { out.append([]) }
            out.append([Span(subject == .general
                             ? "Ask about the fleet: what is wrong, what changed, what to do. The assistant looks things up with read-only tools and can propose a runbook; nothing runs unless you start it in the remediation pane."
                             : "Ask about this \(subject.alert != nil ? "alert" : "host"): why it fires, what else is affected, what to do. The assistant looks things up with read-only tools and can propose a runbook; nothing runs unless you start it in the remediation pane.",
                             .muted)])
            out = out.flatMap { line -> [[Span]] in
                guard line.count == 1, TextWidth.of(line[0].text) > width else { return [line] }
                return Wrap.words(line[0].text, width: width).map { [Span($0, line[0].role)] }
            }
        }
        return out
    }

    /// A proposed runbook as a card: the runbook, host, risk and verdict, its parameters and steps, how to open it.
    private func card(_ p: ChatProposal, isLatest: Bool, width: Int, unicode: Bool) -> [[Span]] {
        let w = max(30, min(width - Self.labelWidth, 100))
        let inner = w - 4
        let h = unicode ? "─" : "-"
        let (tl, tr, bl, br, v) = unicode ? ("┌", "┐", "└", "┘", "│") : ("+", "+", "+", "+", "|")
        let verdictRole: Role = p.verdict == "allowed" ? .ok : (p.verdict == "blocked" ? .critical : .warning)
        let riskRole: Role = p.risk == "low" ? .ok : (p.risk == "high" ? .critical : .warning)
        let dot = unicode ? " · " : " | "
        let pad = Span(String(repeating: " ", count: Self.labelWidth))
        var titleSpans = [Span(" Proposed runbook ", .title, [.bold]), Span(p.runbook, .title, [.bold]), Span(" on \(p.host)", .text, [.bold]),
                          Span(dot), Span("\(p.risk) risk", riskRole), Span(dot), Span(p.verdict, verdictRole, [.bold]), Span(" ")]
        var titleWidth = titleSpans.reduce(0) { $0 + $1.width }
        if titleWidth > w - 4 {
            titleSpans = [Span(" " + TextWidth.truncate("Proposed runbook \(p.runbook) on \(p.host)", to: w - 6, ellipsis: unicode ? "…" : "~") + " ", .title, [.bold])]
            titleWidth = titleSpans.reduce(0) { $0 + $1.width }
        }
        var out: [[Span]] = [[pad, Span(tl + h, .border)] + titleSpans + [Span(String(repeating: h, count: max(0, w - 3 - titleWidth)) + tr, .border)]]
        func row(_ spans: [Span]) {
            let used = spans.reduce(0) { $0 + $1.width }
            out.append([pad, Span(v + " ", .border)] + spans + [Span(String(repeating: " ", count: max(0, inner - used)) + " " + v, .border)])
        }
        func rows(_ text: String, _ role: Role) {
            for part in Wrap.words(text, width: inner) { row([Span(part, role)]) }
        }
        if !p.reason.isEmpty { rows((p.verdict == "blocked" ? "blocked: " : "approval: ") + p.reason, verdictRole) }
        let params = (p.resolved.isEmpty ? p.parameters : p.resolved).filter { !$0.value.isEmpty }
        if !params.isEmpty { rows("parameters: " + params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "), .info) }
        for (i, s) in p.steps.enumerated() {
            for (j, part) in Wrap.hard("\(i + 1). " + s, width: inner).enumerated() { row([Span(part, j == 0 ? .text : .muted)]) }
        }
        if isLatest {
            row([Span("nothing has run. ", .muted), Span("p", .hintKey, [.bold]), Span(" (or Enter on an empty line) opens it in the remediation pane", .muted)])
        } else {
            rows("nothing has run (an older proposal; p opens the newest)", .muted)
        }
        out.append([pad, Span(bl + String(repeating: h, count: max(0, w - 2)) + br, .border)])
        return out
    }

    // MARK: Rendering

    func render(into canvas: inout Canvas, in rect: Rect, context ctx: RenderContext) {
        guard rect.height >= 8, rect.width >= 40 else {
            canvas.put("the chat needs at least 40×8 cells", x: rect.x + 1, y: rect.y, role: .warning, maxWidth: rect.width - 1)
            return
        }
        let unicode = ctx.glyphs.isUnicode
        let dot = unicode ? " · " : " | "
        // Header: what the chat is about, and the model with the last answer's cost.
        var right: [Span]
        if !settings.hasKey {
            right = [Span("AI off: no key", .warning, [.bold])]
        } else if let u = lastUsage {
            right = [Span(u.model, .muted), Span(dot + "\(u.promptTokens)+\(u.completionTokens) tokens\(u.estimated ? " (est.)" : "")", .muted),
                     Span(dot + Format.milliseconds(Double(u.latencyMs)), .muted)]
            if u.rounds > 1 { right.append(Span(dot + "\(u.rounds) rounds", .muted)) }
        } else {
            right = [Span(settings.model, .muted)]
        }
        let rightWidth = right.reduce(0) { $0 + $1.width }
        var head: [Span] = [Span("Chat about ", .title, [.bold])]
        switch subject {
        case .general: head.append(Span("the fleet", .text, [.bold]))
        case .alert(let a):
            head += [Span(AlertFormat.short(a.severity), AlertFormat.role(a.severity), [.bold]), Span(" " + AlertFormat.subject(a), .text, [.bold])]
        case .host(let name): head.append(Span(name, .text, [.bold]))
        }
        head.append(Span(dot + "kept per incident", .muted))
        canvas.put(RemediationPane.plain(head, ctx.glyphs), x: rect.x + 1, y: rect.y, maxWidth: rect.width - rightWidth - 4)
        canvas.put(RemediationPane.plain(right, ctx.glyphs), x: rect.maxX - rightWidth - 1, y: rect.y, maxWidth: rightWidth)

        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 4)
        let inputBox = Rect(x: rect.x, y: body.maxY, width: rect.width, height: 3)
        let transcriptFocused = ctx.focused && focus == .transcript
        let count = entries.filter { if case .user = $0 { true } else { false } }.count
        canvas.box(body, title: "Conversation" + (count > 0 ? " (\(count) question\(count == 1 ? "" : "s"))" : ""),
                   role: transcriptFocused ? .borderFocus : .border)
        let inner = body.inset(1)
        let width = inner.width - 2
        lastBodyWidth = width
        lastBodyHeight = max(1, inner.height)
        lastUnicode = unicode
        let lines = transcriptLines(width: width, unicode: unicode)
        let start = min(scroll ?? Int.max, max(0, lines.count - inner.height))
        for (i, line) in lines.dropFirst(start).prefix(inner.height).enumerated() {
            canvas.put(RemediationPane.plain(line, ctx.glyphs), x: inner.x + 1, y: inner.y + i, maxWidth: width)
        }
        let below = lines.count - start - inner.height
        if start > 0 || below > 0 {
            var text = start > 0 ? "\(start) above" : ""
            if below > 0 { text += (text.isEmpty ? "" : ", ") + "\(below) more" }
            text = " " + text + " "
            if TextWidth.of(text) + 4 < body.width { canvas.put(text, x: body.maxX - TextWidth.of(text) - 2, y: body.maxY - 1, role: .muted) }
        }

        // The input line.
        let inputFocused = ctx.focused && focus == .input
        let inputTitle: String
        let inputRole: Role
        if !settings.hasKey {
            (inputTitle, inputRole) = ("Ask · no AI key: nothing is sent", .warning)
        } else if isStreaming {
            (inputTitle, inputRole) = (isStopping ? "Ask · stopping…" : "Ask · answering… Esc stops", .info)
        } else {
            (inputTitle, inputRole) = ("Ask · Enter sends" + (focus == .transcript ? " (Tab to type)" : ""), .title)
        }
        canvas.box(inputBox, title: unicode ? inputTitle : RunFormat.ascii(inputTitle), role: inputFocused ? .borderFocus : .border, titleRole: inputRole)
        let field = Rect(x: inputBox.x + 1, y: inputBox.y + 1, width: inputBox.width - 2, height: 1)
        let prompt = unicode ? "› " : "> "
        canvas.put(prompt, x: field.x + 1, y: field.y, role: inputFocused ? .title : .muted, attributes: [.bold])
        let x = field.x + 1 + TextWidth.of(prompt)
        let fieldWidth = field.maxX - x - 1
        let skip = max(0, editor.cursor - fieldWidth + 1)
        if editor.text.isEmpty && !inputFocused {
            canvas.put("Tab to type a question", x: x, y: field.y, role: .muted, maxWidth: fieldWidth)
        } else {
            canvas.put(String(editor.text.dropFirst(skip)), x: x, y: field.y, role: .text, maxWidth: fieldWidth)
        }
        if inputFocused {
            let cx = x + TextWidth.of(String(editor.text.prefix(editor.cursor).dropFirst(skip)))
            if cx < x + fieldWidth { canvas.restyle(Rect(x: cx, y: field.y, width: 1, height: 1), role: .selection, attributes: [.reverse]) }
        }
    }
}
