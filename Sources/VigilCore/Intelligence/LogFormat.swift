/// A log line layout in the Loghub / logpai notation, used to find the free-text message in each line.
///
/// Example: `<Date> <Time> <Level> <Component>: <Content>`. The notation is the one of the Loghub benchmark
/// (`log_format` in logpai's `benchmark.py`), which logpai turns into a regular expression:
///
/// - `<Name>` is a header field; it matches any text, as little as possible (`.*?`). `<Content>` is the
///   message body and must appear exactly once.
/// - A run of spaces matches one or more whitespace characters (`\s+`).
/// - `\x` is the literal character `x` (`\[`, `\]`, `\|`, `\\`).
/// - `( … )?` is an optional part (tried first with the part, then without it); `( … )` is a plain group.
/// - Every other character is literal. Unescaped regular-expression operators (`. * + ? | [ ] { } ^ $`)
///   are rejected with an error rather than guessed at.
///
/// The whole line must match (after trimming surrounding whitespace, as logpai does). Matching is a small
/// backtracking matcher over UTF-8 bytes, with the same preference order as the regular expression
/// (fields shortest first, whitespace runs longest first, optional parts present first), so it extracts the
/// same `Content` as logpai for these formats. Lines that do not match return nil; callers decide what to do
/// (the `vigil logs patterns` command mines the whole line then, where logpai's tools skip the line).
public struct LogFormat: Sendable, Equatable {
    /// The notation as given.
    public let spec: String
    /// The header field names in order of appearance, `Content` included.
    public let fieldNames: [String]
    /// Alternative flat element sequences: optional parts expanded, "present" variants first.
    let alternatives: [[Element]]
    let contentField: Int

    enum Element: Sendable, Equatable {
        case field(Int)
        case literal([UInt8])
        case whitespace
    }

    /// Limits that keep a hostile or mistaken format cheap: real layouts (Loghub's) have under 20 elements, a few
    /// optional parts and fit in 200 bytes. Matching costs memory in proportion to elements × line length.
    static let maxSpecBytes = 2_000
    static let maxElements = 200
    static let maxAlternatives = 64
    static let maxNesting = 16

    /// Parses the notation. Throws `LogFormatError` saying what is wrong and where.
    public init(_ spec: String) throws(LogFormatError) {
        self.spec = spec
        if spec.utf8.count > Self.maxSpecBytes {
            throw LogFormatError(message: "the format is \(spec.utf8.count) bytes; at most \(Self.maxSpecBytes) are accepted")
        }
        var parser = Parser(bytes: Array(spec.utf8))
        let tree = try parser.parseSequence(depth: 0)
        if parser.pos < parser.bytes.count {
            throw LogFormatError(message: "unbalanced ')' at offset \(parser.pos) in \(Self.quoted(spec))")
        }
        fieldNames = parser.names
        guard let content = parser.names.firstIndex(of: "Content") else {
            throw LogFormatError(message: "the format has no <Content> field (the message body), e.g. '<Date> <Time> <Level>: <Content>': \(Self.quoted(spec))")
        }
        if parser.names.filter({ $0 == "Content" }).count > 1 {
            throw LogFormatError(message: "<Content> appears more than once in \(Self.quoted(spec))")
        }
        contentField = content
        guard let alts = Self.expand(tree, limit: Self.maxAlternatives) else {
            throw LogFormatError(message: "the format's optional parts make more than \(Self.maxAlternatives) combinations (at most 6 independent (…)? groups) in \(Self.quoted(spec))")
        }
        alternatives = alts.map(Self.coalesce)
        if let longest = alternatives.map(\.count).max(), longest > Self.maxElements {
            throw LogFormatError(message: "the format has \(longest) fields, spaces and literals; at most \(Self.maxElements) are accepted")
        }
    }

    /// The message body of `line`, or nil when the line does not have this layout.
    public func content(of line: Substring) -> Substring? {
        guard let fields = match(line) else { return nil }
        return fields[contentField]
    }

    /// Every field of `line` (in `fieldNames` order), or nil when the line does not have this layout.
    public func match(_ line: Substring) -> [Substring]? {
        var s = line
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        let utf8 = s.utf8
        let base = utf8.startIndex
        let ranges: [Range<Int>]? = utf8.withContiguousStorageIfAvailable { buf in matchRanges(buf) } ?? {
            let copy = Array(utf8)
            return copy.withUnsafeBufferPointer { matchRanges($0) }
        }()
        guard let ranges else { return nil }
        return ranges.map { r in
            let lo = utf8.index(base, offsetBy: r.lowerBound)
            let hi = utf8.index(base, offsetBy: r.upperBound)
            return s[lo..<hi]
        }
    }

    /// Steps one line may take across all alternatives before it counts as not matching. Real layouts match in a
    /// few steps per byte; a hostile format and line (many fields, a long line of separators) would otherwise cost
    /// elements × bytes² steps.
    static let stepBudget = 1_000_000

    /// Byte offsets of each field in `bytes` (already trimmed), or nil.
    func matchRanges(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>]? {
        var caps = [Range<Int>](repeating: 0..<0, count: fieldNames.count)
        var budget = Self.stepBudget
        for alt in alternatives where Self.literalsInOrder(alt, bytes) {
            for i in caps.indices { caps[i] = 0..<0 }
            // Memo of (element, offset) pairs known to fail: keeps backtracking polynomial.
            let cells = alt.count * (bytes.count + 1)
            let matched = withUnsafeTemporaryAllocation(of: Bool.self, capacity: cells) { memo -> Bool in
                memo.initialize(repeating: false)
                var m = Matcher(elems: alt, b: bytes, failed: memo, budget: budget)
                let ok = m.flat(0, 0, &caps)
                budget = m.budget
                return ok
            }
            if matched { return caps }
            if budget <= 0 { return nil }
        }
        return nil
    }

    /// Cheap necessary condition: every literal of `elems` occurs in `b`, in order.
    private static func literalsInOrder(_ elems: [Element], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var pos = 0
        for e in elems {
            guard case .literal(let lit) = e, let first = lit.first else { continue }
            var found = false
            while pos + lit.count <= b.count {
                if b[pos] == first {
                    var same = true
                    for k in 1..<lit.count where b[pos + k] != lit[k] { same = false; break }
                    if same { found = true; break }
                }
                pos += 1
            }
            if !found { return false }
            pos += lit.count
        }
        return true
    }

    /// Byte range of the content in `bytes` (already trimmed), or nil.
    func contentRange(_ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        matchRanges(bytes)?[contentField]
    }

    /// The backtracking matcher for one alternative and one line.
    private struct Matcher {
        let elems: [Element]
        let b: UnsafeBufferPointer<UInt8>
        let failed: UnsafeMutableBufferPointer<Bool>
        var budget: Int

        mutating func flat(_ i: Int, _ pos: Int, _ caps: inout [Range<Int>]) -> Bool {
            if i == elems.count { return pos == b.count }
            budget -= 1
            if budget <= 0 { return false }
            let cell = i * (b.count + 1) + pos
            if failed[cell] { return false }
            if element(i, pos, &caps) { return true }
            failed[cell] = true
            return false
        }

        mutating func element(_ i: Int, _ pos: Int, _ caps: inout [Range<Int>]) -> Bool {
            switch elems[i] {
            case .literal(let lit):
                if pos + lit.count > b.count { return false }
                for k in 0..<lit.count where b[pos + k] != lit[k] { return false }
                return flat(i + 1, pos + lit.count, &caps)
            case .whitespace:
                var end = pos
                while end < b.count, LogFormat.isSpace(b[end]) { end += 1 }
                if end == pos { return false }
                budget -= (end - pos) >> 4
                while end > pos {
                    if flat(i + 1, end, &caps) { return true }
                    if budget <= 0 { return false }
                    end -= 1
                }
                return false
            case .field(let f):
                if i + 1 == elems.count {
                    // A trailing field takes the rest of the line (`.*?$`); `.` excludes newlines.
                    budget -= (b.count - pos) >> 4
                    for k in pos..<b.count where b[k] == 0x0A { return false }
                    caps[f] = pos..<b.count
                    return true
                }
                var nextLiteralFirst: UInt8?
                if case .literal(let lit) = elems[i + 1] { nextLiteralFirst = lit.first }
                var end = pos
                while end <= b.count {
                    if let first = nextLiteralFirst {
                        // Skip ahead to the next place the following literal can start (the scan counts against the
                        // budget too: a field before a literal found only at the end rescans the line from each start).
                        let from = end
                        while end < b.count, b[end] != first, b[end] != 0x0A { end += 1 }
                        budget -= (end - from) >> 4
                        if end == b.count { return false }
                    }
                    if flat(i + 1, end, &caps) {
                        caps[f] = pos..<end
                        return true
                    }
                    if budget <= 0 { return false }
                    if end < b.count, b[end] == 0x0A { return false }
                    end += 1
                }
                return false
            }
        }
    }

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || (c >= 0x09 && c <= 0x0D)
    }

    private static func quoted(_ s: String) -> String { "'" + s + "'" }

    // MARK: parsing

    indirect enum Node: Sendable {
        case element(Element)
        case group([Node], optional: Bool)
    }

    struct Parser {
        let bytes: [UInt8]
        var pos = 0
        var names: [String] = []

        mutating func parseSequence(depth: Int) throws(LogFormatError) -> [Node] {
            var out: [Node] = []
            var literal: [UInt8] = []
            func flush() {
                if !literal.isEmpty { out.append(.element(.literal(literal))); literal = [] }
            }
            while pos < bytes.count {
                let c = bytes[pos]
                switch c {
                case UInt8(ascii: "<"):
                    guard let close = bytes[(pos + 1)...].firstIndex(where: { $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "<") }),
                          bytes[close] == UInt8(ascii: ">"), close > pos + 1 else {
                        // Not a field: a literal '<' (logpai's splitter only treats `<name>` as a field).
                        literal.append(c); pos += 1; continue
                    }
                    flush()
                    let name = String(decoding: bytes[(pos + 1)..<close], as: UTF8.self)
                    names.append(name)
                    out.append(.element(.field(names.count - 1)))
                    pos = close + 1
                case UInt8(ascii: " "):
                    flush()
                    while pos < bytes.count, bytes[pos] == UInt8(ascii: " ") { pos += 1 }
                    out.append(.element(.whitespace))
                case UInt8(ascii: "\\"):
                    guard pos + 1 < bytes.count else {
                        throw LogFormatError(message: "the format ends with a lone backslash")
                    }
                    let e = bytes[pos + 1]
                    if e == UInt8(ascii: "s") || e == UInt8(ascii: "d") || e == UInt8(ascii: "w") {
                        throw LogFormatError(message: "regular-expression class '\\\(Character(UnicodeScalar(e)))' at offset \(pos) is not supported; write literal text, spaces, <Field>s and (…)? groups")
                    }
                    literal.append(e); pos += 2
                case UInt8(ascii: "("):
                    flush()
                    if depth + 1 > LogFormat.maxNesting {
                        throw LogFormatError(message: "groups nested more than \(LogFormat.maxNesting) deep at offset \(pos)")
                    }
                    pos += 1
                    let inner = try parseSequence(depth: depth + 1)
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: ")") else {
                        throw LogFormatError(message: "unclosed '(' in the format")
                    }
                    pos += 1
                    var optional = false
                    if pos < bytes.count, bytes[pos] == UInt8(ascii: "?") { optional = true; pos += 1 }
                    out.append(.group(inner, optional: optional))
                case UInt8(ascii: ")"):
                    if depth == 0 { throw LogFormatError(message: "unbalanced ')' at offset \(pos)") }
                    flush()
                    return out
                case UInt8(ascii: "."), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "|"),
                     UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "^"), UInt8(ascii: "$"):
                    throw LogFormatError(message: "unescaped '\(Character(UnicodeScalar(c)))' at offset \(pos): write \\\(Character(UnicodeScalar(c))) for the literal character (only <Field>, spaces, \\x escapes and (…)? groups are supported)")
                default:
                    literal.append(c); pos += 1
                }
            }
            flush()
            return out
        }
    }

    /// All flat sequences a node list can produce, optional parts "present" first; nil when there would be more
    /// than `limit` (checked as it goes, so twenty optional groups cost nothing to refuse).
    static func expand(_ nodes: [Node], limit: Int) -> [[Element]]? {
        var results: [[Element]] = [[]]
        for node in nodes {
            switch node {
            case .element(let e):
                for i in results.indices { results[i].append(e) }
            case .group(let inner, let optional):
                guard let innerAlts = expand(inner, limit: limit) else { return nil }
                if results.count * (innerAlts.count + (optional ? 1 : 0)) > limit { return nil }
                var next: [[Element]] = []
                for r in results {
                    for a in innerAlts { next.append(r + a) }
                    if optional { next.append(r) }
                }
                results = next
            }
        }
        return results
    }

    /// Joins adjacent literals.
    static func coalesce(_ elems: [Element]) -> [Element] {
        var out: [Element] = []
        for e in elems {
            if case .literal(let b) = e, case .literal(let a)? = out.last {
                out[out.count - 1] = .literal(a + b)
            } else {
                out.append(e)
            }
        }
        return out
    }
}

/// A `--format` that cannot be used, with a message saying why.
public struct LogFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { "bad log format: " + message }
}
