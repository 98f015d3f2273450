/// A `/` filter: a regular expression matched against a row's search strings; a leading `!` inverts it.
/// Matching is case-insensitive unless the pattern has an upper-case letter (smart case).
struct RowFilter {
    let text: String
    let inverted: Bool
    private let regex: Regex<AnyRegexOutput>

    /// Parses `text`; nil for an empty filter. Throws a message for an invalid regular expression.
    init?(_ text: String) throws(CommandError) {
        var pattern = Substring(text)
        var inverted = false
        if pattern.first == "!" {
            inverted = true
            pattern = pattern.dropFirst()
        }
        if pattern.isEmpty && !inverted { return nil }
        self.text = text
        self.inverted = inverted
        do {
            var regex = try Regex(String(pattern))
            if !pattern.contains(where: \.isUppercase) { regex = regex.ignoresCase() }
            self.regex = regex
        } catch {
            throw CommandError(message: "bad filter /\(text): \(error)")
        }
    }

    /// Whether a row with these search strings passes the filter.
    func matches(_ strings: [String]) -> Bool {
        let hit = strings.contains { $0.contains(regex) }
        return hit != inverted
    }
}
