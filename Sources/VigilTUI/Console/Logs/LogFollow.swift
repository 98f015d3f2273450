import VigilCore

/// The state of the logs pane's follow mode (`f`), as a plain value: the lines shown (newest first, at most
/// `capacity`), lines held back while the view is paused (the selection moved off the newest line), how many the
/// tail dropped, and per-source arrival rates.
struct LogFollow: Equatable {
    let request: LogTailRequest
    /// Lines kept on screen; older ones fall off.
    let capacity: Int
    /// Shown, newest first.
    private(set) var lines: [StoredLog] = []
    /// Arrived while paused, newest first (at most `capacity`).
    private(set) var held: [StoredLog] = []
    /// Arrived while paused, counted even when more than `capacity` (the count shown).
    private(set) var heldCount = 0
    private(set) var paused = false
    /// Lines lost to full buffers since following started (the tail's and the held lines').
    private(set) var dropped = 0
    /// The first update (the backlog) arrived.
    private(set) var started = false
    /// Pushed by this process's store (true), or read from the store every second.
    private(set) var pushed = true
    private(set) var rates = SourceRates()

    init(request: LogTailRequest, capacity: Int = 2_000) {
        self.request = request
        self.capacity = capacity
    }

    /// Takes an update of this tail; true when the lines shown changed.
    mutating func receive(_ update: LogTailUpdate, now: Int64) -> Bool {
        guard update.request == request else { return false }
        pushed = update.pushed
        dropped += update.dropped
        let newestFirst = Array(update.lines.reversed())
        if !update.backlog {
            for l in update.lines { rates.count(source: l.source, host: l.host, at: now) }
        }
        let wasStarted = started
        started = true
        if paused && update.backlog == false {
            held.insert(contentsOf: newestFirst, at: 0)
            heldCount += update.lines.count
            if held.count > capacity {
                dropped += held.count - capacity
                held.removeLast(held.count - capacity)
            }
            return !wasStarted
        }
        guard !newestFirst.isEmpty else { return !wasStarted }
        lines.insert(contentsOf: newestFirst, at: 0)
        if lines.count > capacity { lines.removeLast(lines.count - capacity) }
        return true
    }

    /// The selection left the newest line: hold new lines back.
    mutating func pause() { paused = true }

    /// Back to the newest line: the held lines join the shown ones. True when that changed the lines.
    mutating func resume() -> Bool {
        paused = false
        guard !held.isEmpty else { heldCount = 0; return false }
        lines.insert(contentsOf: held, at: 0)
        if lines.count > capacity { lines.removeLast(lines.count - capacity) }
        held = []
        heldCount = 0
        return true
    }
}

/// Lines per second by source over the last `window` seconds, counted in one-second buckets.
struct SourceRates: Equatable {
    static let window: Int64 = 10

    /// second → "host source" → lines.
    private var buckets: [Int64: [String: Int]] = [:]

    mutating func count(source: String, host: String, at now: Int64) {
        let second = now / 1000
        buckets[second, default: [:]][host + " " + LogsFormat.shortSource(source), default: 0] += 1
        if buckets.count > Int(Self.window) + 2 {
            for k in buckets.keys where k <= second - Self.window { buckets.removeValue(forKey: k) }
        }
    }

    /// The busiest sources (`host file`) with their lines per second over the window ending at `now`.
    func top(_ n: Int, now: Int64) -> [(source: String, perSecond: Double)] {
        let second = now / 1000
        var totals: [String: Int] = [:]
        for (k, counts) in buckets where k > second - Self.window && k <= second {
            for (source, c) in counts { totals[source, default: 0] += c }
        }
        return totals.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(n)
            .map { ($0.key, Double($0.value) / Double(Self.window)) }
    }

    /// All lines per second over the window.
    func total(now: Int64) -> Double {
        let second = now / 1000
        let n = buckets.filter { $0.key > second - Self.window && $0.key <= second }.values.reduce(0) { $0 + $1.values.reduce(0, +) }
        return Double(n) / Double(Self.window)
    }
}
