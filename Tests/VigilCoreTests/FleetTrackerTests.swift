import Foundation
import Logging
import Testing
import VigilTestSupport
import VigilWire
@testable import VigilCore

@Suite struct FleetTrackerTests {
    /// The console's incremental snapshot equals the store's full one, at the start and after more ingest
    /// (committed by another handle on the store, as another engine would).
    @Test(arguments: Backend.available) func theTrackedSnapshotIsTheFullSnapshot(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        let fleet = DemoFleet(hostCount: 6, days: 1, now: now)
        for host in fleet.hosts {
            for batch in fleet.batches(for: host) { _ = try await store.ingest(batch, receivedAt: batch.samples.last?.ts ?? now) }
        }
        _ = try await store.compact(olderThan: now - 120_000)
        let tracker = FleetTracker(store: store, logger: Logger(label: "test"))
        let first = try await tracker.snapshot(now: now)
        #expect(first == (try await store.fleetSnapshot(now: now)))
        #expect(first.hosts.count == 6 && first.hosts.allSatisfy { $0.cpu != nil && !$0.cpuHistory.isEmpty })

        let writer = try await backend.open(dir)
        var rng = SplitMix64(seed: 5)
        for step in 1...4 {
            // 10 s apart, then a jump past the tracker's 30 s full recompute.
            let t = now + (step < 4 ? Int64(step) * 10_000 : 60_000)
            var reported = Set<String>()
            for host in fleet.hosts {
                if let batch = fleet.liveBatch(for: host, at: t, rng: &rng) {
                    _ = try await writer.ingest(batch, receivedAt: t)
                    reported.insert(host.name)
                }
            }
            let tracked = try await tracker.snapshot(now: t)
            let full = try await store.fleetSnapshot(now: t)
            if step == 4 {
                #expect(tracked == full, "after the full recompute")
            } else {
                // Hosts that reported are recomputed at once; a silent host's sparkline may lag by up to 30 s.
                #expect(tracked.hosts.filter { reported.contains($0.name) } == full.hosts.filter { reported.contains($0.name) },
                        "after \(step) rounds of new samples")
                #expect(!reported.isEmpty)
            }
        }
        let moved = try #require(try await tracker.snapshot(now: now + 30_000).hosts.first)
        #expect(moved.cpu != first.hosts.first?.cpu || moved.cpuHistory != first.hosts.first?.cpuHistory)
    }
}
