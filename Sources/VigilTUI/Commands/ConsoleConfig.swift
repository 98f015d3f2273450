import Foundation
import VigilCore
import VigilWire
import Yams

/// The console's config file (`~/.config/vigil/config.yaml`, or `--config PATH`): defaults that flags and
/// environment variables override. Every key is optional.
///
/// ```yaml
/// db: /var/lib/vigil/vigil.db     # the store (flag --db, env VIGIL_DB win)
/// listen: 127.0.0.1:9470          # where the in-process listener binds
/// theme: light                    # default, light, high-contrast, mono, or a file name
/// refresh: 2s                     # how often the screen's data is refreshed
/// readonly: false                 # drop every action that changes state
/// local_collector: true           # collect this machine in-process
/// ```
struct ConsoleConfig: Equatable {
    var db: String?
    var listen: String?
    var theme: String?
    var refreshSeconds: Double?
    var readonly: Bool?
    var localCollector: Bool?

    static let keys = ["db", "listen", "theme", "refresh", "readonly", "local_collector", "ai"]

    /// The default location: `$XDG_CONFIG_HOME/vigil/config.yaml` or `~/.config/vigil/config.yaml`.
    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = ConfigFiles.userConfigHome(environment)
        return base + "/vigil/config.yaml"
    }

    /// Loads `path`; a missing file at the default location is an empty config, a missing file given
    /// explicitly is an error.
    static func load(path: String, explicit: Bool) throws(ConfigError) -> ConsoleConfig {
        guard FileManager.default.fileExists(atPath: path) else {
            if explicit { throw ConfigError(file: path, message: "no such config file") }
            return ConsoleConfig()
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(file: path, message: "cannot read the file (permissions? not UTF-8?)")
        }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws(ConfigError) -> ConsoleConfig {
        var config = ConsoleConfig()
        guard let root = try YAMLDocument.compose(text, file: file) else { return config }
        guard let map = root.mapping else { throw ConfigError.at(root, file: file, "the config is a mapping of keys (\(keys.joined(separator: ", ")))") }
        for (keyNode, value) in map {
            let key = keyNode.string ?? ""
            func string() throws(ConfigError) -> String {
                guard let s = value.scalar?.string, value.scalar != nil else { throw ConfigError.at(value, file: file, "'\(key)' must be a string") }
                return s
            }
            func bool() throws(ConfigError) -> Bool {
                guard let b = value.bool else { throw ConfigError.at(value, file: file, "'\(key)' must be true or false") }
                return b
            }
            switch key {
            case "db": config.db = try string()
            case "listen":
                let s = try string()
                do { _ = try ListenAddress.parse(s) } catch { throw ConfigError.at(value, file: file, "'listen' must be HOST:PORT, e.g. 127.0.0.1:9470") }
                config.listen = s
            case "theme": config.theme = try string()
            case "refresh":
                let s = try string()
                guard let ms = DurationText.milliseconds(s), ms >= 200, ms <= 60_000 else {
                    throw ConfigError.at(value, file: file, "'refresh' must be a duration from 200ms to 60s, e.g. 2s")
                }
                config.refreshSeconds = Double(ms) / 1000
            case "readonly": config.readonly = try bool()
            case "local_collector": config.localCollector = try bool()
            case "ai":
                // Read by AIConfig (docs/ai.md); checked there.
                guard value.mapping != nil else { throw ConfigError.at(value, file: file, "'ai' must be a mapping (base_url, model, key_file, …; see docs/ai.md)") }
            default:
                throw ConfigError.at(keyNode, file: file, "unknown key '\(key)' (known: \(keys.joined(separator: ", ")))")
            }
        }
        return config
    }
}
