/// A value a template reads: what `$labels`, `$value`, `.Alerts` and the like evaluate to.
public indirect enum TemplateValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case list([TemplateValue])
    case map([String: TemplateValue])

    /// A map of strings (labels, annotations).
    public static func strings(_ m: [String: String]) -> TemplateValue { .map(m.mapValues { .string($0) }) }

    /// Go's truth: false, 0, "", empty list or map and null are false.
    public var isTrue: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        case .number(let n): n != 0
        case .string(let s): !s.isEmpty
        case .list(let l): !l.isEmpty
        case .map(let m): !m.isEmpty
        }
    }

    /// How the value prints in output: numbers without a needless ".0", maps and lists in Go's `map[k:v]` /
    /// `[a b]` form, null as an empty string (where Go prints `<no value>`, which helps nobody in a message).
    public var text: String {
        switch self {
        case .null: ""
        case .bool(let b): b ? "true" : "false"
        case .number(let n): TemplateValue.format(n)
        case .string(let s): s
        case .list(let l): "[" + l.map(\.text).joined(separator: " ") + "]"
        case .map(let m): "map[" + m.keys.sorted().map { "\($0):\(m[$0]!.text)" }.joined(separator: " ") + "]"
        }
    }

    static func format(_ n: Double) -> String {
        if n.isNaN { return "NaN" }
        if n.isInfinite { return n > 0 ? "+Inf" : "-Inf" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return "\(n)"
    }

    /// The number a value stands for (a numeric string too), or nil.
    var number: Double? {
        switch self {
        case .number(let n): n
        case .string(let s): Double(s)
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    /// `value.field`: a map's entry (null when missing, as Go does for maps).
    func field(_ name: String) -> TemplateValue? {
        if case .map(let m) = self { return m[name] ?? .null }
        return nil
    }
}
