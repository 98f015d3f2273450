/// The documented limits of the ingest protocol. The listener enforces them; the agent keeps within them.
public struct WireLimits: Sendable, Equatable {
    /// Largest request body accepted, after decompression too (413 beyond).
    public var maxBodyBytes: Int = 8 * 1024 * 1024
    public var maxHostLength = 253
    public var maxMetricNameLength = 200
    public var maxLabelNameLength = 100
    public var maxLabelValueLength = 1024
    public var maxLabelsPerSample = 32
    public var maxLogMessageBytes = 16 * 1024
    public var maxLogSourceLength = 512
    public var maxCheckNameLength = 200
    public var maxCheckTargetLength = 1024
    public var maxCheckDetailLength = 4096
    public var maxAgentFieldLength = 256
    /// Timestamps further than this in the future are refused (clock skew guard).
    public var maxFutureSkewMs: Int64 = 10 * 60 * 1000

    public init() {}

    public static let `default` = WireLimits()
}

/// Character-class checks shared by the listener and the agent.
public enum WireNames {
    /// `[A-Za-z0-9._-]{1,253}`
    public static func isValidHost(_ s: String, limit: Int = 253) -> Bool {
        matches(s, limit: limit, first: isHostByte, rest: isHostByte)
    }

    /// Metric names: `[A-Za-z_][A-Za-z0-9_.:]*`, e.g. `cpu.usage_percent`.
    public static func isValidMetricName(_ s: String, limit: Int = 200) -> Bool {
        matches(s, limit: limit, first: isIdentifierStart) { isIdentifierStart($0) || isDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }
    }

    /// Label names: `[A-Za-z_][A-Za-z0-9_]*`.
    public static func isValidLabelName(_ s: String, limit: Int = 100) -> Bool {
        matches(s, limit: limit, first: isIdentifierStart) { isIdentifierStart($0) || isDigit($0) }
    }

    /// Whether `s` has 1 to `limit` bytes, the first accepted by `first` and the others by `rest`.
    static func matches(_ s: String, limit: Int, first: (UInt8) -> Bool, rest: (UInt8) -> Bool) -> Bool {
        var n = 0
        for b in s.utf8 {
            n += 1
            if n > limit || !(n == 1 ? first(b) : rest(b)) { return false }
        }
        return n > 0
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    static func isIdentifierStart(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || b == UInt8(ascii: "_")
    }

    static func isHostByte(_ b: UInt8) -> Bool {
        isIdentifierStart(b) || isDigit(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
    }
}
