#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// The whole agent: collectors, checks and log tails feed one batch per cycle, which is spooled and
/// then flushed to the listener. `main.swift` only parses flags and calls into this.
///
/// Not thread-safe: everything runs on the calling thread.
public final class Agent {
    public let config: AgentConfig
    /// The host name every batch carries.
    public let host: String
    private let log: AgentLog
    private let collector: HostCollector
    private let checkRunner: CheckRunner
    private let tailer: LogTailer
    /// One per `databases:` entry.
    public let databaseProbes: [PostgresProbe]
    private let info: AgentInfo
    /// Nil in print mode, which stores and sends nothing.
    public let spool: Spool?
    private let sender: Sender?
    /// Runs runbook jobs on its own thread while the loop goes on; nil in print mode.
    public let jobWorker: JobWorker?
    private var pendingChecks: [CheckResult] = []
    /// This run's random id and the batches made so far: batch ids `RUNID-SEQ` are unique per host, so the
    /// listener can tell a replayed batch (its answer was lost) from a new one.
    private let runID: String = {
        var g = SystemRandomNumberGenerator()
        return String(UInt64.random(in: 0...UInt64.max, using: &g), radix: 36)
    }()
    private var batchSeq = 0
    /// The host's TCP connections, read every `config.connectionsIntervalMs` (and at the first batch).
    private let connectionTable = ConnectionTable()
    private var connectionsDueMs: Int64 = 0

    /// Sets up from `config`. With `persistent` false (for `--print`), nothing is written: no spool,
    /// no tail offsets.
    /// `environment` supplies the variables `databases:` entries name (`url_env`, `password_env`).
    public init(config: AgentConfig, log: AgentLog = AgentLog(), persistent: Bool = true,
                collector: HostCollector = HostCollector(), environment: [String: String] = [:]) throws(AgentError) {
        try config.validate()
        var probes: [PostgresProbe] = []
        for d in config.databases {
            probes.append(PostgresProbe(config: d, target: try d.target(environment: environment), log: log))
        }
        self.databaseProbes = probes
        self.config = config
        self.log = log
        self.collector = collector
        self.host = config.host ?? AgentConfig.sanitizedHost(collector.hostname())
        self.info = collector.agentInfo()
        self.checkRunner = CheckRunner(checks: config.checks, defaultIntervalMs: config.intervalMs,
                                       systemctlPath: config.systemctlPath)
        if persistent {
            try FileSystem.makeDirectories(config.stateDirectory)
            let spool = try Spool(directory: config.stateDirectory + "/spool", maxBytes: config.spoolMaxBytes)
            self.spool = spool
            self.sender = Sender(ingestURL: config.ingestURL, token: config.token, spool: spool,
                                 intervalMs: config.intervalMs, log: log, tls: config.tls)
            self.jobWorker = JobWorker(settings: JobWorker.Settings(config: config, host: host), log: log)
        } else {
            self.spool = nil
            self.sender = nil
            self.jobWorker = nil
        }
        self.tailer = LogTailer(files: config.logs, stateDirectory: persistent ? config.stateDirectory : nil,
                                maxLineBytes: config.maxLineBytes)
        for l in config.logs where !FileSystem.exists(l.path) {
            log.warning("log file \(l.path) does not exist yet; it will be followed from its start when it appears")
        }
    }

    /// The monotonic clock in milliseconds.
    public static func monotonicMs() -> Int64 { Int64(WallClock.monotonicNs() / 1_000_000) }

    /// Takes a first reading so the next batch has rates.
    public func prime() {
        _ = collector.collect(nowMs: WallClock.nowMs())
    }

    /// Collects samples, runs the checks that are due, reads new log lines, and returns them as one batch.
    public func makeBatch() -> IngestBatch {
        let now = WallClock.nowMs()
        runDueChecks()
        let samples = collector.collect(nowMs: now)
        let processes = collector.processes
        var dbQueries: [DatabaseQuery] = []
        var dbSamples: [Sample] = []
        for probe in databaseProbes {
            let r = probe.collect(nowMs: now)
            dbSamples += r.samples
            dbQueries += r.queries
        }
        let logs = tailer.poll(nowMs: now)
        let checks = pendingChecks
        pendingChecks.removeAll()
        batchSeq += 1
        var batch = IngestBatch(host: host, id: "\(runID)-\(batchSeq)", agent: info, labels: config.labels, samples: samples + dbSamples, logs: logs, checks: checks)
        batch.processes = processes
        batch.dbQueries = dbQueries
        if let every = config.connectionsIntervalMs, Self.monotonicMs() >= connectionsDueMs {
            connectionsDueMs = Self.monotonicMs() + every
            batch.connections = connectionTable.collect()
        }
        return batch
    }

    /// Runs the checks due now and keeps their results for the next batch.
    public func runDueChecks() {
        pendingChecks += checkRunner.runDue(nowMs: WallClock.nowMs(), monotonicMs: Self.monotonicMs())
    }

    /// One cycle: build a batch, spool it, remember the tail offsets, flush the spool.
    @discardableResult
    public func cycle(forceFlush: Bool = false) -> FlushReport {
        guard let spool, let sender else { return FlushReport() }
        let batch = makeBatch()
        let body = Gzip.compress(Array(batch.json().utf8))
        do {
            let dropped = try spool.append(body)
            if dropped > 0 {
                log.warning("spool is full (\(AgentLog.size(spool.maxBytes))): dropped the \(dropped) oldest batch\(dropped == 1 ? "" : "es") (\(spool.droppedBatches) so far)")
            }
            try tailer.saveState()
        } catch {
            log.error("cannot spool a batch: \(error.message)")
        }
        return sender.flush(monotonicMs: Self.monotonicMs(), force: forceFlush)
    }

    /// `--once`: a reading, about a second of waiting so rates exist, one batch pushed and the spool
    /// flushed. True when nothing is left undelivered.
    public func runOnce() -> Bool {
        prime()
        usleep(1_000_000)
        let report = cycle(forceFlush: true)
        if let stopped = report.stoppedBy {
            log.error("\(stopped); \(report.remaining) batch\(report.remaining == 1 ? "" : "es") left in the spool")
            return false
        }
        log.info("delivered \(report.delivered) batch\(report.delivered == 1 ? "" : "es") to \(config.ingestURL)")
        return report.remaining == 0
    }

    /// `--print`: one batch (after about a second, so rates exist) as JSON.
    public func printBatch() -> String {
        prime()
        usleep(1_000_000)
        return makeBatch().json()
    }

    /// The main loop: a cycle every interval, checks on their own intervals, retries with backoff
    /// between cycles. Returns after SIGTERM or SIGINT, once the current cycle has finished and the tail
    /// offsets are saved.
    public func run(signals: SignalWaiter) {
        log.info("started (version \(VigilVersion.current), host \(host), pushing to \(config.ingestURL) every \(Self.formatDuration(config.intervalMs)), \(config.checks.count) checks, \(config.logs.count) logs, \(config.databases.count) database\(config.databases.count == 1 ? "" : "s"), spool \(spool?.count ?? 0) batches)")
        if let jobWorker {
            sender?.jobHandler = { jobs, undecodable in jobWorker.offer(jobs, undecodable: undecodable) }
            jobWorker.start()
            log.info(config.remediation ? "runbook jobs: enabled (polling \(config.baseURL)/api/v1/jobs/next)"
                     : "runbook jobs: disabled on this host; jobs sent here are refused")
        }
        prime()
        var nextCycle = Self.monotonicMs() + min(config.intervalMs, 1000)
        while true {
            let now = Self.monotonicMs()
            if now >= nextCycle {
                cycle()
                nextCycle += config.intervalMs
                if nextCycle <= now { nextCycle = now + config.intervalMs }   // fell behind: do not burst
            } else {
                if let due = checkRunner.nextDueMs, due <= now { runDueChecks() }
                if let retry = sender?.nextRetryMs, retry <= now { _ = sender?.flush(monotonicMs: now) }
            }
            var wake = nextCycle
            if let due = checkRunner.nextDueMs { wake = min(wake, due) }
            if let retry = sender?.nextRetryMs { wake = min(wake, max(retry, now + 100)) }
            if let s = signals.wait(milliseconds: max(1, wake - Self.monotonicMs())) {
                log.info("received \(SignalWaiter.name(s)); stopping")
                break
            }
        }
        shutdown()
    }

    static func formatDuration(_ ms: Int64) -> String {
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }

    /// Stops the job thread (a running step is killed and reported cancelled) and saves the tail offsets.
    public func shutdown() {
        jobWorker?.stop()
        guard spool != nil else { return }
        do {
            try tailer.saveState()
        } catch {
            log.error("cannot save log offsets: \(error.message)")
        }
    }
}
