import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import VigilWire

/// Produces batches for the local host (the console's built-in collector). Used from one task only.
public protocol BatchSource: AnyObject {
    /// The next batch at `nowMs`, or nil when there is nothing to send yet.
    func next(nowMs: Int64) -> IngestBatch?
}

/// The engine of one process: listener, compactor, lease and (in the console) a local collector,
/// run as services of one `ServiceGroup`.
public final class VigilEngine: Sendable {
    public struct Options: Sendable {
        public var listen: ListenAddress
        /// False: no listener (a console whose port is taken still collects, evaluates and compacts).
        public var runListener: Bool = true
        public var limits: WireLimits
        /// Connection caps and timeouts of the listener.
        public var connections = ConnectionLimits.default
        /// TLS for the listener (`--tls-cert`, `--tls-key`, `--tls-client-ca`); nil: plain HTTP.
        public var tls: ListenerTLS?
        /// How often head segments are compacted, and how old they must be.
        public var compactEvery: Duration
        public var compactAgeMs: Int64
        /// How often the lease holder applies the retention policy (rollups, then deletions).
        public var retentionEvery: Duration = .seconds(600)
        /// The topology file whose services' objectives the engine keeps (`SLAService`) and alerts on (`slo_burn` with
        /// `service:`); nil: none. Default: `TopologyConfig.defaultPath()`.
        public var topologyPath: String? = TopologyConfig.defaultPath()
        /// How often the lease holder rolls services' days up and records their violations.
        public var slaEvery: Duration = .seconds(300)
        /// How often the lease holder checks whether last week's report is written (`WeeklyReportService`).
        public var weeklyReportCheckEvery: Duration = .seconds(600)
        /// Collect the local host every `localInterval` when a source is given.
        public var localSource: (@Sendable () -> any BatchSource)?
        public var localInterval: Duration
        /// Whether signals (SIGTERM, SIGINT) stop the engine: true for `serve`, false in the console.
        public var handleSignals: Bool
        /// Rule directories, exactly (an empty list: no rules); nil = `RuleSet.standard()` (the configured
        /// directories, else the embedded defaults).
        public var ruleDirectories: [String]?
        /// Periodic evaluation for time-based conditions (ingest also triggers an evaluation).
        public var evaluationTickMs: Int64
        /// The metrics scanned for anomalies on every host with no rule naming them (empty: only those anomaly
        /// rules name).
        public var anomalyCoreMetrics: Set<String> = AnomalyScanner.coreMetrics
        /// The most series of `anomalyCoreMetrics` scanned per host (`--anomaly-series-per-host`).
        public var anomalySeriesPerHost = AnomalyScanner.defaultCoreSeriesPerHost
        /// Runbooks: a directory of built-ins (nil = the ones embedded in the binary) and the operator's own.
        public var builtInRunbooks: String?
        public var userRunbooks: String?
        public var safety = SafetyPolicy()
        /// Runs the local host's jobs in-process (the console with its built-in collector).
        public var localJobs: (any LocalJobRunning)?
        /// Notifications: the channels and routes, and how to reach receivers (libcurl, from the binary).
        /// nil: alerts are shown, not sent.
        public var notify: (config: NotifyConfig, transports: NotificationService.Transports)?

        public init(listen: ListenAddress = .default, limits: WireLimits = .default, compactEvery: Duration = .seconds(60),
                    compactAgeMs: Int64 = 120_000, localSource: (@Sendable () -> any BatchSource)? = nil,
                    localInterval: Duration = .seconds(10), handleSignals: Bool = true, ruleDirectories: [String]? = nil,
                    evaluationTickMs: Int64 = 10_000) {
            self.listen = listen
            self.limits = limits
            self.compactEvery = compactEvery
            self.compactAgeMs = compactAgeMs
            self.localSource = localSource
            self.localInterval = localInterval
            self.handleSignals = handleSignals
            self.ruleDirectories = ruleDirectories
            self.evaluationTickMs = evaluationTickMs
        }
    }

    public let store: any Store
    public let options: Options
    public let metrics = ListenerMetrics()
    public let holder: String
    /// Rule evaluation and alerting (the lease holder's job).
    public let evaluator: RuleEvaluationService
    /// Auto-remediation, run expiry and local jobs.
    public let remediation: RemediationService
    /// The services of the topology file, read again when it changes.
    public let services: TopologyDirectory
    /// Routing, grouping and delivery of notifications, when configured.
    public let notifications: NotificationService?
    let leader = LeaderFlag()
    private let bound = Locked<Int?>(nil)
    private let group = Locked<ServiceGroup?>(nil)
    private let logger: Logger

    public init(store: any Store, options: Options, logger: Logger = Logger(label: "vigil")) {
        self.store = store
        self.options = options
        self.logger = logger
        var g = SystemRandomNumberGenerator()
        self.holder = "\(ProcessInfo.processInfo.hostName)/\(getpid())/\(UInt32.random(in: 0...UInt32.max, using: &g))"
        let flag = leader
        self.services = TopologyDirectory(path: options.topologyPath, logger: logger)
        self.evaluator = RuleEvaluationService(store: store, rules: options.ruleDirectories.map { RuleSet(directories: $0) } ?? RuleSet.standard(),
                                               tickMs: options.evaluationTickMs, logger: logger, services: services,
                                               anomalyCoreMetrics: options.anomalyCoreMetrics, anomalySeriesPerHost: options.anomalySeriesPerHost,
                                               isLeader: { flag.isSet })
        let catalog = RunbookCatalog.load(builtInDirectory: options.builtInRunbooks,
                                          userDirectory: options.userRunbooks)
        for e in catalog.errors { logger.error("runbook: \(e)") }
        for w in catalog.warnings { logger.warning("runbooks: \(w)") }
        let evaluator = self.evaluator
        metrics.head = evaluator.head
        metrics.anomaly = evaluator.anomalyScanner
        self.remediation = RemediationService(remediator: Remediator(store: store, catalog: catalog, policy: options.safety),
                                              rules: { evaluator.currentRules }, isLeader: { flag.isSet }, local: options.localJobs,
                                              logger: logger)
        if let notify = options.notify {
            let service = NotificationService(store: store, config: notify.config, transports: notify.transports, logger: logger,
                                              isLeader: { flag.isSet })
            notifications = service
            evaluator.afterEvaluation { service.poke() }
        } else {
            notifications = nil
        }
    }

    /// Whether this engine holds the store's lease (and so evaluates rules).
    public var holdsLease: Bool { leader.isSet }

    /// The port the listener bound (after it started).
    public var boundPort: Int? { bound.withLock { $0 } }

    /// Who holds the lease now, if not us (then this process should attach instead of running an engine).
    public static func otherHolder(of store: any Store) async throws -> EngineLease? {
        try await store.currentLease(now: WallClock.nowMs())
    }

    /// Runs until a signal (serve) or `stop()` (console). Throws when the listener cannot bind.
    public func run() async throws {
        let evaluator = self.evaluator
        let ingest = IngestService(store: store, limits: options.limits, metrics: metrics, onCommit: { evaluator.poke() })
        let app = try Listener.application(ingest: ingest, address: options.listen, logger: logger, remediator: remediation.remediator,
                                           connections: options.connections, tls: options.tls) { port in
            self.bound.withLock { $0 = port }
        }
        var services: [any Service] = options.runListener ? [app] : []
        services.append(LeaseService(engine: self))
        services.append(CompactorService(store: store, every: options.compactEvery, ageMs: options.compactAgeMs, logger: logger))
        services.append(evaluator)
        services.append(remediation)
        do {
            let flag = leader
            services.append(RetentionService(store: store, every: options.retentionEvery, isLeader: { flag.isSet }, logger: logger))
            services.append(LogRateService(store: store, isLeader: { flag.isSet }, logger: logger))
            services.append(SLAService(store: store, services: self.services, every: options.slaEvery, isLeader: { flag.isSet }, logger: logger))
            services.append(WeeklyReportService(store: store, every: options.weeklyReportCheckEvery, timeZone: .current, isLeader: { flag.isSet },
                                                logger: logger))
        }
        if let notifications { services.append(notifications) }
        if let anchors = AuditAnchorFile.of(store) {
            let flag = leader
            services.append(AuditAnchorService(store: store, file: anchors, isLeader: { flag.isSet }, logger: logger))
        }
        if let demo = await DemoSettings.load(from: store) {
            let flag = leader
            services.append(DemoSimulatorService(store: store, settings: demo, isLeader: { flag.isSet }, onCommit: { evaluator.poke() },
                                                 logger: logger))
        }
        if let make = options.localSource {
            services.append(LocalCollectorService(store: store, makeSource: make, interval: options.localInterval, metrics: metrics, logger: logger,
                                                  onCommit: { evaluator.poke() }))
        }
        let config = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: options.handleSignals ? [.sigterm, .sigint] : [],
            logger: logger
        )
        let g = ServiceGroup(configuration: config)
        group.withLock { $0 = g }
        try await g.run()
    }

    /// Asks every service to finish (the console calls this on quit).
    public func stop() async {
        let g = group.withLock { $0 }
        await g?.triggerGracefulShutdown()
    }

    func leaseRecord(ttlMs: Int64) -> EngineLease {
        EngineLease(holder: holder, pid: Int(getpid()), hostname: ProcessInfo.processInfo.hostName,
                    listen: !options.runListener ? "no listener" : boundPort.map { "\(options.listen.host):\($0)" } ?? options.listen.description,
                    expiresAt: WallClock.nowMs() + ttlMs)
    }
}

/// Keeps the engine lease renewed; releases it on shutdown.
struct LeaseService: Service {
    let engine: VigilEngine

    func run() async throws {
        let store = engine.store
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = WallClock.nowMs()
            let current = try? await store.acquireLease(engine.leaseRecord(ttlMs: 15_000), now: now)
            engine.leader.set(current?.holder == engine.holder)
            try? await gracefulShutdownSleep(.seconds(5))
        }
        engine.leader.set(false)
        try? await store.releaseLease(holder: engine.holder)
    }
}

/// Anchors the audit log outside the store every few seconds while this engine holds the lease
/// (`AuditAnchorFile`), so `vigil audit verify` can tell a deleted tail or a rewritten chain.
struct AuditAnchorService: Service {
    let store: any Store
    let file: AuditAnchorFile
    let isLeader: @Sendable () -> Bool
    let logger: Logger

    func run() async throws {
        var failing = false
        var anchoredHash: String?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if isLeader() {
                do {
                    // The file is read (and appended to) only when the log's head moved since the last look.
                    let head = try await store.auditHead()
                    if let head, head.hash != anchoredHash {
                        try await file.anchor(store, now: WallClock.nowMs())
                        anchoredHash = head.hash
                    }
                    failing = false
                } catch {
                    if !failing { logger.error("audit anchor: \(error)") }
                    failing = true
                }
            }
            try? await gracefulShutdownSleep(.seconds(5))
        }
        if isLeader() { _ = try? await file.anchor(store, now: WallClock.nowMs()) }
    }
}

/// Compacts the head into chunks periodically, and once more at shutdown.
struct CompactorService: Service {
    let store: any Store
    let every: Duration
    let ageMs: Int64
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await gracefulShutdownSleep(every)
            do {
                let r = try await store.compact(olderThan: WallClock.nowMs() - ageMs)
                if r.segments > 0 {
                    logger.debug("compacted \(r.segments) segments, \(r.samples) samples into \(r.chunksWritten) chunks")
                    // A compaction decodes a minute of every series at once; hand the freed memory back to the
                    // system rather than let the allocator's arenas keep the peak (measured by the soak test).
                    MemoryTrim.releaseFreeMemory()
                }
            } catch is CancellationError {
                // Stopping: not a failure.
            } catch {
                logger.error("compaction failed: \(error)")
            }
        }
    }
}

/// Collects the local host in-process and ingests straight into the store (no HTTP hop).
struct LocalCollectorService: Service {
    let store: any Store
    let makeSource: @Sendable () -> any BatchSource
    let interval: Duration
    let metrics: ListenerMetrics
    let logger: Logger
    let onCommit: @Sendable () -> Void

    func run() async throws {
        let source = makeSource()
        var cycle = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = WallClock.nowMs()
            if let batch = source.next(nowMs: now) {
                do {
                    let c = try await store.ingest(batch, receivedAt: now)
                    metrics.accepted(samples: c.samples, logs: c.logs, checks: c.checks, seconds: 0)
                    onCommit()
                } catch {
                    logger.error("local collection not stored: \(error)")
                }
            }
            // Rates need two readings: take the second after one second so the first screen has CPU and
            // throughput figures, then settle on the interval.
            cycle += 1
            try? await gracefulShutdownSleep(cycle == 1 ? min(interval, .seconds(1)) : interval)
        }
    }
}

/// Sleeps for `d`, returning early when a graceful shutdown starts.
func gracefulShutdownSleep(_ d: Duration) async throws {
    try await cancelWhenGracefulShutdown {
        try await Task.sleep(for: d)
    }
}

/// Whether this process holds the engine lease, shared with the services that only the leader runs.
final class LeaderFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set(_ v: Bool) { value.store(v, ordering: .relaxed) }
}
