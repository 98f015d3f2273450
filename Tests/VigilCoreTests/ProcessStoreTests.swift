import Foundation
import Testing
import VigilWire
@testable import VigilCore

/// The top processes agents report: stored with the batch, read back per host and time, deleted by age.
@Suite struct ProcessStoreTests {
    @Test(arguments: Backend.available) func processesAreStoredReadAndAged(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        for (i, at) in [now - 8 * 86_400_000, now - 120_000, now - 60_000].enumerated() {
            var b = IngestBatch(host: "web-1")
            b.processes = [ProcessSample(pid: 100, user: "www-data", command: "nginx: worker", cpuPercent: Double(i * 10), rssBytes: 1 << 20,
                                         state: "S", startedAt: now - 9 * 86_400_000, ts: at),
                           ProcessSample(pid: 200, user: "postgres", command: "postgres: checkpointer", cpuPercent: 0.5, rssBytes: 1 << 28,
                                         state: "D", startedAt: now - 9 * 86_400_000, ts: 0)]
            _ = try await store.ingest(b, receivedAt: at)
        }
        var other = IngestBatch(host: "db-1")
        other.processes = [ProcessSample(pid: 1, user: "root", command: "init", cpuPercent: 0, rssBytes: 1, state: "S", startedAt: 0, ts: now)]
        _ = try await store.ingest(other, receivedAt: now)

        let hour = try await store.processSamples(host: "web-1", from: now - 3_600_000, to: now, limit: 1000)
        #expect(hour.count == 4 && hour.allSatisfy { $0.ts >= now - 120_000 }, "\(hour)")
        #expect(hour.map(\.ts) == hour.map(\.ts).sorted(), "oldest first")
        #expect(hour.last?.command == "postgres: checkpointer" && hour.last?.state == "D" && hour.last?.ts == now - 60_000, "ts 0 is the receive time")
        #expect(hour.filter { $0.pid == 100 }.map(\.cpuPercent) == [10, 20])
        #expect(try await store.processSamples(host: "web-1", from: now - 3_600_000, to: now, limit: 2).map(\.ts) == [now - 60_000, now - 60_000],
                "a limit keeps the newest")
        // Retention: 7 days by default.
        let deleted = try await store.deleteAged(.processes, before: now - RetentionPolicy().processes, limit: 100)
        #expect(deleted == 2)
        #expect(try await store.processSamples(host: "web-1", from: 0, to: now, limit: 1000).count == 4)
    }
}
