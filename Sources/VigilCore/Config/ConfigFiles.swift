import Foundation

/// Where Vigil's configuration files are looked for, and reading one with an error that names it.
public enum ConfigFiles {
    /// `$XDG_CONFIG_HOME`, or `~/.config`.
    public static func userConfigHome(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
    }

    /// `$variable` when set, else the first of `~/.config/vigil/NAME` and `/etc/vigil/NAME` that exists (nil: none).
    public static func firstPath(variable: String, name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let p = environment[variable], !p.isEmpty { return p }
        for p in [userConfigHome(environment) + "/vigil/" + name, "/etc/vigil/" + name] where FileManager.default.fileExists(atPath: p) {
            return p
        }
        return nil
    }

    /// The file's text, or an error naming the file and why it cannot be read.
    public static func text(path: String) throws(RuleFileErrors) -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file (expected readable UTF-8 text)" : "no such file"
            throw RuleFileErrors(path: path, errors: [RuleFileError(file: path, line: 0, column: 0, message: reason)])
        }
        return text
    }
}
