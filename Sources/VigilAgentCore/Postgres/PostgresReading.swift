import VigilWire

/// One look at a PostgreSQL server: what the probe's queries returned, parsed. Turning two readings into metrics is pure
/// (``samples(previous:name:nowMs:)``), so rates and ratios are tested without a server.
public struct PostgresReading: Sendable, Equatable {
    public struct DatabaseCounters: Sendable, Equatable {
        public var commits = 0.0, rollbacks = 0.0
        public var fetched = 0.0, returned = 0.0, inserted = 0.0, updated = 0.0, deleted = 0.0
        public var blocksRead = 0.0, blocksHit = 0.0
        /// Nil when the monitoring role may not connect to it.
        public var sizeBytes: Double?
        public init() {}
    }

    /// A backend that is not idle: running a query, or idle inside a transaction.
    public struct Session: Sendable, Equatable {
        public var pid: Int
        public var user: String
        public var datname: String
        public var state: String
        public var wait: String
        public var queryMs: Double
        public var transactionMs: Double
        public var query: String
    }

    public var maxConnections = 0.0
    public var inRecovery = false
    /// On a replica: seconds since the last replayed transaction (0 when replay has caught up with what arrived; since
    /// the server started when it has replayed none yet).
    public var replicationLagSeconds: Double?
    /// On a primary: the streaming replicas connected.
    public var replicas = 0.0
    public var locksWaiting = 0.0
    /// Client backends by state (`active`, `idle`, `idle in transaction`…).
    public var connections: [String: Double] = [:]
    public var databases: [String: DatabaseCounters] = [:]
    public var sessions: [Session] = []
    /// When it was taken (monotonic), for rates.
    public var monotonicNs: UInt64 = 0

    public init() {}

    /// The statements the probe sends each cycle, in one round trip.
    public static let sql = """
        SELECT current_setting('max_connections')::int AS max_connections, pg_is_in_recovery() AS in_recovery,
          CASE WHEN pg_is_in_recovery() THEN
            CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                 ELSE EXTRACT(EPOCH FROM now() - COALESCE(pg_last_xact_replay_timestamp(), pg_postmaster_start_time())) END
          END AS replication_lag,
          (SELECT count(*) FROM pg_stat_replication) AS replicas,
          (SELECT count(*) FROM pg_locks WHERE NOT granted) AS locks_waiting;
        SELECT COALESCE(state, 'unknown') AS state, count(*) AS n FROM pg_stat_activity
          WHERE backend_type = 'client backend' GROUP BY 1;
        SELECT datname, xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted,
          blks_read, blks_hit,
          CASE WHEN has_database_privilege(datid, 'CONNECT') THEN pg_database_size(datid) END AS size
          FROM pg_stat_database WHERE datname IS NOT NULL AND datname NOT IN ('template0', 'template1');
        SELECT pid, COALESCE(usename, '') AS usename, COALESCE(datname, '') AS datname, COALESCE(state, '') AS state,
          COALESCE(wait_event_type || ':' || wait_event, '') AS wait,
          CASE WHEN wait_event_type = 'Lock' THEN array_to_string(pg_blocking_pids(pid), ',') ELSE '' END AS blocked_by,
          CASE WHEN state = 'active' THEN EXTRACT(EPOCH FROM clock_timestamp() - query_start) * 1000 ELSE 0 END AS query_ms,
          EXTRACT(EPOCH FROM clock_timestamp() - xact_start) * 1000 AS xact_ms, left(query, 1024) AS query
          FROM pg_stat_activity
          WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'
            AND xact_start IS NOT NULL
          ORDER BY xact_start LIMIT 50
        """

    /// Parses the four results of ``sql``.
    public static func parse(_ results: [PostgresResult], monotonicNs: UInt64) throws(AgentError) -> PostgresReading {
        guard results.count == 4, let head = results[0].rows.first else {
            throw AgentError("the monitoring queries returned \(results.count) results, expected 4")
        }
        var r = PostgresReading()
        r.monotonicNs = monotonicNs
        let h = results[0]
        r.maxConnections = number(h.value(head, "max_connections"))
        r.inRecovery = h.value(head, "in_recovery") == "t"
        r.replicationLagSeconds = h.value(head, "replication_lag").flatMap(Double.init)
        r.replicas = number(h.value(head, "replicas"))
        r.locksWaiting = number(h.value(head, "locks_waiting"))
        let c = results[1]
        for row in c.rows { r.connections[c.value(row, "state") ?? "unknown", default: 0] += number(c.value(row, "n")) }
        let d = results[2]
        for row in d.rows {
            guard let name = d.value(row, "datname") else { continue }
            var x = DatabaseCounters()
            x.commits = number(d.value(row, "xact_commit"))
            x.rollbacks = number(d.value(row, "xact_rollback"))
            x.returned = number(d.value(row, "tup_returned"))
            x.fetched = number(d.value(row, "tup_fetched"))
            x.inserted = number(d.value(row, "tup_inserted"))
            x.updated = number(d.value(row, "tup_updated"))
            x.deleted = number(d.value(row, "tup_deleted"))
            x.blocksRead = number(d.value(row, "blks_read"))
            x.blocksHit = number(d.value(row, "blks_hit"))
            x.sizeBytes = d.value(row, "size").flatMap(Double.init)
            r.databases[name] = x
        }
        let s = results[3]
        for row in s.rows {
            r.sessions.append(Session(pid: Int(s.value(row, "pid") ?? "") ?? 0, user: s.value(row, "usename") ?? "",
                                      datname: s.value(row, "datname") ?? "", state: s.value(row, "state") ?? "",
                                      wait: Self.wait(s.value(row, "wait") ?? "", blockedBy: s.value(row, "blocked_by") ?? ""), queryMs: number(s.value(row, "query_ms")),
                                      transactionMs: number(s.value(row, "xact_ms")), query: s.value(row, "query") ?? ""))
        }
        return r
    }

    private static func number(_ s: String?) -> Double { s.flatMap(Double.init) ?? 0 }

    /// The metrics of this reading, with rates against `previous` (none on the first reading or after a stats reset).
    public func samples(previous: PostgresReading?, name: String, nowMs: Int64, longQueryMs: Int64) -> [Sample] {
        var out: [Sample] = []
        func add(_ metric: String, _ value: Double, _ extra: [String: String] = [:]) {
            guard value.isFinite else { return }
            out.append(Sample(name: metric, value: value, ts: nowMs, labels: extra.merging(["db": name]) { a, _ in a }))
        }
        add("pg.up", 1)
        let total = connections.values.reduce(0, +)
        add("pg.connections.total", total)
        add("pg.connections.max", maxConnections)
        if maxConnections > 0 { add("pg.connections.used_percent", total / maxConnections * 100) }
        for (state, n) in connections.sorted(by: { $0.key < $1.key }) {
            add("pg.connections", n, ["state": Self.stateLabel(state)])
        }
        add("pg.locks.waiting", locksWaiting)
        add("pg.in_recovery", inRecovery ? 1 : 0)
        if inRecovery { add("pg.replication.lag_seconds", replicationLagSeconds ?? 0) } else { add("pg.replicas", replicas) }
        var size = 0.0
        for (datname, x) in databases.sorted(by: { $0.key < $1.key }) {
            if let s = x.sizeBytes { size += s; add("pg.database.size_bytes", s, ["database": datname]) }
        }
        add("pg.size_bytes", size)
        let active = sessions.filter { $0.state == "active" }
        add("pg.query.longest_seconds", (active.map(\.queryMs).max() ?? 0) / 1000)
        add("pg.transaction.longest_seconds", (sessions.map(\.transactionMs).max() ?? 0) / 1000)
        add("pg.queries.long", Double(active.filter { $0.queryMs >= Double(longQueryMs) }.count))

        // Rates: summed over the databases present both times, skipped when a counter went backwards (stats reset).
        let sum = databases.values.reduce(into: DatabaseCounters()) { $0.add($1) }
        if let previous, monotonicNs > previous.monotonicNs {
            let seconds = Double(monotonicNs - previous.monotonicNs) / 1e9
            var delta = DatabaseCounters()
            var reset = false
            for (datname, now) in databases {
                guard let before = previous.databases[datname] else { continue }
                let d = now.minus(before)
                if d.isNegative { reset = true } else { delta.add(d) }
            }
            if !reset && seconds > 0 {
                add("pg.xact.commits_per_sec", delta.commits / seconds)
                add("pg.xact.rollbacks_per_sec", delta.rollbacks / seconds)
                add("pg.tps", (delta.commits + delta.rollbacks) / seconds)
                add("pg.rows.fetched_per_sec", delta.fetched / seconds)
                add("pg.rows.returned_per_sec", delta.returned / seconds)
                add("pg.rows.inserted_per_sec", delta.inserted / seconds)
                add("pg.rows.updated_per_sec", delta.updated / seconds)
                add("pg.rows.deleted_per_sec", delta.deleted / seconds)
                add("pg.rows_per_sec", (delta.fetched + delta.inserted + delta.updated + delta.deleted) / seconds)
                let blocks = delta.blocksHit + delta.blocksRead
                if blocks > 0 { add("pg.cache.hit_percent", delta.blocksHit / blocks * 100); return out }
            }
        }
        // No block was touched in the interval (or no interval yet): the ratio since the statistics were reset.
        let blocks = sum.blocksHit + sum.blocksRead
        if blocks > 0 { add("pg.cache.hit_percent", sum.blocksHit / blocks * 100) }
        return out
    }

    /// The sessions worth reporting: queries running, or transactions open, for at least `longQueryMs`; the 10 longest.
    public func longQueries(name: String, longQueryMs: Int64, nowMs: Int64) -> [DatabaseQuery] {
        let limit = Double(longQueryMs)
        return sessions.filter { $0.queryMs >= limit || $0.transactionMs >= limit }
            .sorted { max($0.queryMs, $0.transactionMs) > max($1.queryMs, $1.transactionMs) }
            .prefix(10)
            .map { s in
                DatabaseQuery(database: name, kind: .active, datname: s.datname, user: s.user, pid: s.pid, state: s.state,
                              wait: s.wait, durationMs: s.queryMs.rounded(), transactionMs: s.transactionMs.rounded(),
                              query: Self.clipped(s.query), ts: nowMs)
            }
    }

    /// What a session waits for, with the sessions holding the lock it wants: `Lock:relation, blocked by 8687`.
    static func wait(_ event: String, blockedBy: String) -> String {
        guard !blockedBy.isEmpty else { return event }
        var text = event + ", blocked by " + blockedBy
        if text.utf8.count > 96, let comma = text.utf8.prefix(93).lastIndex(of: UInt8(ascii: ",")) {
            text = String(text[..<comma]) + "…"
        }
        return text
    }

    /// `idle in transaction (aborted)` → `idle_in_transaction_aborted`.
    static func stateLabel(_ state: String) -> String {
        String(state.compactMap { c -> Character? in
            c.isLetter || c.isNumber ? c : (c == " " || c == "_" ? "_" : nil)
        })
    }

    /// At most ``DatabaseQuery/maxQueryBytes`` of `text`, cut at a character boundary, never empty.
    static func clipped(_ text: String) -> String {
        var out = ""
        var bytes = 0
        for c in text {
            let n = c.utf8.count
            if bytes + n > DatabaseQuery.maxQueryBytes { break }
            out.append(c)
            bytes += n
        }
        return out.isEmpty ? "(no query text)" : out
    }
}

extension PostgresReading.DatabaseCounters {
    mutating func add(_ o: Self) {
        commits += o.commits; rollbacks += o.rollbacks
        fetched += o.fetched; returned += o.returned; inserted += o.inserted; updated += o.updated; deleted += o.deleted
        blocksRead += o.blocksRead; blocksHit += o.blocksHit
    }

    func minus(_ o: Self) -> Self {
        var d = Self()
        d.commits = commits - o.commits; d.rollbacks = rollbacks - o.rollbacks
        d.fetched = fetched - o.fetched; d.returned = returned - o.returned; d.inserted = inserted - o.inserted
        d.updated = updated - o.updated; d.deleted = deleted - o.deleted
        d.blocksRead = blocksRead - o.blocksRead; d.blocksHit = blocksHit - o.blocksHit
        return d
    }

    var isNegative: Bool {
        [commits, rollbacks, fetched, returned, inserted, updated, deleted, blocksRead, blocksHit].contains { $0 < 0 }
    }
}
