import VigilCore

/// A run as a table row.
struct RunRow: Identifiable {
    let run: RemediationRun
    var id: String { run.id }
}

/// A runbook as a table row.
struct RunbookRow: Identifiable {
    let runbook: Runbook
    var id: String { runbook.name }
}

/// Remediation at a glance (`:runbooks`): the approvals queue (`y` approves, `N` rejects with a reason), the
/// running and past runs with their outcome (`Enter` opens one with its output, `x` cancels a live one), and the
/// catalogue (`Enter` describes a runbook). `Tab` moves between the three tables.
final class RunbooksPane: Pane {
    enum Section: Int, CaseIterable {
        case approvals, runs, catalogue

        var name: String {
            switch self {
            case .approvals: "Approvals"
            case .runs: "Runs"
            case .catalogue: "Catalogue"
            }
        }
    }

    let title = "runbooks"
    let user: VigilUser
    let catalog: RunbookCatalog
    let readOnly: Bool
    let approvals: TableView<RunRow>
    let runs: TableView<RunRow>
    let catalogue: TableView<RunbookRow>
    private(set) var snapshot: RunsSnapshot?
    private(set) var active: [StoredAlert] = []
    private(set) var focus: Section = .runs
    private var lastNow: Int64 = 0

    init(user: VigilUser, catalog: RunbookCatalog, readOnly: Bool = false) {
        self.user = user
        self.catalog = catalog
        self.readOnly = readOnly
        let search: (RunRow) -> [String] = { r in
            [r.run.id, r.run.runbook, r.run.host, r.run.state.rawValue, RunFormat.state(r.run.state), r.run.requestedBy,
             r.run.approvedBy ?? "", r.run.alertName ?? "", r.run.message] + (r.run.dryRun ? ["dry"] : [])
        }
        approvals = TableView(columns: Self.approvalColumns(catalog: catalog), emptyMessage: "no runs waiting for approval", searchStrings: search)
        runs = TableView(columns: Self.runColumns(), emptyMessage: "no runs in the last 7 days", searchStrings: search)
        catalogue = TableView(columns: Self.catalogueColumns(), emptyMessage: "no runbooks (runbooks/ and ~/.config/vigil/runbooks)") { r in
            [r.runbook.name, r.runbook.risk.rawValue, r.runbook.description]
        }
        runs.changeSignature = { "\($0.run.state.rawValue)|\($0.run.lastSeq)" }
        catalogue.setRows(catalog.runbooks.map(RunbookRow.init))
    }

    var pollInterest: PollInterest { PollInterest(runs: true) }
    var rowNoun: String { focus == .catalogue ? "runbook" : "run" }
    var knownHosts: [String] { Array(Set(runs.rows.map(\.run.host))) }
    var filterText: String { focusedFilterText }

    private var focusedFilterText: String {
        switch focus {
        case .approvals: approvals.filterText
        case .runs: runs.filterText
        case .catalogue: catalogue.filterText
        }
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        switch focus {
        case .approvals: (try approvals.setFilter(text), approvals.rows.count)
        case .runs: (try runs.setFilter(text), runs.rows.count)
        case .catalogue: (try catalogue.setFilter(text), catalogue.rows.count)
        }
    }

    func focusNext() -> Bool {
        focus = Section(rawValue: (focus.rawValue + 1) % Section.allCases.count)!
        return true
    }

    // MARK: Actions shared with the remediation pane

    /// `y`: approving starts the run, so it is confirmed; a high-risk runbook wants the host name typed.
    static func approve(_ run: RemediationRun, catalog: RunbookCatalog) -> Reaction {
        guard run.state == .awaitingApproval || run.state == .proposed else {
            return .message("\(run.id) is \(RunFormat.state(run.state)): nothing to approve", isError: false)
        }
        let steps = run.job.steps.count
        let risk = catalog.runbook(named: run.runbook)?.risk
        let approve = Reaction.remediate(.approve(runID: run.id))
        if risk == .high {
            return .prompt("approve \(run.runbook) on \(run.host) (HIGH risk): type the host name (\(run.host)): ", initial: "") { typed in
                typed.trimmingCharacters(in: .whitespaces) == run.host ? approve : .message("not approved: you typed '\(typed)', not \(run.host)", isError: true)
            }
        }
        return .confirm("approve \(run.id): \(run.runbook) on \(run.host), \(steps) steps\(risk.map { ", \($0.rawValue) risk" } ?? "")? It runs at once", approve)
    }

    /// `N`: a rejection needs a reason, asked on the command line.
    static func reject(_ run: RemediationRun) -> Reaction {
        guard run.state == .awaitingApproval || run.state == .proposed else {
            return .message("\(run.id) is \(RunFormat.state(run.state)): nothing to reject", isError: false)
        }
        return .prompt("reject \(run.id) (\(run.runbook) on \(run.host)), reason: ", initial: "") { reason in
            let r = reason.trimmingCharacters(in: .whitespaces)
            return r.isEmpty ? .message("not rejected: a rejection needs a reason", isError: true) : .remediate(.reject(runID: run.id, reason: r))
        }
    }

    private func open(_ run: RemediationRun) -> Reaction {
        let alert = run.alertFingerprint.flatMap { fp in active.first { $0.fingerprint == fp } }
        return .push(RemediationPane(run: run, alert: alert, user: user, catalog: catalog, readOnly: readOnly))
    }

    var keyMap: KeyMap {
        let section = "Runbooks"
        var own: [KeyAction] = []
        let tableKeys: [KeyAction]
        switch focus {
        case .approvals:
            own = [
                KeyAction([.char("y")], "approve", section: section, dangerous: true) { [self] in
                    guard let row = approvals.selected else { return .message("no run waiting for approval", isError: false) }
                    return Self.approve(row.run, catalog: catalog)
                },
                KeyAction([.char("N")], "reject", section: section, dangerous: true) { [self] in
                    guard let row = approvals.selected else { return .message("no run waiting for approval", isError: false) }
                    return Self.reject(row.run)
                },
                KeyAction([.enter, .char("l"), .right], "open run", section: section) { [self] in
                    approvals.selected.map { open($0.run) } ?? .message("no run selected", isError: false)
                },
            ]
            tableKeys = approvals.keyActions(section: section)
        case .runs:
            own = [
                KeyAction([.enter, .char("l"), .right], "open run", section: section) { [self] in
                    runs.selected.map { open($0.run) } ?? .message("no run selected", isError: false)
                },
                KeyAction([.char("x")], "cancel run", section: section, dangerous: true) { [self] in
                    guard let run = runs.selected?.run else { return .message("no run selected", isError: false) }
                    guard !run.state.isFinal else { return .message("\(run.id) already ended (\(RunFormat.state(run.state)))", isError: false) }
                    return .confirm("cancel \(run.id): \(run.runbook) on \(run.host), \(RunFormat.state(run.state))?",
                                    .remediate(.cancel(runID: run.id)))
                },
            ]
            tableKeys = runs.keyActions(section: section)
        case .catalogue:
            own = [
                KeyAction([.enter, .char("l"), .right], "describe", section: section) { [self] in
                    guard let rb = catalogue.selected?.runbook else { return .message("no runbook selected", isError: false) }
                    return .push(TextPane(title: rb.name, text: RunbookText.describe(rb)))
                },
            ]
            tableKeys = catalogue.keyActions(section: section)
        }
        own.append(KeyAction([.tab], "next table", section: section) { [self] in
            _ = focusNext()
            return .redraw
        })
        return KeyMap(own).merged(over: KeyMap(tableKeys))
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .runs(let s):
            // The first time, a waiting approval is what the operator came for.
            if snapshot == nil && !s.approvals.isEmpty { focus = .approvals }
            snapshot = s
            lastNow = now
            approvals.setRows(s.approvals.map(RunRow.init), now: now)
            runs.setRows(s.recent.map(RunRow.init), now: now)
            return true
        case .alerts(let s):
            active = s.active
            return false
        case .remediation(.transitioned):
            return false
        default:
            return false
        }
    }

    /// "6 runbooks · 2 awaiting approval · 1 running · 14 runs in 7 days: 9 succeeded, 2 failed".
    func headerSpans() -> [Span] {
        var spans = [Span("\(catalog.runbooks.count) runbooks", .text, [.bold])]
        if !catalog.errors.isEmpty {
            spans += [Span("   "), Span("\(catalog.errors.count) runbook file \(catalog.errors.count == 1 ? "error" : "errors"): \(catalog.errors[0])", .critical, [.bold])]
        }
        guard let s = snapshot else { return spans + [Span("   loading runs…", .muted)] }
        spans += [Span("   "), Span("\(s.approvals.count) awaiting approval", s.approvals.isEmpty ? .muted : .warning, s.approvals.isEmpty ? [] : [.bold])]
        let live = s.recent.filter { $0.state.isInFlight }.count
        spans += [Span("   "), Span("\(live) running", live > 0 ? .info : .muted)]
        let succeeded = s.recent.filter { $0.state == .succeeded }.count
        let failed = s.recent.filter { $0.state.isFailure || $0.state == .preconditionFailed }.count
        spans += [Span("   \(s.recent.count) \(s.recent.count == 1 ? "run" : "runs") in 7 days", .muted)]
        if !s.recent.isEmpty {
            spans += [Span(": ", .muted), Span("\(succeeded) succeeded", .ok), Span(", ", .muted), Span("\(failed) failed", failed > 0 ? .critical : .muted)]
        }
        return spans
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 5 else { return }
        canvas.put(headerSpans(), x: rect.x + 1, y: rect.y, maxWidth: rect.width - 2)
        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        let wantApprovals = max(1, approvals.rows.count) + 3
        let wantCatalogue = max(1, catalogue.rows.count) + 3
        var heights: [Section: Int] = [:]
        if body.height < 14 {
            heights[focus] = body.height
        } else {
            heights[.approvals] = min(wantApprovals, max(4, body.height / 4))
            heights[.catalogue] = min(wantCatalogue, max(4, body.height / 3))
            heights[.runs] = body.height - heights[.approvals]! - heights[.catalogue]!
        }
        var y = body.y
        for section in Section.allCases {
            guard let h = heights[section], h >= 3 else { continue }
            let r = Rect(x: body.x, y: y, width: body.width, height: h)
            y += h
            let focused = context.focused && focus == section
            let inner = r.inset(1)
            switch section {
            case .approvals:
                canvas.box(r, title: "Approvals" + approvals.countTitle + (focused ? " · y approve  N reject" : ""),
                           role: focused ? .borderFocus : .border, titleRole: approvals.rows.isEmpty ? .title : .warning)
                approvals.render(orWaiting: snapshot != nil, error: nil, into: &canvas, in: inner, focused: focused, now: context.now)
            case .runs:
                canvas.box(r, title: "Runs" + runs.countTitle + (focused ? " · Enter output  x cancel" : ""), role: focused ? .borderFocus : .border)
                runs.render(orWaiting: snapshot != nil, error: nil, into: &canvas, in: inner, focused: focused, now: context.now)
            case .catalogue:
                canvas.box(r, title: "Catalogue" + catalogue.countTitle, role: focused ? .borderFocus : .border)
                catalogue.render(into: &canvas, in: inner, focused: focused, now: context.now)
            }
        }
    }

    // MARK: Columns

    private static func ago(_ ms: Int64, _ now: Int64) -> String { Format.age(now - ms) }

    static func runColumns() -> [TableColumn<RunRow>] {
        [
            .text("ID", width: 16, priority: 60, role: { _ in .muted }) { $0.run.id },
            .text("RUNBOOK", width: 12, flexible: true, maxWidth: 22, priority: 100) { $0.run.runbook + ($0.run.dryRun ? " (dry)" : "") },
            .text("HOST", width: 8, flexible: true, maxWidth: 16, priority: 95) { $0.run.host },
            .text("STATE", width: 11, flexible: true, maxWidth: 17, priority: 99, role: { RunFormat.stateRole($0.run.state) }) { RunFormat.state($0.run.state) },
            .text("ALERT", width: 8, flexible: true, maxWidth: 18, priority: 50) { $0.run.alertName ?? "-" },
            .text("BY", width: 8, flexible: true, maxWidth: 14, priority: 55) { r in
                r.run.approvedBy.map { "\(r.run.requestedBy)→\($0)" } ?? r.run.requestedBy
            },
            TableColumn("AGE", width: 4, alignRight: true, priority: 90) { row, c in [Span(ago(row.run.createdAt, c.now), .muted)] },
            TableColumn("TOOK", width: 7, alignRight: true, priority: 45) { row, c in
                [Span(row.run.dispatchedAt == nil ? "-" : RunFormat.duration(row.run, now: c.now), .muted)]
            },
            .text("MESSAGE", width: 10, flexible: true, priority: 40) { $0.run.message },
        ]
    }

    static func approvalColumns(catalog: RunbookCatalog) -> [TableColumn<RunRow>] {
        [
            .text("ID", width: 16, priority: 60, role: { _ in .muted }) { $0.run.id },
            .text("RUNBOOK", width: 12, flexible: true, maxWidth: 24, priority: 100) { $0.run.runbook },
            .text("RISK", width: 6, priority: 90, role: { r in catalog.runbook(named: r.run.runbook).map { RunFormat.riskRole($0.risk) } ?? .muted }) {
                catalog.runbook(named: $0.run.runbook)?.risk.rawValue ?? "?"
            },
            .text("HOST", width: 8, flexible: true, maxWidth: 16, priority: 95) { $0.run.host },
            .text("ALERT", width: 8, flexible: true, maxWidth: 18, priority: 70) { $0.run.alertName ?? "-" },
            .text("MODE", width: 7, priority: 40, role: { _ in .muted }) { $0.run.mode?.rawValue ?? "manual" },
            TableColumn("WAITING", width: 7, alignRight: true, priority: 80) { row, c in [Span(ago(row.run.createdAt, c.now), .warning)] },
            .text("WHY", width: 10, flexible: true, priority: 50) { $0.run.message },
        ]
    }

    static func catalogueColumns() -> [TableColumn<RunbookRow>] {
        [
            .text("NAME", width: 12, flexible: true, maxWidth: 24, priority: 100, ascending: { $0.runbook.name < $1.runbook.name }) { $0.runbook.name },
            .text("RISK", width: 6, priority: 90, role: { RunFormat.riskRole($0.runbook.risk) },
                  ascending: { ($0.runbook.risk, $0.runbook.name) < ($1.runbook.risk, $1.runbook.name) }) { $0.runbook.risk.rawValue },
            .text("ROLE", width: 8, priority: 40, role: { _ in .muted }) { $0.runbook.role.rawValue },
            .text("STEPS", width: 5, alignRight: true, priority: 30) { "\($0.runbook.steps.count)" },
            .text("FITS", width: 10, flexible: true, maxWidth: 40, priority: 60, role: { _ in .muted }) { r in
                r.runbook.matches.map { m in
                    ([m.alert.map { $0.description }].compactMap { $0 } + m.labels.map(\.description)).joined(separator: " ")
                }.joined(separator: "; ")
            },
            .text("DESCRIPTION", width: 10, flexible: true, priority: 50) { $0.runbook.description },
        ]
    }
}

/// A read-only text overlay (a runbook's definition): `j` `k` scroll, `Esc` closes.
final class TextPane: Pane {
    let title: String
    let lines: [String]
    private(set) var scroll = 0
    private var lastHeight = 10

    init(title: String, text: String) {
        self.title = title
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    var isOverlay: Bool { true }

    var keyMap: KeyMap {
        KeyMap([
            KeyAction([.escape, .char("q")], "close", section: title) { .pop },
            KeyAction([.char("j"), .down], "scroll down", section: title, shownInHints: false) { [self] in
                scroll = min(scroll + 1, max(0, lines.count - lastHeight))
                return .redraw
            },
            KeyAction([.char("k"), .up], "scroll up", section: title, shownInHints: false) { [self] in
                scroll = max(0, scroll - 1)
                return .redraw
            },
        ])
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        let width = min(rect.width - 4, 120)
        let height = min(rect.height - 2, lines.count + 2)
        guard width >= 20, height >= 3 else { return }
        let box = Rect(x: rect.x + (rect.width - width) / 2, y: rect.y + (rect.height - height) / 2, width: width, height: height)
        canvas.fill(box)
        canvas.box(box, title: "\(title) (Esc closes)", role: .borderFocus)
        let inner = box.inset(1)
        lastHeight = inner.height
        scroll = min(scroll, max(0, lines.count - inner.height))
        for (i, line) in lines.dropFirst(scroll).prefix(inner.height).enumerated() {
            canvas.put(context.glyphs.isUnicode ? line : RunFormat.ascii(line), x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 2)
        }
    }
}
