import Foundation

/// Why a JSON request body was refused; `field` is a JSON path such as `[2].endsAt` or `matchers`.
public struct JSONBodyError: Error, Equatable, Sendable {
    public var message: String
    public var field: String?

    public init(message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }
}

/// Decoding of the API's JSON bodies with Foundation's decoder, its errors turned into a message and the path of
/// the field at fault.
enum JSONBody {
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(JSONBodyError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw JSONBodyError(message: "missing field '\(key.stringValue)'", field: path(ctx.codingPath + [key]))
        } catch let DecodingError.typeMismatch(t, ctx) {
            throw JSONBodyError(message: "wrong type: expected \(t)", field: path(ctx.codingPath))
        } catch let DecodingError.valueNotFound(t, ctx) {
            throw JSONBodyError(message: "missing value: expected \(t)", field: path(ctx.codingPath))
        } catch {
            throw JSONBodyError(message: "malformed JSON: \(error.localizedDescription)")
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        var s = ""
        for k in keys {
            if let i = k.intValue { s += "[\(i)]" } else { s += s.isEmpty ? k.stringValue : ".\(k.stringValue)" }
        }
        return s
    }
}
