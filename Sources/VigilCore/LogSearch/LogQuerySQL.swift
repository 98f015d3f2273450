/// The part of a `LogQuery` that SQL can narrow with the stores' indexes: time bounds, the resolved hosts, positive
/// levels and sources, and positive words through the full-text index. Negations and regexes are left to
/// `LogQuery.matches`, which every row read still passes, so SQL may admit more than the query, never less
/// (except that PostgreSQL's text parser keeps some tokens whole, e.g. an IP address is one word there).
public struct LogQuerySQL: Sendable, Equatable {
    public enum Dialect: Sendable { case sqlite, postgres }
    public enum Arg: Sendable, Equatable {
        case int(Int64)
        case text(String)
    }

    /// Conditions on `logs l`, to be joined with AND.
    public var conditions: [String] = []
    public var args: [Arg] = []

    /// `hostIDs`: the hosts the query admits when it constrains hosts (nil when it does not).
    public init(_ query: LogQuery, hostIDs: [Int64]?, dialect: Dialect) {
        if let since = query.since { add("l.ts >= ?", .int(since)) }
        if let until = query.until { add("l.ts < ?", .int(until)) }
        if let hostIDs { conditions.append("l.host_id IN (\(hostIDs.map(String.init).joined(separator: ",")))") }
        var sources: [Glob] = []
        var phrases: [[String]] = []
        for c in query.clauses where !c.negated {
            switch c.term {
            case .level(let cmp, let level):
                let op = cmp == .equal ? "=" : cmp.rawValue
                add("l.level \(op) ?", .int(Int64(level.rank)))
            case .source(let g): sources.append(g)
            case .words(let phrase): phrases.append(phrase)
            default: continue
            }
        }
        if !sources.isEmpty {
            if sources.allSatisfy(\.isLiteral) {
                conditions.append("l.source IN (\(Array(repeating: "?", count: sources.count).joined(separator: ", ")))")
                args += sources.map { .text($0.pattern) }
            } else {
                conditions.append("(" + Array(repeating: "l.source LIKE ? ESCAPE '\\'", count: sources.count).joined(separator: " OR ") + ")")
                args += sources.map { .text($0.likePattern) }
            }
        }
        guard !phrases.isEmpty else { return }
        switch dialect {
        case .sqlite:
            // FTS5: each phrase quoted (words are letters and digits only, so nothing in them is FTS syntax).
            add("l.id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?)",
                .text(phrases.map { "\"" + $0.joined(separator: " ") + "\"" }.joined(separator: " ")))
        case .postgres:
            let each = Array(repeating: "phraseto_tsquery('simple', ?)", count: phrases.count).joined(separator: " && ")
            conditions.append("to_tsvector('simple', l.message) @@ (\(each))")
            args += phrases.map { .text($0.joined(separator: " ")) }
        }
    }

    private mutating func add(_ condition: String, _ arg: Arg) {
        conditions.append(condition)
        args.append(arg)
    }
}

/// What a log search found: the newest matching lines first, and how much was read to find them.
public struct LogSearchResult: Sendable, Equatable {
    public var lines: [StoredLog]
    /// Rows read and checked against the query.
    public var scanned: Int
    /// False when the search stopped at its scan limit before it had looked at every candidate line; then
    /// `searchedBack` is the oldest line time it reached.
    public var complete: Bool
    public var searchedBack: Int64?

    public init(lines: [StoredLog], scanned: Int, complete: Bool, searchedBack: Int64? = nil) {
        self.lines = lines
        self.scanned = scanned
        self.complete = complete
        self.searchedBack = searchedBack
    }
}

/// The search loop both stores run: resolve the hosts, then read candidate rows newest first, a page at a time
/// (keyset on `(ts, id)`), keep those `LogQuery.matches`, until `limit` lines or `scanLimit` rows.
public enum LogSearch {
    /// Rows examined at most by one search, unless the caller says otherwise.
    public static let defaultScanLimit = 1_000_000

    /// A host as the search needs it.
    public struct Host: Sendable {
        public var id: Int64
        public var name: String
        public var labels: [String: String]
    }

    /// Runs a SELECT of log rows (`select` columns) with `?` arguments on a store's connection.
    public typealias RowReader = @Sendable (_ sql: String, _ args: [LogQuerySQL.Arg]) async throws -> [StoredLog]

    /// The columns every log row read selects, as `StoredLog` needs them.
    public static let select = "SELECT l.id, l.ts, l.source, l.level, l.message, h.name AS host FROM logs l JOIN hosts h ON h.id = l.host_id"

    public static func run(_ query: LogQuery, limit: Int, scanLimit: Int, dialect: LogQuerySQL.Dialect,
                           hosts: () async throws -> [Host], rows: RowReader) async throws -> LogSearchResult {
        guard limit > 0 else { return LogSearchResult(lines: [], scanned: 0, complete: true) }
        var labels: [String: [String: String]] = [:]
        var hostIDs: [Int64]?
        if query.constrainsHosts {
            let admitted = try await hosts().filter { query.admits(host: $0.name, labels: $0.labels) }
            guard !admitted.isEmpty else { return LogSearchResult(lines: [], scanned: 0, complete: true) }
            hostIDs = admitted.map(\.id)
            for h in admitted { labels[h.name] = h.labels }
        }
        let sql = LogQuerySQL(query, hostIDs: hostIDs, dialect: dialect)
        // What SQL cannot decide (negations, regexes) may reject rows: read more than asked, in growing pages.
        let exact = query.clauses.allSatisfy { c in
            if c.negated { return false }
            if case .regex = c.term { return false }
            return true
        }
        var pageSize = exact ? limit : min(max(limit * 4, 1_000), 20_000)
        var out: [StoredLog] = []
        var scanned = 0
        var before: (ts: Int64, id: Int64)?
        while true {
            let want = min(pageSize, scanLimit - scanned)
            var conditions = sql.conditions
            var args = sql.args
            if let before {
                conditions.append("(l.ts < ? OR (l.ts = ? AND l.id < ?))")
                args += [.int(before.ts), .int(before.ts), .int(before.id)]
            }
            var text = select
            if !conditions.isEmpty { text += " WHERE " + conditions.joined(separator: " AND ") }
            text += " ORDER BY l.ts DESC, l.id DESC LIMIT ?"
            args.append(.int(Int64(want)))
            let rows = try await rows(text, args)
            scanned += rows.count
            for r in rows where query.matches(r, labels: labels[r.host] ?? [:]) {
                out.append(r)
                if out.count == limit { return LogSearchResult(lines: out, scanned: scanned, complete: true) }
            }
            guard rows.count == want, let last = rows.last else {
                return LogSearchResult(lines: out, scanned: scanned, complete: true)
            }
            before = (last.ts, last.id)
            if scanned >= scanLimit { return LogSearchResult(lines: out, scanned: scanned, complete: false, searchedBack: last.ts) }
            pageSize = min(pageSize * 2, 50_000)
        }
    }
}

/// The lines around one line: the same host and source, older and newer (the logs pane's `Enter` on a line).
public enum LogContext {
    /// Up to `before` older and `after` newer lines of `line`'s host and source, oldest first, and where `line` is
    /// among them (nil when it is no longer stored: then the lines are those around its time). `line` may come from a
    /// live tail, whose ids are not the store's: it is found by host, source, time and message.
    public static func run(_ line: StoredLog, before: Int, after: Int, rows: LogSearch.RowReader) async throws -> (lines: [StoredLog], index: Int?) {
        let same = "h.name = ? AND l.source = ?"
        let found = try await rows(LogSearch.select + " WHERE \(same) AND l.ts = ? AND l.message = ? ORDER BY l.id LIMIT 1",
                                   [.text(line.host), .text(line.source), .int(line.ts), .text(line.message)]).first
        let older: [StoredLog]
        let newer: [StoredLog]
        if let found {
            older = try await rows(LogSearch.select + " WHERE \(same) AND (l.ts < ? OR (l.ts = ? AND l.id < ?)) ORDER BY l.ts DESC, l.id DESC LIMIT ?",
                                   [.text(line.host), .text(line.source), .int(found.ts), .int(found.ts), .int(found.id), .int(Int64(before))])
            newer = try await rows(LogSearch.select + " WHERE \(same) AND (l.ts > ? OR (l.ts = ? AND l.id > ?)) ORDER BY l.ts, l.id LIMIT ?",
                                   [.text(line.host), .text(line.source), .int(found.ts), .int(found.ts), .int(found.id), .int(Int64(after))])
            return (older.reversed() + [found] + newer, older.count)
        }
        older = try await rows(LogSearch.select + " WHERE \(same) AND l.ts < ? ORDER BY l.ts DESC, l.id DESC LIMIT ?",
                               [.text(line.host), .text(line.source), .int(line.ts), .int(Int64(before))])
        newer = try await rows(LogSearch.select + " WHERE \(same) AND l.ts >= ? ORDER BY l.ts, l.id LIMIT ?",
                               [.text(line.host), .text(line.source), .int(line.ts), .int(Int64(after))])
        return (older.reversed() + newer, nil)
    }
}
