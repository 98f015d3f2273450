/// Why a theme could not be used, naming the file and, when known, the line and column at fault.
struct ThemeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The theme file (or the theme name when no file was found).
    var file: String
    /// 1-based line, when known.
    var line: Int?
    /// 1-based column, when known.
    var column: Int?
    var message: String

    var description: String {
        var location = file
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return "\(location): \(message)"
    }
}
