import VigilWire

/// How long each kind of data is kept. One policy per database (every engine sharing it applies the same), kept in
/// the store's settings under `retention.KEY` and changed with `vigil db retention set KEY=VALUE`.
public struct RetentionPolicy: Sendable, Equatable {
    static let day: Int64 = 86_400_000

    /// Raw samples; older ones live on as 5-minute rollups.
    public var raw: Int64 = 15 * day
    /// 5-minute rollups (min, max, avg, count, last); older ones live on as 1-hour rollups.
    public var fiveMinute: Int64 = 90 * day
    /// 1-hour rollups.
    public var hourly: Int64 = 730 * day
    /// Log lines by age, and by total size (the oldest go first).
    public var logs: Int64 = 30 * day
    public var logBytes: Int64 = 2 << 30
    /// Check results (the SLA reads up to 90 days of them).
    public var checks: Int64 = 90 * day
    /// Chat conversations whose last message is older.
    public var chat: Int64 = 90 * day
    /// The anomaly scanner's score series (raw and rollups).
    public var anomalyScores: Int64 = 30 * day
    /// The log of AI calls.
    public var aiCalls: Int64 = 90 * day
    /// Generated daily and weekly reports.
    public var reports: Int64 = 365 * day
    /// The top processes agents report each cycle.
    public var processes: Int64 = 7 * day
    /// The long-running and slow database queries the probes report.
    public var dbQueries: Int64 = 30 * day
    /// The agents' TCP connections, by when they were last seen.
    public var connections: Int64 = 7 * day
    /// Services' daily availability rollups and their recorded SLA violations (a year and a quarter: last year's
    /// quarter compares with this one).
    public var sla: Int64 = 455 * day

    public init() {}

    public static let settingPrefix = "retention."

    /// The keys, in the order they are shown, with what each keeps.
    public static let keys: [(key: String, what: String)] = [
        ("raw", "raw samples"), ("rollup_5m", "5-minute rollups"), ("rollup_1h", "1-hour rollups"),
        ("logs", "log lines by age"), ("log_bytes", "log lines by total size"), ("checks", "check results"),
        ("chat", "chat conversations"), ("anomaly_scores", "anomaly score series"), ("ai_calls", "the AI call log"),
        ("reports", "reports"), ("processes", "top processes"), ("db_queries", "slow and long database queries"),
        ("connections", "TCP connections agents saw (topology discovery)"),
        ("sla", "services' daily availability and SLA violations"),
    ]

    static var paths: [String: WritableKeyPath<RetentionPolicy, Int64>] {
        ["raw": \.raw, "rollup_5m": \.fiveMinute, "rollup_1h": \.hourly, "logs": \.logs, "log_bytes": \.logBytes,
         "checks": \.checks, "chat": \.chat, "anomaly_scores": \.anomalyScores, "ai_calls": \.aiCalls, "reports": \.reports,
         "processes": \.processes, "db_queries": \.dbQueries, "connections": \.connections, "sla": \.sla]
    }

    public subscript(key: String) -> Int64? { Self.paths[key].map { self[keyPath: $0] } }

    /// Sets `key` from text (`30d`, `12h`; `log_bytes` takes `500MB`, `2GB`), naming what is wrong.
    public mutating func set(_ key: String, _ text: String) throws(RetentionError) {
        guard let path = Self.paths[key] else {
            throw RetentionError("unknown retention key '\(key)': one of \(Self.keys.map(\.key).joined(separator: ", "))")
        }
        let value: Int64?
        if key == "log_bytes" { value = Self.bytes(text) } else { value = DurationText.milliseconds(text) }
        guard let value, value > 0 else {
            throw RetentionError(key == "log_bytes" ? "log_bytes '\(text)' is not a size (e.g. 500MB, 2GB)"
                                                    : "\(key) '\(text)' is not a duration (e.g. 15d, 12h, 2w)")
        }
        var next = self
        next[keyPath: path] = value
        try next.validate()
        self = next
    }

    /// Puts `key` back to its default.
    public mutating func reset(_ key: String) throws(RetentionError) {
        guard let path = Self.paths[key] else {
            throw RetentionError("unknown retention key '\(key)': one of \(Self.keys.map(\.key).joined(separator: ", "))")
        }
        var next = self
        next[keyPath: path] = RetentionPolicy()[keyPath: path]
        try next.validate()
        self = next
    }

    /// Rollups must outlive what they summarise, and raw must outlast the hour that waits for late samples.
    public func validate() throws(RetentionError) {
        if raw < 2 * 3_600_000 { throw RetentionError("raw must be at least 2h (the last hour waits for late samples before it is rolled up)") }
        if fiveMinute < raw { throw RetentionError("rollup_5m (\(Self.text(fiveMinute))) must be at least raw (\(Self.text(raw)))") }
        if hourly < fiveMinute { throw RetentionError("rollup_1h (\(Self.text(hourly))) must be at least rollup_5m (\(Self.text(fiveMinute)))") }
    }

    /// The policy in the store's settings over the defaults. A bad stored value is named, not ignored.
    public static func load(from store: any Store) async throws -> RetentionPolicy {
        var policy = RetentionPolicy()
        for s in try await store.settings(prefix: settingPrefix) {
            let key = String(s.key.dropFirst(settingPrefix.count))
            guard paths[key] != nil else { continue }
            do { try policy.set(key, s.value) } catch { throw RetentionError("setting \(s.key) = '\(s.value)': \(error.message)") }
        }
        return policy
    }

    public func text(_ key: String) -> String {
        guard let v = self[key] else { return "" }
        return key == "log_bytes" ? Self.bytesText(v) : Self.text(v)
    }

    static func text(_ ms: Int64) -> String {
        if ms % day == 0 { return "\(ms / day)d" }
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        return "\(ms / 60_000)m"
    }

    static func bytesText(_ b: Int64) -> String {
        if b % (1 << 30) == 0 { return "\(b >> 30)GB" }
        if b % (1 << 20) == 0 { return "\(b >> 20)MB" }
        return "\(b)B"
    }

    /// `500MB`, `2GB`, `1.5GB`, `100KB`, a bare number of bytes (binary units).
    static func bytes(_ text: String) -> Int64? {
        let t = text.uppercased().filter { $0 != " " }
        for (suffix, scale) in [("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)] as [(String, Int64)]
        where t.hasSuffix(suffix) {
            guard let n = Double(t.dropLast(suffix.count)), n > 0, n * Double(scale) < 9e18 else { return nil }
            return Int64(n * Double(scale))
        }
        return Int64(t)
    }
}

public struct RetentionError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
