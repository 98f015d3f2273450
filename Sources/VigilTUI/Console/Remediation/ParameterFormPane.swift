import VigilCore

/// The small form that edits a runbook's parameters before a run, like the silence form: one line per parameter,
/// prefilled with the values in force; the focused one's description, kind and default below. `Tab`/`↓` and
/// `S-Tab`/`↑` move, `Enter` checks every value (as the server will) and re-plans, `Esc` cancels. It takes every
/// key while open.
final class ParameterFormPane: Pane {
    let runbook: Runbook
    let host: String
    private(set) var editors: [LineEditor]
    private(set) var focus = 0
    private(set) var error: String?
    private let apply: ([String: String]) -> Reaction

    init(runbook: Runbook, host: String, values: [String: String], focus: String?, apply: @escaping ([String: String]) -> Reaction) {
        self.runbook = runbook
        self.host = host
        self.apply = apply
        editors = runbook.parameters.map { LineEditor(prompt: "", text: values[$0.name] ?? "") }
        self.focus = focus.flatMap { name in runbook.parameters.firstIndex { $0.name == name } } ?? 0
    }

    var title: String { "parameters" }
    var isOverlay: Bool { true }
    var capturesTyping: Bool { true }

    /// The typed values by parameter name.
    var values: [String: String] {
        Dictionary(uniqueKeysWithValues: zip(runbook.parameters.map(\.name), editors.map { $0.text.trimmingCharacters(in: .whitespaces) }))
    }

    var keyMap: KeyMap {
        let section = "Parameters"
        let n = max(1, editors.count)
        return KeyMap([
            KeyAction([.enter], "apply and re-check", section: section) { [self] in submit() },
            KeyAction([.tab, .down], "next field", section: section) { [self] in
                focus = (focus + 1) % n
                return .redraw
            },
            KeyAction([.backTab, .up], "previous field", section: section, shownInHints: false) { [self] in
                focus = (focus + n - 1) % n
                return .redraw
            },
            KeyAction([.escape], "cancel", section: section) { .pop },
        ])
    }

    func handleUnmapped(_ key: Key) -> Reaction {
        guard editors.indices.contains(focus) else { return .ignored }
        var editor = editors[focus]
        let event = editor.handle(key)
        editors[focus] = editor
        if event == .edited { error = nil }
        return event == .ignored ? .ignored : .redraw
    }

    /// Checks the values the way the server will; a bad one keeps the form open and says why.
    func submit() -> Reaction {
        do {
            _ = try RunbookRenderer.resolve(runbook, explicit: values)
        } catch {
            if let i = runbook.parameters.firstIndex(where: { $0.name == error.parameter }) { focus = i }
            self.error = "\(error.parameter): \(error.message)"
            return .message(self.error!, isError: true)
        }
        return apply(values)
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        let params = runbook.parameters
        let width = min(rect.width - 4, 96)
        let fieldRows = min(params.count, max(1, rect.height - 7))
        let height = fieldRows + 6
        guard width >= 36, rect.height >= 8 else { return }
        let box = Rect(x: rect.x + (rect.width - width) / 2, y: rect.y + max(0, (rect.height - height) / 2), width: width, height: min(height, rect.height))
        canvas.fill(box)
        canvas.box(box, title: "\(runbook.name) on \(host): parameters (Enter applies, Esc cancels)", role: .borderFocus)
        let inner = box.inset(1)
        let labelWidth = min(22, (params.map { $0.name.count }.max() ?? 8) + 2)
        let fieldWidth = inner.width - labelWidth - 3
        let first = max(0, min(focus - fieldRows + 1, params.count - fieldRows))
        for (row, i) in (first..<min(params.count, first + fieldRows)).enumerated() {
            let y = inner.y + 1 + row
            let focused = i == focus
            let label = params[i].name + (params[i].required ? "*" : "")
            canvas.put(label, x: inner.x + 1, y: y, role: focused ? .title : .muted, attributes: focused ? [.bold] : [], maxWidth: labelWidth)
            let x = inner.x + 1 + labelWidth
            canvas.fill(Rect(x: x, y: y, width: fieldWidth, height: 1), role: .command)
            let editor = editors[i]
            let skip = max(0, editor.cursor - fieldWidth + 1)
            canvas.put(String(editor.text.dropFirst(skip)), x: x, y: y, role: .command, maxWidth: fieldWidth)
            if focused && context.focused {
                let cx = x + TextWidth.of(String(editor.text.prefix(editor.cursor).dropFirst(skip)))
                if cx < x + fieldWidth { canvas.restyle(Rect(x: cx, y: y, width: 1, height: 1), role: .selection, attributes: [.reverse]) }
            }
        }
        guard params.indices.contains(focus) else { return }
        let p = params[focus]
        var about = "\(p.kind.rawValue)"
        if let d = p.defaultValue, !d.isEmpty { about += " · default \(d)" }
        if let min = p.min { about += " · min \(min)" }
        if let max = p.max { about += " · max \(max)" }
        if let label = p.fromLabel { about += " · from the alert's \(label) label" }
        if p.required { about += " · required" }
        canvas.put([Span(p.description.isEmpty ? p.name : p.description)], x: inner.x + 1, y: inner.maxY - 3, maxWidth: inner.width - 2)
        canvas.put([Span(about, .muted)], x: inner.x + 1, y: inner.maxY - 2, maxWidth: inner.width - 2)
        let note = error.map { [Span($0, .error)] } ?? [Span("empty leaves an optional parameter out · values are checked before anything runs", .muted)]
        canvas.put(note, x: inner.x + 1, y: inner.maxY - 1, maxWidth: inner.width - 2)
    }
}
