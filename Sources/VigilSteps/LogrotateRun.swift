#if canImport(Glibc)
import Glibc
#endif
import VigilAgentCore

/// `logrotate-run --config PATH`: `logrotate -f PATH`. PATH must resolve to /etc/logrotate.conf, a regular file
/// under /etc/logrotate.d or under a log dir, owned by root and not writable by group or others (logrotate
/// runs its scripts as root). `--dry-run` runs `logrotate -d PATH`, which changes nothing.
public enum LogrotateRun {
    public static let name = "logrotate-run"
    public static let usage = "logrotate-run --config PATH [--dry-run]"

    static let options: [StepArguments.Option] = [.init("config", .single), .init("dry-run", .flag)]

    /// Validates the config path; returns the resolved path.
    public static func config(_ value: String, policy: StepPolicy) throws(StepError) -> String {
        let path = try ArgumentValidator.absolutePath(value, argument: "--config")
        guard let resolved = AllowedDirectory.resolve(path) else {
            let e = errno
            throw .usage("--config: \(path): \(FileSystem.errorText(e))")
        }
        let dirs = (["/etc/logrotate.d"] + policy.logDirs).compactMap { AllowedDirectory.resolve($0) }
        let allowed = resolved == "/etc/logrotate.conf"
            || dirs.contains { resolved.hasPrefix($0 + "/") && $0 != "/" }
        guard allowed else {
            throw .usage("--config: \(path) is not /etc/logrotate.conf, nor under /etc/logrotate.d or a log dir")
        }
        var st = stat()
        guard lstat(resolved, &st) == 0, st.isRegular else { throw .usage("--config: \(path) is not a regular file") }
        guard st.st_uid == 0, st.st_mode & 0o022 == 0 else {
            throw .usage("--config: \(path) must be owned by root and not writable by group or others")
        }
        return resolved
    }

    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        let path: String
        let dryRun: Bool
        do {
            let parsed = try StepArguments.parse(args, options: options, program: name)
            path = try config(try parsed.required("config"), policy: policy)
            dryRun = parsed.has("dry-run")
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
        let argv = dryRun ? [policy.logrotate, "-d", path] : [policy.logrotate, "-f", path]
        if dryRun { out.line("would run: \(StepText.command([policy.logrotate, "-f", path])); debug run follows") }
        let outcome = ToolRunner.run(argv, timeoutMs: 300_000, out: out)
        out.line("\(name): " + (dryRun ? "dry run of \(path) " : "\(path) ") + (outcome.succeeded ? "done" : "failed"))
        return outcome.succeeded ? 0 : 1
    }
}
