#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// The busiest processes each cycle, from /proc: the top `count` by CPU since the previous look and the top `count`
/// by resident memory (their union, so at most 2 × `count`). Reads every `/proc/PID/stat` (one small read each),
/// then `status` (for the user) and `cmdline` only for the processes reported. The first look has no CPU figures
/// (rates need two readings), so it reports the top by memory. Not thread-safe: one instance per collector.
public final class ProcessTop {
    public let procRoot: String
    public let count: Int
    private let ticksPerSecond: Double
    private let pageSize: Int64
    private var bootMs: Int64?
    /// pid → (start ticks, CPU ticks) at the previous look, and when it was (monotonic ns).
    private var previous: [Int: (start: Int64, ticks: Int64)] = [:]
    private var previousAt: UInt64?
    private var users: [UInt32: String] = [:]
    /// Every process and the zombies among them at the last look (each readable `stat` counts).
    public private(set) var counts: (processes: Int, zombies: Int)?

    public init(procRoot: String = "/proc", count: Int = 10) {
        self.procRoot = procRoot
        self.count = count
        ticksPerSecond = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))
        pageSize = Int64(max(1, sysconf(Int32(_SC_PAGESIZE))))
    }

    struct Stat {
        var pid: Int
        var name: String
        var state: String
        var ticks: Int64
        var start: Int64
        var rssPages: Int64
    }

    /// Parses one `/proc/PID/stat` (the name sits in parentheses and may hold spaces and parentheses).
    static func parse(_ text: String, pid: Int) -> Stat? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
        let name = String(text[text.index(after: open)..<close])
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 21, let utime = Int64(fields[11]), let stime = Int64(fields[12]), let start = Int64(fields[19]),
              let rss = Int64(fields[21]) else { return nil }
        return Stat(pid: pid, name: name, state: String(fields[0]), ticks: utime + stime, start: start, rssPages: rss)
    }

    public func sample(nowMs: Int64, monotonicNs: UInt64 = WallClock.monotonicNs()) -> [ProcessSample] {
        guard let names = FileSystem.listDirectory(procRoot) else { return [] }
        if bootMs == nil { bootMs = Self.bootTime(procRoot: procRoot) }
        var stats: [Stat] = []
        stats.reserveCapacity(names.count)
        var total = 0, zombies = 0
        for name in names {
            // A process may exit between the listing and the read: it is then not counted.
            guard let pid = Int(name), pid > 0, let text = FileSystem.readText(procRoot + "/" + name + "/stat", limit: 4096) else { continue }
            total += 1
            if ProcessStat.state(text) == "Z" { zombies += 1 }
            if let s = Self.parse(text, pid: pid) { stats.append(s) }
        }
        counts = (total, zombies)
        let elapsed = previousAt.map { Double(monotonicNs &- $0) / 1e9 } ?? 0
        var cpu: [Int: Double] = [:]
        if elapsed > 0 {
            for s in stats {
                // The same pid with another start time is another process: no rate for it yet.
                guard let p = previous[s.pid], p.start == s.start, s.ticks >= p.ticks else { continue }
                cpu[s.pid] = Double(s.ticks - p.ticks) / ticksPerSecond / elapsed * 100
            }
        }
        previous = Dictionary(stats.map { ($0.pid, ($0.start, $0.ticks)) }, uniquingKeysWith: { a, _ in a })
        previousAt = monotonicNs
        var chosen = Set<Int>()
        if !cpu.isEmpty {
            for s in stats.filter({ (cpu[$0.pid] ?? 0) > 0 }).sorted(by: { (cpu[$0.pid] ?? 0, $1.pid) > (cpu[$1.pid] ?? 0, $0.pid) }).prefix(count) {
                chosen.insert(s.pid)
            }
        }
        for s in stats.filter({ $0.rssPages > 0 }).sorted(by: { ($0.rssPages, $1.pid) > ($1.rssPages, $0.pid) }).prefix(count) { chosen.insert(s.pid) }
        return stats.filter { chosen.contains($0.pid) }.sorted { $0.pid < $1.pid }.map { s in
            ProcessSample(pid: s.pid, user: user(of: s.pid), command: command(of: s), cpuPercent: ((cpu[s.pid] ?? 0) * 10).rounded() / 10,
                          rssBytes: s.rssPages * pageSize, state: s.state,
                          startedAt: (bootMs ?? 0) + Int64(Double(s.start) / ticksPerSecond * 1000), ts: nowMs)
        }
    }

    /// The command line with NULs as spaces, at most 256 bytes; the stat name in brackets for kernel threads.
    private func command(of s: Stat) -> String {
        guard let bytes = FileSystem.readBytes(procRoot + "/\(s.pid)/cmdline", limit: 4096), !bytes.isEmpty else { return "[\(s.name)]" }
        var b = bytes.map { $0 == 0 ? UInt8(ascii: " ") : $0 }
        while b.last == UInt8(ascii: " ") { b.removeLast() }
        if b.count > 256 { b = Array(b.prefix(256)) }
        let text = String(decoding: b, as: UTF8.self)
        return text.isEmpty ? "[\(s.name)]" : text
    }

    /// The name of the process's real user (its uid when the name is unknown).
    private func user(of pid: Int) -> String {
        guard let status = FileSystem.readText(procRoot + "/\(pid)/status", limit: 8192),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
              let uid = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap({ UInt32($0) }) else { return "?" }
        if let known = users[uid] { return known }
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let name: String
        if getpwuid_r(uid, &pwd, &buffer, buffer.count, &result) == 0, result != nil, let n = pwd.pw_name {
            name = String(cString: n)
        } else {
            name = String(uid)
        }
        users[uid] = name
        return name
    }

    /// Boot time (Unix ms) from `btime` in /proc/stat.
    static func bootTime(procRoot: String) -> Int64? {
        guard let stat = FileSystem.readText(procRoot + "/stat", limit: 1 << 20),
              let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let seconds = line.split(separator: " ").dropFirst().first.flatMap({ Int64($0) }) else { return nil }
        return seconds * 1000
    }
}
