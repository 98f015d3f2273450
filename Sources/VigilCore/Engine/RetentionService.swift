import Logging
import ServiceLifecycle
import VigilWire

/// Applies the store's retention policy (`Retention.run`) while this engine holds the lease: five minutes after
/// start, then every `every`. A run stops between steps when the lease moves or the engine shuts down; the next run carries
/// on from the watermarks. Each step is one short transaction, so ingest never waits behind a whole run.
struct RetentionService: Service {
    let store: any Store
    let every: Duration
    let isLeader: @Sendable () -> Bool
    let logger: Logger

    func run() async throws {
        var failing = false
        // The first run waits a few minutes: a console opened for a quick look does not spend its first seconds on it.
        var wait = min(every, .seconds(300))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await gracefulShutdownSleep(wait)
            wait = every
            guard isLeader(), !Task.isShuttingDownGracefully else { continue }
            let started = ContinuousClock.now
            do {
                let policy = try await RetentionPolicy.load(from: store)
                let isLeader = self.isLeader
                let report = try await Retention.run(store, policy: policy, now: WallClock.nowMs(),
                                                     shouldStop: { Task.isShuttingDownGracefully || !isLeader() })
                logger.info("retention: \(report.summary) in \(ContinuousClock.now - started)")
                failing = false
                MemoryTrim.releaseFreeMemory()
            } catch {
                if Task.isCancelled { return }  // the engine is stopping: its store calls were cut short, nothing failed
                // Said once per failing streak, at error level: a store that keeps everything grows without bound.
                if !failing { logger.error("retention failed (data is kept, nothing is rolled up or deleted until it works): \(error)") }
                failing = true
            }
        }
    }
}
