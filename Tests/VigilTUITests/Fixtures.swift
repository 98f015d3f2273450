import Foundation
@_exported import VigilTestSupport
@testable import VigilTUI
import VigilCore
import VigilWire

/// Hand-built fleet values for rendering tests.
enum Fixtures {
    /// "Now" for every test: 2024-01-01T00:00:00Z.
    static let now: Int64 = 1_704_067_200_000

    static func host(_ name: String, health: Int, status: HostStatus = .up, cpu: Double? = nil, memory: Double? = nil,
                     disk: Double? = nil, load: Double? = nil, labels: [String: String] = [:], lastSeenAgo: Int64 = 3_000,
                     checks: (failing: Int, total: Int) = (0, 0), errors: Int = 0, history: [Double?] = []) -> HostSummary {
        HostSummary(name: name, labels: labels, agent: AgentInfo(version: "0.3.1", os: "Debian 12", kernel: "6.1.0", arch: "x86_64", cpus: 4, memory: 8 << 30),
                    firstSeen: now - 5 * 86_400_000, lastSeen: now - lastSeenAgo, status: status, health: health, cpu: cpu,
                    memory: memory, disk: disk, load1: load, cpuHistory: history, memoryHistory: history,
                    checksTotal: checks.total, checksFailing: checks.failing, recentErrors: errors)
    }

    static let fleet = FleetSnapshot(takenAt: now, hosts: [
        host("web-1", health: 92, cpu: 12.5, memory: 40.2, disk: 55, load: 0.42, labels: ["env": "prod", "role": "web"],
             checks: (0, 3), history: [0, 25, 50, 75, 100]),
        host("web-2", health: 71, cpu: 88.1, memory: 62, disk: 81, load: 3.1, labels: ["env": "prod", "role": "web"],
             checks: (1, 3), errors: 4),
        host("db-1", health: 34, status: .stale, cpu: 97, memory: 91, disk: 93, load: 12.4,
             labels: ["env": "prod", "role": "db"], lastSeenAgo: 240_000, checks: (2, 2), errors: 17),
        host("cache-1", health: 100, cpu: 3, memory: 20, disk: 10, load: 0.05, labels: ["env": "staging", "role": "cache"],
             lastSeenAgo: 1_000),
        host("batch-1", health: 10, status: .down, labels: ["env": "staging", "role": "batch"], lastSeenAgo: 2 * 3_600_000),
    ])

    static let detail = HostDetail(
        summary: fleet.hosts[1],
        series: [
            SeriesSummary(name: "cpu.usage_percent", labels: [:], latest: 88.1, latestTs: now - 2_000, history: [10, 50, 90]),
            SeriesSummary(name: "net.rx_bytes_per_s", labels: ["iface": "eth0"], latest: 1_572_864, latestTs: now - 2_000, history: [1, 2, 3]),
            SeriesSummary(name: "mem.available_bytes", labels: [:], latest: 3.5 * 1_073_741_824, latestTs: now - 2_000, history: []),
            SeriesSummary(name: "uptime.seconds", labels: [:], latest: 3 * 86_400 + 4 * 3_600, latestTs: now - 2_000, history: []),
        ],
        checks: [
            CheckStatus(name: "nginx", kind: .http, target: "http://localhost/health", ok: true, latencyMs: 12.4,
                        detail: "200 OK", ts: now - 5_000, failingFor: 0),
            CheckStatus(name: "postgres", kind: .tcp, target: "db-1:5432", ok: false, latencyMs: 3_000,
                        detail: "connection timed out", ts: now - 5_000, failingFor: 7),
        ],
        logs: [
            StoredLog(id: 1, host: "web-2", ts: now - 60_000, source: "nginx", level: .info, message: "GET /health 200"),
            StoredLog(id: 2, host: "web-2", ts: now - 30_000, source: "app", level: .error, message: "upstream timed out"),
        ])

    /// The repository root (for `themes/`).
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var themesDirectory: String { repoRoot + "/themes" }

    /// A dashboard that has received `fleet`.
    static func dashboard(_ snapshot: FleetSnapshot = fleet) -> DashboardPane {
        let pane = DashboardPane()
        _ = pane.receive(.fleet(snapshot), now: now)
        return pane
    }

    /// Renders a pane into a canvas of the given size.
    static func render(_ pane: any Pane, width: Int = 160, height: Int = 20, glyphs: Glyphs = .unicode) -> Canvas {
        var canvas = Canvas(width: width, height: height, glyphs: glyphs)
        pane.render(into: &canvas, in: canvas.bounds, context: RenderContext(now: now, glyphs: glyphs, focused: true))
        return canvas
    }

    /// Host names in the order the dashboard canvas shows them (table rows only: after summary, box top, header).
    static func hostOrder(_ canvas: Canvas, among names: [String] = fleet.hosts.map(\.name)) -> [String] {
        canvas.lines().dropFirst(3).compactMap { line in
            let words = line.split { " │|▶>".contains($0) }
            return names.first { name in words.contains { $0 == name } }
        }
    }
}
