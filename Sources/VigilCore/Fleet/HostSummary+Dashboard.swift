extension HostSummary {
    /// The metrics the dashboard shows per host, how far back its sparklines reach, and in how many slots.
    public static let dashboardMetrics: Set<String> = ["cpu.usage_percent", "mem.used_percent", "disk.used_percent", "load.1"]
    public static let dashboardWindowMs: Int64 = 30 * 60_000
    public static let dashboardSlots = 30

    /// Sets the latest key metrics and the sparklines from this host's dashboard series (any order; several
    /// `disk.used_percent` series give the fullest mount), then scores the host's health. The one place both
    /// stores and the console's `FleetTracker` turn points into a dashboard row.
    public mutating func applyDashboard(_ series: [(name: String, points: [SeriesPoint])], now: Int64) {
        let from = now - Self.dashboardWindowMs
        var diskMax: Double?
        for (name, pts) in series {
            switch name {
            case "cpu.usage_percent":
                cpu = pts.last?.value
                cpuHistory = Sparkline.slots(pts, from: from, to: now, count: Self.dashboardSlots)
            case "mem.used_percent":
                memory = pts.last?.value
                memoryHistory = Sparkline.slots(pts, from: from, to: now, count: Self.dashboardSlots)
            case "disk.used_percent":
                if let v = pts.last?.value { diskMax = max(diskMax ?? v, v) }
            case "load.1":
                load1 = pts.last?.value
            default:
                break
            }
        }
        disk = diskMax
        rescore()
    }

    /// The health score from what the summary holds now.
    public mutating func rescore() {
        health = HealthScore(status: status, cpu: cpu, memory: memory, disk: disk, load1: load1, cpus: cpus,
                             checksFailing: checksFailing, recentErrors: recentErrors).score
    }
}
