/// One problem in a rule file, at a position, saying what was expected.
public struct RuleFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the problem is the whole file (unreadable, empty).
    public var line: Int
    /// 1-based; 0 when unknown.
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE:COL: message` (or `FILE: message` for whole-file problems).
    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}

/// Every problem found in one rule file, in file order.
public struct RuleFileErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var errors: [RuleFileError]

    public init(path: String, errors: [RuleFileError]) {
        self.path = path
        self.errors = errors
    }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
