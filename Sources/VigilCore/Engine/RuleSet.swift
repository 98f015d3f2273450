import Foundation

/// The rules in force: every `*.yaml` / `*.yml` file of the rule directories, each file kept at its last good
/// version when a reload finds it broken (a bad rule file never stops the engine).
public struct RuleSet: Sendable {
    public var directories: [String]
    /// Path → the last version of the file that loaded without errors.
    public private(set) var files: [String: RuleFile] = [:]
    /// Errors of the latest load, per file; empty when every file loaded.
    public private(set) var errors: [RuleFileErrors] = []
    public private(set) var loadedAt: Int64 = 0

    public init(directories: [String]) {
        self.directories = directories
    }

    /// Every rule in force, in file then group order.
    public var rules: [AlertRule] {
        files.keys.sorted().flatMap { files[$0]!.rules }
    }

    /// Inhibit rules of every file in force.
    public var inhibitRules: [InhibitRule] { files.keys.sorted().flatMap { files[$0]!.inhibitRules } }
    /// Maintenance windows of every file in force.
    public var maintenance: [MaintenanceWindow] { files.keys.sorted().flatMap { files[$0]!.maintenance } }

    /// The rule files found in the directories, sorted.
    public func paths() -> [String] {
        var out: [String] = []
        for dir in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for n in names.sorted() where (n.hasSuffix(".yaml") || n.hasSuffix(".yml")) && !n.hasPrefix(".") {
                out.append((dir as NSString).appendingPathComponent(n))
            }
        }
        return out
    }

    /// Reads every file again. Broken files keep their last good version; removed files drop their rules.
    public mutating func reload(now: Int64) {
        var next: [String: RuleFile] = [:]
        var problems: [RuleFileErrors] = []
        var names: [String: String] = [:]
        for path in paths() {
            do {
                let file = try RuleFile.load(path: path)
                // Alert names must be unique across files: the fingerprint is made of the name and labels.
                var clash: [RuleFileError] = []
                for rule in file.rules {
                    if let other = names[rule.name], other != path {
                        clash.append(RuleFileError(file: path, line: rule.line, column: 1,
                                                   message: "alert '\(rule.name)' is also defined in \(other); alert names must be unique"))
                    }
                }
                if clash.isEmpty {
                    for rule in file.rules { names[rule.name] = path }
                    next[path] = file
                } else {
                    problems.append(RuleFileErrors(path: path, errors: clash))
                    if let old = files[path] { next[path] = old }
                }
            } catch {
                problems.append(error)
                if let old = files[path] { next[path] = old }
            }
        }
        files = next
        errors = problems
        loadedAt = now
    }

    /// Where rules are looked up when none are named: `$VIGIL_RULES` (colon-separated); else `/etc/vigil/rules` and
    /// `~/.config/vigil/rules`; and only when neither holds a rule file, the default rules shipped next to the
    /// binary (a checkout) or in `/usr/share/vigil/rules`.
    public static func defaultDirectories(environment: [String: String] = ProcessInfo.processInfo.environment,
                                          executable: String = CommandLine.arguments.first ?? "") -> [String] {
        if let d = environment["VIGIL_RULES"], !d.isEmpty { return d.split(separator: ":").map(String.init) }
        var dirs = ["/etc/vigil/rules"]
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        dirs.append(config + "/vigil/rules")
        let shipped = ShippedFiles.directory("rules", containing: "default.yaml", executable: executable)
        let configured = RuleSet(directories: dirs).paths()
        if configured.isEmpty, let shipped { dirs.append(shipped) }
        return dirs
    }
}
