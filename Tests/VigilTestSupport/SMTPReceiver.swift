import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real SMTP server on 127.0.0.1 for tests (plain, no TLS): speaks enough of RFC 5321 for libcurl (EHLO, AUTH
/// PLAIN/LOGIN, MAIL, RCPT, DATA, QUIT) and records every mail whole.
public final class SMTPReceiver: @unchecked Sendable {
    public struct Mail: Sendable {
        public var from: String
        public var recipients: [String]
        /// The message as received (dot-unstuffed), CRLF line ends.
        public var data: String
        /// The decoded `AUTH PLAIN` user and password, when the client logged in.
        public var login: (user: String, password: String)?

        /// The value of header `name` (first occurrence).
        public func header(_ name: String) -> String? {
            for line in data.components(separatedBy: "\r\n") {
                if line.isEmpty { return nil }
                if line.lowercased().hasPrefix(name.lowercased() + ":") {
                    return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }

        /// The decoded body of the part with `contentType` (base64 parts decoded).
        public func part(_ contentType: String) -> String? {
            let sections = data.components(separatedBy: "Content-Type: \(contentType)")
            guard sections.count > 1 else { return nil }
            let rest = sections[1]
            guard let start = rest.range(of: "\r\n\r\n") else { return nil }
            let body = rest[start.upperBound...].components(separatedBy: "\r\n--")[0]
            let joined = body.replacingOccurrences(of: "\r\n", with: "")
            return Data(base64Encoded: joined).map { String(decoding: $0, as: UTF8.self) } ?? String(body)
        }
    }

    public var port: Int { listener.port }
    private var listener: LoopbackListener!
    private let lock = NSLock()
    private var mails_: [Mail] = []

    public init() throws {
        listener = try LoopbackListener { [weak self] c in self?.session(c) }
    }

    deinit { stop() }

    /// `smtp://127.0.0.1:PORT?tls=none`: how a channel reaches this receiver.
    public var url: String { "smtp://127.0.0.1:\(port)?tls=none" }
    public var mails: [Mail] { lock.lock(); defer { lock.unlock() }; return mails_ }

    public func stop() { listener.stop() }

    private func session(_ c: Int32) {
        var pending: [UInt8] = []
        func say(_ s: String) { LoopbackListener.send(c, Array((s + "\r\n").utf8)) }
        func line() -> String? {
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                if let i = RecordingHTTPServer.find([13, 10], in: pending) {
                    let l = String(decoding: pending[0..<i], as: UTF8.self)
                    pending.removeFirst(i + 2)
                    return l
                }
                let n = recv(c, &buf, buf.count, 0)
                if n <= 0 { return nil }
                pending += buf[0..<n]
            }
        }
        say("220 vigil-test ESMTP")
        var mail = Mail(from: "", recipients: [], data: "")
        while let l = line() {
            let upper = l.uppercased()
            if upper.hasPrefix("EHLO") || upper.hasPrefix("HELO") {
                say("250-vigil-test"); say("250-AUTH PLAIN LOGIN"); say("250 8BITMIME")
            } else if upper.hasPrefix("AUTH PLAIN") {
                let arg = l.split(separator: " ").dropFirst(2).first.map(String.init)
                let encoded = arg ?? { say("334 "); return line() ?? "" }()
                let parts = (Data(base64Encoded: encoded).map { [UInt8]($0) } ?? []).split(separator: 0, omittingEmptySubsequences: false)
                    .map { String(decoding: $0, as: UTF8.self) }
                if parts.count == 3 { mail.login = (parts[1], parts[2]) }
                say("235 2.7.0 accepted")
            } else if upper.hasPrefix("AUTH LOGIN") {
                say("334 VXNlcm5hbWU6")
                let u = Data(base64Encoded: line() ?? "").map { String(decoding: $0, as: UTF8.self) } ?? ""
                say("334 UGFzc3dvcmQ6")
                let p = Data(base64Encoded: line() ?? "").map { String(decoding: $0, as: UTF8.self) } ?? ""
                mail.login = (u, p)
                say("235 2.7.0 accepted")
            } else if upper.hasPrefix("MAIL FROM:") {
                mail.from = String(l.dropFirst(10)).trimmingCharacters(in: CharacterSet(charactersIn: " <>"))
                say("250 OK")
            } else if upper.hasPrefix("RCPT TO:") {
                mail.recipients.append(String(l.dropFirst(8)).trimmingCharacters(in: CharacterSet(charactersIn: " <>")))
                say("250 OK")
            } else if upper == "DATA" {
                say("354 end with .")
                var lines: [String] = []
                while let d = line(), d != "." { lines.append(d.hasPrefix("..") ? String(d.dropFirst()) : d) }
                mail.data = lines.joined(separator: "\r\n")
                lock.lock(); mails_.append(mail); lock.unlock()
                mail = Mail(from: "", recipients: [], data: "", login: mail.login)
                say("250 2.0.0 queued")
            } else if upper == "QUIT" {
                say("221 bye")
                return
            } else if upper == "RSET" || upper == "NOOP" {
                say("250 OK")
            } else {
                say("502 not implemented")
            }
        }
    }
}
