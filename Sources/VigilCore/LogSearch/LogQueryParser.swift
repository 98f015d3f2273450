import VigilWire

/// Reads the text of a `LogQuery`, one term at a time; every refusal names the term and its position.
struct LogQueryParser {
    private let chars: [Character]
    private let text: String
    private let now: Int64
    private var i = 0

    static let fields = ["host", "source", "level", "since", "until"]

    init(_ text: String, now: Int64) {
        self.text = text
        self.chars = Array(text)
        self.now = now
    }

    mutating func parse() throws(LogQueryError) -> LogQuery {
        var query = LogQuery(text: text)
        while true {
            while i < chars.count, chars[i].isWhitespace { i += 1 }
            guard i < chars.count else { break }
            let start = i
            var negated = false
            if chars[i] == "-", i + 1 < chars.count, !chars[i + 1].isWhitespace {
                negated = true
                i += 1
            }
            switch chars[i] {
            case "\"":
                let phrase = try quoted()
                query.clauses.append(.init(term: .words(try words(phrase, at: start)), negated: negated, position: start))
            case "/":
                query.clauses.append(.init(term: .regex(try regex()), negated: negated, position: start))
            default:
                try field(into: &query, negated: negated, start: start)
            }
            if i < chars.count, !chars[i].isWhitespace {
                throw LogQueryError("expected a space after the term that starts here", at: start)
            }
        }
        if let since = query.since, let until = query.until, since >= until {
            throw LogQueryError("since: must be earlier than until:", at: 0)
        }
        return query
    }

    /// A bare word, or `key OP value`.
    private mutating func field(into query: inout LogQuery, negated: Bool, start: Int) throws(LogQueryError) {
        let keyStart = i
        while i < chars.count, !chars[i].isWhitespace, !":=<>!".contains(chars[i]) { i += 1 }
        let key = String(chars[keyStart..<i])
        guard i < chars.count, !chars[i].isWhitespace, !key.isEmpty else {
            // No operator: a bare word (up to the next space).
            while i < chars.count, !chars[i].isWhitespace { i += 1 }
            let word = String(chars[keyStart..<i])
            query.clauses.append(.init(term: .words(try words(word, at: start)), negated: negated, position: start))
            return
        }
        var op = String(chars[i])
        i += 1
        if i < chars.count, chars[i] == "=", "<>!".contains(op) { op += "="; i += 1 }
        guard op != "!" else { throw LogQueryError("'!' must be '!=' in '\(key)!='", at: start) }
        let valueStart = i
        let value: String
        if i < chars.count, chars[i] == "\"" {
            value = try quoted()
        } else {
            while i < chars.count, !chars[i].isWhitespace { i += 1 }
            value = String(chars[valueStart..<i])
        }
        guard !value.isEmpty else { throw LogQueryError("'\(key)\(op)' needs a value", at: start) }
        let name = key.lowercased()
        let not = negated != (op == "!=")
        switch name {
        case "host", "source":
            guard op == ":" || op == "=" || op == "!=" else {
                throw LogQueryError("\(name) takes ':' (or '!='), not '\(op)'", at: start)
            }
            let glob = Glob(value)
            query.clauses.append(.init(term: name == "host" ? .host(glob) : .source(glob), negated: not, position: start))
        case "level":
            let cmp: LogQuery.Comparison
            switch op {
            case ":", "=", "!=": cmp = .equal
            case ">=": cmp = .atLeast
            case ">": cmp = .above
            case "<=": cmp = .atMost
            default: cmp = .below
            }
            guard let level = Self.level(value) else {
                throw LogQueryError("'\(value)' is not a level (trace, debug, info, notice, warning, error, critical)",
                                    at: valueStart)
            }
            query.clauses.append(.init(term: .level(cmp, level), negated: not, position: start))
        case "since", "until":
            guard op == ":" || op == "=" else { throw LogQueryError("\(name) takes ':', as in \(name):1h", at: start) }
            guard !not else { throw LogQueryError("\(name): cannot be negated", at: start) }
            guard let t = time(value) else {
                throw LogQueryError("'\(value)' is not a duration back from now (15m, 1h, 7d) or an RFC 3339 time", at: valueStart)
            }
            if name == "since" {
                guard query.since == nil else { throw LogQueryError("since: is given twice", at: start) }
                query.since = t
            } else {
                guard query.until == nil else { throw LogQueryError("until: is given twice", at: start) }
                query.until = t
            }
        default:
            guard op == "=" || op == "!=" else {
                throw LogQueryError("'\(key)' is not a field (\(Self.fields.joined(separator: ", ")); host labels use key=value); put text with '\(op)' in quotes to search for it", at: start)
            }
            query.clauses.append(.init(term: .label(key, Glob(value)), negated: not, position: start))
        }
    }

    /// A `"…"` string at `i` (with `\"` and `\\`), leaving `i` after the closing quote.
    private mutating func quoted() throws(LogQueryError) -> String {
        let start = i
        i += 1
        var out = ""
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count, chars[i + 1] == "\"" || chars[i + 1] == "\\" {
                out.append(chars[i + 1])
                i += 2
                continue
            }
            i += 1
            if c == "\"" { return out }
            out.append(c)
        }
        throw LogQueryError("the quote that starts here is not closed", at: start)
    }

    /// A `/…/` or `/…/i` regex at `i` (with `\/` for a slash).
    private mutating func regex() throws(LogQueryError) -> LogRegex {
        let start = i
        i += 1
        var pattern = ""
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count {
                if chars[i + 1] == "/" { pattern.append("/") } else { pattern.append(c); pattern.append(chars[i + 1]) }
                i += 2
                continue
            }
            i += 1
            if c == "/" {
                var insensitive = false
                if i < chars.count, chars[i] == "i" { insensitive = true; i += 1 }
                guard !pattern.isEmpty else { throw LogQueryError("the regex is empty", at: start) }
                do {
                    return try LogRegex(pattern, caseInsensitive: insensitive)
                } catch {
                    throw LogQueryError("/\(pattern)/ is not a valid regular expression", at: start)
                }
            }
            pattern.append(c)
        }
        throw LogQueryError("the regex that starts here is not closed (end it with '/'; write \\/ for a slash)", at: start)
    }

    private func words(_ text: String, at position: Int) throws(LogQueryError) -> [String] {
        let w = LogWords.split(text)
        guard !w.isEmpty else {
            throw LogQueryError("'\(text)' has no letters or digits to search for; use a /regex/ for punctuation", at: position)
        }
        return w
    }

    private func time(_ text: String) -> Int64? {
        if let ms = DurationText.milliseconds(text) { return now - ms }
        return RFC3339.milliseconds(text)
    }

    /// A level by name, with the usual short forms.
    static func level(_ text: String) -> LogLevel? {
        switch text.lowercased() {
        case "warn": .warning
        case "err": .error
        case "crit", "fatal": .critical
        case let t: LogLevel(rawValue: t)
        }
    }
}
