/// A strict JSON tokenizer over UTF-8 bytes, the base of ``IngestDecoder`` and ``JSONValue``.
///
/// It works directly on a buffer (no intermediate tree) so the ingest hot path pays only for what
/// it keeps. Every failure is a ``WireError`` naming the byte offset and the field being read.
public struct JSONScanner: ~Copyable {
    @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
    @usableFromInline var pos: Int = 0

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    public var offset: Int { pos }
    public var atEnd: Bool { pos >= bytes.count }

    @inline(__always)
    public mutating func skipWhitespace() {
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { pos += 1 } else { break }
        }
    }

    /// The next non-whitespace byte, not consumed; nil at the end.
    @inline(__always)
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return pos < bytes.count ? bytes[pos] : nil
    }

    func describe(_ b: UInt8?) -> String {
        guard let b else { return "end of input" }
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16))"
    }

    public func malformed(_ what: String, field: @autoclosure () -> String) -> WireError {
        let f = field()
        return .malformed("malformed JSON at byte \(pos): \(what)", field: f.isEmpty ? nil : f)
    }

    public mutating func expect(_ c: UInt8, field: @autoclosure () -> String) throws(WireError) {
        let b = peek()
        guard b == c else {
            throw malformed("expected '\(Character(Unicode.Scalar(c)))' but found \(describe(b))", field: field())
        }
        pos += 1
    }

    /// After a member or element: consumes ',' and returns true, or consumes `close` and returns false.
    public mutating func nextMember(close: UInt8, field: @autoclosure () -> String) throws(WireError) -> Bool {
        let b = peek()
        if b == UInt8(ascii: ",") { pos += 1; return true }
        if b == close { pos += 1; return false }
        throw malformed("expected ',' or '\(Character(Unicode.Scalar(close)))' but found \(describe(b))", field: field())
    }

    /// Consumes `{` and reports whether the object is empty (then `}` is consumed too).
    public mutating func beginObject(field: @autoclosure () -> String) throws(WireError) -> Bool {
        try expect(UInt8(ascii: "{"), field: field())
        if peek() == UInt8(ascii: "}") { pos += 1; return false }
        return true
    }

    /// Consumes `[` and reports whether the array has elements (an empty array's `]` is consumed too).
    public mutating func beginArray(field: @autoclosure () -> String) throws(WireError) -> Bool {
        try expect(UInt8(ascii: "["), field: field())
        if peek() == UInt8(ascii: "]") { pos += 1; return false }
        return true
    }

    /// Reads `"key":` and returns the key.
    public mutating func key(field: @autoclosure () -> String) throws(WireError) -> String {
        let b = peek()
        guard b == UInt8(ascii: "\"") else {
            throw malformed("expected an object key (a string) but found \(describe(b))", field: field())
        }
        let k = try string(field: field())
        try expect(UInt8(ascii: ":"), field: field())
        return k
    }

    /// At `"`: a string of printable ASCII without escapes, consumed; its bytes without the quotes. Nil otherwise,
    /// with nothing consumed (such a string is read by `string`).
    @inline(__always)
    public mutating func plainString() -> Range<Int>? {
        guard peek() == UInt8(ascii: "\"") else { return nil }
        let start = pos + 1
        var p = start
        while p < bytes.count {
            let c = bytes[p]
            if c == UInt8(ascii: "\"") {
                pos = p + 1
                return start..<p
            }
            if c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x7F { return nil }
            p += 1
        }
        return nil
    }

    /// If the next token is the object key `word` spelled plainly (no escapes), reads it and its colon and returns
    /// true; otherwise reads nothing (`key` reads any key). The ingest decoder's keys without a `String` each.
    @inline(__always)
    public mutating func readKey(_ word: StaticString, field: @autoclosure () -> String) throws(WireError) -> Bool {
        guard peek() == UInt8(ascii: "\"") else { return false }
        let n = word.utf8CodeUnitCount
        guard pos + n + 1 < bytes.count, bytes[pos + n + 1] == UInt8(ascii: "\"") else { return false }
        let w = word.utf8Start
        for i in 0..<n where bytes[pos + 1 + i] != w[i] { return false }
        pos += n + 2
        try expect(UInt8(ascii: ":"), field: field())
        return true
    }

    /// The bytes of `range` (from `plainString`).
    public func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }

    /// Whether `b` can start a JSON value.
    func startsValue(_ b: UInt8?) -> Bool {
        guard let b else { return false }
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"),
             UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }

    /// A value of the wrong type is an invalid field; something that is no value at all is malformed JSON.
    public func wrongType(expected: String, field: @autoclosure () -> String) -> WireError {
        let b = bytes.indices.contains(pos) ? bytes[pos] : nil
        if startsValue(b) {
            return WireError.invalid("expected \(expected) but found \(typeName(b))", field: field())
        }
        return malformed("expected \(expected) but found \(describe(b))", field: field())
    }

    public func typeName(_ b: UInt8?) -> String {
        switch b {
        case UInt8(ascii: "\""): "a string"
        case UInt8(ascii: "{"): "an object"
        case UInt8(ascii: "["): "an array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): "a boolean"
        case UInt8(ascii: "n"): "null"
        case nil: "end of input"
        default: "a number"
        }
    }

    public mutating func isNull() -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        return pos + 4 <= bytes.count && bytes[pos + 1] == UInt8(ascii: "u") && bytes[pos + 2] == UInt8(ascii: "l") && bytes[pos + 3] == UInt8(ascii: "l")
    }

    /// Reads a JSON string. Rejects control characters and invalid UTF-8.
    public mutating func string(field: @autoclosure () -> String) throws(WireError) -> String {
        let b = peek()
        guard b == UInt8(ascii: "\"") else { throw wrongType(expected: "a string", field: field()) }
        pos += 1
        let start = pos
        var escaped = false
        var ascii = true
        while pos < bytes.count {
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") {
                break
            } else if c == UInt8(ascii: "\\") {
                escaped = true
                pos += 2
                continue
            } else if c < 0x20 {
                throw malformed("control character in string (escape it)", field: field())
            } else if c >= 0x80 {
                ascii = false
            }
            pos += 1
        }
        guard pos < bytes.count else { throw malformed("unterminated string", field: field()) }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<pos])
        pos += 1
        if !escaped {
            // ASCII is valid UTF-8: the plain copy skips `String(validating:)`, whose generic metadata lookups cost about
            // a tenth of the ingest CPU (perf, bench/ingest.sh).
            if ascii { return String(decoding: slice, as: UTF8.self) }
            guard let s = String(validating: slice, as: UTF8.self) else {
                throw malformed("invalid UTF-8 in string", field: field())
            }
            return s
        }
        return try unescape(slice, field: field)
    }

    private func unescape(_ raw: UnsafeBufferPointer<UInt8>, field: () -> String) throws(WireError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            var v: UInt32 = 0
            for k in 0..<4 {
                let c = raw[at + k]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        while i < raw.count {
            let c = raw[i]
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            guard i + 1 < raw.count else { throw malformed("dangling backslash in string", field: field()) }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(i) else { throw malformed("bad \\u escape", field: field()) }
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                          let low = hex4(i + 2), low >= 0xDC00 && low < 0xE000 else {
                        throw malformed("unpaired surrogate in \\u escape", field: field())
                    }
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw malformed("unpaired surrogate in \\u escape", field: field())
                } else if scalar == 0 {
                    // Stores read text up to a NUL: a string with one would be kept cut short, silently.
                    throw WireError.invalid("NUL character (\\u0000) in a string is not allowed; remove it", field: field())
                }
                guard let u = Unicode.Scalar(scalar) else { throw malformed("bad \\u escape", field: field()) }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw malformed("unknown escape '\\\(Character(Unicode.Scalar(e)))'", field: field())
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            throw malformed("invalid UTF-8 in string", field: field())
        }
        return s
    }

    private static let pow10: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                          1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    /// Reads a JSON number. Non-finite results (overflowing exponents) are returned as infinity for
    /// the caller to refuse with the right field name; `NaN`/`Infinity` literals are malformed JSON.
    public mutating func number(field: @autoclosure () -> String) throws(WireError) -> Double {
        let b = peek()
        let start = pos
        guard let b, b == UInt8(ascii: "-") || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) else {
            if b == UInt8(ascii: "N") || b == UInt8(ascii: "I") {
                throw WireError.invalid("NaN and Infinity are not valid numbers", field: field())
            }
            throw wrongType(expected: "a number", field: field())
        }
        var negative = false
        if b == UInt8(ascii: "-") {
            negative = true
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "I") {
                throw WireError.invalid("NaN and Infinity are not valid numbers", field: field())
            }
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var intDigits = 0
        while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(bytes[pos] - UInt8(ascii: "0")) }
            digits += 1
            intDigits += 1
            pos += 1
        }
        guard intDigits > 0 else { throw malformed("expected digits in number", field: field()) }
        if intDigits > 1 && bytes[start + (negative ? 1 : 0)] == UInt8(ascii: "0") {
            throw malformed("leading zero in number", field: field())
        }
        var fracDigits = 0
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            var fracSeen = 0
            while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(bytes[pos] - UInt8(ascii: "0")); fracDigits += 1 }
                digits += 1
                fracSeen += 1
                pos += 1
            }
            if fracSeen == 0 { throw malformed("expected digits after '.'", field: field()) }
        }
        var exponent = 0
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            var expNeg = false
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") {
                expNeg = bytes[pos] == UInt8(ascii: "-")
                pos += 1
            }
            var expDigits = 0
            while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[pos] - UInt8(ascii: "0")) }
                expDigits += 1
                pos += 1
            }
            guard expDigits > 0 else { throw malformed("expected digits in exponent", field: field()) }
            if expNeg { exponent = -exponent }
        }
        // Clinger's fast path: exact when the mantissa fits in 53 bits and the power of ten is exact.
        let scale = exponent - fracDigits
        if digits <= 15 && mantissa < (1 << 53) && scale >= -22 && scale <= 22 {
            var v = Double(mantissa)
            if scale < 0 { v /= JSONScanner.pow10[-scale] } else if scale > 0 { v *= JSONScanner.pow10[scale] }
            return negative ? -v : v
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        guard let v = Double(text) else { throw malformed("unreadable number '\(text)'", field: field()) }
        return v
    }

    public mutating func bool(field: @autoclosure () -> String) throws(WireError) -> Bool {
        let b = peek()
        if b == UInt8(ascii: "t"), literal("true") { return true }
        if b == UInt8(ascii: "f"), literal("false") { return false }
        throw wrongType(expected: "true or false", field: field())
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard pos + n <= bytes.count else { return false }
        let w = word.utf8Start
        for k in 0..<n where bytes[pos + k] != w[k] { return false }
        pos += n
        return true
    }

    /// Skips any JSON value (used for unknown fields, which are ignored for forward compatibility).
    public mutating func skipValue(field: @autoclosure () -> String, depth: Int = 0) throws(WireError) {
        guard depth < 64 else { throw malformed("nesting deeper than 64 levels", field: field()) }
        let b = peek()
        switch b {
        case UInt8(ascii: "\""):
            _ = try string(field: field())
        case UInt8(ascii: "{"):
            if try beginObject(field: field()) {
                repeat {
                    _ = try key(field: field())
                    try skipValue(field: field(), depth: depth + 1)
                } while try nextMember(close: UInt8(ascii: "}"), field: field())
            }
        case UInt8(ascii: "["):
            if try beginArray(field: field()) {
                repeat {
                    try skipValue(field: field(), depth: depth + 1)
                } while try nextMember(close: UInt8(ascii: "]"), field: field())
            }
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try bool(field: field())
        case UInt8(ascii: "n"):
            guard literal("null") else { throw malformed("unexpected \(describe(b))", field: field()) }
        default:
            _ = try number(field: field())
        }
    }
}
