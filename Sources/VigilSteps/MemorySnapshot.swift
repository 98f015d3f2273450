import VigilAgentCore

/// The memory figures the memory programs use, from /proc/meminfo (bytes).
public struct MemorySnapshot: Sendable, Equatable {
    public var total: Int64
    public var available: Int64
    /// Page cache (`Cached`).
    public var cached: Int64

    public init(total: Int64, available: Int64, cached: Int64) {
        self.total = total
        self.available = available
        self.cached = cached
    }

    /// Parses /proc/meminfo text; nil when MemTotal is missing or zero.
    public static func parse(_ text: String) -> MemorySnapshot? {
        var values: [Substring: Int64] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let rest = line[line.index(after: colon)...].split(separator: " ")
            guard let first = rest.first, let n = Int64(first) else { continue }
            values[line[..<colon]] = rest.count > 1 && rest[1] == "kB" ? n * 1024 : n
        }
        guard let total = values["MemTotal"], total > 0 else { return nil }
        let available = values["MemAvailable"] ?? ((values["MemFree"] ?? 0) + (values["Buffers"] ?? 0) + (values["Cached"] ?? 0))
        return MemorySnapshot(total: total, available: available, cached: values["Cached"] ?? 0)
    }

    /// Reads /proc/meminfo now.
    public static func read() throws(StepError) -> MemorySnapshot {
        guard let text = FileSystem.readText("/proc/meminfo"), let snapshot = parse(text) else {
            throw .failed("cannot read /proc/meminfo")
        }
        return snapshot
    }

    /// `part` as a percentage of total memory.
    public func percent(_ part: Int64) -> Double { Double(part) / Double(total) * 100 }
}
