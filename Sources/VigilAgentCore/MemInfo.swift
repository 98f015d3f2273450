/// Memory figures from /proc/meminfo, in bytes.
public struct MemInfo: Sendable, Equatable {
    public var totalBytes: Int64
    /// `MemAvailable` (the kernel's estimate of memory available without swapping); on kernels older than
    /// 3.14, `MemFree + Buffers + Cached`.
    public var availableBytes: Int64
    public var swapTotalBytes: Int64
    public var swapFreeBytes: Int64

    public init(totalBytes: Int64, availableBytes: Int64, swapTotalBytes: Int64, swapFreeBytes: Int64) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
        self.swapTotalBytes = swapTotalBytes
        self.swapFreeBytes = swapFreeBytes
    }

    /// Share of memory not available, 0–100.
    public var usedPercent: Double {
        guard totalBytes > 0 else { return 0 }
        return Double(max(0, totalBytes - availableBytes)) / Double(totalBytes) * 100
    }

    /// Share of swap in use, 0–100; 0 when there is no swap.
    public var swapUsedPercent: Double {
        guard swapTotalBytes > 0 else { return 0 }
        return Double(max(0, swapTotalBytes - swapFreeBytes)) / Double(swapTotalBytes) * 100
    }

    /// Parses /proc/meminfo; nil when `MemTotal` is missing.
    public static func parse(_ text: String) -> MemInfo? {
        var values: [Substring: Int64] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            let rest = line[line.index(after: colon)...].split(separator: " ")
            guard let first = rest.first, let n = Int64(first) else { continue }
            values[key] = rest.count > 1 && rest[1] == "kB" ? n * 1024 : n
        }
        guard let total = values["MemTotal"] else { return nil }
        let available = values["MemAvailable"]
            ?? ((values["MemFree"] ?? 0) + (values["Buffers"] ?? 0) + (values["Cached"] ?? 0))
        return MemInfo(totalBytes: total, availableBytes: available,
                       swapTotalBytes: values["SwapTotal"] ?? 0, swapFreeBytes: values["SwapFree"] ?? 0)
    }
}
