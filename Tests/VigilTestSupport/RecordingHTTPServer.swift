import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 receiver on 127.0.0.1 for tests: records every request (method, target, headers, body) and
/// answers from a script (status, body, delay), then with the default answer. One request per connection.
public final class RecordingHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        /// Path and query, as sent.
        public var target: String
        public var headers: [String: String]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
        /// The query's parameters, percent-decoded.
        public var query: [String: String] {
            guard let q = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
            var out: [String: String] = [:]
            for pair in q.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2 { out[kv[0]] = kv[1].removingPercentEncoding ?? kv[1] }
            }
            return out
        }
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: String
        public var delayMs: Int
        public init(status: Int = 200, body: String = "{\"errcode\":0,\"errmsg\":\"ok\"}", delayMs: Int = 0) {
            self.status = status
            self.body = body
            self.delayMs = delayMs
        }
    }

    public var port: Int { listener.port }
    private var listener: LoopbackListener!
    private let lock = NSLock()
    private var requests_: [Request] = []
    private var script: [Answer]
    private var fallback: Answer

    public init(script: [Answer] = [], fallback: Answer = Answer(), port: Int = 0) throws {
        self.script = script
        self.fallback = fallback
        listener = try LoopbackListener(port: port) { [weak self] c in self?.handle(c) }
    }

    deinit { stop() }

    public var url: String { "http://127.0.0.1:\(port)" }

    public var requests: [Request] { lock.lock(); defer { lock.unlock() }; return requests_ }

    /// Answers from now on.
    public func setFallback(_ a: Answer) { lock.lock(); fallback = a; lock.unlock() }

    public func stop() { listener.stop() }

    private func handle(_ c: Int32) {
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = recv(c, &buf, buf.count, 0)
            if n <= 0 { return }
            data += buf[0..<n]
            headerEnd = Self.find([13, 10, 13, 10], in: data)
        }
        let head = String(decoding: data[0..<headerEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        var headers: [String: String] = [:]
        for l in lines {
            guard let colon = l.firstIndex(of: ":") else { continue }
            headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Array(data[(headerEnd! + 4)...])
        while body.count < length {
            let n = recv(c, &buf, buf.count, 0)
            if n <= 0 { return }
            body += buf[0..<n]
        }
        let request = Request(method: requestLine.first.map(String.init) ?? "", target: requestLine.count > 1 ? String(requestLine[1]) : "",
                              headers: headers, body: body)
        lock.lock()
        requests_.append(request)
        let answer = script.isEmpty ? fallback : script.removeFirst()
        lock.unlock()
        if answer.delayMs > 0 { usleep(UInt32(answer.delayMs) * 1000) }
        let bytes = Array(answer.body.utf8)
        let response = "HTTP/1.1 \(answer.status) X\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        LoopbackListener.send(c, Array(response.utf8) + bytes)
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}
