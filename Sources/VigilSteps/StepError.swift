/// A step program's refusal or failure, worded for an operator: it names the argument or input at fault.
public struct StepError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The complete message, e.g. `--unit: 'nginx; rm -rf /' is not a valid unit name`.
    public var message: String
    /// The exit status the program ends with: 2 for bad arguments or a policy refusal, 1 for failed work.
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    /// Bad arguments or refused by policy (exit 2).
    public static func usage(_ message: String) -> StepError { StepError(message, exitCode: 2) }

    /// The work could not be done (exit 1).
    public static func failed(_ message: String) -> StepError { StepError(message, exitCode: 1) }

    public var description: String { message }
}
