import VigilCore

/// The small form that creates a silence: matchers (prefilled from an alert: `alertname=… host=…`), a duration
/// (`2h`) and a comment. `Tab`/`↓` and `S-Tab`/`↑` move between fields, `Enter` creates, `Esc` cancels. It takes
/// every key while open, so typing `q` or `/` edits instead of quitting or filtering.
final class SilenceFormPane: Pane {
    enum Field: Int, CaseIterable {
        case matchers, duration, comment

        var label: String {
            switch self {
            case .matchers: "Matchers"
            case .duration: "Duration"
            case .comment: "Comment"
            }
        }
    }

    let title = "new silence"
    let user: VigilUser
    private(set) var editors: [LineEditor]
    private(set) var focus: Field = .matchers
    private(set) var error: String?

    static let defaultDuration = "2h"

    init(user: VigilUser, matchers: String, duration: String = SilenceFormPane.defaultDuration, comment: String = "") {
        self.user = user
        editors = [LineEditor(prompt: "", text: matchers), LineEditor(prompt: "", text: duration), LineEditor(prompt: "", text: comment)]
        if !matchers.isEmpty { focus = .comment }
    }

    var isOverlay: Bool { true }
    var capturesTyping: Bool { true }

    /// The text of a field.
    func text(_ field: Field) -> String { editors[field.rawValue].text }

    var keyMap: KeyMap {
        let section = "New silence"
        return KeyMap([
            KeyAction([.enter], "create", section: section, dangerous: true) { [self] in submit() },
            KeyAction([.tab, .down], "next field", section: section) { [self] in
                focus = Field(rawValue: (focus.rawValue + 1) % Field.allCases.count)!
                return .redraw
            },
            KeyAction([.backTab, .up], "previous field", section: section, shownInHints: false) { [self] in
                focus = Field(rawValue: (focus.rawValue + Field.allCases.count - 1) % Field.allCases.count)!
                return .redraw
            },
            KeyAction([.escape], "cancel", section: section) { .pop },
        ])
    }

    func handleUnmapped(_ key: Key) -> Reaction {
        var editor = editors[focus.rawValue]
        let event = editor.handle(key)
        editors[focus.rawValue] = editor
        if event == .edited { error = nil }
        return event == .ignored ? .ignored : .redraw
    }

    /// Validates the fields and, when they are good, closes the form and asks for the silence.
    func submit() -> Reaction {
        if let why = user.refusal(.silence) { return .message(why, isError: true) }
        let matchers: [LabelMatcher]
        switch AlertFormat.parseMatchers(text(.matchers)) {
        case .success(let m): matchers = m
        case .failure(let e):
            focus = .matchers
            error = e.message
            return .message(e.message, isError: true)
        }
        guard let duration = AlertFormat.parseDuration(text(.duration)) else {
            focus = .duration
            error = "bad duration '\(text(.duration))': use 30m, 2h, 1d, 1h30m"
            return .message(error!, isError: true)
        }
        return .sequence([.pop, .perform(.createSilence(matchers: matchers, durationMs: duration,
                                                         comment: text(.comment).trimmingCharacters(in: .whitespaces)))])
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        let width = min(rect.width - 4, 72)
        let height = 9
        guard width >= 30, rect.height >= height else { return }
        let box = Rect(x: rect.x + (rect.width - width) / 2, y: rect.y + (rect.height - height) / 2, width: width, height: height)
        canvas.fill(box)
        canvas.box(box, title: "New silence by \(user.name) (Enter creates, Esc cancels)", role: .borderFocus)
        let inner = box.inset(1)
        let labelWidth = 10
        let fieldWidth = inner.width - labelWidth - 3
        for field in Field.allCases {
            let y = inner.y + 1 + field.rawValue * 2
            let focused = field == focus
            canvas.put(field.label, x: inner.x + 1, y: y, role: focused ? .title : .muted, attributes: focused ? [.bold] : [])
            let x = inner.x + 1 + labelWidth
            canvas.fill(Rect(x: x, y: y, width: fieldWidth, height: 1), role: .command)
            let editor = editors[field.rawValue]
            let skip = max(0, editor.cursor - fieldWidth + 1)
            canvas.put(String(editor.text.dropFirst(skip)), x: x, y: y, role: .command, maxWidth: fieldWidth)
            if focused && context.focused {
                let cx = x + TextWidth.of(String(editor.text.prefix(editor.cursor).dropFirst(skip)))
                if cx < x + fieldWidth { canvas.restyle(Rect(x: cx, y: y, width: 1, height: 1), role: .selection, attributes: [.reverse]) }
            }
        }
        var note = [Span("matchers: k=v k!=v k=~re, space separated · duration: 30m 2h 1d", .muted)]
        if let parsed = AlertFormat.parseDuration(text(.duration)) {
            note = [Span("ends in \(AlertFormat.duration(ms: parsed)) at \(Format.clock(context.now + parsed))", .muted)]
        }
        if let error { note = [Span(error, .error)] }
        canvas.put(note, x: inner.x + 1, y: inner.maxY - 1, maxWidth: inner.width - 2)
    }
}
