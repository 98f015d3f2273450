#if canImport(Glibc)
import Glibc
#endif

/// The step programs of remediation runbooks (`vigil-agent step NAME …`, `vigil step NAME …`).
///
/// Exit 0: done or condition met. 1: condition not met or the work failed. 2: bad arguments or refused by
/// policy. Every program accepts `--dry-run`, which reports what it would touch and changes nothing.
public enum StepPrograms {
    typealias Program = @Sendable (_ args: [String], _ policy: StepPolicy, _ out: StepOutput) -> Int32

    /// Every program: name, usage line, entry.
    static let programs: [(name: String, usage: String, run: Program)] = [
        (DiskUsage.name, DiskUsage.usage, DiskUsage.run),
        (DiskCleanup.name, DiskCleanup.usage, DiskCleanup.run),
        (ServiceRestart.name, ServiceRestart.usage, ServiceRestart.run),
        (ServiceCheck.name, ServiceCheck.usage, ServiceCheck.run),
        (MemoryReport.name, MemoryReport.usage, MemoryReport.run),
        (MemoryRelieve.name, MemoryRelieve.usage, MemoryRelieve.run),
        (LogRotate.name, LogRotate.usage, LogRotate.run),
        (LogrotateRun.name, LogrotateRun.usage, LogrotateRun.run),
        (ZombieReport.name, ZombieReport.usage, ZombieReport.run),
        (ZombieReap.name, ZombieReap.usage, ZombieReap.run),
        (ConnReport.name, ConnReport.usage, ConnReport.run),
        (ConnReset.name, ConnReset.usage, ConnReset.run),
    ]

    /// The names of all programs.
    public static var names: [String] { programs.map(\.name) }

    /// The usage text listing every program.
    public static var usage: String {
        (["usage: step PROGRAM [OPTIONS]   (every program accepts --dry-run)", "programs:"]
            + programs.map { "  " + $0.usage }).joined(separator: "\n")
    }

    /// Runs `args[0]` with `args[1…]`, printing to standard output (flushed). Returns the exit status.
    public static func main(_ args: [String], environment: [String: String]) -> Int32 {
        let code = run(args, environment: environment, out: .standardOutput())
        fflush(nil)
        return code
    }

    /// Runs `args[0]` with `args[1…]`, writing lines to `out`.
    public static func run(_ args: [String], environment: [String: String], out: StepOutput) -> Int32 {
        guard let programName = args.first else {
            out.line(usage)
            return 2
        }
        if programName == "help" || programName == "--help" || programName == "-h" {
            out.line(usage)
            return 0
        }
        guard let program = programs.first(where: { $0.name == programName }) else {
            out.line("unknown step program '\(StepText.shown(programName))'")
            out.line(usage)
            return 2
        }
        let policy = StepPolicy(environment: environment)
        for problem in policy.problems { out.line("warning: policy: \(problem)") }
        return program.run(Array(args.dropFirst()), policy, out)
    }
}
