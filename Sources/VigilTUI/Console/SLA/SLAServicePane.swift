import Foundation
import VigilCore
import VigilTheme
import VigilWire

/// One service's objective (from the SLA pane's `Enter`): the figures over its window, the budget left day by day,
/// and the violations recorded in the window, newest first: when each started and ended, how long, the bad time
/// (every host's counting) and the share of the window's budget it spent. `j`/`k` scroll.
final class SLAServicePane: Pane {
    let sla: ServiceSLA
    private var scroll = 0

    init(sla: ServiceSLA) {
        self.sla = sla
    }

    var title: String { "\(sla.service) \(sla.sli.rawValue)" }

    var keyMap: KeyMap {
        let section = "Objective"
        return KeyMap([
            KeyAction([.char("j"), .down], "scroll down", section: section, shownInHints: false) { [self] in
                scroll = min(scroll + 1, max(0, sla.violations.count - 1))
                return .redraw
            },
            KeyAction([.char("k"), .up], "scroll up", section: section, shownInHints: false) { [self] in
                scroll = max(0, scroll - 1)
                return .redraw
            },
        ])
    }

    /// The lines above the violations.
    func summary(width: Int, glyphs: Glyphs, now: Int64) -> [[Span]] {
        let b = sla.budget
        var objective = "\(ErrorBudget.percentText(b.objective)) \(sla.sli.rawValue)"
        if sla.sli == .latency, let l = sla.objective.latency { objective += " (passing within \(ServiceObjective.Latency.text(ms: l.thresholdMs)))" }
        var head: [Span] = [Span("objective ", .muted), Span(objective, .text, [.bold]), Span(" over \(DurationText.short(ms: sla.objective.window))", .muted)]
        if let o = sla.owner { head += [Span("  owner ", .muted), Span(o)] }
        var figures: [Span] = [Span("available ", .muted), Span(SLAReport.percent(b.tally.availability), b.isMet == false ? .critical : .ok),
                               Span("  known ", .muted), Span(String(format: "%.0f%%", b.tally.coverage * 100)),
                               Span("  budget left ", .muted), Span(SLAPane.budgetText(b), SLAPane.budgetRole(b)),
                               Span("  burn 1h ", .muted), Span(SLAPane.burnText(sla.burn1h), SLAPane.burnRole(sla.burn1h)),
                               Span("  6h ", .muted), Span(SLAPane.burnText(sla.burn6h), SLAPane.burnRole(sla.burn6h))]
        figures += [Span("  down ", .muted), Span(b.tally.downMs < 1000 ? "0s" : DurationText.short(ms: b.tally.downMs))]
        // Braille: two days a cell.
        let trendWidth = max(4, min((sla.budgetTrend.count + 1) / 2, width - 40))
        let trend = [Span("budget by day ", .muted),
                     Span(Sparkline.render(sla.budgetTrend.map { $0.map { min(1, max(0, $0)) } }, width: trendWidth, unicode: glyphs.isUnicode, range: 0...1),
                          .sparkline),
                     Span("  (\(sla.rolledUpDays) of \(sla.days.count) days from rollups)", .muted)]
        return [head, figures, trend, []]
    }

    /// One line per violation: start, end (or "going on"), duration, bad time and budget spent.
    static func line(_ v: SLAViolation, now: Int64) -> [Span] {
        let end = v.end.map { LogsFormat.dateTime($0) } ?? "going on"
        return [Span(LogsFormat.dateTime(v.start).padding(toLength: 17, withPad: " ", startingAt: 0)),
                Span(end.padding(toLength: 17, withPad: " ", startingAt: 0), v.end == nil ? .critical : .text),
                Span(DurationText.short(ms: max(1000, v.duration(now: now))).padding(toLength: 9, withPad: " ", startingAt: 0)),
                Span(DurationText.short(ms: max(1000, v.badMs)).padding(toLength: 9, withPad: " ", startingAt: 0)),
                Span(String(format: "%.1f%%", v.budgetSpent * 100), v.budgetSpent >= 0.1 ? .warning : .text)]
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 4 else { return }
        canvas.box(rect, title: "Objective · \(sla.service) · \(sla.sli.rawValue)", role: context.focused ? .borderFocus : .border)
        let inner = rect.inset(1)
        var lines = summary(width: inner.width, glyphs: context.glyphs, now: context.now)
        lines.append([Span("VIOLATIONS (\(sla.violations.count) in the window)", .header, [.bold])])
        if sla.violations.isEmpty {
            lines.append([Span("  none recorded: the engine records them every 5 minutes from the check results", .muted)])
        } else {
            lines.append([Span("STARTED          ENDED            LASTED   BAD TIME BUDGET SPENT", .muted)])
            for v in sla.violations.dropFirst(scroll) { lines.append(Self.line(v, now: context.now)) }
        }
        for (i, line) in lines.prefix(inner.height).enumerated() {
            canvas.put(line, x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 2)
        }
    }
}
