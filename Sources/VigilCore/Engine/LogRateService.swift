import Logging
import ServiceLifecycle
import VigilWire

/// Writes each host's error-log rate as a series of its own, `log.errors_per_min`: the lines at level error or
/// worse that the host logged in each minute, stamped at the minute's end, 0 when it logged none. The anomaly
/// scanner scans it as one of the core metrics, rules can name it, and the console draws it like any series.
///
/// Counted from the store (so every engine's ingest is counted, whichever `vigil serve` an agent pushes to) by the
/// lease holder only, `lagMs` after the minute ends (agents push their lines every few seconds; a spool replayed
/// later is not counted again). A host gets a point for a minute when it logged errors in it, or had reported by the
/// minute's end and reported again since its start: a host that stopped reporting gets no zeros. Where counting stopped is kept
/// in the setting `log_rate.until`, so a restart catches up on the minutes it missed (at most `catchUpMinutes`; the
/// first start counts the last hour).
public struct LogRateService: Service {
    public static let metric = "log.errors_per_min"
    static let settingKey = "log_rate.until"
    static let minuteMs: Int64 = 60_000
    static let lagMs: Int64 = 30_000
    static let catchUpMinutes: Int64 = 60

    let store: any Store
    let every: Duration
    let isLeader: @Sendable () -> Bool
    let logger: Logger

    public init(store: any Store, every: Duration = .seconds(15), isLeader: @escaping @Sendable () -> Bool, logger: Logger) {
        self.store = store
        self.every = every
        self.isLeader = isLeader
        self.logger = logger
    }

    public func run() async throws {
        var failing = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if isLeader() {
                do {
                    try await Self.update(store: store, now: WallClock.nowMs())
                    if failing { logger.info("error-log rates are counted again") }
                    failing = false
                } catch {
                    if Task.isCancelled { return }  // the engine is stopping: its store calls were cut short, nothing failed
                    if !failing { logger.error("error-log rates (\(Self.metric)) could not be counted (tried again every \(every)): \(error)") }
                    failing = true
                }
            }
            try? await gracefulShutdownSleep(every)
        }
    }

    /// The minutes due at `now` after counting up to `until` (nil: never counted, so the last hour): the ends of the
    /// minutes to count, oldest first.
    static func due(until: Int64?, now: Int64) -> [Int64] {
        let last = (now - lagMs) / minuteMs * minuteMs  // times are after 1970: division rounds down
        let from = max(until ?? .min, last - catchUpMinutes * minuteMs)
        return from >= last ? [] : Array(stride(from: from + minuteMs, through: last, by: Int(minuteMs)))
    }

    /// Counts the minutes due and writes their points; returns how many points were written.
    @discardableResult
    public static func update(store: any Store, now: Int64) async throws -> Int {
        let until = try await store.setting(settingKey).flatMap { Int64($0) }
        let ends = due(until: until, now: now)
        guard let newest = ends.last else { return 0 }
        let hosts = try await store.hostInventory(now: now)
        var byHost: [String: [Sample]] = [:]
        for end in ends {
            let counts = try await store.logCountsByHost(from: end - minuteMs, to: end, minLevel: .error)
            for h in hosts where counts[h.name] != nil || (h.firstSeen < end && h.lastSeen >= end - minuteMs) {
                byHost[h.name, default: []].append(Sample(name: metric, value: Double(counts[h.name] ?? 0), ts: end))
            }
        }
        let lastSeen = Dictionary(hosts.map { ($0.name, $0.lastSeen) }, uniquingKeysWith: { a, _ in a })
        var written = 0
        for (host, samples) in byHost.sorted(by: { $0.key < $1.key }) {
            // "Received" no later than the host last reported: these points must not make it look alive.
            written += try await store.ingest(IngestBatch(host: host, samples: samples), receivedAt: min(now, lastSeen[host] ?? now)).samples
        }
        try await store.setSetting(settingKey, to: String(newest), now: now)
        return written
    }
}
