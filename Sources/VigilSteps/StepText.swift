/// Formatting helpers for operator output.
public enum StepText {
    /// A file name or other untrusted text made safe to print on one line: control characters, backslashes
    /// and bytes that are not valid UTF-8 are shown as `\xNN`, so a crafted name cannot forge output lines.
    public static func shown(_ bytes: [UInt8]) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\\") {
                out.unicodeScalars.append(Unicode.Scalar(b))
                i += 1
                continue
            }
            if b >= 0x80, let (scalar, length) = decodeScalar(bytes, at: i) {
                out.unicodeScalars.append(scalar)
                i += length
                continue
            }
            out += "\\x" + hex2(b)
            i += 1
        }
        return out
    }

    /// `shown` for a String.
    public static func shown(_ text: String) -> String { shown(Array(text.utf8)) }

    /// An argv rendered for a "would run" line: each argument shown safely, separated by spaces.
    public static func command(_ argv: [String]) -> String {
        argv.map { shown($0) }.joined(separator: " ")
    }

    /// Bytes in a short human form: `512 B`, `1.5 KiB`, `3.2 MiB`, `4.0 GiB`.
    public static func bytes(_ n: Int64) -> String {
        if n < 1024 { return "\(n) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(n) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return oneDecimal(value) + " " + units[unit]
    }

    /// A number with one decimal, without Foundation.
    public static func oneDecimal(_ value: Double) -> String {
        let tenths = Int64((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let a = abs(tenths)
        return "\(sign)\(a / 10).\(a % 10)"
    }

    private static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xf)]])
    }

    /// One printable, non-control scalar of valid UTF-8 starting at `i`, or nil.
    private static func decodeScalar(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let b = bytes[i]
        let length: Int
        if b & 0xe0 == 0xc0 { length = 2 } else if b & 0xf0 == 0xe0 { length = 3 } else if b & 0xf8 == 0xf0 { length = 4 } else { return nil }
        guard i + length <= bytes.count else { return nil }
        var decoder = UTF8()
        var iterator = bytes[i..<(i + length)].makeIterator()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return nil }
        // C1 controls, line and paragraph separators, bidi overrides: escape them too.
        let v = scalar.value
        if (0x80...0x9f).contains(v) || v == 0x2028 || v == 0x2029 || (0x202a...0x202e).contains(v)
            || (0x2066...0x2069).contains(v) {
            return nil
        }
        return (scalar, length)
    }
}
