import CCurl
import VigilWire

/// Sends mail through libcurl's SMTP: STARTTLS required on `smtp://` (unless `?tls=none`), TLS from the start on
/// `smtps://`, certificates verified, optional login. Not thread-safe; give each thread its own.
public final class SMTPClient: MailTransport {
    private let handle: UnsafeMutableRawPointer

    public init() {
        _ = HTTPClient.globalInit
        handle = curl_easy_init()
    }

    deinit { curl_easy_cleanup(handle) }

    private final class Source {
        let bytes: [UInt8]
        var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    public func sendMail(server: String, from: String, to: [String], username: String?, password: String?, message: [UInt8],
                         timeoutMs: Int, caFile: String? = nil) throws(HTTPTransportError) -> Int {
        curl_easy_reset(handle)
        var url = server
        var plain = false
        if let q = url.firstIndex(of: "?") {
            plain = url[q...].contains("tls=none")
            url = String(url[..<q])
        }
        let source = Source(message)
        let box = Unmanaged.passRetained(source)
        defer { box.release() }
        var rcpt: UnsafeMutablePointer<curl_slist>?
        defer { if let rcpt { curl_slist_free_all(rcpt) } }
        for address in to { rcpt = curl_slist_append(rcpt, "<\(address)>") }
        _ = vigil_curl_set_string(handle, CURLOPT_URL, url)
        _ = vigil_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = vigil_curl_set_long(handle, CURLOPT_TIMEOUT_MS, timeoutMs)
        _ = vigil_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMs, 5_000))
        _ = vigil_curl_set_string(handle, CURLOPT_MAIL_FROM, "<\(from)>")
        _ = vigil_curl_set_slist(handle, CURLOPT_MAIL_RCPT, rcpt)
        if url.hasPrefix("smtp://") && !plain {
            _ = vigil_curl_set_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        }
        if let caFile { _ = vigil_curl_set_string(handle, CURLOPT_CAINFO, caFile) }
        if let username { _ = vigil_curl_set_string(handle, CURLOPT_USERNAME, username) }
        if let password { _ = vigil_curl_set_string(handle, CURLOPT_PASSWORD, password) }
        _ = vigil_curl_set_long(handle, CURLOPT_UPLOAD, 1)
        _ = vigil_curl_set_offt(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.count))
        _ = vigil_curl_set_read(handle, { buffer, size, count, ud in
            guard let buffer, let ud else { return 0 }
            let s = Unmanaged<Source>.fromOpaque(ud).takeUnretainedValue()
            let n = min(size * count, s.bytes.count - s.offset)
            if n == 0 { return 0 }
            s.bytes.withUnsafeBufferPointer { p in
                UnsafeMutableRawPointer(buffer).copyMemory(from: p.baseAddress! + s.offset, byteCount: n)
            }
            s.offset += n
            return n
        }, box.toOpaque())
        let rc = curl_easy_perform(handle)
        var code = 0
        _ = vigil_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &code)
        guard rc == CURLE_OK else {
            let reason = String(cString: curl_easy_strerror(rc))
            throw HTTPTransportError(code: Int(rc.rawValue), message: code > 0 ? "\(reason) (server replied \(code))" : reason)
        }
        return code
    }
}
