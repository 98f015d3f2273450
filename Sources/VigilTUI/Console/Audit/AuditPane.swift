import VigilCore

/// The audit log (`:audit`): who did what to what and when, newest first, with the chain's state on top (intact, or
/// TAMPERED and why: `vigil audit verify`'s check, at most a minute old). `u` filters by user, `a` by action (exact,
/// or a prefix ending in `.` such as `token.`), `t` cycles the time range, `v` checks the chain now; `/` filters the
/// rows shown. The selected entry is shown in full below the table.
final class AuditPane: Pane {
    private(set) var interest = AuditInterest(range: .d7)
    let table: TableView<AuditEntryRow>
    private(set) var snapshot: AuditSnapshot?
    private var lastError: String?

    init() {
        table = TableView(columns: AuditPane.columns(), sortColumn: 0, sortDescending: true, emptyMessage: "no audit entries") { row in
            [row.entry.actor, row.entry.action, row.entry.target, row.entry.detail]
        }
    }

    var title: String { "audit" }
    var rowNoun: String { "entry" }
    var filterText: String { table.filterText }

    var pollInterest: PollInterest {
        var p = PollInterest()
        p.audit = interest
        return p
    }

    var keyMap: KeyMap {
        let section = "Audit"
        let own = [
            KeyAction([.char("u")], "user", section: section) { [self] in
                .prompt("only this user's actions (empty: everyone): ", initial: interest.user ?? "") { [self] text in
                    let t = text.trimmingCharacters(in: .whitespaces)
                    interest.user = t.isEmpty ? nil : t
                    return .refreshNow
                }
            },
            KeyAction([.char("a")], "action", section: section) { [self] in
                .prompt("only this action (token.create), or a prefix ending in a dot (alert.): ", initial: interest.action ?? "") { [self] text in
                    let t = text.trimmingCharacters(in: .whitespaces)
                    interest.action = t.isEmpty ? nil : t
                    return .refreshNow
                }
            },
            KeyAction([.char("v")], "verify now", section: section) { [self] in
                interest.verifyRequest += 1
                return .refreshNow
            },
        ] + KeyAction.rangeCycle(section: section) { [self] in interest.range = interest.range.cycled($0) }
        return KeyMap(own).merged(over: KeyMap(table.keyActions(section: section)))
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        (try table.setFilter(text), table.rows.count)
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .audit(let s):
            guard s.interest.user == interest.user, s.interest.action == interest.action, s.interest.range == interest.range else { return false }
            snapshot = s
            lastError = nil
            table.emptyMessage = "no audit entries" + (interest.user.map { " by \($0)" } ?? "") + (interest.action.map { " for \($0)" } ?? "")
                + (interest.range == .all ? "" : " in the last \(interest.range.label) (t: a longer range)")
            table.setRows(s.entries.map(AuditEntryRow.init), now: now)
            return true
        case .auditError(let text):
            lastError = text
            return true
        default:
            return false
        }
    }

    // MARK: Rendering

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 4 else { return }
        let (top, rest) = rect.splitTop(2)
        renderSummary(into: &canvas, in: top, now: context.now)
        var boxTitle = "Audit log · last \(interest.range.label)"
        if interest.range == .all { boxTitle = "Audit log" }
        if let u = interest.user { boxTitle += " · user \(u)" }
        if let a = interest.action { boxTitle += " · action \(a)" }
        if snapshot != nil { boxTitle += table.filterText.isEmpty ? " (\(table.rows.count == AuditFetcher.limit ? "newest \(AuditFetcher.limit)" : "\(table.rows.count)"))" : table.countTitle }
        canvas.box(rest, title: boxTitle, role: context.focused ? .borderFocus : .border)
        let inner = rest.inset(1)
        guard snapshot != nil else {
            canvas.put(lastError.map { "error: \($0)" } ?? "reading the audit log…", x: inner.x + 1, y: inner.y,
                       role: lastError == nil ? .muted : .error, maxWidth: inner.width - 1)
            return
        }
        var tableRect = inner
        if inner.height >= 10, let row = table.selected {
            let e = row.entry
            let lines = ["#\(e.id) \(LogsFormat.dateTime(e.ts, seconds: true)) \(e.actor) \(e.action) \(e.target)",
                         e.detail.isEmpty ? "(no detail)" : e.detail,
                         "hash \(e.hash.prefix(16))… after \(e.prevHash.prefix(16))…"]
            let (upper, detail) = inner.splitBottom(lines.count + 1)
            tableRect = upper
            canvas.fill(Rect(x: detail.x, y: detail.y, width: detail.width, height: 1), canvas.glyphs.horizontal, role: .border)
            for (i, text) in lines.enumerated() {
                canvas.put(text, x: detail.x + 1, y: detail.y + 1 + i, role: i == 2 ? .muted : .text, maxWidth: detail.width - 2)
            }
        }
        table.render(into: &canvas, in: tableRect, focused: context.focused, now: context.now)
    }

    /// The chain's state: `chain intact: …` (ok colour) or `TAMPERED: …` (critical), with when it was checked.
    private func renderSummary(into canvas: inout Canvas, in rect: Rect, now: Int64) {
        var x = rect.x + 1
        // Narrow: the range is in the box's title; the chain's state needs the room.
        for r in AuditRange.allCases where rect.width >= 120 {
            let text = " \(r.label) "
            canvas.put(text, x: x, y: rect.y, role: r == interest.range ? .selection : .muted)
            x += TextWidth.of(text) + 1
        }
        guard let check = snapshot?.check else {
            canvas.put("checking the chain…", x: x + 2, y: rect.y, role: .muted, maxWidth: rect.width - x - 2)
            return
        }
        let age = snapshot?.checkedAt.map { " · checked \(Format.age(now - $0)) ago (v: now)" } ?? ""
        let text: String
        if check.isIntact {
            text = "chain intact · \(check.entries) entries, every hash matches"
                + (check.anchorPath == nil ? "" : check.anchors == 0 ? " · no anchor yet" : " · \(check.anchors) anchors match")
        } else {
            text = "TAMPERED · " + check.problems[0] + (check.problems.count > 1 ? " (+\(check.problems.count - 1) more)" : "")
        }
        x = rect.width >= 120 ? x + 2 : rect.x + 1
        canvas.put(text + age, x: x, y: rect.y, role: check.isIntact ? .ok : .critical,
                   attributes: check.isIntact ? [] : [.bold], maxWidth: rect.x + rect.width - x - 1)
    }

    static func columns() -> [TableColumn<AuditEntryRow>] {
        [
            .text("ID", width: 6, alignRight: true, priority: 50, ascending: { $0.entry.id < $1.entry.id }) { String($0.entry.id) },
            .text("TIME", width: 19, priority: 90, role: { _ in .muted }, ascending: { $0.entry.id < $1.entry.id }) {
                LogsFormat.dateTime($0.entry.ts, seconds: true)
            },
            .text("USER", width: 10, priority: 95, ascending: { $0.entry.actor < $1.entry.actor }) { $0.entry.actor },
            .text("ACTION", width: 16, priority: 100, ascending: { $0.entry.action < $1.entry.action }) { $0.entry.action },
            .text("TARGET", width: 14, flexible: true, maxWidth: 40, priority: 70, ascending: { $0.entry.target < $1.entry.target }) { $0.entry.target },
            .text("DETAIL", width: 20, flexible: true, priority: 60) { $0.entry.detail },
        ]
    }
}

/// A row of the audit table.
struct AuditEntryRow: Identifiable, Equatable {
    var entry: AuditEntry
    var id: Int64 { entry.id }
}
