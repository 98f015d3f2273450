import CCurl

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
    /// Seconds from start to the end of the transfer, as libcurl measured it.
    public var totalSeconds: Double

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A transfer that did not produce an HTTP response (refused, timed out, DNS, TLS...).
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var description: String { "\(message) (curl \(code))" }
    /// True when the peer could not be reached at all (connection refused, host unreachable, timeout).
    public var isUnreachable: Bool { [6, 7, 28, 52, 55, 56].contains(code) }
}

/// A blocking HTTP client over libcurl: one easy handle, reused so connections stay alive.
///
/// Not thread-safe; give each thread its own. Used by the agent (it has no event loop), the
/// notifiers and the tests.
public final class HTTPClient {
    private let handle: UnsafeMutableRawPointer

    private static let globalInit: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    public init() {
        _ = HTTPClient.globalInit
        handle = curl_easy_init()
    }

    deinit {
        curl_easy_cleanup(handle)
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
            _ = vigil_curl_set_string(handle, CURLOPT_URL, request.url)
            _ = vigil_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
            _ = vigil_curl_set_long(handle, CURLOPT_TIMEOUT_MS, request.timeoutMs)
            _ = vigil_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeoutMs)
            _ = vigil_curl_set_string(handle, CURLOPT_USERAGENT, "vigil/\(VigilVersion.current)")
            _ = vigil_curl_set_slist(handle, CURLOPT_HTTPHEADER, headerList)
            if request.method == "GET" {
                _ = vigil_curl_set_long(handle, CURLOPT_HTTPGET, 1)
            } else {
                _ = vigil_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
                _ = vigil_curl_set_long(handle, CURLOPT_POST, 1)
                _ = vigil_curl_set_pointer(handle, CURLOPT_POSTFIELDS, bodyPtr.baseAddress)
                _ = vigil_curl_set_offt(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyPtr.count))
            }
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
}

/// The version every Vigil binary reports.
public enum VigilVersion {
    public static let current = "0.1.0"
}
