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
    /// Raw points of `series` with `from <= ts <= to` (chunks and head segments), in time order.
    func rawPoints(series: [Int64], from: Int64, to: Int64) async throws -> [Int64: [SeriesPoint]]
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

extension Store {
    /// Every point of each series of `keys` in `[from, to]`, from chunks and the head, in time order (series with
    /// none are left out). One implementation for both backends, over `seriesIDs` and `rawPoints`.
    public func points(_ keys: [SeriesKey], from: Int64, to: Int64) async throws -> [SeriesKey: [SeriesPoint]] {
        let ids = try await seriesIDs(keys)
        let points = try await rawPoints(series: Array(Set(ids.values)), from: from, to: to)
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
