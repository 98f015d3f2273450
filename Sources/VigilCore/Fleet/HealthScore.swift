/// The 0–100 health score of a host: 100 minus penalties, documented in docs/health-score.md.
///
/// Pure: the same inputs always give the same score, so the console, reports and tests agree.
public struct HealthScore: Sendable, Equatable {
    public var status: HostStatus
    public var cpu: Double?
    public var memory: Double?
    public var disk: Double?
    public var load1: Double?
    public var cpus: Int?
    public var checksFailing: Int
    public var recentErrors: Int

    public init(status: HostStatus, cpu: Double?, memory: Double?, disk: Double?, load1: Double?, cpus: Int?,
                checksFailing: Int, recentErrors: Int) {
        self.status = status
        self.cpu = cpu
        self.memory = memory
        self.disk = disk
        self.load1 = load1
        self.cpus = cpus
        self.checksFailing = checksFailing
        self.recentErrors = recentErrors
    }

    /// Each penalty by name, for explaining a score.
    public var penalties: [(String, Double)] {
        var out: [(String, Double)] = []
        if let cpu, cpu > 80 { out.append(("cpu", min(30, (cpu - 80) * 1.5))) }
        if let memory, memory > 85 { out.append(("memory", min(30, (memory - 85) * 2))) }
        if let disk, disk > 80 { out.append(("disk", min(50, (disk - 80) * 2.5))) }
        if let load1, let cpus, cpus > 0 {
            let perCore = load1 / Double(cpus)
            if perCore > 1 { out.append(("load", min(20, (perCore - 1) * 20))) }
        }
        if checksFailing > 0 { out.append(("checks", min(45, Double(checksFailing) * 15))) }
        if recentErrors > 0 { out.append(("errors", min(20, Double(recentErrors)))) }
        return out
    }

    public var score: Int {
        if status == .down { return 0 }
        var s = 100.0 - penalties.reduce(0) { $0 + $1.1 }
        if status == .stale { s = min(s, 50) }
        return Int(max(0, min(100, s)).rounded())
    }

    /// Whether a host last seen at `lastSeen` is up, stale or down at `now`.
    public static func status(lastSeen: Int64, now: Int64, staleAfterMs: Int64 = 30_000, downAfterMs: Int64 = 300_000) -> HostStatus {
        let age = now - lastSeen
        if age >= downAfterMs { return .down }
        if age > staleAfterMs { return .stale }
        return .up
    }
}
