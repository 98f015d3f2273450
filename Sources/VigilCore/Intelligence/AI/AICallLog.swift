
/// How an AI call ended, as the call log records it.
public enum AICallOutcome: String, Sendable, Equatable, CaseIterable {
    case ok
    case error
    case timeout
    /// The answer arrived but failed validation (malformed, out of catalogue); the heuristic answer was used.
    case rejected
    /// No key configured: nothing was sent.
    case noKey = "no_key"
    case cancelled
}

/// One AI call: what for, how big, how long, how it ended. Never the content.
public struct AICallRecord: Sendable, Equatable {
    /// The store's row id; nil before it is stored.
    public var id: Int64?
    public var ts: Int64
    /// `diagnose`, `logs`, `chat`, …
    public var feature: String
    public var model: String
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var latencyMs: Int
    public var outcome: AICallOutcome
    /// A short note: attempts, redactions, estimated tokens, the error or rejection reason.
    public var detail: String

    public init(id: Int64? = nil, ts: Int64, feature: String, model: String, promptTokens: Int?, completionTokens: Int?, latencyMs: Int,
                outcome: AICallOutcome, detail: String) {
        self.id = id
        self.ts = ts
        self.feature = feature
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.latencyMs = latencyMs
        self.outcome = outcome
        self.detail = detail
    }
}

/// Where `AIClient` records every call.
public protocol AICallLog: Sendable {
    func record(_ call: AICallRecord) async
}

/// Records calls in the store (`ai_calls`), for `vigil ai calls` and the console. A failed write is dropped:
/// the log must never break the feature it describes.
public struct StoreAICallLog: AICallLog {
    public let store: any Store

    public init(store: any Store) { self.store = store }

    public func record(_ call: AICallRecord) async {
        _ = try? await store.recordAICall(call)
    }
}

/// Keeps calls in memory (newest last), for tests and for a console without a store.
public final class MemoryAICallLog: AICallLog {
    private let calls = Locked<[AICallRecord]>([])

    public init() {}

    public func record(_ call: AICallRecord) async {
        calls.withLock { $0.append(call) }
    }

    public var records: [AICallRecord] { calls.withLock { $0 } }
}
