import Foundation
import Testing
import VigilWire
@testable import VigilCore

@Suite struct LogBusTests {
    let now: Int64 = 1_796_422_503_000

    @Test func subscribersGetTheirMatchesOncePerBurstAndABoundedBuffer() throws {
        let bus = LogBus()
        let wakes = Locked(0)
        let errors = bus.subscribe(try LogQuery.parse("level>=error env=prod", now: now), capacity: 3) { wakes.withLock { $0 += 1 } }
        let all = bus.subscribe(LogQuery()) {}
        var b = IngestBatch(host: "web-1", labels: ["env": "prod"])
        b.logs = (0..<5).map { LogEntry(ts: now + Int64($0), source: "app", level: $0 % 2 == 0 ? .error : .info, message: "line \($0)") }
        bus.publish(b)
        bus.publish(b)
        #expect(wakes.withLock { $0 } == 1, "one wake-up until the buffer is taken")
        var chunk = errors.take()
        // Six errors, room for three: the newest three stay, oldest first, and the three dropped are counted.
        #expect(chunk.lines.map(\.message) == ["line 0", "line 2", "line 4"] && chunk.dropped == 3, "\(chunk)")
        #expect(chunk.lines.map(\.ts) == [now, now + 2, now + 4])
        #expect(all.take().lines.count == 10)
        // Labels come from the last batch that carried them.
        var unlabelled = IngestBatch(host: "web-1")
        unlabelled.logs = [LogEntry(ts: now, source: "app", level: .critical, message: "boom")]
        bus.publish(unlabelled)
        #expect(wakes.withLock { $0 } == 2)
        chunk = errors.take()
        #expect(chunk.lines.map(\.message) == ["boom"] && chunk.dropped == 0)
        var staging = IngestBatch(host: "web-9", labels: ["env": "staging"])
        staging.logs = unlabelled.logs
        bus.publish(staging)
        #expect(errors.take().lines.isEmpty)
        errors.cancel()
        #expect(bus.subscriberCount == 1)
        _ = all
    }

    @Test(arguments: Backend.available) func aStoreAnnouncesWhatItCommitted(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let arrived = Locked(0)
        let tail = store.logBus.subscribe(try LogQuery.parse("timed", now: now)) { arrived.withLock { $0 += 1 } }
        var b = IngestBatch(host: "web-1")
        b.logs = [LogEntry(ts: now, source: "nginx", level: .error, message: "upstream timed out"),
                  LogEntry(ts: now, source: "nginx", level: .info, message: "GET / 200")]
        _ = try await store.ingest(b, receivedAt: now)
        #expect(arrived.withLock { $0 } == 1)
        #expect(tail.take().lines.map(\.message) == ["upstream timed out"])
        // What the bus announced is what a search finds.
        #expect(try await store.searchLogs(try LogQuery.parse("timed", now: now), limit: 10, scanLimit: 100).lines.map(\.message) == ["upstream timed out"])
    }
}
