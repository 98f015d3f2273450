import Foundation
import Testing
@testable import VigilTUI
import VigilCore
import VigilTheme
import VigilWire

/// The metric view: the chart on its own, and the pane over a real SQLite store with a threshold rule.
@Suite struct MetricPaneTests {
    @Test func theChartDrawsLinesGapsThresholdsAndMarks() {
        let chart = MetricChart(from: 0, to: 9_000, low: 0, high: 100, width: 5, height: 2, unicode: true, maxGap: 1_000)
        let rising = MetricChart.Series(role: .info, points: (0...9).map { (Int64($0) * 1_000, Double($0) * 100 / 9) })
        let grid = chart.draw([rising], thresholds: [(50, .warning)], marks: [9_000])
        // Bottom-left low, top-right high, every cell on the way drawn in the series' role.
        #expect(grid[1][0]?.role == .info && grid[0][4]?.role == .info)
        #expect(grid[0][0] == nil || grid[0][0]?.character == "┄", "the start is low")
        #expect(grid[1][4]?.character == "▲" && grid[1][4]?.role == .critical, "the mark sits on the bottom row")
        #expect(chart.rowOf(50) == 0, "half of 0…100 is dot row 3 of 8: the top cell row")
        #expect(chart.rowOf(0) == 1 && chart.rowOf(100) == 0)
        // A gap longer than maxGap is not joined: two lone points stay two single dots.
        let gappy = MetricChart.Series(role: .ok, points: [(0, 0), (9_000, 100)])
        let g2 = chart.draw([gappy])
        #expect(g2.flatMap { $0 }.compactMap { $0 }.count == 2)
        // ASCII: one star a cell.
        let ascii = MetricChart(from: 0, to: 9_000, low: 0, high: 100, width: 10, height: 5, unicode: false, maxGap: 1_000).draw([rising])
        #expect(ascii.flatMap { $0 }.compactMap { $0 }.allSatisfy { $0.character == "*" })
        #expect(MetricChart.range(of: [20, 96], thresholds: [90], percent: true) == (0, 100))
        #expect(MetricChart.range(of: [5, 5], thresholds: [], percent: false).high > 5)
    }

    @Test func aMetricOverTimeFromTheStoreWithItsThreshold() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("vigil.db"))
        let now = WallClock.nowMs()
        for (host, base) in [("web-1", 20.0), ("web-2", 60.0)] {
            let samples = (0..<60).map { i in Sample(name: "cpu.usage_percent", value: base + Double(i % 10), ts: now - Int64(60 - i) * 60_000) }
            _ = try await store.ingest(IngestBatch(host: host, samples: samples), receivedAt: now)
        }
        let rules = [AlertRule(name: "HighCPU", severity: .critical,
                               kind: .threshold(.init(metric: "cpu.usage_percent", op: .greater, threshold: 90)))]
        #expect(try CommandParser.parse(":metric cpu.usage_percent web-1 web-2") == .metric("cpu.usage_percent", hosts: ["web-1", "web-2"]))
        let pane = MetricPane(metric: "cpu.usage_percent", hosts: ["web-1", "web-2"])
        func feed() async {
            guard let interest = pane.pollInterest.metric else { Issue.record("the pane asks for its metric"); return }
            _ = pane.receive(await MetricFetcher.fetch(store, interest, rules: rules, now: now), now: now)
        }
        await feed()
        let snapshot = try #require(pane.snapshot)
        #expect(snapshot.series.map(\.key.host) == ["web-1", "web-2"] && snapshot.step == 0)
        #expect(snapshot.thresholds.map(\.value) == [90] && snapshot.rulesKnown)
        let canvas = Fixtures.render(pane, width: 160, height: 30)
        let text = canvas.text
        #expect(text.contains("cpu.usage_percent · ") && text.contains("to now · raw"), "\(text)")
        #expect(text.contains("HighCPU > 90.0%") && text.contains("100.0%") && text.contains("0.0%"), "\(text)")
        #expect(text.contains("web-1  min 20.0%") && text.contains("max 69.0%"), "\(text)")
        let plotted = canvas.lines().joined().unicodeScalars.filter { $0.value > 0x2800 && $0.value <= 0x28FF }.count
        #expect(plotted > 100, "both lines are drawn")

        // +: half the span; ←: half a span earlier, no longer following; t: the next preset, following again.
        _ = pane.keyMap.action(for: .char("+"))!.handler()
        #expect(pane.span == 30 * 60_000)
        _ = pane.pan(-1, now: now)
        #expect(pane.end == now - 15 * 60_000)
        await feed()
        #expect(pane.snapshot?.to == now - 15 * 60_000)
        _ = pane.pan(1, now: now)
        #expect(pane.end == nil)
        _ = pane.keyMap.action(for: .char("t"))!.handler()
        #expect(pane.span == LogRange.h1.milliseconds && pane.end == nil)
        _ = pane.keyMap.action(for: .char("t"))!.handler()
        #expect(pane.span == LogRange.h6.milliseconds)
        // A metric nobody has says so.
        let none = MetricPane(metric: "nope.metric")
        _ = none.receive(await MetricFetcher.fetch(store, none.interest, rules: nil, now: now), now: now)
        let noneText = Fixtures.render(none, width: 120, height: 20).text
        #expect(noneText.contains("no samples of nope.metric") && noneText.contains("thresholds unknown"), "\(noneText)")
    }

    @Test func hostDetailShowsTheNewestTopProcessesAndTheirHistory() throws {
        let now = Fixtures.now
        let pane = HostDetailPane(name: "web-1")
        #expect(pane.pollInterest.processes == "web-1" && pane.pollInterest.host == "web-1")
        func p(_ pid: Int, cpu: Double, at: Int64) -> ProcessSample {
            ProcessSample(pid: pid, user: "app", command: "worker \(pid)", cpuPercent: cpu, rssBytes: Int64(pid) << 20, state: "R", startedAt: now - 86_400_000, ts: at)
        }
        let samples = [p(1, cpu: 5, at: now - 120_000), p(2, cpu: 90, at: now - 120_000), p(1, cpu: 7, at: now - 60_000), p(3, cpu: 40, at: now - 60_000)]
        #expect(pane.receive(.processes(host: "web-1", samples), now: now))
        #expect(pane.processes.rows.map(\.sample.pid).sorted() == [1, 3], "the newest look only")
        #expect(pane.processes.visible.map(\.sample.pid) == [3, 1], "busiest first")
        #expect(!pane.receive(.processes(host: "web-2", samples), now: now))
        _ = pane.keyMap.action(for: .char("4"))!.handler()
        guard case .push(let pushed) = pane.keyMap.action(for: .enter)!.handler(), let history = pushed as? ProcessHistoryPane else {
            Issue.record("Enter on a process opens its history")
            return
        }
        #expect(history.process.pid == 3)
        let text = Fixtures.render(history, width: 120, height: 24).text
        #expect(text.contains("web-1 · pid 3 · app") && text.contains("1 samples in the last hour") && text.contains("CPU % · last 40.0"), "\(text)")
    }

    /// More series than a chart draws: the first eight by host, and the header says how many there were.
    @Test func aMetricOnManyHostsSaysWhatWasLeftOut() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("vigil.db"))
        let now = WallClock.nowMs()
        for i in 1...9 {
            _ = try await store.ingest(IngestBatch(host: "node-\(i)", samples: [Sample(name: "load.1m", value: Double(i), ts: now - 60_000)]), receivedAt: now)
        }
        let pane = MetricPane(metric: "load.1m")
        _ = pane.receive(await MetricFetcher.fetch(store, pane.interest, rules: [], now: now), now: now)
        #expect(pane.snapshot?.series.map(\.key.host) == (1...8).map { "node-\($0)" } && pane.snapshot?.seriesAvailable == 9)
        let text = Fixtures.render(pane, width: 160, height: 30).text
        #expect(text.contains("8 series of 9 (the first by host; a: choose hosts)"), "\(text)")
    }
}
