/// The `?` overlay: every action of the merged key map of the pane below (grouped by section), then the
/// `:` commands. Generated from the same map as the hint line.
final class HelpPane: Pane {
    let title = "help"
    /// The merged map it documents.
    let documented: KeyMap
    private(set) var scroll = 0
    private var lastBodyHeight = 10

    init(documenting map: KeyMap) {
        documented = map
    }

    var isOverlay: Bool { true }

    var keyMap: KeyMap {
        KeyMap([
            KeyAction([.escape, .char("?"), .char("q")], "close help", section: "Help") { .pop },
            KeyAction([.char("j"), .down], "scroll down", section: "Help", shownInHints: false) { [self] in
                scroll = min(scroll + 1, max(0, lines().count - lastBodyHeight))
                return .redraw
            },
            KeyAction([.char("k"), .up], "scroll up", section: "Help", shownInHints: false) { [self] in
                scroll = max(0, scroll - 1)
                return .redraw
            },
            KeyAction([.pageDown, .char(" ")], "page down", section: "Help", shownInHints: false) { [self] in
                scroll = min(scroll + lastBodyHeight, max(0, lines().count - lastBodyHeight))
                return .redraw
            },
            KeyAction([.pageUp], "page up", section: "Help", shownInHints: false) { [self] in
                scroll = max(0, scroll - lastBodyHeight)
                return .redraw
            },
        ])
    }

    /// The overlay's text lines (key column, description), section headers first in each group.
    func lines() -> [[Span]] {
        var out: [[Span]] = []
        var sections: [String] = []
        for action in documented.actions where !sections.contains(action.section) {
            sections.append(action.section)
        }
        let keyWidth = max(12, documented.actions.map { TextWidth.of($0.keyLabel) }.max() ?? 0) + 2
        for section in sections {
            if !out.isEmpty { out.append([]) }
            out.append([Span(section.isEmpty ? "Keys" : section, .title, [.bold])])
            for action in documented.actions where action.section == section {
                var line = [Span("  " + TextWidth.fit(action.keyLabel, to: keyWidth), .hintKey, [.bold]), Span(action.title)]
                if action.dangerous { line.append(Span(" (changes things)", .warning)) }
                out.append(line)
            }
        }
        out.append([])
        out.append([Span("Commands", .title, [.bold])])
        for (command, text) in CommandParser.usage {
            out.append([Span("  " + TextWidth.fit(command, to: keyWidth), .hintKey, [.bold]), Span(text)])
        }
        out.append([])
        out.append([Span("Filter", .title, [.bold])])
        out.append([Span("  " + TextWidth.fit("/regex", to: keyWidth), .hintKey), Span("show matching rows (name, labels k=v)")])
        out.append([Span("  " + TextWidth.fit("/!regex", to: keyWidth), .hintKey), Span("hide matching rows")])
        out.append([Span("  " + TextWidth.fit("/critical", to: keyWidth), .hintKey),
                    Span("alerts: also severity, state, summary, acked=NAME, assignee=NAME")])
        out.append([Span("  " + TextWidth.fit("/threshold", to: keyWidth), .hintKey),
                    Span("rules: also kind, metric, severity, state, summary")])
        out.append([])
        out.append([Span("Health: ", .muted), Span(">=80 ok", .ok), Span("  "), Span("50-79 warning", .warning), Span("  "),
                    Span("<50 critical", .critical)])
        return out
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        let content = lines()
        let width = min(rect.width - 4, 76)
        let height = min(rect.height - 2, content.count + 2)
        guard width >= 20, height >= 3 else { return }
        let box = Rect(x: rect.x + (rect.width - width) / 2, y: rect.y + (rect.height - height) / 2, width: width, height: height)
        canvas.fill(box)
        canvas.box(box, title: "Help (Esc closes)", role: .borderFocus)
        let inner = box.inset(1)
        lastBodyHeight = inner.height
        scroll = min(scroll, max(0, content.count - inner.height))
        for (i, line) in content.dropFirst(scroll).prefix(inner.height).enumerated() {
            canvas.put(line, x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 2)
        }
        if content.count > inner.height {
            let more = "\(scroll + 1)-\(min(content.count, scroll + inner.height))/\(content.count)"
            canvas.put(" \(more) ", x: box.maxX - TextWidth.of(more) - 4, y: box.maxY - 1, role: .muted)
        }
    }
}
