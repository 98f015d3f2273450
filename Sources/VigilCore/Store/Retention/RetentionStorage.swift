/// The few operations retention and range queries need from a backend; everything else (which tier, which
/// window, in what order) is decided once, in `Retention` and `RangeQuery`. Each call is one short transaction, so
/// ingest waits at most for one of them.
public protocol RetentionStorage: AnyObject, Sendable {
    /// Every series: its id and metric name.
    func seriesCatalog() async throws -> [(id: Int64, name: String)]
    /// The ids of the series of `keys` that exist.
    func seriesIDs(_ keys: [SeriesKey]) async throws -> [SeriesKey: Int64]
    /// The oldest sample time in chunks, nil when there are none.
    func oldestChunkTime() async throws -> Int64?
    /// Raw points of `series` with `from <= ts <= to` from `source` (chunks, head segments or both), in time order.
    func rawPoints(series: [Int64], from: Int64, to: Int64, source: PointSource) async throws -> [Int64: [SeriesPoint]]
    /// Rollups at `step` of `series` with `from <= ts <= to`, in time order.
    func rollups(series: [Int64], step: Int64, from: Int64, to: Int64) async throws -> [Int64: [Rollup]]
    /// Lays `rollups` over the stored ones at `step` (a bucket with the same start is replaced), in blocks
    /// of `blockSpan` ms per series.
    func writeRollups(_ rollups: [Int64: [Rollup]], step: Int64, blockSpan: Int64) async throws
    /// Deletes raw chunks of `series` wholly before `cutoff`; returns the chunks deleted.
    func deleteChunks(series: [Int64], endingBefore cutoff: Int64) async throws -> Int
    /// Deletes rollup blocks at `step` of `series` wholly before `cutoff`; returns the blocks deleted.
    func deleteRollups(series: [Int64], step: Int64, endingBefore cutoff: Int64) async throws -> Int
    /// Deletes up to `limit` rows of `table` older than `cutoff`; returns how many.
    func deleteAged(_ table: AgedTable, before cutoff: Int64, limit: Int) async throws -> Int
    /// Stored log lines and the bytes of their messages.
    func logFootprint() async throws -> (lines: Int64, bytes: Int64)
    /// Deletes the `count` oldest log lines; returns how many.
    func deleteOldestLogs(count: Int) async throws -> Int
    /// Rollup blocks and their bytes, per step.
    func rollupStats() async throws -> [Int64: (blocks: Int64, buckets: Int64, bytes: Int64)]
}

/// Where stored points are read from. Every read of the head segments scans all of them in the time range (a
/// segment holds every series of one batch), so a caller reading many small sets of series reads the chunks per set
/// and the segments once (`AnomalyScanService`'s restore).
public enum PointSource: Sendable {
    /// The chunks and the segments not yet folded into them: every stored point.
    case all
    /// The per-series chunks only (an index lookup per series).
    case chunks
    /// The head segments only.
    case segments
}

extension RetentionStorage {
    /// Every raw point of `series` with `from <= ts <= to`, in time order.
    public func rawPoints(series: [Int64], from: Int64, to: Int64) async throws -> [Int64: [SeriesPoint]] {
        try await rawPoints(series: series, from: from, to: to, source: .all)
    }
}

extension Store {
    /// Every stored point of each series of `keys` in `[from, to]`, chunks and head segments, in time order.
    public func points(_ keys: [SeriesKey], from: Int64, to: Int64) async throws -> [SeriesKey: [SeriesPoint]] {
        try await points(keys, from: from, to: to, source: .all)
    }

    /// The points of each series of `keys` in `[from, to]` from `source` (by default every stored point), in time
    /// order (series with none are left out). One implementation for both backends, over `seriesIDs` and `rawPoints`.
    public func points(_ keys: [SeriesKey], from: Int64, to: Int64, source: PointSource) async throws -> [SeriesKey: [SeriesPoint]] {
        let ids = try await seriesIDs(keys)
        let points = try await rawPoints(series: Array(Set(ids.values)), from: from, to: to, source: source)
        var out: [SeriesKey: [SeriesPoint]] = [:]
        for (key, id) in ids { if let p = points[id], !p.isEmpty { out[key] = p } }
        return out
    }
}

/// Tables pruned by age alone.
public enum AgedTable: String, CaseIterable, Sendable {
    case logs, checkResults = "check results", chat = "chat conversations", aiCalls = "AI calls", reports
    case processes = "process samples"
    case dbQueries = "database queries"
    case connections = "connections"
    case sla = "SLA rollups and violations"
}
