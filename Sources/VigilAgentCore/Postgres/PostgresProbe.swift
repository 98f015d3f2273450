import VigilWire

/// Watches one PostgreSQL server (`databases:` in the agent's config): each cycle, one round trip of monitoring queries
/// (and one more for `pg_stat_statements` when the server has it) turned into `pg.*` metrics and the long-running and
/// slow queries. Keeps its connection between cycles and reconnects after a failure (at most every 30 s); while the server cannot be reached
/// it reports `pg.up 0` and says why once, not every cycle. Not thread-safe: the agent's loop owns it.
public final class PostgresProbe {
    public let config: DatabaseConfig
    public let target: PostgresTarget
    private let log: AgentLog
    private var connection: PostgresConnection?
    private var previous: PostgresReading?
    private var statements: PostgresStatements?
    /// Whether `pg_stat_statements` answers on this connection (nil: not tried yet).
    private var hasStatements: Bool?
    /// The last failure reported, so a lasting outage is logged once.
    public private(set) var lastError: String?
    /// After a failed connect, no new attempt before this (monotonic ms): a server that does not answer would cost
    /// the agent's loop the whole timeout every cycle.
    private var retryAtMs: Int64 = 0
    /// How long the probe waits before connecting again after a failure.
    public static let retryAfterMs: Int64 = 30_000

    /// A probe of `target` (``DatabaseConfig/target(environment:)`` resolves it, so a missing variable stops the
    /// agent at start, not silently later).
    public init(config: DatabaseConfig, target: PostgresTarget, log: AgentLog = AgentLog()) {
        self.config = config
        self.target = target
        self.log = log
    }

    /// The metrics and queries of one look, stamped `nowMs`.
    public func collect(nowMs: Int64, monotonicNs: UInt64 = WallClock.monotonicNs()) -> (samples: [Sample], queries: [DatabaseQuery]) {
        let started = WallClock.monotonicNs()
        if connection == nil, lastError != nil, Int64(monotonicNs / 1_000_000) < retryAtMs {
            return ([Sample(name: "pg.up", value: 0, ts: nowMs, labels: ["db": config.name])], [])
        }
        do {
            let conn = try connected()
            let reading = try PostgresReading.parse(try conn.query(PostgresReading.sql), monotonicNs: monotonicNs)
            var samples = reading.samples(previous: previous, name: config.name, nowMs: nowMs, longQueryMs: config.longQueryMs)
            var queries = reading.longQueries(name: config.name, longQueryMs: config.longQueryMs, nowMs: nowMs)
            previous = reading
            queries += slowStatements(conn, nowMs: nowMs)
            samples.append(Sample(name: "pg.probe_ms", value: Double(WallClock.monotonicNs() - started) / 1e6, ts: nowMs,
                                  labels: ["db": config.name]))
            if lastError != nil {
                log.info("database \(config.name): reachable again")
                lastError = nil
            }
            return (samples, queries)
        } catch {
            let message = (error as? AgentError)?.message ?? "\(error)"
            if message != lastError { log.warning("database \(config.name): \(message)") }
            lastError = message
            connection?.shutdown()
            connection = nil
            previous = nil
            retryAtMs = Int64(WallClock.monotonicNs() / 1_000_000) + Self.retryAfterMs
            return ([Sample(name: "pg.up", value: 0, ts: nowMs, labels: ["db": config.name])], [])
        }
    }

    private func connected() throws(AgentError) -> PostgresConnection {
        if let connection, connection.isOpen { return connection }
        let c = try PostgresConnection(target: target, timeoutMs: config.timeoutMs)
        connection = c
        hasStatements = nil
        statements = nil
        return c
    }

    /// `pg_stat_statements` deltas; off (with one note) when the extension is missing or not preloaded.
    private func slowStatements(_ conn: PostgresConnection, nowMs: Int64) -> [DatabaseQuery] {
        guard hasStatements != false else { return [] }
        do {
            let result = try conn.query(PostgresStatements.sql(majorVersion: conn.serverMajorVersion))
            let now = PostgresStatements.parse(result.first ?? PostgresResult())
            defer { statements = now }
            if hasStatements == nil {
                hasStatements = true
                log.info("database \(config.name): reading slow statements from pg_stat_statements")
            }
            guard let before = statements else { return [] }
            return now.slow(since: before, name: config.name, slowMs: config.slowQueryMs, nowMs: nowMs)
        } catch let e as PostgresServerError {
            hasStatements = false
            log.info("database \(config.name): no slow-statement figures (pg_stat_statements: \(e.message)); long-running queries are still reported")
            return []
        } catch {
            return []
        }
    }
}
