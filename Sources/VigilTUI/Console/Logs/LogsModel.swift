import VigilCore

/// The time ranges the logs pane cycles through (`t` `]` `[`).
enum LogRange: Int, CaseIterable, Equatable, Sendable {
    case m15, h1, h6, h24, d7

    var label: String {
        switch self {
        case .m15: "15m"
        case .h1: "1h"
        case .h6: "6h"
        case .h24: "24h"
        case .d7: "7d"
        }
    }

    /// The span in ms.
    var milliseconds: Int64 {
        switch self {
        case .m15: 15 * 60_000
        case .h1: 3_600_000
        case .h6: 6 * 3_600_000
        case .h24: 86_400_000
        case .d7: 7 * 86_400_000
        }
    }

    /// How long the patterns of this range are reused before the poller reads them again (ms): a week of lines is
    /// not worth re-counting every 2 s. 0: every refresh.
    var refetchAfter: Int64 {
        switch self {
        case .m15: 0
        case .h1: 5_000
        case .h6: 15_000
        case .h24: 30_000
        case .d7: 60_000
        }
    }

    /// The next (or previous) range, wrapping around.
    func cycled(_ step: Int) -> LogRange {
        let n = Self.allCases.count
        return LogRange(rawValue: ((rawValue + step) % n + n) % n)!
    }
}

/// Which raw lines the logs pane's lower box shows.
enum LogLinesSource: Equatable, Sendable {
    /// The newest lines of one template.
    case pattern(Int64)
    /// A log query (`LogQuery`), newest first.
    case search(String)
}

/// What the logs pane wants read while it is visible.
struct LogsInterest: Equatable, Sendable {
    /// Nil: every host.
    var host: String?
    var range: LogRange
    /// The raw lines to read as well, if the lines box is open.
    var lines: LogLinesSource?
    /// The live tail to follow (lines pushed as they are committed, `LogTailWorker`), if following.
    var follow: LogTailRequest?
}

/// The lines around `line` from its host and source, oldest first; `index` is where `line` is (nil: no longer stored).
struct LogContextSnapshot: Equatable, Sendable {
    var line: StoredLog
    var lines: [StoredLog]
    var index: Int?
}

/// A live tail: the lines of `host` (nil: every host) matching the log query `query` (empty: every line).
struct LogTailRequest: Equatable, Sendable {
    var host: String?
    var query: String
}

/// Lines of a live tail, oldest first: the newest stored lines when it starts (`backlog`), then what arrives.
struct LogTailUpdate: Equatable, Sendable {
    var request: LogTailRequest
    var lines: [StoredLog]
    /// Lines the tail's buffer dropped since the last update (a storm outran the console).
    var dropped: Int
    var backlog: Bool
    /// False when the lines are read from the store every second (the console is attached to another engine, whose
    /// commits it does not see), true when they are pushed by this process's store.
    var pushed: Bool
}

/// The top patterns of a host (or the fleet) over `[from, to)`.
struct LogPatternsSnapshot: Equatable, Sendable {
    var host: String?
    var range: LogRange
    var from: Int64
    var to: Int64
    var patterns: [LogPatternStat]
}

/// Raw lines for a `LogLinesSource`.
struct LogLinesSnapshot: Equatable, Sendable {
    var host: String?
    var source: LogLinesSource
    var lines: [StoredLog]
    /// For a search that stopped at `LogsFetcher.scanLimit`: the oldest line time it reached.
    var searchedBack: Int64?
}

/// What the poller posts for the logs pane.
enum LogsUpdate: Sendable {
    case patterns(LogPatternsSnapshot)
    case lines(LogLinesSnapshot)
    case tail(LogTailUpdate)
    case context(LogContextSnapshot)
    /// A read failed; the pane shows it until the next good read.
    case error(String)
}

/// Reads what the logs pane asked for, off the UI thread (called by `FleetPoller` each round). The patterns of a
/// long range are reused for `LogRange.refetchAfter`, unless the host or range changed; raw lines are read every
/// round (an indexed query of at most `lineLimit` rows).
final class LogsFetcher: Sendable {
    /// How many patterns one read returns.
    static let patternLimit = 100
    /// How many raw lines one read returns.
    static let lineLimit = 200
    /// How many stored lines one search round may read (a search is read again every round).
    static let scanLimit = 200_000

    private let lastPatterns = Locked<(host: String?, range: LogRange, at: Int64)?>(nil)

    init() {}

    /// The messages for one round.
    func fetch(_ store: any Store, _ wanted: LogsInterest, now: Int64) async -> [ConsoleMessage] {
        var out: [ConsoleMessage] = []
        let due = lastPatterns.withLock { last in
            guard let last, last.host == wanted.host, last.range == wanted.range else { return true }
            return now - last.at >= wanted.range.refetchAfter
        }
        do {
            if due {
                let from = now - wanted.range.milliseconds
                let to = now + 1
                let top = try await store.topLogPatterns(host: wanted.host, from: from, to: to, limit: Self.patternLimit)
                lastPatterns.withLock { $0 = (wanted.host, wanted.range, now) }
                out.append(.logs(.patterns(LogPatternsSnapshot(host: wanted.host, range: wanted.range, from: from, to: to, patterns: top))))
            }
            if let source = wanted.lines {
                switch source {
                case .pattern(let id):
                    let lines = try await store.logs(templateID: id, host: wanted.host, limit: Self.lineLimit)
                    out.append(.logs(.lines(LogLinesSnapshot(host: wanted.host, source: source, lines: lines))))
                case .search(let text):
                    let found = try await store.searchLogs(try Self.query(text, host: wanted.host, now: now), limit: Self.lineLimit,
                                                           scanLimit: Self.scanLimit)
                    out.append(.logs(.lines(LogLinesSnapshot(host: wanted.host, source: source, lines: found.lines,
                                                             searchedBack: found.complete ? nil : found.searchedBack))))
                }
            }
        } catch {
            out.append(.logs(.error(String(describing: error))))
        }
        return out
    }

    /// The query of a search in a pane scoped to `host`: the pane's host unless the query names hosts itself.
    static func query(_ text: String, host: String?, now: Int64) throws -> LogQuery {
        var q = try LogQuery.parse(text, now: now)
        if let host, !q.clauses.contains(where: { if case .host = $0.term { !$0.negated } else { false } }) {
            q.clauses.append(LogQuery.Clause(term: .host(Glob(host)), negated: false, position: 0))
        }
        return q
    }
}
