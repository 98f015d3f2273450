import VigilWire

/// Counts of what one batch added.
public struct IngestCounts: Sendable, Equatable {
    public var samples: Int
    public var logs: Int
    public var checks: Int

    public init(samples: Int, logs: Int, checks: Int) {
        self.samples = samples
        self.logs = logs
        self.checks = checks
    }
}

/// An agent token as stored: only the hash of the secret is kept.
public struct AgentToken: Sendable, Equatable {
    /// Short public identifier, shown in lists and used to revoke (`tok_…`).
    public var id: String
    /// The host the token is bound to; nil for a fleet token (any host).
    public var host: String?
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var revokedAt: Int64?
    public var lastUsedAt: Int64?
    public var comment: String
    /// For a user API token: the user it acts as. Nil for agent tokens.
    public var user: String?

    public init(id: String, host: String?, createdAt: Int64, expiresAt: Int64?, revokedAt: Int64?, lastUsedAt: Int64?, comment: String,
                user: String? = nil) {
        self.id = id
        self.user = user
        self.host = host
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
        self.comment = comment
    }

    /// Whether the token may be used at `now`.
    public func isValid(at now: Int64) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }
}

/// Who holds the engine lease of a store (exactly one engine evaluates, notifies, remediates).
public struct EngineLease: Sendable, Equatable {
    public var holder: String
    public var pid: Int
    public var hostname: String
    public var listen: String
    public var expiresAt: Int64
    /// Rises each time the lease changes hands (fencing: `EngineFence`); 0 in a request to acquire.
    public var generation: Int64

    public init(holder: String, pid: Int, hostname: String, listen: String, expiresAt: Int64, generation: Int64 = 0) {
        self.generation = generation
        self.holder = holder
        self.pid = pid
        self.hostname = hostname
        self.listen = listen
        self.expiresAt = expiresAt
    }
}

/// Sizes and counts, for `/metrics`, `vigil db stats` and the benchmarks.
public struct StoreStats: Sendable, Equatable {
    public var hosts: Int
    public var series: Int
    public var headSegments: Int
    public var chunks: Int
    public var samplesInChunks: Int
    /// Bytes of encoded sample data in chunks (without SQLite's page and index overhead).
    public var chunkBytes: Int
    /// Log lines and check results, from their id range (O(1): `stats` runs on every `/metrics` scrape, and
    /// `count(*)` over 3.4 million check results took 0.9 s). Retention removes the oldest rows first, so the range
    /// stays exact but for rows removed out of order and, on PostgreSQL, ids a rolled-back insert used.
    public var logs: Int
    public var checkResults: Int
    /// Bytes on disk (database plus WAL).
    public var bytes: Int64

    public init(hosts: Int, series: Int, headSegments: Int, chunks: Int, samplesInChunks: Int, chunkBytes: Int = 0, logs: Int, checkResults: Int, bytes: Int64) {
        self.hosts = hosts
        self.series = series
        self.headSegments = headSegments
        self.chunks = chunks
        self.samplesInChunks = samplesInChunks
        self.chunkBytes = chunkBytes
        self.logs = logs
        self.checkResults = checkResults
        self.bytes = bytes
    }
}

/// What a compaction pass did.
public struct CompactionReport: Sendable, Equatable {
    public var segments: Int
    public var samples: Int
    public var chunksWritten: Int
}

/// A point of a series.
public struct SeriesPoint: Sendable, Equatable {
    public var ts: Int64
    public var value: Double
    public init(ts: Int64, value: Double) {
        self.ts = ts
        self.value = value
    }
}

/// A series' identity.
/// One row of the store's settings.
public struct StoreSetting: Sendable, Equatable {
    public var key: String
    public var value: String
    public var updatedAt: Int64

    public init(key: String, value: String, updatedAt: Int64) {
        self.key = key
        self.value = value
        self.updatedAt = updatedAt
    }
}

public struct SeriesKey: Sendable, Hashable {
    public var host: String
    public var name: String
    public var labels: [String: String]
    public init(host: String, name: String, labels: [String: String] = [:]) {
        self.host = host
        self.name = name
        self.labels = labels
    }

    /// Labels hashed by `LabelHash` (not a SipHash per pair): keys are hashed per sample by the head and the scanner.
    public func hash(into h: inout Hasher) {
        h.combine(host)
        h.combine(name)
        h.combine(LabelHash.mix(labels))
    }
}

/// A failure of the store, with what to do about it.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The one storage interface. SQLite is the zero-setup default; a PostgreSQL implementation follows
/// the same protocol and passes the same conformance tests. Nothing outside `Store/` writes SQL.
public protocol Store: FleetReader, NotificationOutbox, RetentionStorage, AnyObject {
    /// Human-readable description: `sqlite /path/to/vigil.db`.
    var description: String { get }

    /// Stores each batch whole or not at all (one result per batch, in order); returns only after
    /// the data is durably committed. Concurrent calls are group-committed.
    func ingest(_ batch: IngestBatch, receivedAt: Int64) async throws -> IngestCounts

    /// Moves head segments older than `olderThan` into per-series compressed chunks.
    func compact(olderThan: Int64) async throws -> CompactionReport

    /// Points of one series in `[from, to]`, oldest first.
    func points(_ key: SeriesKey, from: Int64, to: Int64) async throws -> [SeriesPoint]

    /// Recent logs of a host (or all hosts), newest first; `query` is a full-text search.
    func logs(host: String?, query: String?, minLevel: LogLevel?, limit: Int) async throws -> [StoredLog]

    /// The newest lines matching `query` (the log query language, `LogQuery`), at most `limit`, reading at most
    /// `scanLimit` candidate rows (`LogSearch.run`).
    func searchLogs(_ query: LogQuery, limit: Int, scanLimit: Int) async throws -> LogSearchResult

    /// The top processes `host` reported in `[from, to]`, oldest first (at most `limit` rows, the newest kept).
    func processSamples(host: String, from: Int64, to: Int64, limit: Int) async throws -> [ProcessSample]

    /// The check results in `[from, to]` per host, oldest first (the newest `limit`: a read that reaches it lacks the
    /// oldest results), without target and detail
    /// (`slo_burn`, `vigil sla`, the reports' availability, the services' latency).
    func checkHistory(from: Int64, to: Int64, limit: Int) async throws -> [String: [CheckResult]]

    /// The long-running and slow queries `host`'s probe of `database` reported in `[from, to]`, newest first (at most
    /// `limit`).
    func databaseQueries(host: String, database: String, from: Int64, to: Int64, limit: Int) async throws -> [DatabaseQuery]

    /// The lines of `line`'s host and source around it, oldest first (`LogContext`).
    /// The agents' TCP connections last seen at or after `since`, with how often each was seen (topology discovery).
    func connections(since: Int64) async throws -> [ObservedConnection]
    /// Upserts services' daily rollups (by service, indicator and day).
    func saveSLADaily(_ rows: [SLADailyTally]) async throws
    /// The daily rollups of days starting in `[from, to)`.
    func slaDaily(from: Int64, to: Int64) async throws -> [SLADailyTally]
    /// Upserts violations (by service, indicator and start): an open one is closed by saving it with its end.
    func saveSLAViolations(_ violations: [SLAViolation]) async throws
    /// Violations that overlap `[from, to)`, newest first.
    func slaViolations(from: Int64, to: Int64, limit: Int) async throws -> [SLAViolation]
    func logContext(of line: StoredLog, before: Int, after: Int) async throws -> (lines: [StoredLog], index: Int?)

    /// The lines this store object commits, as they are committed (in this process only).
    var logBus: LogBus { get }

    func stats() async throws -> StoreStats

    // MARK: agent tokens
    /// Creates a token and returns it with its one-time secret (never stored, only its hash). Audited.
    func createAgentToken(host: String?, expiresAt: Int64?, comment: String, now: Int64, actor: String) async throws -> (AgentToken, String)
    /// Creates an API token acting as `user` (for `/api/v1/…`), shown once. Audited.
    func createUserToken(user: String, expiresAt: Int64?, comment: String, now: Int64, actor: String) async throws -> (AgentToken, String)
    func agentTokens() async throws -> [AgentToken]
    /// Revokes by id; false when no such token. Audited.
    func revokeAgentToken(id: String, now: Int64, actor: String) async throws -> Bool
    /// The token a bearer secret belongs to, whether valid or not; nil when unknown.
    func agentToken(secret: String) async throws -> AgentToken?
    func touchAgentToken(id: String, now: Int64) async throws

    // MARK: users and audit
    func users() async throws -> [VigilUser]
    /// The stored user, or nil.
    func user(named name: String) async throws -> VigilUser?
    /// Who `osUser` is: on a store with no users yet, its first admin (recorded and audited); otherwise the
    /// stored user, or an unstored viewer.
    func resolveUser(osUser: String, now: Int64) async throws -> VigilUser
    /// Adds a user; throws when the name exists. Audited.
    func addUser(_ name: String, role: UserRole, now: Int64, actor: String) async throws -> VigilUser
    /// Changes a user's role; throws when there is no such user. Audited.
    func setRole(of name: String, to role: UserRole, now: Int64, actor: String) async throws -> VigilUser
    /// Appends an entry for an action performed elsewhere.
    func audit(actor: String, action: String, target: String, detail: String, now: Int64) async throws -> AuditEntry
    func auditEntries(_ filter: AuditFilter) async throws -> [AuditEntry]
    /// Checks the whole chain.
    func verifyAudit() async throws -> AuditChain.Verification
    /// The number of audit entries and the hash of the last (nil for an empty log), for anchoring.
    func auditHead() async throws -> (count: Int64, hash: String)?
    /// Every audit entry in id order (for verification against the anchors).
    func allAuditEntries() async throws -> [AuditEntry]

    // MARK: rule evaluation
    /// What rules read besides samples (those come from the engine's head), in one consistent snapshot: hosts
    /// (labels, CPUs, last seen), the last `checkDepth` results of every check, and log lines since `logsSince` (at
    /// most `logLimit`, newest kept).
    func evaluationData(checkDepth: Int, logsSince: Int64?, logLimit: Int) async throws -> EvaluationData

    // MARK: the engine's head (MetricHead)
    /// Points of every series of `metrics` from `from` on, their newest sample times, and the segment log's
    /// position, in one consistent read.
    func headSnapshot(metrics: Set<String>, from: Int64) async throws -> HeadSnapshot
    /// The segments committed after `cursor` (at most `limit`), by any writer, as stored (the feeder decodes them).
    func headSegments(after cursor: Int64, limit: Int) async throws -> HeadSegmentData
    /// The keys of these series ids (an id with no series is left out).
    func seriesKeys(ids: Set<Int64>) async throws -> [Int64: SeriesKey]

    // MARK: alerts
    /// Applies the evaluator's results: upserts each alert and appends its lifecycle events, in one transaction.
    func recordAlerts(_ updates: [AlertUpdate], now: Int64) async throws
    /// Alerts in the given states (all when nil), most severe and oldest first.
    func alerts(states: Set<String>?, limit: Int) async throws -> [StoredAlert]
    func alert(fingerprint: String) async throws -> StoredAlert?
    /// Sets why each alert is muted (nil = not muted); only changed rows are written.
    func setMutes(_ mutes: [String: String?]) async throws
    func alertTimeline(fingerprint: String) async throws -> [AlertTimelineEntry]
    /// Operator actions on an alert (`ack` with a note, `unack`, `note`, `assign`, `manual_resolve`), recorded on
    /// its timeline and in the audit log. Throws when the alert does not exist.
    func alertAction(_ kind: AlertAction, fingerprint: String, detail: String, actor: String, now: Int64) async throws -> StoredAlert

    /// Records alerts pushed in Alertmanager's format (`source` = `prometheus`): firing ones are upserted, ones
    /// with an `endsAt` in the past are resolved. Returns how many were new.
    func recordPushedAlerts(_ alerts: [PushedAlert], now: Int64) async throws -> Int

    // MARK: silences
    func createSilence(matchers: [LabelMatcher], startsAt: Int64, endsAt: Int64, comment: String, actor: String, now: Int64) async throws -> Silence
    /// Active and future silences; expired ones too when `includeExpired`.
    func silences(includeExpired: Bool, now: Int64) async throws -> [Silence]
    /// Ends a silence now; false when no such silence.
    func expireSilence(id: String, actor: String, now: Int64) async throws -> Bool

    /// The fleet, with (`metrics`) or without the key metrics and sparklines read from the samples; `FleetTracker`
    /// reads them from a head instead.
    func fleetSnapshot(now: Int64, metrics: Bool) async throws -> FleetSnapshot
    /// Every host with its labels, agent and last report (no metrics read): cheaper than `fleetSnapshot`.
    func hostInventory(now: Int64) async throws -> [HostSummary]

    // MARK: remediation runs
    /// Stores a new run (audited; on its alert's timeline when it has one).
    func createRun(_ run: RemediationRun, actor: String, now: Int64) async throws
    func run(id: String) async throws -> RemediationRun?
    /// Newest first.
    func runs(_ filter: RunFilter) async throws -> [RemediationRun]
    /// Applies one of the run's transitions inside a write, audited as `runbook.ACTION`.
    func updateRun(id: String, action: String, actor: String, now: Int64,
                   _ change: @Sendable @escaping (inout RemediationRun) throws -> Void) async throws -> RemediationRun
    /// Marks the host's queued runs dispatched and returns them (expiring stale ones).
    func claimJobs(host: String, now: Int64) async throws -> [RemediationRun]
    func hasQueuedJobs(host: String) async throws -> Bool
    /// An agent's events for a run of `host`; duplicates by seq are ignored.
    func recordJobEvents(id: String, host: String, events: [JobEvent], now: Int64) async throws -> JobEventsAnswer
    func runEvents(id: String, afterSeq: Int) async throws -> [JobEvent]

    // MARK: AI call log (Intelligence/AI)
    /// Appends one AI call (feature, model, tokens, latency, outcome; never the content). Returns its id.
    @discardableResult
    func recordAICall(_ call: AICallRecord) async throws -> Int64
    /// The newest `limit` AI calls, newest first.
    func aiCalls(limit: Int) async throws -> [AICallRecord]

    // MARK: incident memory
    /// Resolved incidents most like `alert`, best first (its own current episode excluded).
    func similarIncidents(to alert: StoredAlert, limit: Int) async throws -> [IncidentRecord]
    /// Recent incidents, newest first.
    func incidents(limit: Int) async throws -> [IncidentRecord]

    // MARK: log templates
    /// The templates with the most lines among lines of `host` (nil: every host) with `from <= ts < to`, most
    /// first, each with a 12-slice trend over the range and the count of the equally long range before it.
    func topLogPatterns(host: String?, from: Int64, to: Int64, limit: Int) async throws -> [LogPatternStat]
    /// Per host and template: templates first seen at or after `since` (line time) whose lines reach `minLevel`,
    /// with that host's lines at or above `minLevel` (the `new_log_pattern` rule).
    func newLogPatterns(since: Int64, minLevel: LogLevel) async throws -> [NewLogPattern]
    /// The newest `limit` lines of one template (`logs.template_id`), of `host` (nil: every host), newest first.
    func logs(templateID: Int64, host: String?, limit: Int) async throws -> [StoredLog]
    /// Per host, how many lines at or above `minLevel` were logged in `[from, to)` (hosts without one left out).
    func logCountsByHost(from: Int64, to: Int64, minLevel: LogLevel) async throws -> [String: Int]

    // MARK: anomaly scanner
    /// The series of these metrics (every host).
    func seriesKeys(metrics: Set<String>) async throws -> [SeriesKey]
    /// How many series these metrics have (every host). Series are never deleted, so a count that did not change
    /// means no series was added: the anomaly scan then need not read `seriesKeys` again.
    func seriesCount(metrics: Set<String>) async throws -> Int
    /// Points of each of `keys` in `[from, to]`, oldest first (series without points are left out).
    func points(_ keys: [SeriesKey], from: Int64, to: Int64) async throws -> [SeriesKey: [SeriesPoint]]

    // MARK: chat
    /// Appends messages to their conversations, numbering each after the conversation's last; returns them numbered.
    @discardableResult
    func appendChatMessages(_ messages: [ChatRecord]) async throws -> [ChatRecord]
    /// The newest `limit` messages of a conversation, oldest first.
    func chatMessages(conversation: String, limit: Int) async throws -> [ChatRecord]

    // MARK: reports and topology
    /// Alert `firing`, `resolved` and `manual_resolve` events with `from <= ts < to`, oldest first (at most `limit`),
    /// each with its alert's rule, host and severity and, for a resolution, when its episode fired.
    func alertEvents(from: Int64, to: Int64, limit: Int) async throws -> [ReportAlertEvent]
    /// Incidents resolved with `from <= resolved_at < to`, newest first.
    func incidents(resolvedFrom from: Int64, to: Int64, limit: Int) async throws -> [IncidentRecord]
    /// Stores a generated report; returns it with its id.
    @discardableResult
    func saveReport(_ report: StoredReport) async throws -> StoredReport
    /// Stored reports of `kind` (every kind when nil), newest first.
    func reports(kind: String?, limit: Int) async throws -> [StoredReport]
    func report(id: Int64) async throws -> StoredReport?
    /// Records suggested edges: a new relation is added as `suggested`; a known one gets the new evidence,
    /// confidence and source but keeps its state, so a rejected edge is not suggested again. Returns the stored edges.
    @discardableResult
    func suggestTopologyEdges(_ edges: [TopologyEdge], now: Int64) async throws -> [TopologyEdge]
    /// Edges in these states (all when nil), accepted first, then by confidence.
    func topologyEdges(states: Set<TopologyEdgeState>?) async throws -> [TopologyEdge]
    /// Accepts or rejects an edge, recording who, when and why; audited as `topology.accept` / `topology.reject`.
    /// Throws when there is no such edge.
    func decideTopologyEdge(id: Int64, state: TopologyEdgeState, actor: String, reason: String, now: Int64) async throws -> TopologyEdge

    // MARK: engine lease
    /// Takes or renews the lease when free, expired or already ours; returns the current holder.
    /// A setting of the store (`demo.epoch`, …), or nil.
    func setting(_ key: String) async throws -> String?
    /// The settings whose key starts with `prefix` (e.g. `warning.`), by key.
    func settings(prefix: String) async throws -> [StoreSetting]
    /// Sets (or with nil, removes) a setting of the store.
    func setSetting(_ key: String, to value: String?, now: Int64) async throws
    /// Deletes samples, logs and check results older than `before` (the demo's bounded store). Returns the rows
    /// deleted.
    func prune(before: Int64) async throws -> Int

    func acquireLease(_ lease: EngineLease, now: Int64) async throws -> EngineLease
    func releaseLease(holder: String) async throws
    func currentLease(now: Int64) async throws -> EngineLease?
}

/// What rule evaluation reads from the store.
public struct EvaluationData: Sendable {
    /// Everything but `logCounts` (those depend on each rule's pattern and window).
    public var input: RuleInput
    /// Recent log lines per host, oldest first.
    public var logs: [String: [LogEntry]]

    public init(input: RuleInput, logs: [String: [LogEntry]]) {
        self.input = input
        self.logs = logs
    }
}
