/// A console start-up failure (no terminal, curses refused), with a message that says what to do.
struct ConsoleError: Error, Equatable, Sendable, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
