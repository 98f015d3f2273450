import CCurl
import VigilWire

/// A blocking HTTP client over libcurl: one easy handle, reused so connections stay alive.
///
/// Not thread-safe; give each thread its own. For the server side (notifiers, AI calls) and the tests;
/// the agent does not link libcurl (see `PlainHTTPClient` and docs/ARCHITECTURE.md).
public final class HTTPClient: HTTPTransport {
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

