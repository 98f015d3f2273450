import Logging
import VigilWire

/// Runs the anomaly scanner for the rule evaluation service (lease holder only; called by its scan loop every
/// tick, beside the evaluations, not a `Service` of its own): reads the new points of the series it scans (the core metrics of every host and
/// those that `anomaly` rules name), feeds them to
/// `AnomalyScanner`, stores the scores as the derived series `anomaly.score{metric=<name>, <series labels>}`
/// through the normal ingest path, and returns the score per series for `RuleInput.anomalyScores`.
///
/// Reads: in the engine, the scanned series' new points come from the rule evaluator's `HeadFeeder`, which hands
/// them over as it reads each committed segment (its tap): a scan reads nothing from the store for them. Only when
/// the feeder skipped segments (its head was rebuilt from a snapshot) are their points since each cursor read
/// from the store, once, no further back than `catchUpMs`. Without a feeder (tests, tools) they are read from the
/// store: series whose newest fed point is recent (within `fastLagMs` of now) every scan from their oldest cursor;
/// the others (quiet or stopped series) once a minute, no further back than `catchUpMs`, so one stopped series does
/// not make every scan re-read an hour of data. Series seen for the first time (including every series after a
/// restart) are restored from the store's last 7 days (`AnomalyScanner`), for at most `restoreBudgetMs` per scan.
public final class AnomalyScanService: Sendable {
    struct State: Sendable {
        var scanner: AnomalyScanner
        var lastSlowScan = Int64.min
        var refusedReported = 0
        var scans = 0
        /// Series seen but not restored yet (the last scan ran out of its restore budget).
        var restorePending = 0
        /// Series left out by the per-host limit at the latest scan.
        var leftOutPerHost = 0
        var lastScanSeconds = 0.0
        /// What the latest full read of the series found, when it left nothing to restore: while the metrics and
        /// the number of their series stay the same, every series is scanned already and the next scans skip it.
        var catalog: Catalog?
        /// The series the feeder's tap was last told to hand over (nil: not told yet).
        var tapped: Set<SeriesKey>?
        /// The tap skipped segments: the scanned series' points since their cursors are read from the store.
        var catchUp = false
        /// Reads from the store the tap's gaps made.
        var catchUps = 0
    }

    struct Catalog: Equatable {
        var metrics: Set<String>
        var perHostMetrics: Set<String>
        var series: Int
    }

    /// What `/metrics` shows of the scanner.
    public struct Stats: Sendable, Equatable {
        public var series: Int
        public var refused: Int
        public var stateBytes: Int
        public var scans: Int
        public var scored: Int
        public var lastScanSeconds: Double
        /// Times the scanned series' points were read from the store because the feeder skipped segments.
        public var catchUps: Int
    }

    public var stats: Stats {
        state.withLock { s in
            Stats(series: s.scanner.count, refused: s.scanner.refused.count + s.leftOutPerHost, stateBytes: s.scanner.stateBytes, scans: s.scans,
                  scored: s.scanner.fed, lastScanSeconds: s.lastScanSeconds, catchUps: s.catchUps)
        }
    }

    let store: any Store
    /// Hands over the scanned series' new points as committed segments are read (nil: they are read from the store).
    let feeder: HeadFeeder?
    let logger: Logger
    let fastLagMs: Int64 = 5 * 60_000
    let slowEveryMs: Int64 = 60_000
    let catchUpMs: Int64 = 60 * 60_000
    /// Points up to this far in the future are read (the listener refuses more skew).
    let futureMs: Int64 = WireLimits.default.maxFutureSkewMs
    /// Time spent restoring series per scan (at least one chunk of 50 is restored).
    let restoreBudgetMs: Int64 = 3_000
    /// Series whose head segments a restore reads at once (the chunks are read 50 at a time).
    static let restoreBlock = 2_000
    /// A restored series' old anomalies do not alert: only scores of points this recent do.
    let alertRecentMs: Int64 = 5 * 60_000
    private let state: Locked<State>

    /// The most series of `perHostMetrics` scanned per host.
    let seriesPerHost: Int

    public init(store: any Store, feeder: HeadFeeder? = nil, maxSeries: Int = AnomalyScanner.defaultMaxSeries,
                seriesPerHost: Int = AnomalyScanner.defaultCoreSeriesPerHost, logger: Logger) {
        self.store = store
        self.feeder = feeder
        self.logger = logger
        self.seriesPerHost = seriesPerHost
        state = Locked(State(scanner: AnomalyScanner(maxSeries: maxSeries)))
    }

    /// The scores as of the latest scan.
    public var scores: [SeriesKey: Double] { state.withLock { $0.scanner.scores } }

    /// Whether series wait to be restored: the next scan should not wait for new data.
    public var restorePending: Bool { state.withLock { $0.restorePending > 0 } }

    /// Whether the feeder holds new points of scanned series: the next scan should not wait for a commit.
    public var hasNewPoints: Bool { (feeder?.tapPoints ?? 0) > 0 }

    /// Number of series scanned.
    public var scannedSeries: Int { state.withLock { $0.scanner.count } }

    /// Scans the new points of every series of `metrics`, at most `seriesPerHost` per host of `perHostMetrics` (the
    /// core metrics no rule names); returns the score per scanned series. Called from one task at a time (the
    /// evaluation service's scan loop).
    public func scan(metrics requested: Set<String>, perHostMetrics: Set<String> = [], now: Int64) async throws -> [SeriesKey: Double] {
        let scanStarted = WallClock.monotonicNs()
        defer {
            let seconds = Double(WallClock.monotonicNs() - scanStarted) / 1e9
            state.withLock { s in
                s.scans += 1
                s.lastScanSeconds = seconds
            }
        }
        let metrics = requested.subtracting([AnomalyScanner.scoreMetric])
        state.withLock { $0.scanner.retain(metrics: metrics) }
        guard !metrics.isEmpty else {
            tap(metrics: [], series: [])
            return [:]
        }
        // Every series of the metrics, only when some may be new: read each scan, the 89,000 series of the ingest
        // bench were tens of MB and a good part of a scan's time.
        let catalog = Catalog(metrics: metrics, perHostMetrics: perHostMetrics, series: try await store.seriesCount(metrics: metrics))
        let known = state.withLock { $0.catalog == catalog }
        let all = known ? [] : try await store.seriesKeys(metrics: metrics)
        let (cursors, room, slowDue) = state.withLock { s in
            (s.scanner.cursors, s.scanner.maxSeries - s.scanner.count, s.lastSlowScan == .min || now - s.lastSlowScan >= slowEveryMs)
        }
        let keys = Self.limitPerHost(all, metrics: perHostMetrics, to: seriesPerHost, tracked: { cursors[$0] != nil })
        if !known { state.withLock { $0.leftOutPerHost = all.count - keys.count } }
        var scored: [SeriesKey: [SeriesPoint]] = [:]

        // Series new to the scanner: restore from history, within the cap.
        let fresh = keys.filter { cursors[$0] == nil }
        let restoring = Array(fresh.prefix(max(0, room)))
        if !known { reportCap(total: all.count, refused: all.count - keys.count + fresh.count - restoring.count) }
        // Until restored (if a read below throws, they stay pending).
        state.withLock { $0.restorePending = restoring.count }
        // The tap hands over the points of the series scanned and of those being restored, from before the restore
        // reads the store: every segment committed after that read reaches the tap.
        if feeder != nil && (!known || !restoring.isEmpty || state.withLock({ $0.tapped == nil })) {
            tap(metrics: metrics, series: Set(cursors.keys).union(restoring))
        }
        // Restoring reads up to a week per series: a few seconds per scan at most, so that after a restart the
        // rules are not held up until every series is back (the rest follow at the next scans). The chunks are read
        // 50 series at a time (a week of 50 series is the memory bound); the head segments, which every read scans
        // whole, once per `restoreBlock` series. Segments before chunks: a compaction between the two reads then
        // moves points into chunks still to be read, never out of both.
        let began = WallClock.nowMs()
        let from = now - AnomalyScanner.restoreWindowMs
        var start = 0
        var recent: [SeriesKey: [SeriesPoint]] = [:]
        var recentUntil = 0
        while start < restoring.count && (start == 0 || WallClock.nowMs() - began < restoreBudgetMs) {
            if start >= recentUntil {
                let block = restoring[start..<min(start + Self.restoreBlock, restoring.count)]
                recent = try await store.points(block + block.map(AnomalyScanner.scoreKey(of:)), from: from, to: now + futureMs, source: .segments)
                recentUntil = start + block.count
            }
            let chunk = Array(restoring[start..<min(start + 50, recentUntil)])
            start += chunk.count
            // The series and their stored scores in one read.
            let older = try await store.points(chunk + chunk.map(AnomalyScanner.scoreKey(of:)), from: from, to: now + futureMs, source: .chunks)
            let read = { (key: SeriesKey) in PointAccumulator.merge(older[key] ?? [], recent[key] ?? []) }
            // One series at a time under the lock, yielding between them: replaying a week of one series takes tens
            // of milliseconds (far more in a sanitizer build), and a whole chunk under the lock kept the evaluation
            // (which reads the scores) waiting on one cooperative thread while the replay held the other.
            for key in chunk {
                let until = read(AnomalyScanner.scoreKey(of: key)).last?.ts
                let history = read(key)
                let new = state.withLock { s in
                    s.scanner.restore(key, history: history, scoredUntil: until, alertFrom: now - alertRecentMs)
                }
                if let new, !new.isEmpty { scored[key] = new }
                await Task.yield()
            }
        }

        state.withLock { s in
            s.restorePending = restoring.count - start
            // Known from now on only when every series is scanned (none left for the next scans to restore, none
            // refused by the cap) and the count was read before the series were.
            if !known { s.catalog = fresh.count == restoring.count && start == restoring.count ? catalog : nil }
        }

        // Series already scanned: their new points, as the feeder handed them over or read from their cursors.
        if let feeder {
            try await feedFromTap(feeder, now: now, into: &scored)
        } else {
            if slowDue { state.withLock { $0.lastSlowScan = now } }
            try await read(from: cursors, slowToo: slowDue, now: now, into: &scored)
        }
        try await store(scored, now: now)
        return state.withLock { $0.scanner.scores }
    }

    /// Tells the feeder which series to hand over.
    private func tap(metrics: Set<String>, series: Set<SeriesKey>) {
        guard let feeder else { return }
        let changed = state.withLock { s -> Bool in
            guard s.tapped != series else { return false }
            s.tapped = series
            return true
        }
        if changed { feeder.want(metrics: series.isEmpty ? [] : metrics, series: series) }
    }

    /// Feeds the scanned series the points the feeder handed over since the last scan; first, when it skipped
    /// segments, their points since each cursor from the store (the tap's points are fed after them: a series takes
    /// only points newer than its cursor).
    private func feedFromTap(_ feeder: HeadFeeder, now: Int64, into scored: inout [SeriesKey: [SeriesPoint]]) async throws {
        let (handed, gap) = feeder.drainTap()
        let cursors = state.withLock { s in
            if gap { s.catchUp = true }
            return s.catchUp ? s.scanner.cursors : [:]
        }
        if !cursors.isEmpty {
            // Should this throw, the handed-over points are not fed either (they would move the cursors past what
            // was not read): `catchUp` stays, and the next scan's read from the cursors has them too.
            try await read(from: cursors, slowToo: true, now: now, into: &scored)
            state.withLock { s in
                s.catchUp = false
                s.catchUps += 1
            }
        } else if gap {
            state.withLock { $0.catchUp = false }
        }
        feed(handed, into: &scored)
    }

    /// Reads the points after each cursor from the store and feeds them: the series fed recently (within
    /// `fastLagMs`) from the oldest of their cursors; with `slowToo`, the others too, in a read of their own, no
    /// further back than `catchUpMs`.
    private func read(from cursors: [SeriesKey: Int64], slowToo: Bool, now: Int64, into scored: inout [SeriesKey: [SeriesPoint]]) async throws {
        var lanes: [[(SeriesKey, Int64)]] = [cursors.filter { $0.value >= now - fastLagMs }.map { ($0.key, $0.value) }]
        if slowToo { lanes.append(cursors.filter { $0.value < now - fastLagMs }.map { ($0.key, $0.value) }) }
        for lane in lanes where !lane.isEmpty {
            let oldest = lane.map(\.1).min() ?? now
            let from = max(oldest == .min ? .min : oldest + 1, now - catchUpMs)
            feed(try await store.points(lane.map(\.0), from: from, to: now + futureMs), into: &scored)
        }
    }

    private func feed(_ points: [SeriesKey: [SeriesPoint]], into scored: inout [SeriesKey: [SeriesPoint]]) {
        guard !points.isEmpty else { return }
        state.withLock { s in
            for (key, pts) in points {
                let new = s.scanner.feed(key, points: pts)
                if !new.isEmpty { scored[key, default: []] += new }
            }
        }
    }

    /// Writes the scores as `anomaly.score` samples, one batch per host.
    private func store(_ scored: [SeriesKey: [SeriesPoint]], now: Int64) async throws {
        var byHost: [String: [Sample]] = [:]
        for (key, points) in scored {
            let scoreKey = AnomalyScanner.scoreKey(of: key)
            byHost[key.host, default: []] += points.map { Sample(name: scoreKey.name, value: $0.value, ts: $0.ts, labels: scoreKey.labels) }
        }
        for (host, samples) in byHost.sorted(by: { $0.key < $1.key }) {
            // "Received" at the newest scored point (never later than now): storing scores must not make a host
            // that stopped reporting look alive.
            let newest = samples.map(\.ts).max() ?? now
            _ = try await store.ingest(IngestBatch(host: host, samples: samples), receivedAt: min(now, newest))
        }
    }

    /// `keys` with at most `limit` series of `metrics` per host (the others are kept whole), in their order: the
    /// series already scanned stay, then the host's others by fewest labels (`cpu.usage_percent` before a mount's
    /// `disk.used_percent`), name and labels, so which ones stay is the same scan after scan.
    static func limitPerHost(_ keys: [SeriesKey], metrics: Set<String>, to limit: Int, tracked: (SeriesKey) -> Bool) -> [SeriesKey] {
        guard !metrics.isEmpty else { return keys }
        var byHost: [String: [SeriesKey]] = [:]
        for key in keys where metrics.contains(key.name) { byHost[key.host, default: []].append(key) }
        var dropped: Set<SeriesKey> = []
        for (_, hostKeys) in byHost where hostKeys.count > limit {
            // Steady state: the host's `limit` series are scanned already, so the others go, unranked.
            let untracked = hostKeys.filter { !tracked($0) }
            if hostKeys.count - untracked.count == limit {
                dropped.formUnion(untracked)
                continue
            }
            let ranked = hostKeys.map { (key: $0, tracked: tracked($0), labels: LabelsCodec.encode($0.labels)) }.sorted { a, b in
                if a.tracked != b.tracked { return a.tracked }
                if a.key.labels.count != b.key.labels.count { return a.key.labels.count < b.key.labels.count }
                return a.key.name != b.key.name ? a.key.name < b.key.name : a.labels < b.labels
            }
            dropped.formUnion(ranked.dropFirst(limit).map(\.key))
        }
        return dropped.isEmpty ? keys : keys.filter { !dropped.contains($0) }
    }

    private func reportCap(total: Int, refused: Int) {
        let changed = state.withLock { s -> Bool in
            guard s.refusedReported != refused else { return false }
            s.refusedReported = refused
            return true
        }
        guard changed else { return }
        if refused > 0 {
            logger.warning("anomaly scanner: \(total) series to scan (core metrics and those anomaly rules name); scanning \(total - refused), \(refused) not scanned (at most \(seriesPerHost) core series per host, vigil serve --anomaly-series-per-host; \(AnomalyScanner.defaultMaxSeries) in all)")
        } else {
            logger.info("anomaly scanner: all \(total) series are scanned again")
        }
    }
}
