import CCurl
import Synchronization
import VigilWire

/// A blocking HTTP client over libcurl: one easy handle, reused so connections stay alive.
///
/// `perform` returns the whole response; `stream` delivers the body chunk by chunk as it arrives (server-sent
/// events), with an idle timeout and cancellation from another thread.
///
/// Not thread-safe; give each thread its own. For the server side (notifiers, AI calls) and the tests;
/// the agent does not link libcurl (see `PlainHTTPClient` and docs/ARCHITECTURE.md).
public final class HTTPClient: HTTPTransport {
    private let handle: UnsafeMutableRawPointer
    /// The multi handle `stream` drives the easy handle with (created on first use; keeps its connections).
    private var multi: UnsafeMutableRawPointer?

    static let globalInit: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    public init() {
        _ = HTTPClient.globalInit
        handle = curl_easy_init()
    }

    deinit {
        curl_easy_cleanup(handle)
        if let multi { curl_multi_cleanup(multi) }
    }

    private final class Sink {
        var data: [UInt8] = []
        var limit: Int
        init(limit: Int) { self.limit = limit }
    }

    /// Performs `request`, returning the response whatever its status.
    public func perform(_ request: HTTPRequest, maxResponseBytes: Int = 16 * 1024 * 1024) throws(HTTPTransportError) -> HTTPResponse {
        curl_easy_reset(handle)
        let sink = Sink(limit: maxResponseBytes)
        let box = Unmanaged.passRetained(sink)
        defer { box.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { if let headerList { curl_slist_free_all(headerList) } }
        for (k, v) in request.headers {
            headerList = curl_slist_append(headerList, "\(k): \(v)")
        }
        // Without this, curl sends "Expect: 100-continue" for larger bodies and waits a second.
        headerList = curl_slist_append(headerList, "Expect:")
        var body = request.body
        let rc: CURLcode = body.withUnsafeMutableBytes { bodyPtr in
            Self.configure(handle, request, headers: headerList, body: bodyPtr)
            _ = vigil_curl_set_write(handle, { ptr, size, count, ud in
                guard let ptr, let ud else { return 0 }
                let sink = Unmanaged<Sink>.fromOpaque(ud).takeUnretainedValue()
                let n = size * count
                if sink.data.count + n > sink.limit { return 0 }
                ptr.withMemoryRebound(to: UInt8.self, capacity: n) { p in
                    sink.data.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
                }
                return n
            }, box.toOpaque())
            return curl_easy_perform(handle)
        }
        guard rc == CURLE_OK else {
            throw HTTPTransportError(code: Int(rc.rawValue), message: String(cString: curl_easy_strerror(rc)))
        }
        var status = 0
        _ = vigil_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var total = 0.0
        _ = vigil_curl_get_double(handle, CURLINFO_TOTAL_TIME, &total)
        return HTTPResponse(status: status, body: sink.data, totalSeconds: total)
    }

    // MARK: streaming

    private final class StreamContext {
        var status = 0
        var headers: [(String, String)] = []
        var lastActivity: UInt64
        var stoppedByReceiver = false
        var received = 0
        let limit: Int
        let onChunk: (HTTPStreamHead, UnsafeRawBufferPointer) -> Bool

        init(limit: Int, now: UInt64, onChunk: @escaping (HTTPStreamHead, UnsafeRawBufferPointer) -> Bool) {
            self.limit = limit
            self.lastActivity = now
            self.onChunk = onChunk
        }

        var head: HTTPStreamHead { HTTPStreamHead(status: status, headers: headers) }
    }

    /// Performs `request`, handing the body to `onChunk` piece by piece as it arrives, whatever the status
    /// (`HTTPStreamHead` carries the status and headers, known before the first chunk). `onChunk` returns false
    /// to stop the transfer (the call then returns normally with `stoppedByReceiver`).
    ///
    /// Timeouts: `request.connectTimeoutMs` to connect, `request.timeoutMs` for the whole transfer, and
    /// `idleTimeoutMs` (0 = none) for the longest silence, counted from the start (so a server that accepts and
    /// never answers fails after it too). `cancellation` stops the transfer from any thread within ~20 ms.
    /// Throws `HTTPTransportError` with code 28 on a timeout and 42 when cancelled.
    public func stream(_ request: HTTPRequest, idleTimeoutMs: Int = 0, maxResponseBytes: Int = 64 * 1024 * 1024,
                       cancellation: HTTPCancellation? = nil,
                       onChunk: (HTTPStreamHead, UnsafeRawBufferPointer) -> Bool) throws(HTTPTransportError) -> HTTPStreamResult {
        if cancellation?.isCancelled == true { throw HTTPTransportError(code: 42, message: "cancelled") }
        curl_easy_reset(handle)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { if let headerList { curl_slist_free_all(headerList) } }
        for (k, v) in request.headers {
            headerList = curl_slist_append(headerList, "\(k): \(v)")
        }
        headerList = curl_slist_append(headerList, "Expect:")
        if multi == nil { multi = curl_multi_init() }
        guard let multi else { throw HTTPTransportError(code: 2, message: "libcurl: cannot create a multi handle") }

        let result: Result<HTTPStreamResult, HTTPTransportError> = withoutActuallyEscaping(onChunk) { onChunk in
            let context = StreamContext(limit: maxResponseBytes, now: Self.nowMs(), onChunk: onChunk)
            let box = Unmanaged.passRetained(context)
            defer { box.release() }
            var body = request.body
            return body.withUnsafeMutableBytes { bodyPtr -> Result<HTTPStreamResult, HTTPTransportError> in
                Self.configure(handle, request, headers: headerList, body: bodyPtr)
                _ = vigil_curl_set_header(handle, { ptr, size, count, ud in
                    guard let ptr, let ud else { return 0 }
                    let c = Unmanaged<StreamContext>.fromOpaque(ud).takeUnretainedValue()
                    let n = size * count
                    c.lastActivity = HTTPClient.nowMs()
                    let line = ptr.withMemoryRebound(to: UInt8.self, capacity: n) { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) }
                    var trimmed = Substring(line)
                    while let last = trimmed.last, last == "\r" || last == "\n" || last == "\r\n" { trimmed = trimmed.dropLast() }
                    if trimmed.hasPrefix("HTTP/") {
                        // A new response (after a redirect or a 100 Continue): start over.
                        c.headers = []
                        let parts = trimmed.split(separator: " ", maxSplits: 2)
                        c.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
                    } else if let colon = trimmed.firstIndex(of: ":") {
                        let name = String(trimmed[..<colon])
                        let value = String(trimmed[trimmed.index(after: colon)...]).trimmingPrefix { $0 == " " || $0 == "\t" }
                        c.headers.append((name, String(value)))
                    }
                    return n
                }, box.toOpaque())
                _ = vigil_curl_set_write(handle, { ptr, size, count, ud in
                    guard let ptr, let ud else { return 0 }
                    let c = Unmanaged<StreamContext>.fromOpaque(ud).takeUnretainedValue()
                    let n = size * count
                    c.lastActivity = HTTPClient.nowMs()
                    c.received += n
                    if c.received > c.limit { return 0 }
                    if !c.onChunk(c.head, UnsafeRawBufferPointer(start: ptr, count: n)) {
                        c.stoppedByReceiver = true
                        return 0
                    }
                    return n
                }, box.toOpaque())

                curl_multi_add_handle(multi, handle)
                defer { curl_multi_remove_handle(multi, handle) }
                var running: Int32 = 1
                while true {
                    let mc = curl_multi_perform(multi, &running)
                    if mc != CURLM_OK {
                        return .failure(HTTPTransportError(code: 2, message: String(cString: curl_multi_strerror(mc))))
                    }
                    if running == 0 { break }
                    if cancellation?.isCancelled == true { return .failure(HTTPTransportError(code: 42, message: "cancelled")) }
                    if idleTimeoutMs > 0, Self.nowMs() - context.lastActivity > UInt64(idleTimeoutMs) {
                        return .failure(HTTPTransportError(code: 28, message: "no data from the server for \(idleTimeoutMs) ms"))
                    }
                    _ = curl_multi_poll(multi, nil, 0, 20, nil)
                }
                var rc = CURLE_OK
                var left: Int32 = 0
                while let msg = curl_multi_info_read(multi, &left) {
                    if msg.pointee.msg == CURLMSG_DONE { rc = msg.pointee.data.result }
                }
                if rc != CURLE_OK && !context.stoppedByReceiver {
                    if context.received > context.limit {
                        return .failure(HTTPTransportError(code: 63, message: "response larger than \(context.limit) bytes"))
                    }
                    return .failure(HTTPTransportError(code: Int(rc.rawValue), message: String(cString: curl_easy_strerror(rc))))
                }
                var total = 0.0
                _ = vigil_curl_get_double(handle, CURLINFO_TOTAL_TIME, &total)
                var status = 0
                _ = vigil_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
                return .success(HTTPStreamResult(status: status != 0 ? status : context.status, headers: context.headers,
                                                 totalSeconds: total, stoppedByReceiver: context.stoppedByReceiver))
            }
        }
        return try result.get()
    }

    static func nowMs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}

/// Stops a `HTTPClient.stream` transfer from any thread.
public final class HTTPCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func cancel() { flag.store(true, ordering: .releasing) }
    public var isCancelled: Bool { flag.load(ordering: .acquiring) }
}

/// The status line and headers of a streamed response.
public struct HTTPStreamHead: Sendable {
    public var status: Int
    public var headers: [(String, String)]

    public init(status: Int, headers: [(String, String)]) {
        self.status = status
        self.headers = headers
    }

    /// The last value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.last { $0.0.lowercased() == n }?.1
    }
}

/// How a streamed transfer ended.
public struct HTTPStreamResult: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var totalSeconds: Double
    /// True when the chunk handler asked to stop.
    public var stoppedByReceiver: Bool

    public func header(_ name: String) -> String? { HTTPStreamHead(status: status, headers: headers).header(name) }
}

extension HTTPClient {
    /// The options every request sets: URL, timeouts, user agent, headers, and the method with its body (which
    /// `body` must keep alive until the transfer ends).
    static func configure(_ handle: UnsafeMutableRawPointer?, _ request: HTTPRequest, headers: UnsafeMutablePointer<curl_slist>?,
                          body: UnsafeMutableRawBufferPointer) {
        _ = vigil_curl_set_string(handle, CURLOPT_URL, request.url)
        _ = vigil_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = vigil_curl_set_long(handle, CURLOPT_TIMEOUT_MS, request.timeoutMs)
        _ = vigil_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeoutMs)
        _ = vigil_curl_set_string(handle, CURLOPT_USERAGENT, "vigil/\(VigilVersion.current)")
        _ = vigil_curl_set_slist(handle, CURLOPT_HTTPHEADER, headers)
        if request.method == "GET" {
            _ = vigil_curl_set_long(handle, CURLOPT_HTTPGET, 1)
        } else {
            _ = vigil_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
            _ = vigil_curl_set_long(handle, CURLOPT_POST, 1)
            _ = vigil_curl_set_pointer(handle, CURLOPT_POSTFIELDS, body.baseAddress)
            _ = vigil_curl_set_offt(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        }
    }
}
