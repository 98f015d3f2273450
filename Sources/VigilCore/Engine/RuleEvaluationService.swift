import Logging
import ServiceLifecycle
import Synchronization
import VigilWire

/// What the console and `/metrics` show about rule evaluation.
public struct RuleStatus: Sendable, Equatable {
    public var files: [String]
    public var rules: Int
    /// `file:line:col: message` lines of the latest load.
    public var errors: [String]
    /// Warnings of the latest load: a named rule directory missing, no rules in force.
    public var warnings: [String] = []
    public var lastEvaluation: Int64?
    public var lastDurationMs: Double?
    public var activeAlerts: Int
    public var holdsLease: Bool
}

/// Evaluates the rules when a batch is committed (poked by ingest) and on a periodic tick, drives one state
/// machine per alert, and records the results. Only the lease holder evaluates.
public final class RuleEvaluationService: Service, Sendable {
    struct State: Sendable {
        var rules: RuleSet
        var book = AlertBook()
        var restored = false
        var lastEvaluation: Int64?
        var lastDurationMs: Double?
        /// Who asked for a reload (audited), when one is pending.
        var reloadRequestedBy: String?
        /// The metrics the anomaly rules name, as of the latest evaluation (the scan loop adds the core ones).
        var anomalyMetrics: Set<String> = []
    }

    let store: any Store
    let tickMs: Int64
    let logger: Logger
    let isLeader: @Sendable () -> Bool
    /// Scores the core metrics' series and those that `anomaly` rules name, in a loop of its own beside the
    /// evaluations.
    public let anomalyScanner: AnomalyScanService
    /// The metrics scanned for anomalies with no rule naming them.
    let anomalyCoreMetrics: Set<String>
    /// Recent samples of the metrics the rules read, kept in memory and fed from the store's commits.
    public let head: HeadFeeder
    private let state: Locked<State>
    /// The services of `topology.yaml` (`slo_burn` rules with `service:`); nil: none.
    let services: TopologyDirectory?
    /// The check history `slo_burn` rules read, kept a minute or a fifth of the shortest short window, whichever is
    /// less (a burn over five minutes needs no fresher one).
    private let sloHistory = Locked<(readAt: Int64, window: Int64, history: [String: [CheckResult]], timelines: ServiceTimelineCache)?>(nil)
    static let sloHistoryMaxAge: Int64 = 60_000
    private let poked = Atomic<Bool>(false)
    /// Whether a batch was committed since the last anomaly scan (without one there are no new points to read,
    /// and the scan waits for its turn to read the quiet series, `AnomalyScanService.slowEveryMs`).
    private let committedSinceScan = Atomic<Bool>(true)
    private let onEvaluated = Locked<[@Sendable () -> Void]>([])

    /// Calls `action` after every evaluation whose results are stored (notifications look at once).
    public func afterEvaluation(_ action: @escaping @Sendable () -> Void) {
        onEvaluated.withLock { $0.append(action) }
    }

    public convenience init(store: any Store, ruleDirectories: [String], tickMs: Int64 = 10_000, logger: Logger,
                            isLeader: @escaping @Sendable () -> Bool) {
        self.init(store: store, rules: RuleSet(directories: ruleDirectories), tickMs: tickMs, logger: logger, isLeader: isLeader)
    }

    public init(store: any Store, rules: RuleSet, tickMs: Int64 = 10_000, logger: Logger, services: TopologyDirectory? = nil,
                anomalyCoreMetrics: Set<String> = AnomalyScanner.coreMetrics,
                anomalySeriesPerHost: Int = AnomalyScanner.defaultCoreSeriesPerHost, isLeader: @escaping @Sendable () -> Bool) {
        self.store = store
        self.anomalyCoreMetrics = anomalyCoreMetrics
        self.services = services
        self.tickMs = tickMs
        self.logger = logger
        self.isLeader = isLeader
        let head = HeadFeeder(store: store, logger: logger)
        self.head = head
        // The scanner is fed by the head's reads of the committed segments (its tap), not by reads of the store.
        self.anomalyScanner = AnomalyScanService(store: store, feeder: head, seriesPerHost: anomalySeriesPerHost, logger: logger)
        var rules = rules
        rules.reload(now: WallClock.nowMs())
        state = Locked(State(rules: rules))
        for e in rules.errors { logger.error("rule file error: \(e)") }
        for w in rules.warnings { logger.warning("rules: \(w)") }
    }

    /// A batch was committed: evaluate soon (within ~50 ms), and scan for anomalies at the scan loop's next turn.
    public func poke() {
        poked.store(true, ordering: .relaxed)
        committedSinceScan.store(true, ordering: .relaxed)
    }

    /// Re-read the rule files at the next evaluation (SIGHUP, `:reload`), audited as `actor`. The last good
    /// version of a broken file stays.
    public func requestReload(by actor: String = "system") {
        state.withLock { $0.reloadRequestedBy = actor }
        poke()
    }

    /// Where the rules come from: "the embedded defaults", or the rule directories.
    public var ruleSources: String {
        state.withLock { s in
            let files = s.rules.files.count
            return "\(files) file\(files == 1 ? "" : "s") (\(s.rules.sourceDescription))"
        }
    }

    /// The rules in force now.
    public var currentRules: [AlertRule] {
        state.withLock { $0.rules.rules }
    }

    public var status: RuleStatus {
        state.withLock { s in
            RuleStatus(files: s.rules.files.keys.sorted(), rules: s.rules.rules.count,
                       errors: s.rules.errors.flatMap { $0.errors.map(\.description) }, warnings: s.rules.warnings,
                       lastEvaluation: s.lastEvaluation, lastDurationMs: s.lastDurationMs, activeAlerts: s.book.activeCount,
                       holdsLease: isLeader())
        }
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.runEvaluations() }
            group.addTask { await self.runAnomalyScans() }
        }
    }

    /// Scans for anomalies every tick in which a batch was committed, the head's feeder handed over new points or
    /// series wait to be restored (and once a minute regardless), beside the evaluations (a scan of many series
    /// takes a while and must not hold up an alert).
    private func runAnomalyScans() async {
        var lastScan = Int64.min
        var nextTurn = Int64.min
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = WallClock.nowMs()
            if now >= nextTurn {
                nextTurn = now + tickMs
                if isLeader(), state.withLock({ $0.restored }),
                   committedSinceScan.exchange(false, ordering: .relaxed) || lastScan == .min || now - lastScan >= anomalyScanner.slowEveryMs
                    || anomalyScanner.restorePending || anomalyScanner.hasNewPoints {
                    lastScan = now
                    await scanAnomalies(now: now)
                }
            }
            // Short sleeps, as the evaluation loop's: a graceful shutdown is seen at once.
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// One anomaly scan of the core metrics and those the rules name; asks for an evaluation when a score changed.
    func scanAnomalies(now: Int64) async {
        let before = anomalyScanner.scores
        let named = state.withLock { $0.anomalyMetrics }
        do {
            if try await anomalyScanner.scan(metrics: named.union(anomalyCoreMetrics), perHostMetrics: anomalyCoreMetrics.subtracting(named), now: now) != before {
                poked.store(true, ordering: .relaxed)
            }
        } catch is CancellationError {
            // Stopping: not a failure.
        } catch {
            logger.error("anomaly scan failed: \(error)")
        }
    }

    private func runEvaluations() async throws {
        var nextTick = WallClock.nowMs()
        var earliest = Int64.min
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = WallClock.nowMs()
            // A poke evaluates at once unless evaluations are running hot: then at most one in every five
            // durations of the last one, so evaluation under heavy ingest takes at most a fifth of a core.
            if (now >= earliest && poked.load(ordering: .relaxed)) || now >= nextTick {
                poked.store(false, ordering: .relaxed)
                nextTick = now + tickMs
                if isLeader() {
                    do {
                        let started = WallClock.monotonicNs()
                        try await evaluate(now: now)
                        earliest = now + Int64(Double(WallClock.monotonicNs() - started) / 1e6 * 5)
                    } catch is CancellationError {
                        // Stopping: not a failure.
                    } catch {
                        logger.error("rule evaluation failed: \(error)")
                    }
                } else {
                    // Another engine owns the alerts now: forget ours and restore from the store when we lead again.
                    head.invalidate()
                    state.withLock { s in
                        if s.restored {
                            s.book = AlertBook()
                            s.restored = false
                        }
                    }
                }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Marks every active alert muted or not: silences, open maintenance windows, and inhibitions by firing alerts
    /// (Vigil's own and those pushed by Prometheus alike).
    func updateMutes(now: Int64, windows: [MaintenanceWindow], inhibitions: [InhibitRule]) async throws {
        let active = try await store.alerts(states: ["pending", "firing"], limit: 100_000)
        guard !active.isEmpty else { return }
        let silences = try await store.silences(includeExpired: false, now: now)
        let firing = active.filter { $0.state == "firing" }.map { (name: $0.rule, labels: $0.labels, fingerprint: $0.fingerprint) }
        let inhibitors = Inhibitors(rules: inhibitions, firing: firing)
        var mutes: [String: String?] = [:]
        for a in active {
            let why = AlertMuting.mutedBy(alertName: a.rule, labels: a.labels, at: now, silences: silences, windows: windows,
                                          inhibitors: inhibitors, fingerprint: a.fingerprint)
            if why != a.mutedBy { mutes[a.fingerprint] = .some(why) }
        }
        try await store.setMutes(mutes)
    }

    /// One evaluation of every rule at `now`.
    public func evaluate(now: Int64) async throws {
        let started = WallClock.monotonicNs()
        let (rules, needsRestore, reload) = state.withLock { s -> ([AlertRule], Bool, (String, String)?) in
            var reload: (String, String)?
            if let actor = s.reloadRequestedBy {
                s.reloadRequestedBy = nil
                s.rules.reload(now: now)
                // Alerts of rules that were broken at start are picked up from the store again.
                s.restored = false
                let errors = s.rules.errors.flatMap(\.errors)
                reload = (actor, "\(s.rules.rules.count) rules from \(s.rules.files.count) files" +
                          (errors.isEmpty ? "" : "; \(errors.count) errors, first: \(errors[0])"))
            }
            return (s.rules.rules, !s.restored, reload)
        }
        let (windows, inhibitions) = state.withLock { ($0.rules.maintenance, $0.rules.inhibitRules) }
        if let (actor, detail) = reload {
            _ = try await store.audit(actor: actor, action: "rules.reload", target: "rules", detail: detail, now: now)
            logger.info("rules reloaded: \(detail)")
            for w in state.withLock({ $0.rules.warnings }) { logger.warning("rules: \(w)") }
        }
        if needsRestore {
            let active = try await store.alerts(states: ["pending", "firing"], limit: 100_000)
            state.withLock { s in
                s.book.restore(active, rules: rules)
                s.restored = true
            }
        }
        var lastSeenMetrics = Set<String>()
        var logWindow: Int64?
        var checkDepth = 0
        var anomalyMetrics = Set<String>()
        var newPatterns: (since: Int64, level: LogLevel)?
        var sloWindow: Int64?
        var sloShortest = Self.sloHistoryMaxAge * 5
        let services = self.services?.services(now: now) ?? []
        let servicesWithObjectives = services.filter { $0.objective != nil }
        for rule in rules {
            switch rule.kind {
            case .logMatch(let e): logWindow = max(logWindow ?? 0, e.window)
            case .checkFailed(let e): checkDepth = max(checkDepth, e.consecutive)
            case .sloBurn(let e):
                // A rule on services reads check results only when some service has an objective.
                if e.service == nil || !servicesWithObjectives.isEmpty {
                    sloWindow = max(sloWindow ?? 0, e.longWindow)
                    sloShortest = min(sloShortest, e.shortWindow)
                }
            case .seriesAbsent(let e): lastSeenMetrics.insert(e.metric)
            case .anomaly(let e): if let m = e.metric { anomalyMetrics.insert(m) }
            case .newLogPattern(let e):
                newPatterns = (min(newPatterns?.since ?? .max, now - e.within), min(newPatterns?.level ?? e.minLevel, e.minLevel))
            default: break
            }
        }
        // The scan loop (`scanAnomalies`) keeps the scores; the evaluation does not wait for it.
        state.withLock { $0.anomalyMetrics = anomalyMetrics }
        let anomalyScores = anomalyScanner.scores
        // Points come from the head: each metric kept for its longest window (at least a minute), series_absent's
        // metrics for their newest sample time.
        var headWindows: [String: Int64] = [:]
        for rule in rules {
            guard let m = rule.kind.metric, !rule.kind.isAnomaly else { continue }
            headWindows[m] = max(headWindows[m] ?? 0, rule.kind.lookback ?? 0, 60_000)
        }
        for m in lastSeenMetrics { headWindows[m] = max(headWindows[m] ?? 0, 60_000) }
        try await head.update(windows: headWindows, now: now)
        var data = try await store.evaluationData(checkDepth: checkDepth, logsSince: logWindow.map { now - $0 }, logLimit: 200_000)
        // The rules read the head in place (a copy of the value shares its storage; nothing feeds the head until the
        // next evaluation's `update`, so it is not copied either): one series' window at a time, not every window.
        head.read { h in
            data.input.points = h
            data.input.seriesLastSeen = h.lastSeen(metrics: lastSeenMetrics)
        }
        data.input.anomalyScores = anomalyScores
        if let sloWindow {
            if let kept = sloHistory.withLock({ $0 }), kept.window == sloWindow, now >= kept.readAt, now - kept.readAt < sloShortest / 5 {
                data.input.checkHistory = kept.history
                data.input.serviceTimelines = kept.timelines
            } else {
                // 10 minutes more: the result before the window stands for its first minutes (at most twice its interval).
                let history = try await store.checkHistory(from: now - sloWindow - 600_000, to: now + 60_000, limit: 5_000_000)
                let timelines = ServiceTimelineCache()
                sloHistory.withLock { $0 = (now, sloWindow, history, timelines) }
                data.input.checkHistory = history
                data.input.serviceTimelines = timelines
            }
            data.input.services = servicesWithObjectives
        }
        if let newPatterns {
            data.input.newLogPatterns = try await store.newLogPatterns(since: newPatterns.since, minLevel: newPatterns.level)
        }
        // Step a copy and keep it only once the results are stored: a failed write must not leave the machines
        // ahead of the store (a resolution would never be recorded).
        var book = state.withLock { $0.book }
        let updates = book.step(rules: rules, data: data, now: now)
        try await store.recordAlerts(updates, now: now)
        state.withLock { $0.book = book }
        try await updateMutes(now: now, windows: windows, inhibitions: inhibitions)
        let ms = Double(WallClock.monotonicNs() - started) / 1e6
        state.withLock { s in
            s.lastEvaluation = now
            s.lastDurationMs = ms
        }
        for action in onEvaluated.withLock({ $0 }) { action() }
    }
}
