import VigilWire

/// Log lines as they are committed, for live tails (the console's follow mode, `GET /api/v1/logs/tail`).
///
/// Each store has one; its `ingest` publishes a batch's lines after they are committed. A subscriber names a
/// `LogQuery`; lines that match go into its own bounded buffer (the oldest are dropped past `capacity` and counted,
/// so a log storm costs a slow reader lines, never memory), and `onArrival` is called when its buffer goes from
/// empty to non-empty: one wake-up per burst, however many lines. With no subscriber, publishing is one lock and
/// a count. Lines published here carry the negated bus sequence number as their id: never a store row id (those are
/// positive), so a tail that shows stored lines and published ones side by side never confuses two of them.
public final class LogBus: Sendable {
    struct Subscriber {
        var query: LogQuery
        var capacity: Int
        var buffer: [StoredLog] = []
        var head = 0
        var dropped = 0
        var onArrival: @Sendable () -> Void
    }

    struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var sequence: Int64 = 0
        /// The labels each host last reported, for label terms (a batch may come without them).
        var labels: [String: [String: String]] = [:]
    }

    private let state = Locked(State())

    public init() {}

    /// How many subscribers are listening.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Hands `batch`'s log lines to every subscriber whose query they match.
    public func publish(_ batch: IngestBatch) {
        var wake: [@Sendable () -> Void] = []
        state.withLock { s in
            if !batch.labels.isEmpty { s.labels[batch.host] = batch.labels }
            guard !s.subscribers.isEmpty, !batch.logs.isEmpty else { return }
            let labels = s.labels[batch.host] ?? [:]
            var lines: [StoredLog] = []
            lines.reserveCapacity(batch.logs.count)
            for e in batch.logs {
                s.sequence += 1
                lines.append(StoredLog(id: -s.sequence, host: batch.host, ts: e.ts, source: e.source, level: e.level, message: e.message))
            }
            for id in Array(s.subscribers.keys) {
                guard var sub = s.subscribers[id] else { continue }
                let wasEmpty = sub.buffer.count == sub.head
                for line in lines where sub.query.matches(line, labels: labels) {
                    sub.buffer.append(line)
                    if sub.buffer.count - sub.head > sub.capacity {
                        sub.head += 1
                        sub.dropped += 1
                    }
                }
                // Reclaim the dropped front now and then, so the buffer stays near its capacity.
                if sub.head > sub.capacity {
                    sub.buffer.removeFirst(sub.head)
                    sub.head = 0
                }
                if wasEmpty && sub.buffer.count > sub.head { wake.append(sub.onArrival) }
                s.subscribers[id] = sub
            }
        }
        for w in wake { w() }
    }

    /// Starts a tail of the lines matching `query` (its `since`/`until` apply to the lines' own times).
    public func subscribe(_ query: LogQuery, capacity: Int = 10_000, onArrival: @escaping @Sendable () -> Void) -> LogTail {
        let id = state.withLock { s in
            s.nextID += 1
            s.subscribers[s.nextID] = Subscriber(query: query, capacity: max(1, capacity), onArrival: onArrival)
            return s.nextID
        }
        return LogTail(bus: self, id: id)
    }

    func take(_ id: Int) -> LogTail.Chunk {
        state.withLock { s in
            guard var sub = s.subscribers[id] else { return LogTail.Chunk(lines: [], dropped: 0) }
            let chunk = LogTail.Chunk(lines: Array(sub.buffer[sub.head...]), dropped: sub.dropped)
            sub.buffer.removeAll(keepingCapacity: false)
            sub.head = 0
            sub.dropped = 0
            s.subscribers[id] = sub
            return chunk
        }
    }

    func cancel(_ id: Int) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }
}

/// One subscription to a `LogBus`; cancel it when done (it is also cancelled when released).
public final class LogTail: Sendable {
    /// What arrived since the last `take`: matching lines, oldest first, and how many were dropped because the
    /// buffer was full.
    public struct Chunk: Sendable, Equatable {
        public var lines: [StoredLog]
        public var dropped: Int
    }

    private let bus: LogBus
    private let id: Int

    init(bus: LogBus, id: Int) {
        self.bus = bus
        self.id = id
    }

    deinit { bus.cancel(id) }

    public func take() -> Chunk { bus.take(id) }

    public func cancel() { bus.cancel(id) }
}
