import Foundation
import VigilCore
import VigilTheme
import VigilWire

/// A metric over time (`:metric NAME [HOST…]`, or `Enter` on a series in a host's detail): a braille line chart sized
/// to the pane, with a value axis in the metric's unit and a time axis; one line per series (up to eight, hosts
/// overlaid), min/avg/max/last of each, the thresholds of the rules on the metric dashed, anomaly marks on the
/// bottom row. `t` cycles 15m/1h/6h/24h/7d, `+`/`-` zoom, `←`/`→` pan (`0` back to now, following), `a` adds a host.
final class MetricPane: Pane {
    static let roles: [Role] = [.info, .warning, .ok, .critical, .changed, .title, .sparkline, .command]
    static let minSpan: Int64 = 5 * 60_000
    static let maxSpan: Int64 = 90 * 86_400_000

    let metric: String
    private(set) var hosts: [String]
    private(set) var span: Int64
    /// nil: the window ends now and follows.
    private(set) var end: Int64?
    private(set) var snapshot: MetricSnapshot?
    private var lastError: String?
    /// Dots across the chart at the last render: how many buckets to ask for.
    private var chartDots = 240

    init(metric: String, hosts: [String] = [], range: LogRange = .h1) {
        self.metric = metric
        self.hosts = hosts
        self.span = range.milliseconds
    }

    var title: String { "metric \(metric)" + (hosts.isEmpty ? "" : " " + hosts.joined(separator: ",")) }
    var knownHosts: [String] { snapshot?.series.map(\.key.host) ?? hosts }

    var interest: MetricInterest { MetricInterest(metric: metric, hosts: hosts, span: span, end: end, points: chartDots) }

    var pollInterest: PollInterest {
        var p = PollInterest()
        p.metric = interest
        return p
    }

    var keyMap: KeyMap {
        let section = "Metric"
        return KeyMap([
            KeyAction([.char("t"), .char("]")], "range", section: section) { [self] in preset(1) },
            KeyAction([.char("[")], "shorter range", section: section, shownInHints: false) { [self] in preset(-1) },
            KeyAction([.char("+"), .char("=")], "zoom in", section: section) { [self] in zoom(0.5) },
            KeyAction([.char("-")], "zoom out", section: section) { [self] in zoom(2) },
            KeyAction([.left, .char("h")], "earlier", section: section) { [self] in pan(-1) },
            KeyAction([.right, .char("l")], "later", section: section) { [self] in pan(1) },
            KeyAction([.char("0"), .end], "now", section: section, shownInHints: false) { [self] in
                end = nil
                return .refreshNow
            },
            KeyAction([.char("a")], "add host", section: section) { [self] in
                .prompt("add a host to \(metric) (empty: every host with it): ", initial: "") { [self] text in
                    let h = text.trimmingCharacters(in: .whitespaces)
                    if h.isEmpty { hosts = [] } else if !hosts.contains(h) { hosts.append(h) }
                    snapshot = nil
                    return .refreshNow
                }
            },
        ])
    }

    /// `t`: the next preset span (15m … 7d), ending now.
    func preset(_ step: Int) -> Reaction {
        let presets = LogRange.allCases.map(\.milliseconds)
        // The next longer (or shorter) preset than the span shown, wrapping around.
        span = step > 0 ? presets.first { $0 > span } ?? presets[0] : presets.last { $0 < span } ?? presets[presets.count - 1]
        end = nil
        return .refreshNow
    }

    /// `+` / `-`: halve or double the span, keeping its end.
    func zoom(_ factor: Double) -> Reaction {
        span = min(Self.maxSpan, max(Self.minSpan, Int64(Double(span) * factor)))
        return .refreshNow
    }

    /// `←` / `→`: move by half the span; past now, follow now again.
    func pan(_ direction: Int, now: Int64 = WallClock.nowMs()) -> Reaction {
        let moved = (end ?? now) + Int64(direction) * span / 2
        end = moved >= now ? nil : moved
        return .refreshNow
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .metric(let s):
            guard s.interest.metric == metric, s.interest.hosts == hosts, s.interest.span == span, s.interest.end == end else { return false }
            snapshot = s
            lastError = nil
            return true
        case .metricError(let text):
            lastError = text
            return true
        default:
            return false
        }
    }

    // MARK: Rendering

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 6 else { return }
        let (top, rest) = rect.splitTop(1)
        renderHeader(into: &canvas, in: top)
        let series = snapshot?.series ?? []
        let legendRows = min(series.count, max(0, rest.height - 8))
        let (box, legend) = rest.splitBottom(legendRows)
        var title = metric
        if let s = snapshot {
            title += " · " + LogsFormat.dateTime(s.from) + " to " + (end == nil ? "now" : LogsFormat.dateTime(s.to))
            title += s.step == 0 ? " · raw" : " · \(DurationText.short(ms: s.step)) buckets"
            if s.tier > 0 { title += " from \(DurationText.short(ms: s.tier)) rollups" }
        }
        canvas.box(box, title: title, role: context.focused ? .borderFocus : .border)
        let inner = box.inset(1)
        guard let s = snapshot else {
            canvas.put(lastError.map { "error: \($0)" } ?? "reading \(metric)…", x: inner.x + 1, y: inner.y,
                       role: lastError == nil ? .muted : .error, maxWidth: inner.width - 1)
            return
        }
        guard !series.isEmpty else {
            canvas.put("no samples of \(metric)" + (hosts.isEmpty ? "" : " on " + hosts.joined(separator: ", ")) + " in this range"
                       + (end == nil && span < LogRange.d7.milliseconds ? " (t: a longer range)" : ""),
                       x: inner.x + 1, y: inner.y, role: .muted, maxWidth: inner.width - 1)
            return
        }
        renderChart(s, into: &canvas, in: inner, unicode: canvas.glyphs.isUnicode)
        for (i, one) in series.prefix(legendRows).enumerated() {
            renderLegend(one, role: Self.roles[i % Self.roles.count], into: &canvas, x: legend.x + 1, y: legend.y + i, width: legend.width - 1,
                         unicode: canvas.glyphs.isUnicode)
        }
    }

    private func renderHeader(into canvas: inout Canvas, in rect: Rect) {
        var x = rect.x + 1
        for r in LogRange.allCases {
            let text = " \(r.label) "
            canvas.put(text, x: x, y: rect.y, role: r.milliseconds == span && end == nil ? .selection : .muted)
            x += TextWidth.of(text) + 1
        }
        var info = "  span \(DurationText.short(ms: span))" + (end == nil ? ", following now" : ", ending " + LogsFormat.dateTime(end!))
        if let s = snapshot {
            info += " · \(s.series.count) series"
            if s.seriesAvailable > s.series.count { info += " of \(s.seriesAvailable) (the first by host; a: choose hosts)" }
            if !s.rulesKnown { info += " · thresholds unknown (attached to another engine)" }
        }
        canvas.put(info, x: x, y: rect.y, role: .muted, maxWidth: rect.x + rect.width - x)
    }

    private func renderChart(_ s: MetricSnapshot, into canvas: inout Canvas, in rect: Rect, unicode: Bool) {
        let percent = Format.unit(ofSeries: metric) == .percent
        let values = s.series.flatMap { $0.rollups.flatMap { [$0.min, $0.max] } }
        let (low, high) = MetricChart.range(of: values, thresholds: s.thresholds.map(\.value), percent: percent)
        let labels = [high, (low + high) / 2, low].map { Format.seriesValue($0, name: metric) }
        let axis = (labels.map { TextWidth.of($0) }.max() ?? 4) + 1
        let chartRect = Rect(x: rect.x + axis + 1, y: rect.y, width: max(1, rect.width - axis - 2), height: max(1, rect.height - 2))
        chartDots = chartRect.width * (unicode ? 2 : 1)
        let step = s.step > 0 ? s.step : max(1, (s.to - s.from) / Int64(max(1, chartDots)))
        // Three buckets (three minutes at least) without a point is a gap, not a line.
        let chart = MetricChart(from: s.from, to: s.to, low: low, high: high, width: chartRect.width, height: chartRect.height,
                                unicode: unicode, maxGap: max(3 * step, 180_000))
        let series = s.series.enumerated().map { i, one in
            MetricChart.Series(role: Self.roles[i % Self.roles.count], points: one.rollups.map { ($0.ts, $0.count > 0 ? $0.avg : $0.last) })
        }
        let thresholds = s.thresholds.map { ($0.value, $0.severity == .critical ? Role.critical : Role.warning) }
        MetricChart.paint(chart.draw(series, thresholds: thresholds, marks: s.anomalies), into: &canvas, at: chartRect)
        // The value axis: top, middle and bottom labels, right-aligned against the axis line.
        let rows = [0, chart.rowOf((low + high) / 2), chartRect.height - 1]
        for y in 0..<chartRect.height { canvas.put(unicode ? "│" : "|", x: chartRect.x - 1, y: chartRect.y + y, role: .border) }
        for (label, row) in zip(labels, rows) {
            canvas.put(String(repeating: " ", count: axis - TextWidth.of(label)) + label, x: rect.x, y: chartRect.y + row, role: .muted)
            canvas.put(unicode ? "┤" : "+", x: chartRect.x - 1, y: chartRect.y + row, role: .border)
        }
        // Threshold names at their row's right end.
        for t in s.thresholds where t.value >= low && t.value <= high {
            let text = " \(t.rule) \(t.op) \(Format.seriesValue(t.value, name: metric)) "
            canvas.put(text, x: max(chartRect.x, chartRect.x + chartRect.width - TextWidth.of(text)), y: chartRect.y + chart.rowOf(t.value),
                       role: t.severity == .critical ? .critical : .warning)
        }
        // The time axis: a line with ticks and four times under it.
        let axisY = chartRect.y + chartRect.height
        canvas.put((unicode ? "└" : "+") + String(repeating: unicode ? "─" : "-", count: chartRect.width), x: chartRect.x - 1, y: axisY, role: .border)
        let long = s.to - s.from > 86_400_000
        for i in 0...3 {
            let x = chartRect.x + (chartRect.width - 1) * i / 3
            let ts = s.from + (s.to - s.from) * Int64(i) / 3
            let text = long ? String(LogsFormat.dateTime(ts).dropFirst(5)) : Format.clockMinutes(ts)
            canvas.put(unicode ? "┬" : "+", x: x, y: axisY, role: .border)
            let start = i == 3 ? x - TextWidth.of(text) + 1 : (i == 0 ? x : x - TextWidth.of(text) / 2)
            canvas.put(text, x: max(rect.x, start), y: axisY + 1, role: .muted)
        }
    }

    private func renderLegend(_ one: MetricSnapshot.Series, role: Role, into canvas: inout Canvas, x: Int, y: Int, width: Int, unicode: Bool) {
        let rollups = one.rollups
        let count = rollups.reduce(0) { $0 + $1.count }
        let avg = count > 0 ? rollups.reduce(0) { $0 + $1.sum } / Double(count) : nil
        let name = one.key.host + (one.key.labels.isEmpty ? "" : " {" + Format.labels(one.key.labels) + "}")
        let figures = ["min " + Format.seriesValue(rollups.map(\.min).min(), name: metric),
                       "avg " + Format.seriesValue(avg, name: metric),
                       "max " + Format.seriesValue(rollups.map(\.max).max(), name: metric),
                       "last " + Format.seriesValue(rollups.last?.last, name: metric)].joined(separator: "  ")
        var at = x
        at += canvas.put(unicode ? "━━ " : "-- ", x: at, y: y, role: role)
        at += canvas.put(name, x: at, y: y, role: .text, attributes: [.bold], maxWidth: max(1, min(40, width - (at - x))))
        canvas.put("  " + figures, x: at, y: y, role: .muted, maxWidth: max(0, width - (at - x)))
    }
}
