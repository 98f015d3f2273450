import VigilCore
import VigilWire

/// The window the SLA pane measures over (`t` cycles).
enum SLAWindow: Int, CaseIterable, Equatable, Sendable {
    case d1, d7, d30

    var label: String {
        switch self {
        case .d1: "24h"
        case .d7: "7d"
        case .d30: "30d"
        }
    }

    var milliseconds: Int64 {
        switch self {
        case .d1: 86_400_000
        case .d7: 7 * 86_400_000
        case .d30: 30 * 86_400_000
        }
    }

    func cycled(_ step: Int) -> SLAWindow {
        let n = Self.allCases.count
        return SLAWindow(rawValue: ((rawValue + step) % n + n) % n)!
    }
}

/// What the SLA pane measured, for one window.
struct SLASnapshot: Equatable, Sendable {
    var window: SLAWindow
    var takenAt: Int64
    var report: SLAReport
    /// The services of `topology.yaml` with an objective, each over its own window.
    var services: [ServiceSLA] = []
    /// Why the topology file was left out, when it was.
    var configError: String?
    /// The check results read hit the limit: later time counts as unknown.
    var truncated: Bool
}

/// Reads every check result of the window and measures it (`SLAReport`), at most every 30 s (it reads every result
/// of the window) or when the window changes. Objectives come from the engine's `slo_burn` rules when this console
/// runs it, else 99.9 %. The services of `topology.yaml` with an objective are measured over their own windows
/// (`ServiceSLAReport`: daily rollups and the results they do not cover).
final class SLAFetcher: Sendable {
    static let refreshEvery: Int64 = 30_000
    static let resultLimit = 5_000_000
    static let defaultObjective = 99.9
    static let trendSlots = 24

    private let last = Locked<SLASnapshot?>(nil)
    private let configPath: String?

    init(configPath: String? = TopologyConfig.defaultPath()) {
        self.configPath = configPath
    }

    func fetch(_ store: any Store, window: SLAWindow, rules: [AlertRule]?, now: Int64) async -> ConsoleMessage {
        // Fresh enough: the last measure again (a pane opened now gets it at once).
        if let s = last.withLock({ $0 }), s.window == window, now - s.takenAt < Self.refreshEvery { return .sla(s) }
        do {
            let history = try await store.checkHistory(from: now - window.milliseconds - 600_000, to: now, limit: Self.resultLimit)
            let count = history.values.reduce(0) { $0 + $1.count }
            let rules = rules ?? []
            let report = SLAReport.make(history, window: window.milliseconds, matcher: nil, now: now, trendSlots: Self.trendSlots) { check in
                SLAReport.objective(for: check, rules: rules, fallback: Self.defaultObjective)
            }
            var snapshot = SLASnapshot(window: window, takenAt: now, report: report, truncated: count >= Self.resultLimit)
            if let kept = last.withLock({ $0 }), now >= kept.takenAt, now - kept.takenAt < Self.refreshEvery {
                // Another window of the checks: the services are measured over their own windows, so keep them.
                snapshot.services = kept.services
                snapshot.configError = kept.configError
            } else if let configPath {
                do {
                    let services = try TopologyConfig.load(path: configPath).services
                    if services.contains(where: { $0.objective != nil }) {
                        let labels = Dictionary(try await store.hostInventory(now: now).map { ($0.name, $0.labels) }, uniquingKeysWith: { a, _ in a })
                        snapshot.services = try await ServiceSLAReport.measure(store: store, services: services, hostLabels: labels, now: now)
                    }
                } catch let error as RuleFileErrors {
                    snapshot.configError = error.description
                }
            }
            last.withLock { $0 = snapshot }
            return .sla(snapshot)
        } catch {
            return .slaError(String(describing: error))
        }
    }
}
