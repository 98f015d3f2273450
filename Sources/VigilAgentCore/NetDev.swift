/// Cumulative counters of one network interface.
public struct InterfaceCounters: Sendable, Equatable {
    public var interface: String
    public var rxBytes: UInt64
    public var txBytes: UInt64
    /// Receive plus transmit errors.
    public var errors: UInt64
    /// Receive plus transmit drops.
    public var drops: UInt64

    public init(interface: String, rxBytes: UInt64, txBytes: UInt64, errors: UInt64, drops: UInt64) {
        self.interface = interface
        self.rxBytes = rxBytes
        self.txBytes = txBytes
        self.errors = errors
        self.drops = drops
    }
}

/// Parser for /proc/net/dev.
public enum NetDev {
    /// Every interface line (the two header lines and malformed lines are skipped), `lo` included.
    public static func parse(_ text: String) -> [InterfaceCounters] {
        var out: [InterfaceCounters] = []
        for line in text.split(separator: "\n") {
            // The name ends at the colon; old kernels glue the first counter to it ("eth0:1234").
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(" ")
            let f = line[line.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true)
            guard !name.isEmpty, f.count >= 16 else { continue }
            let v = f.prefix(16).map { UInt64($0) }
            guard !v.contains(where: { $0 == nil }) else { continue }
            let n = v.map { $0! }
            out.append(InterfaceCounters(interface: name, rxBytes: n[0], txBytes: n[8],
                                         errors: n[2] &+ n[10], drops: n[3] &+ n[11]))
        }
        return out
    }
}

extension Substring {
    /// The substring without leading and trailing `c`.
    func trimmingCharacters(_ c: Character) -> String {
        var s = self[...]
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}
