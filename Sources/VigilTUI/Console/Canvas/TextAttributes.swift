/// Text attributes a cell can carry, independent of curses.
struct TextAttributes: OptionSet, Hashable, Sendable {
    let rawValue: UInt8

    static let bold = TextAttributes(rawValue: 1 << 0)
    static let dim = TextAttributes(rawValue: 1 << 1)
    static let reverse = TextAttributes(rawValue: 1 << 2)
    static let underline = TextAttributes(rawValue: 1 << 3)

    /// Attribute names as theme files spell them.
    static let names: [(String, TextAttributes)] = [
        ("bold", .bold), ("dim", .dim), ("reverse", .reverse), ("underline", .underline),
    ]

    /// Parses one attribute name (`bold`, `dim`, `reverse`, `underline`); nil when unknown.
    static func named(_ name: String) -> TextAttributes? {
        let key = name.lowercased()
        if key == "none" || key == "normal" { return [] }
        return names.first { $0.0 == key }?.1
    }
}
