import Foundation
import Logging
import ServiceLifecycle
import VigilWire

/// Writes the weekly report while this engine holds the lease: each Monday at 00:00 (this machine's time zone) the
/// week just ended is reported against the week before (`GeneratedWeeklyReport`, rules-of-thumb insight) and stored,
/// unless a weekly report covering it is already stored (one sent by a `reports:` schedule in notify.yaml counts).
/// Checked `every` (10 minutes; the first check 5 minutes after start), so a restart neither skips nor repeats one.
struct WeeklyReportService: Service {
    let store: any Store
    let every: Duration
    let timeZone: TimeZone
    let isLeader: @Sendable () -> Bool
    let logger: Logger

    func run() async throws {
        var wait = min(every, .seconds(300))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await gracefulShutdownSleep(wait)
            wait = every
            guard isLeader(), !Task.isShuttingDownGracefully else { continue }
            do {
                if let stored = try await Self.writeIfDue(store: store, timeZone: timeZone, now: WallClock.nowMs()) {
                    logger.info("weekly report \(stored.id) written (vigil report show \(stored.id))")
                }
            } catch {
                if Task.isCancelled { return }  // the engine is stopping: its store calls were cut short, nothing failed
                logger.error("the weekly report could not be written (tried again in \(every)): \(error)")
            }
        }
    }

    /// The week ending at the last Monday 00:00 at or before `now`, written unless a weekly report reaching it is
    /// stored; returns what was written.
    static func writeIfDue(store: any Store, timeZone: TimeZone, now: Int64) async throws -> StoredReport? {
        let due = ReportSchedule(kind: .weekly, minute: 0, weekday: 2, timeZone: timeZone, channel: "").lastDue(atOrBefore: now)
        let recent = try await store.reports(kind: "weekly", limit: 20)
        guard !recent.contains(where: { $0.to >= due }) else { return nil }
        return try await GeneratedWeeklyReport.generate(store: store, client: nil, to: due, now: now, useAI: false).stored
    }
}
