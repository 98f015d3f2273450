import Logging

/// Keeps a `MetricHead` current for the rule evaluator: rebuilt from the store when the metrics or windows it must
/// hold change, when this engine (re)gains the lease, or when the segment log moved on without it; otherwise fed
/// the samples of every segment committed since the last read, by this process or any other writer.
/// Used by one task at a time (the evaluator's). The same read hands the samples of the series a tap wants (the
/// anomaly scanner's) to that tap (`want`, `drainTap`), so the scanner is fed without reading the store.
public final class HeadFeeder: Sendable {
    struct State: Sendable {
        var head = MetricHead(windows: [:])
        /// What each series id's samples are to the head, learned from the store once per id.
        var keyTable = HeadKeyTable(metrics: [])
        var tap = HeadTap()
        var cursor: Int64 = 0
        var valid = false
        var rebuilds = 0
    }

    let store: any Store
    let logger: Logger
    /// Segments read per query while catching up. Each query's segments are decoded whole before they reach the head:
    /// 2,000 at a time were about 40 MB of the engine's peak under the ingest bench (an evaluator a few seconds behind
    /// 500 commits a second). Fewer cost CPU: the head looks a series up once per query, and with 256 a series had
    /// a sample or two per query (+8 % CPU per sample); 1,000 cost the same as 2,000 (docs/BENCHMARKS.md).
    let batchSegments: Int
    private let state = Locked(State())

    public init(store: any Store, logger: Logger, batchSegments: Int = 1_000) {
        self.store = store
        self.logger = logger
        self.batchSegments = batchSegments
    }

    /// Forget the head: the next `update` rebuilds it (the lease was lost; another engine owned the alerts).
    public func invalidate() {
        state.withLock { $0.valid = false }
    }

    /// What `/metrics` shows of the head.
    public struct Stats: Sendable, Equatable {
        public var series: Int
        /// Bytes of sample data: sealed chunks, and tails at 16 bytes a sample.
        public var bytes: Int
        public var rebuilds: Int
        public var outOfOrder: Int
    }

    public var stats: Stats {
        state.withLock { s in
            let f = s.head.footprint
            return Stats(series: f.series, bytes: f.bytes, rebuilds: s.rebuilds, outOfOrder: s.head.outOfOrder)
        }
    }

    /// From the next segment read on, hands the samples of `series` (of `metrics`) to the tap, until `drainTap`.
    public func want(metrics: Set<String>, series: Set<SeriesKey>) {
        state.withLock { _ = $0.tap.want(metrics: metrics, series: series) }
    }

    /// The samples of the wanted series read since the last drain, per series in commit order, and whether segments
    /// were skipped since (the head was rebuilt from a snapshot: some of the series' samples never reached the tap).
    public func drainTap() -> (points: [SeriesKey: [SeriesPoint]], gap: Bool) {
        state.withLock { $0.tap.drain() }
    }

    /// Samples waiting in the tap.
    public var tapPoints: Int { state.withLock { $0.tap.pointCount } }

    /// Reads the head (after `update`) without copying it.
    public func read<T>(_ body: (MetricHead) -> T) -> T {
        state.withLock { body($0.head) }
    }

    /// What an `update` changed: the head was rebuilt (every series may have changed), or these series got samples.
    public struct Changes: Sendable {
        public var rebuilt = false
        public var hosts: Set<String> = []
    }

    /// Brings the head up to the store's latest commit, holding `windows` (metric → ms to keep).
    @discardableResult
    public func update(windows: [String: Int64], now: Int64) async throws -> Changes {
        var changes = Changes()
        let needsRebuild = state.withLock { s -> Bool in
            let grew = s.head.setWindows(windows)
            return grew || !s.valid
        }
        if needsRebuild {
            try await rebuild(windows: windows, now: now)
            changes.rebuilt = true
        }
        let metrics = Set(windows.keys)
        while true {
            let cursor = state.withLock { $0.cursor }
            let data = try await store.headSegments(after: cursor, limit: batchSegments)
            if data.gap {
                logger.info("head: the segment log moved past the head's position; rebuilding from the store")
                try await rebuild(windows: windows, now: now)
                changes.rebuilt = true
                continue
            }
            // Taken out while it is used, so that learning new ids does not copy it.
            var table = state.withLock { s in
                var t: HeadKeyTable
                if s.keyTable.metrics == metrics && s.keyTable.tapMetrics == s.tap.metrics {
                    t = s.keyTable.take()
                } else {
                    t = HeadKeyTable(metrics: metrics, tapMetrics: s.tap.metrics)
                    s.tap.slotsChanged()
                }
                t.setTap(s.tap.series, version: s.tap.version)
                return t
            }
            let segments = try await HeadSegments.decode(data, after: cursor, table: &table, resolve: store.seriesKeys(ids:))
            state.withLock { s in
                s.keyTable = table
                for i in 0..<segments.runCount {
                    let run = segments.run(i)
                    let uses = table.uses[Int(run.slot)]
                    if uses & HeadKeyTable.held != 0, s.head.append(run.key, points: run.points) > 0 { changes.hosts.insert(run.key.host) }
                    if uses & HeadKeyTable.tapped != 0 { s.tap.add(slot: run.slot, key: run.key, points: run.points) }
                }
                s.cursor = segments.cursor
            }
            if !segments.more { break }
        }
        return changes
    }

    private func rebuild(windows: [String: Int64], now: Int64) async throws {
        let longest = windows.values.max() ?? 0
        let snapshot = try await store.headSnapshot(metrics: Set(windows.keys), from: now - longest)
        var head = MetricHead(windows: windows)
        for (key, points) in snapshot.points { head.load(key, points: points, lastSeen: snapshot.lastSeen[key]) }
        for (key, last) in snapshot.lastSeen where snapshot.points[key] == nil { head.load(key, points: [], lastSeen: last) }
        state.withLock { s in
            s.head = head
            s.keyTable = HeadKeyTable(metrics: Set(windows.keys), tapMetrics: s.tap.metrics)   // learned again: a dropped series' id may be given again
            s.tap.slotsChanged()
            // The segments up to the snapshot's cursor are not read: the tap's series miss theirs.
            s.tap.skipped()
            s.cursor = snapshot.cursor
            s.valid = true
            s.rebuilds += 1
        }
    }
}
