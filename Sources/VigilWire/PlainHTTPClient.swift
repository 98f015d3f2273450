#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client over a TCP socket for `http://` URLs, with keep-alive.
///
/// The agent uses it instead of libcurl: linking libcurl maps its TLS, Kerberos, LDAP and SSH
/// libraries into every process and costs about 7 MB of resident memory, more than the agent itself
/// (docs/BENCHMARKS.md). Bodies are sent with `Content-Length`; answers may use `Content-Length`,
/// chunked encoding, or end at close. Not thread-safe.
public final class PlainHTTPClient: HTTPTransport {
    private var fd: Int32 = -1
    private var connectedTo: String = ""

    public init() {}

    deinit { closeConnection() }

    private func closeConnection() {
        if fd >= 0 { close(fd) }
        fd = -1
        connectedTo = ""
    }

    struct Target: Equatable {
        var host: String
        var port: String
        var path: String
        var hostHeader: String
    }

    /// Splits `http://host[:port][/path]`.
    static func parse(_ url: String) throws(HTTPTransportError) -> Target {
        guard url.hasPrefix("http://") else {
            if url.hasPrefix("https://") { throw HTTPTransportError(code: 1, message: "https is not supported by the plain client: \(url)") }
            throw HTTPTransportError(code: 3, message: "not an http:// URL: \(url)")
        }
        let rest = url.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var path = String(rest[slash...])
        if path.isEmpty { path = "/" }
        var host = String(authority)
        var port = "80"
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw HTTPTransportError(code: 3, message: "bad IPv6 address in \(url)") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = String(after.dropFirst()) }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = String(authority[authority.index(after: colon)...])
        }
        guard !host.isEmpty, let p = Int(port), (1...65535).contains(p) else {
            throw HTTPTransportError(code: 3, message: "bad host or port in \(url)")
        }
        return Target(host: host, port: port, path: path, hostHeader: String(authority))
    }

    public func perform(_ request: HTTPRequest, maxResponseBytes: Int) throws(HTTPTransportError) -> HTTPResponse {
        let started = WallClock.monotonicNs()
        let deadline = started + UInt64(max(1, request.timeoutMs)) * 1_000_000
        let target = try PlainHTTPClient.parse(request.url)
        let key = target.host + ":" + target.port
        let head = requestHead(request, target: target)
        // A kept-alive connection may have been closed by the server meanwhile: retry once on a fresh
        // connection when nothing at all came back on the reused one.
        let reused = fd >= 0 && connectedTo == key
        for attempt in 0..<2 {
            if fd < 0 || connectedTo != key {
                closeConnection()
                fd = try connect(target, timeoutMs: request.connectTimeoutMs, deadline: deadline)
                connectedTo = key
            }
            do throws(HTTPTransportError) {
                try send(head + request.body, deadline: deadline)
                let (status, body, keepAlive) = try receive(method: request.method, deadline: deadline, limit: maxResponseBytes)
                if !keepAlive { closeConnection() }
                return HTTPResponse(status: status, body: body, totalSeconds: Double(WallClock.monotonicNs() - started) / 1e9)
            } catch {
                closeConnection()
                if attempt == 0 && reused && (error.code == 52 || error.code == 55 || error.code == 56) { continue }
                throw error
            }
        }
        throw HTTPTransportError(code: 52, message: "empty reply from \(key)")
    }

    private func requestHead(_ r: HTTPRequest, target: Target) -> [UInt8] {
        var head = "\(r.method) \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nUser-Agent: vigil/\(VigilVersion.current)\r\n"
        var hasLength = false
        for (k, v) in r.headers {
            if k.lowercased() == "content-length" { hasLength = true }
            head += "\(k): \(v)\r\n"
        }
        if !hasLength && (r.method != "GET" || !r.body.isEmpty) { head += "Content-Length: \(r.body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8)
    }

    private func remainingMs(_ deadline: UInt64) -> Int32 {
        let now = WallClock.monotonicNs()
        return now >= deadline ? 0 : Int32(min(UInt64(Int32.max), (deadline - now) / 1_000_000 + 1))
    }

    private func connect(_ t: Target, timeoutMs: Int, deadline: UInt64) throws(HTTPTransportError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(t.host, t.port, &hints, &list)
        guard rc == 0, let first = list else {
            throw HTTPTransportError(code: 6, message: "could not resolve host \(t.host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        let connectDeadline = min(deadline, WallClock.monotonicNs() + UInt64(max(1, timeoutMs)) * 1_000_000)
        var lastError: Int32 = ECONNREFUSED
        var timedOut = false
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let a = node {
            node = a.pointee.ai_next
            let s = socket(a.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            if s < 0 { lastError = errno; continue }
            if Glibc.connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 {
                return configured(s)
            }
            if errno != EINPROGRESS { lastError = errno; close(s); continue }
            var p = pollfd(fd: s, events: Int16(POLLOUT), revents: 0)
            let n = poll(&p, 1, remainingMs(connectDeadline))
            if n == 1 {
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len)
                if err == 0 { return configured(s) }
                lastError = err
            } else {
                timedOut = true
            }
            close(s)
        }
        if timedOut { throw HTTPTransportError(code: 28, message: "connection to \(t.host):\(t.port) timed out after \(timeoutMs) ms") }
        throw HTTPTransportError(code: 7, message: "could not connect to \(t.host):\(t.port): \(String(cString: strerror(lastError)))")
    }

    private func configured(_ s: Int32) -> Int32 {
        var one: Int32 = 1
        setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return s
    }

    private func send(_ bytes: [UInt8], deadline: UInt64) throws(HTTPTransportError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n > 0 { offset += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&p, 1, remainingMs(deadline)) <= 0 { throw HTTPTransportError(code: 28, message: "timed out sending the request") }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            throw HTTPTransportError(code: 55, message: "failed sending the request: \(String(cString: strerror(errno)))")
        }
    }

    /// Buffered reader over the socket.
    private struct Reader {
        let fd: Int32
        let deadline: UInt64
        var buffer: [UInt8] = []
        var start = 0
        var eof = false

        mutating func fill(_ client: PlainHTTPClient) throws(HTTPTransportError) {
            if start > 65536 { buffer.removeFirst(start); start = 0 }
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 { buffer.append(contentsOf: chunk[0..<n]); return }
                if n == 0 { eof = true; return }
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    if poll(&p, 1, client.remainingMs(deadline)) <= 0 { throw HTTPTransportError(code: 28, message: "timed out waiting for the response") }
                    continue
                }
                throw HTTPTransportError(code: 56, message: "failed receiving the response: \(String(cString: strerror(errno)))")
            }
        }

        /// A line without its CRLF.
        mutating func line(_ client: PlainHTTPClient, limit: Int = 16384) throws(HTTPTransportError) -> String? {
            while true {
                if let i = buffer[start...].firstIndex(of: 0x0A) {
                    var end = i
                    if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                    let s = String(decoding: buffer[start..<end], as: UTF8.self)
                    start = i + 1
                    return s
                }
                if buffer.count - start > limit { throw HTTPTransportError(code: 8, message: "response header line too long") }
                try fill(client)
                if eof { return nil }
            }
        }

        mutating func take(_ n: Int, _ client: PlainHTTPClient) throws(HTTPTransportError) -> ArraySlice<UInt8> {
            while buffer.count - start < n {
                try fill(client)
                if eof { throw HTTPTransportError(code: 56, message: "connection closed in the middle of the response body") }
            }
            defer { start += n }
            return buffer[start..<(start + n)]
        }

        mutating func rest(_ client: PlainHTTPClient, limit: Int) throws(HTTPTransportError) -> [UInt8] {
            while !eof {
                try fill(client)
                if buffer.count - start > limit { throw HTTPTransportError(code: 63, message: "response larger than \(limit) bytes") }
            }
            return Array(buffer[start...])
        }
    }

    private func receive(method: String, deadline: UInt64, limit: Int) throws(HTTPTransportError) -> (Int, [UInt8], Bool) {
        var r = Reader(fd: fd, deadline: deadline)
        guard let statusLine = try r.line(self) else { throw HTTPTransportError(code: 52, message: "empty reply from server") }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw HTTPTransportError(code: 8, message: "not an HTTP/1.x response: \(statusLine.prefix(80))")
        }
        var length: Int?
        var chunked = false
        var keepAlive = parts[0] == "HTTP/1.1"
        while true {
            guard let line = try r.line(self) else { throw HTTPTransportError(code: 56, message: "connection closed in the response headers") }
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...]).trimmingSpaces().lowercased()
            switch name {
            case "content-length":
                guard let n = Int(value), n >= 0 else { throw HTTPTransportError(code: 8, message: "bad Content-Length '\(value.prefix(20))'") }
                length = n
            case "transfer-encoding": chunked = value.contains("chunked")
            case "connection": if value.contains("close") { keepAlive = false } else if value.contains("keep-alive") { keepAlive = true }
            default: break
            }
        }
        if method == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status) { return (status, [], keepAlive) }
        var body: [UInt8] = []
        if chunked {
            while true {
                guard let sizeLine = try r.line(self) else { throw HTTPTransportError(code: 56, message: "connection closed in a chunked body") }
                let hex = sizeLine.split(separator: ";").first.map { String($0).trimmingSpaces() } ?? ""
                guard let size = Int(hex, radix: 16), size >= 0 else { throw HTTPTransportError(code: 8, message: "bad chunk size '\(sizeLine.prefix(20))'") }
                if size == 0 {
                    while let trailer = try r.line(self), !trailer.isEmpty {}
                    break
                }
                if size > limit - body.count { throw HTTPTransportError(code: 63, message: "response larger than \(limit) bytes") }
                body.append(contentsOf: try r.take(size, self))
                _ = try r.line(self)
            }
        } else if let length {
            if length > limit { throw HTTPTransportError(code: 63, message: "response larger than \(limit) bytes") }
            body = Array(try r.take(length, self))
        } else {
            body = try r.rest(self, limit: limit)
            keepAlive = false
        }
        return (status, body, keepAlive)
    }
}
