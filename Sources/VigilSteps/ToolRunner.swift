#if canImport(Glibc)
import Glibc
#endif
import VigilAgentCore

/// Runs the external tools the policy names (systemctl, journalctl, logrotate, ss) as argv, never a shell,
/// and reports their output to the operator.
public enum ToolRunner {
    /// How a tool ended.
    public struct Outcome: Sendable, Equatable {
        public var succeeded: Bool
        /// False when the program could not be started (then `text` says why).
        public var started: Bool
        public var exitCode: Int32?
        public var text: String
    }

    /// Runs `argv`, prints its output indented (unless `quiet`) and a line when it failed.
    @discardableResult
    public static func run(_ argv: [String], timeoutMs: Int, out: StepOutput, quiet: Bool = false) -> Outcome {
        if !quiet { out.line("running: \(StepText.command(argv))") }
        let result: ProcessResult
        do {
            result = try ProcessRunner.run(argv, timeoutMs: timeoutMs)
        } catch {
            if !quiet { out.line(error.message) }
            return Outcome(succeeded: false, started: false, exitCode: nil, text: error.message)
        }
        if !quiet {
            for l in result.text.split(separator: "\n", omittingEmptySubsequences: true).prefix(200) {
                out.line("  " + StepText.shown(String(l)))
            }
        }
        let tool = StepText.shown(argv[0])
        if result.timedOut {
            out.line("\(tool) timed out after \(timeoutMs / 1000) s")
        } else if let sig = result.signal {
            out.line("\(tool) was killed by signal \(sig)")
        } else if result.exitCode != 0 && !quiet {
            out.line("\(tool) exited with status \(result.exitCode ?? -1)")
        }
        return Outcome(succeeded: !result.timedOut && result.exitCode == 0, started: true, exitCode: result.exitCode, text: result.text)
    }
}
