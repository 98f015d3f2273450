#if canImport(Glibc)
import Glibc
#endif
import CDynCurl
import VigilWire

/// The agent's HTTP: `PlainHTTPClient` for `http://`, libcurl loaded at run time for `https://`.
///
/// The agent never links libcurl, so a fleet that talks plain http to a listener on a private network
/// never pays for a TLS stack; an `https://` URL loads `libcurl.so.4` on first use. Not thread-safe.
public final class AgentHTTPClient: HTTPTransport {
    private let plain = PlainHTTPClient()
    /// How `https://` servers are verified and the client certificate, if any (the listener's `tls:`).
    let tls: AgentTLS

    public init(tls: AgentTLS = AgentTLS()) {
        self.tls = tls
    }

    public func perform(_ request: HTTPRequest, maxResponseBytes: Int) throws(HTTPTransportError) -> HTTPResponse {
        if request.url.hasPrefix("https://") {
            return try AgentHTTPClient.viaLibcurl(request, maxResponseBytes: maxResponseBytes, tls: tls)
        }
        return try plain.perform(request, maxResponseBytes: maxResponseBytes)
    }

    static func viaLibcurl(_ request: HTTPRequest, maxResponseBytes: Int, tls: AgentTLS = AgentTLS()) throws(HTTPTransportError) -> HTTPResponse {
        let started = WallClock.monotonicNs()
        var result = vigil_dyncurl_result()
        let lines = request.headers.map { "\($0.0): \($0.1)" }
        var cLines: [UnsafePointer<CChar>?] = lines.map { UnsafePointer(strdupSwift($0)) }
        defer { for p in cLines { free(UnsafeMutablePointer(mutating: p)) } }
        request.body.withUnsafeBufferPointer { body in
            cLines.withUnsafeMutableBufferPointer { headers in
                withOptionalCString(tls.caFile) { ca in
                    withOptionalCString(tls.certFile) { cert in
                        withOptionalCString(tls.keyFile) { key in
                            var t = vigil_dyncurl_tls(ca_file: ca, cert_file: cert, key_file: key)
                            vigil_dyncurl_perform(request.method, request.url, headers.baseAddress, headers.count, body.baseAddress, body.count,
                                                  request.timeoutMs, request.connectTimeoutMs, maxResponseBytes, &t, &result)
                        }
                    }
                }
            }
        }
        defer { vigil_dyncurl_free(&result) }
        guard result.curl_code == 0 else {
            let message = withUnsafeBytes(of: result.error) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            throw HTTPTransportError(code: Int(result.curl_code), message: message)
        }
        let body = result.body_len > 0 ? Array(UnsafeBufferPointer(start: result.body, count: result.body_len)) : []
        return HTTPResponse(status: result.status, body: body, totalSeconds: Double(WallClock.monotonicNs() - started) / 1e9)
    }
}

private func strdupSwift(_ s: String) -> UnsafeMutablePointer<CChar> {
    s.withCString { strdup($0)! }
}

extension AgentHTTPClient {
    /// The run-time libcurl path for any URL (tests exercise it without a TLS server).
    public static func viaLibcurlForTesting(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
        try viaLibcurl(request, maxResponseBytes: 1 << 20)
    }
}

/// Calls `body` with a C string of `s`, or nil.
private func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}
