/// What came back from one delivery attempt of a spooled batch.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The listener answered with an HTTP status and body.
    case status(Int, body: String)
    /// No HTTP answer (refused, timed out, DNS...), with the transport's words.
    case transport(String)
}

/// What the sender must do next with the batch it just tried to deliver.
public enum DeliveryAction: Sendable, Equatable {
    /// Delivered (2xx): delete the spool file and go on with the next one.
    case acknowledged
    /// The listener will never accept this batch (400, or a single item too large): delete it, log
    /// `reason` as an error, go on with the next one.
    case drop(reason: String)
    /// 413 for a batch of several items: split it in halves, which take its place, and go on.
    case split
    /// 415 for a gzip body: send the same batch once more without compression.
    case resendUncompressed
    /// Keep the batch and stop flushing until `retryAtMs` (monotonic milliseconds).
    case stop(reason: String, retryAtMs: Int64)
}

/// The delivery state machine of the agent's spool: decides, without doing any I/O, what each answer
/// of the listener means for the batch and for the flush, and when to try again (exponential backoff
/// from 1 s, capped at the push interval).
public struct SenderState: Sendable, Equatable {
    /// The push interval, the cap of the backoff.
    public var intervalMs: Int64
    /// First backoff step.
    public var initialBackoffMs: Int64
    /// Failed flushes in a row (0 when the last attempt got through).
    public private(set) var consecutiveFailures = 0
    /// No flush before this monotonic time (ms).
    public private(set) var nextAttemptAtMs: Int64 = 0
    /// Why delivery is currently stuck, nil when it is not.
    public private(set) var problem: String?

    public init(intervalMs: Int64, initialBackoffMs: Int64 = 1000) {
        self.intervalMs = max(1, intervalMs)
        self.initialBackoffMs = max(1, initialBackoffMs)
    }

    /// Whether a flush may start at `nowMs` (monotonic).
    public func mayAttempt(nowMs: Int64) -> Bool { nowMs >= nextAttemptAtMs }

    /// The wait after `failures` failures in a row: 1 s, 2 s, 4 s, ... capped at the interval.
    public func backoffMs(failures: Int) -> Int64 {
        guard failures > 0 else { return 0 }
        let shift = min(failures - 1, 30)
        return min(intervalMs, initialBackoffMs << Int64(shift))
    }

    /// Records the outcome of sending a batch of `items` samples, logs and checks (`compressed` when
    /// sent gzip) at monotonic `nowMs`, and returns what to do.
    public mutating func handle(_ outcome: DeliveryOutcome, items: Int, compressed: Bool, nowMs: Int64) -> DeliveryAction {
        switch outcome {
        case .transport(let message):
            return fail("listener unreachable (\(message))", nowMs: nowMs)
        case .status(let status, let body):
            switch status {
            case 200..<300:
                consecutiveFailures = 0
                nextAttemptAtMs = 0
                problem = nil
                return .acknowledged
            case 400:
                return .drop(reason: "listener rejected a batch (HTTP 400): \(Self.brief(body)); batch dropped")
            case 401, 403:
                return fail("listener refused the token (HTTP \(status)): check `token` or VIGIL_TOKEN; batches stay spooled",
                            nowMs: nowMs)
            case 413:
                if items > 1 { return .split }
                return .drop(reason: "listener refused a single item as too large (HTTP 413); dropped")
            case 415:
                if compressed { return .resendUncompressed }
                return .drop(reason: "listener refused the batch's media type (HTTP 415): \(Self.brief(body)); dropped")
            case 408, 429, 500..<600:
                return fail("listener error (HTTP \(status)): \(Self.brief(body))", nowMs: nowMs)
            default:
                return fail("unexpected answer from listener (HTTP \(status)): check `url`; batches stay spooled",
                            nowMs: nowMs)
            }
        }
    }

    private mutating func fail(_ reason: String, nowMs: Int64) -> DeliveryAction {
        consecutiveFailures += 1
        problem = reason
        nextAttemptAtMs = nowMs + backoffMs(failures: consecutiveFailures)
        return .stop(reason: reason, retryAtMs: nextAttemptAtMs)
    }

    /// The first 300 characters of a body, on one line.
    static func brief(_ body: String) -> String {
        let flat = String(body.prefix(300).map { $0 == "\n" || $0 == "\r" ? " " : $0 })
        return flat.isEmpty ? "(empty body)" : flat
    }
}
