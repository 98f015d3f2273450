import Foundation

/// Where notifications go: one configured receiver (a DingTalk robot, a Feishu bot, a WeCom robot, a Slack
/// incoming webhook, a generic webhook, or mail over SMTP).
public struct NotifyChannel: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case dingtalk, feishu, wecom, slack, webhook, email
    }

    public var name: String
    public var kind: Kind
    /// The endpoint (HTTP kinds) or the SMTP server (`smtp://host:587` with STARTTLS, `smtps://host:465`).
    /// A secret: robot URLs carry their access token.
    public var url: SecretValue
    /// DingTalk and Feishu signing secret.
    public var secret: SecretValue?
    public var sendResolved = true
    public var timeoutMs = 10_000
    /// Attempts before a notification becomes a dead letter.
    public var maxAttempts = 8
    /// Quiet hours: nothing below `quietSeverity` is sent in them (it waits for their end).
    public var quietHours: QuietHours?
    /// Feishu: an interactive card (default) or plain text.
    public var feishuCard = true

    // Email
    public var from: String?
    public var to: [String] = []
    public var username: String?
    public var password: SecretValue?
    /// Email: a CA (PEM) to verify the server with, for a relay with a private certificate.
    public var tlsCAFile: String?

    /// Overrides of the kind's default templates (`title`, `text`, `html`, `body`).
    public var templates: [String: String] = [:]

    public init(name: String, kind: Kind, url: SecretValue) {
        self.name = name
        self.kind = kind
        self.url = url
    }

    /// What can be said about the channel without revealing a secret: kind and host of its URL.
    public var publicDescription: String {
        guard case .literal(let u) = url, let host = URL(string: u)?.host else {
            return "\(kind.rawValue) (\(url.publicDescription))"
        }
        return "\(kind.rawValue) \(host)"
    }
}

/// A value given in the file, or read from an environment variable or a file when it is needed, so secrets
/// need not sit in the config. Never printed: descriptions name where it comes from, not what it is.
public enum SecretValue: Sendable, Equatable {
    case literal(String)
    case env(String)
    case file(String)

    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws(NotifyError) -> String {
        switch self {
        case .literal(let s): return s
        case .env(let name):
            guard let v = environment[name], !v.isEmpty else { throw NotifyError("the environment variable \(name) is not set") }
            return v
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path), let s = String(data: data, encoding: .utf8) else {
                throw NotifyError("cannot read the secret file \(path)")
            }
            return s.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    public var publicDescription: String {
        switch self {
        case .literal: "given in the config"
        case .env(let n): "from $\(n)"
        case .file(let p): "from \(p)"
        }
    }
}

/// Hours in which a receiver is not disturbed, in a time zone: `22:00-07:00`, severities at or above
/// `pagesThrough` still go out.
public struct QuietHours: Sendable, Equatable {
    public var hours: DayMinutes
    public var timeZone: TimeZone
    public var pagesThrough: AlertSeverity

    public init(start: Int, end: Int, timeZone: TimeZone, pagesThrough: AlertSeverity = .critical) {
        self.hours = DayMinutes(from: start, to: end)
        self.timeZone = timeZone
        self.pagesThrough = pagesThrough
    }

    /// Whether `ms` (Unix milliseconds) is inside the quiet hours.
    public func contains(_ ms: Int64) -> Bool {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let c = cal.dateComponents([.hour, .minute], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        return hours.contains((c.hour ?? 0) * 60 + (c.minute ?? 0))
    }

    /// The first time at or after `ms` outside the quiet hours.
    public func endsAt(after ms: Int64) -> Int64 {
        var t = ms
        var steps = 0
        while contains(t) && steps < 24 * 60 { t += 60_000; steps += 1 }
        return t - t % 60_000
    }
}

/// A notification problem: a config that cannot be used, a secret that cannot be read, a send that failed.
public struct NotifyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
