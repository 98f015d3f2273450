import CLibYAML

/// A node of a YAML document as read by ``YAMLNode/parse(_:file:)``: a small tree of mappings,
/// sequences and scalars with positions, enough for configuration files. Anchors and aliases, tags and
/// multi-document streams are not supported.
public struct YAMLNode: Sendable, Equatable {
    /// The content of a node.
    public indirect enum Value: Sendable, Equatable {
        /// A scalar; `plain` is false when it was quoted or a block scalar (so `"10"` stays a string).
        case scalar(String, plain: Bool)
        /// Key/value pairs in document order.
        case mapping([(key: YAMLNode, value: YAMLNode)])
        case sequence([YAMLNode])

        public static func == (a: Value, b: Value) -> Bool {
            switch (a, b) {
            case let (.scalar(x, p), .scalar(y, q)): return x == y && p == q
            case let (.sequence(x), .sequence(y)): return x == y
            case let (.mapping(x), .mapping(y)):
                return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: return false
            }
        }
    }

    public var value: Value
    /// 1-based line of the node's start.
    public var line: Int
    /// 1-based column of the node's start.
    public var column: Int

    public init(_ value: Value, line: Int, column: Int) {
        self.value = value
        self.line = line
        self.column = column
    }

    /// True for a plain `null`, `~` or empty scalar.
    public var isNull: Bool {
        if case .scalar(let s, plain: true) = value { return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" }
        return false
    }

    /// The text of a scalar, nil for a mapping or sequence.
    public var scalar: String? {
        if case .scalar(let s, _) = value { return s }
        return nil
    }

    /// Parses the first document of `text` with libyaml; nil for an empty document. Errors read
    /// `FILE:LINE:COLUMN: problem`.
    public static func parse(_ text: String, file: String) throws(AgentError) -> YAMLNode? {
        let bytes = Array(text.utf8)
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { throw AgentError("\(file): cannot initialise the YAML parser") }
        defer { yaml_parser_delete(parser) }
        let result: Result<YAMLNode?, AgentError> = bytes.withUnsafeBufferPointer { buf in
            yaml_parser_set_input_string(parser, buf.baseAddress, buf.count)
            var reader = EventReader(parser: parser, file: file)
            do throws(AgentError) {
                return .success(try reader.document())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// Pulls libyaml events and builds nodes.
private struct EventReader {
    let parser: UnsafeMutablePointer<yaml_parser_t>
    let file: String

    struct Event {
        var type: yaml_event_type_t
        var text: String
        var plain: Bool
        var line: Int
        var column: Int
    }

    mutating func next() throws(AgentError) -> Event {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else {
            let p = parser.pointee
            let problem = p.problem.map { String(cString: $0) } ?? "invalid YAML"
            let context = p.context.map { String(cString: $0) + ": " } ?? ""
            throw AgentError("\(file):\(p.problem_mark.line + 1):\(p.problem_mark.column + 1): \(context)\(problem)")
        }
        defer { yaml_event_delete(&event) }
        var e = Event(type: event.type, text: "", plain: false,
                      line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        if event.type == YAML_SCALAR_EVENT {
            let s = event.data.scalar
            if let v = s.value {
                e.text = String(decoding: UnsafeBufferPointer(start: v, count: s.length), as: UTF8.self)
            }
            e.plain = s.style == YAML_PLAIN_SCALAR_STYLE
        }
        return e
    }

    mutating func document() throws(AgentError) -> YAMLNode? {
        var e = try next()
        if e.type == YAML_STREAM_START_EVENT { e = try next() }
        if e.type == YAML_STREAM_END_EVENT { return nil }
        guard e.type == YAML_DOCUMENT_START_EVENT else { throw error(e, "expected a YAML document") }
        let root = try node(try next())
        _ = try next()   // document end; any further document is ignored
        return root
    }

    mutating func node(_ e: Event) throws(AgentError) -> YAMLNode {
        switch e.type {
        case YAML_SCALAR_EVENT:
            return YAMLNode(.scalar(e.text, plain: e.plain), line: e.line, column: e.column)
        case YAML_SEQUENCE_START_EVENT:
            var items: [YAMLNode] = []
            while true {
                let n = try next()
                if n.type == YAML_SEQUENCE_END_EVENT { break }
                items.append(try node(n))
            }
            return YAMLNode(.sequence(items), line: e.line, column: e.column)
        case YAML_MAPPING_START_EVENT:
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            while true {
                let k = try next()
                if k.type == YAML_MAPPING_END_EVENT { break }
                let key = try node(k)
                guard key.scalar != nil else { throw error(k, "mapping keys must be plain text") }
                if let dup = pairs.first(where: { $0.key.scalar == key.scalar }) {
                    throw error(k, "duplicate key '\(key.scalar!)' (first at line \(dup.key.line))")
                }
                pairs.append((key, try node(try next())))
            }
            return YAMLNode(.mapping(pairs), line: e.line, column: e.column)
        case YAML_ALIAS_EVENT:
            throw error(e, "YAML aliases (*name) are not supported here")
        default:
            throw error(e, "unexpected YAML structure")
        }
    }

    func error(_ e: Event, _ message: String) -> AgentError {
        AgentError("\(file):\(e.line):\(e.column): \(message)")
    }
}
