import Foundation
import Logging
import VigilCore

/// Polls a `FleetReader` in the background every `interval` seconds (and on demand), posting snapshots, the
/// active alerts (for the alert panes and the dashboard's marker) and whatever the visible pane asked for (a host's
/// detail, resolved alerts, silences, an alert's timeline) to the mailbox. It also carries out the console's store
/// changes (ack, silence…) off the UI thread and reports each as a message. Errors become messages, never crashes.
final class FleetPoller: Sendable {
    private let reader: any FleetReader
    private let store: (any Store)?
    /// The rules of the engine this console runs (empty while attached; filled when it takes over).
    private let ruleAccessBox: Locked<RuleAccess>
    private var ruleAccess: RuleAccess { ruleAccessBox.withLock { $0 } }
    /// While attached: the engine's holder last seen, and whether this console took over.
    private let standby: ConsoleStandby?
    private let standbyState: Locked<(holder: String?, pid: Int?, tookOver: Bool, freeSince: Int64?)>
    /// How long the lease must stay free before an attached console takes over: two of a serve's lease attempts
    /// (every 5 s), so where several `vigil serve` share a PostgreSQL one of them takes it, not a console.
    static let takeOverAfterMs: Int64 = 10_000
    private let mailbox: Mailbox
    private let interval: Double
    private let interest = Locked(PollInterest())
    private let triggers: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    /// Reads the logs pane's patterns and lines.
    private let logsFetcher = LogsFetcher()
    /// Reads the audit pane's entries and checks the chain.
    private let auditFetcher = AuditFetcher()
    /// Measures availability for the SLA pane (a heavy read: at most every 30 s).
    private let slaFetcher = SLAFetcher()
    /// Reads the topology's links (at most every 10 s).
    private let topologyFetcher = TopologyFetcher()
    /// Builds the services (at most every 30 s).
    private let servicesFetcher = ServicesFetcher()
    /// The server groups of `topology.yaml`, assigned to each snapshot's hosts (`/group=NAME` everywhere). Quiet: the
    /// Topology and Services panes show the file's mistakes.
    private let topology = TopologyDirectory(path: TopologyConfig.defaultPath(), logger: FleetPoller.quiet)
    /// The console's loggers write nowhere: curses owns the terminal, and a log line written to it stayed on the
    /// screen over the panes (the fleet head's "rebuilding from the store" over the dashboard's summary line).
    static let quiet = Logger(label: "vigil.console", factory: { _ in SwiftLogNoOpLogHandler() })
    /// Keeps the dashboard's metrics in a head fed by new segments (when reading a store), instead of re-reading
    /// every host's last 30 minutes each round.
    private let tracker: FleetTracker?

    /// How many active (and resolved) alerts one round reads.
    static let alertLimit = 20_000
    /// The active alerts read last, the store's `AlertsVersion` then, and how many reads there were: while the
    /// version stands they are not read again (at 10,000 alerts reading them every round was most of an idle
    /// console's work), except every `alertsMaxAgeMs` in case a writer that does not count its changes (an older
    /// `vigil`) shares the store.
    private let alertsCache = Locked<(version: String?, snapshot: AlertsSnapshot?, reads: Int)>((nil, nil, 0))
    let alertsMaxAgeMs: Int64

    /// How long a rule reload waits for the engine's next evaluation before reporting (ms).
    let reloadWaitMs: Int64

    init(reader: any FleetReader, store: (any Store)? = nil, rules: RuleAccess = RuleAccess(), mailbox: Mailbox, interval: Double,
         reloadWaitMs: Int64 = 3000, alertsMaxAgeMs: Int64 = 60_000, standby: ConsoleStandby? = nil) {
        self.reloadWaitMs = reloadWaitMs
        self.alertsMaxAgeMs = alertsMaxAgeMs
        self.reader = reader
        self.store = store
        self.ruleAccessBox = Locked(rules)
        self.standby = standby
        standbyState = Locked((standby?.holder, standby?.pid, false, nil))
        self.mailbox = mailbox
        self.interval = max(0.2, interval)
        tracker = store.map { FleetTracker(store: $0, logger: FleetPoller.quiet) }
        (triggers, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The host whose detail to fetch along with the fleet (nil: none).
    func subscribe(host: String?) {
        subscribe(PollInterest(host: host))
    }

    /// What to fetch besides the fleet and the active alerts; a change fetches at once.
    func subscribe(_ wanted: PollInterest) {
        let changed = interest.withLock { current in
            defer { current = wanted }
            return current != wanted
        }
        if changed && wanted != PollInterest() { refreshNow() }
    }

    /// Carries out a store change as `actor` in the background, posts the outcome, then refreshes.
    func perform(_ request: StoreRequest, actor: String) {
        guard let store else {
            mailbox.post(.actionResult("no store: \(request.doneMessage) not done", isError: true))
            return
        }
        let mailbox = self.mailbox
        Task {
            do {
                try await Self.execute(request, store: store, actor: actor, now: Self.nowMs())
                mailbox.post(.actionResult(request.doneMessage, isError: false))
            } catch {
                mailbox.post(.actionResult("\(request.doneMessage) failed: \(error)", isError: true))
            }
            self.refreshNow()
        }
    }

    /// One store change.
    static func execute(_ request: StoreRequest, store: any Store, actor: String, now: Int64) async throws {
        switch request {
        case .alert(let action, let fingerprint, let detail, _):
            _ = try await store.alertAction(action, fingerprint: fingerprint, detail: detail, actor: actor, now: now)
        case .createSilence(let matchers, let duration, let comment):
            _ = try await store.createSilence(matchers: matchers, startsAt: now, endsAt: now + duration, comment: comment,
                                              actor: actor, now: now)
        case .expireSilence(let id):
            guard try await store.expireSilence(id: id, actor: actor, now: now) else {
                throw StoreError("no silence \(id) (already expired?)")
            }
        case .retryNotification(let id):
            guard try await store.retryNotification(id: id, actor: actor, now: now) else {
                throw StoreError("no notification \(id) waiting to be sent")
            }
        }
    }

    /// Asks the engine this console runs to re-read its rule files (at its next evaluation, within ~50 ms), waits
    /// for that evaluation, posts the outcome (counts, or the first error) and refreshes. Off the UI thread.
    func reloadRules() {
        guard let reload = ruleAccess.reload else {
            mailbox.post(.actionResult("rules are evaluated by another engine: reload not done", isError: true))
            return
        }
        let status = ruleAccess.status
        let mailbox = self.mailbox
        let waitMs = reloadWaitMs
        Task {
            reload()
            let requested = Self.nowMs()
            if let status {
                var outcome: (String, isError: Bool)?
                while outcome == nil && Self.nowMs() - requested < waitMs {
                    try? await Task.sleep(for: .milliseconds(50))
                    let s = status()
                    if let last = s.lastEvaluation, last >= requested { outcome = RulesFormat.reloaded(s) }
                }
                if let outcome {
                    mailbox.post(.actionResult(outcome.0, isError: outcome.isError))
                } else if !status().holdsLease {
                    mailbox.post(.actionResult("rule reload requested: this engine is on standby and reloads when it takes the lease",
                                               isError: false))
                } else {
                    mailbox.post(.actionResult("rule reload requested: not evaluated yet (see the engine's log)", isError: true))
                }
            }
            self.refreshNow()
        }
    }

    /// Fetches now instead of at the next tick.
    func refreshNow() {
        continuation.yield(())
    }

    /// Stops the loop.
    func finish() {
        continuation.finish()
    }

    /// Runs until cancelled or finished: a timer task feeds the trigger stream; each trigger fetches once.
    func run() async {
        let interval = self.interval
        let continuation = self.continuation
        let timer = Task {
            while !Task.isCancelled {
                continuation.yield(())
                try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
            }
        }
        defer { timer.cancel() }
        for await _ in triggers {
            if Task.isCancelled { break }
            await fetchOnce()
        }
    }

    /// While attached: reads the store's lease. Another engine taking it over is noted; none holding it for
    /// `takeOverAfterMs` (the one attached to stopped, and no other serve took it) starts the engine in this console, once.
    func watchEngine(_ standby: ConsoleStandby, store: any Store, now: Int64) async {
        guard !standbyState.withLock({ $0.tookOver }) else { return }
        let lease: EngineLease?
        do { lease = try await store.currentLease(now: now) } catch { return }
        if let lease {
            let changed = standbyState.withLock { s in
                defer { (s.holder, s.pid, s.freeSince) = (lease.holder, lease.pid, nil) }
                return s.holder != lease.holder
            }
            if changed {
                let description = ConsoleStandby.attachedDescription(lease)
                mailbox.post(.engine(description: description, runsHere: false, note: "another engine took over: \(description.dropFirst("attached to ".count))"))
            }
            return
        }
        let stopped = standbyState.withLock { s -> String? in
            let since = s.freeSince ?? now
            s.freeSince = since
            guard now - since >= Self.takeOverAfterMs else { return nil }
            s.tookOver = true
            return s.pid.map { "pid \($0)" } ?? "?"
        }
        guard let stopped else { return }
        // Starting blocks (up to 2 s while the listener binds): on a thread of its own, not the cooperative pool.
        let (description, rules) = await withCheckedContinuation { c in Thread { c.resume(returning: standby.takeOver()) }.start() }
        ruleAccessBox.withLock { $0 = rules }
        mailbox.post(.engine(description: description, runsHere: true,
                             note: "this console took over the engine (\(stopped) stopped) · \(description)"))
    }

    /// One round: the fleet, then the subscribed host's detail.
    func fetchOnce() async {
        let now = Self.nowMs()
        do {
            let snapshot = if let tracker { try await tracker.snapshot(now: now) } else { try await reader.fleetSnapshot(now: now) }
            mailbox.post(.fleet(ServerGroup.assign(snapshot, topology.groups(now: now))))
        } catch {
            mailbox.post(.fleetError(String(describing: error)))
        }
        if let standby, let store { await watchEngine(standby, store: store, now: now) }
        let wanted = interest.withLock { $0 }
        if let store, let warnings = try? await store.settings(prefix: "warning.") {
            // Warnings the engine leaves in the store (a host at its series limit), while they are recent.
            mailbox.post(.storeWarnings(warnings.filter { now - $0.updatedAt < 3_600_000 }.map(\.value)))
        }
        if let store { await fetchAlerts(store, wanted: wanted) }
        if wanted.rules, let rules = ruleAccess.snapshot(now: Self.nowMs()) { mailbox.post(.rules(rules)) }
        if wanted.runs, let store { await fetchRuns(store) }
        if wanted.notifications, let store { await fetchNotifications(store) }
        if let logs = wanted.logs, let store {
            for message in await logsFetcher.fetch(store, logs, now: Self.nowMs()) { mailbox.post(message) }
        }
        if let host = wanted.processes, let store {
            // Host detail shows the newest look (at most 100 processes, IngestDecoder.maxProcesses): the newest 200 rows
            // of the last 10 minutes hold it. A process's history reads the hour.
            let now = Self.nowMs()
            let (span, limit): (Int64, Int) = wanted.processHistory ? (3_600_000, 20_000) : (600_000, 200)
            if let samples = try? await store.processSamples(host: host, from: now - span, to: now + 60_000, limit: limit) {
                mailbox.post(.processes(host: host, samples))
            }
        }
        if let metric = wanted.metric, let store {
            mailbox.post(await MetricFetcher.fetch(store, metric, rules: ruleAccess.rules?(), now: Self.nowMs()))
        }
        if wanted.reports, let store {
            do { mailbox.post(.reports(try await store.reports(kind: nil, limit: ReportsPane.limit))) } catch { mailbox.post(.reportsError(String(describing: error))) }
        }
        if let window = wanted.sla, let store {
            mailbox.post(await slaFetcher.fetch(store, window: window, rules: ruleAccess.rules?(), now: Self.nowMs()))
        }
        if wanted.topology, let store { mailbox.post(await topologyFetcher.fetch(store, now: Self.nowMs())) }
        if wanted.services, let store { mailbox.post(await servicesFetcher.fetch(store, now: Self.nowMs())) }
        if wanted.databases, let store { mailbox.post(await DatabaseFetcher.fetch(store, now: Self.nowMs())) }
        if let db = wanted.databaseQueries, let store { mailbox.post(await DatabaseQueriesSnapshot.fetch(store, db, now: Self.nowMs())) }
        if let audit = wanted.audit, let store { mailbox.post(await auditFetcher.fetch(store, audit, now: Self.nowMs())) }
        if let line = wanted.logContext, let store {
            do {
                let around = try await store.logContext(of: line, before: LogContextPane.before, after: LogContextPane.after)
                mailbox.post(.logs(.context(LogContextSnapshot(line: line, lines: around.lines, index: around.index))))
            } catch {
                mailbox.post(.logs(.error(String(describing: error))))
            }
        }
        guard let host = wanted.host else { return }
        do {
            mailbox.post(.detail(name: host, try await reader.hostDetail(name: host, now: Self.nowMs())))
        } catch {
            mailbox.post(.detailError(name: host, String(describing: error)))
        }
    }

    /// The active alerts, plus resolved ones, silences and a timeline when the visible pane wants them. The active
    /// alerts are read only when the store's `AlertsVersion` moved; a round that has nothing new posts nothing.
    func fetchAlerts(_ store: any Store, wanted: PollInterest) async {
        let now = Self.nowMs()
        do {
            let version = try await store.setting(AlertsVersion.key)
            let cache = alertsCache.withLock { $0 }
            let fresh: Bool
            var snapshot: AlertsSnapshot
            if let cached = cache.snapshot, version != nil, cache.version == version, now - cached.takenAt < alertsMaxAgeMs {
                fresh = false
                snapshot = cached
                snapshot.takenAt = now
            } else {
                let active = try await store.alerts(states: ["pending", "firing"], limit: Self.alertLimit)
                snapshot = AlertsSnapshot(takenAt: now, active: active, read: cache.reads + 1, capped: active.count >= Self.alertLimit)
                alertsCache.withLock { $0 = (version, snapshot, cache.reads + 1) }
                fresh = true
            }
            let active = snapshot.active
            if wanted.resolvedAlerts { snapshot.resolved = try await store.alerts(states: ["resolved"], limit: Self.alertLimit) }
            if wanted.silences { snapshot.silences = try await store.silences(includeExpired: false, now: now) }
            if fresh || wanted.resolvedAlerts || wanted.silences {
                mailbox.post(.alerts(snapshot))
            }
            let resolved = snapshot.resolved
            if let fingerprint = wanted.timeline {
                mailbox.post(.timeline(fingerprint: fingerprint, try await store.alertTimeline(fingerprint: fingerprint)))
                let alert = active.first { $0.fingerprint == fingerprint } ?? resolved?.first { $0.fingerprint == fingerprint }
                if let alert {
                    mailbox.post(.pastIncidents(fingerprint: fingerprint, try await store.similarIncidents(to: alert, limit: 5)))
                }
                if let alert, let metric = alert.metric, let host = alert.host {
                    let from = alert.activeSince - 30 * 60_000
                    let to = min(now, (alert.resolvedAt ?? now) + 10 * 60_000)
                    let points = try await store.points(SeriesKey(host: host, name: metric, labels: alert.seriesLabels), from: from, to: to)
                    mailbox.post(.alertMetric(fingerprint: fingerprint, points: points, from: from, to: to))
                }
            }
        } catch {
            mailbox.post(.alertsError(String(describing: error)))
        }
    }

    /// The outbox and the escalations in progress, for the notifications pane.
    func fetchNotifications(_ store: any Store) async {
        let now = Self.nowMs()
        do {
            let recent = try await store.notifications(states: nil, channel: nil, limit: 300)
            let firing = try await store.alerts(states: ["firing"], limit: Self.alertLimit).filter { $0.ackedBy == nil }
            let taken = try await store.escalationsTaken(fingerprints: firing.map(\.fingerprint),
                                                         since: Dictionary(firing.map { ($0.fingerprint, $0.firedAt ?? $0.activeSince) },
                                                                           uniquingKeysWith: { a, _ in a }))
            let escalating = firing.compactMap { a in taken[a.fingerprint].map { (alert: a, steps: Array($0)) } }
            mailbox.post(.notifications(NotifySnapshot(takenAt: now, recent: recent, escalating: escalating)))
        } catch {
            mailbox.post(.actionResult("notifications refresh failed: \(error)", isError: true))
        }
    }

    /// Runs of the last week and the approvals queue, for the runbooks pane.
    func fetchRuns(_ store: any Store) async {
        let now = Self.nowMs()
        do {
            let recent = try await store.runs(RunFilter(since: now - 7 * 86_400_000, limit: 500))
            let waiting = try await store.runs(RunFilter(states: [.awaitingApproval, .proposed], limit: 500))
            mailbox.post(.runs(RunsSnapshot(takenAt: now, recent: recent, approvals: waiting.sorted { $0.createdAt < $1.createdAt })))
        } catch {
            mailbox.post(.actionResult("runs refresh failed: \(error)", isError: true))
        }
    }

    /// Unix ms now.
    static func nowMs() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }
}
