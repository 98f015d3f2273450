/// Splits a log message into tokens and masks the parts that look variable, before template mining.
///
/// One fixed set of rules for every log source (no per-source regexes). The message is split on whitespace
/// (a `key="quoted value"` spanning spaces stays one token); each token is rewritten, and a token whose
/// rewritten form has no letters left outside `<*>` (`10.0.0.1:8080`, `(3.5`, `#12`, `0x1f`) is a
/// *wildcard token*. Rules, in order:
///
/// 1. **Paths**: a token starting with `/` (after opening brackets or quotes), such as `/var/log/x.log`,
///    is a wildcard.
/// 2. **URLs**: `scheme://anything` keeps the scheme: `hdfs://<*>`.
/// 3. **Host and port**: `host.name:1234`, `10.0.0.1:80` (and `wpad:80`, a dotless name with a 2–5 digit
///    port) is a wildcard.
/// 4. **key=value**: the value after `=` is masked, up to `,` `;` `&` `|` a quote or an unmatched
///    closing bracket (brackets opened inside the value are part of it): `uid=0` → `uid=<*>`,
///    `user=root` → `user=<*>`, `ws=WorkSource{10113}` → `ws=<*>`; a quoted value keeps its quotes
///    (`tag="<*>"`). `==`, `!=`, `<=`, `>=` are operators, not assignments.
/// 5. **Words** (maximal `[A-Za-z0-9]+` runs):
///    - a snake_case word with a digit is an id: `rdd_2_1`, `broadcast_9_piece0`, `blk_-42` → `<*>`;
///    - `true` / `false` (any case) → `<*>`;
///    - all digits, `0x…` hex, a hex string of 4+ characters with a digit (`8a2a501`, `c0000700`), or a
///      number with a unit suffix (`12ms`, `4KB`, `30s`) → `<*>`;
///    - otherwise only the digit runs are masked, keeping the letters: `storage234` → `storage<*>`,
///      `node-12` → `node-<*>`, while `alt0` and `ee0` stay different (`alt<*>`, `ee<*>`): tokens that
///      differ only in their digits collapse, tokens that differ in letters do not.
///    A `-`/`+` sign directly before a number (not after a letter or digit) is part of the number.
/// 6. **Numbers with separators**: `<*>` followed by one of `. : , - _ /` and another `<*>` collapse into
///    one `<*>`, so `3.5`, `10.1.2.3`, `00:01:02` and `104-127` all read `<*>`.
///
/// Then, over the token sequence:
///
/// 7. **Units**: a unit word (`ms`, `sec`, `KB`, `bytes`, `MHz`, `%`, … possibly followed by closing
///    punctuation) right after a wildcard token is part of that value: `18846 bytes`, `5 ms`, `(18.4 KB)`.
/// 8. **Runs of wildcards** collapse to one wildcard token, so values that print as a variable number of
///    tokens (`<1 sec` vs `00:01`, `451 bytes (18.4 KB)` vs `0 bytes`) give the same token sequence.
/// 9. **Timestamps**: day and month names (`Mon`, `Jul`, `July`) and time-zone abbreviations (`UTC`, `EDT`)
///    next to a wildcard join it: `at Fri Jul  1 07:57:30 2005` → `at <*>`. Elsewhere they are words.
///
/// The masker works on UTF-8 bytes with reusable buffers (a `MaskedLine`); no allocation per token.
public enum LogTokenMasker {
    /// The variable marker used in templates.
    public static let wildcard = "<*>"

    /// The masked tokens of `message`, wildcard tokens as `<*>` (for inspection and tests).
    public static func tokens(_ message: String) -> [String] {
        var line = MaskedLine()
        var copy = message
        copy.withUTF8 { mask($0, 0..<$0.count, into: &line) }
        return (0..<line.count).map { i in
            line.isVariable[i] ? wildcard : String(decoding: line.bytes[line.starts[i]..<line.ends[i]], as: UTF8.self)
        }
    }

    /// Like `tokens`, but wildcard tokens keep their surrounding punctuation (`(<*>)`, `<*>,`): what
    /// templates show.
    public static func displayTokens(_ message: String) -> [String] {
        var line = MaskedLine()
        var copy = message
        copy.withUTF8 { mask($0, 0..<$0.count, into: &line) }
        return (0..<line.count).map { i in String(decoding: line.bytes[line.starts[i]..<line.ends[i]], as: UTF8.self) }
    }

    /// The masked message: tokens joined by single spaces.
    public static func masked(_ message: String) -> String {
        tokens(message).joined(separator: " ")
    }

    /// Masks `b[range]` into `line` (which is reset first).
    static func mask(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into line: inout MaskedLine) {
        line.reset()
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            while i < end, isSpace(b[i]) { i += 1 }
            if i == end { break }
            var j = i
            while j < end, !isSpace(b[j]) { j += 1 }
            j = extendQuotedValue(b, i, j, end)
            let start = line.bytes.count
            let prevVariable = line.count > 0 && line.isVariable[line.count - 1]
            if prevVariable, isUnit(b, i, j) || isDateWord(b, i, j) {
                // Rules 7 and 9: the unit or date word belongs to the preceding value.
                line.replaceTrail(b, i, j)
                i = j
                continue
            }
            let variable = maskToken(b, i, j, &line.bytes)
            if variable {
                line.bytes.removeSubrange(start...)
                // Rule 9: date words right before a value are part of it.
                while line.count > 0, line.isDate[line.count - 1] { line.removeLast() }
                if line.count > 0, line.isVariable[line.count - 1] { // Rule 8.
                    line.replaceTrail(b, i, j)
                    i = j
                    continue
                }
                line.appendVariable(b, i, j)
            } else {
                line.append(start: start, end: line.bytes.count, variable: false, date: isDateWord(b, i, j))
            }
            i = j
        }
    }

    /// A `key="value with spaces"` token continues to the whitespace after the closing quote.
    @inline(__always)
    static func extendQuotedValue(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ end: Int) -> Int {
        var k = s
        while k + 1 < e {
            if b[k] == UInt8(ascii: "="), b[k + 1] == UInt8(ascii: "\"") || b[k + 1] == UInt8(ascii: "'") {
                let q = b[k + 1]
                var m = k + 2
                while m < e, b[m] != q { m += 1 }
                if m < e { k = m + 1; continue }
                while m < end, b[m] != q { m += 1 }
                if m == end { return e }
                while m < end, !isSpace(b[m]) { m += 1 }
                return m
            }
            k += 1
        }
        return e
    }

    /// Rule 9: English day and month names as printed in timestamps (`Mon`, `Jul`, `July`), and time zones.
    static func isDateWord(_ t: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var end = e
        while end > s, t[end - 1] == UInt8(ascii: ",") || t[end - 1] == UInt8(ascii: ".") { end -= 1 }
        let n = end - s
        guard n >= 3, n <= 9, isUpper(t[s]) else { return false }
        var key: UInt64 = 0
        for k in s..<end {
            let c = t[k]
            guard isLetter(c) else { return false }
            key = key << 8 | UInt64(c | 0x20)
        }
        return dateKeys.contains(key)
    }

    /// Writes the masked form of token `t[s..<e]` to `out`; returns whether it is a wildcard token.
    static func maskToken(_ t: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ out: inout [UInt8]) -> Bool {
        let tokenStart = out.count
        // Rule 1: paths.
        var p = s
        while p < e, isOpening(t[p]) { p += 1 }
        if p + 1 < e, t[p] == slash, isAlnum(t[p + 1]) || t[p + 1] == UInt8(ascii: "_") || t[p + 1] == UInt8(ascii: ".") {
            return true
        }
        // Rule 2: URLs.
        if e - s > 3 {
            var k = s
            while k + 2 < e {
                if t[k] == UInt8(ascii: ":"), t[k + 1] == slash, t[k + 2] == slash, k > s, isAlnum(t[k - 1]) {
                    var ms = s
                    while ms < k + 3 {
                        out.append(t[ms]); ms += 1
                    }
                    appendWildcard(&out, tokenStart)
                    return false
                }
                k += 1
            }
        }
        // Rule 3: host.name:port.
        if isHostPort(t, s, e) { return true }
        // Rules 4–6.
        var i = s
        while i < e {
            let c = t[i]
            if c == UInt8(ascii: "=") {
                out.append(c)
                i += 1
                if i < e, t[i] == UInt8(ascii: "=") {
                    while i < e, t[i] == UInt8(ascii: "=") { out.append(t[i]); i += 1 }
                    continue
                }
                if i > s + 1, t[i - 2] == UInt8(ascii: "=") || t[i - 2] == UInt8(ascii: "!") || t[i - 2] == UInt8(ascii: "<") || t[i - 2] == UInt8(ascii: ">") {
                    continue // `==`, `!=`, `<=`, `>=` are operators, not assignments.
                }
                if i < e, t[i] == UInt8(ascii: "\"") || t[i] == UInt8(ascii: "'") {
                    let q = t[i]
                    var j = i + 1
                    while j < e, t[j] != q { j += 1 }
                    out.append(q)
                    appendWildcard(&out, tokenStart)
                    if j < e { out.append(q); i = j + 1 } else { i = e }
                    continue
                }
                var j = i
                var depth = 0
                while j < e {
                    let v = t[j]
                    if v == UInt8(ascii: "(") || v == UInt8(ascii: "[") || v == UInt8(ascii: "{") {
                        if j == i { break } // `key=(…)`, `key=[…]`: the brackets are structure; mask inside.
                        depth += 1
                    } else if depth > 0, v == UInt8(ascii: ")") || v == UInt8(ascii: "]") || v == UInt8(ascii: "}") {
                        depth -= 1
                    } else if depth == 0, isValueDelimiter(v) {
                        break
                    }
                    j += 1
                }
                if j > i { appendWildcard(&out, tokenStart) }
                i = j
                continue
            }
            if isAlnum(c) {
                if i == s || !(isAlnum(t[i - 1]) || t[i - 1] == underscore) {
                    // Rule 5a: a snake_case word with a digit (`rdd_2_1`, `root14_local`, `blk_-42`) is an id.
                    var j = i
                    var digit = false
                    var underscores = false
                    while j < e {
                        let v = t[j]
                        if isDigit(v) { digit = true } else if v == underscore {
                            underscores = true
                            if j + 2 < e, t[j + 1] == UInt8(ascii: "-"), isDigit(t[j + 2]) { j += 2; digit = true; continue }
                        } else if !isLetter(v) { break }
                        j += 1
                    }
                    if digit, underscores {
                        appendWildcard(&out, tokenStart)
                        i = j
                        continue
                    }
                }
                var j = i
                while j < e, isAlnum(t[j]) { j += 1 }
                maskRun(t, i, j, &out, tokenStart)
                i = j
                continue
            }
            if c == UInt8(ascii: "-") || c == UInt8(ascii: "+"), i + 1 < e, isDigit(t[i + 1]), i == s || !isAlnum(t[i - 1]) {
                i += 1 // A sign: part of the number that follows.
                continue
            }
            out.append(c)
            i += 1
        }
        // Wildcard token: something was masked and no letters remain outside `<*>`.
        var k = tokenStart
        var sawWildcard = false
        let n = out.count
        while k < n {
            let c = out[k]
            if c == lt, k + 2 < n, out[k + 1] == star, out[k + 2] == gt {
                sawWildcard = true
                k += 3
                continue
            }
            if isLetter(c) || c >= 0x80 { return false }
            k += 1
        }
        return sawWildcard
    }

    /// Rule 5 for one alphanumeric run `t[s..<e]`.
    @inline(__always)
    static func maskRun(_ t: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ out: inout [UInt8], _ tokenStart: Int) {
        var digits = 0
        var hex = 0
        for k in s..<e {
            let c = t[k]
            if isDigit(c) { digits += 1; hex += 1 } else if isHexLetter(c) { hex += 1 }
        }
        let n = e - s
        if digits == 0 {
            if isBoolean(t, s, e) {
                appendWildcard(&out, tokenStart)
            } else {
                for k in s..<e { out.append(t[k]) }
            }
            return
        }
        if digits == n || (hex == n && n >= 4) {
            appendWildcard(&out, tokenStart)
            return
        }
        if n > 2, t[s] == UInt8(ascii: "0"), t[s + 1] | 0x20 == UInt8(ascii: "x") {
            var allHex = true
            for k in (s + 2)..<e where !(isDigit(t[k]) || isHexLetter(t[k])) { allHex = false; break }
            if allHex { appendWildcard(&out, tokenStart); return }
        }
        var k = s
        while k < e, isDigit(t[k]) { k += 1 }
        if k > s, isUnitWord(t, k, e) {
            appendWildcard(&out, tokenStart)
            return
        }
        k = s
        while k < e {
            if isDigit(t[k]) {
                while k < e, isDigit(t[k]) { k += 1 }
                appendWildcard(&out, tokenStart)
            } else {
                out.append(t[k]); k += 1
            }
        }
    }

    /// `true` or `false`, any case.
    @inline(__always)
    static func isBoolean(_ t: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        let n = e - s
        if n == 4 {
            return t[s] | 0x20 == UInt8(ascii: "t") && t[s + 1] | 0x20 == UInt8(ascii: "r") && t[s + 2] | 0x20 == UInt8(ascii: "u") && t[s + 3] | 0x20 == UInt8(ascii: "e")
        }
        if n == 5 {
            return t[s] | 0x20 == UInt8(ascii: "f") && t[s + 1] | 0x20 == UInt8(ascii: "a") && t[s + 2] | 0x20 == UInt8(ascii: "l") && t[s + 3] | 0x20 == UInt8(ascii: "s") && t[s + 4] | 0x20 == UInt8(ascii: "e")
        }
        return false
    }

    /// Appends `<*>` unless the token already ends in `<*>` (optionally followed by one separator, which is
    /// then dropped): rule 6.
    @inline(__always)
    static func appendWildcard(_ out: inout [UInt8], _ tokenStart: Int) {
        let n = out.count
        if n - tokenStart >= 3, out[n - 1] == gt, out[n - 2] == star, out[n - 3] == lt { return }
        if n - tokenStart >= 4, out[n - 2] == gt, out[n - 3] == star, out[n - 4] == lt, isNumberSeparator(out[n - 1]) {
            out.removeLast()
            return
        }
        out.append(lt); out.append(star); out.append(gt)
    }

    /// `host.name:1234` (letters, digits, `-`, `.`; at least one dot; a numeric port), possibly followed by
    /// closing punctuation.
    static func isHostPort(_ t: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var end = e
        while end > s, isClosing(t[end - 1]) { end -= 1 }
        var colon = -1
        var k = end - 1
        while k > s, isDigit(t[k]) { k -= 1 }
        guard k > s, k < end - 1, t[k] == UInt8(ascii: ":") else { return false }
        colon = k
        var dots = 0
        var letters = 0
        var start = s
        while start < colon, isOpening(t[start]) { start += 1 }
        guard start < colon else { return false }
        for m in start..<colon {
            let c = t[m]
            if c == UInt8(ascii: ".") { dots += 1 } else if isLetter(c) { letters += 1 } else if !(isDigit(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")) { return false }
        }
        // With a dot (`example.com:443`, `10.0.0.1:80`) any port; without (`wpad:80`) a 2–5 digit port.
        let portDigits = end - colon - 1
        return isAlnum(t[colon - 1]) && (dots >= 1 || (letters > 0 && portDigits >= 2 && portDigits <= 5))
    }

    /// Whether `t[s..<e]` is a unit word, optionally followed by closing punctuation (`KB)`, `ms,`).
    static func isUnit(_ t: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var end = e
        while end > s, isClosing(t[end - 1]) || t[end - 1] == UInt8(ascii: ",") || t[end - 1] == UInt8(ascii: ".") || t[end - 1] == UInt8(ascii: ";") { end -= 1 }
        if end - s == 1, t[s] == UInt8(ascii: "%") { return true }
        return isUnitWord(t, s, end)
    }

    /// Case-insensitive membership in the unit list.
    static func isUnitWord(_ t: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        let n = e - s
        guard n >= 1, n <= 7 else { return false }
        var key: UInt64 = 0
        for k in s..<e {
            let c = t[k]
            guard isLetter(c) else { return false }
            key = key << 8 | UInt64(c | 0x20)
        }
        return unitKeys.contains(key)
    }

    static let unitKeys: Set<UInt64> = {
        let words = ["b", "kb", "mb", "gb", "tb", "pb", "kib", "mib", "gib", "tib", "byte", "bytes",
                     "ns", "us", "ms", "s", "sec", "secs", "second", "seconds", "min", "mins", "minute", "minutes",
                     "h", "hr", "hrs", "hour", "hours", "day", "days", "hz", "khz", "mhz", "ghz", "kbps", "mbps", "gbps"]
        var set = Set<UInt64>()
        for w in words {
            var key: UInt64 = 0
            for c in w.utf8 { key = key << 8 | UInt64(c) }
            set.insert(key)
        }
        return set
    }()

    static let dateKeys: Set<UInt64> = {
        let words = ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday", "wednesday", "thursday",
                     "friday", "saturday", "sunday", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                     "sept", "oct", "nov", "dec", "january", "february", "march", "april", "june", "july", "august",
                     "september", "october", "november", "december", "utc", "gmt", "cet", "cest", "est", "edt", "cst",
                     "cdt", "pst", "pdt", "mst", "mdt", "bst", "ist", "jst"]
        var set = Set<UInt64>()
        for w in words {
            var key: UInt64 = 0
            for c in w.utf8 { key = key << 8 | UInt64(c) }
            set.insert(key)
        }
        return set
    }()

    static let lt = UInt8(ascii: "<")
    static let gt = UInt8(ascii: ">")
    static let star = UInt8(ascii: "*")
    static let slash = UInt8(ascii: "/")
    static let underscore = UInt8(ascii: "_")

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
    @inline(__always) static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isUpper(_ c: UInt8) -> Bool { c &- 0x41 < 26 }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) }
    @inline(__always) static func isHexLetter(_ c: UInt8) -> Bool { (c | 0x20) &- 0x61 < 6 }
    @inline(__always) static func isOpening(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") || c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "<")
    }
    @inline(__always) static func isClosing(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ")") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") || c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") || c == UInt8(ascii: ">") || c == UInt8(ascii: ":")
    }
    @inline(__always) static func isNumberSeparator(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ".") || c == UInt8(ascii: ":") || c == UInt8(ascii: ",") || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == slash
    }
    @inline(__always) static func isValueDelimiter(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"),
             UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "&"), UInt8(ascii: "|"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            return true
        default:
            return false
        }
    }
}

/// The masked tokens of one message, in reusable buffers: token `i` is `bytes[starts[i]..<ends[i]]`; for a
/// wildcard token that is its display text (`<*>` with the raw token's surrounding brackets and punctuation,
/// such as `(<*>)` or `<*>,`), which is shown in templates but not compared.
struct MaskedLine: Sendable {
    var bytes: [UInt8] = []
    var starts: [Int] = []
    var ends: [Int] = []
    var isVariable: [Bool] = []
    var isDate: [Bool] = []
    var count: Int { starts.count }

    init() {
        bytes.reserveCapacity(1024)
        starts.reserveCapacity(64)
        ends.reserveCapacity(64)
        isVariable.reserveCapacity(64)
        isDate.reserveCapacity(64)
    }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        isVariable.removeAll(keepingCapacity: true)
        isDate.removeAll(keepingCapacity: true)
    }

    mutating func append(start: Int, end: Int, variable: Bool, date: Bool) {
        starts.append(start)
        ends.append(end)
        isVariable.append(variable)
        isDate.append(date)
    }

    /// Appends a wildcard token whose display text keeps the raw token's surrounding punctuation:
    /// `(3.5,` → `(<*>,`.
    mutating func appendVariable(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) {
        let start = bytes.count
        var k = s
        while k < e, Self.isLead(b[k]) { bytes.append(b[k]); k += 1 }
        bytes.append(LogTokenMasker.lt); bytes.append(LogTokenMasker.star); bytes.append(LogTokenMasker.gt)
        append(start: start, end: start, variable: true, date: false)
        replaceTrail(b, s, e)
    }

    /// The last token is a wildcard that absorbed `b[s..<e]`: its display text ends with that token's
    /// trailing punctuation.
    mutating func replaceTrail(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) {
        while let last = bytes.last, last != LogTokenMasker.gt { bytes.removeLast() }
        var k = e
        while k > s, Self.isTrail(b[k - 1]) { k -= 1 }
        if k > s { for m in k..<e { bytes.append(b[m]) } }
        ends[ends.count - 1] = bytes.count
    }

    @inline(__always) static func isLead(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") || c == UInt8(ascii: "'") || c == UInt8(ascii: "\"")
    }

    @inline(__always) static func isTrail(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: ","),
             UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// Drops the last token (and its bytes).
    mutating func removeLast() {
        bytes.removeSubrange(starts[starts.count - 1]...)
        starts.removeLast()
        ends.removeLast()
        isVariable.removeLast()
        isDate.removeLast()
    }
}
