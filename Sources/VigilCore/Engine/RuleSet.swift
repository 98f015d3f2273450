import Foundation

/// The rules in force: every `*.yaml` / `*.yml` file of the rule directories (or the embedded defaults), each file
/// kept at its last good version when a reload finds it broken (a bad rule file never stops the engine).
public struct RuleSet: Sendable {
    public var directories: [String]
    /// Whether the embedded default rules (`embedded:rules/default.yaml`) are in force: no rule file was configured.
    public var embeddedDefaults: Bool
    /// Whether the directories were named by the user (`--rules`, `$VIGIL_RULES`): then a missing one is a warning.
    public var explicit: Bool
    /// Path → the last version of the file that loaded without errors.
    public private(set) var files: [String: RuleFile] = [:]
    /// Errors of the latest load, per file; empty when every file loaded.
    public private(set) var errors: [RuleFileErrors] = []
    /// What the user must hear about the latest load: a named directory that does not exist, no rules at all.
    public private(set) var warnings: [String] = []
    public private(set) var loadedAt: Int64 = 0

    /// Rules from `directories` only (an empty list: no rules at all), plus the embedded defaults when asked.
    public init(directories: [String], embeddedDefaults: Bool = false, explicit: Bool = true) {
        self.directories = directories
        self.embeddedDefaults = embeddedDefaults
        self.explicit = explicit
    }

    /// Every rule in force, in file then group order.
    public var rules: [AlertRule] {
        files.keys.sorted().flatMap { files[$0]!.rules }
    }

    /// Inhibit rules of every file in force.
    public var inhibitRules: [InhibitRule] { files.keys.sorted().flatMap { files[$0]!.inhibitRules } }
    /// Maintenance windows of every file in force.
    public var maintenance: [MaintenanceWindow] { files.keys.sorted().flatMap { files[$0]!.maintenance } }

    /// The rule files found in the directories, sorted, then the embedded ones (`embedded:rules/…`) when in force.
    public func paths() -> [String] {
        var out: [String] = []
        for dir in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for n in names.sorted() where (n.hasSuffix(".yaml") || n.hasSuffix(".yml")) && !n.hasPrefix(".") {
                out.append((dir as NSString).appendingPathComponent(n))
            }
        }
        if embeddedDefaults { out += EmbeddedDefaults.files(in: "rules").map(\.origin) }
        return out
    }

    /// Where the rules come from, for logs and the console: "embedded defaults" or the directories.
    public var sourceDescription: String {
        var parts = directories
        if embeddedDefaults { parts.append("the embedded defaults") }
        return parts.isEmpty ? "no rule directories" : parts.joined(separator: ", ")
    }

    /// Loads one rule file, from disk or from the embedded defaults.
    static func load(path: String) throws(RuleFileErrors) -> RuleFile {
        if EmbeddedDefaults.isEmbedded(path) {
            guard let file = EmbeddedDefaults.file(origin: path) else {
                throw RuleFileErrors(path: path, errors: [RuleFileError(file: path, line: 0, column: 0, message: "no such embedded file")])
            }
            return try RuleFile.parse(yaml: file.text, path: path)
        }
        return try RuleFile.load(path: path)
    }

    /// Reads every file again. Broken files keep their last good version; removed files drop their rules.
    public mutating func reload(now: Int64) {
        var next: [String: RuleFile] = [:]
        var problems: [RuleFileErrors] = []
        var names: [String: String] = [:]
        for path in paths() {
            do {
                let file = try Self.load(path: path)
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
        var notes: [String] = []
        if explicit {
            for dir in directories where !FileManager.default.fileExists(atPath: dir) {
                notes.append("rule directory \(dir) does not exist")
            }
        }
        if rules.isEmpty {
            notes.append("no alert rules in force (from \(sourceDescription)): nothing will alert")
        }
        warnings = notes
    }

    /// The rules used when none are named: `$VIGIL_RULES` (colon-separated directories, exactly those); else the
    /// rule files of `/etc/vigil/rules` and `~/.config/vigil/rules`; and only when neither holds a rule file, the
    /// default rules embedded in the binary.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> RuleSet {
        if let d = environment["VIGIL_RULES"], !d.isEmpty {
            return RuleSet(directories: d.split(separator: ":").map(String.init), explicit: true)
        }
        let config = ConfigFiles.userConfigHome(environment)
        let dirs = ["/etc/vigil/rules", config + "/vigil/rules"]
        let configured = RuleSet(directories: dirs, explicit: false).paths()
        if configured.isEmpty { return RuleSet(directories: [], embeddedDefaults: true, explicit: false) }
        return RuleSet(directories: dirs, explicit: false)
    }
}
