import VigilCore

/// Picks a runbook from the catalogue (`c` in the remediation pane): the ones fitting the alert first, marked
/// `fits`, then the rest; risk and description on each line. `j` `k` move, `Enter` chooses, `Esc` cancels.
final class RunbookPickerPane: Pane {
    let entries: [(runbook: Runbook, fits: Bool)]
    private(set) var selected = 0
    private let choose: (String) -> Reaction

    init(catalog: RunbookCatalog, fitting: [String], current: String?, choose: @escaping (String) -> Reaction) {
        let fit = fitting.compactMap { catalog.runbook(named: $0) }.map { ($0, true) }
        let rest = catalog.runbooks.filter { !fitting.contains($0.name) }.map { ($0, false) }
        entries = fit + rest
        self.choose = choose
        selected = entries.firstIndex { $0.runbook.name == current } ?? 0
    }

    var title: String { "runbooks" }
    var isOverlay: Bool { true }

    var keyMap: KeyMap {
        let section = "Choose a runbook"
        return KeyMap([
            KeyAction([.enter], "choose", section: section) { [self] in
                entries.isEmpty ? .pop : choose(entries[selected].runbook.name)
            },
            KeyAction([.char("j"), .down], "down", section: section, shownInHints: false) { [self] in
                selected = min(selected + 1, max(0, entries.count - 1))
                return .redraw
            },
            KeyAction([.char("k"), .up], "up", section: section, shownInHints: false) { [self] in
                selected = max(0, selected - 1)
                return .redraw
            },
            KeyAction([.escape, .char("q")], "cancel", section: section) { .pop },
        ])
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        let width = min(rect.width - 4, 110)
        let height = min(rect.height - 2, max(entries.count, 1) + 2)
        guard width >= 30, height >= 3 else { return }
        let box = Rect(x: rect.x + (rect.width - width) / 2, y: rect.y + (rect.height - height) / 2, width: width, height: height)
        canvas.fill(box)
        canvas.box(box, title: "Choose a runbook (Enter chooses, Esc cancels)", role: .borderFocus)
        let inner = box.inset(1)
        guard !entries.isEmpty else {
            canvas.put("the catalogue is empty (runbooks/ and ~/.config/vigil/runbooks)", x: inner.x + 1, y: inner.y, role: .muted, maxWidth: inner.width - 2)
            return
        }
        let nameWidth = min(24, (entries.map { $0.runbook.name.count }.max() ?? 10) + 1)
        let first = max(0, min(selected - inner.height + 1, entries.count - inner.height))
        for (row, i) in (first..<min(entries.count, first + inner.height)).enumerated() {
            let (rb, fits) = entries[i]
            let y = inner.y + row
            let mark = i == selected ? context.glyphs.selectionMarker : " "
            canvas.put([Span(mark + " "), Span(TextWidth.fit(rb.name, to: nameWidth), .text, [.bold]),
                        Span(TextWidth.fit(rb.risk.rawValue, to: 7), RunFormat.riskRole(rb.risk)),
                        Span(fits ? "fits " : "     ", .ok), Span(rb.description, .muted)],
                       x: inner.x, y: y, maxWidth: inner.width - 1)
            if i == selected && context.focused { canvas.restyle(Rect(x: inner.x, y: y, width: inner.width, height: 1), role: .selection) }
        }
    }
}
