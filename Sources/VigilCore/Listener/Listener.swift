import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import VigilWire

/// Where the listener binds.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public static let `default` = ListenAddress(host: "127.0.0.1", port: 9470)

    /// Parses `HOST:PORT`, `:PORT` or `[v6]:PORT`.
    public static func parse(_ text: String) throws -> ListenAddress {
        var host = "127.0.0.1"
        var portText = text
        if text.hasPrefix("[") , let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = String(text[text.index(after: close)...]).trimmingPrefix(":").description
        } else if let colon = text.lastIndex(of: ":") {
            let h = String(text[..<colon])
            if !h.isEmpty { host = h }
            portText = String(text[text.index(after: colon)...])
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw StoreError("--listen '\(text)': expected HOST:PORT with a port from 0 to 65535, e.g. 0.0.0.0:9470")
        }
        return ListenAddress(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The embedded HTTP listener: agents push here; Prometheus scrapes `/metrics`.
public enum Listener {
    /// Builds the Hummingbird application. `onBound` receives the actual port (useful with port 0).
    public static func application(
        ingest: IngestService,
        address: ListenAddress,
        logger: Logger,
        remediator: Remediator? = nil,
        connections: ConnectionLimits = .default,
        tls: ListenerTLS? = nil,
        onBound: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = Router(context: ListenerContext.self)
        router.add(middleware: AuthThrottleMiddleware(throttle: AuthThrottle(maxFailures: connections.maxAuthFailures,
                                                                             windowMs: connections.authWindowMs),
                                                      metrics: ingest.metrics))
        let limit = ingest.limits.maxBodyBytes
        router.post("/api/v1/ingest") { request, context -> Response in
            var request = request
            // The token is checked from the headers before a byte of the body is read: an unauthenticated client
            // cannot make the listener buffer megabytes.
            let auth: (AgentToken, [UInt8])
            do {
                auth = try await ingest.authenticateAgent(request.headers[.authorization], now: WallClock.nowMs())
            } catch let e as WireError {
                ingest.metrics.rejected(e.code)
                return json(e.json(), status: e.status)
            } catch {
                ingest.metrics.rejected("store_unavailable")
                return json(WireError(status: 503, code: "store_unavailable", message: "cannot check the token now: \(error)").json(), status: 503)
            }
            let buffer: ByteBuffer
            do {
                // Compressed bodies may not exceed the limit either.
                buffer = try await request.collectBody(upTo: limit)
            } catch {
                ingest.metrics.rejected("too_large")
                let e = WireError(status: 413, code: "too_large", message: "the request body exceeds the limit of \(limit) bytes; send smaller batches")
                return json(e.json(), status: 413)
            }
            let body = Array(buffer.readableBytesView)
            let result = await ingest.handle(IngestService.Request(
                authorization: request.headers[.authorization],
                contentType: request.headers[.contentType],
                contentEncoding: request.headers[.contentEncoding],
                body: body,
                acceptsJobs: request.headers.contains { $0.name.canonicalName == IngestResponse.acceptJobsHeader.lowercased() && $0.value == "1" }),
                authenticated: auth)
            return json(result.body, status: result.status)
        }
        AlertsAPI.register(on: router, store: ingest.store, maxBody: 1 << 20)
        LogsAPI.register(on: router, store: ingest.store)
        RemediationAPI.register(on: router, ingest: ingest, remediator: remediator, maxBody: 4 << 20)
        router.get("/healthz") { _, _ -> Response in
            json("{\"status\":\"ok\",\"version\":\"\(VigilVersion.current)\"}", status: 200)
        }
        router.get("/metrics") { _, _ -> Response in
            if let stats = try? await ingest.store.stats() { ingest.metrics.storeStats(stats) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: ingest.metrics.render())))
        }
        let table = ConnectionTable(limits: connections)
        ingest.metrics.connections = table
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [ConnectionGuard(table: table, limits: connections)]))
        let server = try tls.map { try HTTPServerBuilder.tls(http1, tlsConfiguration: try $0.configuration()) } ?? http1
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "vigil"),
            onServerRunning: { channel in await onBound(channel.localAddress?.port ?? address.port) },
            logger: logger
        )
    }

    static func json(_ text: String, status: Int) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
