/// An error of the agent, worded for an operator: it names the input at fault and what to do.
public struct AgentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The complete message, e.g. `agent.yaml:7:12: interval must be a duration like 10s or 1m`.
    public var message: String

    /// Creates an error carrying `message`.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// An error for a failed system call on `path`, with the text of `errno`.
    static func system(_ what: String, path: String, errno code: Int32) -> AgentError {
        AgentError("\(what) \(path): \(FileSystem.errorText(code))")
    }
}
