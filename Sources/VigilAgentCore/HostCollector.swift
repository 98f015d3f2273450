#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// Space and inode usage of one mounted filesystem, from `statvfs`.
public struct FilesystemUsage: Sendable, Equatable {
    /// Used share of the space available to unprivileged users, 0–100 (what `df` shows as Use%).
    public var usedPercent: Double
    /// Used share of inodes, 0–100; nil for filesystems without a fixed inode table (btrfs, vfat...).
    public var inodesUsedPercent: Double?

    public init(usedPercent: Double, inodesUsedPercent: Double?) {
        self.usedPercent = usedPercent
        self.inodesUsedPercent = inodesUsedPercent
    }

    /// `statvfs(path)`, or nil when it fails or the filesystem reports no blocks.
    public static func of(_ path: String) -> FilesystemUsage? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        let used = Double(s.f_blocks &- s.f_bfree)
        let denominator = used + Double(s.f_bavail)
        guard s.f_blocks > 0, denominator > 0 else { return nil }
        var inodes: Double?
        if s.f_files > 0, s.f_files >= s.f_ffree {
            inodes = Double(s.f_files - s.f_ffree) / Double(s.f_files) * 100
        }
        return FilesystemUsage(usedPercent: used / denominator * 100, inodesUsedPercent: inodes)
    }
}

/// Collects the host metrics documented in `docs/metrics.md` from /proc, /sys and `statvfs`, without
/// running any command.
///
/// Rates (CPU percentages, disk and network throughput) need the previous reading, so the first
/// ``collect(nowMs:monotonicNs:)`` returns gauges only. Not thread-safe: use an instance from one thread
/// (or one task) at a time; the console and the agent each own their own.
public final class HostCollector {
    /// Root of the proc filesystem (a fixture directory in tests).
    public let procRoot: String
    /// Root of the sys filesystem (used to tell whole disks from partitions).
    public let sysRoot: String
    /// Which mounts get `disk.*_percent` metrics.
    public var mountFilter: MountFilter
    /// Where to read the OS name for ``agentInfo()``.
    public var osReleasePath: String
    /// How to measure a mounted filesystem; replaceable for tests.
    public var filesystemUsage: (String) -> FilesystemUsage? = FilesystemUsage.of

    private struct Reading {
        var monotonicNs: UInt64
        var cpu: CPUTimes?
        var disks: [String: DiskCounters]
        var interfaces: [String: InterfaceCounters]
    }

    private var previous: Reading?
    /// The top processes, read in the same pass over /proc as the process and zombie counts.
    public let processTop: ProcessTop
    /// The top processes of the last `collect`.
    public private(set) var processes: [ProcessSample] = []

    /// Creates a collector reading the given roots.
    public init(procRoot: String = "/proc", sysRoot: String = "/sys", mountFilter: MountFilter = .default,
                osReleasePath: String = "/etc/os-release") {
        self.procRoot = procRoot
        self.sysRoot = sysRoot
        self.mountFilter = mountFilter
        self.osReleasePath = osReleasePath
        self.processTop = ProcessTop(procRoot: procRoot)
    }

    /// Reads everything once and returns the samples, stamped `nowMs`. `monotonicNs` measures the
    /// interval for rates (pass explicit values in tests).
    public func collect(nowMs: Int64, monotonicNs: UInt64 = WallClock.monotonicNs()) -> [Sample] {
        var out: [Sample] = []
        out.reserveCapacity(64)
        func add(_ name: String, _ value: Double, _ labels: [String: String] = [:]) {
            if value.isFinite { out.append(Sample(name: name, value: value, ts: nowMs, labels: labels)) }
        }
        var reading = Reading(monotonicNs: monotonicNs, cpu: nil, disks: [:], interfaces: [:])
        let seconds: Double? = previous.flatMap { p in
            monotonicNs > p.monotonicNs ? Double(monotonicNs - p.monotonicNs) / 1e9 : nil
        }

        // CPU
        if let text = read("stat"), let cpu = ProcStat.parse(text) {
            reading.cpu = cpu
            if let before = previous?.cpu, let u = cpu.usage(since: before) {
                add("cpu.usage_percent", u.usagePercent)
                add("cpu.iowait_percent", u.iowaitPercent)
                add("cpu.steal_percent", u.stealPercent)
            }
        }
        // Load
        if let text = read("loadavg"), let l = LoadAverage.parse(text) {
            add("load.1", l.one)
            add("load.5", l.five)
            add("load.15", l.fifteen)
        }
        // Memory
        if let text = read("meminfo"), let m = MemInfo.parse(text) {
            add("mem.used_percent", m.usedPercent)
            add("mem.available_bytes", Double(m.availableBytes))
            add("swap.used_percent", m.swapUsedPercent)
        }
        // Filesystems
        if let text = read("self/mountinfo") {
            for m in mountFilter.select(MountInfo.parse(text)) {
                guard let u = filesystemUsage(m.mountPoint) else { continue }
                add("disk.used_percent", u.usedPercent, ["mount": m.mountPoint])
                if let i = u.inodesUsedPercent { add("disk.inodes_used_percent", i, ["mount": m.mountPoint]) }
            }
        }
        // Block devices
        if let text = read("diskstats") {
            let whole = FileSystem.listDirectory(sysRoot + "/block").map(Set.init)
            for d in DiskStats.select(DiskStats.parse(text), wholeDisks: whole) {
                reading.disks[d.device] = d
                guard let seconds, let before = previous?.disks[d.device] else { continue }
                let labels = ["device": d.device]
                if let r = CounterRate.perSecond(previous: before.readBytes, current: d.readBytes, seconds: seconds) {
                    add("disk.read_bytes_per_s", r, labels)
                }
                if let w = CounterRate.perSecond(previous: before.writeBytes, current: d.writeBytes, seconds: seconds) {
                    add("disk.write_bytes_per_s", w, labels)
                }
            }
        }
        // Network interfaces
        if let text = read("net/dev") {
            for n in NetDev.parse(text) where n.interface != "lo" {
                reading.interfaces[n.interface] = n
                guard let seconds, let before = previous?.interfaces[n.interface] else { continue }
                let labels = ["interface": n.interface]
                let pairs: [(String, UInt64, UInt64)] = [
                    ("net.rx_bytes_per_s", before.rxBytes, n.rxBytes),
                    ("net.tx_bytes_per_s", before.txBytes, n.txBytes),
                    ("net.errors_per_s", before.errors, n.errors),
                    ("net.drops_per_s", before.drops, n.drops),
                ]
                for (name, a, b) in pairs {
                    if let r = CounterRate.perSecond(previous: a, current: b, seconds: seconds) { add(name, r, labels) }
                }
            }
        }
        // Processes
        processes = processTop.sample(nowMs: nowMs, monotonicNs: monotonicNs)
        if let (count, zombies) = processTop.counts {
            add("proc.count", Double(count))
            add("proc.zombies", Double(zombies))
        }
        // TCP
        var tcp = TCPStateCounter()
        var sawTCP = false
        for file in ["net/tcp", "net/tcp6"] {
            if FileSystem.forEachChunk(procRoot + "/" + file, { tcp.feed($0) }) { sawTCP = true }
            tcp.finishFile()
        }
        if sawTCP {
            add("tcp.established", Double(tcp.established))
            add("tcp.time_wait", Double(tcp.timeWait))
            add("tcp.close_wait", Double(tcp.closeWait))
        }
        // Uptime
        if let text = read("uptime"), let up = Uptime.parse(text) {
            add("uptime.seconds", up)
        }
        previous = reading
        return out
    }

    /// What the agent reports about itself and this machine.
    public func agentInfo() -> AgentInfo {
        var u = utsname()
        uname(&u)
        let memory = read("meminfo").flatMap(MemInfo.parse)?.totalBytes ?? 0
        return AgentInfo(version: VigilVersion.current,
                         os: FileSystem.readText(osReleasePath).map(OSRelease.prettyName) ?? "Linux",
                         kernel: Self.cString(&u.release),
                         arch: Self.cString(&u.machine),
                         cpus: max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))),
                         memory: memory)
    }

    /// This machine's host name (`gethostname`), or "localhost" when it has none.
    public func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "localhost" }
        let name = FileSystem.string(fromCString: buf)
        return name.isEmpty ? "localhost" : name
    }

    private func read(_ relative: String) -> String? {
        FileSystem.readText(procRoot + "/" + relative, limit: 4 * 1024 * 1024)
    }

    private static func cString<T>(_ tuple: inout T) -> String {
        withUnsafeBytes(of: &tuple) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
