import Foundation

/// The words of a log message, as full-text search sees them: runs of letters and digits, lowercased; everything else
/// separates. SQLite's FTS5 (`unicode61`) splits the same way, so its index can narrow a search this then decides.
public enum LogWords {
    /// The words of `text`, lowercased.
    public static func split(_ text: String) -> [String] {
        var out: [String] = []
        var word = ""
        for ch in text {
            if isWordCharacter(ch) {
                word.append(ch)
            } else if !word.isEmpty {
                out.append(word.lowercased())
                word = ""
            }
        }
        if !word.isEmpty { out.append(word.lowercased()) }
        return out
    }

    /// Whether `phrase` occurs in `words` as consecutive words.
    public static func contains(_ words: [String], phrase: [String]) -> Bool {
        guard !phrase.isEmpty, words.count >= phrase.count else { return phrase.isEmpty }
        outer: for start in 0...(words.count - phrase.count) {
            for (i, w) in phrase.enumerated() where words[start + i] != w { continue outer }
            return true
        }
        return false
    }

    /// Where `phrase` occurs in `text`, as UTF-16 ranges from its first word's start to its last word's end.
    public static func ranges(of phrase: [String], in text: String) -> [NSRange] {
        guard !phrase.isEmpty else { return [] }
        var spans: [(word: String, range: NSRange)] = []
        var word = ""
        var start = 0
        var offset = 0
        for ch in text {
            let width = ch.utf16.count
            if isWordCharacter(ch) {
                if word.isEmpty { start = offset }
                word.append(ch)
            } else if !word.isEmpty {
                spans.append((word.lowercased(), NSRange(location: start, length: offset - start)))
                word = ""
            }
            offset += width
        }
        if !word.isEmpty { spans.append((word.lowercased(), NSRange(location: start, length: offset - start))) }
        guard spans.count >= phrase.count else { return [] }
        var out: [NSRange] = []
        outer: for s in 0...(spans.count - phrase.count) {
            for (i, w) in phrase.enumerated() where spans[s + i].word != w { continue outer }
            let first = spans[s].range
            let last = spans[s + phrase.count - 1].range
            out.append(NSRange(location: first.location, length: last.location + last.length - first.location))
        }
        return out
    }

    static func isWordCharacter(_ ch: Character) -> Bool { ch.isLetter || ch.isNumber }
}

/// A name pattern: `*` any run of characters, `?` one character, anything else itself (case-sensitive).
public struct Glob: Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    private let scalars: [Unicode.Scalar]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.scalars = Array(pattern.unicodeScalars)
    }

    public static func == (a: Glob, b: Glob) -> Bool { a.pattern == b.pattern }

    public var description: String { pattern }

    /// True when the pattern has no wildcard.
    public var isLiteral: Bool { !scalars.contains("*") && !scalars.contains("?") }

    public func matches(_ text: String) -> Bool {
        let t = Array(text.unicodeScalars)
        // Iterative matching with one backtrack point (the last `*`): linear in practice, never exponential.
        var (p, i) = (0, 0)
        var star: Int?
        var mark = 0
        while i < t.count {
            if p < scalars.count, scalars[p] == "?" || (scalars[p] != "*" && scalars[p] == t[i]) {
                p += 1
                i += 1
            } else if p < scalars.count, scalars[p] == "*" {
                star = p
                mark = i
                p += 1
            } else if let s = star {
                p = s + 1
                mark += 1
                i = mark
            } else {
                return false
            }
        }
        while p < scalars.count, scalars[p] == "*" { p += 1 }
        return p == scalars.count
    }

    /// The pattern for SQL `LIKE … ESCAPE '\'`: `*` → `%`, `?` → `_`, and `%`, `_`, `\` escaped.
    public var likePattern: String {
        var out = ""
        for s in scalars {
            switch s {
            case "*": out += "%"
            case "?": out += "_"
            case "%", "_", "\\": out += "\\" + String(s)
            default: out.unicodeScalars.append(s)
            }
        }
        return out
    }
}

/// A regular expression over log messages (`/…/`, `/…/i`), compiled once.
public struct LogRegex: @unchecked Sendable, Equatable, CustomStringConvertible {
    // NSRegularExpression is immutable and documented as safe to share between threads.
    public let pattern: String
    public let caseInsensitive: Bool
    private let expression: NSRegularExpression

    /// Nil with the library's reason when the pattern does not compile.
    public init(_ pattern: String, caseInsensitive: Bool) throws {
        self.pattern = pattern
        self.caseInsensitive = caseInsensitive
        self.expression = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
    }

    public static func == (a: LogRegex, b: LogRegex) -> Bool { a.pattern == b.pattern && a.caseInsensitive == b.caseInsensitive }

    public var description: String { "/\(pattern)/" + (caseInsensitive ? "i" : "") }

    public func matches(_ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(location: 0, length: text.utf16.count)) != nil
    }

    public func ranges(in text: String) -> [NSRange] {
        expression.matches(in: text, range: NSRange(location: 0, length: text.utf16.count)).map(\.range)
    }
}
