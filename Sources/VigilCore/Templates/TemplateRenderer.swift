/// Walks parsed template nodes, writing output.
struct TemplateRenderer {
    let bytes: [UInt8]
    var variables: [String: TemplateValue]
    var out = ""

    init(source: String, variables: [String: TemplateValue]) {
        bytes = Array(source.utf8)
        self.variables = variables
    }

    func error(_ message: String, _ offset: Int) -> TemplateError { TemplateParser.error(message, offset, bytes) }

    mutating func render(_ nodes: [TemplateNode], dot: TemplateValue) throws(TemplateError) {
        if variables[""] == nil { variables[""] = dot }
        for node in nodes {
            switch node {
            case .text(let s): try write(s, at: 0)
            case .action(let p): try write(try eval(p, dot: dot).text, at: p.offset)
            case .ifBlock(let branches, let otherwise):
                var taken = false
                for (cond, body) in branches where try eval(cond, dot: dot).isTrue {
                    try render(body, dot: dot)
                    taken = true
                    break
                }
                if !taken { try render(otherwise, dot: dot) }
            case .with(let p, let body, let otherwise):
                let v = try eval(p, dot: dot)
                if v.isTrue { try render(body, dot: v) } else { try render(otherwise, dot: dot) }
            case .range(let p, let body, let otherwise):
                let v = try eval(p, dot: dot)
                var items: [(TemplateValue, TemplateValue)] = []
                switch v {
                case .list(let l): items = l.enumerated().map { (.number(Double($0.offset)), $0.element) }
                case .map(let m): items = m.keys.sorted().map { (.string($0), m[$0]!) }
                case .null: break
                case .number(let n) where n >= 0 && n < 100_000 && n == n.rounded():
                    items = (0..<Int(n)).map { (.number(Double($0)), .number(Double($0))) }
                default: throw error("range over \(v.kindName) (expected a list or a map)", p.offset)
                }
                if items.isEmpty { try render(otherwise, dot: dot); continue }
                let saved = variables
                for (k, item) in items {
                    if p.names.count == 1 { variables[p.names[0]] = item }
                    if p.names.count == 2 { variables[p.names[0]] = k; variables[p.names[1]] = item }
                    try render(body, dot: item)
                }
                variables = saved
            }
        }
    }

    private mutating func write(_ s: String, at offset: Int) throws(TemplateError) {
        if out.utf8.count + s.utf8.count > AlertTemplate.maxOutputBytes {
            throw error("the output passes \(AlertTemplate.maxOutputBytes) bytes", offset)
        }
        out += s
    }

    func eval(_ p: TemplatePipeline, dot: TemplateValue) throws(TemplateError) -> TemplateValue {
        var piped: TemplateValue?
        for command in p.commands {
            guard let head = command.first else { continue }
            if case .function(let name) = head {
                var args: [TemplateValue] = []
                for t in command.dropFirst() { args.append(try term(t, dot: dot, at: p.offset)) }
                if let piped { args.append(piped) }
                piped = try TemplateFunctions.call(name, args, at: p.offset, bytes)
            } else {
                if command.count > 1 { throw error("only a function takes arguments", p.offset) }
                if piped != nil { throw error("a value cannot follow '|' (a function must)", p.offset) }
                piped = try term(head, dot: dot, at: p.offset)
            }
        }
        return piped ?? .null
    }

    private func term(_ t: TemplateTerm, dot: TemplateValue, at offset: Int) throws(TemplateError) -> TemplateValue {
        switch t {
        case .literal(let v): return v
        case .field(let path): return try walk(dot, path, name: ".", at: offset)
        case .variable(let name, let path):
            guard let v = variables[name] else { throw error("undefined variable $\(name)", offset) }
            return try walk(v, path, name: "$" + name, at: offset)
        case .pipeline(let p): return try eval(p, dot: dot)
        case .function(let name): return try TemplateFunctions.call(name, [], at: offset, bytes)
        }
    }

    private func walk(_ v: TemplateValue, _ path: [String], name: String, at offset: Int) throws(TemplateError) -> TemplateValue {
        var v = v
        var seen = name
        for field in path {
            if case .null = v { return .null }
            guard let next = v.field(field) else { throw error("\(seen) is \(v.kindName), it has no field '\(field)'", offset) }
            v = next
            seen += (seen.hasSuffix(".") ? "" : ".") + field
        }
        return v
    }
}

extension TemplateValue {
    var kindName: String {
        switch self {
        case .null: "nothing"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .list: "a list"
        case .map: "a map"
        }
    }
}
