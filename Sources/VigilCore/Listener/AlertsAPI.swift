import Foundation
import Hummingbird
import NIOCore
import VigilWire

/// The small HTTP API for scripts and chat bots (`docs/api.md`): alerts, acknowledgements, silences, and
/// Alertmanager's push endpoint so an existing Prometheus can send its alerts to Vigil.
///
/// Every call needs `Authorization: Bearer <user API token>` (`vigil token create --user NAME`); the token acts as
/// its user, whose role decides what is allowed.
enum AlertsAPI {
    struct AlertJSON: Codable {
        var fingerprint: String
        var alertname: String
        var severity: String
        var state: String
        var labels: [String: String]
        var annotations: [String: String]
        var value: Double?
        var activeSince: String
        var firedAt: String?
        var resolvedAt: String?
        var ackedBy: String?
        var ackNote: String?
        var assignee: String?
        var flapping: Bool
        var source: String

        init(_ a: StoredAlert) {
            fingerprint = a.fingerprint
            alertname = a.rule
            severity = a.severity.rawValue
            state = a.state
            labels = a.labels
            annotations = a.annotations
            value = a.value
            activeSince = iso(a.activeSince)
            firedAt = a.firedAt.map(iso)
            resolvedAt = a.resolvedAt.map(iso)
            ackedBy = a.ackedBy
            ackNote = a.ackNote
            assignee = a.assignee
            flapping = a.flapping
            source = a.source
        }
    }

    struct SilenceJSON: Codable {
        var id: String
        var matchers: [String]
        var startsAt: String
        var endsAt: String
        var createdBy: String
        var comment: String

        init(_ s: Silence) {
            id = s.id
            matchers = s.matchers.map(\.description)
            startsAt = iso(s.startsAt)
            endsAt = iso(s.endsAt)
            createdBy = s.createdBy
            comment = s.comment
        }
    }

    struct AckRequest: Codable { var note: String? }
    struct SilenceRequest: Codable {
        var matchers: [String]
        var duration: String?
        var endsAt: String?
        var comment: String?
    }
    static func iso(_ ms: Int64) -> String {
        Date(timeIntervalSince1970: Double(ms) / 1000).formatted(.iso8601)
    }

    static func parseTime(_ s: String) -> Int64? {
        PushedAlertDecoder.parseTime(s)
    }

    static func register(on router: Router<ListenerContext>, store: any Store, maxBody: Int) {
        router.get("/api/v1/alerts") { request, _ -> Response in
            await respond {
                _ = try await user(request, store)
                let q = request.uri.queryParameters
                var states: Set<String>? = ["pending", "firing"]
                if let s = q["state"].map(String.init) {
                    states = s == "all" ? nil : Set(s.split(separator: ",").map(String.init))
                    for st in states ?? [] where !["pending", "firing", "resolved"].contains(st) {
                        throw APIError(400, "state '\(st)' is not one of pending, firing, resolved, all", field: "state")
                    }
                }
                let limit = q["limit"].flatMap { Int(String($0)) } ?? 500
                var alerts = try await store.alerts(states: states, limit: max(1, min(limit, 10_000)))
                if let sev = q["severity"].map(String.init) {
                    guard let level = AlertSeverity(rawValue: sev) else { throw APIError(400, "severity '\(sev)' is not one of info, warning, critical", field: "severity") }
                    alerts = alerts.filter { $0.severity >= level }
                }
                if let host = q["host"].map(String.init) { alerts = alerts.filter { $0.labels["host"] == host } }
                return try json(alerts.map(AlertJSON.init))
            }
        }
        router.post("/api/v1/alerts/{fingerprint}/ack") { request, context -> Response in
            var request = request
            return await respond {
                let who = try await user(request, store)
                if let why = who.refusal(.acknowledge) { throw APIError(403, why) }
                let fp = context.parameters.get("fingerprint") ?? ""
                let body = try await decode(AckRequest.self, &request, maxBody: maxBody, allowEmpty: true)
                do {
                    let a = try await store.alertAction(.ack, fingerprint: fp, detail: body?.note ?? "", actor: who.name, now: WallClock.nowMs())
                    return try json(AlertJSON(a))
                } catch let e as StoreError {
                    throw APIError(404, e.message, field: "fingerprint")
                }
            }
        }
        router.get("/api/v1/silences") { request, _ -> Response in
            await respond {
                _ = try await user(request, store)
                return try json(try await store.silences(includeExpired: false, now: WallClock.nowMs()).map(SilenceJSON.init))
            }
        }
        router.post("/api/v1/silences") { request, _ -> Response in
            var request = request
            return await respond {
                let who = try await user(request, store)
                if let why = who.refusal(.silence) { throw APIError(403, why) }
                guard let body = try await decode(SilenceRequest.self, &request, maxBody: maxBody, allowEmpty: false) else {
                    throw APIError(400, "a JSON body is required")
                }
                var matchers: [LabelMatcher] = []
                for (i, text) in body.matchers.enumerated() {
                    switch LabelMatcher.parse(text) {
                    case .success(let m): matchers.append(m)
                    case .failure(let e): throw APIError(400, e.message, field: "matchers[\(i)]")
                    }
                }
                guard !matchers.isEmpty else { throw APIError(400, "at least one matcher is required, e.g. [\"host=web-1\"]", field: "matchers") }
                let now = WallClock.nowMs()
                let end: Int64
                if let d = body.duration {
                    guard let ms = DurationText.milliseconds(d), ms > 0, ms <= 366 * 86_400_000 else {
                        throw APIError(400, "duration '\(d)' is not a duration like 2h (at most a year)", field: "duration")
                    }
                    end = now + ms
                } else if let e = body.endsAt {
                    guard let t = parseTime(e), t > now else { throw APIError(400, "endsAt must be a future RFC 3339 time", field: "endsAt") }
                    end = t
                } else {
                    throw APIError(400, "give duration (e.g. \"2h\") or endsAt", field: "duration")
                }
                let s = try await store.createSilence(matchers: matchers, startsAt: now, endsAt: end, comment: body.comment ?? "", actor: who.name, now: now)
                return try json(SilenceJSON(s), status: 201)
            }
        }
        // Alertmanager's push API, so Prometheus can use Vigil as its alertmanager.
        router.post("/api/v2/alerts") { request, _ -> Response in
            var request = request
            return await respond {
                let who = try await user(request, store)
                if let why = who.refusal(.acknowledge) { throw APIError(403, why) }
                let buffer: ByteBuffer
                do { buffer = try await request.collectBody(upTo: maxBody) } catch { throw APIError(413, "the body exceeds \(maxBody) bytes") }
                let alerts: [PushedAlert]
                do throws(PushedAlertDecoder.Failure) {
                    alerts = try PushedAlertDecoder.decode(Data(buffer.readableBytesView))
                } catch {
                    throw APIError(400, error.message, field: error.field)
                }
                let now = WallClock.nowMs()
                let created = try await store.recordPushedAlerts(alerts, now: now)
                let names = Set(alerts.map(\.name)).sorted()
                _ = try await store.audit(actor: who.name, action: "alerts.push", target: "\(alerts.count) alert(s)",
                                          detail: "\(created) new; " + names.prefix(20).joined(separator: ", ") + (names.count > 20 ? ", …" : ""),
                                          now: now)
                return Response(status: .ok)
            }
        }
    }

    struct APIError: Error {
        var status: Int
        var message: String
        var field: String?
        init(_ status: Int, _ message: String, field: String? = nil) {
            self.status = status
            self.message = message
            self.field = field
        }
    }

    static func respond(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let e as APIError {
            return Listener.json(WireError(status: e.status, code: e.status == 401 ? "unauthorized" : (e.status == 403 ? "forbidden" : "invalid"),
                                           message: e.message, field: e.field).json(), status: e.status)
        } catch {
            return Listener.json(WireError(status: 500, code: "internal", message: "\(error)").json(), status: 500)
        }
    }

    /// The user a bearer API token acts as.
    static func user(_ request: Request, _ store: any Store) async throws -> VigilUser {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw APIError(401, "missing Authorization: Bearer <API token> (create one with: vigil token create --user NAME)")
        }
        let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let now = WallClock.nowMs()
        guard let token = try await store.agentToken(secret: secret), token.isValid(at: now) else {
            throw APIError(401, "unknown, revoked or expired token")
        }
        guard let name = token.user else {
            throw APIError(401, "token \(token.id) is an agent token; the API needs a user API token (vigil token create --user NAME)")
        }
        return try await store.user(named: name) ?? VigilUser(name: name, role: .viewer, createdAt: now)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: inout Request, maxBody: Int, allowEmpty: Bool) async throws -> T? {
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: maxBody) } catch { throw APIError(413, "the body exceeds \(maxBody) bytes") }
        if buffer.readableBytes == 0 {
            if allowEmpty { return nil }
            throw APIError(400, "a JSON body is required")
        }
        do throws(JSONBodyError) {
            return try JSONBody.decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIError(400, error.message, field: error.field)
        }
    }

    static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> Response {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        let data = try e.encode(value)
        return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
