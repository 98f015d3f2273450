import Foundation
import Logging
import ServiceLifecycle
import VigilWire

/// What `vigil demo` records in the store it seeds (setting `demo`), so that any engine holding that store keeps
/// the demo fleet reporting.
public struct DemoSettings: Codable, Sendable, Equatable {
    /// When the demo was seeded: the incidents' onsets are offsets from it.
    public var epoch: Int64
    public var hosts: Int
    public var days: Int
    public var seed: UInt64

    public static let key = "demo"
    /// The setting holding the time of the last simulated batch.
    public static let lastKey = "demo.last"

    public init(epoch: Int64, hosts: Int, days: Int, seed: UInt64 = 42) {
        self.epoch = epoch
        self.hosts = hosts
        self.days = days
        self.seed = seed
    }

    /// The demo settings of `store`, or nil when it is not a demo store (or the setting is unreadable).
    public static func load(from store: any Store) async -> DemoSettings? {
        guard let text = try? await store.setting(key) else { return nil }
        return try? JSONDecoder().decode(DemoSettings.self, from: Data(text.utf8))
    }

    public func save(to store: any Store, now: Int64) async throws {
        let data = try JSONEncoder().encode(self)
        try await store.setSetting(Self.key, to: String(decoding: data, as: UTF8.self), now: now)
        try await store.setSetting(Self.lastKey, to: String(epoch), now: now)
    }

    /// The fleet as it is at `now`.
    public func fleet(now: Int64) -> DemoFleet {
        DemoFleet(hostCount: hosts, days: days, now: now, epoch: epoch, seed: seed)
    }
}

/// Keeps a demo store alive while this engine holds the lease: every `interval` each demo host reports, as its
/// agent would; a gap since the last run (no console was open) is filled at one-minute steps, up to `maxBackfill`;
/// and data older than the demo's days is pruned every hour, so a demo left running stays bounded.
public struct DemoSimulatorService: Service {
    let store: any Store
    let settings: DemoSettings
    let interval: Int64
    let maxBackfill: Int64
    let isLeader: @Sendable () -> Bool
    let onCommit: @Sendable () -> Void
    let logger: Logger

    public init(store: any Store, settings: DemoSettings, interval: Int64 = 10_000, maxBackfill: Int64 = 6 * 3_600_000,
                isLeader: @escaping @Sendable () -> Bool, onCommit: @escaping @Sendable () -> Void, logger: Logger) {
        self.store = store
        self.settings = settings
        self.interval = interval
        self.maxBackfill = maxBackfill
        self.isLeader = isLeader
        self.onCommit = onCommit
        self.logger = logger
    }

    public func run() async throws {
        var rng = SplitMix64(seed: settings.seed ^ UInt64(truncatingIfNeeded: WallClock.nowMs()))
        var last = Int64((try? await store.setting(DemoSettings.lastKey)) ?? nil ?? "") ?? settings.epoch
        var lastPrune: Int64 = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = WallClock.nowMs()
            if isLeader() && now - last >= interval {
                do {
                    // The gap while nobody ran the demo, at one-minute steps, then the present.
                    var t = max(last + 60_000, now - maxBackfill)
                    while t < now - interval {
                        try await report(at: t, rng: &rng)
                        t += 60_000
                    }
                    try await report(at: now, rng: &rng)
                    last = now
                    try await store.setSetting(DemoSettings.lastKey, to: String(now), now: now)
                    onCommit()
                    if now - lastPrune >= 3_600_000 {
                        lastPrune = now
                        let pruned = try await store.prune(before: now - Int64(settings.days) * 86_400_000)
                        if pruned > 0 { logger.debug("demo: pruned \(pruned) rows older than \(settings.days) days") }
                    }
                } catch {
                    logger.error("demo simulation: \(error)")
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }

    /// One batch from every demo host that reports at `t`, committed together.
    func report(at t: Int64, rng: inout SplitMix64) async throws {
        let fleet = settings.fleet(now: t)
        let batches = fleet.hosts.compactMap { fleet.liveBatch(for: $0, at: t, rng: &rng) }
        let store = self.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for b in batches {
                group.addTask { _ = try await store.ingest(b, receivedAt: t) }
            }
            try await group.waitForAll()
        }
    }
}
