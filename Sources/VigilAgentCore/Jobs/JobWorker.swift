#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// The agent's job runner: a background thread, so that collecting and pushing go on while a job runs.
///
/// It long-polls `GET {url}/api/v1/jobs/next?host=H&wait_ms=…` and also takes the jobs the ``Sender``
/// finds in ingest answers (``offer(_:undecodable:)``, a small locked mailbox). Each job id runs at most
/// once. A job is refused — one `job_finished` event with outcome `refused` naming why, nothing run —
/// when remediation is disabled, its signature is missing or wrong, it is for another host, or it has
/// expired. Otherwise ``JobExecutor`` runs it and its events are posted in batches to
/// `POST {url}/api/v1/jobs/{id}/events`; transport errors are retried, `{"cancel":true}` kills the
/// running step, and 404/409 stop both posting and the run. Long-poll failures back off from 1 s to 30 s.
public final class JobWorker: @unchecked Sendable {
    /// Everything the worker needs, fixed at start.
    public struct Settings: Sendable {
        /// The listener's base URL, without trailing slash.
        public var baseURL: String
        public var token: String
        /// This agent's host name: jobs for any other host are refused.
        public var host: String
        /// False: every job is refused.
        public var enabled: Bool
        /// The signing key (``JobSignature/key(tokenSecret:)`` of the token).
        public var key: [UInt8]
        /// The `VIGIL_STEP_*` variables for every step.
        public var environment: [String: String]
        /// The agent's own executable, for `vigil-step`.
        public var selfExecutable: String
        /// TLS towards the listener (the agent's `tls:`).
        public var tls = AgentTLS()
        /// Programs besides `vigil-step` that jobs may run (`remediation.allow_programs`); nil: any (tests only).
        public var allowedPrograms: [String]? = []
        /// `wait_ms` of the long-poll.
        public var longPollWaitMs = 25_000
        public var initialBackoffMs: Int64 = 1000
        public var maxBackoffMs: Int64 = 30_000
        /// While a step runs silently, events (possibly none) are posted this often to learn of a cancel.
        public var heartbeatMs: Int64 = 2000
        /// Output events are held at most this long before they are posted.
        public var outputFlushMs: Int64 = 250
        /// Extra attempts for the last events of a job when the listener cannot be reached.
        public var finalRetries = 4
        /// First pause between those attempts (doubling).
        public var retryPauseMs: Int64 = 500
        /// Per-request timeout of event posts.
        public var requestTimeoutMs = 15_000

        public init(baseURL: String, token: String, host: String, enabled: Bool, key: [UInt8], environment: [String: String],
                    selfExecutable: String) {
            var base = baseURL
            while base.hasSuffix("/") { base.removeLast() }
            self.baseURL = base
            self.token = token
            self.host = host
            self.enabled = enabled
            self.key = key
            self.environment = environment
            self.selfExecutable = selfExecutable
        }

        /// The settings of an agent with `config` reporting as `host`.
        public init(config: AgentConfig, host: String) {
            self.init(baseURL: config.baseURL, token: config.token, host: host, enabled: config.remediation,
                      key: JobSignature.key(tokenSecret: config.token),
                      environment: config.remediationPolicy.environment(agentPID: getpid()),
                      selfExecutable: JobExecutor.currentExecutable())
            allowedPrograms = config.remediationPolicy.allowPrograms
            tls = config.tls
        }
    }

    public let settings: Settings
    private let log: AgentLog
    private let lock = JobLock()
    // Guarded by `lock`:
    private var mailbox: [JobSpec] = []
    private var undecodableMailbox: [UndecodableJob] = []
    private var stopping = false
    private var started = false
    private var threadDone = false
    private var inLongPoll = false
    private var seen: Set<String> = []
    private var seenOrder: [String] = []
    private var _finished: [(id: String, outcome: JobOutcome)] = []
    // Only touched by the worker thread:
    private let client: AgentHTTPClient
    private var loggedProblem: String?
    private var failuresSinceLog = 0

    public init(settings: Settings, log: AgentLog = AgentLog()) {
        self.settings = settings
        self.client = AgentHTTPClient(tls: settings.tls)
        self.log = log
    }

    /// The jobs handled so far (refused ones included), oldest first.
    public var finished: [(id: String, outcome: JobOutcome)] { lock.withLock { _finished } }

    /// Starts the thread (once).
    public func start() {
        let go = lock.withLock { () -> Bool in
            if started { return false }
            started = true
            return true
        }
        guard go else { return }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let worker = Unmanaged<JobWorker>.fromOpaque(raw!).takeRetainedValue()
            worker.loop()
            return nil
        }, context)
        if rc != 0 {
            Unmanaged<JobWorker>.fromOpaque(context).release()
            lock.withLock { threadDone = true }
            log.error("cannot start the job thread: \(FileSystem.errorText(rc)); runbook jobs will not run")
            return
        }
        pthread_detach(thread)
    }

    /// Asks the thread to stop: a running step is killed (the job ends `cancelled`) and its last events
    /// are posted. Waits up to `waitMs` for that, but not for a long-poll in flight (the process may
    /// exit under it: nothing is lost).
    public func stop(waitMs: Int64 = 5000) {
        let deadline = Agent.monotonicMs() + waitMs
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
        while Agent.monotonicMs() < deadline {
            let done = lock.withLock { () -> Bool in
                if threadDone || !started || inLongPoll { return true }
                lock.wait(milliseconds: 20)
                return threadDone
            }
            if done { return }
        }
    }

    /// Hands over jobs found in an ingest answer (thread-safe; called by the sender).
    public func offer(_ jobs: [JobSpec], undecodable: [UndecodableJob] = []) {
        guard !jobs.isEmpty || !undecodable.isEmpty else { return }
        lock.withLock {
            mailbox += jobs
            undecodableMailbox += undecodable
            lock.broadcast()
        }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    // MARK: - The thread

    private func loop() {
        defer {
            lock.withLock {
                threadDone = true
                lock.broadcast()
            }
        }
        var failures = 0
        while true {
            let (jobs, bad, stop) = lock.withLock { () -> ([JobSpec], [UndecodableJob], Bool) in
                defer { mailbox.removeAll(); undecodableMailbox.removeAll() }
                return (mailbox, undecodableMailbox, stopping)
            }
            if stop {
                refuseAll(jobs, bad, reason: "the agent is stopping")
                return
            }
            if !jobs.isEmpty || !bad.isEmpty {
                handle(jobs, bad)
                continue
            }
            switch longPoll() {
            case .success(let delivered):
                if loggedProblem != nil { log.info("job polling works again") }
                loggedProblem = nil
                failuresSinceLog = 0
                failures = 0
                if isStopping {
                    refuseAll(delivered.jobs, delivered.undecodable, reason: "the agent is stopping")
                    return
                }
                handle(delivered.jobs, delivered.undecodable)
            case .failure(let problem):
                failures += 1
                reportProblem(problem.message)
                let pause = min(settings.maxBackoffMs, settings.initialBackoffMs << Int64(min(failures - 1, 20)))
                lock.withLock {
                    if !stopping && mailbox.isEmpty && undecodableMailbox.isEmpty { lock.wait(milliseconds: pause) }
                }
            }
        }
    }

    private func reportProblem(_ reason: String) {
        failuresSinceLog += 1
        guard reason != loggedProblem || failuresSinceLog >= 30 else { return }
        loggedProblem = reason
        failuresSinceLog = 0
        log.warning("cannot poll for jobs: \(reason); retrying with backoff")
    }

    private typealias Delivery = (jobs: [JobSpec], undecodable: [UndecodableJob])

    private func longPoll() -> Result<Delivery, JobExecutorProblem> {
        lock.withLock { inLongPoll = true }
        defer { lock.withLock { inLongPoll = false; lock.broadcast() } }
        let url = "\(settings.baseURL)/api/v1/jobs/next?host=\(settings.host)&wait_ms=\(settings.longPollWaitMs)"
        let request = HTTPRequest(method: "GET", url: url, headers: authorization(), timeoutMs: settings.longPollWaitMs + 15_000,
                                  connectTimeoutMs: 5000)
        let response: HTTPResponse
        do {
            response = try client.perform(request, maxResponseBytes: 16 * 1024 * 1024)
        } catch {
            return .failure(JobExecutorProblem("listener unreachable (\(Sender.shortTransportMessage(error)))"))
        }
        switch response.status {
        case 200:
            do {
                let d = try JobList.decodeLenient(response.body)
                return .success((d.jobs, d.undecodable))
            } catch {
                return .failure(JobExecutorProblem("the listener's job list is not valid JSON: \(error)"))
            }
        case 204:
            return .success(([], []))
        case 401, 403:
            return .failure(JobExecutorProblem("listener refused the token (HTTP \(response.status)): \(SenderState.brief(response.text))"))
        case 404:
            return .failure(JobExecutorProblem("listener has no job endpoint (HTTP 404): is it older than this agent?"))
        default:
            return .failure(JobExecutorProblem("listener error (HTTP \(response.status)): \(SenderState.brief(response.text))"))
        }
    }

    private func authorization() -> [(String, String)] {
        settings.token.isEmpty ? [] : [("Authorization", "Bearer \(settings.token)")]
    }

    /// Records `id` as handled; false when it was already.
    private func firstDelivery(_ id: String) -> Bool {
        lock.withLock {
            guard seen.insert(id).inserted else { return false }
            seenOrder.append(id)
            if seenOrder.count > 10_000 {
                for old in seenOrder.prefix(1000) { seen.remove(old) }
                seenOrder.removeFirst(1000)
            }
            return true
        }
    }

    private func record(_ id: String, _ outcome: JobOutcome) {
        lock.withLock {
            _finished.append((id, outcome))
            if _finished.count > 1000 { _finished.removeFirst(_finished.count - 1000) }
        }
    }

    private func handle(_ jobs: [JobSpec], _ bad: [UndecodableJob]) {
        for u in bad {
            guard let id = u.id else {
                log.error("received a job that cannot be read and has no usable id (\(u.error)); ignored")
                continue
            }
            guard firstDelivery(id) else { continue }
            refuse(id: id, reason: "the job cannot be read: \(u.error)")
        }
        for job in jobs {
            guard firstDelivery(job.id) else {
                log.info("job \(job.id) was delivered again; it runs only once")
                continue
            }
            if isStopping {
                refuse(id: job.id, reason: "the agent is stopping")
                continue
            }
            if let reason = refusal(job) {
                refuse(id: job.id, reason: reason)
                continue
            }
            execute(job)
        }
    }

    private func refuseAll(_ jobs: [JobSpec], _ bad: [UndecodableJob], reason: String) {
        for id in jobs.map(\.id) + bad.compactMap(\.id) where firstDelivery(id) {
            refuse(id: id, reason: reason, retries: 0)
        }
    }

    /// Why `job` must not run, nil when it may.
    func refusal(_ job: JobSpec, nowMs: Int64 = WallClock.nowMs()) -> String? {
        if !settings.enabled {
            return "remediation is disabled on this host (remediation.enabled: false or --no-remediation); nothing ran"
        }
        if job.signature.isEmpty { return "the job is not signed; nothing ran" }
        if !JobSignature.verify(job, key: settings.key) {
            return "bad signature: the job was not signed for this agent's token, or it was altered; nothing ran"
        }
        if job.host != settings.host {
            return "the job is for host \(job.host), this agent is \(settings.host); nothing ran"
        }
        if nowMs > job.expiresAt {
            return "the job expired \((nowMs - job.expiresAt + 999) / 1000) s ago (check both clocks); nothing ran"
        }
        return nil
    }

    private func refuse(id: String, reason: String, retries: Int? = nil) {
        log.warning("refused job \(id): \(reason)")
        let poster = EventPoster(worker: self, jobID: id)
        poster.add(JobExecutor.refusal(reason))
        poster.finish(retries: retries ?? settings.finalRetries)
        record(id, .refused)
    }

    private func execute(_ job: JobSpec) {
        log.info("job \(job.id): running runbook \(job.runbook)\(job.dryRun ? " (dry run)" : "") with \(job.steps.count) step\(job.steps.count == 1 ? "" : "s")")
        let poster = EventPoster(worker: self, jobID: job.id)
        let executor = JobExecutor(policy: settings.environment, selfExecutable: settings.selfExecutable,
                                   allowedPrograms: settings.allowedPrograms, log: log)
        let outcome = executor.run(job, emit: { event in
            var e = event
            if e.type == .jobFinished && e.outcome == .cancelled && self.isStopping && !poster.cancelRequested {
                e.text = (e.text ?? "cancelled") + " (the agent is stopping)"
            }
            poster.add(e)
        }, isCancelled: {
            poster.tick()
            return poster.cancelRequested || self.isStopping
        })
        poster.finish(retries: isStopping ? 1 : settings.finalRetries)
        record(job.id, outcome)
        log.info("job \(job.id): \(outcome.rawValue)")
    }

    // MARK: - Posting events

    /// The events of one job on their way to the listener, posted in batches on the worker thread.
    final class EventPoster {
        unowned let worker: JobWorker
        let jobID: String
        let url: String
        private var pending: [JobEvent] = []
        private var lastPostNs: UInt64
        private var lastFailureNs: UInt64?
        /// An operator cancelled the job, or the listener no longer knows it (404/409).
        private(set) var cancelRequested = false
        /// 404/409: nothing more is posted.
        private(set) var gone = false

        init(worker: JobWorker, jobID: String) {
            self.worker = worker
            self.jobID = jobID
            self.url = "\(worker.settings.baseURL)/api/v1/jobs/\(jobID)/events"
            self.lastPostNs = WallClock.monotonicNs()
        }

        private var sinceLastPostMs: Int64 { Int64((WallClock.monotonicNs() - lastPostNs) / 1_000_000) }

        func add(_ event: JobEvent) {
            guard !gone else { return }
            pending.append(event)
            if event.type != .output || pending.count >= 32 || sinceLastPostMs >= worker.settings.outputFlushMs {
                flush(attempts: 1)
            }
        }

        /// Called at least every 100 ms while a step runs: posts held output, and a heartbeat (an
        /// empty batch) now and then to learn of a cancel.
        func tick() {
            guard !gone else { return }
            let since = sinceLastPostMs
            if (!pending.isEmpty && since >= worker.settings.outputFlushMs) || since >= worker.settings.heartbeatMs {
                flush(attempts: 1, evenIfEmpty: true)
            }
        }

        /// Posts what is left, retrying transport failures `retries` more times.
        func finish(retries: Int) {
            flush(attempts: 1 + max(0, retries))
            if !pending.isEmpty && !gone {
                worker.log.error("job \(jobID): \(pending.count) event\(pending.count == 1 ? "" : "s") could not be delivered to the listener; its record of this run is incomplete")
                pending.removeAll()
            }
        }

        private func flush(attempts: Int, evenIfEmpty: Bool = false) {
            guard !gone else { pending.removeAll(); return }
            // After a failure, mid-run posts wait a little instead of stalling the step on every event.
            if attempts == 1, let failed = lastFailureNs, WallClock.monotonicNs() - failed < 2_000_000_000 { return }
            var sendEmpty = evenIfEmpty && pending.isEmpty
            while !pending.isEmpty || sendEmpty {
                sendEmpty = false
                let slice = Array(pending.prefix(200))
                var attempt = 0
                while true {
                    attempt += 1
                    switch post(slice) {
                    case .accepted(let cancel):
                        pending.removeFirst(slice.count)
                        lastFailureNs = nil
                        if cancel && !cancelRequested {
                            cancelRequested = true
                            worker.log.info("job \(jobID): cancelled by an operator")
                        }
                    case .gone(let status):
                        gone = true
                        cancelRequested = true
                        pending.removeAll()
                        worker.log.warning("job \(jobID): the listener \(status == 409 ? "has already finished" : "does not know") this job (HTTP \(status)); stopping it")
                        return
                    case .rejected(let message):
                        worker.log.error("job \(jobID): the listener rejected \(slice.count) event\(slice.count == 1 ? "" : "s"): \(message); dropped")
                        pending.removeFirst(slice.count)
                    case .retry(let message):
                        lastFailureNs = WallClock.monotonicNs()
                        if attempt >= attempts {
                            if attempts > 1 { worker.log.warning("job \(jobID): cannot post events: \(message)") }
                            return
                        }
                        usleep(UInt32(min(10_000, worker.settings.retryPauseMs << Int64(attempt - 1)) * 1000))
                        continue
                    }
                    break
                }
            }
            lastPostNs = WallClock.monotonicNs()
        }

        enum PostResult {
            case accepted(cancel: Bool)
            case gone(Int)
            case rejected(String)
            case retry(String)
        }

        private func post(_ events: [JobEvent]) -> PostResult {
            var headers = worker.authorization()
            headers.append(("Content-Type", "application/json"))
            let request = HTTPRequest(method: "POST", url: url, headers: headers, body: Array(JobEventBatch(events: events).json().utf8),
                                      timeoutMs: worker.settings.requestTimeoutMs, connectTimeoutMs: 5000)
            let response: HTTPResponse
            do {
                response = try worker.client.perform(request, maxResponseBytes: 1024 * 1024)
            } catch {
                return .retry("listener unreachable (\(Sender.shortTransportMessage(error)))")
            }
            switch response.status {
            case 200..<300:
                let cancel = (try? JobEventsResponse.decode(response.body))?.cancel ?? false
                return .accepted(cancel: cancel)
            case 404, 409:
                return .gone(response.status)
            case 401, 403, 408, 429, 500..<600:
                return .retry("HTTP \(response.status): \(SenderState.brief(response.text))")
            default:
                return .rejected("HTTP \(response.status): \(SenderState.brief(response.text))")
            }
        }
    }
}
