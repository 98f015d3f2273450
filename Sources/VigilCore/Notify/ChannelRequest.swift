import Foundation
import VigilWire

/// The exact bytes a channel receives: an HTTP request for the chat kinds and webhooks, a mail for email.
/// Pure: the secrets, the time and (for mail) the message id are given.
public enum ChannelRequest: Sendable {
    case http(HTTPRequest)
    case mail(MailMessage)

    /// Builds the request for `channel` at `nowMs`. `url` and `secret` are the channel's, resolved.
    public static func make(_ n: RenderedNotification, channel: NotifyChannel, url: String, secret: String?, password: String?,
                            nowMs: Int64, messageID: String) -> ChannelRequest {
        let headers = [("Content-Type", "application/json; charset=utf-8"), ("User-Agent", "vigil/\(VigilVersion.current)")]
        func post(_ u: String, _ body: String) -> ChannelRequest {
            .http(HTTPRequest(method: "POST", url: u, headers: headers, body: Array(body.utf8), timeoutMs: channel.timeoutMs))
        }
        switch channel.kind {
        case .dingtalk:
            var u = url
            if let secret {
                let (ts, sign) = dingTalkSignature(secret: secret, timestampMs: nowMs)
                u += (u.contains("?") ? "&" : "?") + "timestamp=\(ts)&sign=\(sign)"
            }
            let at = n.mentions.map { "@" + $0 }.joined(separator: " ")
            var object: [String: Any] = ["msgtype": "markdown", "markdown": ["title": n.title, "text": "#### \(n.title)\n\n\(n.text)" + (at.isEmpty ? "" : "\n\n" + at)]]
            if !n.mentions.isEmpty { object["at"] = ["atMobiles": n.mentions, "isAtAll": false] }
            return post(u, json(object))
        case .feishu:
            var object: [String: Any]
            if channel.feishuCard {
                let colour = n.title.contains("[RESOLVED]") ? "green" : "red"
                object = ["msg_type": "interactive",
                          "card": ["config": ["wide_screen_mode": true],
                                   "header": ["title": ["tag": "plain_text", "content": n.title], "template": colour],
                                   "elements": [["tag": "markdown", "content": n.text + mentionText(n, kind: .feishu)]]]]
            } else {
                object = ["msg_type": "text", "content": ["text": n.title + "\n" + n.text + mentionText(n, kind: .feishu)]]
            }
            if let secret {
                let (ts, sign) = feishuSignature(secret: secret, timestampSeconds: nowMs / 1000)
                object["timestamp"] = ts
                object["sign"] = sign
            }
            return post(url, json(object))
        case .wecom:
            return post(url, json(["msgtype": "markdown", "markdown": ["content": "**\(n.title)**\n\(n.text)" + mentionText(n, kind: .wecom)]]))
        case .slack:
            return post(url, json(["text": "*\(n.title)*\n\(n.text)" + mentionText(n, kind: .slack)]))
        case .webhook:
            return post(url, n.body ?? "{}")
        case .email:
            return .mail(MailMessage(server: url, from: channel.from ?? "", to: channel.to, username: channel.username, password: password,
                                     subject: n.title, text: n.text, html: n.html, dateMs: nowMs, messageID: messageID,
                                     timeoutMs: channel.timeoutMs, caFile: channel.tlsCAFile))
        }
    }

    /// How each chat kind mentions someone, appended to the text.
    static func mentionText(_ n: RenderedNotification, kind: NotifyChannel.Kind) -> String {
        guard !n.mentions.isEmpty else { return "" }
        let handles: [String] = n.mentions.map { m in
            switch kind {
            case .feishu: "<at user_id=\"\(m)\"></at>"
            case .wecom, .slack: "<@\(m)>"
            default: "@" + m
            }
        }
        return "\n" + handles.joined(separator: " ")
    }

    /// DingTalk: `sign` = URL-encoded base64 of HMAC-SHA256(key: secret, message: "timestamp\nsecret"), the
    /// timestamp in milliseconds.
    public static func dingTalkSignature(secret: String, timestampMs: Int64) -> (String, String) {
        let ts = String(timestampMs)
        let mac = SHA256.hmac(key: Array(secret.utf8), message: Array("\(ts)\n\(secret)".utf8))
        let b64 = Data(mac).base64EncodedString()
        return (ts, b64.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? b64)
    }

    /// Feishu: `sign` = base64 of HMAC-SHA256 keyed with "timestamp\nsecret" over an empty message, the
    /// timestamp in seconds.
    public static func feishuSignature(secret: String, timestampSeconds: Int64) -> (String, String) {
        let ts = String(timestampSeconds)
        let mac = SHA256.hmac(key: Array("\(ts)\n\(secret)".utf8), message: [])
        return (ts, Data(mac).base64EncodedString())
    }

    static func json(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Whether the receiver accepted: a 2xx, and for the robots no error code in the answer (they answer 200
    /// with `errcode`/`code` set when a message is refused).
    public static func accepted(kind: NotifyChannel.Kind, status: Int, body: [UInt8]) -> (ok: Bool, reason: String?) {
        guard (200..<300).contains(status) else { return (false, "HTTP \(status)") }
        guard [.dingtalk, .wecom, .feishu].contains(kind),
              let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return (true, nil) }
        let code = (object["errcode"] ?? object["code"] ?? object["StatusCode"]) as? Int ?? 0
        if code == 0 { return (true, nil) }
        let message = (object["errmsg"] ?? object["msg"] ?? object["StatusMessage"]) as? String ?? ""
        return (false, "error \(code): \(message)")
    }
}

/// A mail with a plain-text and an HTML part, and where to send it.
public struct MailMessage: Sendable, Equatable {
    /// `smtp://host:587` (STARTTLS required) or `smtps://host:465` (TLS from the start); `smtp://…?tls=none` for a
    /// local relay without TLS.
    public var server: String
    public var from: String
    public var to: [String]
    public var username: String?
    public var password: String?
    public var subject: String
    public var text: String
    public var html: String?
    public var dateMs: Int64
    public var messageID: String
    public var timeoutMs: Int
    /// A CA (PEM) to trust instead of the system's.
    public var caFile: String?

    /// The message as sent (RFC 5322, multipart/alternative when there is HTML), CRLF line ends.
    public func rfc5322() -> [UInt8] {
        let boundary = "vigil-" + messageID.filter { $0.isLetter || $0.isNumber }
        var lines = [
            "From: \(from)", "To: \(to.joined(separator: ", "))", "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.rfc2822Date(dateMs))", "Message-ID: <\(messageID)>", "MIME-Version: 1.0", "X-Mailer: vigil/\(VigilVersion.current)",
        ]
        if let html {
            lines += ["Content-Type: multipart/alternative; boundary=\"\(boundary)\"", "", "--\(boundary)",
                      "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", Self.base64Lines(text),
                      "--\(boundary)", "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: base64", "", Self.base64Lines(html),
                      "--\(boundary)--", ""]
        } else {
            lines += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", Self.base64Lines(text), ""]
        }
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    static func base64Lines(_ s: String) -> String {
        Data(s.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
    }

    /// RFC 2047 for a header with non-ASCII text.
    static func encodedWord(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return s }
        return "=?UTF-8?B?" + Data(s.utf8).base64EncodedString() + "?="
    }

    static func rfc2822Date(_ ms: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
