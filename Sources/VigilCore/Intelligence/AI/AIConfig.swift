import Foundation
import VigilWire
import Yams

/// Where the AI features send their requests and how: any OpenAI-compatible chat-completions API (DeepSeek by
/// default; a local Ollama or vLLM server works the same way for air-gapped sites).
///
/// Sources, later ones winning: the defaults, the `ai:` section of `~/.config/vigil/config.yaml` (optional),
/// the environment (`VIGIL_AI_BASE_URL`, `VIGIL_AI_MODEL`, `VIGIL_AI_KEY` or `DEEPSEEK_API_KEY`,
/// `VIGIL_AI_KEY_FILE`). The key itself is never printed; `keySource` says where it came from.
public struct AIConfig: Sendable, Equatable {
    public static let defaultBaseURL = "https://api.deepseek.com"
    public static let defaultModel = "deepseek-chat"

    /// The API root, e.g. `https://api.deepseek.com` or `http://127.0.0.1:11434/v1`; `/chat/completions` is
    /// appended (unless the URL already ends with it).
    public var baseURL: String = AIConfig.defaultBaseURL
    public var model: String = AIConfig.defaultModel
    public var apiKey: String?
    /// Where the key came from (`VIGIL_AI_KEY`, `DEEPSEEK_API_KEY`, `file PATH`), or nil when there is none.
    public var keySource: String?
    public var connectTimeoutMs: Int = 5_000
    /// The longest silence of the server, before the first byte or between two chunks.
    public var idleTimeoutMs: Int = 60_000
    /// The whole call, retries included.
    public var totalTimeoutMs: Int = 180_000
    /// Retries after a 429 or a 5xx answer or a failed connection (not after a timeout).
    public var maxRetries: Int = 3
    public var backoffBaseMs: Int = 500
    public var maxBackoffMs: Int = 10_000
    /// The model's context window in tokens; prompts are trimmed to it minus `maxAnswerTokens`.
    public var contextTokens: Int = 32_000
    public var maxAnswerTokens: Int = 2_048
    public var temperature: Double = 0.2
    /// Ask for `response_format: json_object` when a feature wants JSON (turn off for servers that refuse it).
    public var jsonMode: Bool = true
    /// Extra redaction patterns (regular expressions), on top of the built-in ones.
    public var redactPatterns: [String] = []

    public init() {}

    /// True when a key is configured, i.e. AI features may call out.
    public var hasKey: Bool { !(apiKey ?? "").isEmpty }

    /// The chat-completions endpoint.
    public var chatURL: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/chat/completions") ? base : base + "/chat/completions"
    }

    /// What `vigil ai status` and the console show when no key is set.
    public static let noKeyMessage = "no AI key configured: set VIGIL_AI_KEY or DEEPSEEK_API_KEY (or ai.key_file in ~/.config/vigil/config.yaml); heuristics still work"

    /// The config file's default location: `$XDG_CONFIG_HOME/vigil/config.yaml` or `~/.config/vigil/config.yaml`.
    public static func defaultConfigPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = ConfigFiles.userConfigHome(environment)
        return base + "/vigil/config.yaml"
    }

    /// The effective configuration: defaults, then the `ai:` section of `configFile` (when it exists), then the
    /// environment. Throws on a malformed `ai:` section or an unreadable key file.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment,
                            configFile: String? = nil) throws(ConfigError) -> AIConfig {
        var c = AIConfig()
        let path = configFile ?? defaultConfigPath(environment: environment)
        var keyFile: String?
        if FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigError(file: path, message: "cannot read the file (permissions? not UTF-8?)")
            }
            keyFile = try c.apply(yaml: text, file: path)
        }
        let env = { (name: String) -> String? in environment[name].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 } }
        if let u = env("VIGIL_AI_BASE_URL") ?? env("VIGIL_AI_URL") { c.baseURL = u }
        if let m = env("VIGIL_AI_MODEL") { c.model = m }
        if let f = env("VIGIL_AI_KEY_FILE") { keyFile = f }
        if let k = env("VIGIL_AI_KEY") {
            c.apiKey = k.trimmingCharacters(in: .whitespacesAndNewlines)
            c.keySource = "VIGIL_AI_KEY"
        } else if let k = env("DEEPSEEK_API_KEY") {
            c.apiKey = k.trimmingCharacters(in: .whitespacesAndNewlines)
            c.keySource = "DEEPSEEK_API_KEY"
        } else if let keyFile {
            let expanded = keyFile.hasPrefix("~/") ? (environment["HOME"] ?? NSHomeDirectory()) + keyFile.dropFirst(1) : keyFile
            guard let data = FileManager.default.contents(atPath: expanded), let text = String(data: data, encoding: .utf8) else {
                throw ConfigError(file: expanded, message: "cannot read the AI key file")
            }
            let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !key.isEmpty {
                c.apiKey = key
                c.keySource = "file \(expanded)"
            }
        }
        return c
    }

    static let keys = ["base_url", "model", "key_file", "connect_timeout", "idle_timeout", "timeout", "retries", "context_tokens",
                       "max_answer_tokens", "temperature", "json_mode", "redact"]

    /// Applies the `ai:` section of a config file; returns its `key_file`. Other top-level keys are not ours.
    mutating func apply(yaml text: String, file: String) throws(ConfigError) -> String? {
        guard let root = try YAMLDocument.compose(text, file: file), let map = root.mapping else { return nil }
        guard let section = map["ai"] else { return nil }
        guard let fields = section.mapping else { throw ConfigError.at(section, file: file, "'ai' is a mapping of keys (\(Self.keys.joined(separator: ", ")))") }
        var keyFile: String?
        for (keyNode, value) in fields {
            let key = keyNode.string ?? ""
            func string() throws(ConfigError) -> String {
                guard let s = value.scalar?.string, !s.isEmpty else { throw ConfigError.at(value, file: file, "'ai.\(key)' must be a string") }
                return s
            }
            func duration() throws(ConfigError) -> Int {
                guard let ms = DurationText.milliseconds(try string()), ms > 0, ms <= 3_600_000 else {
                    throw ConfigError.at(value, file: file, "'ai.\(key)' must be a duration such as 30s")
                }
                return Int(ms)
            }
            func int(_ range: ClosedRange<Int>) throws(ConfigError) -> Int {
                guard let n = value.int, range.contains(n) else {
                    throw ConfigError.at(value, file: file, "'ai.\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
                return n
            }
            switch key {
            case "base_url": baseURL = try string()
            case "model": model = try string()
            case "key_file": keyFile = try string()
            case "connect_timeout": connectTimeoutMs = try duration()
            case "idle_timeout": idleTimeoutMs = try duration()
            case "timeout": totalTimeoutMs = try duration()
            case "retries": maxRetries = try int(0...10)
            case "context_tokens": contextTokens = try int(1_000...2_000_000)
            case "max_answer_tokens": maxAnswerTokens = try int(64...100_000)
            case "temperature":
                guard let t = value.float, (0...2).contains(t) else { throw ConfigError.at(value, file: file, "'ai.temperature' must be a number from 0 to 2") }
                temperature = t
            case "json_mode":
                guard let b = value.bool else { throw ConfigError.at(value, file: file, "'ai.json_mode' must be true or false") }
                jsonMode = b
            case "redact":
                guard let items = value.sequence else { throw ConfigError.at(value, file: file, "'ai.redact' must be a list of regular expressions") }
                var patterns: [String] = []
                for item in items {
                    guard let p = item.scalar?.string, (try? NSRegularExpression(pattern: p)) != nil else {
                        throw ConfigError.at(item, file: file, "'ai.redact' items must be valid regular expressions")
                    }
                    patterns.append(p)
                }
                redactPatterns = patterns
            default:
                throw ConfigError.at(keyNode, file: file, "unknown key 'ai.\(key)' (known: \(Self.keys.joined(separator: ", ")))")
            }
        }
        return keyFile
    }
}
