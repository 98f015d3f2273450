/// A test on one string value: equal, not equal, matches a regular expression, or does not.
///
/// Written in rule files as the operator followed by the value: `web-1` or `=web-1` (equal), `!=web-1`,
/// `=~web-.*`, `!~web-.*`. Regular expressions must match the whole value (as in Prometheus). Spaces
/// between an explicit operator and the value are ignored.
public struct StringMatcher: Sendable, Equatable, CustomStringConvertible {
    /// The comparison.
    public enum Op: String, Sendable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case matchesRegex = "=~"
        case notMatchesRegex = "!~"
    }

    public let op: Op
    /// The literal value, or the regular expression's source.
    public let value: String
    private let regex: RegexPattern?

    /// A matcher; nil when `op` is a regex operator and `value` does not compile.
    public init?(_ op: Op, _ value: String) {
        self.op = op
        self.value = value
        switch op {
        case .equal, .notEqual:
            regex = nil
        case .matchesRegex, .notMatchesRegex:
            guard let r = RegexPattern(value, anchored: true) else { return nil }
            regex = r
        }
    }

    /// Parses the rule-file notation (`web-1`, `=web-1`, `!=web-1`, `=~web-.*`, `!~web-.*`).
    /// Fails with a message saying what is wrong.
    public static func parse(_ text: String) -> Result<StringMatcher, RuleSyntaxError> {
        var op = Op.equal
        var rest = Substring(text)
        for candidate in [Op.matchesRegex, .notMatchesRegex, .notEqual, .equal] where rest.hasPrefix(candidate.rawValue) {
            op = candidate
            rest = rest.dropFirst(candidate.rawValue.count)
            while rest.first == " " { rest = rest.dropFirst() }
            break
        }
        guard let matcher = StringMatcher(op, String(rest)) else {
            return .failure(RuleSyntaxError("invalid regular expression '\(rest)'"))
        }
        return .success(matcher)
    }

    /// Whether `text` passes this matcher.
    public func matches(_ text: String) -> Bool {
        switch op {
        case .equal: text == value
        case .notEqual: text != value
        case .matchesRegex: regex?.matches(text) ?? false
        case .notMatchesRegex: !(regex?.matches(text) ?? false)
        }
    }

    /// The rule-file notation, e.g. `=~web-.*`.
    public var description: String { op.rawValue + value }

    public static func == (a: StringMatcher, b: StringMatcher) -> Bool { a.op == b.op && a.value == b.value }
}

/// A problem found while reading one value, before its file position is known.
public struct RuleSyntaxError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
