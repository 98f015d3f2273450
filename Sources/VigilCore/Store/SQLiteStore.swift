import Foundation
import GRDB
import VigilWire

/// The default store: one SQLite file in WAL mode, zero setup.
///
/// Samples land as one head segment per batch (cheap, durable) and are compacted into per-series
/// compressed chunks (`ChunkCodec`). Concurrent ingests are group-committed: one transaction and
/// one fsync for every batch waiting, each batch inside its own savepoint so one failure cannot
/// sink the others.
public final class SQLiteStore: Store, Sendable {
    public let path: String
    let pool: DatabasePool
    let writer: WriterState
    private let queue: GroupCommitQueue
    /// One copy of each series name and label set among the keys this store makes.
    let keyPool = SeriesKeyPool()
    /// The latest result of every check, kept current from the rows added since (`fleetSnapshot`).
    let latestChecks = LatestChecks()
    /// The lease this store's engine holds, checked by the holder-only writes (nil: not a holder, nothing checked).
    let fence = Locked<EngineFence?>(nil)
    /// Lines as they are committed, for live tails (`LogBus`).
    public let logBus = LogBus()

    public var description: String { "sqlite \(path)" }

    /// The most series one host may have (default 10,000); a batch that would create more is refused with a 400
    /// `series_limit` naming the host.
    public var maxSeriesPerHost: Int {
        get { writer.maxSeriesPerHost.load(ordering: .relaxed) }
        set { writer.maxSeriesPerHost.store(newValue, ordering: .relaxed) }
    }

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    /// - Parameter synchronous: `FULL` (default) fsyncs every commit so an acknowledged batch survives
    ///   power loss; `NORMAL` survives process crashes only.
    public init(path: String, synchronous: String = "FULL") throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw StoreError("cannot create the directory for the store \(path): \(error.localizedDescription)")
            }
        }
        // A new store is readable by its owner only (it holds token hashes, the audit log, every log line): created
        // 0600 before SQLite opens it, and SQLite gives its -wal and -shm files the same mode. To let consoles of a
        // group attach, `chgrp GROUP` and `chmod 0640` the file (docs/SECURITY.md).
        if !FileManager.default.fileExists(atPath: path) {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(10)
        config.maximumReaderCount = 4
        let sync = synchronous
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(sync == "NORMAL" ? "NORMAL" : "FULL")")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try SQLiteSchema.migrator().migrate(pool)
        } catch let e as DatabaseError {
            var why = e.message ?? e.description
            if e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED {
                why += " by another process for more than 10 s (find it with: fuser \(path))"
            }
            throw StoreError("cannot open the store \(path): \(why)")
        }
        writer = WriterState()
        queue = GroupCommitQueue()
    }

    // MARK: ingest

    public func ingest(_ batch: IngestBatch, receivedAt: Int64) async throws -> IngestCounts {
        let counts = try await withCheckedThrowingContinuation { (c: CheckedContinuation<IngestCounts, any Error>) in
            if queue.submit(.init(batch: batch, receivedAt: receivedAt, continuation: c)) {
                Task.detached { await self.drain() }
            }
        }
        logBus.publish(batch)
        return counts
    }

    /// Writes everything pending in one transaction, repeatedly, until the queue is empty.
    private func drain() async {
        while let work = queue.takeAll() {
            let batches = work.map { ($0.batch, $0.receivedAt) }
            var results: [Result<IngestCounts, any Error>]
            do {
                results = try await pool.write { db in
                    var out: [Result<IngestCounts, any Error>] = []
                    out.reserveCapacity(batches.count)
                    for (batch, receivedAt) in batches {
                        do {
                            var counts: IngestCounts?
                            try db.inSavepoint {
                                counts = try self.writer.write(batch, receivedAt: receivedAt, db: db)
                                return .commit
                            }
                            out.append(.success(counts!))
                        } catch {
                            // The savepoint rolled back: cached series and template ids created inside it are gone.
                            self.writer.forgetCaches()
                            out.append(.failure(error))
                        }
                    }
                    return out
                }
            } catch {
                results = Array(repeating: .failure(error), count: work.count)
                writer.forgetCaches()
            }
            for (i, item) in work.enumerated() {
                item.continuation.resume(with: results[i])
            }
        }
    }

    // MARK: maintenance

    public func compact(olderThan cutoff: Int64) async throws -> CompactionReport {
        let collected = try await pool.read { db in try SQLiteCompactor.collect(db: db, receivedBefore: cutoff) }
        guard collected.segments > 0 else { return CompactionReport(segments: 0, samples: 0, chunksWritten: 0) }
        let series = Array(collected.perSeries)
        var written = 0
        var start = 0
        while start < series.count {
            let slice = series[start..<min(start + SQLiteCompactor.seriesPerTransaction, series.count)]
            written += try await pool.write { db in try SQLiteCompactor.merge(db: db, series: slice) }
            start += slice.count
        }
        try await pool.write { db in
            try SQLiteCompactor.finish(db: db, collected, receivedBefore: cutoff)
            try db.execute(sql: "DELETE FROM ingest_batches WHERE received_at < ?", arguments: [cutoff - 7 * 86_400_000])
        }
        return CompactionReport(segments: collected.segments, samples: collected.samples, chunksWritten: written)
    }

    public func stats() async throws -> StoreStats {
        let counts = try await pool.read { db -> [Int] in
            let h = try Int.fetchOne(db, sql: "SELECT count(*) FROM hosts") ?? 0
            let s = try Int.fetchOne(db, sql: "SELECT count(*) FROM series") ?? 0
            let seg = try Int.fetchOne(db, sql: "SELECT count(*) FROM sample_segments") ?? 0
            let row = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(count), 0), coalesce(sum(length(data)), 0) FROM sample_chunks")
            let l = try Int.fetchOne(db, sql: "SELECT coalesce(max(id) - min(id) + 1, 0) FROM logs") ?? 0
            let c = try Int.fetchOne(db, sql: "SELECT coalesce(max(id) - min(id) + 1, 0) FROM check_results") ?? 0
            return [h, s, seg, row?[0] ?? 0, row?[1] ?? 0, l, c, row?[2] ?? 0]
        }
        var bytes: Int64 = 0
        for suffix in ["", "-wal"] {
            if let attrs = try? FileManager.default.attributesOfItem(atPath: path + suffix), let n = attrs[.size] as? NSNumber {
                bytes += n.int64Value
            }
        }
        return StoreStats(hosts: counts[0], series: counts[1], headSegments: counts[2], chunks: counts[3],
                          samplesInChunks: counts[4], chunkBytes: counts[7], logs: counts[5], checkResults: counts[6], bytes: bytes)
    }

    /// Runs a WAL checkpoint so the database file holds everything (used before measuring size).
    public func checkpoint() async throws {
        _ = try await pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }
}

/// Batches waiting for the next group commit.
final class GroupCommitQueue: Sendable {
    struct Item: Sendable {
        var batch: IngestBatch
        var receivedAt: Int64
        var continuation: CheckedContinuation<IngestCounts, any Error>
    }

    private let state = Locked<(items: [Item], draining: Bool)>(([], false))

    /// Queues an item; returns true when the caller must start a drainer.
    func submit(_ item: Item) -> Bool {
        state.withLock { s in
            s.items.append(item)
            if s.draining { return false }
            s.draining = true
            return true
        }
    }

    /// Everything queued, or nil (and the drainer stops) when empty.
    func takeAll() -> [Item]? {
        state.withLock { s in
            if s.items.isEmpty {
                s.draining = false
                return nil
            }
            let items = s.items
            s.items.removeAll(keepingCapacity: true)
            return items
        }
    }
}
