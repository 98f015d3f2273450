import VigilTheme
import Foundation
import VigilCore

/// What the console asks of the terminal loop after handling input or data.
enum ConsoleEffect: Equatable, Sendable {
    case quit
    /// Repaint every cell (Ctrl-L): `clear` instead of `erase` for one frame.
    case fullRedraw
    /// Wake the poller for fresh data now.
    case refreshNow
    /// The theme changed: recompile the palette.
    case themeChanged
    /// Carry out a change in the store (already checked against the role and `--readonly`).
    case perform(StoreRequest)
    /// Ask the engine this console runs to re-read its rule files (already checked).
    case reloadRules
    /// Hand a remediation request to the worker (changing ones already checked).
    case remediate(RemediationRequest)
    /// Hand a chat request to the chat worker (read-only: nothing it does changes the fleet).
    case chat(ChatRequest)
    /// Send a test message to a notification channel and report the receiver's answer (already checked).
    case testChannel(NotifyChannel, externalURL: String)
}

/// The console's state and behaviour without the terminal: the pane stack, the merged key map, the command and
/// filter lines, the status line. Keys and mailbox messages go in, a canvas comes out; the terminal loop
/// (`ConsoleApp`) only moves bytes. Owned by the one UI thread.
final class ConsoleController {
    /// Below this size the console shows "terminal too small".
    static let minimumWidth = 60
    static let minimumHeight = 12
    /// How long a transient status message stays (ms).
    static let messageDuration: Int64 = 5000

    /// The line being edited at the bottom, if any.
    enum Input {
        case normal
        case command(LineEditor)
        case filter(LineEditor, previous: String)
        /// A pane asked for a line of text (an ack note): `submit` gets it.
        case prompt(LineEditor, submit: (String) -> Reaction)
        /// A yes/no question: `y` carries out the reaction.
        case confirm(String, Reaction)
    }

    let readOnly: Bool
    /// Who is at the keyboard; changing actions are checked against the role.
    let user: VigilUser
    let storeDescription: String
    var listenerDescription: String?
    let themeDirectories: [String]
    /// Whether this console runs the engine, so the rules pane can read its rule status.
    var rulesEvaluatedHere: Bool
    /// Whether `:reload` can reach the rule evaluator (this console runs the engine).
    var canReloadRules: Bool
    /// The runbooks the remediation panes offer.
    let catalog: RunbookCatalog
    /// Whether the AI assistant may call out (a key is configured), and its model.
    let chat: ChatSettings
    var glyphs: Glyphs
    private(set) var theme: Theme
    private(set) var stack: [any Pane]
    private(set) var input: Input = .normal
    private(set) var commandHistory: [String] = []
    private(set) var filterHistory: [String] = []
    private(set) var message: (text: String, isError: Bool, until: Int64)?
    /// Standing warnings (a runbook directory missing), shown on the status line whenever no transient message
    /// or refresh error takes it.
    var warnings: [String] = []
    /// The notification config (channels, schedules) for the notifications pane; nil when there is none.
    var notifyConfig: NotifyConfig?
    /// The rule evaluator's warnings (no rules in force, a rule directory missing), kept current by its snapshots.
    var ruleWarnings: [String] = []
    /// Warnings an engine left in the store (a host at its series limit), kept current by the poller.
    var storeWarnings: [String] = []
    /// How old the last refresh may be before the status line shows its age instead of "live" (ms).
    var refreshGrace: Int64 = 10_000
    /// Unix ms of the last successful fleet refresh.
    private(set) var lastRefresh: Int64?
    private(set) var fleetError: String?
    private(set) var latestSnapshot: FleetSnapshot?
    private(set) var latestAlerts: AlertsSnapshot?
    private(set) var alertsError: String?
    private(set) var latestRules: RulesSnapshot?
    private(set) var latestRuns: RunsSnapshot?
    /// Whether something changed since the last render.
    private(set) var isDirty = true
    /// Where the terminal cursor goes (the line editor), set by `render`.
    private(set) var cursor: (x: Int, y: Int)?
    private var effects: [ConsoleEffect] = []

    init(readOnly: Bool = false, user: VigilUser = .consoleDefault, storeDescription: String = "", listenerDescription: String? = nil,
         themeDirectories: [String] = [], theme: Theme = .builtinDefault, glyphs: Glyphs = .unicode,
         rulesEvaluatedHere: Bool = false, canReloadRules: Bool = false, catalog: RunbookCatalog = RunbookCatalog(runbooks: []),
         chat: ChatSettings = ChatSettings(), root: any Pane = DashboardPane()) {
        self.catalog = catalog
        self.chat = chat
        self.readOnly = readOnly
        self.user = user
        self.storeDescription = storeDescription
        self.listenerDescription = listenerDescription
        self.themeDirectories = themeDirectories
        self.rulesEvaluatedHere = rulesEvaluatedHere
        self.canReloadRules = canReloadRules
        self.theme = theme
        self.glyphs = glyphs
        self.stack = [root]
    }

    /// The pane whose keys are live.
    var top: any Pane { stack[stack.count - 1] }

    /// Keys that work everywhere. Panes may shadow them.
    var globalMap: KeyMap {
        let g = "Global"
        let isRoot = stack.count == 1
        return KeyMap([
            KeyAction([.char("/")], "filter", section: g) { .openFilter },
            KeyAction([.char(":")], "command", section: g) { .openCommandLine },
            KeyAction([.char("?"), .function(1)], "help", section: g) { [self] in .push(HelpPane(documenting: mergedMap)) },
            KeyAction([.tab], "next section", section: g, shownInHints: false) { [self] in top.focusNext() ? .redraw : .ignored },
            KeyAction([.char("r"), .ctrl("r")], "refresh now", section: g, shownInHints: false) { .refreshNow },
            KeyAction([.char("A")], "alerts", section: g, shownInHints: false) { .command(.alerts) },
            KeyAction([.char("T")], "topology", section: g, shownInHints: false) { .command(.topology) },
            KeyAction([.escape, .char("h"), .left], isRoot ? "clear filter" : "back", section: g, shownInHints: !isRoot) { [self] in
                if stack.count > 1 { return .pop }
                if !top.filterText.isEmpty {
                    _ = try? top.applyFilter("")
                    return .message("filter cleared", isError: false)
                }
                return .ignored
            },
            KeyAction([.char("q")], isRoot ? "quit" : "back", section: g, shownInHints: isRoot) { [self] in
                stack.count > 1 ? .pop : .quit
            },
            KeyAction([.ctrl("l")], "redraw the screen", section: g, shownInHints: false) { .fullRedraw },
            KeyAction([.ctrl("c")], "quit", section: g, shownInHints: false) { .quit },
        ])
    }

    /// The live key map: the top pane's over the global one, minus dangerous actions in read-only mode. The hint
    /// line and the help overlay are both generated from it.
    var mergedMap: KeyMap {
        // A form takes every key but Ctrl-C, which always quits.
        let global = top.capturesTyping ? KeyMap(globalMap.actions.filter { $0.keys.contains(.ctrl("c")) }) : globalMap
        let map = top.keyMap.merged(over: global)
        return readOnly ? map.droppingDangerous() : map
    }

    /// Host names for completion and `:host` checks.
    var hostNames: [String] {
        var names = latestSnapshot?.hosts.map(\.name) ?? []
        for pane in stack { names += pane.knownHosts.filter { !names.contains($0) } }
        return names.sorted()
    }

    /// The host the visible panes want detail for.
    var subscribedHost: String? {
        pollInterest.host
    }

    /// What the visible pane wants fetched (the host detail, resolved alerts, silences, a timeline).
    var pollInterest: PollInterest {
        stack.last { !$0.isOverlay }?.pollInterest ?? PollInterest()
    }

    /// The runs the visible pane follows (polled every 250 ms by the remediation worker).
    var followedRuns: [RunFollow] {
        stack.last { !$0.isOverlay }?.followedRuns ?? []
    }

    /// Effects accumulated since the last call.
    func takeEffects() -> [ConsoleEffect] {
        defer { effects.removeAll() }
        return effects
    }

    /// Marks the screen for redrawing (resize, clock tick).
    func setNeedsDisplay() {
        isDirty = true
    }

    /// Shows a transient message on the status line.
    func showMessage(_ text: String, isError: Bool, now: Int64) {
        message = (text, isError, now + Self.messageDuration * (isError ? 2 : 1))
        isDirty = true
    }

    // MARK: Data

    /// Applies a mailbox message.
    func receive(_ incoming: ConsoleMessage, now: Int64) {
        switch incoming {
        case .fleet(let snapshot):
            latestSnapshot = snapshot
            lastRefresh = now
            fleetError = nil
        case .fleetError(let error):
            fleetError = error
        case .alerts(let snapshot):
            latestAlerts = snapshot
            alertsError = nil
        case .alertsError(let error):
            alertsError = error
        case .rules(let snapshot):
            latestRules = snapshot
            ruleWarnings = snapshot.status.warnings
        case .engine(let description, let runsHere, let note):
            listenerDescription = description
            if runsHere {
                rulesEvaluatedHere = true
                canReloadRules = true
            }
            // Worth the longer, highlighted showing: the engine the screen relied on went away.
            showMessage(note, isError: runsHere, now: now)
        case .storeWarnings(let list):
            if list != storeWarnings { storeWarnings = list; setNeedsDisplay() }
        case .runs(let snapshot):
            latestRuns = snapshot
        case .actionResult(let text, let isError):
            showMessage(text, isError: isError, now: now)
        default:
            break
        }
        for pane in stack where pane.receive(incoming, now: now) {
            isDirty = true
        }
        isDirty = true
    }

    // MARK: Keys

    /// Handles one key press.
    func handle(_ key: Key, now: Int64) {
        isDirty = true
        if key == .resize { return }
        switch input {
        case .normal:
            if let action = mergedMap.action(for: key) {
                apply(action.handler(), now: now)
            } else {
                apply(top.handleUnmapped(key), now: now)
            }
        case .command(var editor):
            switch editor.handle(key) {
            case .submitted(let text):
                input = .normal
                commandHistory = LineEditor.appending(text, to: commandHistory)
                if text.trimmingCharacters(in: .whitespaces).isEmpty { return }
                do {
                    run(try CommandParser.parse(text), now: now)
                } catch {
                    showMessage(error.message, isError: true, now: now)
                }
            case .cancelled:
                input = .normal
            case .completionRequested:
                let themes = ThemeLoader.available(in: themeDirectories)
                let (line, candidates) = CommandParser.complete(editor.text, hosts: hostNames, themes: themes)
                editor.setText(line)
                input = .command(editor)
                if candidates.count > 1 {
                    showMessage(candidates.prefix(20).joined(separator: " "), isError: false, now: now)
                } else if candidates.isEmpty {
                    showMessage("no completion", isError: false, now: now)
                }
            case .edited, .ignored:
                input = .command(editor)
            }
        case .filter(var editor, let previous):
            switch editor.handle(key) {
            case .edited:
                input = .filter(editor, previous: previous)
                do {
                    _ = try top.applyFilter(editor.text)
                    if message?.isError == true { message = nil }
                } catch {
                    showMessage(error.message, isError: true, now: now)
                }
            case .submitted(let text):
                input = .normal
                filterHistory = LineEditor.appending(text, to: filterHistory)
                do {
                    if let (matching, total) = try top.applyFilter(text), matching == 0, total > 0 {
                        showMessage("no \(top.rowNoun) matches /\(text)", isError: true, now: now)
                    }
                } catch {
                    _ = try? top.applyFilter(previous)
                    showMessage(error.message, isError: true, now: now)
                }
            case .cancelled:
                input = .normal
                _ = try? top.applyFilter(previous)
            case .completionRequested, .ignored:
                input = .filter(editor, previous: previous)
            }
        case .prompt(var editor, let submit):
            switch editor.handle(key) {
            case .submitted(let text):
                input = .normal
                apply(submit(text), now: now)
            case .cancelled:
                input = .normal
                showMessage("cancelled", isError: false, now: now)
            case .edited, .ignored, .completionRequested:
                input = .prompt(editor, submit: submit)
            }
        case .confirm(_, let reaction):
            input = .normal
            if key == .char("y") || key == .char("Y") {
                apply(reaction, now: now)
            } else {
                showMessage("cancelled", isError: false, now: now)
            }
        }
    }

    /// Carries out a handler's reaction.
    func apply(_ reaction: Reaction, now: Int64) {
        switch reaction {
        case .ignored:
            break
        case .redraw:
            isDirty = true
        case .push(let pane):
            push(pane)
        case .pop:
            if stack.count > 1 { stack.removeLast() }
        case .quit:
            effects.append(.quit)
        case .refreshNow:
            effects.append(.refreshNow)
            showMessage("refreshing…", isError: false, now: now)
        case .message(let text, let isError):
            showMessage(text, isError: isError, now: now)
        case .command(let command):
            run(command, now: now)
        case .openCommandLine:
            input = .command(LineEditor(prompt: ":", history: commandHistory))
        case .openFilter:
            let current = top.filterText
            input = .filter(LineEditor(prompt: "/", text: current, history: filterHistory), previous: current)
        case .fullRedraw:
            effects.append(.fullRedraw)
        case .showHosts(let filter):
            stack = [stack[0]]
            do {
                if let (matching, total) = try top.applyFilter(filter) {
                    filterHistory = LineEditor.appending(filter, to: filterHistory)
                    showMessage("/\(filter): \(matching) of \(total) hosts", isError: false, now: now)
                }
            } catch {
                showMessage(error.message, isError: true, now: now)
            }
            isDirty = true
        case .perform(let request):
            if readOnly {
                showMessage("read-only console: \(request.doneMessage) not done", isError: true, now: now)
            } else if let why = user.refusal(request.permission) {
                showMessage(why, isError: true, now: now)
            } else {
                effects.append(.perform(request))
            }
        case .prompt(let prompt, let initial, let submit):
            input = .prompt(LineEditor(prompt: prompt, text: initial), submit: submit)
        case .confirm(let question, let reaction):
            input = .confirm(question, reaction)
        case .openRemediation(let alert):
            guard alert.host != nil else {
                showMessage("\(AlertFormat.subject(alert)) has no host label: there is no host to run a runbook on", isError: true, now: now)
                break
            }
            let pane = RemediationPane(alert: alert, user: user, catalog: catalog, readOnly: readOnly)
            push(pane)
            apply(pane.prepare(), now: now)
        case .remediate(let request):
            if request.changesThings && readOnly {
                showMessage("read-only console: \(request.what) not done (nothing runs with --readonly)", isError: true, now: now)
            } else if request.changesThings, let why = user.refusal(.runRunbook) {
                showMessage(why, isError: true, now: now)
            } else {
                effects.append(.remediate(request))
            }
        case .openChat(let subject):
            let pane = ChatPane(subject: subject, settings: chat, user: user, catalog: catalog, readOnly: readOnly)
            push(pane)
            apply(pane.open(), now: now)
        case .chat(let request):
            effects.append(.chat(request))
        case .sequence(let reactions):
            for r in reactions { apply(r, now: now) }
        }
        isDirty = true
    }

    private func push(_ pane: any Pane) {
        if let latestSnapshot { _ = pane.receive(.fleet(latestSnapshot), now: lastRefresh ?? 0) }
        if let latestAlerts { _ = pane.receive(.alerts(latestAlerts), now: lastRefresh ?? 0) }
        if let latestRules { _ = pane.receive(.rules(latestRules), now: lastRefresh ?? 0) }
        if let latestRuns { _ = pane.receive(.runs(latestRuns), now: lastRefresh ?? 0) }
        stack.append(pane)
        if !pane.isOverlay && pane.pollInterest != PollInterest() { effects.append(.refreshNow) }
    }

    /// Runs a `:` command.
    func run(_ command: TypedCommand, now: Int64) {
        switch command {
        case .hosts:
            stack = [stack[0]]
        case .host(let name):
            let names = hostNames
            var target = name
            if !names.isEmpty && !names.contains(name) {
                let matches = names.filter { $0.hasPrefix(name) }
                guard matches.count == 1 else {
                    showMessage(matches.isEmpty ? "no host \(name)" : "ambiguous host \(name): \(matches.prefix(8).joined(separator: " "))",
                                isError: true, now: now)
                    return
                }
                target = matches[0]
            }
            stack = [stack[0]]
            let summary = latestSnapshot?.hosts.first { $0.name == target }
            push(HostDetailPane(name: target, summary: summary))
        case .quit:
            effects.append(.quit)
        case .theme(nil):
            let names = ThemeLoader.available(in: themeDirectories)
            showMessage("theme \(theme.name); available: \(names.isEmpty ? "default" : names.joined(separator: " "))", isError: false, now: now)
        case .theme(let name?):
            do {
                theme = try ThemeLoader.load(name, directories: themeDirectories)
                effects.append(.themeChanged)
                showMessage("theme \(theme.name)", isError: false, now: now)
            } catch {
                showMessage("theme: \(error.description)", isError: true, now: now)
            }
        case .alerts:
            if !(top is AlertsPane) {
                stack = [stack[0]]
                push(AlertsPane(user: user))
            }
        case .silences:
            if !(top is SilencesPane) {
                stack = [stack[0]]
                push(SilencesPane(user: user))
            }
        case .rules:
            if !(top is RulesPane) {
                stack = [stack[0]]
                push(RulesPane(user: user, attachedMessage: rulesEvaluatedHere ? nil : RulesFormat.attachedMessage(listenerDescription)))
            }
        case .runbooks:
            if !(top is RunbooksPane) {
                stack = [stack[0]]
                push(RunbooksPane(user: user, catalog: catalog, readOnly: readOnly))
            }
        case .notifications:
            if !(top is NotificationsPane) {
                stack = [stack[0]]
                push(NotificationsPane(user: user, config: notifyConfig))
            }
        case .notifyTest(let name):
            guard let config = notifyConfig else {
                showMessage("no notification config (~/.config/vigil/notify.yaml; docs/notifications.md)", isError: true, now: now)
                return
            }
            guard let channel = config.channel(named: name) else {
                showMessage("no channel \(name) (channels: \(config.channels.map(\.name).joined(separator: " ")))", isError: true, now: now)
                return
            }
            if readOnly {
                showMessage("read-only console: test message not sent", isError: true, now: now)
            } else if let why = user.refusal(.acknowledge) {
                showMessage(why, isError: true, now: now)
            } else {
                effects.append(.testChannel(channel, externalURL: config.externalURL ?? ""))
                showMessage("sending a test message to \(name)…", isError: false, now: now)
            }
        case .reload:
            reloadRules(now: now)
        case .chat(let host):
            var subject = ChatSubject.general
            if let host {
                let names = hostNames
                let matches = names.contains(host) || names.isEmpty ? [host] : names.filter { $0.hasPrefix(host) }
                guard matches.count == 1 else {
                    showMessage(matches.isEmpty ? "no host \(host)" : "ambiguous host \(host): \(matches.prefix(8).joined(separator: " "))",
                                isError: true, now: now)
                    return
                }
                subject = .host(matches[0])
            }
            if let current = top as? ChatPane, current.subject.conversation == subject.conversation { break }
            stack = [stack[0]]
            apply(.openChat(subject), now: now)
        case .aiCalls:
            if !(top is AICallsPane) {
                stack = [stack[0]]
                let pane = AICallsPane(settings: chat)
                push(pane)
                apply(pane.reload(), now: now)
            }
        case .logs(let host):
            var target: String?
            if let host {
                let names = hostNames
                let matches = names.contains(host) || names.isEmpty ? [host] : names.filter { $0.hasPrefix(host) }
                guard matches.count == 1 else {
                    showMessage(matches.isEmpty ? "no host \(host)" : "ambiguous host \(host): \(matches.prefix(8).joined(separator: " "))",
                                isError: true, now: now)
                    return
                }
                target = matches[0]
            }
            if let current = top as? LogsPane, current.host == target { break }
            stack = [stack[0]]
            push(LogsPane(host: target))
        case .metric(let name, let hosts):
            stack = [stack[0]]
            push(MetricPane(metric: name, hosts: hosts))
        case .reports:
            if !(top is ReportsPane) {
                stack = [stack[0]]
                push(ReportsPane())
            }
        case .sla:
            if !(top is SLAPane) {
                stack = [stack[0]]
                push(SLAPane())
            }
        case .services:
            if !(top is ServicesPane) {
                stack = [stack[0]]
                push(ServicesPane())
            }
        case .groups:
            if !(top is GroupsPane) {
                stack = [stack[0]]
                push(GroupsPane())
            }
        case .topology:
            if !(top is TopologyPane) {
                stack = [stack[0]]
                let path = TopologyPins.defaultPath()
                var pins = TopologyPins()
                var problem: String?
                do { pins = try TopologyPins.load(path: path) } catch { problem = String(describing: error) }
                let pane = TopologyPane(pins: pins, pinsPath: problem == nil ? path : nil)
                pane.pinsError = problem
                push(pane)
            }
        case .databases:
            if !(top is DatabasesPane) {
                stack = [stack[0]]
                push(DatabasesPane())
            }
        case .audit:
            if !(top is AuditPane) {
                stack = [stack[0]]
                push(AuditPane())
            }
        case .help:
            if !(top is HelpPane) { push(HelpPane(documenting: mergedMap)) }
        case .refresh:
            apply(.refreshNow, now: now)
        }
        isDirty = true
    }

    /// `:reload` and `R`: a changing action, so `--readonly` and the role (admin) are checked first; a console
    /// attached to another engine cannot reach its evaluator.
    private func reloadRules(now: Int64) {
        if readOnly {
            showMessage("read-only console: rule reload not done", isError: true, now: now)
        } else if !canReloadRules {
            showMessage(RulesFormat.attachedMessage(listenerDescription) + " (reload it there: SIGHUP)", isError: true, now: now)
        } else if let why = user.refusal(.reloadRules) {
            showMessage(why, isError: true, now: now)
        } else {
            effects.append(.reloadRules)
            showMessage("reloading rules…", isError: false, now: now)
        }
    }

    /// Replaces the theme (e.g. the startup fallback), as `:theme` does.
    func setTheme(_ theme: Theme) {
        self.theme = theme
        effects.append(.themeChanged)
        isDirty = true
    }

    // MARK: Rendering

    /// Draws the whole screen into `canvas`.
    func render(into canvas: inout Canvas, now: Int64) {
        canvas.clear()
        cursor = nil
        isDirty = false
        if let m = message, m.until <= now { message = nil }
        guard canvas.width >= Self.minimumWidth, canvas.height >= Self.minimumHeight else {
            renderTooSmall(into: &canvas)
            return
        }
        let bounds = canvas.bounds
        let (topBar, rest) = bounds.splitTop(1)
        let (paneArea, bottom) = rest.splitBottom(2)
        renderTopBar(into: &canvas, rect: topBar, now: now)
        let base = stack.lastIndex { !$0.isOverlay } ?? 0
        for (i, pane) in stack.enumerated() where i >= base {
            let context = RenderContext(now: now, glyphs: canvas.glyphs, focused: i == stack.count - 1)
            pane.render(into: &canvas, in: paneArea, context: context)
        }
        renderBottom(into: &canvas, hintRow: bottom.y, statusRow: bottom.y + 1, now: now)
    }

    private func renderTooSmall(into canvas: inout Canvas) {
        let times = canvas.glyphs.isUnicode ? "×" : "x"
        let text = "terminal too small: need \(Self.minimumWidth)\(times)\(Self.minimumHeight) (have \(canvas.width)\(times)\(canvas.height))"
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && TextWidth.of(current) + 1 + word.count > canvas.width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        lines.append(current)
        let y0 = max(0, (canvas.height - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            let x = max(0, (canvas.width - TextWidth.of(line)) / 2)
            canvas.put(line, x: x, y: y0 + i, role: .warning, attributes: [.bold])
        }
    }

    private func renderTopBar(into canvas: inout Canvas, rect: Rect, now: Int64) {
        let arrow = canvas.glyphs.isUnicode ? " › " : " > "
        let crumbs = stack.map(\.title).joined(separator: arrow)
        var right: [Span] = []
        if readOnly { right += [Span("READ-ONLY", .warning, [.bold]), Span("  ")] }
        right.append(Span(Format.clockMinutes(now), .muted))
        let rightWidth = right.reduce(0) { $0 + $1.width }
        canvas.put([Span(" vigil", .title, [.bold]), Span(arrow, .muted), Span(crumbs, .title)], x: rect.x, y: rect.y,
                   maxWidth: rect.width - rightWidth - 2)
        canvas.put(right, x: rect.maxX - rightWidth - 1, y: rect.y, maxWidth: rightWidth)
    }

    /// The hint line spans, generated from the merged key map.
    func hintSpans() -> [[Span]] {
        mergedMap.hints.map { [Span($0.keys[0].label, .hintKey, [.bold]), Span(" " + $0.title, .hintText)] }
    }

    private func renderBottom(into canvas: inout Canvas, hintRow: Int, statusRow: Int, now: Int64) {
        let width = canvas.width
        switch input {
        case .command(let editor), .filter(let editor, _), .prompt(let editor, _):
            canvas.fill(Rect(x: 0, y: hintRow, width: width, height: 1), role: .command)
            let prompt = editor.prompt
            let available = width - TextWidth.of(prompt) - 2
            let head = Array(editor.text.prefix(editor.cursor))
            let skip = max(0, head.count - available + 1)
            let visible = String(editor.text.dropFirst(skip))
            canvas.put(prompt, x: 0, y: hintRow, role: .command, attributes: [.bold])
            canvas.put(visible, x: TextWidth.of(prompt), y: hintRow, role: .command, maxWidth: available)
            cursor = (TextWidth.of(prompt) + TextWidth.of(String(head.dropFirst(skip))), hintRow)
        case .confirm(let question, _):
            canvas.fill(Rect(x: 0, y: hintRow, width: width, height: 1), role: .command)
            let text = question + " (y/N) "
            canvas.put(text, x: 0, y: hintRow, role: .command, attributes: [.bold], maxWidth: width)
            cursor = (min(width - 1, TextWidth.of(text)), hintRow)
        case .normal:
            var x = 1
            for hint in hintSpans() {
                let w = hint.reduce(0) { $0 + $1.width }
                if x + w > width - 1 { break }
                canvas.put(hint, x: x, y: hintRow, maxWidth: w)
                x += w + 2
            }
        }
        // Status line.
        canvas.fill(Rect(x: 0, y: statusRow, width: width, height: 1), role: .status)
        var parts: [String] = []
        if !storeDescription.isEmpty { parts.append(storeDescription) }
        if let listenerDescription, !listenerDescription.isEmpty { parts.append(listenerDescription) }
        // "live" while refreshes arrive on time; the age only when they stall (so an idle screen does not change).
        let refreshed = lastRefresh.map { now - $0 <= refreshGrace ? "live" : "refreshed \(Format.age(now - $0)) ago" } ?? "loading…"
        let separator = canvas.glyphs.isUnicode ? " · " : " | "
        // The refresh age always shows; the descriptions give way to messages.
        var left: (String, Bool)?
        if let m = message {
            left = (m.text, m.isError)
        } else if let fleetError {
            left = ("refresh failed: " + fleetError, true)
        } else if let alertsError {
            left = ("alerts refresh failed: " + alertsError, true)
        } else if let warning = (ruleWarnings + storeWarnings + warnings).first {
            left = ("warning: " + warning, true)
        }
        let rightLimit = left.map { max(width / 3, width - TextWidth.of($0.0) - 4) } ?? width - 2
        var descriptions = parts.joined(separator: separator)
        // The user and the refresh age always show; the descriptions give way.
        let fixed = user.consoleLabel + separator + refreshed
        let room = rightLimit - TextWidth.of(fixed) - TextWidth.of(separator)
        descriptions = room > 8 ? TextWidth.truncate(descriptions, to: room, ellipsis: canvas.glyphs.ellipsis) : ""
        let right = user.consoleLabel + separator + (descriptions.isEmpty ? refreshed : descriptions + separator + refreshed)
        let rightWidth = TextWidth.of(right)
        canvas.put(right, x: max(0, width - rightWidth - 1), y: statusRow, role: .status)
        if let (text, isError) = left {
            let cut = TextWidth.truncate(text, to: width - rightWidth - 4, ellipsis: canvas.glyphs.ellipsis)
            canvas.put(cut, x: 1, y: statusRow, role: isError ? .error : .status, attributes: isError ? [.bold] : [])
        }
    }
}
