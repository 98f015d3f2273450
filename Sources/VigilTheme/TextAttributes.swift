/// Text attributes a cell can carry, independent of curses.
public struct TextAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public static let bold = TextAttributes(rawValue: 1 << 0)
    public static let dim = TextAttributes(rawValue: 1 << 1)
    public static let reverse = TextAttributes(rawValue: 1 << 2)
    public static let underline = TextAttributes(rawValue: 1 << 3)

    /// Attribute names as theme files spell them.
    public static let names: [(String, TextAttributes)] = [
        ("bold", .bold), ("dim", .dim), ("reverse", .reverse), ("underline", .underline),
    ]

    /// Parses one attribute name (`bold`, `dim`, `reverse`, `underline`); nil when unknown.
    public static func named(_ name: String) -> TextAttributes? {
        let key = name.lowercased()
        if key == "none" || key == "normal" { return [] }
        return names.first { $0.0 == key }?.1
    }
}
