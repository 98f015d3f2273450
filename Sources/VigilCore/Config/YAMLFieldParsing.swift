import Foundation
import VigilWire
import Yams

/// The shared half of every YAML parser that collects errors instead of stopping at the first: typed reads of
/// scalars, mappings and lists that record a `RuleFileError` at the node's line and column when the node is not
/// what was expected. A parser conforms by holding its file path and an error list.
protocol YAMLFieldParsing {
    var path: String { get }
    var errors: [RuleFileError] { get set }
}

extension YAMLFieldParsing {
    /// The document's root node; nil (with the error recorded) when the YAML does not parse or is empty, `empty`
    /// saying what the file should hold.
    mutating func root(_ yaml: String, empty: String) -> Node? {
        let root: Node?
        do {
            root = try YAMLDocument.compose(yaml, file: path)
        } catch {
            errors.append(RuleFileError(file: path, line: error.line ?? 0, column: error.column ?? 0, message: error.message))
            return nil
        }
        guard let root, !Self.isNull(root) else {
            errors.append(RuleFileError(file: path, line: 0, column: 0, message: "empty file (expected \(empty))"))
            return nil
        }
        return root
    }

    /// The errors in file order; errors at the same position keep the order they were found in.
    mutating func sortErrorsByPosition() {
        errors = errors.enumerated().sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
    }

    /// A time zone name (`Asia/Shanghai`).
    mutating func timeZone(_ node: Node) -> TimeZone? {
        guard let s = string(node, "a time zone name such as Asia/Shanghai") else { return nil }
        guard let z = TimeZone(identifier: s) else {
            fail(node, "unknown time zone '\(s)' (e.g. Asia/Shanghai, Europe/Berlin, UTC)")
            return nil
        }
        return z
    }

    /// `HH:MM` as minutes after midnight.
    mutating func clock(_ node: Node, _ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else {
            fail(node, "expected a time as HH:MM, found '\(text)'")
            return nil
        }
        return h * 60 + m
    }

    mutating func matchers(_ node: Node) -> [LabelMatcher] {
        guard let map = mapping(node, "a mapping of label names to matchers under 'match' (e.g. mount: \"/\", host: \"=~web-.*\")") else { return [] }
        var out: [LabelMatcher] = []
        for (k, v) in map {
            guard let label = labelName(k) else { continue }
            let items: [Node]
            if let list = v.sequence { items = Array(list) } else { items = [v] }
            for item in items {
                if let m = stringMatcher(item, subject: "label '\(label)'") {
                    out.append(LabelMatcher(label: label, matcher: m))
                }
            }
        }
        return out
    }

    /// A matcher in the rule-file notation for `subject` (e.g. "label 'host'").
    mutating func stringMatcher(_ node: Node, subject: String) -> StringMatcher? {
        guard let s = string(node, "a matcher for \(subject) (value, !=value, =~regex or !~regex)") else { return nil }
        switch StringMatcher.parse(s) {
        case .success(let m):
            return m
        case .failure(let e):
            fail(node, "\(e.message) for \(subject) (expected ICU/NSRegularExpression syntax)")
            return nil
        }
    }

    mutating func labelName(_ node: Node) -> String? {
        guard let s = string(node, "a label name") else { return nil }
        guard Self.isValidLabelName(s) else {
            fail(node, "bad label name '\(s)' (expected letters, digits and _, not starting with a digit)")
            return nil
        }
        return s
    }

    static func isValidLabelName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    mutating func metricName(_ node: Node) -> String? {
        guard let s = string(node, "a metric name") else { return nil }
        guard WireNames.isValidMetricName(s) else {
            fail(node, "bad metric name '\(s)' (expected letters, digits, _ . : such as cpu.usage_percent; see docs/metrics.md)")
            return nil
        }
        return s
    }

    mutating func duration(_ node: Node, key: String, positive: Bool) -> Int64? {
        guard let s = string(node, "a duration for '\(key)'") else { return nil }
        guard let ms = DurationText.milliseconds(s) else {
            fail(node, "bad duration '\(s)' for '\(key)' (expected e.g. 30s, 5m, 1h30m; a bare number means seconds)")
            return nil
        }
        if positive && ms == 0 {
            fail(node, "'\(key)' must be longer than 0 (expected e.g. 30s, 5m)")
            return nil
        }
        return ms
    }

    mutating func number(_ node: Node, key: String) -> Double? {
        guard let s = string(node, "a number for '\(key)'") else { return nil }
        guard let v = Double(s), v.isFinite else {
            fail(node, "'\(s)' is not a number (expected a finite number for '\(key)', e.g. 90 or 0.5)")
            return nil
        }
        return v
    }

    mutating func int(_ node: Node, key: String, min: Int) -> Int? {
        guard let s = string(node, "a whole number for '\(key)'") else { return nil }
        guard let v = Int(s), v >= min else {
            fail(node, "'\(s)' is not allowed for '\(key)' (expected a whole number of at least \(min))")
            return nil
        }
        return v
    }

    mutating func bool(_ node: Node, key: String) -> Bool? {
        guard let s = string(node, "true or false for '\(key)'") else { return nil }
        switch s {
        case "true": return true
        case "false": return false
        default:
            fail(node, "'\(s)' is not allowed for '\(key)' (expected true or false)")
            return nil
        }
    }

    // MARK: Structure

    mutating func string(_ node: Node, _ expected: String) -> String? {
        guard let scalar = node.scalar, !Self.isNull(node) else {
            fail(node, "expected \(expected), found \(Self.describe(node))")
            return nil
        }
        return scalar.string
    }

    mutating func mapping(_ node: Node, _ expected: String) -> Node.Mapping? {
        guard let map = node.mapping else {
            fail(node, "expected \(expected), found \(Self.describe(node))")
            return nil
        }
        return map
    }

    mutating func sequence(_ node: Node, _ expected: String) -> Node.Sequence? {
        guard let list = node.sequence else {
            fail(node, "expected \(expected), found \(Self.describe(node))")
            return nil
        }
        return list
    }

    /// The values of `map` by key, reporting keys that are not in `allowed`.
    mutating func fields(_ map: Node.Mapping, allowed: [String], context: String) -> [String: Node] {
        var out: [String: Node] = [:]
        for (k, v) in map {
            guard let key = k.scalar?.string, !Self.isNull(k) else {
                fail(k, "expected a key (one of \(allowed.joined(separator: ", "))) in \(context), found \(Self.describe(k))")
                continue
            }
            guard allowed.contains(key) else {
                fail(k, "unknown key '\(key)' in \(context) (expected \(allowed.joined(separator: ", ")))")
                continue
            }
            out[key] = v
        }
        return out
    }

    mutating func require(_ f: [String: Node], _ key: String, in node: Node, context: String, hint: String) -> Node? {
        if let v = f[key] { return v }
        fail(node, "missing '\(key)' in \(context) (expected \(hint))")
        return nil
    }

    /// A string that is a template (`{{ $labels.host }}`): checked now, so a mistake is a file error at the line
    /// and column of the mistake itself (for a one-line value; the value's first line plus the template's line for
    /// a block scalar).
    mutating func template(_ node: Node, _ expected: String) -> String? {
        guard let text = string(node, expected) else { return nil }
        do {
            _ = try AlertTemplate(text)
        } catch {
            let mark = node.mark
            var line = mark?.line ?? 0
            var column = mark?.column ?? 0
            switch node.scalar?.style {
            case .literal?, .folded?:
                line += error.line
                column = error.column
            default:
                if error.line == 1 {
                    column += error.column - 1 + (node.scalar?.style == .plain ? 0 : 1)
                } else {
                    line += error.line - 1
                    column = error.column
                }
            }
            errors.append(RuleFileError(file: path, line: line, column: column, message: "in the template: \(error.message)"))
            return nil
        }
        return text
    }

    mutating func fail(_ node: Node, _ message: String) {
        errors.append(RuleFileError(file: path, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, message: message))
    }

    func position(_ node: Node) -> String {
        node.mark.map { "\($0.line):\($0.column)" } ?? "?"
    }

    static func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s): return isNull(node) ? "nothing" : "'\(s.string)'"
        }
    }
}
