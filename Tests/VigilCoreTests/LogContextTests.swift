import Foundation
import Testing
import VigilWire
@testable import VigilCore

/// The lines around a line, from its host and source, on both stores.
@Suite struct LogContextTests {
    @Test(arguments: Backend.available) func theLinesAroundALineComeFromItsHostAndSource(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        var b = IngestBatch(host: "web-1")
        for i in 0..<20 {
            b.logs.append(LogEntry(ts: now - Int64(20 - i) * 1000, source: "a", level: .info, message: "a line \(i)"))
            b.logs.append(LogEntry(ts: now - Int64(20 - i) * 1000, source: "b", level: .info, message: "b line \(i)"))
        }
        // Two lines at the same millisecond: the id orders them.
        b.logs.append(LogEntry(ts: now, source: "a", level: .error, message: "a twin 1"))
        b.logs.append(LogEntry(ts: now, source: "a", level: .error, message: "a twin 2"))
        _ = try await store.ingest(b, receivedAt: now)
        var other = IngestBatch(host: "web-2")
        other.logs = [LogEntry(ts: now - 10_000, source: "a", level: .info, message: "a line on web-2")]
        _ = try await store.ingest(other, receivedAt: now)

        let all = try await store.searchLogs(try LogQuery.parse("host:web-1 source:a", now: now), limit: 100, scanLimit: 1000).lines
        let line10 = try #require(all.first { $0.message == "a line 10" })
        var around = try await store.logContext(of: line10, before: 3, after: 2)
        #expect(around.lines.map(\.message) == ["a line 7", "a line 8", "a line 9", "a line 10", "a line 11", "a line 12"])
        #expect(around.index == 3)
        // A line from a live tail carries a bus number, not the row id: it is found by what it says.
        var tailed = line10
        tailed.id = 987_654
        around = try await store.logContext(of: tailed, before: 1, after: 1)
        #expect(around.lines.map(\.message) == ["a line 9", "a line 10", "a line 11"] && around.index == 1)
        let twin1 = try #require(all.first { $0.message == "a twin 1" })
        around = try await store.logContext(of: twin1, before: 1, after: 5)
        #expect(around.lines.map(\.message) == ["a line 19", "a twin 1", "a twin 2"])
        // A line no longer stored: the lines around its time, and no index.
        var gone = line10
        gone.message = "pruned long ago"
        around = try await store.logContext(of: gone, before: 1, after: 1)
        #expect(around.lines.map(\.message) == ["a line 9", "a line 10"] && around.index == nil)
    }
}
