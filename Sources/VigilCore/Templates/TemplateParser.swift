/// Parses the text of an `AlertTemplate` into nodes: text, `{{ pipeline }}`, `if`/`else if`/`else`, `range`
/// (with `$v :=` or `$k, $v :=`), `with`, each closed by `end`.
struct TemplateParser {
    let source: String
    let bytes: [UInt8]
    var pos = 0
    /// Trim the whitespace at the start of the next text (the previous action ended with ` -}}`).
    var trimNext = false

    init(source: String) {
        self.source = source
        bytes = Array(source.utf8)
    }

    enum Terminator {
        case eof
        case end(Int)
        case elseBranch(TemplatePipeline?, Int)
    }

    mutating func parseAll() throws(TemplateError) -> [TemplateNode] {
        let (nodes, term) = try parseList()
        switch term {
        case .eof: return nodes
        case .end(let at): throw error("'end' without a block to close", at)
        case .elseBranch(_, let at): throw error("'else' outside 'if', 'range' or 'with'", at)
        }
    }

    func error(_ message: String, _ offset: Int) -> TemplateError {
        TemplateParser.error(message, offset, bytes)
    }

    static func error(_ message: String, _ offset: Int, _ bytes: [UInt8]) -> TemplateError {
        var line = 1, col = 1
        for b in bytes.prefix(offset) {
            if b == 0x0A { line += 1; col = 1 } else if b & 0xC0 != 0x80 { col += 1 }
        }
        return TemplateError(message: message, line: line, column: col)
    }

    private static let open: [UInt8] = Array("{{".utf8)

    /// Nodes up to `end`, `else` or the end of the text.
    mutating func parseList() throws(TemplateError) -> ([TemplateNode], Terminator) {
        var nodes: [TemplateNode] = []
        while pos < bytes.count {
            guard let start = find(Self.open, from: pos) else {
                appendText(&nodes, pos, bytes.count, trimEnd: false)
                pos = bytes.count
                break
            }
            let trimLeft = start + 3 < bytes.count && bytes[start + 2] == UInt8(ascii: "-") && templateSpace(bytes[start + 3])
            appendText(&nodes, pos, start, trimEnd: trimLeft)
            var p = start + (trimLeft ? 3 : 2)
            guard let (end, trimRight) = actionEnd(from: p) else { throw error("'{{' is never closed with '}}'", start) }
            var lexer = TemplateLexer(bytes: bytes, pos: p, end: end)
            let tokens = try lexer.tokens()
            p = end + (trimRight ? 3 : 2)
            pos = p
            trimNext = trimRight
            guard let first = tokens.first else { throw error("empty action '{{ }}'", start) }
            switch first.kind {
            case .word("end"):
                if tokens.count > 1 { throw error("unexpected text after 'end'", tokens[1].offset) }
                return (nodes, .end(start))
            case .word("else"):
                if tokens.count > 1 {
                    guard case .word("if") = tokens[1].kind else { throw error("'else' takes no arguments (or 'else if …')", tokens[1].offset) }
                    return (nodes, .elseBranch(try pipeline(Array(tokens.dropFirst(2)), at: tokens[1].offset), start))
                }
                return (nodes, .elseBranch(nil, start))
            case .word("if"):
                nodes.append(try ifBlock(try pipeline(Array(tokens.dropFirst()), at: first.offset), start))
            case .word("range"):
                var rest = Array(tokens.dropFirst())
                var names: [String] = []
                if let assign = rest.firstIndex(where: { $0.kind == .declare }) {
                    for t in rest[..<assign] {
                        switch t.kind {
                        case .variable(let n, let path) where path.isEmpty: names.append(n)
                        case .comma: continue
                        default: throw error("expected '$name :=' or '$key, $value :=' after 'range'", t.offset)
                        }
                    }
                    if names.isEmpty || names.count > 2 { throw error("'range' declares one or two variables", first.offset) }
                    rest = Array(rest[(assign + 1)...])
                }
                let p = try pipeline(rest, at: first.offset)
                let (body, otherwise) = try block("range", start)
                nodes.append(.range(TemplatePipeline(commands: p.commands, offset: p.offset, names: names), body: body, otherwise: otherwise))
            case .word("with"):
                let p = try pipeline(Array(tokens.dropFirst()), at: first.offset)
                let (body, otherwise) = try block("with", start)
                nodes.append(.with(p, body: body, otherwise: otherwise))
            case .word("define"), .word("template"), .word("block"), .word("break"), .word("continue"):
                throw error("'\(first.text)' is not supported here", first.offset)
            default:
                nodes.append(.action(try pipeline(tokens, at: first.offset)))
            }
        }
        return (nodes, .eof)
    }

    private mutating func block(_ name: String, _ start: Int) throws(TemplateError) -> ([TemplateNode], [TemplateNode]) {
        let (body, term) = try parseList()
        switch term {
        case .eof: throw error("'\(name)' is never closed with '{{ end }}'", start)
        case .end: return (body, [])
        case .elseBranch(let cond, let at):
            if cond != nil { throw error("'else if' inside '\(name)'", at) }
            let (otherwise, t2) = try parseList()
            guard case .end = t2 else { throw error("'\(name) … else' is never closed with '{{ end }}'", start) }
            return (body, otherwise)
        }
    }

    private mutating func ifBlock(_ condition: TemplatePipeline, _ start: Int) throws(TemplateError) -> TemplateNode {
        var branches: [(TemplatePipeline, [TemplateNode])] = []
        var cond = condition
        while true {
            let (body, term) = try parseList()
            branches.append((cond, body))
            switch term {
            case .eof: throw error("'if' is never closed with '{{ end }}'", start)
            case .end: return .ifBlock(branches: branches, otherwise: [])
            case .elseBranch(let next?, _): cond = next
            case .elseBranch(nil, _):
                let (otherwise, t2) = try parseList()
                switch t2 {
                case .end: return .ifBlock(branches: branches, otherwise: otherwise)
                case .elseBranch(_, let at): throw error("a second 'else' in one 'if'", at)
                case .eof: throw error("'if' is never closed with '{{ end }}'", start)
                }
            }
        }
    }

    /// Commands separated by `|`, each terms up to `|`; `( … )` nests.
    private func pipeline(_ tokens: [TemplateToken], at offset: Int) throws(TemplateError) -> TemplatePipeline {
        var i = 0
        let p = try pipeline(tokens, &i, offset: offset, nested: false)
        return p
    }

    private func pipeline(_ tokens: [TemplateToken], _ i: inout Int, offset: Int, nested: Bool) throws(TemplateError) -> TemplatePipeline {
        var commands: [[TemplateTerm]] = []
        var current: [TemplateTerm] = []
        while i < tokens.count {
            let t = tokens[i]
            switch t.kind {
            case .pipe:
                if current.isEmpty { throw error("missing command before '|'", t.offset) }
                commands.append(current); current = []
                i += 1
            case .close:
                if !nested { throw error("unexpected ')'", t.offset) }
                if current.isEmpty { throw error("empty command before ')'", t.offset) }
                commands.append(current)
                return TemplatePipeline(commands: commands, offset: offset)
            case .open:
                i += 1
                let inner = try pipeline(tokens, &i, offset: t.offset, nested: true)
                guard i < tokens.count, tokens[i].kind == .close else { throw error("'(' is never closed", t.offset) }
                current.append(.pipeline(inner))
                i += 1
            case .field(let path): current.append(.field(path)); i += 1
            case .variable(let n, let path): current.append(.variable(n, path)); i += 1
            case .string(let s): current.append(.literal(.string(s))); i += 1
            case .number(let n): current.append(.literal(.number(n))); i += 1
            case .word("true"): current.append(.literal(.bool(true))); i += 1
            case .word("false"): current.append(.literal(.bool(false))); i += 1
            case .word("nil"): current.append(.literal(.null)); i += 1
            case .word(let w):
                guard TemplateFunctions.names.contains(w) else {
                    throw error("unknown function '\(w)' (known: \(TemplateFunctions.names.sorted().joined(separator: ", ")))", t.offset)
                }
                if !current.isEmpty { throw error("'\(w)' must start a command (write ( \(w) … ) to use its result as an argument)", t.offset) }
                current.append(.function(w)); i += 1
            case .declare, .comma:
                throw error("unexpected '\(t.text)'", t.offset)
            }
        }
        if nested { throw error("'(' is never closed", offset) }
        if current.isEmpty { throw error(commands.isEmpty ? "missing value" : "missing command after '|'", offset) }
        commands.append(current)
        return TemplatePipeline(commands: commands, offset: offset)
    }

    private func find(_ needle: [UInt8], from: Int) -> Int? {
        var i = from
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0] && bytes[i + 1] == needle[1] { return i }
            i += 1
        }
        return nil
    }

    /// Where the action that starts at `from` ends (the offset of its `}}` or ` -}}`), skipping string literals.
    private func actionEnd(from: Int) -> (Int, Bool)? {
        var i = from
        while i + 1 < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") {
                i += 1
                while i < bytes.count, bytes[i] != c {
                    if c == UInt8(ascii: "\""), bytes[i] == UInt8(ascii: "\\") { i += 1 }
                    i += 1
                }
                i += 1
                continue
            }
            if c == UInt8(ascii: "}") && bytes[i + 1] == UInt8(ascii: "}") { return (i, false) }
            if c == UInt8(ascii: "-"), i > from, templateSpace(bytes[i - 1]), i + 2 < bytes.count,
               bytes[i + 1] == UInt8(ascii: "}"), bytes[i + 2] == UInt8(ascii: "}") {
                return (i, true)
            }
            i += 1
        }
        return nil
    }

    private mutating func appendText(_ nodes: inout [TemplateNode], _ from: Int, _ to: Int, trimEnd: Bool) {
        var lo = from, hi = to
        if trimNext { while lo < hi, templateSpace(bytes[lo]) { lo += 1 } }
        if trimEnd { while hi > lo, templateSpace(bytes[hi - 1]) { hi -= 1 } }
        trimNext = false
        if hi > lo { nodes.append(.text(String(decoding: bytes[lo..<hi], as: UTF8.self))) }
    }
}

@inline(__always) func templateSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
