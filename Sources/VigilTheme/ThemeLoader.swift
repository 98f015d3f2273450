import Foundation
import VigilCore
import Yams

/// Finds and parses theme files (`<name>.yaml`).
///
/// ```yaml
/// name: default
/// roles:
///   text: { fg: default, bg: default }
///   ok: green                       # a bare value sets fg
///   critical: { fg: "#ff5f5f", attrs: [bold] }
/// ```
public enum ThemeLoader {
    /// The path of theme `name` in the first of `directories` that holds `<name>.yaml` (a leading `~` expands to
    /// `$HOME`), else the embedded theme of that name (`embedded:themes/<name>.yaml`). A name containing `/` or
    /// ending in `.yaml` is taken as a path.
    public static func find(_ name: String, in directories: [String]) -> String? {
        let fm = FileManager.default
        if name.contains("/") || name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = expandTilde(name)
            return fm.fileExists(atPath: path) ? path : nil
        }
        for dir in directories {
            for ext in ["yaml", "yml"] {
                let path = expandTilde(dir) + "/" + name + "." + ext
                if fm.fileExists(atPath: path) { return path }
            }
        }
        return EmbeddedDefaults.files(in: "themes").first { $0.name == name + ".yaml" }?.origin
    }

    /// The theme names available in `directories` and embedded in the binary, sorted, without duplicates.
    public static func available(in directories: [String]) -> [String] {
        var names = Set<String>()
        for dir in directories {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: expandTilde(dir))) ?? []
            for file in files where file.hasSuffix(".yaml") || file.hasSuffix(".yml") {
                names.insert(String(file[..<file.lastIndex(of: ".")!]))
            }
        }
        for file in EmbeddedDefaults.files(in: "themes") { names.insert(String(file.name.dropLast(".yaml".count))) }
        return names.sorted()
    }

    /// Loads theme `name` from `directories`.
    public static func load(_ name: String, directories: [String]) throws(ThemeError) -> Theme {
        guard let path = find(name, in: directories) else {
            let names = available(in: directories)
            let hint = names.isEmpty ? "no themes in \(directories.isEmpty ? "(no theme directories)" : directories.joined(separator: ", "))"
                : "available: " + names.joined(separator: " ")
            throw ThemeError(file: name.hasSuffix(".yaml") ? name : name + ".yaml", message: "unknown theme '\(name)' (\(hint))")
        }
        let text: String
        do {
            if let embedded = EmbeddedDefaults.file(origin: path) {
                text = embedded.text
            } else {
                text = try String(contentsOfFile: path, encoding: .utf8)
            }
        } catch {
            throw ThemeError(file: path, message: "cannot read theme file: \(error.localizedDescription)")
        }
        let fallbackName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(text, path: path, defaultName: fallbackName)
    }

    /// Loads theme `name`; on any error falls back to `default` from the same directories (then the built-in
    /// default) and returns the error's text for the status line.
    public static func loadOrFallback(_ name: String, directories: [String]) -> (theme: Theme, error: String?) {
        do {
            return (try load(name, directories: directories), nil)
        } catch {
            let message = "theme \(error.description); using default"
            if name != "default", let theme = try? load("default", directories: directories) {
                return (theme, message)
            }
            return (.builtinDefault, message)
        }
    }

    /// Parses theme YAML. Errors carry `path` and the line/column of the offending node.
    public static func parse(_ yaml: String, path: String, defaultName: String) throws(ThemeError) -> Theme {
        let root: Node?
        do {
            root = try YAMLDocument.compose(yaml, file: path)
        } catch {
            throw ThemeError(file: error.file, line: error.line, column: error.column, message: error.message)
        }
        guard let root else { throw ThemeError(file: path, line: 1, message: "empty theme file") }
        guard let top = root.mapping else {
            throw ThemeError(file: path, line: root.mark?.line, column: root.mark?.column,
                             message: "a theme is a mapping with a 'roles:' mapping")
        }
        var name = defaultName
        var styles: [Role: ThemeStyle] = [:]
        var sawRoles = false
        for (key, value) in top {
            switch key.string {
            case "name":
                guard let s = value.string else { throw invalid(value, path, "'name' must be a string") }
                name = s
            case "description", "author", "variant":
                continue
            case "roles":
                sawRoles = true
                guard let roles = value.mapping else {
                    throw invalid(value, path, "'roles' must be a mapping of role name to style")
                }
                for (roleKey, roleValue) in roles {
                    let roleName = roleKey.string ?? ""
                    guard let role = Role(rawValue: roleName) else {
                        let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
                        throw invalid(roleKey, path, "unknown role '\(roleName)' (known roles: \(known))")
                    }
                    styles[role] = try style(roleValue, role: roleName, path: path)
                }
            default:
                throw invalid(key, path, "unknown key '\(key.string ?? "?")' (expected name, description, roles)")
            }
        }
        if !sawRoles { throw ThemeError(file: path, line: 1, message: "missing 'roles:' mapping") }
        return Theme(name: name, styles: styles, path: path)
    }

    private static func style(_ node: Node, role: String, path: String) throws(ThemeError) -> ThemeStyle {
        if let s = node.scalar?.string {
            guard let color = ThemeColor.parse(s) else { throw badColor(node, path, s, role: role) }
            return ThemeStyle(fg: color)
        }
        guard let map = node.mapping else {
            throw invalid(node, path, "role '\(role)' must be a colour or a mapping with fg, bg, attrs")
        }
        var style = ThemeStyle()
        for (key, value) in map {
            switch key.string {
            case "fg", "bg":
                guard let s = value.string, let color = ThemeColor.parse(s) else {
                    throw badColor(value, path, value.string ?? "?", role: role)
                }
                if key.string == "fg" { style.fg = color } else { style.bg = color }
            case "attrs", "attributes":
                var words: [(String, Node)] = []
                if let seq = value.sequence {
                    for item in seq { words.append((item.string ?? "", item)) }
                } else if let s = value.string {
                    for w in s.split(whereSeparator: { $0 == " " || $0 == "," }) { words.append((String(w), value)) }
                }
                for (word, at) in words {
                    guard let attr = TextAttributes.named(word) else {
                        throw invalid(at, path, "unknown attribute '\(word)' for role '\(role)' (use bold, dim, reverse, underline)")
                    }
                    style.attributes.formUnion(attr)
                }
            default:
                throw invalid(key, path, "unknown key '\(key.string ?? "?")' in role '\(role)' (expected fg, bg, attrs)")
            }
        }
        return style
    }

    private static func badColor(_ node: Node, _ path: String, _ value: String, role: String) -> ThemeError {
        invalid(node, path, "bad colour '\(value)' for role '\(role)' (use default, a name like red or bright-blue, 0-255, or #rrggbb)")
    }

    private static func invalid(_ node: Node, _ path: String, _ message: String) -> ThemeError {
        ThemeError(file: path, line: node.mark?.line, column: node.mark?.column, message: message)
    }

    /// `~` or `~/…` expanded with `$HOME`.
    public static func expandTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}
