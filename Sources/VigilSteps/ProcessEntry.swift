#if canImport(Glibc)
import Glibc
#endif
import VigilAgentCore

/// One process from /proc/PID/stat.
public struct ProcessEntry: Sendable, Equatable {
    public var pid: Int32
    public var ppid: Int32
    /// The command name (comm), at most 15 bytes, possibly with spaces or parentheses.
    public var comm: String
    /// R, S, D, Z, T, …
    public var state: Character
    /// Clock ticks since boot when it started: with the pid, identifies the process across a scan and a signal.
    public var startTime: UInt64
    public var rssBytes: Int64
    /// A kernel thread (PF_KTHREAD): never a target.
    public var isKernelThread: Bool

    public init(pid: Int32, ppid: Int32, comm: String, state: Character, startTime: UInt64, rssBytes: Int64,
                isKernelThread: Bool) {
        self.pid = pid
        self.ppid = ppid
        self.comm = comm
        self.state = state
        self.startTime = startTime
        self.rssBytes = rssBytes
        self.isKernelThread = isKernelThread
    }

    public var isZombie: Bool { state == "Z" }

    /// `PID (comm)` safe to print.
    public var label: String { "\(pid) (\(StepText.shown(comm)))" }

    /// Parses the text of /proc/PID/stat. The name is between the first `(` and the LAST `)`.
    public static func parse(_ text: String, pageSize: Int64 = 4096) -> ProcessEntry? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close,
              let pid = Int32(text[..<open].trimmingCharacters(" ")) else { return nil }
        let comm = String(text[text.index(after: open)..<close])
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 21, let state = fields[0].first, let ppid = Int32(fields[1]),
              let flags = UInt64(fields[6]), let start = UInt64(fields[19]), let rss = Int64(fields[21]) else { return nil }
        return ProcessEntry(pid: pid, ppid: ppid, comm: comm, state: state, startTime: start,
                            rssBytes: max(0, rss) * pageSize, isKernelThread: flags & 0x0020_0000 != 0)
    }

    /// Reads one process; nil when it is gone.
    public static func read(pid: Int32) -> ProcessEntry? {
        guard let text = FileSystem.readText("/proc/\(pid)/stat", limit: 4096) else { return nil }
        return parse(text, pageSize: Int64(sysconf(Int32(_SC_PAGESIZE))))
    }

    /// Every process now.
    public static func scan() -> [ProcessEntry] {
        let page = Int64(sysconf(Int32(_SC_PAGESIZE)))
        var out: [ProcessEntry] = []
        for name in FileSystem.listDirectory("/proc") ?? [] {
            guard let pid = Int32(name), pid > 0,
                  let text = FileSystem.readText("/proc/\(pid)/stat", limit: 4096),
                  let entry = parse(text, pageSize: page) else { continue }
            out.append(entry)
        }
        return out.sorted { $0.pid < $1.pid }
    }

    /// True when `pid` still names this very process (same start time) and it is not yet a zombie.
    public func isStillRunning() -> Bool {
        guard let now = ProcessEntry.read(pid: pid) else { return false }
        return now.startTime == startTime && !now.isZombie
    }

    /// The systemd unit a process belongs to, from the text of /proc/PID/cgroup: the deepest path component
    /// ending in `.service` (or `.scope` is ignored: scopes are not restartable) on the unified (`0::`) line,
    /// else on the `name=systemd` line. Nil when there is none.
    public static func unit(fromCgroup text: String) -> String? {
        var unified: String?
        var legacy: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" && parts[1].isEmpty { unified = String(parts[2]) }
            if parts[1] == "name=systemd" { legacy = String(parts[2]) }
        }
        for path in [unified, legacy].compactMap({ $0 }) {
            if let unit = path.split(separator: "/").last(where: { $0.hasSuffix(".service") }),
               (try? ArgumentValidator.unitName(String(unit), argument: "cgroup")) != nil {
                return String(unit)
            }
        }
        return nil
    }

    /// The unit of a live process.
    public static func unit(pid: Int32) -> String? {
        FileSystem.readText("/proc/\(pid)/cgroup", limit: 64 * 1024).flatMap { unit(fromCgroup: $0) }
    }
}

extension Substring {
    func trimmingCharacters(_ c: Character) -> Substring {
        var s = self
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return s
    }
}
