/// A refusal that names what is wrong and where. The listener sends it as
/// `{"error": message, "field": field}` with `status`.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// HTTP status the listener answers with (400, 401, 403, 413, 415, ...).
    public var status: Int
    /// A short machine-readable reason: `malformed_json`, `invalid_field`, `unauthorized`, ...
    public var code: String
    /// What is wrong, in words an operator can act on.
    public var message: String
    /// The JSON path of the offending field (`samples[3].value`), or nil when not about a field.
    public var field: String?

    public init(status: Int, code: String, message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String {
        if let field { return "\(message) (field \(field))" }
        return message
    }

    /// The JSON body the listener answers with.
    public func json() -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("error"); w.string(message)
        w.key("code"); w.string(code)
        if let field { w.key("field"); w.string(field) }
        w.endObject()
        return w.result
    }

    public static func invalid(_ message: String, field: String) -> WireError {
        WireError(status: 400, code: "invalid_field", message: message, field: field)
    }

    public static func malformed(_ message: String, field: String?) -> WireError {
        WireError(status: 400, code: "malformed_json", message: message, field: field)
    }
}
