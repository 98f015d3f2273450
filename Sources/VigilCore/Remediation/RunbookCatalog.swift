import Foundation

/// Every runbook Vigil knows: the built-ins embedded in the binary (from the repository's `runbooks/`) and the
/// operator's own directory. A file
/// with errors is left out and its errors kept for `vigil runbook list` and the console.
public struct RunbookCatalog: Sendable {
    public private(set) var runbooks: [Runbook]
    public private(set) var errors: [RuleFileError]
    /// What the user must hear though nothing is broken: a runbook directory named that does not exist.
    public private(set) var warnings: [String]

    public init(runbooks: [Runbook], errors: [RuleFileError] = [], warnings: [String] = []) {
        self.runbooks = runbooks.sorted { $0.name < $1.name }
        self.errors = errors
        self.warnings = warnings
    }

    public func runbook(named name: String) -> Runbook? { runbooks.first { $0.name == name } }

    /// Runbooks fitting an alert, lowest risk first.
    public func matching(alertName: String, labels: [String: String]) -> [Runbook] {
        runbooks.filter { $0.matches(alertName: alertName, labels: labels) }.sorted { ($0.risk, $0.name) < ($1.risk, $1.name) }
    }

    /// Parses one file's text.
    public static func parse(_ text: String, path: String, builtIn: Bool) -> Result<Runbook, RuleFileErrors> {
        var parser = RunbookParser(path: path)
        if let runbook = parser.parse(text, builtIn: builtIn), parser.errors.isEmpty { return .success(runbook) }
        return .failure(RuleFileErrors(path: path, errors: parser.errors))
    }

    /// Loads the built-ins (the files of `builtInDirectory`, or when nil the runbooks embedded in the binary), then
    /// `userDirectory` (`*.yaml`, `*.yml`, in name order). A user runbook with a built-in's name replaces it; two
    /// user files with one name are an error. Each runbook's `file` says where it came from (a path, or
    /// `embedded:runbooks/NAME.yaml`).
    public static func load(builtInDirectory: String? = nil, userDirectory: String?) -> RunbookCatalog {
        var byName: [String: Runbook] = [:]
        var errors: [RuleFileError] = []
        var warnings: [String] = []
        func add(text: String, path: String, builtIn: Bool) {
            switch parse(text, path: path, builtIn: builtIn) {
            case .success(let rb):
                if let other = byName[rb.name], !other.builtIn, !builtIn {
                    errors.append(RuleFileError(file: path, line: 0, column: 0, message: "runbook '\(rb.name)' is already defined in \(other.file)"))
                } else {
                    byName[rb.name] = rb
                }
            case .failure(let e):
                errors += e.errors
            }
        }
        if let builtInDirectory {
            readFiles(in: builtInDirectory, errors: &errors, warnings: &warnings) { add(text: $1, path: $0, builtIn: true) }
        } else {
            for file in EmbeddedDefaults.files(in: "runbooks") { add(text: file.text, path: file.origin, builtIn: true) }
        }
        if let userDirectory {
            readFiles(in: userDirectory, errors: &errors, warnings: &warnings) { add(text: $1, path: $0, builtIn: false) }
        }
        return RunbookCatalog(runbooks: Array(byName.values), errors: errors, warnings: warnings)
    }

    /// Calls `body(path, text)` for each YAML file of `dir`; an unreadable file is an error, a missing directory a
    /// warning.
    private static func readFiles(in dir: String, errors: inout [RuleFileError], warnings: inout [String], _ body: (String, String) -> Void) {
        guard FileManager.default.fileExists(atPath: dir) else {
            warnings.append("runbook directory \(dir) does not exist")
            return
        }
        for path in yamlFiles(in: dir) {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                errors.append(RuleFileError(file: path, line: 0, column: 0, message: "cannot read the file (or it is not UTF-8)"))
                continue
            }
            body(path, text)
        }
    }

    /// The operator's runbooks: `$VIGIL_RUNBOOKS`, else `~/.config/vigil/runbooks` or `/etc/vigil/runbooks`
    /// (the first that exists).
    public static func defaultUserDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let d = environment["VIGIL_RUNBOOKS"], !d.isEmpty { return d }
        let config = ConfigFiles.userConfigHome(environment)
        return [config + "/vigil/runbooks", "/etc/vigil/runbooks"].first { FileManager.default.fileExists(atPath: $0) }
    }

    static func yamlFiles(in dir: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { dir + "/" + $0 }
    }
}
