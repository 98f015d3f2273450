import Foundation
import VigilWire

/// The transport-independent half of `POST /api/v1/ingest`: content checks, authentication,
/// decompression, decoding, host binding, durable commit. The HTTP listener is a thin adapter.
public final class IngestService: Sendable {
    public let store: any Store
    public let limits: WireLimits
    public let metrics: ListenerMetrics
    private let decoder: IngestDecoder
    /// secret hash → (token, cached at); revocation takes effect within `cacheTTL`.
    private let tokenCache = Locked<[String: (AgentToken?, Int64)]>([:])
    private let lastTouched = Locked<[String: Int64]>([:])
    let cacheTTLms: Int64 = 5_000

    /// Called after every committed batch (the rule evaluator's poke).
    let onCommit: @Sendable () -> Void

    public init(store: any Store, limits: WireLimits = .default, metrics: ListenerMetrics = ListenerMetrics(),
                onCommit: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.limits = limits
        self.metrics = metrics
        self.onCommit = onCommit
        self.decoder = IngestDecoder(limits: limits, keepsPlainLabelsRaw: true)
    }

    /// The request as the listener saw it.
    public struct Request: Sendable {
        public var authorization: String?
        public var contentType: String?
        public var contentEncoding: String?
        public var body: [UInt8]
        /// The sender runs jobs (`X-Vigil-Accept-Jobs: 1`): hand it the host's queued ones.
        public var acceptsJobs: Bool

        public init(authorization: String?, contentType: String?, contentEncoding: String?, body: [UInt8], acceptsJobs: Bool = false) {
            self.authorization = authorization
            self.contentType = contentType
            self.contentEncoding = contentEncoding
            self.body = body
            self.acceptsJobs = acceptsJobs
        }
    }

    /// Handles one request; returns the status and JSON body to send. Never throws.
    /// `authenticated`: the token and signing key when the caller checked the header already (the listener does,
    /// before it reads the body).
    public func handle(_ request: Request, authenticated: (AgentToken, [UInt8])? = nil, now: Int64 = WallClock.nowMs()) async -> (status: Int, body: String) {
        let started = WallClock.monotonicNs()
        do {
            let (counts, jobs) = try await accept(request, authenticated: authenticated, now: now)
            let seconds = Double(WallClock.monotonicNs() - started) / 1e9
            metrics.accepted(samples: counts.samples, logs: counts.logs, checks: counts.checks, seconds: seconds)
            return (200, IngestResponse(samples: counts.samples, logs: counts.logs, checks: counts.checks, jobs: jobs).json())
        } catch let e as WireError {
            metrics.rejected(e.code)
            return (e.status, e.json())
        } catch {
            let text = "\(error)"
            let disk = text.contains("disk is full") || text.contains("disk I/O error")
            metrics.rejected(disk ? "store_disk" : "store_unavailable")
            let e = disk
                ? WireError(status: 503, code: "store_disk",
                            message: "the store could not write to its disk (full, over quota or past a file-size limit); the batch was not stored: keep it and retry later (\(text))")
                : WireError(status: 503, code: "store_unavailable", message: "the store could not commit the batch, retry later: \(text)")
            return (503, e.json())
        }
    }

    func accept(_ request: Request, authenticated: (AgentToken, [UInt8])? = nil, now: Int64) async throws -> (IngestCounts, [JobSpec]) {
        let token: AgentToken
        let signingKey: [UInt8]
        if let authenticated {
            (token, signingKey) = authenticated
        } else {
            (token, signingKey) = try await authenticateAgent(request.authorization, now: now)
        }
        if let ct = request.contentType?.lowercased() {
            let base = ct.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard base == "application/json" else {
                throw WireError(status: 415, code: "unsupported_media_type", message: "Content-Type must be application/json, got '\(ct)'")
            }
        } else {
            throw WireError(status: 415, code: "unsupported_media_type", message: "Content-Type must be application/json (header missing)")
        }
        var body = request.body
        switch request.contentEncoding?.lowercased() {
        case nil, "", "identity":
            break
        case "gzip":
            do {
                body = try Gzip.decompress(body, limit: limits.maxBodyBytes)
            } catch .tooLarge(let limit) {
                throw WireError(status: 413, code: "too_large", message: "the decompressed body exceeds the limit of \(limit) bytes; send smaller batches")
            } catch .corrupt(let why) {
                throw WireError(status: 400, code: "bad_encoding", message: "the body is not valid gzip: \(why)")
            }
        case let other?:
            throw WireError(status: 415, code: "unsupported_encoding", message: "Content-Encoding '\(other)' is not supported; use gzip or none")
        }
        let batch = try decoder.decode(body, nowMs: now)
        if let bound = token.host, bound != batch.host {
            throw WireError(status: 403, code: "host_mismatch",
                            message: "token \(token.id) is bound to host '\(bound)' but the batch reports host '\(batch.host)'", field: "host")
        }
        touch(token, now: now)
        let counts: IngestCounts
        do {
            counts = try await store.ingest(batch, receivedAt: now)
        } catch let e as WireError where e.code == "series_limit" {
            // The console shows it (warning.* settings) until the host stops hitting the limit for an hour.
            try? await store.setSetting("warning.series_limit.\(batch.host)", to: e.message, now: now)
            throw e
        }
        onCommit()
        // Runs queued for this host ride back on the answer (an indexed read when there are none).
        let jobs = request.acceptsJobs ? ((try? await signedJobs(host: batch.host, key: signingKey, now: now)) ?? []) : []
        return (counts, jobs)
    }

    /// Claims the host's queued runs and signs each with the job-signing key of the token that asked.
    func signedJobs(host: String, key: [UInt8], now: Int64) async throws -> [JobSpec] {
        guard try await store.hasQueuedJobs(host: host) else { return [] }
        return try await store.claimJobs(host: host, now: now).map { run in
            var job = run.job
            job.signature = JobSignature.sign(job, key: key)
            return job
        }
    }

    /// The agent token of an `Authorization: Bearer` header and the job-signing key derived from its secret (never
    /// stored), or a 401.
    func authenticateAgent(_ header: String?, now: Int64) async throws -> (AgentToken, [UInt8]) {
        guard let header, !header.isEmpty else {
            throw WireError(status: 401, code: "unauthorized", message: "missing Authorization header: send 'Authorization: Bearer <agent token>'")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw WireError(status: 401, code: "unauthorized", message: "the Authorization header must be 'Bearer <agent token>'")
        }
        let secret = String(parts[1]).trimmingCharacters(in: .whitespaces)
        let hash = AgentTokenSecret.hash(secret)
        let cached = tokenCache.withLock { c -> AgentToken?? in
            if let (t, at) = c[hash], now - at < cacheTTLms { return .some(t) }
            return .none
        }
        let token: AgentToken?
        if let cached {
            token = cached
        } else {
            token = try await store.agentToken(secret: secret)
            // Only known tokens are cached (unknown ones would let anyone grow the cache), and stale entries go.
            if let token {
                tokenCache.withLock { c in
                    if c.count >= 10_000 { c = c.filter { now - $0.value.1 < cacheTTLms } }
                    c[hash] = (token, now)
                }
            }
        }
        guard let token else {
            throw WireError(status: 401, code: "unauthorized", message: "unknown agent token: create one with 'vigil token create --host NAME'")
        }
        if token.revokedAt != nil {
            throw WireError(status: 401, code: "unauthorized", message: "agent token \(token.id) was revoked")
        }
        if let exp = token.expiresAt, now >= exp {
            throw WireError(status: 401, code: "unauthorized", message: "agent token \(token.id) has expired")
        }
        if let user = token.user {
            throw WireError(status: 401, code: "unauthorized",
                            message: "token \(token.id) is an API token for user \(user); agents push with an agent token (vigil token create --host NAME)")
        }
        return (token, JobSignature.key(tokenSecret: secret))
    }

    /// Records a token's last use at most once a minute (not a write per request).
    private func touch(_ token: AgentToken, now: Int64) {
        let due = lastTouched.withLock { m -> Bool in
            if let last = m[token.id], now - last < 60_000 { return false }
            m[token.id] = now
            return true
        }
        if due {
            let store = self.store
            Task { try? await store.touchAgentToken(id: token.id, now: now) }
        }
    }
}
