import VigilTheme
import Foundation
import VigilCore

/// One call of the AI call log, as a table row.
struct AICallRow: Identifiable {
    var id: String
    var call: AICallRecord
}

/// The AI call log (`:ai`, or `a` in the chat's transcript): every AI call any feature made — time, feature, model,
/// tokens, latency, outcome and the short note (never the content) — newest first. `r` reloads it.
final class AICallsPane: Pane {
    let title = "AI calls"
    let settings: ChatSettings
    let table: TableView<AICallRow>
    private(set) var calls: [AICallRecord]?
    private(set) var lastError: String?
    static let limit = 200

    init(settings: ChatSettings) {
        self.settings = settings
        table = TableView(columns: AICallsPane.makeColumns(), sortColumn: 0, sortDescending: true, emptyMessage: "no AI call yet") { r in
            [r.call.feature, r.call.model, r.call.outcome.rawValue, r.call.detail]
        }
    }

    /// Asks the worker for the newest calls.
    func reload() -> Reaction { .chat(.calls(limit: Self.limit)) }

    var keyMap: KeyMap {
        let section = "AI calls"
        return KeyMap([
            KeyAction([.char("r"), .ctrl("r")], "reload", section: section) { [self] in
                .sequence([reload(), .message("reloading the AI call log…", isError: false)])
            },
        ]).merged(over: KeyMap(table.keyActions(section: section)))
    }

    var filterText: String { table.filterText }
    var rowNoun: String { "call" }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        guard case .chat(let update) = message else { return false }
        switch update {
        case .calls(let records):
            calls = records
            lastError = nil
            table.setRows(records.enumerated().map { AICallRow(id: $0.element.id.map(String.init) ?? "n\($0.offset)", call: $0.element) }, now: now)
            return true
        case .callsFailed(let error):
            lastError = error
            return true
        default:
            return false
        }
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        let n = try table.setFilter(text)
        return (n, table.rows.count)
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 4 else { return }
        let dot = context.glyphs.isUnicode ? " · " : " | "
        var head = [Span("AI ", .title, [.bold])]
        if settings.hasKey {
            head += [Span("on", .ok, [.bold]), Span(dot + "model \(settings.model)", .muted)]
        } else {
            head += [Span("off", .warning, [.bold]), Span(dot + AIConfig.noKeyMessage, .muted)]
        }
        if let calls, !calls.isEmpty {
            let prompt = calls.compactMap(\.promptTokens).reduce(0, +)
            let answer = calls.compactMap(\.completionTokens).reduce(0, +)
            let failed = calls.filter { $0.outcome != .ok }.count
            head.append(Span(dot + "last \(calls.count): \(prompt)+\(answer) tokens" + (failed > 0 ? ", \(failed) not ok" : ""), .muted))
        }
        canvas.put(head, x: rect.x + 1, y: rect.y, maxWidth: rect.width - 2)
        let box = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        canvas.box(box, title: "AI call log" + (calls != nil ? table.countTitle : ""), role: context.focused ? .borderFocus : .border)
        table.render(orWaiting: calls != nil, error: lastError, into: &canvas, in: box.inset(1), focused: context.focused, now: context.now)
    }

    static func outcomeRole(_ o: AICallOutcome) -> Role {
        switch o {
        case .ok: .ok
        case .error, .timeout: .critical
        case .rejected, .noKey: .warning
        case .cancelled: .muted
        }
    }

    private static func makeColumns() -> [TableColumn<AICallRow>] {
        [
            TableColumn("TIME", width: 8, priority: 100, ascending: { ($0.call.ts, $0.id) < ($1.call.ts, $1.id) }, descendingFirst: true) { r, _ in
                [Span(Format.clock(r.call.ts), .muted)]
            },
            TableColumn("AGE", width: 4, alignRight: true, priority: 60) { r, ctx in [Span(Format.age(max(0, ctx.now - r.call.ts)), .muted)] },
            .text("FEATURE", width: 9, priority: 95, ascending: { $0.call.feature < $1.call.feature }) { $0.call.feature },
            .text("MODEL", width: 12, maxWidth: 24, priority: 70, role: { _ in .muted }, ascending: { $0.call.model < $1.call.model }) { $0.call.model },
            .text("PROMPT", width: 6, alignRight: true, priority: 80, ascending: { ($0.call.promptTokens ?? -1) < ($1.call.promptTokens ?? -1) },
                  descendingFirst: true) { $0.call.promptTokens.map(String.init) ?? "-" },
            .text("ANSWER", width: 6, alignRight: true, priority: 80,
                  ascending: { ($0.call.completionTokens ?? -1) < ($1.call.completionTokens ?? -1) }, descendingFirst: true) {
                $0.call.completionTokens.map(String.init) ?? "-"
            },
            .text("LATENCY", width: 7, alignRight: true, priority: 85, ascending: { $0.call.latencyMs < $1.call.latencyMs }, descendingFirst: true) {
                Format.milliseconds(Double($0.call.latencyMs))
            },
            TableColumn("OUTCOME", width: 9, priority: 90, ascending: { $0.call.outcome.rawValue < $1.call.outcome.rawValue }) { r, _ in
                [Span(r.call.outcome.rawValue, outcomeRole(r.call.outcome), r.call.outcome == .ok ? [] : [.bold])]
            },
            .text("DETAIL", width: 10, flexible: true, priority: 50, role: { _ in .muted }) { $0.call.detail },
        ]
    }
}
