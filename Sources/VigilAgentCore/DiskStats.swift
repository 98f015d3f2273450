/// Cumulative I/O counters of one block device.
public struct DiskCounters: Sendable, Equatable {
    public var device: String
    public var readBytes: UInt64
    public var writeBytes: UInt64

    public init(device: String, readBytes: UInt64, writeBytes: UInt64) {
        self.device = device
        self.readBytes = readBytes
        self.writeBytes = writeBytes
    }
}

/// Parser for /proc/diskstats.
public enum DiskStats {
    /// /proc/diskstats counts sectors of 512 bytes whatever the device's real sector size.
    public static let sectorBytes: UInt64 = 512

    /// Every device line, in file order. Malformed lines are skipped.
    public static func parse(_ text: String) -> [DiskCounters] {
        var out: [DiskCounters] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            // major minor name reads merged sectors_read ms writes merged sectors_written ...
            guard f.count >= 10, let sr = UInt64(f[5]), let sw = UInt64(f[9]) else { continue }
            out.append(DiskCounters(device: String(f[2]), readBytes: sr &* sectorBytes, writeBytes: sw &* sectorBytes))
        }
        return out
    }

    /// The devices worth reporting: whole disks only (names listed in /sys/block, where `/` in a name
    /// appears as `!`), never `loop*` or `ram*`. With `wholeDisks` nil (no /sys), every device but those.
    public static func select(_ devices: [DiskCounters], wholeDisks: Set<String>?) -> [DiskCounters] {
        devices.filter { d in
            if d.device.hasPrefix("loop") || d.device.hasPrefix("ram") { return false }
            guard let wholeDisks else { return true }
            return wholeDisks.contains(d.device) || wholeDisks.contains(d.device.replacingSlashes())
        }
    }
}

extension String {
    fileprivate func replacingSlashes() -> String {
        String(map { $0 == "/" ? "!" : $0 })
    }
}
