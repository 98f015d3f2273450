/// The `remediation:` section of the agent configuration: whether jobs may run here at all, and the
/// limits the step programs enforce, handed to every step as `VIGIL_STEP_*` environment variables.
public struct RemediationPolicy: Sendable, Equatable {
    /// False (or `--no-remediation`): every job is refused.
    public var enabled = true
    /// Directories `disk-cleanup` may delete under.
    public var allowDirs = ["/tmp", "/var/tmp"]
    /// Log directories for `disk-cleanup` and `log-rotate`.
    public var logDirs: [String] = []
    /// Units the step programs may restart.
    public var allowUnits: [String] = []
    /// Parent process names (`comm`) `zombie-reap` may terminate.
    public var allowParents: [String] = []
    /// Programs besides `vigil-step` that jobs may run (`allow_programs`: absolute paths or bare names, exactly as
    /// runbook steps write them). Empty: only the agent's own step programs run.
    public var allowPrograms: [String] = []
    /// Process names never signalled (besides PID 1 and the agent itself).
    public var protectedProcesses = RemediationPolicy.defaultProtected
    public var systemctl = "/usr/bin/systemctl"
    public var journalctl = "/usr/bin/journalctl"
    public var logrotate = "/usr/sbin/logrotate"
    public var ss = "/usr/bin/ss"
    public var dropCaches = "/proc/sys/vm/drop_caches"

    public static let defaultProtected = ["sshd", "systemd", "init", "vigil-agent", "vigil"]

    public init() {}

    /// The variables every step gets (on top of ``ProcessRunner/defaultEnvironment``).
    public func environment(agentPID: Int32) -> [String: String] {
        [
            "VIGIL_STEP_ALLOW_DIRS": allowDirs.joined(separator: ":"),
            "VIGIL_STEP_LOG_DIRS": logDirs.joined(separator: ":"),
            "VIGIL_STEP_ALLOW_UNITS": allowUnits.joined(separator: ","),
            "VIGIL_STEP_ALLOW_PARENTS": allowParents.joined(separator: ","),
            "VIGIL_STEP_PROTECTED": protectedProcesses.joined(separator: ","),
            "VIGIL_STEP_SYSTEMCTL": systemctl,
            "VIGIL_STEP_JOURNALCTL": journalctl,
            "VIGIL_STEP_LOGROTATE": logrotate,
            "VIGIL_STEP_SS": ss,
            "VIGIL_STEP_DROP_CACHES": dropCaches,
            "VIGIL_STEP_AGENT_PID": String(agentPID),
        ]
    }

    /// Why `path` cannot be an allow or log directory, nil when it can: absolute, no `..` or `.`
    /// component, no `:` (the list separator), no control characters, and not `/` itself.
    public static func directoryProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "must be an absolute path" }
        guard !path.contains(":") else { return "must not contain ':'" }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return "must not contain control characters" }
        let parts = path.split(separator: "/")
        guard !parts.isEmpty else { return "must not be / (the whole filesystem)" }
        guard !parts.contains(where: { $0 == ".." || $0 == "." }) else { return "must not contain . or .. components" }
        return nil
    }

    /// Why `name` cannot be a process name in a list, nil when it can: 1–64 bytes without `,` or
    /// control characters.
    public static func processNameProblem(_ name: String) -> String? {
        guard !name.isEmpty, name.utf8.count <= 64 else { return "must be 1 to 64 characters" }
        guard !name.contains(","), !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            return "must not contain ',' or control characters"
        }
        return nil
    }
}
