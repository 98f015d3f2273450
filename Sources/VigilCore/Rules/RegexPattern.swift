import Foundation

/// A compiled regular expression (ICU syntax, as `NSRegularExpression`), safe to share across threads.
///
/// Anchored patterns must match the whole text (`^(?:pattern)$`, like Prometheus label matchers);
/// unanchored ones match anywhere in it (log lines).
public struct RegexPattern: Sendable, Equatable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    /// Whether the whole text must match.
    public let anchored: Bool
    private let box: Box

    /// `NSRegularExpression` is immutable once built and documented as safe to use from several threads.
    private final class Box: @unchecked Sendable {
        let regex: NSRegularExpression
        init(_ regex: NSRegularExpression) { self.regex = regex }
    }

    /// Compiles `pattern`; nil when it is not a valid regular expression.
    public init?(_ pattern: String, anchored: Bool) {
        let source = anchored ? "^(?:\(pattern))$" : pattern
        guard let regex = try? NSRegularExpression(pattern: source) else { return nil }
        self.pattern = pattern
        self.anchored = anchored
        self.box = Box(regex)
    }

    /// Whether `text` matches (the whole of it when anchored, any part otherwise).
    public func matches(_ text: String) -> Bool {
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return box.regex.firstMatch(in: text, options: [], range: range) != nil
    }

    public var description: String { pattern }

    public static func == (a: RegexPattern, b: RegexPattern) -> Bool {
        a.pattern == b.pattern && a.anchored == b.anchored
    }
}
