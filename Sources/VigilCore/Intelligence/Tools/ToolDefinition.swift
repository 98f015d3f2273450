import Foundation
import VigilWire

/// One argument of a tool, from which the tool's JSON Schema is built.
public struct ToolParameter: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case string
        /// A string from a fixed set.
        case oneOf([String])
        case integer(min: Int, max: Int)
        case boolean
        /// An object whose values are strings (labels, runbook parameters).
        case stringMap
    }

    public var name: String
    public var kind: Kind
    public var description: String
    public var required: Bool

    public init(_ name: String, _ kind: Kind, _ description: String, required: Bool = false) {
        self.name = name
        self.kind = kind
        self.description = description
        self.required = required
    }

    /// The parameter's JSON Schema.
    public var schema: JSONValue {
        var s: [String: JSONValue] = ["description": .string(description)]
        switch kind {
        case .string:
            s["type"] = "string"
        case .oneOf(let values):
            s["type"] = "string"
            s["enum"] = .array(values.map(JSONValue.string))
        case .integer(let lo, let hi):
            s["type"] = "integer"
            s["minimum"] = .int(lo)
            s["maximum"] = .int(hi)
        case .boolean:
            s["type"] = "boolean"
        case .stringMap:
            s["type"] = "object"
            s["additionalProperties"] = ["type": "string"]
        }
        return .object(s)
    }
}

/// A tool the assistant may call: its name, what it does, and the JSON Schema of its arguments.
public struct ToolDefinition: Sendable, Equatable {
    public var name: String
    public var description: String
    public var parameters: [ToolParameter]
    /// True for every tool here: none changes anything (`propose_runbook` only plans).
    public var readOnly: Bool

    public init(name: String, description: String, parameters: [ToolParameter], readOnly: Bool = true) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.readOnly = readOnly
    }

    /// The arguments' JSON Schema: `{"type":"object","properties":{…},"required":[…],"additionalProperties":false}`.
    /// MCP's `Tool.inputSchema` and OpenAI's `function.parameters` alike.
    public var inputSchema: JSONValue {
        var props: [String: JSONValue] = [:]
        for p in parameters { props[p.name] = p.schema }
        return [
            "type": "object",
            "properties": .object(props),
            "required": .array(parameters.filter(\.required).map { .string($0.name) }),
            "additionalProperties": false,
        ]
    }

    /// The tool as an element of OpenAI's chat-completions `tools` array.
    public var openAITool: JSONValue {
        ["type": "function", "function": ["name": .string(name), "description": .string(description), "parameters": inputSchema]]
    }
}

/// What a tool call gives back. Never thrown: a bad argument or a failed read is a result with `isError` set and a
/// message that names what was wrong, so the model can correct itself.
public struct ToolResult: Sendable {
    public var isError: Bool
    /// The structured answer (`{"error": …}` for an error).
    public var value: JSONValue
    /// What the model reads: the answer as compact JSON, or the error message.
    public var text: String
    /// `propose_runbook` only: the plan as `Remediator.plan` made it. Nothing was submitted; the console turns an
    /// accepted proposal into the normal remediation flow (plan again, safety checks, approval).
    public var proposal: RemediationPlan?

    public init(value: JSONValue, proposal: RemediationPlan? = nil) {
        self.isError = false
        self.value = value
        self.text = value.jsonText
        self.proposal = proposal
    }

    public static func error(_ message: String) -> ToolResult {
        var r = ToolResult(value: ["error": .string(message)])
        r.isError = true
        r.text = message
        return r
    }
}

/// A tool argument that is missing, of the wrong type or out of range; the message names it.
public struct ToolArgumentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var argument: String
    public var message: String

    public init(_ argument: String, _ message: String) {
        self.argument = argument
        self.message = message
    }

    public var description: String { "argument '\(argument)': \(message)" }
}

/// Typed reads of a call's arguments against the tool's parameters. `null` counts as absent (OpenAI's strict mode
/// sends it for optional arguments); an integer may come as a numeric string.
struct ToolArguments {
    let tool: ToolDefinition
    let values: [String: JSONValue]

    /// Refuses arguments the tool does not take, naming the ones it does.
    init(tool: ToolDefinition, values: [String: JSONValue]) throws(ToolArgumentError) {
        self.tool = tool
        self.values = values.filter { !$0.value.isNull }
        let known = Set(tool.parameters.map(\.name))
        if let unknown = self.values.keys.sorted().first(where: { !known.contains($0) }) {
            let takes = tool.parameters.map(\.name).joined(separator: ", ")
            throw ToolArgumentError(unknown, "\(tool.name) takes no such argument (it takes: \(takes.isEmpty ? "none" : takes))")
        }
    }

    func string(_ name: String) throws(ToolArgumentError) -> String? {
        guard let v = values[name] else { return nil }
        guard let s = v.stringValue else { throw ToolArgumentError(name, "must be a string, got \(v.kindName)") }
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }

    func requiredString(_ name: String, example: String) throws(ToolArgumentError) -> String {
        guard let s = try string(name) else { throw ToolArgumentError(name, "is required, e.g. \"\(example)\"") }
        return s
    }

    /// One of `allowed`, or `fallback` when absent.
    func choice(_ name: String, _ allowed: [String], default fallback: String?) throws(ToolArgumentError) -> String? {
        guard let s = try string(name) else { return fallback }
        let lower = s.lowercased()
        guard allowed.contains(lower) else {
            throw ToolArgumentError(name, "'\(s)' is not one of \(allowed.joined(separator: ", "))")
        }
        return lower
    }

    func int(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(ToolArgumentError) -> Int {
        guard let v = values[name] else { return fallback }
        let n: Int
        switch v {
        case .number(let d) where d == d.rounded() && abs(d) < 1e15: n = Int(d)
        case .string(let s) where Int(s.trimmingCharacters(in: .whitespaces)) != nil: n = Int(s.trimmingCharacters(in: .whitespaces))!
        default: throw ToolArgumentError(name, "must be an integer, got \(v.kindName)")
        }
        guard range.contains(n) else {
            throw ToolArgumentError(name, "\(n) is out of range \(range.lowerBound)…\(range.upperBound)")
        }
        return n
    }

    func stringMap(_ name: String) throws(ToolArgumentError) -> [String: String] {
        guard let v = values[name] else { return [:] }
        guard let o = v.objectValue else {
            throw ToolArgumentError(name, "must be an object of strings, e.g. {\"mount\": \"/\"}; got \(v.kindName)")
        }
        var out: [String: String] = [:]
        for (k, x) in o {
            switch x {
            case .string(let s): out[k] = s
            case .number(let d): out[k] = JSONValue.number(d).jsonText
            case .bool(let b): out[k] = b ? "true" : "false"
            default: throw ToolArgumentError("\(name).\(k)", "must be a string, got \(x.kindName)")
            }
        }
        return out
    }

    /// A look-back such as "15m", "1h", "2d" in milliseconds, at most `max`.
    func duration(_ name: String, default fallback: String, max maxMs: Int64) throws(ToolArgumentError) -> Int64 {
        let text = try string(name) ?? fallback
        guard let ms = DurationText.milliseconds(text), ms > 0 else {
            throw ToolArgumentError(name, "'\(text)' is not a duration; write e.g. 15m, 1h or 2d")
        }
        guard ms <= maxMs else {
            throw ToolArgumentError(name, "'\(text)' reaches back too far; at most \(DurationText.short(ms: maxMs))")
        }
        return ms
    }
}
