import Foundation
import VigilWire

/// A JSON value as plain data: tool argument schemas, tool arguments and tool results.
///
/// One type feeds both faces of the assistant's tools: OpenAI's `tools` array (`ToolDefinition.openAITool`) and
/// MCP's `Tool.inputSchema` (`vigil mcp` maps it onto the SDK's `Value`). Objects are written with their keys
/// sorted, so the same value always gives the same text.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// An integer as a number.
    public static func int(_ v: Int) -> JSONValue { .number(Double(v)) }
    /// A millisecond timestamp as a number.
    public static func int64(_ v: Int64) -> JSONValue { .number(Double(v)) }
    /// The string, or `null`.
    public static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    /// The number, or `null`.
    public static func optional(_ d: Double?) -> JSONValue { d.map(JSONValue.number) ?? .null }
    /// A string-to-string map as an object.
    public static func labels(_ labels: [String: String]) -> JSONValue { .object(labels.mapValues(JSONValue.string)) }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var numberValue: Double? {
        if case .number(let d) = self { return d }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The member `key` of an object (nil for anything else or a missing key).
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// What kind of value this is, for error messages: "a string", "an object", …
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let d): d == d.rounded() ? "an integer" : "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Compact JSON text, object keys sorted; non-finite numbers become `null`.
    public var jsonText: String {
        var w = JSONWriter()
        write(to: &w)
        return w.result
    }

    /// Writes the value into a `JSONWriter`.
    public func write(to w: inout JSONWriter) {
        switch self {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .number(let d): w.double(d)
        case .string(let s): w.string(s)
        case .array(let a):
            w.beginArray()
            for v in a { v.write(to: &w) }
            w.endArray()
        case .object(let o):
            w.beginObject()
            for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                w.key(k)
                v.write(to: &w)
            }
            w.endObject()
        }
    }

    /// Parses JSON text (an OpenAI tool call carries its arguments as a string). Throws a `JSONValueError` that
    /// says what is wrong.
    public static func parse(_ text: String) throws(JSONValueError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch let e as DecodingError {
            switch e {
            case .dataCorrupted(let c):
                let why = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? c.debugDescription
                throw JSONValueError("not valid JSON: \(why)")
            default:
                throw JSONValueError("not valid JSON: \(e)")
            }
        } catch {
            throw JSONValueError("not valid JSON: \(error)")
        }
    }
}

/// JSON text that could not be parsed.
public struct JSONValueError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d):
            if d == d.rounded(), abs(d) < 1e15 { try c.encode(Int64(d)) } else { try c.encode(d) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
