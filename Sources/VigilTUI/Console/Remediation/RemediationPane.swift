import VigilTheme
import VigilCore
import VigilWire

/// Remediation of one alert (`r` on an alert), or one stored run (`Enter` in the runbooks pane): the diagnosis and
/// its evidence, the proposed runbook with its parameters (`e` edits them, `[` `]` or `c` choose another runbook),
/// the safety verdict with every check, the exact steps, and the output of a dry run (`d`) or a run (`Enter`,
/// confirmed; a high-risk runbook wants the host name typed) streaming live (`Ctrl-C` cancels). After a run: the
/// verify result and whether the alert resolved. All loading is done by `RemediationWorker`; the pane only keeps
/// what arrives in the mailbox.
final class RemediationPane: Pane {
    /// The boxes `Tab` moves between; `j` `k` act on the focused one.
    enum Section: Int, CaseIterable {
        case parameters, safety, output
    }

    /// What the pane is waiting for.
    enum Loading: Equatable {
        case diagnosing, planning, starting(dryRun: Bool)
    }

    let user: VigilUser
    let readOnly: Bool
    let catalog: RunbookCatalog
    let host: String
    private(set) var alert: StoredAlert?
    /// Whether the alert is still firing or pending (nil: not known yet).
    private(set) var alertActive: Bool?
    private(set) var diagnosis: Diagnosis?
    private(set) var runbookName: String?
    /// Parameter values the operator typed; they win over the diagnosis and the rule.
    private(set) var overrides: [String: String] = [:]
    private(set) var plan: RemediationPlan?
    private(set) var planError: String?
    private(set) var loading: Loading?
    /// Why the last Enter or `d` did not start anything.
    private(set) var notice: String?
    /// The run shown in the output box (started here, or opened from the runbooks pane).
    private(set) var run: RemediationRun?
    private(set) var events: [JobEvent] = []
    private(set) var followError: String?
    /// Whether the pane shows a stored run rather than an alert's proposal.
    let showsStoredRun: Bool
    private(set) var focus: Section = .parameters
    private(set) var selectedParameter = 0
    private(set) var safetyScroll = 0
    /// Nil follows the end of the output (like `tail -f`); else the first line shown.
    private(set) var outputScroll: Int?
    private var planToken = ""
    private var startToken = ""
    private var lastOutputHeight = 5
    private var lastSafetyHeight = 5
    /// The time of the last frame (a live run's duration counts to it).
    private var lastNow: Int64 = 0

    /// Remediation of `alert`. Push it with `prepare()` (the console does: `r` on an alert).
    init(alert: StoredAlert, user: VigilUser, catalog: RunbookCatalog, readOnly: Bool) {
        self.alert = alert
        self.alertActive = alert.isActive
        self.user = user
        self.catalog = catalog
        self.readOnly = readOnly
        self.host = alert.host ?? ""
        self.showsStoredRun = false
    }

    /// A runbook proposed elsewhere (the chat assistant's `propose_runbook`), preset with its runbook, host and
    /// parameters, for `alert` when it is about one (on the same host). Push it with `prepare()`: it plans afresh,
    /// so the safety checks run again and nothing runs until the operator says so, as after `r`.
    init(runbook: String, host: String, parameters: [String: String], alert: StoredAlert?, user: VigilUser, catalog: RunbookCatalog,
         readOnly: Bool) {
        self.alert = alert
        self.alertActive = alert?.isActive
        self.user = user
        self.catalog = catalog
        self.readOnly = readOnly
        self.host = host
        self.runbookName = runbook
        self.overrides = parameters
        self.showsStoredRun = false
    }

    /// A stored run: its plan as it was made, its output so far and live.
    init(run: RemediationRun, alert: StoredAlert?, user: VigilUser, catalog: RunbookCatalog, readOnly: Bool) {
        self.run = run
        self.alert = alert
        self.alertActive = alert?.isActive
        self.user = user
        self.catalog = catalog
        self.readOnly = readOnly
        self.host = run.host
        self.runbookName = run.runbook
        self.diagnosis = run.diagnosis
        self.overrides = run.parameters
        self.showsStoredRun = true
        self.focus = .output
    }

    var title: String { showsStoredRun ? (run?.id ?? "run") : "remediate" }
    var knownHosts: [String] { host.isEmpty ? [] : [host] }
    var rowNoun: String { "line" }

    var pollInterest: PollInterest {
        // Resolved alerts only once a run ended: then the pane says whether the alert resolved.
        PollInterest(resolvedAlerts: alert != nil && run?.state.isFinal == true)
    }

    var followedRuns: [RunFollow] {
        guard let run, !run.state.isFinal else { return [] }
        return [RunFollow(id: run.id, afterSeq: events.last?.seq ?? 0)]
    }

    /// The runbook shown: the plan's, else the chosen or proposed one from the catalogue.
    var runbook: Runbook? {
        if let plan { return plan.runbook }
        return (runbookName ?? diagnosis?.runbook).flatMap { catalog.runbook(named: $0) }
    }

    /// The steps shown: the plan's, else the stored run's.
    var steps: [JobStep] { plan?.steps ?? run?.job.steps ?? [] }

    /// The verdict shown: the plan's, else the stored run's.
    var verdict: SafetyVerdict? { plan?.verdict ?? (showsStoredRun ? run?.verdict : nil) }

    /// Runbooks in `[` `]` order: those fitting the alert (lowest risk first), then the rest of the catalogue.
    var candidates: [Runbook] {
        let fitting = alert.map { catalog.matching(alertName: $0.rule, labels: $0.labels) } ?? []
        return fitting + catalog.runbooks.filter { rb in !fitting.contains { $0.name == rb.name } }
    }

    var isRunLive: Bool { run.map { !$0.state.isFinal } ?? false }

    // MARK: Requests

    private func target() -> RemediationTarget {
        RemediationTarget(token: planToken, alert: alert, host: host, runbook: runbookName, parameters: overrides, diagnosis: diagnosis)
    }

    /// Diagnoses (the first time) and plans; the reaction that starts the work.
    func prepare() -> Reaction {
        guard !host.isEmpty else {
            planError = "the alert has no host label: nothing to run a runbook on"
            return .message(planError!, isError: true)
        }
        planToken = newToken()
        loading = diagnosis == nil && alert != nil ? .diagnosing : .planning
        planError = nil
        return .remediate(.prepare(target()))
    }

    private func start(dryRun: Bool) -> Reaction {
        startToken = newToken()
        loading = .starting(dryRun: dryRun)
        notice = nil
        var t = target()
        t.token = startToken
        return .remediate(.start(t, dryRun: dryRun))
    }

    private var requests = 0
    /// A token unique among this pane's requests (panes never see each other's tokens: the pane is part of it).
    private func newToken() -> String {
        requests += 1
        return "\(ObjectIdentifier(self).hashValue)-\(requests)"
    }

    /// `Enter`: explains what stops the run, or asks for the confirmation the risk needs.
    func runAction() -> Reaction {
        if showsStoredRun { return .message("this is a stored run; press r on its alert to plan a new one", isError: false) }
        if let run, !run.state.isFinal {
            return .message("\(run.id) is still \(RunFormat.state(run.state)) (Ctrl-C cancels it)", isError: false)
        }
        if case .starting = loading { return .message("starting…", isError: false) }
        guard let plan else {
            if let planError { return .message("nothing to run: \(planError)", isError: true) }
            return .message(loading == nil ? "no plan yet" : "still planning…", isError: false)
        }
        if let block = plan.verdict.blockReason {
            notice = "not run: \(block)"
            return .message("not run: \(block)", isError: true)
        }
        let rb = plan.runbook
        let host = plan.host
        if rb.risk == .high {
            return .prompt("\(rb.name) is HIGH risk. Type the host name (\(host)) to run it: ", initial: "") { [weak self] typed in
                guard let self else { return .ignored }
                guard typed.trimmingCharacters(in: .whitespaces) == host else {
                    return .message("not run: you typed '\(typed)', not \(host)", isError: true)
                }
                return self.start(dryRun: false)
            }
        }
        return .confirm("run \(rb.name) on \(host): \(plan.steps.count) steps, \(rb.risk.rawValue) risk, exactly as shown?", .sequence([
            .message("starting \(rb.name) on \(host)…", isError: false), start(dryRun: false),
        ]))
    }

    /// `d`: a dry run on the host's agent (it reports what each step would touch; nothing changes).
    func dryRunAction() -> Reaction {
        if showsStoredRun { return .message("this is a stored run; press r on its alert to plan a new one", isError: false) }
        if let run, !run.state.isFinal { return .message("\(run.id) is still \(RunFormat.state(run.state))", isError: false) }
        guard runbook != nil else { return .message(planError ?? "no runbook chosen (c picks one)", isError: true) }
        if case .starting = loading { return .message("starting…", isError: false) }
        return start(dryRun: true)
    }

    /// Switches to another runbook and plans it (parameters typed for the previous one are dropped).
    func choose(_ name: String) -> Reaction {
        guard name != runbook?.name else { return .message("\(name) is already chosen", isError: false) }
        runbookName = name
        overrides = [:]
        plan = nil
        selectedParameter = 0
        return .sequence([prepare(), .message("runbook \(name)", isError: false)])
    }

    private func cycle(_ delta: Int) -> Reaction {
        let list = candidates
        guard !list.isEmpty else { return .message("the runbook catalogue is empty", isError: true) }
        let current = list.firstIndex { $0.name == runbook?.name } ?? -1
        let next = ((current + delta) % list.count + list.count) % list.count
        return choose(list[next].name)
    }

    /// The parameter form for the shown runbook, prefilled with the values in force.
    func editAction() -> Reaction {
        guard !showsStoredRun else { return .message("a stored run's parameters are fixed", isError: false) }
        guard let rb = runbook else { return .message("no runbook chosen (c picks one)", isError: true) }
        guard !rb.parameters.isEmpty else { return .message("\(rb.name) has no parameters", isError: false) }
        let focus = rb.parameters.indices.contains(selectedParameter) ? rb.parameters[selectedParameter].name : nil
        return .push(ParameterFormPane(runbook: rb, host: host, values: currentValues(rb), focus: focus) { [weak self] values in
            guard let self else { return .pop }
            self.overrides = values
            return .sequence([.pop, self.prepare()])
        })
    }

    /// The value of each parameter as it stands: the plan's, else typed, else the default.
    func currentValues(_ rb: Runbook) -> [String: String] {
        var out: [String: String] = [:]
        for p in rb.parameters {
            out[p.name] = plan?.parameters[p.name] ?? overrides[p.name] ?? (showsStoredRun ? run?.parameters[p.name] : nil) ?? p.defaultValue ?? ""
        }
        return out
    }

    private func transitionKeys(_ section: String) -> [KeyAction] {
        guard let run, run.state == .awaitingApproval || run.state == .proposed else { return [] }
        return [
            KeyAction([.char("y")], "approve run", section: section, dangerous: true) { [self] in RunbooksPane.approve(run, catalog: catalog) },
            KeyAction([.char("N")], "reject run (with a reason)", section: section, dangerous: true) { RunbooksPane.reject(run) },
        ]
    }

    var keyMap: KeyMap {
        let section = "Remediation"
        var actions: [KeyAction] = []
        if let run, !run.state.isFinal, run.state != .awaitingApproval, run.state != .proposed {
            actions.append(KeyAction([.ctrl("c")], "cancel run", section: section, dangerous: true) {
                .sequence([.message("cancelling \(run.id)…", isError: false), .remediate(.cancel(runID: run.id))])
            })
        }
        actions += transitionKeys(section)
        if !showsStoredRun {
            actions += [
                KeyAction([.enter], "run", section: section, dangerous: true) { [self] in runAction() },
                KeyAction([.char("d")], "dry run", section: section, dangerous: true) { [self] in dryRunAction() },
                KeyAction([.char("e")], "edit parameters", section: section) { [self] in editAction() },
                KeyAction([.char("]")], "next runbook", section: section) { [self] in cycle(1) },
                KeyAction([.char("[")], "previous runbook", section: section, shownInHints: false) { [self] in cycle(-1) },
                KeyAction([.char("c")], "choose runbook", section: section) { [self] in
                    .push(RunbookPickerPane(catalog: catalog, fitting: alert.map { catalog.matching(alertName: $0.rule, labels: $0.labels).map(\.name) } ?? [],
                                            current: runbook?.name) { [weak self] name in
                        guard let self else { return .pop }
                        return .sequence([.pop, self.choose(name)])
                    })
                },
                KeyAction([.char("r")], "re-diagnose and re-check", section: section, shownInHints: false) { [self] in
                    diagnosis = nil
                    return prepare()
                },
            ]
        }
        actions += [
            KeyAction([.char("j"), .down], "down (parameter, checks, output)", section: section, shownInHints: false) { [self] in move(1) },
            KeyAction([.char("k"), .up], "up", section: section, shownInHints: false) { [self] in move(-1) },
            KeyAction([.pageDown, .ctrl("f")], "page down", section: section, shownInHints: false) { [self] in move(max(1, lastOutputHeight - 1)) },
            KeyAction([.pageUp, .ctrl("b")], "page up", section: section, shownInHints: false) { [self] in move(-max(1, lastOutputHeight - 1)) },
            KeyAction([.char("G"), .end], "follow the output", section: section, shownInHints: false) { [self] in
                focus = .output
                outputScroll = nil
                return .redraw
            },
        ]
        return KeyMap(actions)
    }

    /// In read-only mode Enter and `d` are gone from the map; say why instead of doing nothing.
    func handleUnmapped(_ key: Key) -> Reaction {
        if readOnly && (key == .enter || key == .char("d")) && !showsStoredRun {
            return .message("read-only console (--readonly): the plan is shown, nothing runs", isError: true)
        }
        return .ignored
    }

    func focusNext() -> Bool {
        let order: [Section] = showsStoredRun ? [.output, .safety] : Section.allCases
        let i = order.firstIndex(of: focus) ?? 0
        focus = order[(i + 1) % order.count]
        return true
    }

    private func move(_ delta: Int) -> Reaction {
        switch focus {
        case .parameters:
            let n = runbook?.parameters.count ?? 0
            guard n > 0 else { return .ignored }
            selectedParameter = min(max(0, selectedParameter + delta), n - 1)
        case .safety:
            safetyScroll = max(0, safetyScroll + delta)
        case .output:
            let total = outputParts(width: 200, unicode: true).events.count
            let start = outputScroll ?? max(0, total - lastOutputHeight)
            let next = max(0, start + delta)
            outputScroll = next + lastOutputHeight >= total ? nil : next
        }
        return .redraw
    }

    // MARK: Data

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .remediation(let update):
            return receive(update)
        case .alerts(let s):
            guard let current = alert else { return false }
            if let fresh = s.active.first(where: { $0.fingerprint == current.fingerprint }) {
                alert = fresh
                alertActive = true
            } else {
                if let resolved = s.resolved?.first(where: { $0.fingerprint == current.fingerprint }) { alert = resolved }
                alertActive = false
            }
            return true
        default:
            return false
        }
    }

    private func receive(_ update: RemediationUpdate) -> Bool {
        switch update {
        case .diagnosis(let token, let d) where token == planToken:
            diagnosis = d
            if loading == .diagnosing { loading = .planning }
        case .planned(let token, let p) where token == planToken:
            plan = p
            runbookName = p.runbook.name
            planError = nil
            loading = nil
            selectedParameter = min(selectedParameter, max(0, p.runbook.parameters.count - 1))
        case .planFailed(let token, let error) where token == planToken:
            planError = error
            plan = nil
            loading = nil
        case .planFailed(let token, let error) where token == startToken:
            notice = "not started: \(error)"
            loading = nil
        case .notStarted(let token, let p, let reason) where token == startToken:
            if !p.dryRun { plan = p }
            notice = "\(p.dryRun ? "dry run " : "")not started: \(reason)"
            loading = nil
        case .started(let token, let r) where token == startToken:
            run = r
            events = []
            followError = nil
            outputScroll = nil
            loading = nil
            focus = .output
        case .progress(let r, let fresh) where r.id == run?.id:
            run = r
            let last = events.last?.seq ?? 0
            events += fresh.filter { $0.seq > last }.sorted { $0.seq < $1.seq }
            followError = nil
        case .progressFailed(let id, let error) where id == run?.id:
            followError = error
        case .transitioned(let r) where r.id == run?.id:
            run = r
        default:
            return false
        }
        return true
    }

    // MARK: Text

    /// The line above the boxes: the alert (or run) and what it is about.
    func headerSpans(now: Int64) -> [Span] {
        if let alert {
            var spans = [Span(AlertFormat.short(alert.severity), AlertFormat.role(alert.severity), [.bold]), Span(" "),
                         Span(AlertFormat.subject(alert), .text, [.bold]), Span("  "),
                         Span(alertActive == false ? "resolved" : alert.state, alertActive == false ? .ok : AlertFormat.stateRole(alert.state))]
            spans.append(Span(" \(Format.age(now - AlertFormat.since(alert)))", .muted))
            if let v = alert.value { spans += [Span("  value ", .muted), Span(Format.number(v))] }
            let summary = AlertFormat.summary(alert)
            if !summary.isEmpty { spans += [Span("  "), Span(summary, .muted)] }
            if showsStoredRun, let run { spans += [Span("   run ", .muted), Span(run.id)] }
            return spans
        }
        if let run {
            return [Span("run ", .muted), Span(run.id, .text, [.bold]), Span("  \(run.runbook) on \(run.host)"),
                    Span("  requested by \(run.requestedBy)", .muted)]
        }
        return [Span("remediation on \(host)")]
    }

    /// The cause, the source and confidence, the evidence.
    func diagnosisLines(width: Int) -> [[Span]] {
        guard let d = diagnosis else {
            if loading == .diagnosing { return [[Span("diagnosing: reading the host's metrics and logs…", .muted)]] }
            return [[Span(showsStoredRun ? "no diagnosis was recorded for this run" : "no diagnosis", .muted)]]
        }
        var out: [[Span]] = []
        for (i, part) in Wrap.words(d.cause, width: max(10, width)).enumerated() {
            out.append([Span(part, .text, i == 0 ? [.bold] : [])])
        }
        var meta = [Span("\(d.source) · confidence \(Int((d.confidence * 100).rounded()))% · ", .muted)]
        if let rb = d.runbook { meta += [Span("proposes ", .muted), Span(rb, .title)] } else { meta.append(Span("no runbook fits", .warning)) }
        out.append(meta)
        for e in d.evidence {
            for (i, part) in Wrap.words(e, width: max(10, width - 4)).enumerated() {
                out.append([Span(i == 0 ? "  · " : "    ", .muted), Span(part)])
            }
        }
        return out
    }

    /// The runbook's description, its parameters (the selected one highlighted when focused), then the exact steps.
    /// Returns the lines and the index of the selected parameter's line.
    func runbookLines(width: Int, focused: Bool, glyphs: Glyphs) -> (lines: [[Span]], selected: Int?) {
        guard let rb = runbook else {
            if let planError { return ([[Span(planError, .critical)]], nil) }
            return ([[Span(loading == nil ? "no runbook proposed: c chooses one from the catalogue" : "planning…", .muted)]], nil)
        }
        var out: [[Span]] = [[Span(rb.description, .muted)]]
        let values = currentValues(rb)
        var selectedLine: Int?
        if !rb.parameters.isEmpty {
            let nameWidth = min(20, max(9, rb.parameters.map { $0.name.count }.max() ?? 9))
            let valueWidth = min(28, max(12, values.values.map(\.count).max() ?? 12))
            out.append([Span(TextWidth.fit("PARAMETER", to: nameWidth) + " " + TextWidth.fit("VALUE", to: valueWidth) + " ABOUT", .header, [.bold])])
            for (i, p) in rb.parameters.enumerated() {
                let value = values[p.name] ?? ""
                let typed = overrides[p.name] != nil && !showsStoredRun
                let marker = i == selectedParameter && focus == .parameters && !showsStoredRun ? glyphs.selectionMarker : " "
                var about = p.description.isEmpty ? p.kind.rawValue : p.description
                if p.required { about = "required · " + about }
                if let label = p.fromLabel { about += " (label \(label))" }
                var line = [Span(marker, .selection), Span(TextWidth.fit(p.name, to: nameWidth - 1) + " ", typed ? .changed : .text),
                            Span(TextWidth.fit(value.isEmpty ? "(unset)" : value, to: valueWidth) + " ", value.isEmpty ? .muted : .info),
                            Span(about, .muted)]
                if i == selectedParameter && focus == .parameters && focused && !showsStoredRun {
                    line = line.map { Span($0.text, .selection, $0.attributes) }
                    selectedLine = out.count
                }
                out.append(line)
            }
        }
        if let planError {
            out.append([Span(planError, .critical, [.bold])])
        }
        let steps = self.steps
        if !steps.isEmpty {
            out.append([Span(plan?.dryRun == true ? "Dry-run plan" : "Plan", .title, [.bold]),
                        Span(" · the exact argv the agent runs (never through a shell)", .muted)])
            let nameWidth = min(24, steps.map { TextWidth.of($0.name) }.max() ?? 8)
            for (i, s) in steps.enumerated() {
                let head = "\(i + 1). " + TextWidth.fit(s.kind.rawValue, to: 9)
                let command = RunbookText.command(s.argv)
                out.append([Span(head, s.kind == .action ? .warning : .muted), Span(TextWidth.fit(s.name, to: nameWidth) + "  ", .text, [.bold]),
                            Span(command, .info)])
            }
        } else if loading == .planning {
            out.append([Span("planning…", .muted)])
        }
        return (out, selectedLine)
    }

    /// The verdict, then every check wrapped to `width`.
    func safetyLines(width: Int) -> [[Span]] {
        guard let v = verdict else {
            return [[Span(loading != nil ? "checking…" : (planError != nil ? "no plan: nothing to check" : "not checked"), .muted)]]
        }
        var out: [[Span]] = [RunFormat.verdictSpans(v)]
        let nameWidth = min(13, (v.checks.map { $0.name.count }.max() ?? 8) + 1)
        for c in v.checks {
            let prefix = TextWidth.fit(RunFormat.checkMark(c.result), to: 6) + TextWidth.fit(c.name, to: nameWidth)
            let role = RunFormat.checkRole(c.result)
            for (i, part) in Wrap.words(c.detail, width: max(10, width - prefix.count)).enumerated() {
                out.append(i == 0 ? [Span(TextWidth.fit(RunFormat.checkMark(c.result), to: 6), role, [.bold]),
                                     Span(TextWidth.fit(c.name, to: nameWidth), c.result == .pass ? .text : role), Span(part, c.result == .pass ? .muted : role)]
                               : [Span(String(repeating: " ", count: prefix.count)), Span(part, c.result == .pass ? .muted : role)])
            }
        }
        if let plan, plan.runbook.risk == .high, v.allowed {
            out.append([Span("high risk: Enter asks you to type the host name", .warning)])
        }
        return out
    }

    /// The summary of the run (state, then when it ended: verify, the alert, the audit), then its output.
    func outputLines(width: Int, unicode: Bool) -> [[Span]] {
        let (summary, events) = outputParts(width: width, unicode: unicode)
        return summary + events
    }

    /// The output box in two parts: the summary (kept in view) and the step output (scrolls, follows the end).
    func outputParts(width: Int, unicode: Bool) -> (summary: [[Span]], events: [[Span]]) {
        var out: [[Span]] = []
        if let notice { out.append([Span(notice, .critical, [.bold])]) }
        guard let run else {
            if case .starting(let dry) = loading {
                out.append([Span(dry ? "starting a dry run…" : "starting…", .muted)])
            } else if !showsStoredRun {
                if readOnly {
                    out.append([Span("read-only console: the plan is shown, nothing runs", .warning)])
                } else {
                    out.append([Span("d", .hintKey, [.bold]), Span(" dry run: the host's agent reports what each step would touch; nothing changes", .muted)])
                    out.append([Span("Enter", .hintKey, [.bold]), Span(" run it (confirmed; a high-risk runbook wants the host name typed)", .muted)])
                    out.append([Span("Ctrl-C", .hintKey, [.bold]), Span(" cancels a running run; the output streams here", .muted)])
                }
            }
            return (out, [])
        }
        let dot = unicode ? " · " : " | "
        var head = [Span(run.id, .text, [.bold]), Span(dot + (run.dryRun ? "dry run of " : "") + "\(run.runbook) on \(run.host)" + dot, .muted),
                    Span(RunFormat.state(run.state), RunFormat.stateRole(run.state), [.bold])]
        if run.dispatchedAt != nil {
            head.append(Span(" \(run.state.isFinal ? "in" : "for") \(RunFormat.duration(run, now: max(lastNow, run.updatedAt)))", .muted))
        }
        var who = "by \(run.requestedBy)"
        if let a = run.approvedBy { who += ", approved by \(a)" }
        head.append(Span(dot + who, .muted))
        if run.cancelRequested && !run.state.isFinal { head.append(Span(dot + "cancel requested", .warning)) }
        out.append(head)
        if !run.message.isEmpty && !(run.state.isFinal && events.contains { $0.type == .jobFinished }) {
            out.append([Span(run.message, RunFormat.stateRole(run.state))])
        }
        if run.state == .queued {
            out.append([Span("waiting for \(run.host)'s agent to pick it up (it polls the listener; the console's own host runs it in-process)", .muted)])
        }
        if let followError { out.append([Span("following failed: \(followError)", .error)]) }
        if run.state.isFinal { out += resultLines(run, unicode: unicode) }
        out.append([Span(String(repeating: unicode ? "─" : "-", count: max(0, min(width, 60))), .muted)])
        var lines: [[Span]] = []
        let printer = RunbookText.EventPrinter(steps: run.job.steps)
        for e in events {
            for line in printer.lines(for: e) {
                for part in Wrap.hard(line, width: max(10, width)) { lines.append(RunFormat.eventSpans(part, unicode: unicode)) }
            }
        }
        if events.isEmpty && run.state.isInFlight { lines.append([Span("no output yet", .muted)]) }
        return (out, lines)
    }

    /// After a run: what the verify steps said, whether the alert resolved, where it is recorded.
    private func resultLines(_ run: RemediationRun, unicode: Bool) -> [[Span]] {
        var out: [[Span]] = []
        let ok = unicode ? "✓ " : "+ "
        let bad = unicode ? "✗ " : "x "
        if run.dryRun {
            out.append([Span("dry run: nothing was changed", .ok)])
        } else {
            let verify = RunFormat.verifyResults(steps: run.job.steps, events: events)
            if verify.isEmpty { out.append([Span("verify: the runbook has no verify step", .muted)]) }
            for v in verify {
                switch v.passed {
                case true?: out.append([Span("verify ", .muted), Span(ok + v.name, .ok, [.bold]), Span(" (\(v.detail))", .muted)])
                case false?: out.append([Span("verify ", .muted), Span(bad + v.name, .critical, [.bold]), Span(" (\(v.detail))", .muted)])
                case nil: out.append([Span("verify ", .muted), Span(v.name + ": " + v.detail, .warning)])
                }
            }
            if let alert {
                if alertActive == false {
                    let at = alert.resolvedAt.map { " at " + Format.clock($0) } ?? ""
                    out.append([Span("alert ", .muted), Span(ok + "\(AlertFormat.subject(alert)) resolved\(at)", .ok, [.bold])])
                } else {
                    out.append([Span("alert ", .muted), Span("\(AlertFormat.subject(alert)) still \(alert.state)", .warning, [.bold]),
                                Span(" (the rule re-evaluates it; this line updates)", .muted)])
                }
            }
        }
        let place = run.alertFingerprint != nil ? "the audit log and the alert's timeline" : "the audit log"
        out.append([Span("recorded in \(place) as \(run.id)", .muted)])
        return out
    }

    // MARK: Rendering

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 8, rect.width >= 40 else {
            canvas.put("remediation needs at least 40×8 cells", x: rect.x + 1, y: rect.y, role: .warning, maxWidth: rect.width - 1)
            return
        }
        lastNow = context.now
        canvas.put(Self.plain(headerSpans(now: context.now), context.glyphs), x: rect.x + 1, y: rect.y, maxWidth: rect.width - 2)
        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        if body.width >= 120 && body.height >= 26 {
            renderWide(into: &canvas, body, context)
        } else {
            renderStacked(into: &canvas, body, context)
        }
    }

    private var runbookTitle: String {
        guard let rb = runbook else { return "Runbook" }
        let list = candidates
        var t = "Runbook \(rb.name) · \(rb.risk.rawValue) risk · needs \(rb.role.rawValue)"
        if let i = list.firstIndex(where: { $0.name == rb.name }), !showsStoredRun {
            let fits = alert.map { rb.matches(alertName: $0.rule, labels: $0.labels) } ?? false
            t += " · \(i + 1)/\(list.count)\(fits ? " fits" : "")"
        }
        return t
    }

    private var safetyTitle: String {
        guard let v = verdict else { return "Safety" }
        if v.blockReason != nil { return "Safety · BLOCKED" }
        if v.needsApproval { return "Safety · needs approval" }
        return "Safety · allowed"
    }

    private var outputTitle: String {
        guard let run else { return "Output" }
        return "\(run.dryRun ? "Dry-run output" : "Output") · \(RunFormat.state(run.state))"
    }

    private var diagnosisTitle: String {
        diagnosis.map { "Diagnosis · \($0.source) · \(Int(($0.confidence * 100).rounded()))%" } ?? "Diagnosis"
    }

    private func renderWide(into canvas: inout Canvas, _ body: Rect, _ context: RenderContext) {
        // The boxes above take what they need (the output keeps at least a third); the output gets the rest.
        let leftWidth = body.width * 60 / 100
        let diag = diagnosisLines(width: leftWidth - 4)
        let rbCount = runbookLines(width: leftWidth - 4, focused: false, glyphs: context.glyphs).lines.count
        let safetyCount = safetyLines(width: body.width - leftWidth - 4).count
        let diagWant = min(diag.count, 8) + 2
        let topWant = max(diagWant + rbCount + 2, safetyCount + 2, 12)
        let (top, bottom) = body.splitTop(min(topWant, body.height - max(8, body.height / 3)))
        let left = Rect(x: top.x, y: top.y, width: leftWidth, height: top.height)
        let right = Rect(x: top.x + leftWidth, y: top.y, width: top.width - leftWidth, height: top.height)
        // The diagnosis gets a third of the column, and everything the runbook box does not need (with no runbook
        // fitting, that box holds one line and the evidence should not be cut for it).
        let diagHeight = max(min(diagWant, max(4, left.height / 3)), min(diagWant, left.height - (rbCount + 2)))
        let (diagRect, rbRect) = left.splitTop(diagHeight)
        drawBox(&canvas, diagRect, diagnosisTitle, diag, scroll: 0, focused: false, context)
        drawRunbook(&canvas, rbRect, context)
        drawSafety(&canvas, right, context)
        drawOutput(&canvas, bottom, context)
    }

    private func renderStacked(into canvas: inout Canvas, _ body: Rect, _ context: RenderContext) {
        let width = body.width - 4
        let diag = diagnosisLines(width: width)
        let rb = runbookLines(width: width, focused: context.focused, glyphs: context.glyphs).lines
        let safety = safetyLines(width: width)
        let output = outputLines(width: width, unicode: context.glyphs.isUnicode)
        // Desired heights (with the box), and who gets rows first: the focused box, the output of a run, the rest.
        let desired = [min(diag.count, 4) + 2, rb.count + 2, safety.count + 2, max(output.count, 3) + 2]
        var order = [1, 2, 3, 0]
        if run != nil || notice != nil { order = [3, 1, 2, 0] }
        let focusedIndex = [Section.parameters: 1, .safety: 2, .output: 3][focus] ?? 1
        order.removeAll { $0 == focusedIndex }
        order.insert(focusedIndex, at: 0)
        let heights = Self.allocate(total: body.height, desired: desired, minimum: 3, order: order)
        var y = body.y
        for (i, h) in heights.enumerated() where h > 0 {
            let r = Rect(x: body.x, y: y, width: body.width, height: h)
            switch i {
            case 0: drawBox(&canvas, r, diagnosisTitle, diag, scroll: 0, focused: false, context)
            case 1: drawRunbook(&canvas, r, context)
            case 2: drawSafety(&canvas, r, context)
            default: drawOutput(&canvas, r, context)
            }
            y += h
        }
    }

    /// Heights for boxes that want `desired` rows in `total`: each box in `order` gets `minimum` while rows last
    /// (the others are left out), then rows go to the boxes in `order` up to what they want; rows still left go
    /// to the first box of `order`.
    static func allocate(total: Int, desired: [Int], minimum: Int, order: [Int]) -> [Int] {
        var heights = Array(repeating: 0, count: desired.count)
        var left = total
        for i in order where left >= minimum {
            heights[i] = minimum
            left -= minimum
        }
        for i in order where heights[i] > 0 && left > 0 {
            let add = min(left, max(0, desired[i] - heights[i]))
            heights[i] += add
            left -= add
        }
        if left > 0, let first = order.first(where: { heights[$0] > 0 }) { heights[first] += left }
        return heights
    }

    private func drawRunbook(_ canvas: inout Canvas, _ r: Rect, _ context: RenderContext) {
        let (lines, selected) = runbookLines(width: r.width - 4, focused: context.focused && focus == .parameters, glyphs: context.glyphs)
        var scroll = 0
        if let selected, selected >= r.height - 2 { scroll = selected - (r.height - 2) + 1 }
        drawBox(&canvas, r, runbookTitle, lines, scroll: scroll, focused: context.focused && focus == .parameters, context)
    }

    private func drawSafety(_ canvas: inout Canvas, _ r: Rect, _ context: RenderContext) {
        let lines = safetyLines(width: r.width - 4)
        lastSafetyHeight = max(1, r.height - 2)
        safetyScroll = min(safetyScroll, max(0, lines.count - lastSafetyHeight))
        let role: Role = verdict?.blockReason != nil ? .critical : (verdict?.needsApproval == true ? .warning : .title)
        drawBox(&canvas, r, safetyTitle, lines, scroll: safetyScroll, focused: context.focused && focus == .safety, context, titleRole: role)
    }

    private func drawOutput(_ canvas: inout Canvas, _ r: Rect, _ context: RenderContext) {
        let (summary, lines) = outputParts(width: r.width - 4, unicode: context.glyphs.isUnicode)
        let role: Role = run.map { RunFormat.stateRole($0.state) } ?? .title
        // The summary stays in view (up to half the box); the step output scrolls below it.
        let pinned = min(summary.count, max(1, (r.height - 2) / 2))
        drawBox(&canvas, r, outputTitle, Array(summary.prefix(pinned)), scroll: 0, focused: context.focused && focus == .output, context,
                titleRole: role == .muted || role == .text ? .title : role)
        let body = Rect(x: r.x, y: r.y + pinned, width: r.width, height: r.height - pinned)
        lastOutputHeight = max(1, body.height - 2)
        let scroll = min(outputScroll ?? Int.max, max(0, lines.count - lastOutputHeight))
        let inner = body.inset(1)
        for (i, line) in lines.dropFirst(scroll).prefix(inner.height).enumerated() {
            canvas.put(Self.plain(line, context.glyphs), x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 2)
        }
        let below = lines.count - scroll - inner.height
        if scroll > 0 || below > 0 {
            var text = scroll > 0 ? "\(scroll) above" : ""
            if below > 0 { text += (text.isEmpty ? "" : ", ") + "\(below) more" }
            text = " " + text + " "
            if TextWidth.of(text) + 4 < r.width { canvas.put(text, x: r.maxX - TextWidth.of(text) - 2, y: r.maxY - 1, role: .muted) }
        }
    }

    /// `spans` with ASCII marks on a terminal without UTF-8.
    static func plain(_ spans: [Span], _ glyphs: Glyphs) -> [Span] {
        glyphs.isUnicode ? spans : spans.map { Span(RunFormat.ascii($0.text), $0.role, $0.attributes) }
    }

    /// A box with `lines` from `scroll`; a `more` count in the bottom border when some are cut.
    private func drawBox(_ canvas: inout Canvas, _ r: Rect, _ title: String, _ lines: [[Span]], scroll: Int, focused: Bool,
                         _ context: RenderContext, titleRole: Role = .title) {
        guard r.height >= 2 else { return }
        let unicode = context.glyphs.isUnicode
        canvas.box(r, title: unicode ? title : RunFormat.ascii(title), role: focused ? .borderFocus : .border, titleRole: titleRole)
        let inner = r.inset(1)
        let start = max(0, min(scroll, max(0, lines.count - inner.height)))
        for (i, line) in lines.dropFirst(start).prefix(inner.height).enumerated() {
            canvas.put(Self.plain(line, context.glyphs), x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 2)
        }
        let below = lines.count - start - inner.height
        if start > 0 || below > 0 {
            var text = ""
            if start > 0 { text += "\(start) above" }
            if below > 0 { text += (text.isEmpty ? "" : ", ") + "\(below) more" }
            text = " " + text + " "
            if TextWidth.of(text) + 4 < r.width { canvas.put(text, x: r.maxX - TextWidth.of(text) - 2, y: r.maxY - 1, role: .muted) }
        }
    }
}

/// Line wrapping for the remediation panes.
enum Wrap {
    /// `text` in lines of at most `width` columns, broken at spaces (a longer word is cut).
    static func words(_ text: String, width: Int) -> [String] {
        guard width > 0, TextWidth.of(text) > width else { return [text] }
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let w = String(word)
            if current.isEmpty {
                current = w
            } else if TextWidth.of(current) + 1 + TextWidth.of(w) <= width {
                current += " " + w
            } else {
                lines.append(current)
                current = w
            }
            while TextWidth.of(current) > width {
                let head = hard(current, width: width)
                lines.append(head[0])
                current = head.dropFirst().joined()
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    /// `text` cut every `width` columns.
    static func hard(_ text: String, width: Int) -> [String] {
        guard width > 0, TextWidth.of(text) > width else { return [text] }
        var out: [String] = []
        var current = ""
        var used = 0
        for ch in text {
            let w = TextWidth.of(ch)
            if used + w > width {
                out.append(current)
                current = ""
                used = 0
            }
            current.append(ch)
            used += w
        }
        if !current.isEmpty { out.append(current) }
        return out
    }
}
