#if canImport(Glibc)
import Glibc
#endif

/// The agent's diagnostics: one line per event, `vigil-agent: ...`, on standard error by default.
public struct AgentLog: Sendable {
    /// Receives each complete line (without newline).
    public let sink: @Sendable (String) -> Void

    /// A log writing to `sink`; by default to file descriptor 2.
    public init(sink: @escaping @Sendable (String) -> Void = AgentLog.standardError) {
        self.sink = sink
    }

    /// Writes `line` and a newline to standard error in one `write`.
    public static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(2, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                off += n
            }
        }
    }

    /// A log that discards everything.
    public static let silent = AgentLog(sink: { _ in })

    public func info(_ message: String) { sink("vigil-agent: " + message) }
    public func warning(_ message: String) { sink("vigil-agent: warning: " + message) }
    public func error(_ message: String) { sink("vigil-agent: error: " + message) }

    /// `12 KiB`-style sizes for messages.
    public static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return "\((bytes + 512) / 1024) KiB" }
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024)
        return "\(tenths / 10).\(tenths % 10) MiB"
    }
}
