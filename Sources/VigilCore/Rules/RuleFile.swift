import Foundation
import Yams

/// A validated rule file: `groups:` of rules. Build one with `parse(yaml:path:)` or `load(path:)`; either
/// fails with every error of the file, never only the first.
public struct RuleFile: Sendable, Equatable {
    /// The path the rules came from, as given.
    public var path: String
    public var groups: [RuleGroup]
    /// Alertmanager-style inhibitions (top-level `inhibit_rules:`).
    public var inhibitRules: [InhibitRule]
    /// Recurring maintenance windows (top-level `maintenance:`).
    public var maintenance: [MaintenanceWindow]

    public init(path: String, groups: [RuleGroup], inhibitRules: [InhibitRule] = [], maintenance: [MaintenanceWindow] = []) {
        self.path = path
        self.groups = groups
        self.inhibitRules = inhibitRules
        self.maintenance = maintenance
    }

    /// Every rule of every group, in file order.
    public var rules: [AlertRule] { groups.flatMap(\.rules) }

    /// How many rules of each kind, in `RuleKind.names` order, kinds without rules left out.
    public var rulesByKind: [(kind: String, count: Int)] {
        var counts: [String: Int] = [:]
        for rule in rules { counts[rule.kind.name, default: 0] += 1 }
        return RuleKind.names.compactMap { name in counts[name].map { (name, $0) } }
    }

    /// Parses and validates rule YAML. `path` only names the file in errors.
    public static func parse(yaml: String, path: String) throws(RuleFileErrors) -> RuleFile {
        var parser = RuleFileParser(path: path)
        let groups = parser.parse(yaml)
        guard parser.errors.isEmpty else { throw RuleFileErrors(path: path, errors: parser.errors) }
        return RuleFile(path: path, groups: groups, inhibitRules: parser.inhibitRules, maintenance: parser.maintenance)
    }

    /// Reads and validates the rule file at `path`.
    public static func load(path: String) throws(RuleFileErrors) -> RuleFile {
        let yaml: String
        do {
            yaml = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file (expected readable UTF-8 text)" : "no such file"
            throw RuleFileErrors(path: path, errors: [RuleFileError(file: path, line: 0, column: 0, message: reason)])
        }
        return try parse(yaml: yaml, path: path)
    }
}
