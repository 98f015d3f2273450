/// An outbound HTTP request.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Whole-request timeout in milliseconds.
    public var timeoutMs: Int
    public var connectTimeoutMs: Int

    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8] = [],
                timeoutMs: Int = 10_000, connectTimeoutMs: Int = 3_000) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMs = timeoutMs
        self.connectTimeoutMs = connectTimeoutMs
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// Seconds from start to the end of the transfer.
    public var totalSeconds: Double

    public init(status: Int, body: [UInt8], totalSeconds: Double) {
        self.status = status
        self.body = body
        self.totalSeconds = totalSeconds
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A transfer that did not produce an HTTP response (refused, timed out, DNS, TLS...).
///
/// `code` uses libcurl's `CURLcode` numbers for every transport, so callers classify failures one way:
/// 6 host not resolved, 7 cannot connect, 28 timeout, 52 empty reply, 55 send error, 56 receive error,
/// 3 malformed URL, 1 unsupported scheme, 8 unreadable reply, 63 reply too large.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
    /// True when the peer could not be reached at all (connection refused, host unreachable, timeout).
    public var isUnreachable: Bool { [6, 7, 28, 52, 55, 56].contains(code) }
}

/// Something that performs HTTP requests synchronously: `PlainHTTPClient` (sockets, `http://` only, no
/// dependencies) in the agent, `HTTPClient` (libcurl) on the server side.
public protocol HTTPTransport: AnyObject {
    /// Performs `request`, returning the response whatever its status; throws only when no HTTP
    /// response was received.
    func perform(_ request: HTTPRequest, maxResponseBytes: Int) throws(HTTPTransportError) -> HTTPResponse
}

extension HTTPTransport {
    public func perform(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
        try perform(request, maxResponseBytes: 16 * 1024 * 1024)
    }
}

/// Sends mail over SMTP (libcurl in VigilHTTP; a fake in no test: tests run a real SMTP receiver).
public protocol MailTransport: AnyObject {
    /// Sends `message` (RFC 5322 bytes, CRLF line ends) from `from` to each of `to` through `server`
    /// (`smtp://host:587` requires STARTTLS, `smtps://host:465` is TLS from the start, `?tls=none` allows a
    /// plain relay). Returns the server's final reply code; throws when it refused or could not be reached.
    /// `caFile`: trust this CA (PEM) instead of the system's, for a relay with a private certificate.
    func sendMail(server: String, from: String, to: [String], username: String?, password: String?, message: [UInt8],
                  timeoutMs: Int, caFile: String?) throws(HTTPTransportError) -> Int
}

/// The version every Vigil binary reports.
public enum VigilVersion {
    public static let current = "0.2.0"
}
