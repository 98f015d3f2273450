#if canImport(Glibc)
import Glibc
#endif

/// What the step programs may touch, from the `VIGIL_STEP_*` environment the executor sets (spec §4).
///
/// Parsing never fails: an entry that is not valid (a relative directory, a unit name with a `;`, a tool
/// path that is not absolute) is left out or replaced by the default and recorded in `problems`, which
/// every program prints as a warning.
public struct StepPolicy: Sendable, Equatable {
    /// Directories disk-cleanup may delete under (absolute, normalized; not yet resolved).
    public var allowDirs: [String]
    /// Log directories: disk-cleanup and log-rotate.
    public var logDirs: [String]
    /// Units that may be restarted, canonical (`nginx` becomes `nginx.service`).
    public var allowUnits: [String]
    /// Process names (comm) whose processes zombie-reap may terminate.
    public var allowParents: [String]
    /// Process names never signalled. Always includes `builtInProtected`.
    public var protectedNames: [String]
    public var systemctl: String
    public var journalctl: String
    public var logrotate: String
    public var ss: String
    public var dropCaches: String
    /// The agent's pid (never signalled), when given.
    public var agentPID: Int32?
    /// Entries that were ignored, worded for an operator.
    public var problems: [String]

    public static let defaultAllowDirs = ["/tmp", "/var/tmp"]
    /// Never signalled whatever the configuration says.
    public static let builtInProtected = ["sshd", "systemd", "init", "vigil-agent", "vigil"]

    /// Reads the policy from `environment` (missing variables take the spec's defaults).
    public init(environment env: [String: String]) {
        var problems: [String] = []

        func list(_ key: String, separator: Character) -> [String]? {
            guard let raw = env[key] else { return nil }
            return raw.split(separator: separator).map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        }

        func dirs(_ key: String, defaults: [String]) -> [String] {
            var out: [String] = []
            for entry in list(key, separator: ":") ?? defaults {
                do {
                    let path = try ArgumentValidator.absolutePath(entry, argument: key)
                    if path == "/" {
                        problems.append("\(key): '/' is never allowed as a whole; ignored")
                        continue
                    }
                    if !out.contains(path) { out.append(path) }
                } catch {
                    problems.append(error.message + "; ignored")
                }
            }
            return out
        }

        func tool(_ key: String, default value: String) -> String {
            guard let raw = env[key], !raw.isEmpty else { return value }
            do {
                return try ArgumentValidator.absolutePath(raw, argument: key)
            } catch {
                problems.append(error.message + "; using \(value)")
                return value
            }
        }

        allowDirs = dirs("VIGIL_STEP_ALLOW_DIRS", defaults: Self.defaultAllowDirs)
        logDirs = dirs("VIGIL_STEP_LOG_DIRS", defaults: [])

        var units: [String] = []
        for entry in list("VIGIL_STEP_ALLOW_UNITS", separator: ",") ?? [] {
            do {
                let unit = ArgumentValidator.canonicalUnit(try ArgumentValidator.unitName(entry, argument: "VIGIL_STEP_ALLOW_UNITS"))
                if !units.contains(unit) { units.append(unit) }
            } catch {
                problems.append(error.message + "; ignored")
            }
        }
        allowUnits = units

        var parents: [String] = []
        for entry in list("VIGIL_STEP_ALLOW_PARENTS", separator: ",") ?? [] {
            if ArgumentValidator.isProcessName(entry) {
                if !parents.contains(entry) { parents.append(entry) }
            } else {
                problems.append("VIGIL_STEP_ALLOW_PARENTS: '\(StepText.shown(entry))' is not a process name; ignored")
            }
        }
        allowParents = parents

        var protected = Self.builtInProtected
        for entry in list("VIGIL_STEP_PROTECTED", separator: ",") ?? [] where !protected.contains(entry) {
            protected.append(entry)
        }
        protectedNames = protected

        systemctl = tool("VIGIL_STEP_SYSTEMCTL", default: "/usr/bin/systemctl")
        journalctl = tool("VIGIL_STEP_JOURNALCTL", default: "/usr/bin/journalctl")
        logrotate = tool("VIGIL_STEP_LOGROTATE", default: "/usr/sbin/logrotate")
        ss = tool("VIGIL_STEP_SS", default: "/usr/bin/ss")
        dropCaches = tool("VIGIL_STEP_DROP_CACHES", default: "/proc/sys/vm/drop_caches")

        agentPID = nil
        if let raw = env["VIGIL_STEP_AGENT_PID"], !raw.isEmpty {
            if let pid = try? ArgumentValidator.integer(raw, argument: "VIGIL_STEP_AGENT_PID", range: 1...4_194_304) {
                agentPID = Int32(pid)
            } else {
                problems.append("VIGIL_STEP_AGENT_PID: '\(StepText.shown(raw))' is not a pid; ignored")
            }
        }
        self.problems = problems
    }

    /// True when `unit` (any accepted spelling) is allow-listed.
    public func allowsUnit(_ unit: String) -> Bool {
        allowUnits.contains(ArgumentValidator.canonicalUnit(unit))
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
