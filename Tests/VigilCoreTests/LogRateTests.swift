import Foundation
import Testing
import VigilWire
@testable import VigilCore

/// Each host's error-log rate, written by the lease holder as the series `log.errors_per_min` that the anomaly
/// scanner reads with the core metrics.
@Suite struct LogRateTests {
    @Test func minutesAreDueAfterTheirLagAndCatchUpIsBounded() {
        let m: Int64 = 1_800_000_000_000 // a minute boundary
        // Never counted: the last hour, up to the newest minute whose lag has passed.
        #expect(LogRateService.due(until: nil, now: m + 29_999).last == m - 60_000)
        #expect(LogRateService.due(until: nil, now: m + 30_000).last == m)
        #expect(LogRateService.due(until: nil, now: m + 30_000).count == 60)
        // Counted up to m: nothing until the next minute's lag has passed, then the minutes since.
        #expect(LogRateService.due(until: m, now: m + 89_999).isEmpty)
        #expect(LogRateService.due(until: m, now: m + 150_000) == [m + 60_000, m + 120_000])
        // After a long stop: the last hour only.
        let late = LogRateService.due(until: m, now: m + 86_400_000 + 30_000)
        #expect(late.count == 60 && late.last == m + 86_400_000)
        #expect(AnomalyScanner.coreMetrics.contains(LogRateService.metric))
    }

    @Test(arguments: Backend.available) func errorLinesPerHostAndMinuteAreWrittenOnce(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let m = (WallClock.nowMs() / 60_000 - 5) * 60_000
        func line(_ at: Int64, _ level: LogLevel) -> LogEntry { LogEntry(ts: at, source: "app", level: level, message: "request \(at) failed") }
        var web = IngestBatch(host: "web-1")
        web.logs = [line(m + 1_000, .error), line(m + 2_000, .critical), line(m + 3_000, .warning), line(m + 59_999, .error),
                    line(m + 60_000, .error), line(m + 61_000, .info)]
        _ = try await store.ingest(web, receivedAt: m + 65_000)
        // A host that reports metrics and no logs gets zeros; one that stopped long ago gets nothing.
        _ = try await store.ingest(IngestBatch(host: "db-1", samples: [Sample(name: "cpu.usage_percent", value: 5, ts: m + 10_000)]),
                                   receivedAt: m + 10_000)
        _ = try await store.ingest(IngestBatch(host: "db-1", samples: [Sample(name: "cpu.usage_percent", value: 5, ts: m + 100_000)]),
                                   receivedAt: m + 100_000)
        _ = try await store.ingest(IngestBatch(host: "old-1", samples: [Sample(name: "cpu.usage_percent", value: 5, ts: m - 3_600_000)]),
                                   receivedAt: m - 3_600_000)
        let before = try await store.hostInventory(now: m + 150_000)

        try await store.setSetting(LogRateService.settingKey, to: String(m), now: m)
        let written = try await LogRateService.update(store: store, now: m + 150_000)
        #expect(written == 4)
        let webRate = try await store.points(SeriesKey(host: "web-1", name: LogRateService.metric), from: 0, to: m + 600_000)
        #expect(webRate == [SeriesPoint(ts: m + 60_000, value: 3), SeriesPoint(ts: m + 120_000, value: 1)], "error and critical, per minute")
        let dbRate = try await store.points(SeriesKey(host: "db-1", name: LogRateService.metric), from: 0, to: m + 600_000)
        #expect(dbRate == [SeriesPoint(ts: m + 60_000, value: 0), SeriesPoint(ts: m + 120_000, value: 0)])
        #expect(try await store.points(SeriesKey(host: "old-1", name: LogRateService.metric), from: 0, to: m + 600_000).isEmpty)
        #expect(try await store.setting(LogRateService.settingKey) == String(m + 120_000))
        // Written once, and no host looks more alive for it.
        #expect(try await LogRateService.update(store: store, now: m + 150_000) == 0)
        let after = try await store.hostInventory(now: m + 150_000)
        #expect(after.map(\.lastSeen) == before.map(\.lastSeen))
    }
}
