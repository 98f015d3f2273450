import Foundation
import VigilWire

/// A log search, as typed in the console, `vigil logs search` and `GET /api/v1/logs?q=`:
///
///     host:web-1 level>=error source:nginx "upstream timed out" since:1h until:10m /5\d\d/ -healthcheck env=prod
///
/// Words and `"phrases"` are full-text (case-insensitive, whole words); `/regex/` (or `/regex/i`) matches the message;
/// `host:` and `source:` take a name or a glob (`web-*`); `level` compares with `:` `>=` `>` `<=` `<`; `since:` and
/// `until:` take a duration back from now (`1h`) or an RFC 3339 time; `key=value` and `key!=value` match host labels.
/// `-` before any term negates it. Several positive `host:` terms (or `source:` terms) mean any of them; everything
/// else must hold together. `LogQueryParser` reads the text; `matches` is the whole meaning, which the stores'
/// SQL only narrows (`LogQuerySQL`), so a search and a live tail agree line for line.
public struct LogQuery: Sendable, Equatable {
    public enum Comparison: String, Sendable, Equatable {
        case equal = ":", atLeast = ">=", above = ">", atMost = "<=", below = "<"

        func holds(_ a: Int, _ b: Int) -> Bool {
            switch self {
            case .equal: a == b
            case .atLeast: a >= b
            case .above: a > b
            case .atMost: a <= b
            case .below: a < b
            }
        }
    }

    public enum Term: Sendable, Equatable {
        /// Whole words in this order (a bare word is a phrase of one), lowercased.
        case words([String])
        case regex(LogRegex)
        case host(Glob)
        case source(Glob)
        case level(Comparison, LogLevel)
        /// A host label: `key=value` (a glob).
        case label(String, Glob)
    }

    public struct Clause: Sendable, Equatable {
        public var term: Term
        public var negated: Bool
        /// Where the clause starts in the text (0-based, in characters), for messages.
        public var position: Int

        public init(term: Term, negated: Bool, position: Int) {
            self.term = term
            self.negated = negated
            self.position = position
        }
    }

    public var clauses: [Clause]
    /// Lines at or after this time (Unix ms), if bounded.
    public var since: Int64?
    /// Lines before this time (Unix ms), if bounded.
    public var until: Int64?
    /// The text it was read from.
    public var text: String

    public init(clauses: [Clause] = [], since: Int64? = nil, until: Int64? = nil, text: String = "") {
        self.clauses = clauses
        self.since = since
        self.until = until
        self.text = text
    }

    /// Reads `text`; relative times count back from `now` (Unix ms).
    public static func parse(_ text: String, now: Int64) throws(LogQueryError) -> LogQuery {
        var parser = LogQueryParser(text, now: now)
        return try parser.parse()
    }

    /// True when the query selects every line.
    public var isEmpty: Bool { clauses.isEmpty && since == nil && until == nil }

    /// Whether the query filters on hosts (names or labels): then the stores resolve the hosts first.
    public var constrainsHosts: Bool {
        clauses.contains { if case .host = $0.term { true } else if case .label = $0.term { true } else { false } }
    }

    /// Whether a host with this name and labels may have matching lines (the host and label clauses).
    public func admits(host: String, labels: [String: String]) -> Bool {
        var anyHost: Bool?
        for c in clauses {
            switch c.term {
            case .host(let g):
                let hit = g.matches(host)
                if c.negated { if hit { return false } } else { anyHost = (anyHost ?? false) || hit }
            case .label(let key, let g):
                let hit = labels[key].map(g.matches) ?? false
                if hit == c.negated { return false }
            default:
                continue
            }
        }
        return anyHost ?? true
    }

    /// Whether `line` matches; `labels` are its host's labels (needed only when the query has label clauses).
    public func matches(_ line: StoredLog, labels: [String: String] = [:]) -> Bool {
        if let since, line.ts < since { return false }
        if let until, line.ts >= until { return false }
        guard admits(host: line.host, labels: labels) else { return false }
        var anySource: Bool?
        var words: [String]?
        for c in clauses {
            let hit: Bool
            switch c.term {
            case .host, .label:
                continue
            case .source(let g):
                let h = g.matches(line.source)
                if !c.negated { anySource = (anySource ?? false) || h; continue }
                hit = h
            case .level(let cmp, let level):
                hit = cmp.holds(line.level.rank, level.rank)
            case .words(let phrase):
                if words == nil { words = LogWords.split(line.message) }
                hit = LogWords.contains(words!, phrase: phrase)
            case .regex(let re):
                hit = re.matches(line.message)
            }
            if hit == c.negated { return false }
        }
        return anySource ?? true
    }

    /// Where the positive words and regexes match in `message`, for highlighting (UTF-16 ranges, sorted, merged).
    public func highlights(in message: String) -> [NSRange] {
        var ranges: [NSRange] = []
        for c in clauses where !c.negated {
            switch c.term {
            case .words(let phrase): ranges += LogWords.ranges(of: phrase, in: message)
            case .regex(let re): ranges += re.ranges(in: message)
            default: continue
            }
        }
        ranges.sort { $0.location < $1.location }
        var merged: [NSRange] = []
        for r in ranges where r.length > 0 {
            if let last = merged.last, r.location <= last.location + last.length {
                merged[merged.count - 1].length = max(last.length, r.location + r.length - last.location)
            } else {
                merged.append(r)
            }
        }
        return merged
    }
}

/// Why a query was refused: what is wrong, and where (0-based character offset).
public struct LogQueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var position: Int

    public init(_ message: String, at position: Int) {
        self.message = message
        self.position = position
    }

    public var description: String { "at character \(position + 1): \(message)" }
}
