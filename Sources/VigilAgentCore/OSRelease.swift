/// Parser for /etc/os-release.
public enum OSRelease {
    /// The `KEY=value` pairs, with shell-style quotes removed.
    public static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            var value = line[line.index(after: eq)...]
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = value.dropFirst().dropLast()
            }
            out[String(line[..<eq])] = String(value).replacingEscapes()
        }
        return out
    }

    /// `PRETTY_NAME`, else `NAME VERSION`, else "Linux".
    public static func prettyName(_ text: String) -> String {
        let kv = parse(text)
        if let p = kv["PRETTY_NAME"], !p.isEmpty { return p }
        if let n = kv["NAME"] { return [n, kv["VERSION"] ?? ""].filter { !$0.isEmpty }.joined(separator: " ") }
        return "Linux"
    }
}

extension String {
    fileprivate func replacingEscapes() -> String {
        guard contains("\\") else { return self }
        var out = ""
        var escaped = false
        for c in self {
            if escaped { out.append(c); escaped = false } else if c == "\\" { escaped = true } else { out.append(c) }
        }
        return out
    }
}
