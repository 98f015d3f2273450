/// One token inside `{{ … }}`.
struct TemplateToken: Equatable {
    enum Kind: Equatable {
        case word(String)
        case field([String])
        case variable(String, [String])
        case string(String)
        case number(Double)
        case pipe, open, close, declare, comma
    }
    var kind: Kind
    var offset: Int
    var text: String
}

/// Splits the inside of an action into tokens.
struct TemplateLexer {
    let bytes: [UInt8]
    var pos: Int
    let end: Int

    func error(_ message: String, _ offset: Int) -> TemplateError { TemplateParser.error(message, offset, bytes) }

    static func isIdent(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }

    mutating func tokens() throws(TemplateError) -> [TemplateToken] {
        var out: [TemplateToken] = []
        while true {
            while pos < end, templateSpace(bytes[pos]) { pos += 1 }
            guard pos < end else { return out }
            let start = pos
            let c = bytes[pos]
            func token(_ k: TemplateToken.Kind) -> TemplateToken {
                TemplateToken(kind: k, offset: start, text: String(decoding: bytes[start..<pos], as: UTF8.self))
            }
            switch c {
            case UInt8(ascii: "|"): pos += 1; out.append(token(.pipe))
            case UInt8(ascii: "("): pos += 1; out.append(token(.open))
            case UInt8(ascii: ")"): pos += 1; out.append(token(.close))
            case UInt8(ascii: ","): pos += 1; out.append(token(.comma))
            case UInt8(ascii: ":"):
                guard pos + 1 < end, bytes[pos + 1] == UInt8(ascii: "=") else { throw error("unexpected ':'", start) }
                pos += 2; out.append(token(.declare))
            case UInt8(ascii: "\""):
                pos += 1
                var s: [UInt8] = []
                while true {
                    guard pos < end else { throw error("unterminated string", start) }
                    let b = bytes[pos]
                    if b == UInt8(ascii: "\"") { pos += 1; break }
                    if b == UInt8(ascii: "\\") {
                        guard pos + 1 < end else { throw error("unterminated string", start) }
                        switch bytes[pos + 1] {
                        case UInt8(ascii: "n"): s.append(0x0A)
                        case UInt8(ascii: "t"): s.append(0x09)
                        case UInt8(ascii: "\""), UInt8(ascii: "\\"): s.append(bytes[pos + 1])
                        default: throw error("unknown escape '\\\(Character(UnicodeScalar(bytes[pos + 1])))' in a string", pos)
                        }
                        pos += 2
                        continue
                    }
                    s.append(b); pos += 1
                }
                out.append(token(.string(String(decoding: s, as: UTF8.self))))
            case UInt8(ascii: "`"):
                pos += 1
                let from = pos
                while pos < end, bytes[pos] != UInt8(ascii: "`") { pos += 1 }
                guard pos < end else { throw error("unterminated raw string", start) }
                let s = String(decoding: bytes[from..<pos], as: UTF8.self)
                pos += 1
                out.append(token(.string(s)))
            case UInt8(ascii: "."):
                out.append(token(.field(try path())))
            case UInt8(ascii: "$"):
                pos += 1
                let from = pos
                while pos < end, Self.isIdent(bytes[pos]) { pos += 1 }
                let name = String(decoding: bytes[from..<pos], as: UTF8.self)
                let p = pos < end && bytes[pos] == UInt8(ascii: ".") ? try path() : []
                out.append(token(.variable(name, p)))
            case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                pos += 1
                while pos < end, Self.isIdent(bytes[pos]) || bytes[pos] == UInt8(ascii: ".")
                        || ((bytes[pos] == UInt8(ascii: "-") || bytes[pos] == UInt8(ascii: "+"))
                            && (bytes[pos - 1] == UInt8(ascii: "e") || bytes[pos - 1] == UInt8(ascii: "E"))) {
                    pos += 1
                }
                let text = String(decoding: bytes[start..<pos], as: UTF8.self)
                guard let n = Double(text) else { throw error("bad number '\(text)'", start) }
                out.append(token(.number(n)))
            default:
                guard Self.isIdent(c) else {
                    throw error("unexpected '\(String(decoding: bytes[start..<min(start + 1, end)], as: UTF8.self))'", start)
                }
                while pos < end, Self.isIdent(bytes[pos]) { pos += 1 }
                out.append(token(.word(String(decoding: bytes[start..<pos], as: UTF8.self))))
            }
        }
    }

    /// `.A.B.C` (a lone `.` is the empty path).
    private mutating func path() throws(TemplateError) -> [String] {
        var names: [String] = []
        while pos < end, bytes[pos] == UInt8(ascii: ".") {
            let dot = pos
            pos += 1
            let from = pos
            while pos < end, Self.isIdent(bytes[pos]) { pos += 1 }
            if pos == from {
                if names.isEmpty { return [] }
                throw error("a field name must follow '.'", dot)
            }
            names.append(String(decoding: bytes[from..<pos], as: UTF8.self))
        }
        return names
    }
}
