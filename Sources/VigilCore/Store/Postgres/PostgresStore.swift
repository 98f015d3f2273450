import Foundation
import Logging
import NIOSSL
import PostgresNIO
import VigilWire

/// The store on PostgreSQL, for a team that outgrows one box: several `vigil serve` processes and consoles share one
/// database. Same tables and behaviour as `SQLiteStore` (the conformance suite runs on both), over a pool of
/// connections (`?pool=N`).
///
/// Every write transaction first takes one transaction-scoped advisory lock, so writes are serialised across all
/// processes as SQLite serialises them: read-modify-write code (the audit chain, segment ids the head follows, log
/// templates) stays correct with several writers. Ingest group-commits, so a process holds the lock once for every
/// batch waiting. Reads never take it.
public final class PostgresStore: Store, Sendable {
    public let url: PostgresURL
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    private let tlsConfig: TLSConfiguration?
    /// The schema check, run once before the first statement (the constructor cannot wait).
    private let schemaReady = Locked<Task<Void, any Error>?>(nil)
    let writer: PostgresWriter
    private let queue: GroupCommitQueue
    /// One copy of each series name and label set among the keys this store makes.
    let keyPool = SeriesKeyPool()
    /// The lease this store's engine holds, checked by the holder-only writes (nil: not a holder, nothing checked).
    let fence = Locked<EngineFence?>(nil)
    /// Lines as they are committed, for live tails (`LogBus`).
    public let logBus = LogBus()
    /// The advisory lock every write transaction takes: `vigil` in ASCII, mixed with the schema's name so stores in
    /// different schemas of one database do not wait for each other.
    let writeLockKey: Int64

    /// The advisory lock keys of a store in `schema` (nil: the default one): writes, and migrations (one more).
    static func lockKeys(schema: String?) -> (write: Int64, migration: Int64) {
        var hash: UInt64 = 0x7669_6769_6C
        for byte in (schema ?? "").utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        let write = schema == nil ? 0x7669_6769_6C : Int64(bitPattern: hash & 0x3FFF_FFFF_FFFF_FFFE)
        return (write, write + 1)
    }

    public var description: String { "postgres \(url.shown.dropFirst("postgres://".count))" }

    public var maxSeriesPerHost: Int {
        get { writer.maxSeriesPerHost.withLock { $0 } }
        set { writer.maxSeriesPerHost.withLock { $0 = newValue } }
    }

    /// Connects lazily: the first statement opens the pool and brings the schema up to date, and fails with what is
    /// wrong (unreachable, refused, wrong password).
    public convenience init(url text: String) throws {
        try self.init(url: PostgresURL(text))
    }

    public init(url: PostgresURL) throws {
        self.url = url
        writeLockKey = Self.lockKeys(schema: url.schema).write
        var logger = Logger(label: "vigil.postgres")
        logger.logLevel = .critical
        self.logger = logger
        let tlsConfig: TLSConfiguration?
        switch url.tls {
        case .disable: tlsConfig = nil
        case .prefer, .require:
            var c = TLSConfiguration.makeClientConfiguration()
            c.certificateVerification = .none
            tlsConfig = c
        case .verifyFull:
            var c = TLSConfiguration.makeClientConfiguration()
            if let ca = url.rootCertificate {
                do {
                    c.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
                } catch {
                    throw StoreError("cannot read sslrootcert \(ca): \(error)")
                }
            }
            tlsConfig = c
        }
        self.tlsConfig = tlsConfig
        let tls: PostgresClient.Configuration.TLS = tlsConfig.map { url.tls == .prefer ? .prefer($0) : .require($0) } ?? .disable
        var config = PostgresClient.Configuration(host: url.host, port: url.port, username: url.user, password: url.password,
                                                  database: url.database, tls: tls)
        config.options.maximumConnections = url.poolSize
        config.options.minimumConnections = 0
        config.options.connectTimeout = .seconds(Int64(url.connectTimeout))
        config.options.additionalStartupParameters = Self.startupParameters(url)
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        runner = Task.detached { await client.run() }
        writer = PostgresWriter()
        queue = GroupCommitQueue()
    }

    deinit {
        runner.cancel()
    }

    // MARK: sessions

    /// Makes sure the schema is there and current (once per process; retried after a failure).
    private func ready() async throws {
        let task = schemaReady.withLock { slot -> Task<Void, any Error> in
            if let t = slot { return t }
            let t = Task { try await self.migrate() }
            slot = t
            return t
        }
        do {
            try await task.value
        } catch {
            schemaReady.withLock { $0 = nil }
            throw error
        }
    }

    /// SQLSTATEs that say "not now" rather than "no": the server is full (53300, too many clients) or starting up
    /// or shutting down (57P03). The first connection tries again on them for up to `connect_timeout`.
    static let busyStates: Set<String> = ["53300", "57P03"]

    /// The first contact: one direct connection (the pool retries a refused connection for a minute before it
    /// gives up, with a vaguer error), which brings the schema up to date. A server that is full or starting up is
    /// tried again, 0.2 s apart doubling to 2 s, until `connect_timeout` has passed: a serve that systemd starts just
    /// after PostgreSQL, or a console opened while the fleet's serves hold every connection, waits instead of failing.
    private func migrate() async throws {
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try tlsConfig.map { url.tls == .prefer ? .prefer(try NIOSSLContext(configuration: $0)) : .require(try NIOSSLContext(configuration: $0)) }
                ?? .disable
        } catch {
            throw StoreError("\(url.shown): TLS: \(error)")
        }
        var config = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user, password: url.password,
                                                      database: url.database, tls: tls)
        config.options.connectTimeout = .seconds(Int64(url.connectTimeout))
        config.options.additionalStartupParameters = Self.startupParameters(url)
        let started = ContinuousClock.now
        let deadline = started + .seconds(url.connectTimeout)
        var pause = Duration.milliseconds(200)
        let conn: PostgresConnection
        while true {
            do {
                conn = try await PostgresConnection.connect(configuration: config, id: 0, logger: logger)
                break
            } catch let e as PSQLError {
                let busy = e.serverInfo?[.sqlState].map(Self.busyStates.contains) ?? false
                if busy && ContinuousClock.now + pause < deadline {
                    try await Task.sleep(for: pause)
                    pause = min(pause * 2, .seconds(2))
                    continue
                }
                let tried = busy ? " (tried for \(Int((ContinuousClock.now - started).components.seconds)) s)" : ""
                throw StoreError("cannot connect to \(url.shown): " + PGSession.describe(e, sql: nil) + tried)
            } catch {
                throw StoreError("cannot connect to \(url.shown): \(error)")
            }
        }
        do {
            try await PostgresSchema.migrate(PGSession(connection: conn, logger: logger), schema: url.schema)
        } catch {
            try? await conn.close()
            throw error
        }
        try? await conn.close()
    }

    /// `idle_in_transaction_session_timeout`: a process frozen inside a write transaction (SIGSTOP, a swapped-out VM)
    /// would hold the write lock, and with it every other engine's ingest and the lease, for as long as it stays
    /// frozen; the server ends such a session after 15 s instead. Vigil never leaves a transaction idle that long.
    static func startupParameters(_ url: PostgresURL) -> [(String, String)] {
        [("application_name", url.applicationName), ("idle_in_transaction_session_timeout", "15000")]
            + (url.schema.map { [("search_path", $0)] } ?? [])
    }

    /// A pooled connection (no transaction), with errors that say which server and what went wrong.
    private func connection<T>(_ body: (PGSession) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { conn in
                try await body(PGSession(connection: conn, logger: self.logger))
            }
        } catch let e as PSQLError {
            throw StoreError("\(url.shown): " + PGSession.describe(e, sql: nil))
        }
    }

    /// Runs `body` on one connection in a read-only transaction (one consistent snapshot).
    @discardableResult
    func read<T>(_ body: (PGSession) async throws -> T) async throws -> T {
        try await transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", lock: false, body)
    }

    /// Runs `body` in one write transaction, serialised with every other writer of the database (`locked: false`
    /// for a single-statement write that row locks make safe, such as the lease's: it must not wait behind a
    /// stalled writer).
    @discardableResult
    func write<T>(locked: Bool = true, _ body: (PGSession) async throws -> T) async throws -> T {
        try await transaction("BEGIN", lock: locked, body)
    }

    /// `begin`, the write lock when `lock`, `body`, then COMMIT, or ROLLBACK when anything throws.
    private func transaction<T>(_ begin: String, lock: Bool, _ body: (PGSession) async throws -> T) async throws -> T {
        try await ready()
        return try await connection { s in
            try await s.execute(begin)
            do {
                if lock { try await s.execute("SELECT pg_advisory_xact_lock(?)", [writeLockKey]) }
                let v = try await body(s)
                try await s.execute("COMMIT")
                return v
            } catch {
                _ = try? await s.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Closes the pool.
    public func close() {
        runner.cancel()
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

    /// Writes everything pending in one transaction (each batch in its own savepoint), until the queue is empty.
    private func drain() async {
        while let work = queue.takeAll() {
            var results: [Result<IngestCounts, any Error>] = []
            do {
                results = try await write { s in
                    var out: [Result<IngestCounts, any Error>] = []
                    out.reserveCapacity(work.count)
                    if work.count == 1 {
                        // Alone in the transaction: its failure rolls back only itself, no savepoint needed.
                        return [.success(try await self.writer.write(work[0].batch, receivedAt: work[0].receivedAt, session: s))]
                    }
                    for item in work {
                        do {
                            let counts = try await s.savepoint {
                                try await self.writer.write(item.batch, receivedAt: item.receivedAt, session: s)
                            }
                            out.append(.success(counts))
                        } catch {
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
        let collected = try await read { s in try await PostgresCompactor.collect(s, receivedBefore: cutoff) }
        guard collected.segments > 0 else { return CompactionReport(segments: 0, samples: 0, chunksWritten: 0) }
        let series = Array(collected.perSeries)
        var written = 0
        var start = 0
        while start < series.count {
            let slice = series[start..<min(start + SQLiteCompactor.seriesPerTransaction, series.count)]
            written += try await write { s in try await PostgresCompactor.merge(s, series: slice) }
            start += slice.count
        }
        try await write { s in
            try await s.execute("DELETE FROM sample_segments WHERE id <= ? AND received_at < ?", [collected.lastID, cutoff])
            try await s.execute("DELETE FROM ingest_batches WHERE received_at < ?", [cutoff - 7 * 86_400_000])
        }
        return CompactionReport(segments: collected.segments, samples: collected.samples, chunksWritten: written)
    }

    public func stats() async throws -> StoreStats {
        try await read { s in
            let h = try await s.value(Int.self, "SELECT count(*) FROM hosts") ?? 0
            let series = try await s.value(Int.self, "SELECT count(*) FROM series") ?? 0
            let seg = try await s.value(Int.self, "SELECT count(*) FROM sample_segments") ?? 0
            let row = try await s.row("SELECT count(*) AS n, coalesce(sum(count), 0) AS samples, coalesce(sum(octet_length(data)), 0) AS bytes FROM sample_chunks")
            let l = try await s.value(Int.self, "SELECT coalesce(max(id) - min(id) + 1, 0) FROM logs") ?? 0
            let c = try await s.value(Int.self, "SELECT coalesce(max(id) - min(id) + 1, 0) FROM check_results") ?? 0
            let bytes = try await s.value(Int64.self, "SELECT pg_database_size(current_database())") ?? 0
            return StoreStats(hosts: h, series: series, headSegments: seg, chunks: try row?["n"] ?? 0, samplesInChunks: try row?["samples"] ?? 0,
                              chunkBytes: try row?["bytes"] ?? 0, logs: l, checkResults: c, bytes: bytes)
        }
    }
}
