#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// A TCP connect test: non-blocking `connect` bounded by `poll`.
public enum TCPProbe {
    /// Splits `host:port` or `[v6addr]:port`; nil when malformed.
    public static func split(_ target: String) -> (host: String, port: UInt16)? {
        var host: Substring
        var portText: Substring
        if target.hasPrefix("[") {
            guard let close = target.firstIndex(of: "]") else { return nil }
            host = target[target.index(after: target.startIndex)..<close]
            let rest = target[target.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = target.lastIndex(of: ":") else { return nil }
            host = target[..<colon]
            portText = target[target.index(after: colon)...]
            if host.contains(":") { return nil }   // an IPv6 address must be bracketed
        }
        guard !host.isEmpty, let port = UInt16(portText), port > 0 else { return nil }
        return (String(host), port)
    }

    /// Connects to `target` (`host:port`) within `timeoutMs`. Returns nil on success, else the reason.
    public static func connect(_ target: String, timeoutMs: Int) -> String? {
        guard let (host, port) = split(target) else { return "invalid target \(target): expected host:port" }
        switch open(host: host, port: port, timeoutMs: timeoutMs) {
        case .success(let fd): close(fd); return nil
        case .failure(let e): return e.message
        }
    }

    /// A connected, non-blocking, close-on-exec TCP socket to `host:port`, within `timeoutMs`; the caller closes it.
    public static func open(host: String, port: UInt16, timeoutMs: Int) -> Result<Int32, AgentError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            return .failure(AgentError("cannot resolve \(host): " + (gai_strerror(rc).map { String(cString: $0) } ?? "error \(rc)")))
        }
        defer { freeaddrinfo(list) }
        let deadline = WallClock.monotonicNs() + UInt64(max(1, timeoutMs)) * 1_000_000
        var lastError = "no address for \(host)"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = FileSystem.errorText(errno); continue }
            switch finishConnect(fd, Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen), deadline: deadline, timeoutMs: timeoutMs) {
            case nil: return .success(fd)
            case let reason?:
                close(fd)
                lastError = reason
                if reason.hasPrefix("timed out") { return .failure(AgentError(reason)) }
            }
        }
        return .failure(AgentError(lastError))
    }

    /// A connected, non-blocking, close-on-exec Unix-domain socket to `path`.
    public static func openUnix(path: String, timeoutMs: Int) -> Result<Int32, AgentError> {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return .failure(AgentError("socket path too long: \(path)")) }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(AgentError(FileSystem.errorText(errno))) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let deadline = WallClock.monotonicNs() + UInt64(max(1, timeoutMs)) * 1_000_000
        if let reason = finishConnect(fd, rc, deadline: deadline, timeoutMs: timeoutMs) {
            close(fd)
            return .failure(AgentError("\(path): \(reason)"))
        }
        return .success(fd)
    }

    /// Waits for a non-blocking `connect` (which returned `rc`) to finish; nil when connected, else the reason.
    private static func finishConnect(_ fd: Int32, _ rc: Int32, deadline: UInt64, timeoutMs: Int) -> String? {
        if rc == 0 { return nil }
        guard errno == EINPROGRESS || errno == EAGAIN else { return FileSystem.errorText(errno).lowercased() }
        while true {
            let now = WallClock.monotonicNs()
            guard now < deadline else { return "timed out after \(timeoutMs) ms" }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let n = poll(&p, 1, Int32(min(UInt64(Int32.max), (deadline - now) / 1_000_000 + 1)))
            if n < 0 && errno == EINTR { continue }
            if n == 0 { continue }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            return err == 0 ? nil : FileSystem.errorText(err).lowercased()
        }
    }
}
