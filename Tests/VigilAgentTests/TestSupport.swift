import Foundation
@_exported import VigilTestSupport
import Glibc
import Testing
@testable import VigilAgentCore

/// Fixture files copied from a real machine (then edited for edge cases).
enum Fixture {
    static func path(_ name: String) -> String {
        guard let p = Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures") else {
            fatalError("missing fixture \(name)")
        }
        return p
    }

    static func text(_ name: String) -> String {
        try! String(contentsOfFile: path(name), encoding: .utf8)
    }
}

/// A tiny real HTTP/1.1 server on 127.0.0.1: answers each request with the status `respond` picks,
/// records request heads and bodies, closes every connection after one answer.
final class TestHTTPServer: @unchecked Sendable {
    struct Request {
        var head: String
        var body: [UInt8]
        func header(_ name: String) -> String? {
            for line in head.split(separator: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
    }

    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var _requests: [Request] = []
    private var stopped = false
    private let respond: @Sendable (Int, Request) -> (Int, String)
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    /// `respond(n, request)` gives the status and body for the n-th request (0-based).
    init(respond: @escaping @Sendable (Int, Request) -> (Int, String)) {
        self.respond = respond
        let (fd, port) = TestSocket.listen()
        self.fd = fd
        self.port = port
        let t = Thread { [self] in self.serve() }
        thread = t
        t.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    var requests: [Request] {
        lock.lock(); defer { lock.unlock() }
        return _requests
    }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        done.wait()
        close(fd)
    }

    private var isStopped: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopped
    }

    private func serve() {
        defer { done.signal() }
        while !isStopped {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            let c = accept(fd, nil, nil)
            guard c >= 0 else { continue }
            handle(c)
            close(c)
        }
    }

    private func handle(_ c: Int32) {
        guard let (head, body) = TestSocket.readRequest(c) else { return }
        let request = Request(head: head, body: body)
        lock.lock()
        let index = _requests.count
        _requests.append(request)
        lock.unlock()
        let (status, answer) = respond(index, request)
        TestSocket.writeResponse(c, status: status, body: answer)
    }
}

enum TestSocket {
    /// Reads one HTTP/1.1 request (head and a Content-Length body) from `c`; nil when the peer goes quiet for 5 s
    /// or closes first.
    static func readRequest(_ c: Int32) -> (head: String, body: [UInt8])? {
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        var length = 0
        while true {
            if let h = headEnd, data.count >= h + 4 + length { break }
            var p = pollfd(fd: c, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 5000) > 0 else { return nil }
            let n = read(c, &buf, buf.count)
            guard n > 0 else { return nil }
            data += buf[0..<n]
            if headEnd == nil, let r = headEndIndex(data) {
                headEnd = r
                for line in String(decoding: data[0..<r], as: UTF8.self).split(separator: "\r\n")
                where line.lowercased().hasPrefix("content-length:") {
                    length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
        }
        let h = headEnd!
        return (String(decoding: data[0..<h], as: UTF8.self), Array(data[(h + 4)..<(h + 4 + length)]))
    }

    /// Writes a JSON answer and asks the client to close.
    static func writeResponse(_ c: Int32, status: Int, body: String) {
        let response = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        _ = Array(response.utf8).withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
    }

    /// The index of the blank line that ends an HTTP head, if it has arrived.
    static func headEndIndex(_ d: [UInt8]) -> Int? {
        guard d.count >= 4 else { return nil }
        for i in 0...(d.count - 4) where d[i] == 13 && d[i + 1] == 10 && d[i + 2] == 13 && d[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// A listening TCP socket on 127.0.0.1 with a kernel-chosen port.
    static func listen() -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(fd, $0, len) }
        }
        Glibc.listen(fd, 16)
        withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &len) }
        }
        return (fd, UInt16(bigEndian: addr.sin_port))
    }

    /// A port on 127.0.0.1 that nothing listens on (bound, then closed).
    static func closedPort() -> UInt16 {
        let (fd, port) = listen()
        close(fd)
        return port
    }
}

/// Collects log lines for assertions.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return _lines }
    var log: AgentLog {
        AgentLog(sink: { [self] line in lock.lock(); _lines.append(line); lock.unlock() })
    }
}

