import VigilWire

/// What one flush achieved.
public struct FlushReport: Sendable, Equatable {
    /// Batches acknowledged by the listener.
    public var delivered = 0
    /// Batches given up on (400, 413 for a single item, 415 without compression).
    public var dropped = 0
    /// Batches still spooled afterwards.
    public var remaining = 0
    /// Why the flush stopped early, nil when the spool was emptied or the flush was skipped for backoff.
    public var stoppedBy: String?

    public init() {}
}

/// Delivers spooled batches to the listener, oldest first, until the spool is empty or one fails.
///
/// Each batch goes as `POST {url}/api/v1/ingest` with `Authorization: Bearer`, `Content-Type:
/// application/json` and `Content-Encoding: gzip`. What each answer means is decided by
/// ``SenderState``. Not thread-safe.
public final class Sender {
    public let ingestURL: String
    public let token: String
    public let spool: Spool
    public private(set) var state: SenderState
    private let client: any HTTPTransport
    private let log: AgentLog
    private let timeoutMs: Int
    private var loggedProblem: String?
    private var failuresSinceLog = 0
    /// Receives the jobs the listener put in its answers (the ``JobWorker``'s mailbox); nil when this
    /// agent does not run jobs (`--once`), and then they are logged as ignored.
    public var jobHandler: (([JobSpec], [UndecodableJob]) -> Void)?

    public init(ingestURL: String, token: String, spool: Spool, intervalMs: Int64, log: AgentLog = AgentLog(),
                timeoutMs: Int = 15_000, tls: AgentTLS = AgentTLS()) {
        self.ingestURL = ingestURL
        self.token = token
        self.spool = spool
        self.state = SenderState(intervalMs: intervalMs)
        self.client = AgentHTTPClient(tls: tls)
        self.log = log
        self.timeoutMs = timeoutMs
    }

    /// The monotonic time (ms) of the next retry when batches are waiting, nil when none are.
    public var nextRetryMs: Int64? { spool.count > 0 ? state.nextAttemptAtMs : nil }

    /// Sends spooled batches in order until the spool is empty or one cannot be delivered now.
    /// With `force`, ignores the backoff.
    public func flush(monotonicMs: Int64, force: Bool = false) -> FlushReport {
        var report = FlushReport()
        if force || state.mayAttempt(nowMs: monotonicMs) { deliver(monotonicMs: monotonicMs, report: &report) }
        report.remaining = spool.count
        return report
    }

    private func deliver(monotonicMs: Int64, report: inout FlushReport) {
        let hadProblem = state.problem != nil
        while let entry = spool.oldest {
            var body: [UInt8]
            do {
                body = try spool.read(entry)
            } catch {
                log.error("\(error.message); dropping it")
                spool.remove(entry)
                report.dropped += 1
                continue
            }
            var compressed = true
            var items = 0
            while true {
                let outcome = post(body, compressed: compressed)
                if case .status(413, _) = outcome, items == 0 { items = Self.itemCount(gzipBody: body, compressed: compressed) }
                let action = state.handle(outcome, items: max(items, 0), compressed: compressed, nowMs: monotonicMs)
                switch action {
                case .acknowledged:
                    spool.remove(entry)
                    report.delivered += 1
                    if case .status(_, let answer) = outcome { handOverJobs(answer) }
                case .drop(let reason):
                    log.error(reason)
                    spool.remove(entry)
                    report.dropped += 1
                case .split:
                    if let parts = Self.split(gzipBody: body, compressed: compressed) {
                        do {
                            try spool.replace(entry, with: parts)
                            log.warning("listener found a batch too large (HTTP 413); split it in two")
                        } catch {
                            log.error("cannot split a batch: \(error.message); dropping it")
                            spool.remove(entry)
                            report.dropped += 1
                        }
                    } else {
                        log.error("listener found a batch too large (HTTP 413) and it cannot be split; dropping it")
                        spool.remove(entry)
                        report.dropped += 1
                    }
                case .resendUncompressed:
                    guard let plain = try? Gzip.decompress(body, limit: 256 * 1024 * 1024) else {
                        log.error("a spooled batch is not valid gzip; dropping it")
                        spool.remove(entry)
                        report.dropped += 1
                        break
                    }
                    body = plain
                    compressed = false
                    continue
                case .stop(let reason, _):
                    report.stoppedBy = reason
                    reportProblem(reason)
                    return
                }
                break
            }
        }
        if hadProblem && report.delivered > 0 {
            log.info("listener reachable again; delivered \(report.delivered) spooled batch\(report.delivered == 1 ? "" : "es")")
        }
        loggedProblem = nil
        failuresSinceLog = 0
    }

    /// Passes the jobs in an ingest answer to ``jobHandler``. Answers without a `jobs` key (older
    /// listeners, tests) are not an error.
    private func handOverJobs(_ answer: String) {
        guard answer.utf8.count > 2, answer.contains("\"jobs\"") else { return }
        let delivered: (jobs: [JobSpec], undecodable: [UndecodableJob])
        do {
            delivered = try JobList.decodeLenient(Array(answer.utf8))
        } catch {
            log.warning("cannot read the jobs in the listener's answer: \(error)")
            return
        }
        let count = delivered.jobs.count + delivered.undecodable.count
        guard count > 0 else { return }
        if let jobHandler {
            jobHandler(delivered.jobs, delivered.undecodable)
        } else {
            log.warning("the listener sent \(count) job\(count == 1 ? "" : "s") but this agent is not running jobs now (--once); ignored")
        }
    }

    /// Logs a delivery problem when it is new, then every 30th time it repeats.
    private func reportProblem(_ reason: String) {
        failuresSinceLog += 1
        guard reason != loggedProblem || failuresSinceLog >= 30 else { return }
        loggedProblem = reason
        failuresSinceLog = 0
        log.warning("\(reason); spooled \(spool.count) batch\(spool.count == 1 ? "" : "es") (\(AgentLog.size(spool.totalBytes)))")
    }

    private func post(_ body: [UInt8], compressed: Bool) -> DeliveryOutcome {
        var headers = [("Content-Type", "application/json")]
        if !token.isEmpty { headers.append(("Authorization", "Bearer \(token)")) }
        if compressed { headers.append(("Content-Encoding", "gzip")) }
        // Only a sender that runs jobs takes them off the ingest answer (a script pushing metrics with the same
        // token must not swallow the host's jobs).
        if jobHandler != nil { headers.append((IngestResponse.acceptJobsHeader, "1")) }
        let request = HTTPRequest(method: "POST", url: ingestURL, headers: headers, body: body, timeoutMs: timeoutMs,
                                  connectTimeoutMs: min(timeoutMs, 5000))
        do {
            let response = try client.perform(request, maxResponseBytes: 1024 * 1024)
            return .status(response.status, body: response.text)
        } catch {
            return .transport(Self.shortTransportMessage(error))
        }
    }

    static func shortTransportMessage(_ e: HTTPTransportError) -> String {
        switch e.code {
        case 7: return "connection refused"
        case 28: return "timed out"
        case 6: return "cannot resolve host"
        default: return e.message.lowercased()
        }
    }

    // MARK: - Splitting (413)

    private static func decode(gzipBody body: [UInt8], compressed: Bool) -> IngestBatch? {
        let json: [UInt8]
        if compressed {
            guard let plain = try? Gzip.decompress(body, limit: 256 * 1024 * 1024) else { return nil }
            json = plain
        } else {
            json = body
        }
        // Old spooled batches must still decode: do not refuse "future" timestamps here.
        return try? IngestDecoder().decode(json, nowMs: Int64.max / 4)
    }

    static func itemCount(gzipBody body: [UInt8], compressed: Bool) -> Int {
        guard let b = decode(gzipBody: body, compressed: compressed) else { return 0 }
        return b.samples.count + b.logs.count + b.checks.count
    }

    /// The two halves of a batch (samples, then logs, then checks, cut in the middle), gzip encoded.
    static func split(gzipBody body: [UInt8], compressed: Bool) -> [[UInt8]]? {
        guard let b = decode(gzipBody: body, compressed: compressed) else { return nil }
        let (first, second) = halves(b)
        guard !first.isEmpty, !second.isEmpty else { return nil }
        return [Gzip.compress(Array(first.json().utf8)), Gzip.compress(Array(second.json().utf8))]
    }

    /// Splits the items of `batch` into two batches of (nearly) equal item counts, keeping order.
    public static func halves(_ batch: IngestBatch) -> (IngestBatch, IngestBatch) {
        var a = IngestBatch(host: batch.host, agent: batch.agent, labels: batch.labels)
        var b = a
        // Each half is a batch of its own (the whole was refused, so neither was stored).
        a.id = batch.id.map { String($0.prefix(62)) + ".a" }
        b.id = batch.id.map { String($0.prefix(62)) + ".b" }
        let total = batch.samples.count + batch.logs.count + batch.checks.count
        var budget = total / 2
        func take<T>(_ items: [T]) -> ([T], [T]) {
            let n = min(budget, items.count)
            budget -= n
            return (Array(items[..<n]), Array(items[n...]))
        }
        (a.samples, b.samples) = take(batch.samples)
        (a.logs, b.logs) = take(batch.logs)
        (a.checks, b.checks) = take(batch.checks)
        return (a, b)
    }
}
