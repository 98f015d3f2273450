import Foundation

/// Where the store lives, from `--db`, `VIGIL_DB` or the XDG default.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// `--db` wins, then `VIGIL_DB`, then `$XDG_DATA_HOME/vigil/vigil.db` (`~/.local/share/vigil/vigil.db`).
    public static func resolve(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> StoreLocation {
        let text = flag ?? environment["VIGIL_DB"]
        if let text, !text.isEmpty {
            if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { return .postgres(url: text) }
            return .sqlite(path: expandTilde(text, environment: environment))
        }
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/share")
        return .sqlite(path: data + "/vigil/vigil.db")
    }

    static func expandTilde(_ path: String, environment: [String: String]) -> String {
        guard path.hasPrefix("~/") else { return path }
        return (environment["HOME"] ?? NSHomeDirectory()) + path.dropFirst()
    }

    /// Opens the store.
    public func open() throws -> any Store {
        switch self {
        case .sqlite(let path):
            return try SQLiteStore(path: path)
        case .postgres(let url):
            return try PostgresStore(url: url)
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite \(path)"
        case .postgres(let url): "postgres \((try? PostgresURL(url).shown.dropFirst("postgres://".count)).map(String.init) ?? url.split(separator: "@").last.map(String.init) ?? "")"
        }
    }
}
