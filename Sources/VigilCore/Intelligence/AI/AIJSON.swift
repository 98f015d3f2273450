import Foundation

/// A parsed JSON value that keeps booleans, numbers and strings apart, for validating AI answers against a
/// schema. Pure.
public enum AIJSON: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([AIJSON])
    case object([String: AIJSON])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([AIJSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: AIJSON].self)) }
    }

    /// The JSON object in a model's answer: the whole text, or the inside of a ```json fence (models add them
    /// even when told not to). Throws a rejection naming the problem.
    public static func object(in answer: String) throws(AIRejection) -> [String: AIJSON] {
        var text = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("```") {
            if let firstNewline = text.firstIndex(of: "\n") { text = String(text[text.index(after: firstNewline)...]) }
            if let fence = text.range(of: "```", options: .backwards) { text = String(text[..<fence.lowerBound]) }
            text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !text.isEmpty else { throw AIRejection("the answer is empty") }
        let value: AIJSON
        do {
            value = try JSONDecoder().decode(AIJSON.self, from: Data(text.utf8))
        } catch {
            throw AIRejection("the answer is not valid JSON (\(text.prefix(60))…)")
        }
        guard case .object(let o) = value else { throw AIRejection("the answer is JSON but not an object") }
        return o
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var number: Double? { if case .number(let n) = self { n } else { nil } }
    public var array: [AIJSON]? { if case .array(let a) = self { a } else { nil } }
    public var object: [String: AIJSON]? { if case .object(let o) = self { o } else { nil } }
    public var isNull: Bool { self == .null }

    /// A scalar as a parameter value: strings as they are, whole numbers without a fraction, booleans as
    /// `true`/`false`. Nil for null, arrays and objects.
    public var scalarText: String? {
        switch self {
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        default: nil
        }
    }
}

/// Field checks shared by the AI features' validators.
enum AIField {
    static func requiredString(_ o: [String: AIJSON], _ key: String, in place: String) throws(AIRejection) -> String {
        guard let v = o[key] else { throw AIRejection("\(place) has no '\(key)'") }
        guard let s = v.string else { throw AIRejection("\(place).\(key) must be a string") }
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !t.isEmpty else { throw AIRejection("\(place).\(key) is empty") }
        return t
    }

    static func stringArray(_ o: [String: AIJSON], _ key: String, in place: String, required: Bool) throws(AIRejection) -> [String] {
        guard let v = o[key], !v.isNull else {
            if required { throw AIRejection("\(place) has no '\(key)'") }
            return []
        }
        guard let items = v.array else { throw AIRejection("\(place).\(key) must be an array of strings") }
        var out: [String] = []
        for item in items {
            guard let s = item.string else { throw AIRejection("\(place).\(key) must be an array of strings") }
            out.append(s)
        }
        return out
    }

    static func array(_ o: [String: AIJSON], _ key: String, in place: String) throws(AIRejection) -> [AIJSON] {
        guard let v = o[key] else { throw AIRejection("\(place) has no '\(key)'") }
        guard let a = v.array else { throw AIRejection("\(place).\(key) must be an array") }
        return a
    }
}
