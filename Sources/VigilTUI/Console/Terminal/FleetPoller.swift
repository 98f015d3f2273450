import Foundation
import Synchronization
import VigilCore

/// Polls a `FleetReader` in the background every `interval` seconds (and on demand), posting snapshots and the
/// detail of the subscribed host to the mailbox. Errors become messages, never crashes.
final class FleetPoller: Sendable {
    private let reader: any FleetReader
    private let mailbox: Mailbox
    private let interval: Double
    private let detailHost = Mutex<String?>(nil)
    private let triggers: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init(reader: any FleetReader, mailbox: Mailbox, interval: Double) {
        self.reader = reader
        self.mailbox = mailbox
        self.interval = max(0.2, interval)
        (triggers, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The host whose detail to fetch along with the fleet (nil: none).
    func subscribe(host: String?) {
        let changed = detailHost.withLock { current in
            defer { current = host }
            return current != host
        }
        if changed && host != nil { refreshNow() }
    }

    /// Fetches now instead of at the next tick.
    func refreshNow() {
        continuation.yield(())
    }

    /// Stops the loop.
    func finish() {
        continuation.finish()
    }

    /// Runs until cancelled or finished: a timer task feeds the trigger stream; each trigger fetches once.
    func run() async {
        let interval = self.interval
        let continuation = self.continuation
        let timer = Task {
            while !Task.isCancelled {
                continuation.yield(())
                try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
            }
        }
        defer { timer.cancel() }
        for await _ in triggers {
            if Task.isCancelled { break }
            await fetchOnce()
        }
    }

    /// One round: the fleet, then the subscribed host's detail.
    func fetchOnce() async {
        let now = Self.nowMs()
        do {
            mailbox.post(.fleet(try await reader.fleetSnapshot(now: now)))
        } catch {
            mailbox.post(.fleetError(String(describing: error)))
        }
        guard let host = detailHost.withLock({ $0 }) else { return }
        do {
            mailbox.post(.detail(name: host, try await reader.hostDetail(name: host, now: Self.nowMs())))
        } catch {
            mailbox.post(.detailError(name: host, String(describing: error)))
        }
    }

    /// Unix ms now.
    static func nowMs() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }
}
