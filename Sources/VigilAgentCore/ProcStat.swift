/// Cumulative CPU time of the whole machine, in clock ticks, from the `cpu` line of /proc/stat.
public struct CPUTimes: Sendable, Equatable {
    public var user: UInt64
    public var nice: UInt64
    public var system: UInt64
    public var idle: UInt64
    public var iowait: UInt64
    public var irq: UInt64
    public var softirq: UInt64
    public var steal: UInt64

    public init(user: UInt64 = 0, nice: UInt64 = 0, system: UInt64 = 0, idle: UInt64 = 0, iowait: UInt64 = 0,
                irq: UInt64 = 0, softirq: UInt64 = 0, steal: UInt64 = 0) {
        self.user = user
        self.nice = nice
        self.system = system
        self.idle = idle
        self.iowait = iowait
        self.irq = irq
        self.softirq = softirq
        self.steal = steal
    }

    /// All accounted time. `guest` and `guest_nice` are already included in `user` and `nice`.
    public var total: UInt64 { user &+ nice &+ system &+ idle &+ iowait &+ irq &+ softirq &+ steal }

    /// CPU usage between `previous` and `self`, or nil when a counter went backwards or no time passed.
    public func usage(since previous: CPUTimes) -> CPUUsage? {
        let pairs: [(UInt64, UInt64)] = [(user, previous.user), (nice, previous.nice), (system, previous.system),
                                         (idle, previous.idle), (iowait, previous.iowait), (irq, previous.irq),
                                         (softirq, previous.softirq), (steal, previous.steal)]
        for (now, before) in pairs where now < before { return nil }
        let dTotal = Double(total - previous.total)
        guard dTotal > 0 else { return nil }
        let dIdle = Double(idle - previous.idle)
        let dIowait = Double(iowait - previous.iowait)
        let dSteal = Double(steal - previous.steal)
        return CPUUsage(usagePercent: (dTotal - dIdle - dIowait) / dTotal * 100,
                        iowaitPercent: dIowait / dTotal * 100,
                        stealPercent: dSteal / dTotal * 100)
    }
}

/// CPU usage over an interval, as percentages of all CPU time (0–100 whatever the number of CPUs).
public struct CPUUsage: Sendable, Equatable {
    /// Time neither idle nor waiting for I/O.
    public var usagePercent: Double
    public var iowaitPercent: Double
    public var stealPercent: Double
}

/// Parser for /proc/stat.
public enum ProcStat {
    /// The aggregate `cpu` line, or nil when absent or malformed.
    public static func parse(_ text: String) -> CPUTimes? {
        for line in text.split(separator: "\n") where line.hasPrefix("cpu ") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().map { UInt64($0) }
            guard f.count >= 4, !f.contains(where: { $0 == nil }) else { return nil }
            let v = f.map { $0! } + [UInt64](repeating: 0, count: max(0, 8 - f.count))
            return CPUTimes(user: v[0], nice: v[1], system: v[2], idle: v[3], iowait: v[4],
                            irq: v[5], softirq: v[6], steal: v[7])
        }
        return nil
    }
}
