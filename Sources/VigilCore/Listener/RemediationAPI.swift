import Foundation
import Hummingbird
import NIOCore
import VigilWire

/// The remediation half of the HTTP API.
///
/// Agent side (agent token): `GET /api/v1/jobs/next` long-polls for the host's jobs, each signed with the
/// requesting token's key; `POST /api/v1/jobs/{id}/events` streams step output and results back and learns
/// about cancels. Operator side (user API token): list, start, approve, reject and cancel runs.
enum RemediationAPI {
    /// The longest a long-poll may wait.
    static let maxWaitMs: Int64 = 30_000
    /// How often a waiting long-poll looks for a queued run (runs are queued by other processes too).
    static let pollIntervalMs: Int64 = 200

    static func register(on router: Router<ListenerContext>, ingest: IngestService, remediator: Remediator?, maxBody: Int) {
        let store = ingest.store
        router.get("/api/v1/jobs/next") { request, _ -> Response in
            do {
                let now = WallClock.nowMs()
                let (token, signingKey) = try await ingest.authenticateAgent(request.headers[.authorization], now: now)
                let q = request.uri.queryParameters
                let asked = q["host"].map(String.init)
                let host: String
                switch (token.host, asked) {
                case let (bound?, nil): host = bound
                case let (bound?, a?) where a == bound: host = bound
                case let (bound?, a?):
                    throw WireError(status: 403, code: "host_mismatch", message: "token \(token.id) is bound to host '\(bound)', not '\(a)'", field: "host")
                case let (nil, a?) where WireNames.isValidHost(a): host = a
                case (nil, _):
                    throw WireError(status: 400, code: "invalid", message: "a fleet token must name its host: ?host=NAME", field: "host")
                }
                var wait: Int64 = 0
                if let w = q["wait_ms"] {
                    guard let v = Int64(String(w)), v >= 0 else {
                        throw WireError(status: 400, code: "invalid", message: "wait_ms '\(w)' is not a whole number of milliseconds", field: "wait_ms")
                    }
                    wait = min(v, maxWaitMs)
                }
                let deadline = WallClock.monotonicNs() + UInt64(wait) * 1_000_000
                while true {
                    let jobs = try await ingest.signedJobs(host: host, key: signingKey, now: WallClock.nowMs())
                    if !jobs.isEmpty || WallClock.monotonicNs() >= deadline {
                        return Listener.json(JobList(jobs: jobs).json(), status: 200)
                    }
                    try await Task.sleep(for: .milliseconds(pollIntervalMs))
                }
            } catch let e as WireError {
                return Listener.json(e.json(), status: e.status)
            } catch is CancellationError {
                return Listener.json(JobList(jobs: []).json(), status: 200)
            } catch {
                return Listener.json(WireError(status: 503, code: "store_unavailable", message: "\(error)").json(), status: 503)
            }
        }
        router.post("/api/v1/jobs/{id}/events") { request, context -> Response in
            var request = request
            do {
                let now = WallClock.nowMs()
                let (token, _) = try await ingest.authenticateAgent(request.headers[.authorization], now: now)
                let id = context.parameters.get("id") ?? ""
                let buffer: ByteBuffer
                do { buffer = try await request.collectBody(upTo: maxBody) } catch {
                    throw WireError(status: 413, code: "too_large", message: "the events exceed \(maxBody) bytes; post fewer at a time")
                }
                let batch = try JobEventBatch.decode(Array(buffer.readableBytesView))
                var host = token.host
                if host == nil { host = try await store.run(id: id)?.host }
                guard let host else { throw WireError(status: 404, code: "unknown_job", message: "no job '\(id)'") }
                switch try await store.recordJobEvents(id: id, host: host, events: batch.events, now: now) {
                case .accepted(let cancel):
                    return Listener.json(JobEventsResponse(cancel: cancel).json(), status: 200)
                case .unknownJob:
                    throw WireError(status: 404, code: "unknown_job", message: "no job '\(id)' for host '\(host)'")
                case .finished:
                    throw WireError(status: 409, code: "job_finished", message: "job '\(id)' has already finished")
                }
            } catch let e as WireError {
                return Listener.json(e.json(), status: e.status)
            } catch {
                return Listener.json(WireError(status: 503, code: "store_unavailable", message: "\(error)").json(), status: 503)
            }
        }

        // Operator side.
        router.get("/api/v1/runs") { request, _ -> Response in
            await AlertsAPI.respond {
                _ = try await AlertsAPI.user(request, store)
                let q = request.uri.queryParameters
                var filter = RunFilter(host: q["host"].map(String.init), limit: max(1, min(q["limit"].flatMap { Int(String($0)) } ?? 100, 1000)))
                if let s = q["state"] {
                    var states = Set<RunState>()
                    for part in s.split(separator: ",") {
                        guard let st = RunState(rawValue: String(part)) else {
                            throw AlertsAPI.APIError(400, "state '\(part)' is not one of \(RunState.allCases.map(\.rawValue).joined(separator: ", "))", field: "state")
                        }
                        states.insert(st)
                    }
                    filter.states = states
                }
                return try AlertsAPI.json(try await store.runs(filter).map(RunJSON.init))
            }
        }
        router.get("/api/v1/runs/{id}") { request, context -> Response in
            await AlertsAPI.respond {
                _ = try await AlertsAPI.user(request, store)
                let id = context.parameters.get("id") ?? ""
                guard let run = try await store.run(id: id) else { throw AlertsAPI.APIError(404, "no run '\(id)'", field: "id") }
                var out = RunJSON(run)
                out.events = try await store.runEvents(id: id, afterSeq: 0).map(EventJSON.init)
                return try AlertsAPI.json(out)
            }
        }
        guard let remediator else { return }
        router.post("/api/v1/runs") { request, _ -> Response in
            var request = request
            return await AlertsAPI.respond {
                let who = try await AlertsAPI.user(request, store)
                if let why = who.refusal(.runRunbook) { throw AlertsAPI.APIError(403, why) }
                guard let body = try await AlertsAPI.decode(RunRequest.self, &request, maxBody: maxBody, allowEmpty: false) else {
                    throw AlertsAPI.APIError(400, "a JSON body is required")
                }
                let now = WallClock.nowMs()
                let alert: StoredAlert?
                if let fp = body.alert {
                    guard let a = try await store.alert(fingerprint: fp) else { throw AlertsAPI.APIError(404, "no alert '\(fp)'", field: "alert") }
                    alert = a
                } else {
                    alert = nil
                }
                guard let host = body.host ?? alert?.host else { throw AlertsAPI.APIError(400, "give the host (or an alert of a host)", field: "host") }
                do {
                    let plan = try await remediator.plan(runbook: body.runbook, host: host, parameters: body.params ?? [:], alert: alert,
                                                         requester: .user(name: who.name, role: who.role), dryRun: body.dryRun ?? false, now: now)
                    let run = try await remediator.submit(plan, now: now)
                    return try AlertsAPI.json(RunJSON(run), status: run.state == .blocked ? 409 : 201)
                } catch let e as RemediationError {
                    throw AlertsAPI.APIError(400, e.message, field: "runbook")
                }
            }
        }
        for action in ["approve", "reject", "cancel"] {
            router.post("/api/v1/runs/{id}/\(action)") { request, context -> Response in
                var request = request
                return await AlertsAPI.respond {
                    let who = try await AlertsAPI.user(request, store)
                    if let why = who.refusal(.runRunbook) { throw AlertsAPI.APIError(403, why) }
                    let id = context.parameters.get("id") ?? ""
                    let body = try await AlertsAPI.decode(ReasonRequest.self, &request, maxBody: maxBody, allowEmpty: true)
                    let now = WallClock.nowMs()
                    do {
                        let run: RemediationRun
                        switch action {
                        case "approve": run = try await remediator.approve(id, by: who, now: now)
                        case "reject": run = try await remediator.reject(id, by: who, reason: body?.reason ?? "", now: now)
                        default: run = try await remediator.cancel(id, by: who, now: now)
                        }
                        return try AlertsAPI.json(RunJSON(run))
                    } catch let e as RunTransitionError {
                        throw AlertsAPI.APIError(409, e.message)
                    } catch let e as RemediationError {
                        throw AlertsAPI.APIError(403, e.message)
                    } catch let e as StoreError {
                        throw AlertsAPI.APIError(404, e.message, field: "id")
                    }
                }
            }
        }
    }

    struct RunRequest: Codable {
        var runbook: String
        var host: String?
        var alert: String?
        var params: [String: String]?
        var dryRun: Bool?
    }

    struct ReasonRequest: Codable { var reason: String? }

    struct EventJSON: Codable {
        var seq: Int
        var at: String
        var type: String
        var step: Int?
        var text: String?
        var exitCode: Int?
        var outcome: String?

        init(_ e: JobEvent) {
            seq = e.seq
            at = AlertsAPI.iso(e.at)
            type = e.type.rawValue
            step = e.step
            text = e.text
            exitCode = e.exitCode
            outcome = e.outcome?.rawValue
        }
    }

    struct RunJSON: Codable {
        var id: String
        var runbook: String
        var host: String
        var state: String
        var message: String
        var dryRun: Bool
        var parameters: [String: String]
        var alert: String?
        var requestedBy: String
        var approvedBy: String?
        var createdAt: String
        var finishedAt: String?
        var steps: [[String]]
        var checks: [SafetyCheck]?
        var events: [EventJSON]?

        init(_ r: RemediationRun) {
            id = r.id
            runbook = r.runbook
            host = r.host
            state = r.state.rawValue
            message = r.message
            dryRun = r.dryRun
            parameters = r.parameters
            alert = r.alertFingerprint
            requestedBy = r.requestedBy
            approvedBy = r.approvedBy
            createdAt = AlertsAPI.iso(r.createdAt)
            finishedAt = r.finishedAt.map(AlertsAPI.iso)
            steps = r.job.steps.map { [$0.kind.rawValue, $0.name] + $0.argv }
            checks = r.verdict?.checks
        }
    }
}
