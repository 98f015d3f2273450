/// Strict validation of step program arguments. Every check whitelists what is allowed (a character set, a
/// pattern, a range); nothing is "cleaned". Messages name the argument: `--unit: 'x;y' is not a valid unit name`.
public enum ArgumentValidator {
    /// The unit types systemd knows; a unit name either ends in one of them or is bare (then `.service`).
    public static let unitSuffixes = ["service", "socket", "device", "mount", "automount", "swap", "target", "path",
                                      "timer", "slice", "scope"]

    /// The `NAME` of a systemd unit: `^[A-Za-z0-9@._:-]+$`, not starting with `-` or `.`, no `..`, at most 256
    /// bytes. A name ending in a known unit type (`.service`, `.socket`, …) is taken as is; any other name is
    /// bare and means `NAME.service` (as systemctl reads it: `php8.2-fpm`). Returns the name unchanged.
    public static func unitName(_ value: String, argument: String) throws(StepError) -> String {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 256, bytes.allSatisfy(isUnitByte),
              bytes[0] != UInt8(ascii: "-"), bytes[0] != UInt8(ascii: "."), bytes.last != UInt8(ascii: "."),
              !value.contains("..") else {
            throw .usage("\(argument): '\(StepText.shown(value))' is not a valid unit name "
                + "(letters, digits and @._:- only, e.g. nginx.service)")
        }
        return value
    }

    /// The canonical form used to compare units with the allow-list: a bare name means `NAME.service`.
    public static func canonicalUnit(_ name: String) -> String {
        if let dot = name.lastIndex(of: "."), unitSuffixes.contains(String(name[name.index(after: dot)...])) {
            return name
        }
        return name + ".service"
    }

    private static func isUnitByte(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: "@") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
            || b == UInt8(ascii: ":") || b == UInt8(ascii: "-")
    }

    static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// A decimal integer (digits only: no sign, no spaces, at most 12 digits) within `range`.
    public static func integer(_ value: String, argument: String, range: ClosedRange<Int>) throws(StepError) -> Int {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 12, bytes.allSatisfy(isDigit), let n = Int(value) else {
            throw .usage("\(argument): '\(StepText.shown(value))' is not a whole number")
        }
        guard range.contains(n) else {
            throw .usage("\(argument): \(n) is out of range (\(range.lowerBound)–\(range.upperBound))")
        }
        return n
    }

    /// A TCP port, 1–65535.
    public static func port(_ value: String, argument: String) throws(StepError) -> Int {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 5, bytes.allSatisfy(isDigit), let n = Int(value), (1...65535).contains(n) else {
            throw .usage("\(argument): '\(StepText.shown(value))' is not a valid port (1–65535)")
        }
        return n
    }

    /// An absolute path made only of `[A-Za-z0-9/._+@:,=~-]`, without `.` or `..` components, at most 4096
    /// bytes. Repeated and trailing slashes are removed. Returns the normalized path.
    public static func absolutePath(_ value: String, argument: String) throws(StepError) -> String {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 4096 else {
            throw .usage("\(argument): '\(StepText.shown(value))' is not a valid path (empty or too long)")
        }
        guard bytes[0] == UInt8(ascii: "/") else {
            throw .usage("\(argument): '\(StepText.shown(value))' is not an absolute path")
        }
        guard bytes.allSatisfy(isPathByte) else {
            throw .usage("\(argument): '\(StepText.shown(value))' is not a valid path (allowed: letters, digits and /._+@:,=~-)")
        }
        let components = value.split(separator: "/", omittingEmptySubsequences: true)
        for c in components where c == "." || c == ".." {
            throw .usage("\(argument): '\(StepText.shown(value))' is not a valid path ('\(c)' components are not allowed)")
        }
        return "/" + components.joined(separator: "/")
    }

    private static func isPathByte(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: "/") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "@") || b == UInt8(ascii: ":") || b == UInt8(ascii: ",")
            || b == UInt8(ascii: "=") || b == UInt8(ascii: "~") || b == UInt8(ascii: "-")
    }

    /// A journald size: 1–9 digits and an optional K, M, G or T suffix (`500M`).
    public static func journalSize(_ value: String, argument: String) throws(StepError) -> String {
        var bytes = Array(value.utf8)
        if let last = bytes.last, [UInt8(ascii: "K"), UInt8(ascii: "M"), UInt8(ascii: "G"), UInt8(ascii: "T")].contains(last) {
            bytes.removeLast()
        }
        guard !bytes.isEmpty, bytes.count <= 9, bytes.allSatisfy(isDigit), bytes.contains(where: { $0 != 48 }) else {
            throw .usage("\(argument): '\(StepText.shown(value))' is not a valid size (e.g. 500M, 2G)")
        }
        return value
    }

    /// A TCP target `host:port`: a host name or IPv4 address of `[A-Za-z0-9.-]` (not starting with `-`), or a
    /// bracketed IPv6 address of hex digits, `:` and `.`; port 1–65535.
    public static func hostPort(_ value: String, argument: String) throws(StepError) -> String {
        let bad = StepError.usage("\(argument): '\(StepText.shown(value))' is not a valid HOST:PORT (e.g. 127.0.0.1:8080)")
        guard value.utf8.count <= 300, let colon = value.lastIndex(of: ":") else { throw bad }
        let host = value[..<colon]
        let portText = String(value[value.index(after: colon)...])
        guard isHost(host) else { throw bad }
        _ = try port(portText, argument: argument)
        return value
    }

    static func isHost(_ host: Substring) -> Bool {
        let bytes = Array(host.utf8)
        guard !bytes.isEmpty else { return false }
        if bytes.first == UInt8(ascii: "[") {
            guard bytes.count > 2, bytes.last == UInt8(ascii: "]") else { return false }
            return bytes.dropFirst().dropLast().allSatisfy { isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
        }
        guard bytes.count <= 253, bytes[0] != UInt8(ascii: "-"), bytes[0] != UInt8(ascii: ".") else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102)
    }

    /// An `http://` or `https://` URL: a valid host (and optional port), then a path and query of
    /// `[A-Za-z0-9/._~%?&=+:,@-]` only.
    public static func url(_ value: String, argument: String) throws(StepError) -> String {
        let bad = StepError.usage("\(argument): '\(StepText.shown(value))' is not a valid http(s) URL "
            + "(e.g. http://127.0.0.1:8080/health)")
        guard value.utf8.count <= 2048 else { throw bad }
        let rest: Substring
        if value.hasPrefix("http://") {
            rest = value.dropFirst(7)
        } else if value.hasPrefix("https://") {
            rest = value.dropFirst(8)
        } else {
            throw bad
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = rest[slash...]
        var host = authority
        if let close = authority.lastIndex(of: "]") {
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad }
                guard (try? port(String(after.dropFirst()), argument: argument)) != nil else { throw bad }
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard (try? port(String(authority[authority.index(after: colon)...]), argument: argument)) != nil else { throw bad }
        }
        guard isHost(host) else { throw bad }
        let allowed = Array("/._~%?&=+:,@-".utf8)
        guard path.utf8.allSatisfy({ isAlnum($0) || allowed.contains($0) }) else { throw bad }
        return value
    }

    /// A process name (comm) as used in policy lists: 1–15 bytes of `[A-Za-z0-9._:@+-]`.
    public static func isProcessName(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        return !bytes.isEmpty && bytes.count <= 15 && bytes.allSatisfy {
            isAlnum($0) || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "@"),
                            UInt8(ascii: "+"), UInt8(ascii: "-")].contains($0)
        }
    }
}
