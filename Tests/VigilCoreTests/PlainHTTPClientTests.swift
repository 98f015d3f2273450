import Foundation
import Testing
import VigilAgentCore
@testable import VigilWire

/// A raw TCP server on loopback: `handle` gets each accepted connection's descriptor on its own thread.
final class RawServer: @unchecked Sendable {
    let fd: Int32
    let port: Int
    private var running = true

    init(_ handle: @escaping @Sendable (Int32) -> Void) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        listen(fd, 16)
        let listener = fd
        Thread {
            while true {
                let c = accept(listener, nil, nil)
                if c < 0 { return }
                Thread { handle(c) }.start()
            }
        }.start()
    }

    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }

    /// Reads one request head (up to the blank line) and its Content-Length body.
    static func readRequest(_ c: Int32) -> String? {
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            if let r = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: data[..<r.lowerBound], as: UTF8.self)
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                while data.count < r.upperBound + length {
                    let n = recv(c, &buf, buf.count, 0)
                    if n <= 0 { return nil }
                    data += buf[0..<n]
                }
                return head
            }
            let n = recv(c, &buf, buf.count, 0)
            if n <= 0 { return nil }
            data += buf[0..<n]
        }
    }

    static func write(_ c: Int32, _ s: String) {
        let bytes = Array(s.utf8)
        _ = bytes.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

@Suite struct PlainHTTPClientTests {
    @Test func talksToTheRealListenerWithKeepAlive() async throws {
        let e = try await RunningEngine.start()
        let (_, secret) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: WallClock.nowMs(), actor: "test")
        let url = e.url
        let statuses = try await offPool { () -> [Int] in
            let client = PlainHTTPClient()
            var out: [Int] = []
            for i in 0..<30 {
                let body = Array(IngestBatch.simple(host: "plain-\(i % 3)", at: WallClock.nowMs() - Int64(i)).json().utf8)
                let r = try client.perform(HTTPRequest(method: "POST", url: url + "/api/v1/ingest",
                                                       headers: [("Authorization", "Bearer \(secret)"), ("Content-Type", "application/json")], body: body,
                                                       timeoutMs: 30_000))
                out.append(r.status)
            }
            out.append(try client.perform(HTTPRequest(url: url + "/healthz")).status)
            out.append(try client.perform(HTTPRequest(url: url + "/no/such/path")).status)
            return out
        }
        #expect(statuses == Array(repeating: 200, count: 31) + [404])
        #expect(try await e.store.stats().hosts == 3)
        await e.stop()
    }

    @Test func chunkedAndCloseDelimitedBodies() async throws {
        let server = RawServer { c in
            defer { close(c) }
            guard let head = RawServer.readRequest(c) else { return }
            if head.contains("GET /chunked") {
                RawServer.write(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n")
            } else {
                RawServer.write(c, "HTTP/1.0 503 Service Unavailable\r\n\r\ndown for maintenance")
            }
        }
        let base = "http://127.0.0.1:\(server.port)"
        let (a, b) = try await offPool { () -> (HTTPResponse, HTTPResponse) in
            let client = PlainHTTPClient()
            return (try client.perform(HTTPRequest(url: base + "/chunked")), try client.perform(HTTPRequest(url: base + "/closed")))
        }
        #expect(a.status == 200 && a.text == "hello, world")
        #expect(b.status == 503 && b.text == "down for maintenance")
    }

    @Test func retriesOnceWhenTheServerDroppedAKeptAliveConnection() async throws {
        // Answers one request per connection but claims keep-alive, then closes.
        let server = RawServer { c in
            defer { close(c) }
            guard RawServer.readRequest(c) != nil else { return }
            RawServer.write(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            usleep(50_000)
        }
        let url = "http://127.0.0.1:\(server.port)/"
        let texts = try await offPool { () -> [String] in
            let client = PlainHTTPClient()
            var out: [String] = []
            for _ in 0..<3 {
                out.append(try client.perform(HTTPRequest(url: url)).text)
                usleep(100_000)
            }
            return out
        }
        #expect(texts == ["ok", "ok", "ok"])
    }

    @Test func failuresAreClassified() async throws {
        let refusedPort = freePort()
        let silent = RawServer { c in
            _ = RawServer.readRequest(c)
            usleep(2_000_000)
            close(c)
        }
        let errors = try await offPool { () -> [HTTPTransportError] in
            let client = PlainHTTPClient()
            var out: [HTTPTransportError] = []
            for req in [HTTPRequest(url: "http://127.0.0.1:\(refusedPort)/"),
                        HTTPRequest(url: "http://127.0.0.1:\(silent.port)/", timeoutMs: 300),
                        HTTPRequest(url: "http://no-such-host.invalid/"),
                        HTTPRequest(url: "ftp://x/")] {
                do {
                    _ = try client.perform(req)
                } catch {
                    out.append(error as! HTTPTransportError)
                }
            }
            return out
        }
        #expect(errors.map(\.code) == [7, 28, 6, 3])
        #expect(errors[0].isUnreachable && errors[1].isUnreachable)
        #expect(errors[1].message.contains("timed out"))
    }

    @Test func hostileResponsesAreErrorsNotCrashes() async throws {
        let server = RawServer { c in
            defer { close(c) }
            guard let head = RawServer.readRequest(c) else { return }
            if head.contains("GET /negative") {
                RawServer.write(c, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")
            } else {
                RawServer.write(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nA\r\n7fffffffffffffff\r\n")
            }
        }
        let base = "http://127.0.0.1:\(server.port)"
        let codes = try await offPool { () -> [Int] in
            var out: [Int] = []
            for path in ["/negative", "/huge-chunk"] {
                do { _ = try PlainHTTPClient().perform(HTTPRequest(url: base + path)) } catch { out.append((error as! HTTPTransportError).code) }
            }
            return out
        }
        #expect(codes == [8, 63])
    }

    @Test func urlParsing() throws {
        #expect(try PlainHTTPClient.parse("http://[::1]:9470/api/v1/ingest") == .init(host: "::1", port: "9470", path: "/api/v1/ingest", hostHeader: "[::1]:9470"))
        #expect(try PlainHTTPClient.parse("http://ops-box") == .init(host: "ops-box", port: "80", path: "/", hostHeader: "ops-box"))
        #expect(throws: HTTPTransportError.self) { try PlainHTTPClient.parse("http://host:99999/") }
        #expect(throws: HTTPTransportError.self) { try PlainHTTPClient.parse("https://host/") }
    }

    @Test func theAgentLoadsLibcurlAtRunTimeForTLSURLs() async throws {
        // The dlopen'd path, exercised over plain http against the real listener.
        let e = try await RunningEngine.start()
        let url = e.url
        let r = try await offPool { try AgentHTTPClient.viaLibcurlForTesting(HTTPRequest(url: url + "/healthz")) }
        #expect(r.status == 200 && r.text.contains("ok"))
        await e.stop()
    }
}
