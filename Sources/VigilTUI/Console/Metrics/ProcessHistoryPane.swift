import VigilCore
import VigilTheme
import VigilWire

/// One process over the last hour (`Enter` on a process in a host's detail): its CPU and resident memory as two
/// charts, from the samples the agent sent while it was among the host's top processes (gaps where it was not).
/// The process is its pid and start time, so a pid reused by another program is not mixed in.
final class ProcessHistoryPane: Pane {
    let host: String
    let process: ProcessSample
    private var history: [ProcessSample]

    init(host: String, process: ProcessSample, history: [ProcessSample]) {
        self.host = host
        self.process = process
        self.history = history.filter { $0.pid == process.pid && $0.startedAt == process.startedAt }
    }

    var title: String { "pid \(process.pid)" }
    var knownHosts: [String] { [host] }
    var keyMap: KeyMap { KeyMap([]) }

    var pollInterest: PollInterest {
        var p = PollInterest()
        p.processes = host
        p.processHistory = true
        return p
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        guard case .processes(let h, let samples) = message, h == host else { return false }
        history = samples.filter { $0.pid == process.pid && $0.startedAt == process.startedAt }
        return true
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 8 else { return }
        let (header, rest) = rect.splitTop(2)
        canvas.put("\(host) · pid \(process.pid) · \(process.user) · started \(LogsFormat.dateTime(process.startedAt)) · \(history.count) samples in the last hour",
                   x: header.x + 1, y: header.y, role: .muted, maxWidth: header.width - 1)
        canvas.put(process.command, x: header.x + 1, y: header.y + 1, role: .text, attributes: [.bold], maxWidth: header.width - 1)
        let (top, bottom) = rest.splitTop(rest.height / 2)
        let to = context.now
        let from = to - 3_600_000
        chart("CPU %", values: history.map { ($0.ts, $0.cpuPercent) }, unit: "cpu_percent", from: from, to: to, into: &canvas, in: top, context: context)
        chart("Resident memory", values: history.map { ($0.ts, Double($0.rssBytes)) }, unit: "rss_bytes", from: from, to: to, into: &canvas,
              in: bottom, context: context)
    }

    private func chart(_ title: String, values: [(ts: Int64, value: Double)], unit: String, from: Int64, to: Int64, into canvas: inout Canvas,
                       in rect: Rect, context: RenderContext) {
        let last = values.last.map { Format.seriesValue($0.value, name: unit) } ?? "-"
        let peak = values.map(\.value).max().map { Format.seriesValue($0, name: unit) } ?? "-"
        canvas.box(rect, title: "\(title) · last \(last) · peak \(peak)", role: .border)
        let inner = rect.inset(1)
        guard !values.isEmpty, inner.height >= 2 else {
            canvas.put("no samples in the last hour", x: inner.x + 1, y: inner.y, role: .muted, maxWidth: inner.width - 1)
            return
        }
        let (low, high) = MetricChart.range(of: values.map(\.value), thresholds: [], percent: false)
        let labels = [high, low].map { Format.seriesValue($0, name: unit) }
        let axis = (labels.map { TextWidth.of($0) }.max() ?? 4) + 1
        let area = Rect(x: inner.x + axis + 1, y: inner.y, width: max(1, inner.width - axis - 2), height: inner.height)
        let chart = MetricChart(from: from, to: to, low: low, high: high, width: area.width, height: area.height,
                                unicode: canvas.glyphs.isUnicode, maxGap: 180_000)
        MetricChart.paint(chart.draw([MetricChart.Series(role: .info, points: values)]), into: &canvas, at: area)
        canvas.put(labels[0], x: inner.x, y: area.y, role: .muted)
        canvas.put(labels[1], x: inner.x, y: area.y + area.height - 1, role: .muted)
    }
}
