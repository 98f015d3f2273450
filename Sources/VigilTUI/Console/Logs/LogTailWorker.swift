import Foundation
import VigilCore
import VigilWire

/// Runs the logs pane's live tail off the UI thread. When the engine runs in this process its store's `LogBus`
/// pushes committed lines (posted to the mailbox at most every `flushDelayMs`, so a storm is one update per
/// interval); when the console is attached to another engine, whose commits this process cannot see, it reads the
/// store for newer lines every second instead, and the pane says so. Either way it starts with the newest
/// `backlogLimit` stored lines.
final class LogTailWorker: Sendable {
    static let backlogLimit = 200
    static let flushDelayMs = 15
    /// Lines the bus holds for the console between flushes; past it the oldest are dropped and counted.
    static let tailCapacity = 5_000

    private struct Running {
        var request: LogTailRequest
        var tail: LogTail?
        var task: Task<Void, Never>
    }

    private let store: any Store
    private let mailbox: Mailbox
    private let pushed: Bool
    private let running = Locked<Running?>(nil)

    /// `pushed`: this process runs the engine that commits the lines (the console is not attached).
    init(store: any Store, mailbox: Mailbox, pushed: Bool) {
        self.store = store
        self.mailbox = mailbox
        self.pushed = pushed
    }

    /// Follows `request`, or stops following (nil). Called by the console's loop (one thread) every iteration; does
    /// nothing when nothing changed.
    func want(_ request: LogTailRequest?) {
        let current = running.withLock { $0 }
        guard current?.request != request else { return }
        if let current {
            current.tail?.cancel()
            current.task.cancel()
        }
        running.withLock { $0 = request.flatMap(start) }
    }

    /// Stops any tail.
    func finish() { want(nil) }

    private func start(_ request: LogTailRequest) -> Running? {
        let now = WallClock.nowMs()
        guard let query = try? LogsFetcher.query(request.query, host: request.host, now: now) else { return nil }
        let flushing = Locked(false)
        let backlogDone = Locked<Set<String>?>(nil)
        let mailbox = self.mailbox
        let pushed = self.pushed
        // Subscribe before reading the backlog, so nothing committed in between is missed; what both saw is dropped
        // from the first pushed update.
        let holder = Locked<LogTail?>(nil)
        let flush: @Sendable () -> Void = {
            guard let seen = backlogDone.withLock({ $0 }), let tail = holder.withLock({ $0 }) else { return }
            let chunk = tail.take()
            let lines = seen.isEmpty ? chunk.lines : chunk.lines.filter { !seen.contains(Self.key($0)) }
            if !seen.isEmpty { backlogDone.withLock { $0 = [] } }
            guard !lines.isEmpty || chunk.dropped > 0 else { return }
            mailbox.post(.logs(.tail(LogTailUpdate(request: request, lines: lines, dropped: chunk.dropped, backlog: false, pushed: true))))
        }
        let tail: LogTail? = pushed ? store.logBus.subscribe(query, capacity: Self.tailCapacity) {
            // One flush per burst: the first line schedules it, the rest ride along.
            guard flushing.withLock({ f in defer { f = true }; return !f }) else { return }
            Task.detached {
                try? await Task.sleep(for: .milliseconds(Self.flushDelayMs))
                flushing.withLock { $0 = false }
                flush()
            }
        } : nil
        holder.withLock { $0 = tail }
        let store = self.store
        let task = Task.detached {
            var newest: (ts: Int64, id: Int64)?
            do {
                let backlog = try await store.searchLogs(query, limit: Self.backlogLimit, scanLimit: LogsFetcher.scanLimit)
                let lines = Array(backlog.lines.reversed())
                newest = backlog.lines.first.map { ($0.ts, $0.id) }
                let newestTs = backlog.lines.first?.ts ?? Int64.min
                backlogDone.withLock { $0 = Set(backlog.lines.filter { $0.ts >= newestTs - 5_000 }.map(Self.key)) }
                mailbox.post(.logs(.tail(LogTailUpdate(request: request, lines: lines, dropped: 0, backlog: true, pushed: pushed))))
            } catch {
                mailbox.post(.logs(.error("follow: \(error)")))
                return
            }
            if pushed {
                flush()
                return
            }
            // Attached: read what is newer than the newest line seen, every second.
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard !Task.isCancelled else { return }
                var q = query
                if let newest { q.since = max(q.since ?? Int64.min, newest.ts) }
                guard let found = try? await store.searchLogs(q, limit: Self.tailCapacity, scanLimit: LogsFetcher.scanLimit) else { continue }
                let fresh = found.lines.filter { l in newest.map { (l.ts, l.id) > ($0.ts, $0.id) } ?? true }
                guard !fresh.isEmpty else { continue }
                newest = (fresh[0].ts, fresh[0].id)
                mailbox.post(.logs(.tail(LogTailUpdate(request: request, lines: fresh.reversed(), dropped: 0, backlog: false, pushed: false))))
            }
        }
        return Running(request: request, tail: tail, task: task)
    }

    /// What identifies a line across the store and the bus (whose ids differ).
    private static func key(_ l: StoredLog) -> String { "\(l.ts)\u{1}\(l.host)\u{1}\(l.source)\u{1}\(l.message)" }
}
