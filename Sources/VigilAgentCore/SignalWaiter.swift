#if canImport(Glibc)
import Glibc
#endif

/// Synchronous signal handling without handlers or global state: the signals are blocked in the
/// calling thread (and threads it creates later), and ``wait(milliseconds:)`` sleeps until one
/// arrives or the time is up. A signal that arrives while the agent is busy stays pending and ends
/// the next wait at once, so the current cycle always finishes.
public struct SignalWaiter: Sendable {
    public let signals: [Int32]

    /// Blocks `signals` (default SIGTERM and SIGINT). Create it before starting any thread.
    public init(signals: [Int32] = [SIGTERM, SIGINT]) {
        self.signals = signals
        var set = Self.set(signals)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Sleeps up to `milliseconds`; returns the signal received, or nil on timeout.
    public func wait(milliseconds: Int64) -> Int32? {
        var set = Self.set(signals)
        var ts = timespec(tv_sec: Int(max(0, milliseconds) / 1000), tv_nsec: Int(max(0, milliseconds) % 1000) * 1_000_000)
        while true {
            let s = sigtimedwait(&set, nil, &ts)
            if s > 0 { return s }
            if errno == EINTR { continue }
            return nil
        }
    }

    /// The name of a signal for messages.
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }

    private static func set(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        return set
    }
}
